//! Planning from a dated file (`plan --from FILE --date-col COL`): the
//! unique units and the per-unit variance after `d` days are measured in
//! the data, not assumed — units that come back count once, and their
//! metric accumulates.

use serde::Serialize;

use super::pilot::{rel_mde_at, rel_se_at};
use super::{PlanConfig, PlanRow};
use crate::error::{Error, Result, check_open_unit, check_positive};
use crate::io::dated::DatedTable;
use crate::report::format::{days as fmt_days, pct_short};
use crate::stats::{self, Moments};
use crate::weekly::snapshots;

/// A plan measured from a dated file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatedPlan {
    /// The file.
    pub file: String,
    /// The metric (a column or `NUM/DEN`).
    pub metric: String,
    /// Whose per-unit variance: `"control rows \"LABEL\""` or `"all rows"`.
    pub rows_used: String,
    /// Days the data spans (first to last date, both included).
    pub span_days: u32,
    /// Settings.
    pub config: PlanConfig,
    /// One row per asked duration within the span; `n_control`/`n_treatment`
    /// split the units seen by then by the holdout.
    pub rows: Vec<PlanRow>,
    /// Asked durations beyond the span (not extrapolated).
    pub beyond_span: Vec<f64>,
    /// Whole days until the target lift is detectable, if within the span.
    pub days_to_detect: Option<u32>,
    /// One sentence in plain words.
    pub verdict: String,
}

/// Plans a holdout on the units of a dated file: at day `d` of the data,
/// `U(d)` = the units seen so far (all arms) and the per-unit mean and sd of
/// the metric on their rows so far (control's when `control` is given),
/// then the relative MDE of [`rel_mde_at`] with `U(d)` units split by the
/// holdout.
///
/// # Formula
/// Plain metric: `rel_sd = s_y/ȳ`. Ratio metric `Σy/Σx` per unit:
/// `rel_sd = √(n·Var(R̂))/R̂` with `Var(R̂)` the delta-method variance
/// ([`stats::ratio_estimate`]). `MDE(d) = k·rel_sd(d)·√(1/(h·U(d)) +
/// (1 + MDE)/((1 − h)·U(d)))`, `k = z_{1−α/2} + z_power`.
///
/// # Errors
/// As [`super::plan`] for the settings; [`Error::Degenerate`] when a
/// duration's units have no variance or a non-positive mean;
/// [`Error::EmptyArm`] with fewer than 2 units by the first day.
pub fn dated_plan(data: &DatedTable, control: Option<u32>, config: &PlanConfig) -> Result<DatedPlan> {
    check_open_unit("--holdout", config.holdout)?;
    let k = stats::mde_multiplier(config.alpha, config.power)?;
    for &d in &config.days {
        check_positive("--days", d)?;
        crate::limits::check_days("--days", d)?;
    }
    let lift = config.target_lift.unwrap_or(0.03);
    check_positive("--target-lift", lift)?;
    let first = *data.day_of_row.iter().min().ok_or_else(|| Error::EmptyArm {
        arm: "calibration rows".into(),
        segment: None,
        n: 0,
    })?;
    let last = *data.day_of_row.iter().max().expect("non-empty");
    let span =
        u32::try_from(last - first + 1).map_err(|_| Error::invalid("--date-col", last - first, "a span of days"))?;
    if span > 36_500 {
        return Err(Error::invalid("--date-col", span, "dates spanning at most 100 years"));
    }
    let looks: Vec<i64> = (0..span as i64).map(|d| first + d).collect();
    let snaps = snapshots(data, &looks)?;
    let t = &data.table;
    let ratio = t.denominators[0].is_some();
    let metric = t.metric_names[0].clone();
    // Per day of the data: (units, rel_sd, mean).
    let per_day: Vec<Option<(f64, f64, f64)>> = snaps
        .iter()
        .map(|arms| {
            let arms = &arms[0];
            let units: f64 = arms.iter().map(|m| m.n() as f64).sum();
            let m = match control {
                Some(c) => arms[c as usize],
                None => arms.iter().fold(Moments::new(), |mut acc, m| {
                    acc.merge(m);
                    acc
                }),
            };
            if m.n() < 2 {
                return None;
            }
            let (mean, sd) = if ratio {
                let est = stats::ratio_estimate(&m).ok()?;
                (est.mean, (est.var_of_mean * est.n).sqrt())
            } else {
                (m.mean(), m.var().sqrt())
            };
            (mean > 0.0 && sd > 0.0 && sd.is_finite()).then_some((units, sd / mean, mean))
        })
        .collect();
    let at = |d: u32| per_day.get(d as usize - 1).copied().flatten();
    let h = config.holdout;
    let mut rows = Vec::new();
    let mut beyond_span = Vec::new();
    for &days in &config.days {
        let d = days.ceil() as u32;
        if d > span {
            beyond_span.push(days);
            continue;
        }
        let Some((units, rel_sd, mean)) = at(d.max(1)) else {
            return Err(Error::Degenerate {
                metric: metric.clone(),
                message: format!(
                    "after {} days the units have no variance or a mean that is not positive",
                    fmt_days(days)
                ),
            });
        };
        let rel = rel_mde_at(rel_sd, units, h, k);
        rows.push(PlanRow {
            days,
            n_control: (h * units).round(),
            n_treatment: ((1.0 - h) * units).round(),
            mde: rel * mean,
            rel_mde: rel,
            mde_cuped: None,
            rel_mde_cuped: None,
            power_at_target: Some(stats::power_at(lift, rel_se_at(rel_sd, units, h, lift), config.alpha)),
        });
    }
    let days_to_detect =
        (1..=span).find(|&d| at(d).is_some_and(|(units, rel_sd, _)| rel_mde_at(rel_sd, units, h, k) <= lift));
    let l = pct_short(lift);
    let verdict = match days_to_detect {
        Some(d) => format!(
            "a {l} lift in {metric} needs {} days of this traffic (measured, units counted once)",
            fmt_days(d as f64)
        ),
        None => {
            let best = at(span).map(|(units, rel_sd, _)| rel_mde_at(rel_sd, units, h, k));
            format!(
                "no duration within the data's {} days detects a {l} lift in {metric} (the MDE after {} days is {}); \
                 longer tests are not extrapolated",
                fmt_days(span as f64),
                fmt_days(span as f64),
                best.map(pct_short).unwrap_or_else(|| "undefined".into())
            )
        }
    };
    Ok(DatedPlan {
        file: t.path.display().to_string(),
        metric,
        rows_used: match control {
            Some(c) => format!("control rows {:?}", t.arms[c as usize]),
            None => "all rows".into(),
        },
        span_days: span,
        config: config.clone(),
        rows,
        beyond_span,
        days_to_detect,
        verdict,
    })
}
