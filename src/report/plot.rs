//! Plots (plotters; SVG, and PNG with a bundled font): what people would
//! rather look at than read.

use std::path::Path;

use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::frontier::{PLAUSIBLE_LIFT_BAND, VENDOR_CLAIM_BAND};
use crate::plan::store::{StorePlan, store_plan_curve};
use crate::plan::{CurvePoint, Plan, PlanConfig, Traffic, mde_curve};
use crate::report::format::{days as fmt_days, pct_short};

/// Width and height of plots, pixels.
pub const PLOT_SIZE: (u32, u32) = (1200, 800);

/// Registers the bundled DejaVu Sans as the `sans-serif` family, once, so
/// PNG text renders identically on machines without system fonts.
pub(crate) fn register_fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let font: &'static [u8] = include_bytes!("fonts/DejaVuSans.ttf");
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // The font is bundled and valid; a failure would show as missing text.
            let _ = plotters::style::register_font("sans-serif", style, font);
        }
    });
}

fn plot_error(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |message| Error::Plot { path: path.to_path_buf(), message }
}

/// Draws relative MDE against test duration, with and without CUPED, with
/// the target lift, the plausible true-lift band (1–3%) and the
/// vendor-claimed band (12–18%), and writes it as SVG to `path`.
///
/// # Errors
/// [`Error::Plot`] if the file cannot be written; as [`mde_curve`].
pub fn plan_plot(plan: &Plan, path: &Path) -> Result<()> {
    let traffic: &Traffic = &plan.traffic;
    let config: &PlanConfig = &plan.config;
    let max_days = plot_days(config, plan.days_to_detect);
    let curve = mde_curve(traffic, config, max_days, 200)?;
    mde_plot(&curve, config, plan.days_to_detect, max_days, "", path)
}

/// Draws a store plan's primary metric (contribution margin per session):
/// relative MDE against duration from the store's pilot, with and without
/// CUPED, and the same bands as [`plan_plot`].
///
/// # Errors
/// [`Error::Plot`] if the file cannot be written.
pub fn store_plan_plot(plan: &StorePlan, path: &Path) -> Result<()> {
    let primary = &plan.metrics[0];
    let max_days = plot_days(&plan.config, primary.days_to_detect.map(f64::from));
    let curve = store_plan_curve(plan, max_days, 200)?;
    let title = format!(" of {}", primary.metric.label());
    mde_plot(&curve, &plan.config, primary.days_to_detect.map(f64::from), max_days, &title, path)
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

fn mde_plot(
    curve: &[CurvePoint],
    config: &PlanConfig,
    days_to_detect: Option<f64>,
    max_days: f64,
    of_metric: &str,
    path: &Path,
) -> Result<()> {
    let err = plot_error(path);
    let pct = |x: f64| x * 100.0;
    let y_max = pct(curve.iter().map(|p| p.rel_mde).fold(0.0, f64::max).max(VENDOR_CLAIM_BAND.1) * 1.5);
    let y_min = pct(curve.iter().map(|p| p.rel_mde_cuped.unwrap_or(p.rel_mde)).fold(f64::INFINITY, f64::min))
        .min(pct(PLAUSIBLE_LIFT_BAND.0))
        * 0.7;

    register_fonts();
    let root = SVGBackend::new(path, PLOT_SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let title = format!(
        "Smallest detectable lift{of_metric} vs test duration ({} holdout, power {})",
        pct_short(config.holdout),
        pct_short(config.power)
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 30))
        .margin(25)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..max_days, (y_min..y_max).log_scale())
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("test duration (days)")
        .y_desc("minimum detectable relative lift (%, log scale)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{}%", crate::report::format::sig(*v, 2)))
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 22))
        .draw()
        .map_err(|e| err(e.to_string()))?;

    let band = |(lo, hi): (f64, f64), color: RGBColor| {
        Rectangle::new([(0.0, pct(lo)), (max_days, pct(hi))], color.mix(0.18).filled())
    };
    let green = RGBColor(46, 139, 87);
    let orange = RGBColor(230, 120, 20);
    let blue = RGBColor(31, 90, 180);
    let purple = RGBColor(140, 60, 160);
    chart
        .draw_series(std::iter::once(band(PLAUSIBLE_LIFT_BAND, green)))
        .map_err(|e| err(e.to_string()))?
        .label("plausible true lift of personalization (1-3%)")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 24, y + 6)], green.mix(0.4).filled()));
    chart
        .draw_series(std::iter::once(band(VENDOR_CLAIM_BAND, orange)))
        .map_err(|e| err(e.to_string()))?
        .label("vendor-claimed AOV lift (12-18%)")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 24, y + 6)], orange.mix(0.4).filled()));
    chart
        .draw_series(LineSeries::new(curve.iter().map(|p| (p.days, pct(p.rel_mde))), blue.stroke_width(3)))
        .map_err(|e| err(e.to_string()))?
        .label("MDE")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], blue.stroke_width(3)));
    if curve.iter().any(|p| p.rel_mde_cuped.is_some()) {
        chart
            .draw_series(DashedLineSeries::new(
                curve.iter().filter_map(|p| p.rel_mde_cuped.map(|m| (p.days, pct(m)))),
                10,
                6,
                purple.stroke_width(3),
            ))
            .map_err(|e| err(e.to_string()))?
            .label("MDE with CUPED")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], purple.stroke_width(3)));
    }
    if let Some(target) = config.target_lift {
        let label = match days_to_detect {
            Some(d) => format!("target lift {} (needs {} days)", pct_short(target), fmt_days(d)),
            None => format!("target lift {}", pct_short(target)),
        };
        chart
            .draw_series(LineSeries::new([(0.0, pct(target)), (max_days, pct(target))], BLACK.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label(label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 18))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}
