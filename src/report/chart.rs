//! What every liftlab plot shares: a two-line title, log-axis ticks a
//! reader can read ($250k, $1M… and 1%, 2%, 5%…), and lines drawn so that
//! none hides another.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::format::{pct_short, usd_short};

/// Height of the title block (title and subtitle), pixels.
const TITLE_HEIGHT: u32 = 80;

/// Closer than this, in pixels, two lines are drawn as one.
const COINCIDE_PX: f64 = 4.0;

/// A plotting error as text (plotters' errors are generic over the backend).
pub(crate) fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws `title` (the metric and the store) and `subtitle` (what the plot
/// shows) centred at the top of `root` and returns the area below them.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    let (head, body) = root.split_vertically(TITLE_HEIGHT);
    let centre = head.dim_in_pixel().0 as i32 / 2;
    let top = Pos::new(HPos::Center, VPos::Top);
    head.draw(&Text::new(title.to_string(), (centre, 14), ("sans-serif", 28).into_font().color(&BLACK).pos(top)))
        .map_err(s)?;
    head.draw(&Text::new(
        subtitle.to_string(),
        (centre, 52),
        ("sans-serif", 19).into_font().color(&RGBColor(70, 70, 70)).pos(top),
    ))
    .map_err(s)?;
    Ok(body)
}

/// Tick values for a log axis over `[lo, hi]`: 1, 2 and 5 times each power
/// of ten within it (finer steps when that gives fewer than four), plus a
/// round end of the range ($250k) that no tick is near.
///
/// ```text
/// [250k, 100M] → 250k, 500k, 1M, 2M, 5M, 10M, 20M, 50M, 100M
/// ```
pub(crate) fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Vec::new();
    }
    let steps: [&[f64]; 3] =
        [&[1.0, 2.0, 5.0], &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]];
    let mut ticks = Vec::new();
    for mantissas in steps {
        ticks.clear();
        let first = lo.log10().floor() as i32;
        let last = hi.log10().ceil() as i32;
        for e in first..=last {
            for m in mantissas {
                let v = m * 10f64.powi(e);
                if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                    ticks.push(v);
                }
            }
        }
        if ticks.len() >= 4 {
            break;
        }
    }
    for end in [lo, hi] {
        let round = super::format::sig(end, 2).parse::<f64>().is_ok_and(|r| (r - end).abs() <= 1e-9 * end);
        let alone = ticks.iter().all(|t| (t / end).max(end / t) > 1.3);
        if round && alone {
            ticks.push(end);
        }
    }
    ticks.sort_by(f64::total_cmp);
    ticks
}

/// The 1–2–5 value at or below `x` (`0.73` → `0.5`).
pub(crate) fn nice_floor(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [5.0, 2.0, 1.0].iter().map(|m| m * p).find(|v| *v <= x * (1.0 + 1e-9)).unwrap_or(p)
}

/// The 1–2–5 value at or above `x` (`130` → `200`).
pub(crate) fn nice_ceil(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|v| *v >= x * (1.0 - 1e-9)).unwrap_or(10.0 * p)
}

/// Draws the chart's legend at `position` with labels of `font_px` pixels,
/// on a white, framed box.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
    font_px: u32,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(("sans-serif", font_px))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(s)
}

/// A tick on a percent axis whose values are already in percent
/// (`5.0` → `5%`, `0.5` → `0.5%`).
pub(crate) fn pct_tick(v: &f64) -> String {
    pct_short(*v / 100.0)
}

/// A tick on a dollar axis (`250000` → `$250k`, `1e6` → `$1M`).
pub(crate) fn usd_tick(v: &f64) -> String {
    usd_short(*v)
}

/// One line of a chart.
pub(crate) struct Line {
    /// Points, in data coordinates, in x order.
    pub points: Vec<(f64, f64)>,
    /// Colour.
    pub color: RGBColor,
    /// Stroke width, pixels.
    pub width: u32,
    /// Drawn dashed whatever it overlaps.
    pub dashed: bool,
    /// Legend label.
    pub label: String,
    /// What the legend calls this line when another lies on it (the label
    /// when `None`).
    pub name: Option<String>,
}

/// How a line is finally drawn.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Stroke {
    Solid,
    /// Dash and gap lengths, pixels.
    Dashed(u32, u32),
}

/// Where the lines are too close to tell apart, in pixels.
fn coincide(a: &[(i32, i32)], b: &[(i32, i32)]) -> bool {
    if a.len() < 2 || b.is_empty() {
        return false;
    }
    let mut near = 0usize;
    let mut shared = 0usize;
    for &(x, y) in b {
        let i = a.partition_point(|p| p.0 < x);
        if i == 0 && a[0].0 > x || i == a.len() {
            continue;
        }
        let ya = if a[i].0 == x || i == 0 {
            a[i].1 as f64
        } else {
            let (p, q) = (a[i - 1], a[i]);
            p.1 as f64 + (q.1 - p.1) as f64 * (x - p.0) as f64 / (q.0 - p.0) as f64
        };
        shared += 1;
        if (ya - y as f64).abs() <= COINCIDE_PX {
            near += 1;
        }
    }
    // Half the shared stretch: lines that only meet where every curve
    // meets (power 5% at no lift, 100% at a large one) stay solid.
    shared > 0 && near * 2 >= shared
}

/// Decides how each line is drawn so that none hides another: solid lines
/// first, then dashed ones; a line that lies on an earlier one is dashed
/// (with a different pattern when that one is dashed too) and its label
/// says which it coincides with. `to_px` maps data to pixels. Returns the
/// drawing order as (index into `lines`, stroke, final label).
pub(crate) fn layout(lines: &[Line], to_px: impl Fn(&(f64, f64)) -> (i32, i32)) -> Vec<(usize, Stroke, String)> {
    let mut order: Vec<usize> = (0..lines.len()).filter(|&i| !lines[i].dashed).collect();
    order.extend((0..lines.len()).filter(|&i| lines[i].dashed));
    let px: Vec<Vec<(i32, i32)>> = lines
        .iter()
        .map(|l| {
            let mut p: Vec<(i32, i32)> = l.points.iter().map(&to_px).collect();
            p.sort_by_key(|q| q.0);
            p
        })
        .collect();
    let mut drawn: Vec<(usize, Stroke, String)> = Vec::new();
    for &i in &order {
        let under = drawn.iter().rev().find(|(j, _, _)| coincide(&px[*j], &px[i]));
        let (stroke, label) = match under {
            None if lines[i].dashed => (Stroke::Dashed(12, 7), lines[i].label.clone()),
            None => (Stroke::Solid, lines[i].label.clone()),
            Some((j, below, _)) => {
                let stroke = if *below == Stroke::Solid { Stroke::Dashed(12, 7) } else { Stroke::Dashed(4, 9) };
                let under = lines[*j].name.as_ref().unwrap_or(&lines[*j].label);
                (stroke, format!("{} (dashed: coincides with {under})", lines[i].label))
            }
        };
        drawn.push((i, stroke, label));
    }
    drawn
}

/// Draws `lines` on `chart` as [`layout`] decides, with legend entries.
pub(crate) fn draw_lines<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    lines: &[Line],
) -> Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let plan = layout(lines, |p| chart.backend_coord(p));
    for (i, stroke, label) in plan {
        let line = &lines[i];
        let style = line.color.stroke_width(line.width);
        let series = match stroke {
            Stroke::Solid => chart.draw_series(LineSeries::new(line.points.iter().copied(), style)).map_err(s)?,
            Stroke::Dashed(dash, gap) => {
                chart.draw_series(DashedLineSeries::new(line.points.iter().copied(), dash, gap, style)).map_err(s)?
            }
        };
        // Three pieces, touching when solid: one element type for both.
        let (d, g) = match stroke {
            Stroke::Solid => (8, 0),
            Stroke::Dashed(dash, gap) => (dash.min(6) as i32, gap.min(3) as i32),
        };
        series.label(label).legend(move |(x, y)| {
            let piece = |k: i32| PathElement::new(vec![(k * (d + g), 0), (k * (d + g) + d, 0)], style);
            EmptyElement::at((x, y)) + piece(0) + piece(1) + piece(2)
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revenue_ticks_are_the_ones_owners_read() {
        let t: Vec<String> = log_ticks(250_000.0, 100e6).iter().map(usd_tick).collect();
        assert_eq!(t, ["$250k", "$500k", "$1M", "$2M", "$5M", "$10M", "$20M", "$50M", "$100M"]);
    }

    #[test]
    fn percent_ticks_are_one_two_five() {
        let t: Vec<String> = log_ticks(0.5, 200.0).iter().map(pct_tick).collect();
        assert_eq!(t, ["0.5%", "1%", "2%", "5%", "10%", "20%", "50%", "100%", "200%"]);
        // A narrow range gets finer steps.
        assert!(log_ticks(10.0, 40.0).len() >= 4);
    }

    #[test]
    fn nice_bounds() {
        assert_eq!(nice_floor(0.73), 0.5);
        assert_eq!(nice_floor(1.0), 1.0);
        assert_eq!(nice_ceil(130.0), 200.0);
        assert_eq!(nice_ceil(600.0), 1000.0);
    }

    fn line(points: Vec<(f64, f64)>, dashed: bool, label: &str) -> Line {
        Line { points, color: BLACK, width: 2, dashed, label: label.into(), name: None }
    }

    #[test]
    fn a_line_on_another_is_dashed_and_says_so() {
        let a = line((0..50).map(|i| (i as f64, 10.0)).collect(), false, "MDE");
        let b = line((0..50).map(|i| (i as f64, 10.5)).collect(), false, "MDE with CUPED");
        let c = line((0..50).map(|i| (i as f64, 40.0)).collect(), false, "far");
        let px = |p: &(f64, f64)| ((p.0 * 10.0) as i32, (p.1 * 5.0) as i32);
        let plan = layout(&[a, b, c], px);
        assert_eq!(plan[0].1, Stroke::Solid);
        assert_eq!(plan[1].1, Stroke::Dashed(12, 7));
        assert_eq!(plan[1].2, "MDE with CUPED (dashed: coincides with MDE)");
        assert_eq!(plan[2].1, Stroke::Solid);
    }

    #[test]
    fn a_dashed_line_on_a_dashed_line_gets_another_pattern() {
        let a = line((0..50).map(|i| (i as f64, 10.0)).collect(), true, "a");
        let b = line((0..50).map(|i| (i as f64, 10.0)).collect(), true, "b");
        let plan = layout(&[a, b], |p| ((p.0 * 10.0) as i32, (p.1 * 5.0) as i32));
        assert_eq!(plan[0].1, Stroke::Dashed(12, 7));
        assert_eq!(plan[1].1, Stroke::Dashed(4, 9));
    }
}
