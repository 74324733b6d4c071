//! The frontier's three plots, each as PNG and SVG: MDE against annual
//! revenue per duration, power against true lift for one store, MDE against
//! test duration for one store.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::format::{pct_short, sig, usd_short};
use super::plot::{PLOT_SIZE, register_fonts};
use crate::error::{Error, Result};
use crate::frontier::{CHECKED, FRONTIER_METRICS, Frontier, PLAUSIBLE_LIFT_BAND, VENDOR_CLAIM_BAND, rel_mde};
use crate::montecarlo::METRICS;

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 90, 180),
    RGBColor(200, 60, 50),
    RGBColor(46, 139, 87),
    RGBColor(140, 60, 160),
    RGBColor(230, 120, 20),
    RGBColor(90, 90, 90),
];
const GREEN: RGBColor = RGBColor(46, 139, 87);
const ORANGE: RGBColor = RGBColor(230, 120, 20);

/// The three plots.
#[derive(Clone, Copy)]
enum Plot {
    MdeByRevenue,
    PowerCurve,
    MdeByDays,
}

fn draw<DB: DrawingBackend>(
    plot: Plot,
    root: &DrawingArea<DB, Shift>,
    f: &Frontier,
) -> std::result::Result<(), String> {
    match plot {
        Plot::MdeByRevenue => mde_by_revenue(root, f),
        Plot::PowerCurve => power_curve(root, f),
        Plot::MdeByDays => mde_by_days(root, f),
    }
}

/// Writes the three frontier plots into `dir` (created if missing) as
/// `frontier_mde_by_revenue`, `frontier_power_curve` and
/// `frontier_mde_by_days`, each `.png` and `.svg` (1200×800), and returns
/// the paths written. The power curve needs the simulated checks; without
/// them it shows the analytic curves only.
///
/// # Errors
/// [`Error::Io`] if `dir` cannot be created; [`Error::Plot`] if a file
/// cannot be drawn or written.
pub fn frontier_plots(f: &Frontier, dir: &Path) -> Result<Vec<PathBuf>> {
    register_fonts();
    std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    let plots = [
        ("frontier_mde_by_revenue", Plot::MdeByRevenue),
        ("frontier_power_curve", Plot::PowerCurve),
        ("frontier_mde_by_days", Plot::MdeByDays),
    ];
    let mut written = Vec::new();
    for (name, plot) in plots {
        let svg = dir.join(format!("{name}.svg"));
        let result = {
            let root = SVGBackend::new(&svg, PLOT_SIZE).into_drawing_area();
            draw(plot, &root, f).and_then(|_| root.present().map_err(s))
        };
        result.map_err(|message| Error::Plot { path: svg.clone(), message })?;
        let png = dir.join(format!("{name}.png"));
        let result = {
            let root = BitMapBackend::new(&png, PLOT_SIZE).into_drawing_area();
            draw(plot, &root, f).and_then(|_| root.present().map_err(s))
        };
        result.map_err(|message| Error::Plot { path: png.clone(), message })?;
        written.extend([svg, png]);
    }
    Ok(written)
}

fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Shades the two lift bands across `x` and labels them.
fn bands<'a, DB: DrawingBackend + 'a, X: Ranged<ValueType = f64>, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    (x0, x1): (f64, f64),
    scale: f64,
) -> std::result::Result<(), String> {
    for ((lo, hi), color, label) in [
        (PLAUSIBLE_LIFT_BAND, GREEN, "plausible true lift of personalization (1-3%)"),
        (VENDOR_CLAIM_BAND, ORANGE, "vendor-claimed AOV lift (12-18%)"),
    ] {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, lo * scale), (x1, hi * scale)],
                color.mix(0.18).filled(),
            )))
            .map_err(s)?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 24, y + 6)], color.mix(0.4).filled()));
    }
    Ok(())
}

fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> std::result::Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(("sans-serif", 17))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(s)
}

fn percent_label(v: &f64) -> String {
    format!("{}%", sig(*v, 2))
}

/// (a) Relative MDE against annual revenue, one line per duration.
fn mde_by_revenue<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Frontier) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(s)?;
    let cfg = &f.config;
    let h = cfg.holdouts[0];
    let lo = cfg.revenues.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = cfg.revenues.iter().copied().fold(0.0, f64::max);
    let grid: Vec<f64> = (0..=200).map(|i| lo * (hi / lo).powf(i as f64 / 200.0)).collect();
    let curve = |m: usize, days: u32, cuped: bool| -> Vec<(f64, f64)> {
        grid.iter()
            .filter_map(|&r| {
                rel_mde(&f.pilot, m, r, days as f64, h, cuped, cfg.alpha, cfg.power).ok().map(|v| (r, 100.0 * v))
            })
            .collect()
    };
    let all: Vec<f64> = cfg.days.iter().flat_map(|&d| curve(0, d, false).into_iter().map(|p| p.1)).collect();
    let y_max = all.iter().copied().fold(VENDOR_CLAIM_BAND.1 * 100.0, f64::max) * 1.3;
    let y_min = all.iter().copied().fold(PLAUSIBLE_LIFT_BAND.0 * 100.0, f64::min) * 0.6;
    let title = format!(
        "Smallest detectable lift by store size ({} holdout, power {}, alpha {})",
        pct_short(h),
        pct_short(cfg.power),
        cfg.alpha
    );
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 28))
        .margin(25)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d((lo..hi).log_scale(), (y_min..y_max).log_scale())
        .map_err(s)?;
    chart
        .configure_mesh()
        .x_desc("annual revenue (USD, log scale)")
        .y_desc("minimum detectable relative lift (%, log scale)")
        .x_label_formatter(&|v| usd_short(*v))
        .y_label_formatter(&percent_label)
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 22))
        .draw()
        .map_err(s)?;
    bands(&mut chart, (lo, hi), 100.0)?;
    for (i, &d) in cfg.days.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(curve(0, d, false), color.stroke_width(3)))
            .map_err(s)?
            .label(format!("{d} days: margin per session"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
        chart
            .draw_series(DashedLineSeries::new(curve(1, d, true), 8, 6, color.stroke_width(2)))
            .map_err(s)?
            .label(format!("{d} days: revenue per visitor, CUPED"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2)));
    }
    let target = 100.0 * cfg.target_lift;
    chart
        .draw_series(LineSeries::new([(lo, target), (hi, target)], BLACK.stroke_width(2)))
        .map_err(s)?
        .label(format!("target lift {}", pct_short(cfg.target_lift)))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(2)));
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// (b) Power against true lift for the profile's store: analytic curves and
/// simulated points with ±2 Monte Carlo SE bars.
fn power_curve<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Frontier) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(s)?;
    let cfg = &f.config;
    let (h, days, revenue) = (cfg.holdouts[0], f.check_days as f64, f.annual_revenue_usd);
    let mde = rel_mde(&f.pilot, 1, revenue, days, h, false, cfg.alpha, cfg.power).map_err(s)?;
    let x_max = 100.0 * mde * 2.2;
    let title = format!(
        "Power vs true lift: {}/year store, {} days, {} holdout",
        usd_short(revenue),
        f.check_days,
        pct_short(h)
    );
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 28))
        .margin(25)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..x_max, 0f64..100.0)
        .map_err(s)?;
    chart
        .configure_mesh()
        .x_desc("true relative lift (%)")
        .y_desc("power: share of tests significant (%)")
        .x_label_formatter(&percent_label)
        .y_label_formatter(&|v| format!("{v:.0}%"))
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 22))
        .draw()
        .map_err(s)?;
    for ((lo, hi), color, label) in [
        (PLAUSIBLE_LIFT_BAND, GREEN, "plausible true lift (1-3%)"),
        (VENDOR_CLAIM_BAND, ORANGE, "vendor-claimed AOV lift (12-18%)"),
    ] {
        let (lo, hi) = ((100.0 * lo).min(x_max), (100.0 * hi).min(x_max));
        chart
            .draw_series(std::iter::once(Rectangle::new([(lo, 0.0), (hi, 100.0)], color.mix(0.15).filled())))
            .map_err(s)?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 24, y + 6)], color.mix(0.4).filled()));
    }
    for (i, &(m, cuped)) in CHECKED.iter().enumerate() {
        let name = METRICS[i];
        let color = PALETTE[i];
        let analytic: Vec<(f64, f64)> = (0..=200)
            .map(|j| {
                let lift = x_max / 100.0 * j as f64 / 200.0;
                let p = crate::frontier::analytic_power(&f.pilot, m, revenue, days, h, cuped, lift, cfg.alpha);
                (100.0 * lift, 100.0 * p)
            })
            .collect();
        chart
            .draw_series(LineSeries::new(analytic, color.stroke_width(3)))
            .map_err(s)?
            .label(format!("{name}: analytic"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
        let points: Vec<_> = f.power_curve.iter().filter(|p| p.metric == name).collect();
        if points.is_empty() {
            continue;
        }
        chart
            .draw_series(points.iter().map(|p| {
                let (x, y, e) = (100.0 * p.true_lift, 100.0 * p.simulated_power, 200.0 * p.simulated_power_se);
                PathElement::new(vec![(x, (y - e).max(0.0)), (x, (y + e).min(100.0))], color.stroke_width(2))
            }))
            .map_err(s)?;
        chart
            .draw_series(
                points.iter().map(|p| Circle::new((100.0 * p.true_lift, 100.0 * p.simulated_power), 6, color.filled())),
            )
            .map_err(s)?
            .label(format!("{name}: simulated (± 2 MC SE)"))
            .legend(move |(x, y)| Circle::new((x + 12, y), 6, color.filled()));
    }
    let target = 100.0 * cfg.power;
    chart
        .draw_series(DashedLineSeries::new([(0.0, target), (x_max, target)], 8, 6, BLACK.stroke_width(1)))
        .map_err(s)?
        .label(format!("{} power", pct_short(cfg.power)))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(1)));
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// (c) Relative MDE against test duration for the profile's store.
fn mde_by_days<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Frontier) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(s)?;
    let cfg = &f.config;
    let (h, revenue) = (cfg.holdouts[0], f.annual_revenue_usd);
    let longest = cfg.days.iter().copied().max().unwrap_or(90) as f64;
    let x_max = longest * 1.35;
    let curve = |m: usize, cuped: bool| -> Vec<(f64, f64)> {
        (1..=240)
            .map(|i| x_max * i as f64 / 240.0)
            .filter_map(|d| {
                rel_mde(&f.pilot, m, revenue, d, h, cuped, cfg.alpha, cfg.power).ok().map(|v| (d, 100.0 * v))
            })
            .collect()
    };
    let lines = [(0, false), (0, true), (1, false), (1, true)].map(|(m, c)| (m, c, curve(m, c)));
    let y_max = lines.iter().flat_map(|l| l.2.iter().map(|p| p.1)).fold(VENDOR_CLAIM_BAND.1 * 100.0, f64::max) * 1.3;
    let y_min = lines.iter().flat_map(|l| l.2.iter().map(|p| p.1)).fold(PLAUSIBLE_LIFT_BAND.0 * 100.0, f64::min) * 0.6;
    let title = format!(
        "Smallest detectable lift vs test duration: {}/year store, {} holdout",
        usd_short(revenue),
        pct_short(h)
    );
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 28))
        .margin(25)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..x_max, (y_min..y_max).log_scale())
        .map_err(s)?;
    chart
        .configure_mesh()
        .x_desc("test duration (days)")
        .y_desc("minimum detectable relative lift (%, log scale)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&percent_label)
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 22))
        .draw()
        .map_err(s)?;
    bands(&mut chart, (0.0, x_max), 100.0)?;
    for (m, cuped, points) in lines {
        let color = PALETTE[m];
        let label = format!("{}{}", FRONTIER_METRICS[m], if cuped { ", CUPED" } else { "" });
        let style = color.stroke_width(if cuped { 2 } else { 3 });
        if cuped {
            chart
                .draw_series(DashedLineSeries::new(points, 8, 6, style))
                .map_err(s)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
        } else {
            chart
                .draw_series(LineSeries::new(points, style))
                .map_err(s)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
        }
    }
    let target = 100.0 * cfg.target_lift;
    chart
        .draw_series(LineSeries::new([(0.0, target), (x_max, target)], BLACK.stroke_width(2)))
        .map_err(s)?
        .label(format!("target lift {}", pct_short(cfg.target_lift)))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(2)));
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}
