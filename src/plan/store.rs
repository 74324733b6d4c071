//! Planning a holdout for a store: the metrics the playbooks read, with
//! visitors (not sessions) as the randomized unit and the audience's reach
//! curve, so the plan agrees with the store's own simulation
//! (`liftlab power --mde`).

use serde::Serialize;

use super::pilot::{Pilot, PlanMetric};
use super::{PlanConfig, PlanRow};
use crate::error::{Error, Result, check_alpha, check_open_unit, check_positive};
use crate::report::format::{days as fmt_days, pct_short};
use crate::stats::sequential::{GroupSequentialDesign, Spending, group_sequential_design};
use crate::store::StoreProfile;

/// Shortest planning horizon, days: days-to-detect are searched up to the
/// longer of this and the longest duration asked for.
pub const MIN_HORIZON_DAYS: u32 = 730;

/// One metric's plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricPlan {
    /// The metric.
    pub metric: PlanMetric,
    /// One row per duration; `n_control`/`n_treatment` are expected unique
    /// visitors, `mde` is in the metric's units (USD per session or per
    /// visitor, orders per session).
    pub rows: Vec<PlanRow>,
    /// Whole days until the target lift is detectable with the requested
    /// power in one final read; `None` if not within the horizon.
    pub days_to_detect: Option<u32>,
    /// The same with CUPED on pre-period revenue.
    pub days_to_detect_cuped: Option<u32>,
    /// The same with the group-sequential design of `--looks` (its
    /// inflated duration), when one is planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_to_detect_sequential: Option<u32>,
}

/// A group-sequential design for reading the primary metric `K` times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequentialPlan {
    /// The design: boundaries, nominal p-values, α spent, inflation factor.
    pub design: GroupSequentialDesign,
    /// Days of the looks (at equal information) for the primary metric's
    /// sequential duration, when it is within the horizon.
    pub look_days: Vec<u32>,
}

/// A store's plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorePlan {
    /// Store (preset or profile name).
    pub store: String,
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Expected sessions per day.
    pub sessions_per_day: f64,
    /// Settings.
    pub config: PlanConfig,
    /// Durations searched for days-to-detect, days.
    pub horizon_days: u32,
    /// The pilot that measured per-visitor moments.
    pub pilot: Pilot,
    /// One plan per metric, the primary (margin per session) first.
    pub metrics: Vec<MetricPlan>,
    /// The group-sequential design, with `--looks`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential: Option<SequentialPlan>,
    /// One sentence in plain words, on the primary metric.
    pub verdict: String,
}

/// Plans a holdout at a store: for each [`PlanMetric`], the relative MDE,
/// visitors per arm and power at the target per duration, and the days to
/// detect the target; with `looks`, an O'Brien–Fleming-type
/// group-sequential design (Lan & DeMets 1983) and its inflated duration.
///
/// # Formula
/// [`Pilot::rel_mde`] per duration: `MDE(d) = k(α, power)·σ(d)·√(1 − ρ²)/μ(d)
/// · √(1/(h·U(d)) + 1/((1 − h)·U(d)))` with `U(d)` the reach curve's unique
/// visitors. With `K` looks at equal information the maximum information is
/// `R` times a single look's ([`GroupSequentialDesign::inflation_factor`]),
/// so the sequential MDE at `d` is `√R·MDE(d)`; look `j` is the day where
/// the information `1/SE²(d)` reaches `j/K` of the final one.
///
/// # Errors
/// As [`super::plan`] for the settings; [`Error::InvalidParameter`] for
/// `looks` of 0 or above 52; as [`Pilot::measure`].
pub fn store_plan(profile: &StoreProfile, config: &PlanConfig, looks: Option<u32>, seed: u64) -> Result<StorePlan> {
    check_open_unit("--holdout", config.holdout)?;
    check_alpha(config.alpha)?;
    check_open_unit("--power", config.power)?;
    crate::stats::mde_multiplier(config.alpha, config.power)?;
    if config.days.is_empty() {
        return Err(Error::invalid("--days", "(none)", "at least one duration in days"));
    }
    for &d in &config.days {
        check_positive("--days", d)?;
        if d > 3650.0 {
            return Err(Error::invalid("--days", d, "durations up to 3650 days (10 years)"));
        }
    }
    let lift = config.target_lift.unwrap_or(0.03);
    check_positive("--target-lift", lift)?;
    if let Some(k) = looks
        && !(1..=52).contains(&k)
    {
        return Err(Error::invalid("--looks", k, "1 to 52 looks"));
    }
    let longest = config.days.iter().copied().fold(0.0, f64::max).ceil() as u32;
    let horizon = longest.max(MIN_HORIZON_DAYS);
    let pilot = Pilot::measure(profile, seed, horizon)?;
    let design = looks
        .map(|k| {
            let info: Vec<f64> = (1..=k).map(|j| j as f64 / k as f64).collect();
            group_sequential_design(&info, config.alpha, config.power, Spending::OBrienFleming)
        })
        .transpose()?;
    let (h, alpha, power, revenue) = (config.holdout, config.alpha, config.power, profile.annual_revenue_usd);
    let metrics = PlanMetric::ALL
        .iter()
        .map(|&metric| {
            let rows = config
                .days
                .iter()
                .map(|&days| {
                    let u = pilot.visitors(revenue, days);
                    let mean = pilot.moments(metric, days).mean;
                    let rel = pilot.rel_mde(metric, revenue, days, h, false, alpha, power)?;
                    let rel_cuped = pilot.rel_mde(metric, revenue, days, h, true, alpha, power)?;
                    Ok(PlanRow {
                        days,
                        n_control: (h * u).round(),
                        n_treatment: ((1.0 - h) * u).round(),
                        mde: rel * mean,
                        rel_mde: rel,
                        mde_cuped: Some(rel_cuped * mean),
                        rel_mde_cuped: Some(rel_cuped),
                        power_at_target: Some(pilot.power(metric, revenue, days, h, false, lift, alpha)),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let detect = |cuped: bool, inflation: f64| {
                pilot.days_to_detect(metric, revenue, h, cuped, lift, alpha, power, inflation)
            };
            Ok(MetricPlan {
                metric,
                rows,
                days_to_detect: detect(false, 1.0)?,
                days_to_detect_cuped: detect(true, 1.0)?,
                days_to_detect_sequential: design
                    .as_ref()
                    .map(|d| detect(false, d.inflation_factor))
                    .transpose()?
                    .flatten(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let sequential = design.map(|design| {
        let primary = PlanMetric::MarginPerSession;
        let look_days = match metrics[0].days_to_detect_sequential {
            Some(end) => {
                let info = |d: f64| pilot.rel_se(primary, revenue, d, h, false).powi(-2);
                let k = design.bounds.len();
                (1..=k)
                    .map(|j| {
                        let want = info(end as f64) * j as f64 / k as f64;
                        (1..=end).find(|&d| info(d as f64) >= want).unwrap_or(end)
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        SequentialPlan { design, look_days }
    });
    let verdict = verdict(profile, config, lift, horizon, &pilot, &metrics[0], sequential.as_ref())?;
    Ok(StorePlan {
        store: profile.name.clone(),
        annual_revenue_usd: revenue,
        sessions_per_day: profile.sessions_per_day(),
        config: config.clone(),
        horizon_days: horizon,
        pilot,
        metrics,
        sequential,
        verdict,
    })
}

/// Relative MDE of the primary metric (margin per session), with and
/// without CUPED, for `points` durations evenly spread over `(0, max_days]`:
/// the curve of [`crate::report::plot::store_plan_plot`].
///
/// # Errors
/// As [`Pilot::rel_mde`].
pub fn store_plan_curve(plan: &StorePlan, max_days: f64, points: usize) -> Result<Vec<super::CurvePoint>> {
    check_positive("max days", max_days)?;
    let c = &plan.config;
    let n = points.max(2);
    (1..=n)
        .map(|i| {
            let days = max_days * i as f64 / n as f64;
            let mde = |cuped| {
                plan.pilot.rel_mde(
                    PlanMetric::MarginPerSession,
                    plan.annual_revenue_usd,
                    days,
                    c.holdout,
                    cuped,
                    c.alpha,
                    c.power,
                )
            };
            Ok(super::CurvePoint { days, rel_mde: mde(false)?, rel_mde_cuped: Some(mde(true)?) })
        })
        .collect()
}

fn verdict(
    profile: &StoreProfile,
    config: &PlanConfig,
    lift: f64,
    horizon: u32,
    pilot: &Pilot,
    primary: &MetricPlan,
    sequential: Option<&SequentialPlan>,
) -> Result<String> {
    let name = primary.metric.label();
    let l = pct_short(lift);
    let Some(days) = primary.days_to_detect else {
        let best = pilot.rel_mde(
            primary.metric,
            profile.annual_revenue_usd,
            horizon as f64,
            config.holdout,
            true,
            config.alpha,
            config.power,
        )?;
        return Ok(format!(
            "no test of up to {} days can detect a {l} lift in {name} at this store (even with CUPED the MDE \
             at {} days is {}); decide on cost, not on a test",
            fmt_days(horizon as f64),
            fmt_days(horizon as f64),
            pct_short(best)
        ));
    };
    let cuped =
        primary.days_to_detect_cuped.map(|d| format!(" (with CUPED: {} days)", fmt_days(d as f64))).unwrap_or_default();
    let seq = match (sequential, primary.days_to_detect_sequential) {
        (Some(s), Some(d)) => format!(
            "; read {} times with O'Brien-Fleming boundaries it needs {} days",
            s.design.bounds.len(),
            fmt_days(d as f64)
        ),
        (Some(s), None) => {
            format!("; read {} times it would need more than {} days", s.design.bounds.len(), fmt_days(horizon as f64))
        }
        _ => String::new(),
    };
    Ok(format!("a {l} lift in {name} needs {} days{cuped}{seq}", fmt_days(days as f64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_store_plans_honestly() {
        let p = StoreProfile::default();
        let plan = store_plan(&p, &PlanConfig::default(), Some(4), 1).unwrap();
        assert_eq!(plan.metrics.len(), 3);
        let m = &plan.metrics[0];
        assert!(m.rows.windows(2).all(|w| w[1].rel_mde < w[0].rel_mde));
        assert!(m.rows.iter().all(|r| r.rel_mde_cuped.unwrap() < r.rel_mde));
        // A $1.5M store cannot see 3% in margin per session within two years.
        assert_eq!(m.days_to_detect, None);
        assert!(plan.verdict.starts_with("no test of up to 730 days"), "{}", plan.verdict);
        let big = StoreProfile::preset("100m").unwrap();
        let cfg = PlanConfig { target_lift: Some(0.05), ..PlanConfig::default() };
        let plan = store_plan(&big, &cfg, Some(4), 1).unwrap();
        let m = &plan.metrics[0];
        let (fixed, seq) = (m.days_to_detect.unwrap(), m.days_to_detect_sequential.unwrap());
        assert!(seq >= fixed && seq < fixed * 3 / 2, "{fixed} {seq}");
        let days = &plan.sequential.as_ref().unwrap().look_days;
        assert_eq!(days.len(), 4);
        assert_eq!(*days.last().unwrap(), seq);
        assert!(days.windows(2).all(|w| w[0] < w[1]), "{days:?}");
    }

    #[test]
    fn nonsense_is_rejected() {
        let p = StoreProfile::default();
        assert!(store_plan(&p, &PlanConfig::default(), Some(0), 1).is_err());
        assert!(store_plan(&p, &PlanConfig { holdout: 0.0, ..PlanConfig::default() }, None, 1).is_err());
        assert!(store_plan(&p, &PlanConfig { days: vec![1e9], ..PlanConfig::default() }, None, 1).is_err());
    }
}
