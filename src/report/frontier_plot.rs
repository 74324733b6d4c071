//! The frontier's three plots, each as SVG text ([`frontier_svg`]) or as
//! PNG and SVG files ([`frontier_plots`]): MDE against annual revenue per
//! duration with the store being discussed marked, power against true lift
//! for that store, MDE against test duration for that store.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{Line, draw_lines, legend, log_ticks, nice_ceil, nice_floor, pct_tick, s, titled, usd_tick};
use super::format::{pct_short, sig};
use super::plot::{GREEN, ORANGE, capitalized, draw_svg, metric_name, write_plot};
use crate::error::{Error, Result};
use crate::frontier::{CHECKED, FRONTIER_METRICS, Frontier, PLAUSIBLE_LIFT_BAND, VENDOR_CLAIM_BAND, rel_mde};
use crate::montecarlo::METRICS;
use crate::report::format::usd_short;

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 90, 180),
    RGBColor(200, 60, 50),
    RGBColor(46, 139, 87),
    RGBColor(140, 60, 160),
    RGBColor(230, 120, 20),
    RGBColor(90, 90, 90),
];

/// One of the frontier's three plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontierPlot {
    /// Relative MDE against annual revenue, one line per duration, with the
    /// store being discussed marked (`frontier_mde_by_revenue`).
    MdeByRevenue,
    /// Power against true lift for the store being discussed
    /// (`frontier_power_curve`).
    PowerCurve,
    /// Relative MDE against test duration for the store being discussed
    /// (`frontier_mde_by_days`).
    MdeByDays,
}

impl FrontierPlot {
    /// The three plots, in the order [`frontier_plots`] writes them.
    pub const ALL: [FrontierPlot; 3] = [FrontierPlot::MdeByRevenue, FrontierPlot::PowerCurve, FrontierPlot::MdeByDays];

    /// The plot's file name without extension (`frontier_mde_by_revenue`).
    pub fn file_stem(self) -> &'static str {
        match self {
            FrontierPlot::MdeByRevenue => "frontier_mde_by_revenue",
            FrontierPlot::PowerCurve => "frontier_power_curve",
            FrontierPlot::MdeByDays => "frontier_mde_by_days",
        }
    }
}

/// Draws one of the frontier's plots and returns the SVG text (1200×800,
/// with a `viewBox`, ready to inline in HTML). Titles name the metric, the
/// store being discussed (`Frontier::annual_revenue_usd`) and the holdout.
/// The power curve needs the simulated checks; without them it shows the
/// analytic curves only.
///
/// # Errors
/// [`Error::Plot`] if the plot cannot be drawn.
pub fn frontier_svg(f: &Frontier, which: FrontierPlot) -> Result<String> {
    draw_svg(|root| match which {
        FrontierPlot::MdeByRevenue => mde_by_revenue(root, f),
        FrontierPlot::PowerCurve => power_curve(root, f),
        FrontierPlot::MdeByDays => mde_by_days(root, f),
    })
    .map_err(|message| Error::Plot { path: which.file_stem().into(), message })
}

/// Writes the three frontier plots into `dir` (created if missing) as
/// `frontier_mde_by_revenue`, `frontier_power_curve` and
/// `frontier_mde_by_days`, each `.png` and `.svg` (1200×800, the PNG
/// rasterized from the SVG), and returns the paths written.
///
/// # Errors
/// [`Error::Io`] if `dir` cannot be created or a file written;
/// [`Error::Plot`] if a plot cannot be drawn.
pub fn frontier_plots(f: &Frontier, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    let mut written = Vec::new();
    for plot in FrontierPlot::ALL {
        let svg = frontier_svg(f, plot)?;
        for ext in ["svg", "png"] {
            let path = dir.join(format!("{}.{ext}", plot.file_stem()));
            write_plot(&svg, &path)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// "Contribution margin per session — $1.5M a year store, 10% holdout".
fn title(metric: &str, f: &Frontier) -> String {
    format!(
        "{} — {} a year store, {} holdout",
        capitalized(metric),
        usd_short(f.annual_revenue_usd),
        pct_short(f.config.holdouts[0])
    )
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

/// A y range on a log axis from 1–2–5 value to 1–2–5 value, covering the
/// lines and both lift bands.
fn log_y_range(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let hi = values.clone().fold(VENDOR_CLAIM_BAND.1 * 100.0, f64::max) * 1.2;
    let lo = values.fold(PLAUSIBLE_LIFT_BAND.0 * 100.0, f64::min) * 0.9;
    (nice_floor(lo), nice_ceil(hi))
}

/// (a) Relative MDE against annual revenue, one line per duration, with
/// the store being discussed marked on each.
fn mde_by_revenue<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Frontier) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(s)?;
    let cfg = &f.config;
    let h = cfg.holdouts[0];
    let store = f.annual_revenue_usd;
    let lo = cfg.revenues.iter().copied().fold(store, f64::min);
    let hi = cfg.revenues.iter().copied().fold(store, f64::max);
    let grid: Vec<f64> = (0..=200).map(|i| lo * (hi / lo).powf(i as f64 / 200.0)).collect();
    let curve = |m: usize, days: u32, cuped: bool| -> Vec<(f64, f64)> {
        grid.iter()
            .filter_map(|&r| {
                rel_mde(&f.pilot, m, r, days as f64, h, cuped, cfg.alpha, cfg.power).ok().map(|v| (r, 100.0 * v))
            })
            .collect()
    };
    let mut lines = Vec::new();
    for (i, &d) in cfg.days.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        lines.push(Line {
            points: curve(0, d, false),
            color,
            width: 3,
            dashed: false,
            label: format!("{d} days"),
            name: None,
        });
        lines.push(Line {
            points: curve(1, d, true),
            color,
            width: 2,
            dashed: true,
            label: format!("{d} days: revenue per visitor, CUPED"),
            name: None,
        });
    }
    let (y_min, y_max) = log_y_range(lines.iter().filter(|l| !l.dashed).flat_map(|l| l.points.iter().map(|p| p.1)));
    let subtitle = format!(
        "Smallest detectable lift by store size, per test duration (power {}, alpha {}; dashed: revenue per visitor with CUPED)",
        pct_short(cfg.power),
        cfg.alpha
    );
    let body = titled(root, &title(&metric_name(FRONTIER_METRICS[0]), f), &subtitle)?;
    let mut chart = ChartBuilder::on(&body)
        .margin(25)
        .margin_top(5)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(
            (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
            (y_min..y_max).log_scale().with_key_points(log_ticks(y_min, y_max)),
        )
        .map_err(s)?;
    chart
        .configure_mesh()
        .x_desc("annual revenue (USD, log scale)")
        .y_desc("minimum detectable relative lift (log scale)")
        .x_label_formatter(&usd_tick)
        .y_label_formatter(&pct_tick)
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 22))
        .draw()
        .map_err(s)?;
    bands(&mut chart, (lo, hi), 100.0)?;
    let target = 100.0 * cfg.target_lift;
    lines.push(Line {
        points: vec![(lo, target), (hi, target)],
        color: BLACK,
        width: 2,
        dashed: false,
        label: format!("target lift {}", pct_short(cfg.target_lift)),
        name: None,
    });
    draw_lines(&mut chart, &lines)?;

    // The store being discussed: a vertical rule, a point on each duration's
    // margin line, and its name.
    let marker = RGBColor(20, 20, 20);
    chart
        .draw_series(DashedLineSeries::new([(store, y_min), (store, y_max)], 6, 6, marker.mix(0.6).stroke_width(2)))
        .map_err(s)?;
    let marked: Vec<(u32, (f64, f64))> = cfg
        .days
        .iter()
        .filter_map(|&d| {
            rel_mde(&f.pilot, 0, store, d as f64, h, false, cfg.alpha, cfg.power).ok().map(|v| (d, (store, 100.0 * v)))
        })
        .collect();
    let points: Vec<(f64, f64)> = marked.iter().map(|m| m.1).collect();
    chart
        .draw_series(points.iter().map(|&p| Circle::new(p, 8, marker.filled())))
        .map_err(s)?
        .label(format!("your store: {} (MDE at each duration)", usd_short(store)))
        .legend(move |(x, y)| Circle::new((x + 12, y), 7, marker.filled()));
    // Labels beside the points, on the whole image (backend coordinates),
    // pushed apart where durations are close.
    let label_font = ("sans-serif", 17).into_font().color(&marker).pos(Pos::new(HPos::Left, VPos::Center));
    let mut next_free = i32::MIN;
    for &(d, (x, y)) in &marked {
        let at = chart.backend_coord(&(x, y));
        let row = at.1.max(next_free);
        next_free = row + 19;
        root.draw(&Text::new(format!("{d} days: {}", pct_short(y / 100.0)), (at.0 + 13, row), label_font.clone()))
            .map_err(s)?;
    }
    let top = chart.backend_coord(&(store, y_max));
    root.draw(&Text::new(
        format!("your store: {}", usd_short(store)),
        (top.0 + 8, top.1 + 8),
        ("sans-serif", 20).into_font().style(FontStyle::Bold).color(&marker).pos(Pos::new(HPos::Left, VPos::Top)),
    ))
    .map_err(s)?;
    legend(&mut chart, SeriesLabelPosition::UpperRight, 17)
}

/// (b) Power against true lift for the store being discussed: analytic
/// curves and simulated points with ±2 Monte Carlo SE bars.
fn power_curve<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Frontier) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(s)?;
    let cfg = &f.config;
    let (h, days, revenue) = (cfg.holdouts[0], f.check_days as f64, f.annual_revenue_usd);
    let mde = rel_mde(&f.pilot, 1, revenue, days, h, false, cfg.alpha, cfg.power).map_err(s)?;
    let x_max = 100.0 * mde * 2.2;
    let subtitle = format!(
        "Power against the true lift, {}-day test (alpha {}): analytic lines, simulated points ± 2 Monte Carlo SE",
        f.check_days, cfg.alpha
    );
    let body = titled(root, &title("margin per session and revenue per visitor", f), &subtitle)?;
    let mut chart = ChartBuilder::on(&body)
        .margin(25)
        .margin_top(5)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..x_max, 0f64..100.0)
        .map_err(s)?;
    chart
        .configure_mesh()
        .x_desc("true relative lift")
        .y_desc("power: share of tests significant")
        .x_labels(12)
        .y_labels(11)
        .x_label_formatter(&|v| format!("{}%", sig(*v, 2).trim_end_matches(".0")))
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
    let lines: Vec<Line> = CHECKED
        .iter()
        .enumerate()
        .map(|(i, &(m, cuped))| Line {
            points: (0..=200)
                .map(|j| {
                    let lift = x_max / 100.0 * j as f64 / 200.0;
                    let p = crate::frontier::analytic_power(&f.pilot, m, revenue, days, h, cuped, lift, cfg.alpha);
                    (100.0 * lift, 100.0 * p)
                })
                .collect(),
            color: PALETTE[i],
            width: 3,
            dashed: false,
            label: format!("{}: analytic", METRICS[i]),
            name: Some(METRICS[i].to_string()),
        })
        .collect();
    draw_lines(&mut chart, &lines)?;
    for (i, name) in METRICS.iter().enumerate().take(CHECKED.len()) {
        let color = PALETTE[i];
        let points: Vec<_> = f.power_curve.iter().filter(|p| p.metric == *name).collect();
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
    legend(&mut chart, SeriesLabelPosition::LowerRight, 17)
}

/// (c) Relative MDE against test duration for the store being discussed.
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
    // Each metric in its own colour, its CUPED line in a lighter one.
    let colors = [(PALETTE[0], RGBColor(110, 170, 240)), (PALETTE[1], RGBColor(240, 140, 120))];
    let mut lines: Vec<Line> = [(0, false), (0, true), (1, false), (1, true)]
        .into_iter()
        .map(|(m, cuped)| Line {
            points: curve(m, cuped),
            color: if cuped { colors[m].1 } else { colors[m].0 },
            width: if cuped { 3 } else { 4 },
            dashed: false,
            label: format!("{}{}", FRONTIER_METRICS[m], if cuped { ", CUPED" } else { "" }),
            name: None,
        })
        .collect();
    let (y_min, y_max) = log_y_range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
    let subtitle = format!(
        "Smallest detectable lift against test duration (power {}, alpha {}, log scale)",
        pct_short(cfg.power),
        cfg.alpha
    );
    let body = titled(root, &title("margin per session and revenue per visitor", f), &subtitle)?;
    let mut chart = ChartBuilder::on(&body)
        .margin(25)
        .margin_top(5)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..x_max, (y_min..y_max).log_scale().with_key_points(log_ticks(y_min, y_max)))
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
    bands(&mut chart, (0.0, x_max), 100.0)?;
    let target = 100.0 * cfg.target_lift;
    lines.push(Line {
        points: vec![(0.0, target), (x_max, target)],
        color: BLACK,
        width: 2,
        dashed: false,
        label: format!("target lift {}", pct_short(cfg.target_lift)),
        name: None,
    });
    draw_lines(&mut chart, &lines)?;
    legend(&mut chart, SeriesLabelPosition::UpperRight, 17)
}
