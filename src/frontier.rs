//! The measurability frontier: the smallest lift a holdout can detect, by
//! store size, test duration and holdout share, for the metrics that decide
//! whether personalization pays — contribution margin per session and
//! revenue per visitor — with and without CUPED.
//!
//! The MDE is analytic (normal approximation) everywhere, from per-visitor
//! moments measured once on a large pilot simulation of the store profile:
//! a store's profile fixes what one visitor looks like, its annual revenue
//! only how many visitors come. A few points are then checked by Monte Carlo
//! ([`crate::montecarlo::monte_carlo_power`]), and flagged where the two
//! disagree by more than the Monte Carlo error.

use serde::Serialize;

use crate::error::{Error, Result, check_alpha, check_open_unit, check_positive};
use crate::montecarlo::{PowerConfig, monte_carlo_power};
use crate::plan::pilot::{Pilot, PlanMetric};
use crate::report::format::{days as fmt_days, pct_short, usd_short};
use crate::sim::SimConfig;
use crate::store::StoreProfile;

/// Plausible true lift of personalization done right (DESIGN.md): 1–3%.
pub const PLAUSIBLE_LIFT_BAND: (f64, f64) = (0.01, 0.03);
/// What vendors claim for AOV lift (DESIGN.md): 12–18%.
pub const VENDOR_CLAIM_BAND: (f64, f64) = (0.12, 0.18);

/// Visitors simulated for the pilot that calibrates per-visitor moments.
pub const PILOT_VISITORS: f64 = 400_000.0;

/// The metrics of the frontier.
pub const FRONTIER_METRICS: [&str; 2] = ["margin per session", "revenue per visitor"];

/// The [`PlanMetric`] of index `m` into [`FRONTIER_METRICS`].
fn plan_metric(m: usize) -> PlanMetric {
    if m == 0 { PlanMetric::MarginPerSession } else { PlanMetric::RevenuePerVisitor }
}

/// What to tabulate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierConfig {
    /// Annual revenues, USD.
    pub revenues: Vec<f64>,
    /// Test durations, days.
    pub days: Vec<u32>,
    /// Holdout shares.
    pub holdouts: Vec<f64>,
    /// Significance level (two-sided).
    pub alpha: f64,
    /// Power for the MDE.
    pub power: f64,
    /// The lift a verdict asks about (a fraction).
    pub target_lift: f64,
    /// Monte Carlo replicates per simulated check (0 = no checks).
    pub check_replicates: usize,
    /// Annual revenues at which the analytic MDE is checked by simulation
    /// (at the middle duration and the first holdout).
    pub check_revenues: Vec<f64>,
    /// Seed of the pilot and the checks.
    pub seed: u64,
}

impl Default for FrontierConfig {
    fn default() -> Self {
        Self {
            revenues: log_grid(250_000.0, 100_000_000.0, 14),
            days: vec![14, 30, 60, 90],
            holdouts: vec![0.10],
            alpha: 0.05,
            power: 0.80,
            target_lift: 0.03,
            check_replicates: 300,
            check_revenues: vec![500_000.0, 5_000_000.0, 20_000_000.0],
            seed: 1,
        }
    }
}

/// `points` values evenly spaced in log between `lo` and `hi`, rounded to
/// two significant digits.
pub fn log_grid(lo: f64, hi: f64, points: usize) -> Vec<f64> {
    let points = points.max(2);
    (0..points)
        .map(|i| {
            let v = (lo.ln() + (hi.ln() - lo.ln()) * i as f64 / (points - 1) as f64).exp();
            let scale = 10f64.powi(v.log10().floor() as i32 - 1);
            (v / scale).round() * scale
        })
        .collect()
}

/// One cell of the frontier: a store size, duration and holdout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierRow {
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Test duration, days.
    pub days: u32,
    /// Holdout share.
    pub holdout: f64,
    /// Visitors in the test (both arms).
    pub visitors: f64,
    /// Relative MDE of contribution margin per session.
    pub margin_per_session_rel_mde: f64,
    /// The same with CUPED on the linearized ratio.
    pub margin_per_session_rel_mde_cuped: f64,
    /// Relative MDE of revenue per visitor.
    pub revenue_per_visitor_rel_mde: f64,
    /// The same with CUPED.
    pub revenue_per_visitor_rel_mde_cuped: f64,
}

/// A simulated check of the analytic figures at one point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierCheck {
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Test duration, days.
    pub days: u32,
    /// Holdout share.
    pub holdout: f64,
    /// Metric and method, as in [`crate::montecarlo::METRICS`].
    pub metric: String,
    /// Mean realized true lift (the conversion lift simulated is the
    /// analytic MDE of revenue per visitor).
    pub true_lift: f64,
    /// Analytic power at `true_lift` from the calibrated moments.
    pub analytic_power: f64,
    /// Simulated power.
    pub simulated_power: f64,
    /// Its Monte Carlo SE.
    pub simulated_power_se: f64,
    /// Simulated A/A false-positive rate.
    pub aa_false_positive_rate: f64,
    /// Its Monte Carlo SE.
    pub aa_false_positive_rate_se: f64,
    /// `|simulated − analytic| > 3 MC SE`, or the A/A rate above
    /// `α + 3 MC SE`.
    pub disagrees: bool,
    /// Replicates whose analysis was impossible (e.g. no control buyer):
    /// counted here and left out of the rates, which are shares of the
    /// other replicates ([`crate::montecarlo::MetricPower::degenerate`]).
    pub degenerate: usize,
}

/// The verdict for one store size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreVerdict {
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Days for the target lift in margin per session (with CUPED,
    /// first holdout), or `None` beyond the longest duration.
    pub days_to_target: Option<f64>,
    /// Days for the low end of the vendor-claimed band.
    pub days_to_vendor_claim: Option<f64>,
    /// One sentence.
    pub verdict: String,
}

/// The smallest store that can see the target lift, for one holdout share.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RevenueFloor {
    /// Holdout share.
    pub holdout: f64,
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
}

/// Power at one true lift for the profile's store, first holdout, the
/// duration of the checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerCurvePoint {
    /// Configured conversion lift (a fraction).
    pub lift: f64,
    /// Metric and method, as in [`crate::montecarlo::METRICS`].
    pub metric: String,
    /// Mean realized true lift of the metric.
    pub true_lift: f64,
    /// Analytic power at `true_lift`.
    pub analytic_power: f64,
    /// Simulated power.
    pub simulated_power: f64,
    /// Its Monte Carlo SE.
    pub simulated_power_se: f64,
}

/// The frontier report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frontier {
    /// Store profile (name) the visitors follow.
    pub store: String,
    /// The profile's own annual revenue, USD: the store of the power curve.
    pub annual_revenue_usd: f64,
    /// Duration of the simulated checks and the power curve, days.
    pub check_days: u32,
    /// Settings.
    pub config: FrontierConfig,
    /// Per-visitor moments from the pilot.
    pub pilot: Pilot,
    /// One row per revenue, duration and holdout.
    pub rows: Vec<FrontierRow>,
    /// Simulated checks.
    pub checks: Vec<FrontierCheck>,
    /// Per store size.
    pub verdicts: Vec<StoreVerdict>,
    /// Per holdout share: the annual revenue below which no test of the
    /// longest duration can see the target lift in margin per session (with
    /// CUPED, which never does worse).
    pub revenue_floors: Vec<RevenueFloor>,
    /// Power against true lift for the profile's own store (analytic
    /// everywhere, simulated at a few lifts).
    pub power_curve: Vec<PowerCurvePoint>,
    /// One sentence summing up.
    pub summary: String,
}

/// Relative MDE of metric `m` (an index into [`FRONTIER_METRICS`]) for a
/// store of `revenue`, `days` and `holdout`: [`Pilot::rel_mde`], the
/// computation of `liftlab plan --store`.
///
/// # Errors
/// As [`Pilot::rel_mde`].
#[allow(clippy::too_many_arguments)]
pub fn rel_mde(
    pilot: &Pilot,
    m: usize,
    revenue: f64,
    days: f64,
    holdout: f64,
    cuped: bool,
    alpha: f64,
    power: f64,
) -> Result<f64> {
    pilot.rel_mde(plan_metric(m), revenue, days, holdout, cuped, alpha, power)
}

/// Analytic power to detect a relative lift `lift` in metric `m` (an index
/// into [`FRONTIER_METRICS`]): [`Pilot::power`].
#[allow(clippy::too_many_arguments)]
pub fn analytic_power(
    pilot: &Pilot,
    m: usize,
    revenue: f64,
    days: f64,
    holdout: f64,
    cuped: bool,
    lift: f64,
    alpha: f64,
) -> f64 {
    pilot.power(plan_metric(m), revenue, days, holdout, cuped, lift, alpha)
}

/// Builds the frontier: analytic MDEs for every revenue, duration and
/// holdout; simulated checks at `config.check_revenues`; a verdict per
/// store size.
///
/// # Formula
/// Unique visitors `U(d)` from the reach curve and per-visitor moments
/// from the store's pilot ([`Pilot`]), [`rel_mde`] per metric — the
/// computation of `liftlab plan --store`. Days for a relative lift `L`:
/// [`Pilot::days_to_detect`]. The revenue floor is
/// the revenue where the longest duration's MDE is `L` (by bisection; about
/// `revenue₀ · (MDE(revenue₀, d_max)/L)²`, the SE falling as `1/√revenue`).
///
/// `progress(done, total)` counts simulated check replicates.
///
/// # Errors
/// [`Error::InvalidParameter`] for empty or non-positive revenues or
/// durations, holdouts, α or power outside (0, 1), a non-positive target;
/// as [`Pilot::measure`] and [`monte_carlo_power`].
pub fn frontier(
    profile: &StoreProfile,
    config: &FrontierConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Frontier> {
    validate(config)?;
    let longest_days = *config.days.iter().max().expect("validated");
    let cal = Pilot::measure(profile, config.seed, longest_days.max(crate::plan::store::MIN_HORIZON_DAYS))?;
    let (alpha, power) = (config.alpha, config.power);
    let mut rows = Vec::new();
    for &revenue in &config.revenues {
        for &h in &config.holdouts {
            for &d in &config.days {
                let mde = |m, cuped| rel_mde(&cal, m, revenue, d as f64, h, cuped, alpha, power);
                rows.push(FrontierRow {
                    annual_revenue_usd: revenue,
                    days: d,
                    holdout: h,
                    visitors: cal.visitors(revenue, d as f64),
                    margin_per_session_rel_mde: mde(0, false)?,
                    margin_per_session_rel_mde_cuped: mde(0, true)?,
                    revenue_per_visitor_rel_mde: mde(1, false)?,
                    revenue_per_visitor_rel_mde_cuped: mde(1, true)?,
                });
            }
        }
    }
    let h = config.holdouts[0];
    let longest = *config.days.iter().max().expect("validated") as f64;
    // Days to detect in margin per session with CUPED (never worse than
    // without: σ·√(1 − ρ²) ≤ σ), searched up to the pilot's horizon.
    let verdicts = config
        .revenues
        .iter()
        .map(|&revenue| {
            let days_for = |lift: f64| -> Result<Option<f64>> {
                Ok(cal
                    .days_to_detect(PlanMetric::MarginPerSession, revenue, h, true, lift, alpha, power, 1.0)?
                    .map(f64::from))
            };
            let (to_target, to_claim) = (days_for(config.target_lift)?, days_for(VENDOR_CLAIM_BAND.0)?);
            let within = |d: Option<f64>| d.filter(|&d| d <= longest);
            Ok(StoreVerdict {
                annual_revenue_usd: revenue,
                days_to_target: within(to_target),
                days_to_vendor_claim: within(to_claim),
                verdict: store_verdict(revenue, config.target_lift, to_target, to_claim, longest, cal.horizon_days),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let reference = config.revenues[0];
    let revenue_floors = config
        .holdouts
        .iter()
        .map(|&h| {
            // The MDE falls with revenue: bisection in ln(revenue), from the
            // 1/√revenue guess.
            let best = rel_mde(&cal, 0, reference, longest, h, true, alpha, power)?;
            let guess = reference * (best / config.target_lift).powi(2);
            let (mut lo, mut hi) = ((guess / 16.0).ln(), (guess * 16.0).ln());
            for _ in 0..100 {
                let mid = 0.5 * (lo + hi);
                if rel_mde(&cal, 0, mid.exp(), longest, h, true, alpha, power)? > config.target_lift {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            Ok(RevenueFloor { holdout: h, annual_revenue_usd: hi.exp() })
        })
        .collect::<Result<Vec<_>>>()?;
    let floors: Vec<String> = revenue_floors
        .iter()
        .map(|f| format!("{}/year with a {} holdout", usd_short(f.annual_revenue_usd), pct_short(f.holdout)))
        .collect();
    let summary = format!(
        "below {}, no {}-day test can see a {} lift in contribution margin per session",
        floors.join(", or "),
        fmt_days(longest),
        pct_short(config.target_lift)
    );
    let total = config.check_replicates * (config.check_revenues.len() + CURVE_LIFTS.len());
    let checks = checks(profile, &cal, config, &|k, _| progress(k, total))?;
    let done = config.check_replicates * config.check_revenues.len();
    let power_curve = power_curve(profile, &cal, config, &|k, _| progress(done + k, total))?;
    Ok(Frontier {
        store: profile.name.clone(),
        annual_revenue_usd: profile.annual_revenue_usd,
        check_days: check_days(config),
        config: config.clone(),
        pilot: cal,
        rows,
        checks,
        verdicts,
        revenue_floors,
        power_curve,
        summary,
    })
}

/// Checks every setting of a frontier run (called by [`frontier`]; public
/// so a caller can check before estimating the work).
///
/// # Errors
/// [`Error::InvalidParameter`] naming the flag: no or non-positive revenues,
/// revenues above [`crate::limits::MAX_ANNUAL_REVENUE_USD`], durations of 0
/// or above [`crate::limits::MAX_DAYS`], `--checks` from 1 to 9 or above
/// [`crate::limits::MAX_REPLICATES`], holdouts outside (0, 1), `alpha`,
/// `power` or `target_lift` out of range.
pub fn validate(config: &FrontierConfig) -> Result<()> {
    if config.revenues.is_empty() {
        return Err(Error::invalid("--revenues", "(none)", "at least one annual revenue in USD"));
    }
    for &r in &config.revenues {
        crate::limits::check_revenue("--revenues", r)?;
    }
    for &r in &config.check_revenues {
        crate::limits::check_revenue("--check-revenues", r)?;
    }
    if config.days.is_empty() || config.days.contains(&0) {
        return Err(Error::invalid("--days", format!("{:?}", config.days), "durations of at least 1 day"));
    }
    for &d in &config.days {
        crate::limits::check_days("--days", d as f64)?;
    }
    crate::limits::check_replicates("--checks", config.check_replicates)?;
    // The simulation needs at least 10 tests; 0 turns the checks off.
    if (1..10).contains(&config.check_replicates) {
        return Err(Error::invalid(
            "--checks",
            config.check_replicates,
            "0 (no checks) or at least 10 simulated tests",
        ));
    }
    if config.holdouts.is_empty() {
        return Err(Error::invalid("--holdout", "(none)", "at least one holdout share in (0, 1)"));
    }
    for &h in &config.holdouts {
        check_open_unit("--holdout", h)?;
    }
    check_alpha(config.alpha)?;
    check_open_unit("--power", config.power)?;
    check_positive("--target-lift", config.target_lift)?;
    crate::stats::mde_multiplier(config.alpha, config.power)?;
    Ok(())
}

fn store_verdict(
    revenue: f64,
    target: f64,
    to_target: Option<f64>,
    to_claim: Option<f64>,
    longest: f64,
    horizon: u32,
) -> String {
    let store = usd_short(revenue);
    let (t, claim) = (pct_short(target), pct_short(VENDOR_CLAIM_BAND.0));
    let beyond = horizon as f64 + 1.0;
    let fmt_days = |d: f64| {
        if d > horizon as f64 { format!("more than {}", fmt_days(horizon as f64)) } else { fmt_days(d) }
    };
    let (to_target, to_claim) = (to_target.unwrap_or(beyond), to_claim.unwrap_or(beyond));
    if to_target <= longest {
        format!(
            "{store}/year: a {t} lift is measurable in {} days (a {claim} lift in {})",
            fmt_days(to_target),
            fmt_days(to_claim)
        )
    } else if to_claim <= longest {
        format!(
            "{store}/year: a {t} lift needs {} days, beyond any {}-day holdout; a vendor-sized {claim} lift would show in {} days",
            fmt_days(to_target),
            fmt_days(longest),
            fmt_days(to_claim)
        )
    } else {
        format!(
            "{store}/year: a {t} lift needs {} days and even a {claim} lift {} days: no {}-day holdout can measure either",
            fmt_days(to_target),
            fmt_days(to_claim),
            fmt_days(longest)
        )
    }
}

/// The simulated metrics checked, as (index into [`FRONTIER_METRICS`], CUPED),
/// in the order of the first three of [`crate::montecarlo::METRICS`].
pub const CHECKED: [(usize, bool); 3] = [(0, false), (1, false), (1, true)];

/// The duration of the simulated checks: the configured one closest to 30 days.
fn check_days(config: &FrontierConfig) -> u32 {
    *config.days.iter().min_by_key(|&&d| (d as i64 - 30).abs()).expect("validated")
}

fn checks(
    profile: &StoreProfile,
    cal: &Pilot,
    config: &FrontierConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<FrontierCheck>> {
    if config.check_replicates == 0 {
        return Ok(Vec::new());
    }
    let (h, days) = (config.holdouts[0], check_days(config));
    let mut out = Vec::new();
    for (i, &revenue) in config.check_revenues.iter().enumerate() {
        let lift = rel_mde(cal, 1, revenue, days as f64, h, false, config.alpha, config.power)?;
        let store = StoreProfile { annual_revenue_usd: revenue, ..profile.clone() };
        let sim = SimConfig {
            days,
            holdout: h,
            seed: config.seed.wrapping_add(i as u64),
            salt: config.seed,
            ..SimConfig::default()
        };
        let pc = PowerConfig { replicates: config.check_replicates, alpha: config.alpha, seed: config.seed };
        let done = i * config.check_replicates;
        let report = monte_carlo_power(&store, &sim, lift, &pc, &|k, n| progress(done + k, n))?;
        for (m, &(metric, cuped)) in CHECKED.iter().enumerate() {
            let r = &report.metrics[m];
            let analytic = analytic_power(cal, metric, revenue, days as f64, h, cuped, r.true_lift, config.alpha);
            let disagrees = (r.power - analytic).abs() > 3.0 * r.power_se.max(1.0 / config.check_replicates as f64)
                || r.aa_false_positive_rate > config.alpha + 3.0 * r.aa_false_positive_rate_se.max(0.001);
            out.push(FrontierCheck {
                annual_revenue_usd: revenue,
                days,
                holdout: h,
                metric: r.metric.clone(),
                true_lift: r.true_lift,
                analytic_power: analytic,
                simulated_power: r.power,
                simulated_power_se: r.power_se,
                aa_false_positive_rate: r.aa_false_positive_rate,
                aa_false_positive_rate_se: r.aa_false_positive_rate_se,
                disagrees,
                degenerate: r.degenerate,
            });
        }
    }
    Ok(out)
}

/// Lifts of the simulated power curve, as multiples of the analytic MDE of
/// revenue per visitor.
pub const CURVE_LIFTS: [f64; 6] = [0.0, 0.25, 0.5, 1.0, 1.5, 2.0];

fn power_curve(
    profile: &StoreProfile,
    cal: &Pilot,
    config: &FrontierConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<PowerCurvePoint>> {
    if config.check_replicates == 0 {
        return Ok(Vec::new());
    }
    let (h, days, revenue) = (config.holdouts[0], check_days(config), profile.annual_revenue_usd);
    let mde = rel_mde(cal, 1, revenue, days as f64, h, false, config.alpha, config.power)?;
    let mut out = Vec::new();
    for (i, multiple) in CURVE_LIFTS.iter().enumerate() {
        let lift = multiple * mde;
        // Same seeds at every lift: common random numbers make the curve smooth.
        let sim = SimConfig { days, holdout: h, seed: config.seed, salt: config.seed, ..SimConfig::default() };
        let pc = PowerConfig { replicates: config.check_replicates, alpha: config.alpha, seed: config.seed };
        let done = i * config.check_replicates;
        let report = monte_carlo_power(profile, &sim, lift, &pc, &|k, n| progress(done + k, n))?;
        for (m, &(metric, cuped)) in CHECKED.iter().enumerate() {
            let r = &report.metrics[m];
            // At zero lift the "power" is the A/A rate: significant either way.
            let simulated = if lift == 0.0 { r.aa_false_positive_rate } else { r.power };
            out.push(PowerCurvePoint {
                lift,
                metric: r.metric.clone(),
                true_lift: r.true_lift,
                analytic_power: analytic_power(cal, metric, revenue, days as f64, h, cuped, r.true_lift, config.alpha),
                simulated_power: simulated,
                // Over the valid replicates (the same bits as over all when none is degenerate).
                simulated_power_se: if lift == 0.0 { r.aa_false_positive_rate_se } else { r.power_se },
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> FrontierConfig {
        FrontierConfig {
            revenues: vec![250_000.0, 2_000_000.0, 100_000_000.0],
            check_replicates: 0,
            ..FrontierConfig::default()
        }
    }

    #[test]
    fn mde_falls_with_revenue_and_days_as_one_over_root_n() {
        let f = frontier(&StoreProfile::default(), &quick(), &|_, _| {}).unwrap();
        assert_eq!(f.rows.len(), 3 * 4);
        let at = |r: f64, d: u32| f.rows.iter().find(|x| x.annual_revenue_usd == r && x.days == d).unwrap();
        let a = at(250_000.0, 14);
        // MDE ∝ 1/√visitors, but for the treatment arm's larger variance at
        // a large lift (a few percent here).
        let (small, big) = (at(250_000.0, 90), at(100_000_000.0, 90));
        let ratio = small.margin_per_session_rel_mde / big.margin_per_session_rel_mde;
        assert!((ratio / (100_000_000.0f64 / 250_000.0).sqrt() - 1.0).abs() < 0.05, "{ratio}");
        assert!(a.margin_per_session_rel_mde > small.margin_per_session_rel_mde);
        for r in &f.rows {
            assert!(r.revenue_per_visitor_rel_mde_cuped <= r.revenue_per_visitor_rel_mde);
            assert!(r.margin_per_session_rel_mde_cuped <= r.margin_per_session_rel_mde);
        }
        // The floor is where the 90-day MDE equals the target.
        let floor = f.revenue_floors[0].annual_revenue_usd;
        let at_floor = rel_mde(&f.pilot, 0, floor, 90.0, 0.1, true, 0.05, 0.8).unwrap();
        assert!((at_floor - 0.03).abs() < 1e-6, "{at_floor}");
        for v in &f.verdicts {
            assert_eq!(v.days_to_target.is_some(), v.annual_revenue_usd >= floor, "{v:?}");
        }
        assert!(f.summary.starts_with("below $"), "{}", f.summary);
    }

    #[test]
    fn nonsense_is_rejected() {
        let p = StoreProfile::default();
        for cfg in [
            FrontierConfig { revenues: vec![], ..quick() },
            FrontierConfig { revenues: vec![-1.0], ..quick() },
            FrontierConfig { days: vec![0], ..quick() },
            FrontierConfig { holdouts: vec![1.5], ..quick() },
            FrontierConfig { target_lift: 0.0, ..quick() },
        ] {
            assert!(frontier(&p, &cfg, &|_, _| {}).is_err(), "{cfg:?}");
        }
    }

    #[test]
    fn log_grid_spans_the_range_rounded() {
        let g = log_grid(250_000.0, 100_000_000.0, 14);
        assert_eq!(g.len(), 14);
        assert_eq!(g[0], 250_000.0);
        assert_eq!(*g.last().unwrap(), 100_000_000.0);
        assert!(g.windows(2).all(|w| w[1] > w[0]));
    }
}
