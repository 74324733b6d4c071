//! Plots (plotters): what people would rather look at than read.
//!
//! Every plot is drawn once, as SVG text ([`store_plan_svg`], [`plan_svg`],
//! [`frontier_svg`](super::frontier_plot::frontier_svg),
//! [`audit_svg`](super::audit_plot::audit_svg)); an `.svg` file is that text
//! and a `.png` is rasterized from it by resvg (anti-aliased), with the
//! bundled DejaVu Sans, so PNGs look the same on machines without fonts.
//! The SVG has a `viewBox` and no XML prolog, so it can be inlined in HTML
//! and scales with CSS (`width: 100%`).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use plotters::prelude::*;
use resvg::{tiny_skia, usvg};

use super::chart::{Line, draw_lines, legend, log_ticks, nice_ceil, nice_floor, pct_tick, s, titled};
use crate::error::{Error, Result};
use crate::frontier::{PLAUSIBLE_LIFT_BAND, VENDOR_CLAIM_BAND};
use crate::plan::store::{StorePlan, store_plan_curve};
use crate::plan::{CurvePoint, Plan, PlanConfig, TrafficSource, mde_curve};
use crate::report::format::{count, days as fmt_days, pct_short, usd_short};

/// Width and height of plots, pixels (the SVG's `viewBox`, the PNG's size).
pub const PLOT_SIZE: (u32, u32) = (1200, 800);

/// The bundled font (DejaVu Sans), used for text layout and for PNGs.
const FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// Registers the bundled DejaVu Sans as plotters' `sans-serif` family,
/// once, so text is measured the same on every machine.
pub(crate) fn register_fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // The font is bundled and valid; a failure would show as missing text.
            let _ = plotters::style::register_font("sans-serif", style, FONT);
        }
    });
}

/// The file type of a plot, from its file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotFormat {
    /// SVG text (`.svg`).
    Svg,
    /// A PNG image rasterized from the SVG (`.png`).
    Png,
}

impl PlotFormat {
    /// `.svg` or `.png` (any case); `None` for anything else.
    ///
    /// ```
    /// use liftlab::report::plot::PlotFormat;
    /// use std::path::Path;
    /// assert_eq!(PlotFormat::from_path(Path::new("mde.PNG")), Some(PlotFormat::Png));
    /// assert_eq!(PlotFormat::from_path(Path::new("mde.svg")), Some(PlotFormat::Svg));
    /// assert_eq!(PlotFormat::from_path(Path::new("mde.jpg")), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "svg" => Some(Self::Svg),
            "png" => Some(Self::Png),
            _ => None,
        }
    }
}

/// Draws a plot with `draw` on an SVG of [`PLOT_SIZE`] and returns the text,
/// made ready to inline in HTML (`style="max-width:100%;height:auto"` on the
/// root, beside plotters' `viewBox`).
pub(crate) fn draw_svg(
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> std::result::Result<(), String>,
) -> std::result::Result<String, String> {
    register_fonts();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, PLOT_SIZE).into_drawing_area();
        draw(&root)?;
        root.present().map_err(s)?;
    }
    Ok(text.replacen("<svg ", "<svg style=\"max-width:100%;height:auto\" ", 1))
}

/// The fonts resvg renders with: the bundled DejaVu Sans only, standing in
/// for `sans-serif`.
fn fontdb() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(FONT.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        Arc::new(db)
    })
    .clone()
}

/// Rasterizes SVG text to PNG bytes (resvg, anti-aliased) at the SVG's own
/// size, with the bundled font for all text.
///
/// # Errors
/// [`Error::Plot`] (naming `path`, the file the PNG is for) if the SVG
/// cannot be parsed or the image encoded.
pub fn svg_to_png(svg: &str, path: &Path) -> Result<Vec<u8>> {
    let err = |message: String| Error::Plot { path: path.to_path_buf(), message };
    let options = usvg::Options { font_family: "DejaVu Sans".into(), fontdb: fontdb(), ..usvg::Options::default() };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| err(format!("cannot read the SVG: {e}")))?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| err("the plot has no area".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| err(format!("cannot encode the PNG: {e}")))
}

/// Writes a plot's SVG text to `path`, as SVG or as PNG as its extension
/// says ([`PlotFormat`]).
///
/// # Errors
/// [`Error::Plot`] if the extension is neither `.svg` nor `.png` or the PNG
/// cannot be made; [`Error::Io`] if the file cannot be written.
pub fn write_plot(svg: &str, path: &Path) -> Result<()> {
    let bytes = match PlotFormat::from_path(path) {
        Some(PlotFormat::Svg) => svg.as_bytes().to_vec(),
        Some(PlotFormat::Png) => svg_to_png(svg, path)?,
        None => {
            return Err(Error::Plot {
                path: path.to_path_buf(),
                message: "the file name must end in .png or .svg".into(),
            });
        }
    };
    crate::io::write_atomic(path, &bytes)
}

/// The error of drawing a plot in memory (no file yet).
fn svg_error(what: &str) -> impl Fn(String) -> Error + '_ {
    move |message| Error::Plot { path: what.into(), message }
}

/// Draws relative MDE against test duration, with and without CUPED, with
/// the target lift, the plausible true-lift band (1–3%) and the
/// vendor-claimed band (12–18%), and returns the SVG text. The title names
/// the metric and the traffic.
///
/// # Errors
/// [`Error::Plot`] if the plot cannot be drawn; as [`mde_curve`].
pub fn plan_svg(plan: &Plan) -> Result<String> {
    let config: &PlanConfig = &plan.config;
    let max_days = plot_days(config, plan.days_to_detect);
    let curve = mde_curve(&plan.traffic, config, max_days, 200)?;
    let metric = match &plan.traffic.source {
        TrafficSource::Data { metric, .. } => format!("\"{metric}\" per unit"),
        TrafficSource::Economics(_) => "Revenue per visitor".into(),
        TrafficSource::Direct => "The metric".into(),
    };
    let title =
        format!("{metric} — {} units a day, {} holdout", count(plan.traffic.daily_units), pct_short(config.holdout));
    draw_svg(|root| mde_plot(root, &curve, config, plan.days_to_detect, max_days, &title))
        .map_err(svg_error("the plan plot"))
}

/// [`plan_svg`] written to `path`, as SVG or PNG by its extension
/// ([`write_plot`]).
///
/// # Errors
/// As [`plan_svg`] and [`write_plot`].
pub fn plan_plot(plan: &Plan, path: &Path) -> Result<()> {
    write_plot(&plan_svg(plan)?, path)
}

/// Draws a store plan's primary metric (contribution margin per session):
/// relative MDE against duration from the store's pilot, with and without
/// CUPED, and the same bands as [`plan_svg`]; returns the SVG text. The
/// title names the metric, the store's annual revenue and the holdout.
///
/// # Errors
/// [`Error::Plot`] if the plot cannot be drawn.
pub fn store_plan_svg(plan: &StorePlan) -> Result<String> {
    let primary = &plan.metrics[0];
    let max_days = plot_days(&plan.config, primary.days_to_detect.map(f64::from));
    let curve = store_plan_curve(plan, max_days, 200)?;
    let title = format!(
        "{} — {} a year store, {} holdout",
        capitalized(&metric_name(primary.metric.label())),
        usd_short(plan.annual_revenue_usd),
        pct_short(plan.config.holdout)
    );
    draw_svg(|root| mde_plot(root, &curve, &plan.config, primary.days_to_detect.map(f64::from), max_days, &title))
        .map_err(svg_error("the store plan plot"))
}

/// [`store_plan_svg`] written to `path`, as SVG or PNG by its extension
/// ([`write_plot`]).
///
/// # Errors
/// As [`store_plan_svg`] and [`write_plot`].
pub fn store_plan_plot(plan: &StorePlan, path: &Path) -> Result<()> {
    write_plot(&store_plan_svg(plan)?, path)
}

/// A metric's name in titles: margin is the contribution margin.
pub(crate) fn metric_name(label: &str) -> String {
    if label.starts_with("margin") { format!("contribution {label}") } else { label.to_string() }
}

/// `text` with its first letter in upper case.
pub(crate) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The x range of a plan plot: the longest duration, or the days to
/// detect the target when within 3× that.
fn plot_days(config: &PlanConfig, days_to_detect: Option<f64>) -> f64 {
    let longest = config.days.iter().copied().fold(1.0, f64::max);
    match days_to_detect {
        Some(d) if d <= 3.0 * longest => d.max(longest) * 1.15,
        _ => longest * 1.15,
    }
}

/// The plausible (green) and vendor-claimed (orange) lift bands, percent.
pub(crate) const GREEN: RGBColor = RGBColor(46, 139, 87);
/// The vendor-claimed band's colour.
pub(crate) const ORANGE: RGBColor = RGBColor(230, 120, 20);

fn mde_plot<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    curve: &[CurvePoint],
    config: &PlanConfig,
    days_to_detect: Option<f64>,
    max_days: f64,
    title: &str,
) -> std::result::Result<(), String> {
    let pct = |x: f64| x * 100.0;
    let y_max = nice_ceil(pct(curve.iter().map(|p| p.rel_mde).fold(0.0, f64::max).max(VENDOR_CLAIM_BAND.1) * 1.3));
    let y_min = nice_floor(
        pct(curve.iter().map(|p| p.rel_mde_cuped.unwrap_or(p.rel_mde)).fold(f64::INFINITY, f64::min))
            .min(pct(PLAUSIBLE_LIFT_BAND.0))
            * 0.9,
    );
    root.fill(&WHITE).map_err(s)?;
    let subtitle = format!(
        "Smallest detectable lift against test duration (power {}, alpha {}, log scale)",
        pct_short(config.power),
        config.alpha
    );
    let body = titled(root, title, &subtitle)?;
    let mut chart = ChartBuilder::on(&body)
        .margin(25)
        .margin_top(5)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..max_days, (y_min..y_max).log_scale().with_key_points(log_ticks(y_min, y_max)))
        .map_err(s)?;
    chart
        .configure_mesh()
        .x_desc("test duration (days)")
        .y_desc("minimum detectable relative lift (log scale)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&pct_tick)
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 22))
        .draw()
        .map_err(s)?;

    let band = |(lo, hi): (f64, f64), color: RGBColor| {
        Rectangle::new([(0.0, pct(lo)), (max_days, pct(hi))], color.mix(0.18).filled())
    };
    chart
        .draw_series(std::iter::once(band(PLAUSIBLE_LIFT_BAND, GREEN)))
        .map_err(s)?
        .label("plausible true lift of personalization (1-3%)")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 24, y + 6)], GREEN.mix(0.4).filled()));
    chart
        .draw_series(std::iter::once(band(VENDOR_CLAIM_BAND, ORANGE)))
        .map_err(s)?
        .label("vendor-claimed AOV lift (12-18%)")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 24, y + 6)], ORANGE.mix(0.4).filled()));
    let blue = RGBColor(31, 90, 180);
    let purple = RGBColor(190, 60, 170);
    let mut lines = vec![Line {
        points: curve.iter().map(|p| (p.days, pct(p.rel_mde))).collect(),
        color: blue,
        width: 4,
        dashed: false,
        label: "MDE".into(),
        name: None,
    }];
    if curve.iter().any(|p| p.rel_mde_cuped.is_some()) {
        lines.push(Line {
            points: curve.iter().filter_map(|p| p.rel_mde_cuped.map(|m| (p.days, pct(m)))).collect(),
            color: purple,
            width: 3,
            dashed: false,
            label: "MDE with CUPED".into(),
            name: None,
        });
    }
    if let Some(target) = config.target_lift {
        let label = match days_to_detect {
            Some(d) => format!("target lift {} (needs {} days)", pct_short(target), fmt_days(d)),
            None => format!("target lift {}", pct_short(target)),
        };
        lines.push(Line {
            points: vec![(0.0, pct(target)), (max_days, pct(target))],
            color: BLACK,
            width: 2,
            dashed: false,
            label,
            name: None,
        });
    }
    draw_lines(&mut chart, &lines)?;
    legend(&mut chart, SeriesLabelPosition::UpperRight, 18)?;
    Ok(())
}
