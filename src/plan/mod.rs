//! Planning a holdout: MDE per duration, days to detect a target lift, and a
//! verdict in plain words.
//!
//! [`store`] plans for a store (a preset, a profile or its economics): the
//! playbooks' metrics with visitors as the randomized unit and the reach
//! curve, from a pilot simulation ([`pilot`]). [`plan`] plans from a
//! metric's per-unit mean and sd and a number of new units per day (given
//! directly or measured in a file); [`dated`] from a dated file, where the
//! units and their variance after `d` days are measured.

pub mod dated;
pub mod pilot;
pub mod store;

use serde::Serialize;

use crate::error::{Error, Result, check_alpha, check_non_negative, check_open_unit, check_positive};
use crate::report::format::{days as fmt_days, pct_short};
use crate::stats::{self, Moments};
use crate::store::{DAYS_PER_YEAR, StoreProfile};

/// The standard measurement window, in days, that verdicts refer to.
pub const STANDARD_WINDOW_DAYS: f64 = 30.0;

/// A store's economics, from which traffic and revenue per visitor follow.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StoreEconomics {
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Average order value, USD.
    pub aov_usd: f64,
    /// Coefficient of variation of order value (sd / mean).
    pub aov_cv: f64,
    /// Share of visitors (sessions) that order, a fraction.
    pub conversion_rate: f64,
}

impl StoreEconomics {
    /// The embedded default store: the economics of [`StoreProfile::default`]
    /// ($1.5M a year, AOV $80 with CV 1, 2.5% session conversion; sources
    /// in [`crate::store`]).
    pub fn default_store() -> Self {
        Self::from(&StoreProfile::default())
    }
}

impl From<&StoreProfile> for StoreEconomics {
    fn from(p: &StoreProfile) -> Self {
        Self {
            annual_revenue_usd: p.annual_revenue_usd,
            aov_usd: p.aov_usd,
            aov_cv: p.aov_cv,
            conversion_rate: p.conversion_rate,
        }
    }
}

/// Where the traffic figures came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrafficSource {
    /// `--daily-units`, `--baseline-mean`, `--baseline-sd` given directly.
    Direct,
    /// Derived from store economics.
    Economics(StoreEconomics),
    /// Calibrated from a unit-level file.
    Data {
        /// The file.
        file: String,
        /// The metric column.
        metric: String,
        /// Rows used (the control arm when one was named, else all rows).
        rows: String,
        /// Units the mean and sd were computed from.
        n: u64,
        /// The covariate whose correlation gave the CUPED variance reduction.
        #[serde(skip_serializing_if = "Option::is_none")]
        covariate: Option<String>,
    },
}

/// Traffic and the metric's per-unit distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Traffic {
    /// New randomized units per day (visitors, customers). Units are assumed
    /// not to repeat across days.
    pub daily_units: f64,
    /// Per-unit mean of the metric under control (metric units).
    pub mean: f64,
    /// Per-unit standard deviation of the metric (metric units).
    pub sd: f64,
    /// Expected CUPED variance reduction ρ² (a fraction), if any.
    pub cuped_r2: Option<f64>,
    /// Provenance of these figures.
    pub source: TrafficSource,
}

impl Traffic {
    /// Traffic given directly.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `daily_units` or `sd` is not positive,
    /// or `mean` is not finite and positive (relative MDEs need it).
    pub fn direct(daily_units: f64, mean: f64, sd: f64) -> Result<Self> {
        check_positive("--daily-units", daily_units)?;
        check_positive("--baseline-mean", mean)?;
        check_positive("--baseline-sd", sd)?;
        Ok(Self { daily_units, mean, sd, cuped_r2: None, source: TrafficSource::Direct })
    }

    /// Traffic from store economics: one unit per session,
    /// `sessions/day = revenue / AOV / conversion / 365`, and zero-inflated
    /// revenue per unit (see [`stats::zero_inflated_moments`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for non-positive revenue or AOV, a
    /// conversion rate outside (0, 1) or a negative CV.
    pub fn from_economics(store: StoreEconomics) -> Result<Self> {
        check_positive("--annual-revenue", store.annual_revenue_usd)?;
        check_positive("--aov", store.aov_usd)?;
        check_open_unit("--conversion-rate", store.conversion_rate)?;
        check_non_negative("--aov-cv", store.aov_cv)?;
        let (mean, sd) = stats::zero_inflated_moments(store.conversion_rate, store.aov_usd, store.aov_cv)?;
        let daily_units = store.annual_revenue_usd / store.aov_usd / store.conversion_rate / DAYS_PER_YEAR;
        Ok(Self { daily_units, mean, sd, cuped_r2: None, source: TrafficSource::Economics(store) })
    }

    /// Traffic calibrated from a metric's sufficient statistics in a file;
    /// with a covariate, the CUPED variance reduction is the squared
    /// correlation `ρ²` measured there.
    ///
    /// # Formula
    /// `mean = ȳ`, `σ = s_y` (`ddof = 1`), `ρ² = corr(y, x)²`.
    ///
    /// # Errors
    /// [`Error::EmptyArm`] with fewer than 2 units; [`Error::Degenerate`] if
    /// the metric has zero variance or a non-positive mean.
    pub fn from_data(moments: &Moments, daily_units: f64, source: TrafficSource, with_covariate: bool) -> Result<Self> {
        Self::check_calibration(moments, daily_units)?;
        let cuped_r2 = with_covariate.then(|| moments.corr_xy().powi(2)).filter(|r| r.is_finite());
        Self::calibrated(daily_units, moments.mean(), moments.var().sqrt(), cuped_r2, source)
    }

    /// Traffic calibrated for a ratio metric `Σy/Σx` per randomized unit
    /// (e.g. margin per session, the visitor being the unit). `moments`
    /// holds the numerator as the metric and the denominator as the
    /// covariate.
    ///
    /// # Formula
    /// `mean = ȳ/x̄` and the per-unit linearized sd
    /// `σ = √(n · Var(R))`, with `Var(R)` from [`stats::ratio_estimate`], so
    /// that `σ/√n` is the delta-method standard error of the ratio.
    ///
    /// # Errors
    /// As [`Traffic::from_data`]; [`Error::Degenerate`] for a zero mean
    /// denominator.
    pub fn from_ratio_data(moments: &Moments, daily_units: f64, source: TrafficSource) -> Result<Self> {
        Self::check_calibration(moments, daily_units)?;
        let est = stats::ratio_estimate(moments)?;
        Self::calibrated(daily_units, est.mean, (est.var_of_mean * est.n).sqrt(), None, source)
    }

    fn check_calibration(moments: &Moments, daily_units: f64) -> Result<()> {
        check_positive("--daily-units", daily_units)?;
        if moments.n() < 2 {
            return Err(Error::EmptyArm { arm: "calibration rows".into(), segment: None, n: moments.n() });
        }
        Ok(())
    }

    fn calibrated(daily_units: f64, mean: f64, sd: f64, cuped_r2: Option<f64>, source: TrafficSource) -> Result<Self> {
        if !(sd > 0.0) || !(mean > 0.0) {
            return Err(Error::Degenerate {
                metric: "plan --from".into(),
                message: format!("the metric has mean {mean} and sd {sd}; planning needs a positive mean and sd"),
            });
        }
        Ok(Self { daily_units, mean, sd, cuped_r2, source })
    }
}

/// What to plan for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanConfig {
    /// Share of units in control (the holdout), in (0, 1).
    pub holdout: f64,
    /// Significance level α (two-sided).
    pub alpha: f64,
    /// Power 1 − β.
    pub power: f64,
    /// Durations to tabulate, in days.
    pub days: Vec<f64>,
    /// Relative lift to detect (a fraction), if any.
    pub target_lift: Option<f64>,
}

impl Default for PlanConfig {
    fn default() -> Self {
        Self {
            holdout: 0.10,
            alpha: 0.05,
            power: 0.80,
            days: vec![7.0, 14.0, 30.0, 60.0, 90.0],
            target_lift: Some(0.03),
        }
    }
}

/// One duration's row of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanRow {
    /// Test duration, days.
    pub days: f64,
    /// Units in control.
    pub n_control: f64,
    /// Units in treatment.
    pub n_treatment: f64,
    /// Minimum detectable absolute effect (metric units).
    pub mde: f64,
    /// MDE relative to the baseline mean (a fraction).
    pub rel_mde: f64,
    /// MDE with CUPED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mde_cuped: Option<f64>,
    /// Relative MDE with CUPED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel_mde_cuped: Option<f64>,
    /// Power to detect the target lift at this duration (with CUPED when a
    /// variance reduction is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_at_target: Option<f64>,
}

/// The plan: rows per duration, days to detect the target, and a verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Traffic and metric figures used.
    pub traffic: Traffic,
    /// Settings.
    pub config: PlanConfig,
    /// One row per duration.
    pub rows: Vec<PlanRow>,
    /// Whole days until the target lift is detectable with the requested power.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_to_detect: Option<f64>,
    /// The same with CUPED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_to_detect_cuped: Option<f64>,
    /// Units (both arms) needed for the target lift.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units_to_detect: Option<f64>,
    /// One sentence in plain words.
    pub verdict: String,
}

/// Computes MDE per duration and the days needed for the target lift.
///
/// # Formula
/// For a duration of `d` days, `N = d · daily_units`, `n_c = h·N`,
/// `n_t = (1 − h)·N`, and [`stats::mde`] gives
/// `MDE = k(α, power) · σ · √(1/n_c + 1/n_t)`; with CUPED `σ → σ·√(1 − ρ²)`.
/// Days to detect a relative lift `L`: `N = (k·σ/(L·μ))² · (1/h + 1/(1−h))`
/// units ([`stats::units_for_effect`]), divided by `daily_units` and
/// rounded up to whole days (not weeks).
///
/// # Errors
/// [`Error::InvalidParameter`] if the holdout, alpha or power is not in
/// (0, 1), a duration is not positive, or the target lift not positive.
pub fn plan(traffic: &Traffic, config: &PlanConfig) -> Result<Plan> {
    check_open_unit("--holdout", config.holdout)?;
    check_alpha(config.alpha)?;
    check_open_unit("--power", config.power)?;
    stats::mde_multiplier(config.alpha, config.power)?;
    if config.days.is_empty() {
        return Err(Error::invalid("--days", "(none)", "at least one duration in days"));
    }
    for &d in &config.days {
        check_positive("--days", d)?;
        crate::limits::check_days("--days", d)?;
    }
    if let Some(l) = config.target_lift {
        check_positive("--target-lift", l)?;
    }
    if let Some(r2) = traffic.cuped_r2 {
        if !(0.0..1.0).contains(&r2) {
            return Err(Error::invalid("--cuped-r2", r2, "a variance reduction in [0, 1)"));
        }
    }
    let h = config.holdout;
    let sd_cuped = traffic.cuped_r2.map(|r2| traffic.sd * (1.0 - r2).sqrt());
    let rows = config
        .days
        .iter()
        .map(|&days| {
            let n = days * traffic.daily_units;
            let (nc, nt) = (h * n, (1.0 - h) * n);
            let mde = stats::mde(traffic.sd, nc, nt, config.alpha, config.power)?;
            let mde_cuped = sd_cuped.map(|s| stats::mde(s, nc, nt, config.alpha, config.power)).transpose()?;
            let se_target = sd_cuped.unwrap_or(traffic.sd) * (1.0 / nc + 1.0 / nt).sqrt();
            Ok(PlanRow {
                days,
                n_control: nc,
                n_treatment: nt,
                mde,
                rel_mde: mde / traffic.mean,
                mde_cuped,
                rel_mde_cuped: mde_cuped.map(|m| m / traffic.mean),
                power_at_target: config.target_lift.map(|l| stats::power_at(l * traffic.mean, se_target, config.alpha)),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let to_days = |units: f64| (units / traffic.daily_units).ceil();
    let units_to_detect = config
        .target_lift
        .map(|l| stats::units_for_effect(l * traffic.mean, traffic.sd, h, config.alpha, config.power))
        .transpose()?;
    let units_cuped = match (config.target_lift, sd_cuped) {
        (Some(l), Some(s)) => Some(stats::units_for_effect(l * traffic.mean, s, h, config.alpha, config.power)?),
        _ => None,
    };
    let days_to_detect = units_to_detect.map(to_days);
    let days_to_detect_cuped = units_cuped.map(to_days);
    let longest = config.days.iter().copied().fold(f64::NAN, f64::max);
    let verdict = verdict(config, &rows, days_to_detect, days_to_detect_cuped, longest);
    Ok(Plan {
        traffic: traffic.clone(),
        config: config.clone(),
        rows,
        days_to_detect,
        days_to_detect_cuped,
        units_to_detect,
        verdict,
    })
}

/// One point of an MDE-versus-duration curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Test duration, days.
    pub days: f64,
    /// Relative MDE (a fraction).
    pub rel_mde: f64,
    /// Relative MDE with CUPED, when a variance reduction is given.
    pub rel_mde_cuped: Option<f64>,
}

/// Relative MDE for `points` durations evenly spread over `(0, max_days]`,
/// for plotting. Same formula as [`plan`].
///
/// # Errors
/// As [`plan`].
pub fn mde_curve(traffic: &Traffic, config: &PlanConfig, max_days: f64, points: usize) -> Result<Vec<CurvePoint>> {
    check_positive("max days", max_days)?;
    let days: Vec<f64> = (1..=points.max(2)).map(|i| max_days * i as f64 / points.max(2) as f64).collect();
    let p = plan(traffic, &PlanConfig { days, ..config.clone() })?;
    Ok(p.rows.iter().map(|r| CurvePoint { days: r.days, rel_mde: r.rel_mde, rel_mde_cuped: r.rel_mde_cuped }).collect())
}

fn verdict(config: &PlanConfig, rows: &[PlanRow], days: Option<f64>, days_cuped: Option<f64>, longest: f64) -> String {
    let Some(lift) = config.target_lift else {
        let last = rows.last().expect("at least one duration");
        return format!(
            "in {} days the smallest detectable lift is {} ({} power)",
            fmt_days(last.days),
            pct_short(last.rel_mde),
            pct_short(config.power)
        );
    };
    let days = days.expect("target lift given");
    let cuped = days_cuped.map(|d| format!(" (with CUPED: {} days)", fmt_days(d))).unwrap_or_default();
    let best = days_cuped.unwrap_or(days).min(days);
    let lift = pct_short(lift);
    let window = STANDARD_WINDOW_DAYS.max(longest);
    if best <= STANDARD_WINDOW_DAYS {
        format!(
            "a {lift} lift needs {} days at this traffic{cuped}: measurable in a {}-day window",
            fmt_days(days),
            fmt_days(STANDARD_WINDOW_DAYS)
        )
    } else if best <= window {
        format!(
            "a {lift} lift needs {} days at this traffic{cuped}: longer than a {}-day window, but within the {} days planned",
            fmt_days(days),
            fmt_days(STANDARD_WINDOW_DAYS),
            fmt_days(window)
        )
    } else {
        format!(
            "a {lift} lift needs {} days at this traffic{cuped}: not measurable in a {}-day window",
            fmt_days(days),
            fmt_days(window)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_store_traffic() {
        let t = Traffic::from_economics(StoreEconomics::default_store()).unwrap();
        assert!((t.daily_units - 750_000.0 / 365.0).abs() < 1e-9);
        assert!((t.mean - 2.0).abs() < 1e-12);
        let p = plan(&t, &PlanConfig::default()).unwrap();
        assert_eq!(p.rows.len(), 5);
        assert!(p.rows.windows(2).all(|w| w[1].mde < w[0].mde));
        assert!(p.verdict.contains("not measurable"), "{}", p.verdict);
    }

    #[test]
    fn days_to_detect_reaches_the_target() {
        let t = Traffic::direct(10_000.0, 2.0, 10.0).unwrap();
        let cfg = PlanConfig { days: vec![1.0], target_lift: Some(0.05), ..PlanConfig::default() };
        let p = plan(&t, &cfg).unwrap();
        let d = p.days_to_detect.unwrap();
        let at = |days: f64| plan(&t, &PlanConfig { days: vec![days], ..cfg.clone() }).unwrap().rows[0].rel_mde;
        assert!(at(d) <= 0.05 && at(d - 1.0) > 0.05);
    }

    #[test]
    fn nonsense_is_rejected() {
        let t = Traffic::direct(100.0, 1.0, 1.0).unwrap();
        for cfg in [
            PlanConfig { holdout: 1.0, ..PlanConfig::default() },
            PlanConfig { alpha: 0.0, ..PlanConfig::default() },
            PlanConfig { days: vec![-3.0], ..PlanConfig::default() },
            PlanConfig { target_lift: Some(-0.1), ..PlanConfig::default() },
        ] {
            assert!(plan(&t, &cfg).is_err());
        }
        assert!(Traffic::direct(-5.0, 1.0, 1.0).is_err());
    }
}
