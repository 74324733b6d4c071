//! The owner report's figures as SVG strings, for inline embedding: the
//! measurability frontier with the store marked, horizontal bar charts
//! (the vendor's claim against the truth; the audit's wrong decisions) and
//! the rules-vs-model break-even curve.
//!
//! Kept apart from the page so that the frontier figure can be swapped for
//! the shared SVG-string plots of `report::frontier_plot` once they exist.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::chart::{legend, log_ticks};
use super::format::usd_short;
use super::html::escape;
use super::plot::register_fonts;
use crate::compare::Comparison;
use crate::error::{Error, Result};

/// Size of the line charts, in SVG user units (the `viewBox`).
pub const CHART_SIZE: (u32, u32) = (960, 560);

const GREEN: RGBColor = RGBColor(46, 139, 87);
const ORANGE: RGBColor = RGBColor(230, 120, 20);
const BLUE: RGBColor = RGBColor(31, 90, 180);
const RED: RGBColor = RGBColor(200, 60, 50);
const GREY: RGBColor = RGBColor(120, 120, 120);
const PALETTE: [RGBColor; 6] = [BLUE, RED, GREEN, RGBColor(140, 60, 160), ORANGE, GREY];

fn plot_error(message: String) -> Error {
    Error::Plot { path: "(inline SVG of the owner report)".into(), message }
}

/// One line of the frontier figure: days of testing needed to detect a
/// relative lift, by annual revenue.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DaysCurve {
    /// The relative lift (a fraction).
    pub lift: f64,
    /// `(annual revenue USD, days)`; `None` where more than the horizon.
    pub points: Vec<(f64, Option<u32>)>,
}

/// The frontier: days needed against annual revenue (both log scales), one
/// line per lift (plausible lifts green, vendor-claimed orange), 30- and
/// 90-day references, and the store marked with its days per lift.
///
/// # Errors
/// [`Error::Plot`] if plotters fails to draw.
pub fn frontier_svg(
    curves: &[DaysCurve],
    store_revenue: f64,
    store_days: &[(f64, Option<u32>)],
    horizon_days: u32,
) -> Result<String> {
    register_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        draw_frontier(&root, curves, store_revenue, store_days, horizon_days).map_err(plot_error)?;
        root.present().map_err(|e| plot_error(e.to_string()))?;
    }
    Ok(svg)
}

fn draw_frontier<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    curves: &[DaysCurve],
    store_revenue: f64,
    store_days: &[(f64, Option<u32>)],
    horizon_days: u32,
) -> std::result::Result<(), String> {
    let s = |e: plotters::drawing::DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(s)?;
    let revenues = curves.iter().flat_map(|c| c.points.iter().map(|p| p.0));
    let (x_lo, x_hi) = revenues.fold((store_revenue, store_revenue), |(lo, hi), r| (lo.min(r), hi.max(r)));
    let y_hi = horizon_days as f64 * 1.4;
    let mut chart = ChartBuilder::on(root)
        .margin(18)
        .x_label_area_size(56)
        .y_label_area_size(84)
        .build_cartesian_2d(
            (x_lo * 0.9..x_hi * 1.1).log_scale().with_key_points(log_ticks(x_lo, x_hi)),
            (1.0..y_hi).log_scale().with_key_points(log_ticks(1.0, y_hi)),
        )
        .map_err(s)?;
    chart
        .configure_mesh()
        .x_desc("annual revenue (USD, log scale)")
        .y_desc("days of testing needed (log scale)")
        .x_label_formatter(&|v| usd_short(*v))
        .y_label_formatter(&|v| format!("{v}"))
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(s)?;
    let (lo, hi) = (x_lo * 0.9, x_hi * 1.1);
    for (days, label) in [(30.0, "30 days"), (90.0, "90 days"), (horizon_days as f64, "2 years: the horizon searched")]
    {
        chart.draw_series(DashedLineSeries::new([(lo, days), (hi, days)], 6, 5, GREY.stroke_width(1))).map_err(s)?;
        chart
            .draw_series(std::iter::once(Text::new(
                label.to_string(),
                (lo * 1.05, days * 1.3),
                ("sans-serif", 14).into_font().color(&GREY),
            )))
            .map_err(s)?;
    }
    for (i, c) in curves.iter().enumerate() {
        let color = if c.lift >= 0.1 { ORANGE } else { GREEN };
        let style = color.stroke_width(if i % 2 == 0 { 3 } else { 2 });
        let pts: Vec<(f64, f64)> = c.points.iter().filter_map(|&(r, d)| d.map(|d| (r, d.max(1) as f64))).collect();
        let label = format!(
            "a {} lift{}",
            super::format::pct_short(c.lift),
            if c.lift >= 0.1 { " (vendor claim)" } else { "" }
        );
        chart
            .draw_series(LineSeries::new(pts.clone(), style))
            .map_err(s)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
        if let Some(&(r, d)) = pts.first() {
            chart.draw_series(std::iter::once(Circle::new((r, d), 3, color.filled()))).map_err(s)?;
        }
    }
    chart
        .draw_series(LineSeries::new([(store_revenue, 1.0), (store_revenue, y_hi)], BLACK.stroke_width(2)))
        .map_err(s)?
        .label(format!("this store ({}/year)", usd_short(store_revenue)))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(2)));
    for &(lift, days) in store_days {
        if let Some(d) = days {
            let d = d.max(1) as f64;
            chart.draw_series(std::iter::once(Circle::new((store_revenue, d), 5, BLACK.filled()))).map_err(s)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{}: {} days", super::format::pct_short(lift), super::format::days(d)),
                    (store_revenue * 1.08, d * 1.04),
                    ("sans-serif", 15).into_font(),
                )))
                .map_err(s)?;
        }
    }
    legend(&mut chart, SeriesLabelPosition::LowerLeft, 15)?;
    Ok(())
}

/// One bar of a horizontal bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Label left of the bar.
    pub label: String,
    /// Value (bars start at 0; negative values extend left).
    pub value: f64,
    /// Text printed at the bar's end.
    pub value_text: String,
    /// Fill colour, `#rrggbb`.
    pub color: &'static str,
}

/// A horizontal bar chart as SVG: labels on the left, bars from a zero
/// line, each bar's value printed at its end and the axis unit below.
pub fn bars_svg(bars: &[Bar], axis_label: &str) -> String {
    let (width, label_w, row_h, top) = (960.0, 330.0, 46.0, 16.0);
    let height = top + row_h * bars.len() as f64 + 56.0;
    let lo = bars.iter().map(|b| b.value).fold(0.0, f64::min);
    let hi = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    // Room for the value text at both ends.
    let (plot_lo, plot_hi) = (label_w + if lo < 0.0 { 110.0 } else { 10.0 }, width - 120.0);
    let x = |v: f64| plot_lo + (v - lo) / span * (plot_hi - plot_lo);
    let mut out = format!(
        "<svg viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"16\">\n\
         <rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n"
    );
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let (x0, x1) = (x(0.0).min(x(b.value)), x(0.0).max(x(b.value)));
        let _ = writeln!(
            out,
            "<text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\" fill=\"#1d2330\">{label}</text>\n\
             <rect x=\"{x0:.1}\" y=\"{ry}\" width=\"{w:.1}\" height=\"{rh}\" fill=\"{color}\"/>\n\
             <text x=\"{vx:.1}\" y=\"{ty}\" text-anchor=\"{anchor}\" fill=\"#1d2330\">{value}</text>",
            tx = label_w - 10.0,
            ty = y + row_h / 2.0 + 5.0,
            label = escape(&b.label),
            ry = y + 8.0,
            w = (x1 - x0).max(1.0),
            rh = row_h - 16.0,
            color = b.color,
            vx = if b.value < 0.0 { x0 - 6.0 } else { x1 + 6.0 },
            anchor = if b.value < 0.0 { "end" } else { "start" },
            value = escape(&b.value_text),
        );
    }
    let bottom = top + row_h * bars.len() as f64;
    let _ = writeln!(
        out,
        "<line x1=\"{z:.1}\" y1=\"{top}\" x2=\"{z:.1}\" y2=\"{bottom}\" stroke=\"#1d2330\" stroke-width=\"1.5\"/>\n\
         <line x1=\"{plot_lo:.1}\" y1=\"{bottom}\" x2=\"{plot_hi:.1}\" y2=\"{bottom}\" stroke=\"#9aa1ad\"/>\n\
         <text x=\"{mid:.1}\" y=\"{ly}\" text-anchor=\"middle\" fill=\"#5a6272\">{axis}</text>\n</svg>",
        z = x(0.0),
        mid = (plot_lo + plot_hi) / 2.0,
        ly = bottom + 36.0,
        axis = escape(axis_label),
    );
    out
}

/// The break-even figure: model minus rules, contribution margin after
/// fees (USD/month), against annual revenue on a log axis, one line per fee
/// with its 90% band, a zero line and the store marked.
///
/// # Errors
/// [`Error::Plot`] if the sweep is empty or plotters fails to draw.
pub fn break_even_svg(c: &Comparison) -> Result<String> {
    if c.sweep.is_empty() {
        return Err(plot_error("the comparison has no sweep to draw".into()));
    }
    register_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        draw_break_even(&root, c).map_err(plot_error)?;
        root.present().map_err(|e| plot_error(e.to_string()))?;
    }
    Ok(svg)
}

fn draw_break_even<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    c: &Comparison,
) -> std::result::Result<(), String> {
    let s = |e: plotters::drawing::DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(s)?;
    let mut fees: Vec<f64> = c.sweep.iter().map(|p| p.fee_usd_per_month).collect();
    fees.sort_by(f64::total_cmp);
    fees.dedup();
    let revenues = c.sweep.iter().map(|p| p.annual_revenue_usd).chain([c.annual_revenue_usd]);
    let (x_lo, x_hi) = revenues.fold((f64::INFINITY, 0.0f64), |(lo, hi), r| (lo.min(r), hi.max(r)));
    let ys =
        c.sweep.iter().flat_map(|p| [p.model_minus_rules_usd_per_month.low, p.model_minus_rules_usd_per_month.high]);
    let (y_lo, y_hi) = ys.fold((0.0f64, 0.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let pad = (y_hi - y_lo).max(1.0) * 0.08;
    let mut chart = ChartBuilder::on(root)
        .margin(18)
        .x_label_area_size(56)
        .y_label_area_size(96)
        .build_cartesian_2d(
            (x_lo * 0.9..x_hi * 1.1).log_scale().with_key_points(log_ticks(x_lo, x_hi)),
            (y_lo - pad)..(y_hi + pad),
        )
        .map_err(s)?;
    chart
        .configure_mesh()
        .x_desc("annual revenue (USD, log scale)")
        .y_desc("model minus rules after fees (USD/month)")
        .x_label_formatter(&|v| usd_short(*v))
        .y_label_formatter(&|v| usd_short(*v))
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(s)?;
    let (lo, hi) = (x_lo * 0.9, x_hi * 1.1);
    chart.draw_series(LineSeries::new([(lo, 0.0), (hi, 0.0)], BLACK.stroke_width(2))).map_err(s)?;
    for (i, &fee) in fees.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let mut pts: Vec<_> = c.sweep.iter().filter(|p| p.fee_usd_per_month == fee).collect();
        pts.sort_by(|a, b| a.annual_revenue_usd.total_cmp(&b.annual_revenue_usd));
        let band: Vec<(f64, f64)> = pts
            .iter()
            .map(|p| (p.annual_revenue_usd, p.model_minus_rules_usd_per_month.high))
            .chain(pts.iter().rev().map(|p| (p.annual_revenue_usd, p.model_minus_rules_usd_per_month.low)))
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.12).filled()))).map_err(s)?;
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.annual_revenue_usd, p.model_minus_rules_usd_per_month.mean)),
                color.stroke_width(3),
            ))
            .map_err(s)?
            .label(format!("fee {}/month", usd_short(fee)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
    }
    let store = c.model_minus_rules_usd_per_month.mean;
    chart
        .draw_series(std::iter::once(Circle::new((c.annual_revenue_usd, store), 7, BLACK.filled())))
        .map_err(s)?
        .label(format!(
            "this store ({}/year, fee {}/month)",
            usd_short(c.annual_revenue_usd),
            usd_short(c.model.fee_usd_per_month)
        ))
        .legend(|(x, y)| Circle::new((x + 12, y), 5, BLACK.filled()));
    legend(&mut chart, SeriesLabelPosition::UpperLeft, 15)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frontier_is_an_svg_with_a_viewbox_and_units() {
        let curves = vec![
            DaysCurve { lift: 0.03, points: vec![(1e6, None), (4e6, Some(300)), (1.6e7, Some(60))] },
            DaysCurve { lift: 0.12, points: vec![(1e6, Some(40)), (4e6, Some(9)), (1.6e7, Some(2))] },
        ];
        let svg = frontier_svg(&curves, 1.2e6, &[(0.12, Some(351))], 730).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 960 560\""), "{}", &svg[..200]);
        assert!(svg.contains("annual revenue (USD, log scale)") && svg.contains("days of testing needed"));
        assert!(svg.contains("this store ($1.2M/year)") && svg.contains("12%: 351 days"));
    }

    #[test]
    fn bars_escape_labels_and_extend_both_ways() {
        let bars = [
            Bar { label: "a <b>".into(), value: 100.0, value_text: "$100".into(), color: "#1f5ab4" },
            Bar { label: "c".into(), value: -50.0, value_text: "-$50".into(), color: "#c83c32" },
        ];
        let svg = bars_svg(&bars, "USD over 30 days");
        assert!(svg.contains("a &lt;b&gt;") && svg.contains("USD over 30 days") && svg.contains("viewBox"));
        assert_eq!(svg.matches("<rect").count(), 3);
    }
}
