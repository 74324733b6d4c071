//! The audit's plot, as SVG text or PNG and SVG files: the probability of a wrong decision by
//! rule and store size, one panel per true lift, with ±2 Monte Carlo SE bars.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{legend, s, titled};
use super::format::{pct_short, usd_short};
use super::plot::{draw_svg, write_plot};
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

/// Draws the audit plot and returns the SVG text (1200×800, with a
/// `viewBox`, ready to inline in HTML): the probability of a wrong decision
/// by rule and store size, one panel per true lift (at most 3). `audits`
/// holds one audit per store size (x axis, in order), each with the same
/// lifts. The title names the metric and the store sizes.
///
/// # Errors
/// [`Error::Plot`] if there is nothing to draw or the plot cannot be drawn.
pub fn audit_svg(audits: &[Audit]) -> Result<String> {
    let err = |message: String| Error::Plot { path: AUDIT_PLOT_NAME.into(), message };
    if audits.is_empty() || audits[0].config.lifts.is_empty() {
        return Err(err("no audit to draw".into()));
    }
    draw_svg(|root| draw(root, audits)).map_err(err)
}

/// Writes the audit plot ([`audit_svg`]) into `dir` (created if missing) as
/// `audit_wrong_decisions.svg` and `.png` (the PNG rasterized from the SVG)
/// and returns the paths.
///
/// # Errors
/// [`Error::Io`] if `dir` cannot be created or a file written;
/// [`Error::Plot`] as [`audit_svg`].
pub fn audit_plot(audits: &[Audit], dir: &Path) -> Result<Vec<PathBuf>> {
    let svg = audit_svg(audits)?;
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    let mut written = Vec::new();
    for ext in ["svg", "png"] {
        let path = dir.join(format!("{AUDIT_PLOT_NAME}.{ext}"));
        write_plot(&svg, &path)?;
        written.push(path);
    }
    Ok(written)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, audits: &[Audit]) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(s)?;
    let fee = audits[0].fee_usd_per_month;
    let (first, last) = (audits[0].annual_revenue_usd, audits[audits.len() - 1].annual_revenue_usd);
    let stores = if audits.len() == 1 {
        format!("{} a year store", usd_short(first))
    } else {
        format!("{} to {} a year stores", usd_short(first), usd_short(last))
    };
    let title = format!("Keep or remove on contribution margin per session — {stores}");
    let subtitle = format!(
        "How often each decision rule gets it wrong ({} simulated tests per point, ± 2 MC SE{})",
        audits[0].config.replicates,
        if fee > 0.0 { format!(", fee ${fee:.0}/month") } else { String::new() }
    );
    let body = titled(root, &title, &subtitle)?;
    let lifts = audits[0].config.lifts.clone();
    let panels = body.split_evenly((1, lifts.len().min(3)));
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
        legend(&mut chart, SeriesLabelPosition::UpperRight, 16)?;
    }
    Ok(())
}
