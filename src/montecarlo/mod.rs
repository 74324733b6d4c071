//! Monte Carlo power: simulate many holdout tests of a store and count how
//! often the analysis sees the effect.
//!
//! Replicate `r` simulates the store with the configured lift (A/B) and,
//! on the same random draws with no lift (A/A), analyses both with the same
//! code as `analyze` (Welch, delta method for ratio metrics, CUPED), and
//! records significance, interval coverage of the realized true lift and the
//! estimate. Replicate `r` is seeded from `(seed, r)`, so results are
//! bit-identical whatever the number of threads.

mod data;

pub use data::{DataPowerReport, data_power};

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result, check_open_unit};
use crate::report::format::pct_short;
use crate::rng::splitmix64;
use crate::sim::{Level, SimConfig, SimResult, simulate, summarize};
use crate::stats::{self, Moments};
use crate::store::StoreProfile;

/// The metrics whose power is simulated.
pub const METRICS: [&str; 4] = [
    "margin per session (delta)",
    "revenue per visitor (Welch)",
    "revenue per visitor (CUPED)",
    "conversion per session (delta)",
];

/// Settings of a Monte Carlo power run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerConfig {
    /// Simulated tests per scenario (K).
    pub replicates: usize,
    /// Significance level α (two-sided).
    pub alpha: f64,
    /// Seed; replicate `r` uses a seed derived from `(seed, r)`.
    pub seed: u64,
}

/// Simulated operating characteristics of one metric, each share with its
/// Monte Carlo standard error `√(p(1 − p)/K)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricPower {
    /// Metric and method.
    pub metric: String,
    /// Mean realized true relative lift over replicates.
    pub true_lift: f64,
    /// Share of A/B tests significant in the right direction.
    pub power: f64,
    /// Monte Carlo SE of `power`.
    pub power_se: f64,
    /// Share of A/A tests significant (target: α).
    pub aa_false_positive_rate: f64,
    /// Monte Carlo SE of the false-positive rate.
    pub aa_false_positive_rate_se: f64,
    /// Share of A/A tests significant with treatment above control
    /// (target: α/2).
    pub aa_false_positive_rate_upper: f64,
    /// Monte Carlo SE of `aa_false_positive_rate_upper`.
    pub aa_false_positive_rate_upper_se: f64,
    /// Share of A/A tests significant with treatment below control
    /// (target: α/2).
    pub aa_false_positive_rate_lower: f64,
    /// Monte Carlo SE of `aa_false_positive_rate_lower`.
    pub aa_false_positive_rate_lower_se: f64,
    /// Share of A/B relative-lift CIs that contain the realized true lift.
    pub coverage: f64,
    /// Monte Carlo SE of `coverage`.
    pub coverage_se: f64,
    /// Mean of (estimated − true) relative lift.
    pub bias: f64,
    /// Monte Carlo SE of `bias` (sd / √K).
    pub bias_se: f64,
    /// Normal-approximation power for the same true effect, with the
    /// standard error the A/A replicates measured (root mean square).
    pub analytic_power: f64,
    /// Root mean square over the A/A tests of the relative lift's standard
    /// error (a fraction).
    pub aa_se: f64,
}

/// A Monte Carlo power report for one store, duration, holdout and lift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerReport {
    /// Store simulated (name).
    pub store: String,
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Test settings (seed is the base seed).
    pub sim: SimConfig,
    /// Configured conversion lift.
    pub lift: f64,
    /// Run settings.
    pub config: PowerConfig,
    /// One row per metric.
    pub metrics: Vec<MetricPower>,
    /// What `liftlab plan` computes for the same store, duration, holdout
    /// and lift: analytic power for revenue per session, sessions taken as
    /// independent units (see [`plan_power`]).
    pub plan_power: f64,
    /// The simulated MDE, when asked for ([`simulated_mde`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mde: Option<SimulatedMde>,
}

/// The smallest simulated lift detected with the requested power.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulatedMde {
    /// Metric and method searched (one of [`METRICS`]).
    pub metric: String,
    /// Power sought.
    pub target_power: f64,
    /// Smallest conversion lift evaluated with simulated power ≥ target.
    pub lift: f64,
    /// The metric's mean realized true lift there.
    pub true_lift: f64,
    /// Simulated power there, and its Monte Carlo SE.
    pub power: f64,
    /// Monte Carlo SE of `power`.
    pub power_se: f64,
    /// Normal-approximation MDE with the A/A-measured SE, as a relative lift.
    pub analytic_mde: f64,
    /// Every lift evaluated and the metric's simulated power there, in order.
    pub evaluations: Vec<(f64, f64)>,
}

/// One replicate's outcome for one metric.
#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    hit: bool,
    aa_reject: bool,
    /// Sign of the A/A estimate of treatment − control: 1, −1 or 0.
    aa_sign: i8,
    covers: bool,
    error: f64,
    truth: f64,
    aa_se: f64,
}

/// How a metric is tested.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    /// Welch's test on the mean.
    Mean,
    /// CUPED with the moments' covariate `x`.
    Cuped,
    /// Delta method for `Σy/Σx`.
    Ratio,
}

/// Control and treatment statistics of metric `metric` (index into
/// [`METRICS`]) and how it is tested.
fn estimates(result: &SimResult, metric: usize) -> (Moments, Moments, Method) {
    let s = &result.stats;
    let (pair, method) = match metric {
        0 => (s.margin_per_session, Method::Ratio),
        1 => (s.revenue, Method::Mean),
        2 => (s.revenue, Method::Cuped),
        _ => (s.orders_per_session, Method::Ratio),
    };
    (pair[0], pair[1], method)
}

/// One test's relative lift, its CI bounds, the p-value, the lift's SE and
/// the absolute effect (treatment − control, whose sign the p-value tests).
#[derive(Debug, Clone, Copy)]
struct TestResult {
    lift: f64,
    effect: f64,
    lower: f64,
    upper: f64,
    pvalue: f64,
    se: f64,
}

/// Tests control against treatment the way `analyze` does.
fn test(c: &Moments, t: &Moments, method: Method, alpha: f64) -> Result<TestResult> {
    let (r, welch) = match method {
        Method::Cuped => {
            let cu = stats::cuped(c, t, alpha)?;
            (cu.relative, cu.welch)
        }
        Method::Ratio | Method::Mean => {
            let (ec, et) = match method {
                Method::Ratio => (stats::ratio_estimate(c)?, stats::ratio_estimate(t)?),
                _ => (c.estimate(), t.estimate()),
            };
            (stats::relative_lift(&ec, &et, alpha)?, stats::welch(&ec, &et, alpha)?)
        }
    };
    Ok(TestResult {
        lift: r.rel_effect_size,
        effect: welch.effect_size,
        lower: r.rel_effect_size_ci_lower,
        upper: r.rel_effect_size_ci_upper,
        pvalue: welch.pvalue,
        se: r.rel_effect_size_se,
    })
}

/// The outcome of one replicate: the A/B test against the true lift, and
/// its A/A twin.
fn outcome(ab: &TestResult, aa: &TestResult, lift: f64, truth: f64, alpha: f64) -> Outcome {
    Outcome {
        hit: ab.pvalue < alpha && ab.lift.signum() == lift.signum() && lift != 0.0,
        aa_reject: aa.pvalue < alpha,
        aa_sign: (aa.effect > 0.0) as i8 - (aa.effect < 0.0) as i8,
        covers: ab.lower <= truth && truth <= ab.upper,
        error: ab.lift - truth,
        truth,
        aa_se: aa.se,
    }
}

/// The operating characteristics of one metric from its replicates' outcomes.
fn summarize_outcomes(name: &str, col: &[Outcome], alpha: f64) -> MetricPower {
    let kf = col.len() as f64;
    let z = stats::dist::normal_quantile(1.0 - alpha / 2.0);
    let share = |f: &dyn Fn(&Outcome) -> bool| col.iter().filter(|o| f(o)).count() as f64 / kf;
    let se_of = |p: f64| (p * (1.0 - p) / kf).sqrt();
    let (power, fpr, coverage) = (share(&|o| o.hit), share(&|o| o.aa_reject), share(&|o| o.covers));
    let fpr_upper = share(&|o| o.aa_reject && o.aa_sign > 0);
    let fpr_lower = share(&|o| o.aa_reject && o.aa_sign < 0);
    let mean_err = col.iter().map(|o| o.error).sum::<f64>() / kf;
    let sd_err = (col.iter().map(|o| (o.error - mean_err).powi(2)).sum::<f64>() / (kf - 1.0)).sqrt();
    let true_lift = col.iter().map(|o| o.truth).sum::<f64>() / kf;
    let rms_se = (col.iter().map(|o| o.aa_se * o.aa_se).sum::<f64>() / kf).sqrt();
    let k_eff = true_lift.abs() / rms_se;
    let analytic = stats::dist::normal_cdf(k_eff - z) + stats::dist::normal_cdf(-k_eff - z);
    MetricPower {
        metric: name.to_string(),
        true_lift,
        power,
        power_se: se_of(power),
        aa_false_positive_rate: fpr,
        aa_false_positive_rate_se: se_of(fpr),
        aa_false_positive_rate_upper: fpr_upper,
        aa_false_positive_rate_upper_se: se_of(fpr_upper),
        aa_false_positive_rate_lower: fpr_lower,
        aa_false_positive_rate_lower_se: se_of(fpr_lower),
        coverage,
        coverage_se: se_of(coverage),
        bias: mean_err,
        bias_se: sd_err / kf.sqrt(),
        analytic_power: analytic,
        aa_se: rms_se,
    }
}

fn replicate_seed(seed: u64, r: u64) -> u64 {
    let mut s = seed ^ r.wrapping_mul(0xA076_1D64_78BD_642F);
    splitmix64(&mut s)
}

/// Runs `config.replicates` A/B and A/A tests and summarizes them.
///
/// # Formula
/// Over `K` replicates, with `L_r` the realized true relative lift of
/// replicate `r` (treated visitors against themselves untreated) and
/// `L̂_r`, `[lo_r, hi_r]`, `p_r` the analysis' estimate, CI and p-value,
/// and `Δ̂_r` the estimated treatment − control difference (of the means,
/// ratios or CUPED-adjusted means):
/// ```text
/// power    = #{p_r < α and sign(L̂_r) = sign(lift)} / K
/// FPR      = #{p_r(A/A) < α} / K                          (target α)
/// FPR_up   = #{p_r(A/A) < α and Δ̂_r(A/A) > 0} / K        (target α/2)
/// FPR_down = #{p_r(A/A) < α and Δ̂_r(A/A) < 0} / K        (target α/2)
/// coverage = #{lo_r ≤ L_r ≤ hi_r} / K
/// bias     = mean(L̂_r − L_r)
/// MC SE    = √(p(1 − p)/K) for shares, sd(L̂_r − L_r)/√K for the bias
/// analytic = Φ(k − z) + Φ(−k − z),  k = |mean L_r| / RMS(SE_r(A/A)),  z = z_{1−α/2}
/// ```
/// Units: all lifts and shares are fractions.
///
/// `progress(done, total)` is called as replicates finish (from worker
/// threads, in any order).
///
/// # References
/// Kohavi, Tang & Xu (2020), *Trustworthy Online Controlled Experiments*,
/// ch. 19 (A/A tests); Morris, White & Crowther (2019), "Using simulation
/// studies to evaluate statistical methods", *Statistics in Medicine* 38
/// (Monte Carlo standard errors).
///
/// # Errors
/// [`Error::InvalidParameter`] for fewer than 10 replicates, α outside (0, 1)
/// or an invalid profile; [`Error::Degenerate`] if a simulated arm has no
/// orders at all (a store too small for the duration).
pub fn monte_carlo_power(
    profile: &StoreProfile,
    sim: &SimConfig,
    lift: f64,
    config: &PowerConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<PowerReport> {
    check_open_unit("--alpha", config.alpha)?;
    if config.replicates < 10 {
        return Err(Error::invalid("--replicates", config.replicates, "at least 10 simulated tests"));
    }
    let mut ab = profile.clone();
    ab.treatment.conversion_lift = lift;
    ab.validate()?;
    let mut aa = ab.clone();
    aa.treatment.conversion_lift = 0.0;
    aa.treatment.aov_lift = 0.0;
    aa.treatment.margin_mix_lift = 0.0;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let k = config.replicates;
    let outcomes: Vec<[Outcome; 4]> = (0..k as u64)
        .into_par_iter()
        .map(|r| -> Result<[Outcome; 4]> {
            let cfg = SimConfig { seed: replicate_seed(sim.seed, r), salt: replicate_seed(sim.salt, r), ..sim.clone() };
            let run = |p: &StoreProfile| simulate(p, &cfg, Level::Aggregate, &|_, _| {}, |_| Ok(()));
            let (res_ab, res_aa) = (run(&ab)?, run(&aa)?);
            let truth = summarize(&ab, &cfg, &res_ab.truth).truth;
            let mut out = [Outcome::default(); 4];
            for (m, o) in out.iter_mut().enumerate() {
                let true_lift = match m {
                    0 => truth.margin_per_session_lift,
                    1 | 2 => truth.revenue_per_visitor_lift,
                    _ => truth.conversion_lift,
                };
                let (c, t, method) = estimates(&res_ab, m);
                let ab = test(&c, &t, method, config.alpha)?;
                let (c, t, _) = estimates(&res_aa, m);
                let aa = test(&c, &t, method, config.alpha)?;
                *o = outcome(&ab, &aa, lift, true_lift, config.alpha);
            }
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n, k);
            Ok(out)
        })
        .collect::<Result<Vec<_>>>()?;
    let metrics = METRICS
        .iter()
        .enumerate()
        .map(|(m, name)| {
            let col: Vec<Outcome> = outcomes.iter().map(|o| o[m]).collect();
            summarize_outcomes(name, &col, config.alpha)
        })
        .collect();
    Ok(PowerReport {
        store: profile.name.clone(),
        annual_revenue_usd: profile.annual_revenue_usd,
        sim: sim.clone(),
        lift,
        config: config.clone(),
        metrics,
        plan_power: plan_power(profile, sim, lift, config.alpha)?,
        mde: None,
    })
}

/// The analytic power `liftlab plan` reports for a store's economics at a
/// relative lift: revenue per session, zero-inflated, with every session an
/// independent unit ([`crate::plan::Traffic::from_economics`]).
///
/// # Formula
/// `N = sessions/day · days`, `SE = σ·√(1/(hN) + 1/((1−h)N))`,
/// `power = Φ(k − z) + Φ(−k − z)`, `k = lift·μ/SE` ([`stats::power_at`]).
/// It ignores that sessions of one visitor are correlated (the visitor is
/// what is randomized), the spread of visitors' propensity and the cohort
/// mix, so it is optimistic for a visitor-randomized test.
///
/// # Errors
/// As [`crate::plan::plan`].
pub fn plan_power(profile: &StoreProfile, sim: &SimConfig, lift: f64, alpha: f64) -> Result<f64> {
    let traffic = crate::plan::Traffic::from_economics(crate::plan::StoreEconomics::from(profile))?;
    let n = traffic.daily_units * sim.days as f64;
    let se = traffic.sd * (1.0 / (sim.holdout * n) + 1.0 / ((1.0 - sim.holdout) * n)).sqrt();
    Ok(stats::power_at(lift * traffic.mean, se, alpha))
}

/// The simulated MDE of metric `metric` (an index into [`METRICS`]): the
/// smallest conversion lift whose simulated power reaches `target_power`.
///
/// # Formula
/// Every evaluation runs [`monte_carlo_power`] with the same seeds (common
/// random numbers), so simulated power is a smooth, nearly monotone function
/// of the lift. The first evaluation, at the analytic guess
/// `L₀ = k(α, power)·RMS(SE_A/A)` from a pilot run, brackets the root by
/// halving or doubling; bisection in log-lift then narrows the bracket until
/// `hi/lo ≤ 1 + tolerance`. Returns the upper end (power ≥ target).
///
/// `progress(done, total)` counts replicates of the current evaluation.
///
/// # Errors
/// As [`monte_carlo_power`]; [`Error::InvalidParameter`] for a metric index
/// out of range, `target_power` outside (α, 1) or a non-positive tolerance;
/// [`Error::Degenerate`] if no lift up to 64× the guess reaches the power.
pub fn simulated_mde(
    profile: &StoreProfile,
    sim: &SimConfig,
    config: &PowerConfig,
    metric: usize,
    target_power: f64,
    tolerance: f64,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(PowerReport, SimulatedMde)> {
    if metric >= METRICS.len() {
        return Err(Error::invalid("--mde metric", metric, "a metric of liftlab power"));
    }
    crate::error::check_positive("--mde-tolerance", tolerance)?;
    let k = stats::mde_multiplier(config.alpha, target_power)?;
    let mut evaluations = Vec::new();
    let mut eval = |lift: f64| -> Result<PowerReport> {
        let r = monte_carlo_power(profile, sim, lift, config, progress)?;
        evaluations.push((lift, r.metrics[metric].power));
        Ok(r)
    };
    let reaches = |r: &PowerReport| r.metrics[metric].power >= target_power;
    // The A/A twins do not depend on the lift: any run measures the SE.
    let analytic_mde = k * eval(0.01)?.metrics[metric].aa_se;
    let (mut lo, mut hi) = (analytic_mde, analytic_mde);
    let mut hi_report = eval(hi)?;
    if reaches(&hi_report) {
        loop {
            lo = hi / 2.0;
            let r = eval(lo)?;
            if !reaches(&r) {
                break;
            }
            (hi, hi_report) = (lo, r);
            if hi < analytic_mde / 64.0 {
                break;
            }
        }
    } else {
        while !reaches(&hi_report) {
            lo = hi;
            hi *= 2.0;
            if hi > 64.0 * analytic_mde {
                return Err(Error::Degenerate {
                    metric: METRICS[metric].into(),
                    message: format!("no lift up to {} reaches power {target_power}", pct_short(lo)),
                });
            }
            hi_report = eval(hi)?;
        }
    }
    while hi / lo > 1.0 + tolerance {
        let mid = (lo * hi).sqrt();
        let r = eval(mid)?;
        if reaches(&r) {
            (hi, hi_report) = (mid, r);
        } else {
            lo = mid;
        }
    }
    let m = &hi_report.metrics[metric];
    let mde = SimulatedMde {
        metric: METRICS[metric].into(),
        target_power,
        lift: hi,
        true_lift: m.true_lift,
        power: m.power,
        power_se: m.power_se,
        analytic_mde,
        evaluations,
    };
    Ok((hi_report, mde))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lift: f64, k: usize) -> PowerReport {
        let p = StoreProfile::preset("20m").unwrap();
        let sim = SimConfig { days: 7, holdout: 0.5, seed: 4, salt: 1 };
        monte_carlo_power(&p, &sim, lift, &PowerConfig { replicates: k, alpha: 0.05, seed: 4 }, &|_, _| {}).unwrap()
    }

    #[test]
    fn power_rises_with_the_lift_and_aa_stays_near_alpha() {
        let (small, big) = (run(0.02, 120), run(0.20, 120));
        for (s, b) in small.metrics.iter().zip(&big.metrics) {
            assert!(b.power > s.power, "{}: {} vs {}", s.metric, b.power, s.power);
            // 120 A/A tests: MC SE ≈ 2%; allow 4 SE.
            assert!(s.aa_false_positive_rate < 0.05 + 4.0 * 0.02, "{}: {}", s.metric, s.aa_false_positive_rate);
            // The two tails split the A/A false positives; each targets α/2 (MC SE ≈ 1.4%).
            let tails = s.aa_false_positive_rate_upper + s.aa_false_positive_rate_lower;
            assert!((tails - s.aa_false_positive_rate).abs() < 1e-12, "{s:?}");
            for tail in [s.aa_false_positive_rate_upper, s.aa_false_positive_rate_lower] {
                assert!(tail < 0.025 + 4.0 * 0.0143, "{s:?}");
            }
        }
        let conv = &big.metrics[3];
        assert!(conv.power > 0.9 && conv.analytic_power > 0.9, "{conv:?}");
        assert!((conv.true_lift - 0.20).abs() < 0.03);
    }

    #[test]
    fn simulated_mde_brackets_the_power_target() {
        let p = StoreProfile::preset("20m").unwrap();
        let sim = SimConfig { days: 7, holdout: 0.5, seed: 4, salt: 1 };
        let cfg = PowerConfig { replicates: 150, alpha: 0.05, seed: 4 };
        let (report, mde) = simulated_mde(&p, &sim, &cfg, 3, 0.8, 0.1, &|_, _| {}).unwrap();
        assert!(mde.power >= 0.8 && report.lift == mde.lift, "{mde:?}");
        // The largest lift evaluated below the target is within 10% of it.
        let below = mde.evaluations.iter().filter(|e| e.1 < 0.8).map(|e| e.0).fold(0.0, f64::max);
        assert!(below < mde.lift && mde.lift / below <= 1.1 + 1e-12, "{mde:?}");
        // Conversion is close to normal at this size: within 25% of the analytic MDE.
        assert!((mde.lift / mde.analytic_mde - 1.0).abs() < 0.25, "{mde:?}");
        assert!(simulated_mde(&p, &sim, &cfg, 9, 0.8, 0.1, &|_, _| {}).is_err());
    }

    #[test]
    fn same_seed_same_report_whatever_the_threads_and_bad_settings_fail() {
        let on = |t| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap().install(|| run(0.05, 20));
        assert_eq!(on(1), on(3));
        let p = StoreProfile::default();
        let cfg = PowerConfig { replicates: 5, alpha: 0.05, seed: 1 };
        assert!(monte_carlo_power(&p, &SimConfig::default(), 0.03, &cfg, &|_, _| {}).is_err());
    }
}
