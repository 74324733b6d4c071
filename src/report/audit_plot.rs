//! The audit's plot, as PNG and SVG: the probability of a wrong decision by
//! rule and store size, one panel per true lift, with ±2 Monte Carlo SE bars.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::format::{pct_short, usd_short};
use super::plot::{PLOT_SIZE, register_fonts};
use crate::audit::{Audit, Rule};
use crate::error::{Error, Result};

const PALETTE: [RGBColor; 5] = [
    RGBColor(200, 60, 50),
    RGBColor(230, 120, 20),
    RGBColor(140, 60, 160),
    RGBColor(90, 90, 90),
    RGBColor(31, 90, 180),
];

/// File name (without extension) of the audit plot.
pub const AUDIT_PLOT_NAME: &str = "audit_wrong_decisions";

fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Writes the audit plot into `dir` (created if missing) as
/// `audit_wrong_decisions.png` and `.svg` (1200×800) and returns the paths.
/// `audits` holds one audit per store size (x axis, in order), each with
/// the same lifts (one panel per lift, at most 3).
///
/// # Errors
/// [`Error::Io`] if `dir` cannot be created; [`Error::Plot`] if there is
/// nothing to draw or a file cannot be drawn or written.
pub fn audit_plot(audits: &[Audit], dir: &Path) -> Result<Vec<PathBuf>> {
    register_fonts();
    std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    let svg = dir.join(format!("{AUDIT_PLOT_NAME}.svg"));
    if audits.is_empty() || audits[0].config.lifts.is_empty() {
        return Err(Error::Plot { path: svg, message: "no audit to draw".into() });
    }
    let result = {
        let root = SVGBackend::new(&svg, PLOT_SIZE).into_drawing_area();
        draw(&root, audits).and_then(|_| root.present().map_err(s))
    };
    result.map_err(|message| Error::Plot { path: svg.clone(), message })?;
    let png = dir.join(format!("{AUDIT_PLOT_NAME}.png"));
    let result = {
        let root = BitMapBackend::new(&png, PLOT_SIZE).into_drawing_area();
        draw(&root, audits).and_then(|_| root.present().map_err(s))
    };
    result.map_err(|message| Error::Plot { path: png.clone(), message })?;
    Ok(vec![svg, png])
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, audits: &[Audit]) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(s)?;
    let fee = audits[0].fee_usd_per_month;
    let title = format!(
        "How often each decision rule gets it wrong, by store size ({} tests per point{})",
        audits[0].config.replicates,
        if fee > 0.0 { format!(", fee ${fee:.0}/month") } else { String::new() }
    );
    let root = root.titled(&title, ("sans-serif", 26)).map_err(s)?;
    let lifts = audits[0].config.lifts.clone();
    let panels = root.split_evenly((1, lifts.len().min(3)));
    for (p, (panel, &lift)) in panels.iter().zip(&lifts).enumerate() {
        draw_panel(panel, audits, p, lift, p == 0)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    audits: &[Audit],
    lift_index: usize,
    lift: f64,
    with_legend: bool,
) -> std::result::Result<(), String> {
    let n = audits.len();
    let names: Vec<String> = audits.iter().map(|a| usd_short(a.annual_revenue_usd)).collect();
    let caption = if lift == 0.0 {
        "true lift 0%: keeping is wrong (at no cost without a fee)".to_string()
    } else {
        format!("true lift {}: removing is wrong (if V > 0)", pct_short(lift))
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(75)
        .build_cartesian_2d(-0.4f64..(n as f64 - 0.6), 0f64..100.0)
        .map_err(s)?;
    chart
        .configure_mesh()
        .x_desc("store (annual revenue)")
        .y_desc("P(wrong decision) (%)")
        .x_labels(n)
        .x_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| format!("{v:.0}%"))
        .label_style(("sans-serif", 17))
        .axis_desc_style(("sans-serif", 19))
        .draw()
        .map_err(s)?;
    let per_lift = Rule::ALL.len();
    for (k, rule) in Rule::ALL.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        // Small horizontal offsets keep the rules' error bars apart.
        let dx = (k as f64 - 2.0) * 0.05;
        let points: Vec<(f64, f64, f64)> = audits
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                a.rows
                    .get(lift_index * per_lift + k)
                    .filter(|r| r.rule == *rule)
                    .map(|r| (i as f64 + dx, 100.0 * r.p_wrong, 200.0 * r.p_wrong_se))
            })
            .collect();
        let width = if *rule == Rule::LiftlabRecommended { 4 } else { 2 };
        let series = chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), color.stroke_width(width)))
            .map_err(s)?;
        if with_legend {
            series
                .label(rule.id())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(width)));
        }
        chart
            .draw_series(points.iter().map(|&(x, y, e)| {
                PathElement::new(vec![(x, (y - e).max(0.0)), (x, (y + e).min(100.0))], color.stroke_width(2))
            }))
            .map_err(s)?;
        chart.draw_series(points.iter().map(|&(x, y, _)| Circle::new((x, y), 5, color.filled()))).map_err(s)?;
    }
    if with_legend {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(s)?;
    }
    Ok(())
}
