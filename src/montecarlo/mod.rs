//! Monte Carlo power: simulate many holdout tests of a store and count how
//! often the analysis sees the effect.
//!
//! Replicate `r` simulates the store with the configured lift (A/B) and,
//! on the same random draws with no lift (A/A), analyses both with the same
//! code as `analyze` (Welch, delta method for ratio metrics, CUPED, and the
//! studentized permutation test where `analyze` would choose it), and
//! records significance, interval coverage of the realized true lift and the
//! estimate. Replicate `r` is seeded from `(seed, r)`, so results are
//! bit-identical whatever the number of threads.

mod data;
pub mod looks;

pub use data::{DataPowerReport, data_power};

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::assign::Arm;
use crate::error::{Error, Result, check_alpha};
use crate::experiment::{MethodChoice, TestMethod};
use crate::report::format::pct_short;
use crate::rng::splitmix64;
use crate::sim::store::VisitorRow;
use crate::sim::{Level, SimConfig, SimResult, simulate, summarize};
use crate::stats::skew::min_units_for_normal;
use crate::stats::{self, GroupedArms, Moments, PermutationConfig, PermutationResult, permutation_test_grouped};
use crate::store::StoreProfile;

use data::PairHash;

/// The metrics whose power is simulated. The last two rows run only when
/// [`PowerMethods`] asks for the permutation test (see
/// [`monte_carlo_power_with`]).
pub const METRICS: [&str; 6] = [
    "margin per session (delta)",
    "revenue per visitor (Welch)",
    "revenue per visitor (CUPED)",
    "conversion per session (delta)",
    "margin per session (permutation)",
    "revenue per visitor (permutation)",
];

/// The simulated metrics the permutation test can decide: its row in
/// [`METRICS`], the row of the normal-theory test whose estimate it shares,
/// the metric's name, and whether it is a ratio (per session).
const PERMUTATION_METRICS: [(usize, usize, &str, bool); 2] =
    [(4, 0, "margin per session", true), (5, 1, "revenue per visitor", false)];

/// Re-randomizations per permutation test in a power run (`--permutations`).
///
/// 200 keeps each one-sided level close to `α/2` at `α = 0.05`: with the
/// Phipson–Smyth p-value `p = (1 + #)/(B + 1)` (`#`: re-randomizations at
/// least as extreme) and rejection when the two-sided `2·min(p_upper,
/// p_lower) < α`, a tail rejects when `1 + # < (B + 1)·α/2`, which under
/// the null has probability `⌊(B + 1)·α/2⌋/(B + 1)` (for `(B + 1)·α/2` not
/// an integer) `= 5/201 ≈ 0.0249`. `B = 199` would give `4/200 = 0.02`:
/// the count matters more than its size.
pub const POWER_PERMUTATIONS: usize = 200;

/// Which tests a power run simulates, beside the normal-theory ones that
/// always run (Welch, delta method, CUPED).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PowerMethods {
    /// `auto`: the studentized permutation test too, for each metric where
    /// `analyze` would use it by default (see [`DefaultTest`]); `welch`:
    /// the normal-theory tests only; `permutation`: the permutation test
    /// for every metric it applies to (plain means and ratios, not CUPED).
    pub method: MethodChoice,
    /// Re-randomizations `B` of each permutation test
    /// ([`POWER_PERMUTATIONS`] by default).
    pub permutations: usize,
}

impl Default for PowerMethods {
    fn default() -> Self {
        Self { method: MethodChoice::Auto, permutations: POWER_PERMUTATIONS }
    }
}

impl PowerMethods {
    /// The normal-theory tests only (`--method welch`).
    pub fn normal_only() -> Self {
        Self { method: MethodChoice::Welch, ..Self::default() }
    }

    /// Whether the permutation row of a metric whose default test is
    /// `default` runs.
    fn runs_permutation(&self, default: TestMethod) -> bool {
        match self.method {
            MethodChoice::Welch => false,
            MethodChoice::Permutation => true,
            MethodChoice::Auto => default == TestMethod::Permutation,
        }
    }

    fn check(&self) -> Result<()> {
        if self.permutations == 0 {
            return Err(Error::invalid(
                "--permutations",
                0,
                "at least 1 re-randomization per test (200 is the default)",
            ));
        }
        crate::limits::check_permutations(self.permutations)?;
        Ok(())
    }
}

/// The test `analyze` uses by default for a metric: Welch (delta method
/// for a ratio) when every arm meets Kohavi et al.'s rule `n ≥ 355·γ²`, the
/// studentized permutation test otherwise.
///
/// # Formula
/// `γ_a`: sample skewness `g₁` of arm `a`'s metric (of its linearization
/// `y − R·d` for a ratio, [`stats::skew::ratio_skewness`]); `min_n_a =
/// 355·γ_a²`; permutation when `n_a < min_n_a` for some arm.
///
/// # References
/// Kohavi, Deng, Longbotham & Xu (2014), "Seven rules of thumb for web site
/// experimenters", KDD, rule 7.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefaultTest {
    /// Metric (without the method).
    pub metric: String,
    /// Skewness of the control arm's metric.
    pub skewness_control: f64,
    /// Skewness of the treatment arm's metric.
    pub skewness_treatment: f64,
    /// Units in control (expected units, for a re-randomized file).
    pub n_control: f64,
    /// Units in treatment (expected units, for a re-randomized file).
    pub n_treatment: f64,
    /// Units the rule asks of control: `355·γ_c²`.
    pub min_n_control: f64,
    /// Units the rule asks of treatment: `355·γ_t²`.
    pub min_n_treatment: f64,
    /// The test `analyze` would use.
    pub method: TestMethod,
}

impl DefaultTest {
    /// The default test of `metric` for arms of `(skewness, units)`.
    fn new(metric: &str, control: (f64, f64), treatment: (f64, f64)) -> Self {
        let (min_c, min_t) = (min_units_for_normal(control.0), min_units_for_normal(treatment.0));
        // As `SkewCheck`: a NaN skewness (empty arm) fails the rule.
        let ok = control.1 >= min_c && treatment.1 >= min_t;
        Self {
            metric: metric.to_string(),
            skewness_control: control.0,
            skewness_treatment: treatment.0,
            n_control: control.1,
            n_treatment: treatment.1,
            min_n_control: min_c,
            min_n_treatment: min_t,
            method: if ok { TestMethod::Welch } else { TestMethod::Permutation },
        }
    }
}

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
/// Monte Carlo standard error `√(p(1 − p)/K)`, `K` the valid
/// (non-degenerate) replicates: every rate, mean and SE is over those;
/// [`MetricPower::degenerate`] counts the others.
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
    /// Replicates whose analysis was impossible (e.g. no control unit
    /// bought in a short test at a small store); every rate above is over
    /// the other, valid replicates.
    pub degenerate: usize,
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
    /// Tests simulated beside the normal-theory ones.
    pub methods: PowerMethods,
    /// The test `analyze` would use by default for each metric the
    /// permutation test applies to, judged on replicate 0's A/A test
    /// (empty with `--method welch`, which does not look).
    pub default_tests: Vec<DefaultTest>,
    /// One row per metric and method, in the order of [`METRICS`].
    pub metrics: Vec<MetricPower>,
    /// What `liftlab plan --store` computes for the same store, duration,
    /// holdout and lift: analytic power for margin per session (see
    /// [`plan_power`]).
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

/// One replicate's outcome for one metric row: its A/B test against the
/// realized true lift and its A/A twin. [`summarize_outcomes`] turns a
/// column of them (one per replicate) into a [`MetricPower`]; `liftlab
/// sweep` writes them one replicate per line and merges them the same way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Outcome {
    /// The A/B test is significant in the direction of the configured lift
    /// (never for a lift of 0).
    pub hit: bool,
    /// The A/A test is significant.
    pub aa_reject: bool,
    /// Sign of the A/A estimate of treatment − control: 1, −1 or 0.
    pub aa_sign: i8,
    /// The A/B relative-lift CI contains the realized true lift.
    pub covers: bool,
    /// Estimated − realized true relative lift (A/B).
    #[serde(deserialize_with = "null_as_nan")]
    pub error: f64,
    /// Realized true relative lift of the metric.
    #[serde(deserialize_with = "null_as_nan")]
    pub truth: f64,
    /// Standard error of the A/A relative lift (a fraction).
    #[serde(deserialize_with = "null_as_nan")]
    pub aa_se: f64,
    /// The replicate's A/B or A/A analysis was impossible (e.g. no control
    /// unit bought: the relative lift is undefined). It is counted
    /// ([`MetricPower::degenerate`]) and left out of every rate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub degenerate: bool,
}

impl Outcome {
    /// The outcome of a replicate whose analysis was impossible.
    pub const DEGENERATE: Outcome = Outcome {
        hit: false,
        aa_reject: false,
        aa_sign: 0,
        covers: false,
        error: f64::NAN,
        truth: f64::NAN,
        aa_se: f64::NAN,
        degenerate: true,
    };

    /// `result`'s outcome, or [`Outcome::DEGENERATE`] when the analysis
    /// was impossible ([`Error::Degenerate`]: a zero control mean, no
    /// variance; [`Error::EmptyArm`]: fewer than 2 units in an arm); any
    /// other error is returned.
    ///
    /// # Errors
    /// Errors other than those two.
    pub fn or_degenerate(result: Result<Outcome>) -> Result<Outcome> {
        match result {
            Err(Error::Degenerate { .. } | Error::EmptyArm { .. }) => Ok(Outcome::DEGENERATE),
            other => other,
        }
    }
}

/// Reads a number written by `serde_json`, which writes non-finite numbers
/// as `null`, back as NaN.
fn null_as_nan<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(<Option<f64> as serde::Deserialize>::deserialize(d)?.unwrap_or(f64::NAN))
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
    /// The studentized permutation test of the mean (`ratio: false`) or of
    /// `Σy/Σx`; its estimate and SE are those of [`Method::Mean`] or
    /// [`Method::Ratio`].
    Permutation {
        /// Whether the metric is a ratio.
        ratio: bool,
    },
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
/// the direction its p-value points to.
#[derive(Debug, Clone, Copy)]
struct TestResult {
    lift: f64,
    lower: f64,
    upper: f64,
    pvalue: f64,
    se: f64,
    /// 1 when the test says treatment is above control, −1 below, 0
    /// neither: the sign of the estimated difference for a normal-theory
    /// test, the smaller one-sided p-value for the permutation test.
    direction: i8,
}

/// Tests control against treatment the way `analyze` does, with normal
/// theory ([`Method::Permutation`] gives the estimate it shares; see
/// [`with_permutation`] for its verdict).
fn test(c: &Moments, t: &Moments, method: Method, alpha: f64) -> Result<TestResult> {
    let (r, welch) = match method {
        Method::Cuped => {
            let cu = stats::cuped(c, t, alpha)?;
            (cu.relative, cu.welch)
        }
        Method::Ratio | Method::Mean | Method::Permutation { .. } => {
            let (ec, et) = match method {
                Method::Ratio | Method::Permutation { ratio: true } => {
                    (stats::ratio_estimate(c)?, stats::ratio_estimate(t)?)
                }
                _ => (c.estimate(), t.estimate()),
            };
            (stats::relative_lift(&ec, &et, alpha)?, stats::welch(&ec, &et, alpha)?)
        }
    };
    let effect = welch.effect_size;
    Ok(TestResult {
        lift: r.rel_effect_size,
        lower: r.rel_effect_size_ci_lower,
        upper: r.rel_effect_size_ci_upper,
        pvalue: welch.pvalue,
        se: r.rel_effect_size_se,
        direction: (effect > 0.0) as i8 - (effect < 0.0) as i8,
    })
}

/// The permutation test's verdict on the normal-theory result `base` of the
/// same arms: the estimate and SE stay; the p-value, the direction (the
/// smaller one-sided p-value) and the relative-lift interval come from `p`.
///
/// With `intervals` (`p` run with them), a side the test inversion leaves
/// unbounded (`None`: too few re-randomizations) is infinite, and no side
/// at all with a lift estimate at or below −1 (a mean not positive: no
/// interval) gives NaN bounds, which contain nothing. Without, the interval
/// is only known at a lift of 0: by test inversion it contains 0 exactly
/// when neither one-sided p-value is at most `α/2`, so it is `(−∞, ∞)` then
/// and NaN bounds otherwise.
fn with_permutation(base: &TestResult, p: &PermutationResult, alpha: f64, intervals: bool) -> TestResult {
    let (lower, upper) = match (p.rel_effect_size_ci_lower, p.rel_effect_size_ci_upper) {
        _ if !intervals => {
            if p.pvalue_upper > alpha / 2.0 && p.pvalue_lower > alpha / 2.0 {
                (f64::NEG_INFINITY, f64::INFINITY)
            } else {
                (f64::NAN, f64::NAN)
            }
        }
        (None, None) if !(base.lift > -1.0) => (f64::NAN, f64::NAN),
        (lo, hi) => (lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY)),
    };
    TestResult {
        lower,
        upper,
        pvalue: p.pvalue,
        direction: (p.pvalue_upper < p.pvalue_lower) as i8 - (p.pvalue_upper > p.pvalue_lower) as i8,
        ..*base
    }
}

/// The seed of the permutation test of replicate `r`, test `j`: a mix of
/// the run's seed and both indices, so results do not depend on the order
/// or thread replicates run in.
fn permutation_seed(seed: u64, r: u64, j: u64) -> u64 {
    let mut s = replicate_seed(seed ^ 0x5045_524D_5554_4154, r) ^ j.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    splitmix64(&mut s)
}

/// The outcome of one replicate: the A/B test against the true lift, and
/// its A/A twin.
fn outcome(ab: &TestResult, aa: &TestResult, lift: f64, truth: f64, alpha: f64) -> Outcome {
    Outcome {
        hit: ab.pvalue < alpha && f64::from(ab.direction) == lift.signum() && lift != 0.0,
        aa_reject: aa.pvalue < alpha,
        aa_sign: aa.direction,
        covers: ab.lower <= truth && truth <= ab.upper,
        error: ab.lift - truth,
        truth,
        aa_se: aa.se,
        degenerate: false,
    }
}

/// The operating characteristics of one metric row from its replicates'
/// outcomes (one per replicate, in any order: the sums are taken in the
/// order given, so the same order gives the same bits). The formulas are
/// those of [`monte_carlo_power_with`].
pub fn summarize_outcomes(name: &str, col: &[Outcome], alpha: f64) -> MetricPower {
    let degenerate = col.iter().filter(|o| o.degenerate).count();
    let valid: Vec<Outcome>;
    let col = if degenerate == 0 {
        col
    } else {
        valid = col.iter().filter(|o| !o.degenerate).copied().collect();
        &valid[..]
    };
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
        degenerate,
    }
}

/// The seed of replicate `r` of a run seeded with `seed` (splitmix64 of a
/// mix of both), so replicates do not depend on the order they run in.
pub(crate) fn replicate_seed(seed: u64, r: u64) -> u64 {
    let mut s = seed ^ r.wrapping_mul(0xA076_1D64_78BD_642F);
    splitmix64(&mut s)
}

/// Identical units of one arm and metric, as distinct `(y, d)` values with
/// their counts, in first-seen order (so the same rows give the same
/// order, whatever the hash).
#[derive(Debug, Default)]
struct Tally {
    index: HashMap<(u64, u64), usize, PairHash>,
    values: Vec<(f64, f64, u64)>,
}

impl Tally {
    #[inline]
    fn add(&mut self, y: f64, d: f64) {
        let next = self.values.len();
        let i = *self.index.entry((y.to_bits(), d.to_bits())).or_insert(next);
        if i == next {
            self.values.push((y, d, 0));
        }
        self.values[i].2 += 1;
    }

    fn n(&self) -> u64 {
        self.values.iter().map(|v| v.2).sum()
    }

    /// Sample skewness `g₁` of the units' `y` (`ratio: false`) or of their
    /// linearization `y − R·d`, `R = Σy/Σd` ([`stats::skew::skewness`],
    /// [`stats::skew::ratio_skewness`], over the units the counts stand for).
    fn skewness(&self, ratio: bool) -> f64 {
        let (sy, sd) = self.values.iter().fold((0.0, 0.0), |(a, b), &(y, d, c)| (a + c as f64 * y, b + c as f64 * d));
        let r = if ratio { sy / sd } else { 0.0 };
        stats::skew::weighted_skewness(|f| self.values.iter().for_each(|&(y, d, c)| f(y - r * d, c as f64)))
    }
}

/// A value shared by at least this many units of an arm is handed to the
/// permutation test as one group, the others as a list. Each group costs
/// every re-randomization a hypergeometric draw, whose set-up
/// (`rand_distr::Hypergeometric::new`) costs about as much as drawing a
/// few hundred listed units: with 16 (the test's own threshold) `liftlab
/// power` spent 80% of its time there and ran about 5× slower than with
/// 256; 128 to 1,024 ran alike. Results are the same in law either way.
const PERMUTATION_GROUP: u64 = 256;

/// The units of a simulated test the permutation test needs:
/// `[metric][arm]` for the metrics of [`PERMUTATION_METRICS`] (`y`:
/// margin, `d`: sessions; `y`: revenue, `d = 1`) and arms control,
/// treatment.
#[derive(Debug, Default)]
struct Units([[Tally; 2]; 2]);

impl Units {
    fn add(&mut self, v: &VisitorRow) {
        let a = (v.arm == Arm::Treatment) as usize;
        self.0[0][a].add(v.margin, f64::from(v.sessions));
        self.0[1][a].add(v.revenue, 1.0);
    }

    /// The arms of metric `m` as [`GroupedArms`]: values shared by at least
    /// [`PERMUTATION_GROUP`] units of an arm as groups, the others listed.
    fn arms(&self, m: usize) -> GroupedArms {
        let mut arms = GroupedArms::default();
        for (a, tally) in self.0[m].iter().enumerate() {
            for &(y, d, c) in &tally.values {
                if c >= PERMUTATION_GROUP {
                    arms.groups.push(if a == 0 { (y, d, c, 0) } else { (y, d, 0, c) });
                } else {
                    let list = if a == 0 { &mut arms.control } else { &mut arms.treatment };
                    list.extend(std::iter::repeat_n((y, d), c as usize));
                }
            }
        }
        arms
    }

    /// `analyze`'s default test of metric `m` ([`PERMUTATION_METRICS`]).
    fn default_test(&self, m: usize) -> DefaultTest {
        let (_, _, name, ratio) = PERMUTATION_METRICS[m];
        let arm = |t: &Tally| (t.skewness(ratio), t.n() as f64);
        DefaultTest::new(name, arm(&self.0[m][0]), arm(&self.0[m][1]))
    }
}

/// The settings of simulated test `r`.
fn replicate_config(sim: &SimConfig, r: u64) -> SimConfig {
    SimConfig { seed: replicate_seed(sim.seed, r), salt: replicate_seed(sim.salt, r), ..sim.clone() }
}

/// Simulates one test; with `Level::Unit`, also tallies its visitors.
fn simulate_test(profile: &StoreProfile, cfg: &SimConfig, level: Level) -> Result<(SimResult, Units)> {
    let mut units = Units::default();
    let result = simulate(profile, cfg, level, &|_, _| {}, |o| {
        o.visitors.iter().for_each(|v| units.add(v));
        Ok(())
    })?;
    Ok((result, units))
}

/// One simulated scenario (store, test settings, lift, methods) ready to
/// run replicates: replicate `r` is a pure function of the scenario and
/// `r`, so replicates can run in any order, on any thread or machine
/// (`liftlab power` runs them all; `liftlab sweep` a slice of them).
#[derive(Debug, Clone)]
pub struct PowerScenario {
    ab: StoreProfile,
    aa: StoreProfile,
    sim: SimConfig,
    lift: f64,
    alpha: f64,
    seed: u64,
    permutations: usize,
    permuted: Vec<usize>,
    level: Level,
    /// `analyze`'s default test per metric the permutation test applies
    /// to, judged on replicate 0's A/A test (empty with `--method welch`).
    pub default_tests: Vec<DefaultTest>,
}

impl PowerScenario {
    /// Validates the settings and decides which permutation rows run (see
    /// [`monte_carlo_power_with`]); `config.replicates` is not used.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for α outside (0, 1), no permutations or
    /// an invalid profile; as [`simulate`] for replicate 0's A/A test.
    pub fn new(
        profile: &StoreProfile,
        sim: &SimConfig,
        lift: f64,
        config: &PowerConfig,
        methods: &PowerMethods,
    ) -> Result<Self> {
        check_alpha(config.alpha)?;
        methods.check()?;
        let mut ab = profile.clone();
        ab.treatment.conversion_lift = lift;
        ab.validate()?;
        let mut aa = ab.clone();
        aa.treatment.conversion_lift = 0.0;
        aa.treatment.aov_lift = 0.0;
        aa.treatment.margin_mix_lift = 0.0;
        // `analyze`'s default test, from replicate 0's A/A test at unit level.
        let default_tests: Vec<DefaultTest> = if methods.method == MethodChoice::Welch {
            Vec::new()
        } else {
            let (_, units) = simulate_test(&aa, &replicate_config(sim, 0), Level::Unit)?;
            (0..PERMUTATION_METRICS.len()).map(|m| units.default_test(m)).collect()
        };
        let permuted: Vec<usize> = (0..PERMUTATION_METRICS.len())
            .filter(|&m| methods.runs_permutation(default_tests.get(m).map_or(TestMethod::Welch, |d| d.method)))
            .collect();
        let level = if permuted.is_empty() { Level::Aggregate } else { Level::Unit };
        Ok(Self {
            ab,
            aa,
            sim: sim.clone(),
            lift,
            alpha: config.alpha,
            seed: config.seed,
            permutations: methods.permutations,
            permuted,
            level,
            default_tests,
        })
    }

    /// Re-randomizations the permutation tests of `replicates` replicates
    /// draw: `replicates × 2 (A/B and A/A) × permuted metrics × B` (0 when no
    /// permutation row runs), for [`crate::limits::check_permutation_work`].
    pub fn permutation_draws(&self, replicates: usize) -> f64 {
        2.0 * replicates as f64 * self.permuted.len() as f64 * self.permutations as f64
    }

    /// The names of the rows [`PowerScenario::replicate`] returns, in its
    /// order (a subsequence of [`METRICS`]).
    pub fn metrics(&self) -> Vec<&'static str> {
        (0..4).chain(self.permuted.iter().map(|&j| PERMUTATION_METRICS[j].0)).map(|m| METRICS[m]).collect()
    }

    /// Simulates replicate `r` (the A/B test and its A/A twin, seeded from
    /// `(sim.seed, r)`; permutation test `j` from `(config.seed, r, j)`)
    /// and analyses every row of [`PowerScenario::metrics`].
    ///
    /// # Errors
    /// [`Error::Degenerate`] if a simulated arm has no orders at all;
    /// [`Error::EmptyArm`] if a permutation test finds an arm with fewer
    /// than 2 visitors.
    pub fn replicate(&self, r: u64) -> Result<Vec<Outcome>> {
        let (alpha, lift) = (self.alpha, self.lift);
        let perm_config = |seed, intervals| PermutationConfig { resamples: self.permutations, alpha, seed, intervals };
        let cfg = replicate_config(&self.sim, r);
        let ((res_ab, units_ab), (res_aa, units_aa)) =
            (simulate_test(&self.ab, &cfg, self.level)?, simulate_test(&self.aa, &cfg, self.level)?);
        let truth = summarize(&self.ab, &cfg, &res_ab.truth).truth;
        let true_lift = |m: usize| match m {
            0 => truth.margin_per_session_lift,
            1 | 2 => truth.revenue_per_visitor_lift,
            _ => truth.conversion_lift,
        };
        let normal = |m: usize| -> Result<(TestResult, TestResult)> {
            let (c, t, method) = estimates(&res_ab, m);
            let ab = test(&c, &t, method, alpha)?;
            let (c, t, _) = estimates(&res_aa, m);
            Ok((ab, test(&c, &t, method, alpha)?))
        };
        let mut out = Vec::with_capacity(4 + self.permuted.len());
        for m in 0..4 {
            out.push(Outcome::or_degenerate(normal(m).map(|(ab, aa)| outcome(&ab, &aa, lift, true_lift(m), alpha)))?);
        }
        for &j in &self.permuted {
            let (_, base, _, _) = PERMUTATION_METRICS[j];
            let permuted = || -> Result<Outcome> {
                let (ab_n, aa_n) = normal(base)?;
                let seed = permutation_seed(self.seed, r, j as u64);
                let p_ab = permutation_test_grouped(&units_ab.arms(j), &perm_config(seed, true))?;
                let p_aa = permutation_test_grouped(&units_aa.arms(j), &perm_config(seed, false))?;
                let (ab, aa) =
                    (with_permutation(&ab_n, &p_ab, alpha, true), with_permutation(&aa_n, &p_aa, alpha, false));
                Ok(outcome(&ab, &aa, lift, true_lift(base), alpha))
            };
            out.push(Outcome::or_degenerate(permuted())?);
        }
        Ok(out)
    }
}

/// Runs `config.replicates` A/B and A/A tests with the normal-theory tests
/// only (the first four rows of [`METRICS`]): [`monte_carlo_power_with`]
/// and [`PowerMethods::normal_only`].
///
/// # Errors
/// As [`monte_carlo_power_with`].
pub fn monte_carlo_power(
    profile: &StoreProfile,
    sim: &SimConfig,
    lift: f64,
    config: &PowerConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<PowerReport> {
    monte_carlo_power_with(profile, sim, lift, config, &PowerMethods::normal_only(), progress)
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
/// The permutation rows ("margin per session (permutation)", "revenue per
/// visitor (permutation)") run the studentized permutation test
/// ([`permutation_test_grouped`], `methods.permutations` re-randomizations)
/// on the visitors of each simulated test, as `analyze` would on the
/// exported data: revenue per visitor is the mean of `revenue`, margin per
/// session the ratio `Σmargin/Σsessions`. Their estimate, bias and SE are
/// those of the Welch / delta-method rows (the same point estimate); `p_r`,
/// the relative-lift interval (by test inversion) and the direction
/// (`sign(L̂_r)` and `Δ̂_r` above read as the tail with the smaller one-sided
/// p-value) are the permutation test's. A permutation row runs when
/// `methods.method` is `permutation`, or `auto` and `analyze` would use the
/// permutation test by default for that metric ([`DefaultTest`]). That is
/// decided once, on replicate 0's A/A test (each arm's skewness and size as
/// simulated), not per replicate, so the set of rows, and the common random
/// numbers of [`simulated_mde`], do not depend on the lift; the replicates
/// of one store differ little in skewness. Permutation test `j` of
/// replicate `r` (A/B and its A/A twin alike) is seeded from `(seed, r,
/// j)`.
///
/// `progress(done, total)` is called as replicates finish (from worker
/// threads, in any order).
///
/// # References
/// Kohavi, Tang & Xu (2020), *Trustworthy Online Controlled Experiments*,
/// ch. 19 (A/A tests); Morris, White & Crowther (2019), "Using simulation
/// studies to evaluate statistical methods", *Statistics in Medicine* 38
/// (Monte Carlo standard errors); Chung & Romano (2013), "Exact and
/// asymptotically robust permutation tests", *Annals of Statistics* 41(2).
///
/// # Errors
/// [`Error::InvalidParameter`] for fewer than 10 or more than
/// [`crate::limits::MAX_REPLICATES`] replicates, α outside (0, 1), no
/// permutations, permutation tests above
/// [`crate::limits::MAX_PERMUTED_UNITS`] or an invalid profile;
/// [`Error::Degenerate`] only if every replicate of every metric is
/// degenerate (a store too small for the duration): a degenerate replicate
/// is counted in [`MetricPower::degenerate`] and left out of the rates.
pub fn monte_carlo_power_with(
    profile: &StoreProfile,
    sim: &SimConfig,
    lift: f64,
    config: &PowerConfig,
    methods: &PowerMethods,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<PowerReport> {
    check_alpha(config.alpha)?;
    methods.check()?;
    if config.replicates < 10 {
        return Err(Error::invalid("--replicates", config.replicates, "at least 10 simulated tests"));
    }
    crate::limits::check_replicates("--replicates", config.replicates)?;
    let scenario = PowerScenario::new(profile, sim, lift, config, methods)?;
    crate::limits::check_permutation_work(
        "--permutations and --replicates",
        scenario.permutation_draws(config.replicates),
        orders_per_test(profile, sim),
    )?;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let k = config.replicates;
    let outcomes: Vec<Vec<Outcome>> = (0..k as u64)
        .into_par_iter()
        .map(|r| -> Result<Vec<Outcome>> {
            let out = scenario.replicate(r)?;
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n, k);
            Ok(out)
        })
        .collect::<Result<Vec<_>>>()?;
    let metrics: Vec<MetricPower> = scenario
        .metrics()
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let col: Vec<Outcome> = outcomes.iter().map(|o| o[i]).collect();
            summarize_outcomes(name, &col, config.alpha)
        })
        .collect();
    if metrics.iter().all(|m| m.degenerate == k) {
        return Err(Error::Degenerate {
            metric: "every metric".into(),
            message: format!(
                "all {k} simulated tests were degenerate (no analysis possible, e.g. no control buyer): \
                 simulate more days or a larger store"
            ),
        });
    }
    let PowerScenario { default_tests, .. } = scenario;
    Ok(PowerReport {
        store: profile.name.clone(),
        annual_revenue_usd: profile.annual_revenue_usd,
        sim: sim.clone(),
        lift,
        config: config.clone(),
        methods: *methods,
        default_tests,
        metrics,
        plan_power: plan_power(profile, sim, lift, config.alpha)?,
        mde: None,
    })
}

/// Expected orders in one simulated test (both arms): `sessions/day ×
/// conversion × days`, about the units a permutation test of it
/// re-randomizes one by one (non-buyers with equal values move as groups);
/// for work estimates ([`crate::limits::check_permutation_work`]).
pub fn orders_per_test(profile: &StoreProfile, sim: &SimConfig) -> f64 {
    profile.sessions_per_day() * profile.conversion_rate * f64::from(sim.days)
}

/// Monte Carlo evaluations a [`simulated_mde`] search typically runs at
/// `tolerance`: the pilot at 1%, the analytic guess, one bracketing step,
/// and `⌈log₂(ln 2 / ln(1 + tolerance))⌉` bisection steps in log-lift (a
/// bracket `hi/lo = 2` narrowed to `1 + tolerance`). 7 at the default 0.05,
/// 13 at [`crate::limits::MIN_MDE_TOLERANCE`]. For progress bars and work
/// estimates; a search that brackets in more steps runs a few more.
pub fn mde_evaluations(tolerance: f64) -> usize {
    let steps = (std::f64::consts::LN_2 / tolerance.max(f64::EPSILON).ln_1p()).log2().ceil();
    3 + if steps.is_finite() && steps > 0.0 { steps.min(64.0) as usize } else { 0 }
}

/// The analytic power `liftlab plan --store` reports for the primary
/// metric, contribution margin per session, at a relative lift: the store's
/// pilot, the reach curve's unique visitors and the delta method
/// ([`crate::plan::pilot::Pilot::power`]), read at the test's duration.
///
/// # Errors
/// As [`crate::plan::pilot::Pilot::measure`].
pub fn plan_power(profile: &StoreProfile, sim: &SimConfig, lift: f64, alpha: f64) -> Result<f64> {
    use crate::plan::pilot::{Pilot, PlanMetric};
    let pilot = Pilot::measure(profile, sim.seed, sim.days)?;
    let (revenue, days) = (profile.annual_revenue_usd, sim.days as f64);
    Ok(pilot.power(PlanMetric::MarginPerSession, revenue, days, sim.holdout, false, lift, alpha))
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
/// Every evaluation runs the tests of `methods`; for a permutation row
/// (`metric` 4 or 5) the permutation test runs whatever `methods.method`
/// says.
///
/// `progress(done, total)` counts replicates of the current evaluation
/// (about [`mde_evaluations`] of them in all).
///
/// # Errors
/// As [`monte_carlo_power`]; [`Error::InvalidParameter`] for a metric index
/// out of range, `target_power` outside (α, 1) or a tolerance outside
/// [[`crate::limits::MIN_MDE_TOLERANCE`], 1);
/// [`Error::Degenerate`] if no lift up to 64× the guess reaches the power.
#[allow(clippy::too_many_arguments)]
pub fn simulated_mde(
    profile: &StoreProfile,
    sim: &SimConfig,
    config: &PowerConfig,
    methods: &PowerMethods,
    metric: usize,
    target_power: f64,
    tolerance: f64,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(PowerReport, SimulatedMde)> {
    if metric >= METRICS.len() {
        return Err(Error::invalid("--mde metric", metric, "a metric of liftlab power"));
    }
    crate::limits::check_mde_tolerance("--mde-tolerance", tolerance)?;
    let k = stats::mde_multiplier(config.alpha, target_power)?;
    let methods = if PERMUTATION_METRICS.iter().any(|p| p.0 == metric) {
        PowerMethods { method: MethodChoice::Permutation, ..*methods }
    } else {
        *methods
    };
    // The metric's row (rows are in the order of METRICS, some may be absent).
    let row = |r: &PowerReport| -> MetricPower {
        r.metrics.iter().find(|m| m.metric == METRICS[metric]).expect("the metric's method runs").clone()
    };
    let mut evaluations = Vec::new();
    let mut eval = |lift: f64| -> Result<PowerReport> {
        let r = monte_carlo_power_with(profile, sim, lift, config, &methods, progress)?;
        evaluations.push((lift, row(&r).power));
        Ok(r)
    };
    let reaches = |r: &PowerReport| row(r).power >= target_power;
    // The A/A twins do not depend on the lift: any run measures the SE.
    let analytic_mde = k * row(&eval(0.01)?).aa_se;
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
        if !(mid > lo && mid < hi) {
            break; // the bracket is as narrow as f64 allows
        }
        let r = eval(mid)?;
        if reaches(&r) {
            (hi, hi_report) = (mid, r);
        } else {
            lo = mid;
        }
    }
    let m = row(&hi_report);
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
        let sim = SimConfig { days: 7, holdout: 0.5, seed: 4, salt: 1, ..SimConfig::default() };
        monte_carlo_power(&p, &sim, lift, &PowerConfig { replicates: k, alpha: 0.05, seed: 4 }, &|_, _| {}).unwrap()
    }

    #[test]
    fn rates_are_over_the_valid_replicates() {
        let o = |hit, aa_reject: bool, covers, error| Outcome {
            hit,
            aa_reject,
            aa_sign: i8::from(aa_reject),
            covers,
            error,
            truth: 0.02,
            aa_se: 0.01,
            degenerate: false,
        };
        let valid = [o(true, false, true, 0.001), o(true, true, false, -0.002), o(false, false, true, 0.004)];
        let mut with = valid.to_vec();
        with.insert(1, Outcome::DEGENERATE);
        with.push(Outcome::DEGENERATE);
        let m = summarize_outcomes("m", &with, 0.05);
        assert_eq!(m.degenerate, 2);
        // Shares of the 3 valid replicates, not of all 5.
        assert_eq!((m.power, m.aa_false_positive_rate, m.coverage), (2.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0));
        assert_eq!(m.aa_false_positive_rate_upper, 1.0 / 3.0);
        assert_eq!(m.power_se, (2.0 / 3.0 * (1.0 / 3.0) / 3.0_f64).sqrt());
        assert!((m.bias - 0.001).abs() < 1e-15 && m.true_lift == 0.02 && m.aa_se == 0.01);
        // The same bits as the valid replicates alone, degenerate count aside.
        assert_eq!(MetricPower { degenerate: 0, ..m }, summarize_outcomes("m", &valid, 0.05));
        // All degenerate: no rate is defined (the run is then an error).
        assert!(summarize_outcomes("m", &[Outcome::DEGENERATE; 3], 0.05).power.is_nan());
    }

    #[test]
    fn mde_evaluations_follow_the_tolerance() {
        assert_eq!(mde_evaluations(0.05), 7);
        assert_eq!(mde_evaluations(crate::limits::MIN_MDE_TOLERANCE), 13);
        assert!(mde_evaluations(0.5) >= 3);
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
        let sim = SimConfig { days: 7, holdout: 0.5, seed: 4, salt: 1, ..SimConfig::default() };
        let cfg = PowerConfig { replicates: 150, alpha: 0.05, seed: 4 };
        let (report, mde) =
            simulated_mde(&p, &sim, &cfg, &PowerMethods::normal_only(), 3, 0.8, 0.1, &|_, _| {}).unwrap();
        assert!(mde.power >= 0.8 && report.lift == mde.lift, "{mde:?}");
        // The largest lift evaluated below the target is within 10% of it.
        let below = mde.evaluations.iter().filter(|e| e.1 < 0.8).map(|e| e.0).fold(0.0, f64::max);
        assert!(below < mde.lift && mde.lift / below <= 1.1 + 1e-12, "{mde:?}");
        // Conversion is close to normal at this size: within 25% of the analytic MDE.
        assert!((mde.lift / mde.analytic_mde - 1.0).abs() < 0.25, "{mde:?}");
        assert!(simulated_mde(&p, &sim, &cfg, &PowerMethods::normal_only(), 9, 0.8, 0.1, &|_, _| {}).is_err());
    }

    #[test]
    fn same_seed_same_report_whatever_the_threads_and_bad_settings_fail() {
        let on = |t| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap().install(|| run(0.05, 20));
        assert_eq!(on(1), on(3));
        // With the permutation rows (seeded from (seed, replicate, test)).
        let p = StoreProfile::preset("0.5m").unwrap();
        let sim = SimConfig { days: 14, holdout: 0.1, seed: 4, salt: 1, ..SimConfig::default() };
        let cfg = PowerConfig { replicates: 12, alpha: 0.05, seed: 4 };
        let methods = PowerMethods { method: MethodChoice::Permutation, permutations: 40 };
        let permuted = |t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
                .install(|| monte_carlo_power_with(&p, &sim, 0.1, &cfg, &methods, &|_, _| {}).unwrap())
        };
        let one = permuted(1);
        assert_eq!(one, permuted(3));
        let names: Vec<&str> = one.metrics.iter().map(|m| m.metric.as_str()).collect();
        assert_eq!(names, METRICS);
        let p = StoreProfile::default();
        let cfg = PowerConfig { replicates: 5, alpha: 0.05, seed: 1 };
        assert!(monte_carlo_power(&p, &SimConfig::default(), 0.03, &cfg, &|_, _| {}).is_err());
        let none = PowerMethods { permutations: 0, ..methods };
        let cfg = PowerConfig { replicates: 10, ..cfg };
        assert!(monte_carlo_power_with(&p, &SimConfig::default(), 0.03, &cfg, &none, &|_, _| {}).is_err());
    }

    #[test]
    fn auto_runs_the_permutation_rows_where_analyze_would_and_welch_never() {
        // A small store, a 10% holdout: revenue per visitor is far too skewed
        // for the control arm's few thousand visitors (γ ≈ 10, 355·γ² ≈ 35,000).
        let p = StoreProfile::preset("0.5m").unwrap();
        let sim = SimConfig { days: 14, holdout: 0.1, seed: 2, salt: 1, ..SimConfig::default() };
        let cfg = PowerConfig { replicates: 10, alpha: 0.05, seed: 2 };
        let auto = monte_carlo_power_with(&p, &sim, 0.1, &cfg, &PowerMethods::default(), &|_, _| {}).unwrap();
        assert_eq!(auto.default_tests.len(), 2);
        for d in &auto.default_tests {
            assert_eq!(d.method, TestMethod::Permutation, "{d:?}");
            assert!(d.n_control < d.min_n_control, "{d:?}");
        }
        assert_eq!(auto.metrics.len(), 6);
        let welch = monte_carlo_power_with(&p, &sim, 0.1, &cfg, &PowerMethods::normal_only(), &|_, _| {}).unwrap();
        assert!(welch.default_tests.is_empty());
        // The normal-theory rows do not depend on which other rows run.
        assert_eq!(welch.metrics[..], auto.metrics[..4]);
    }

    #[test]
    fn tallied_units_give_the_skewness_and_arms_of_the_unit_lists() {
        let p = StoreProfile::preset("0.5m").unwrap();
        let cfg = SimConfig { days: 7, holdout: 0.2, seed: 3, salt: 1, ..SimConfig::default() };
        let mut rows = Vec::new();
        simulate(&p, &cfg, Level::Unit, &|_, _| {}, |o| {
            rows.extend_from_slice(&o.visitors);
            Ok(())
        })
        .unwrap();
        let (_, units) = simulate_test(&p, &cfg, Level::Unit).unwrap();
        for arm in [Arm::Control, Arm::Treatment] {
            let of = |f: fn(&VisitorRow) -> f64| rows.iter().filter(|v| v.arm == arm).map(f).collect::<Vec<f64>>();
            let (margin, sessions, revenue) = (of(|v| v.margin), of(|v| f64::from(v.sessions)), of(|v| v.revenue));
            let a = (arm == Arm::Treatment) as usize;
            let g = stats::skew::skewness(&revenue);
            assert!((units.0[1][a].skewness(false) - g).abs() < 1e-9 * g.abs(), "{arm:?}");
            let g = stats::skew::ratio_skewness(&margin, &sessions);
            assert!((units.0[0][a].skewness(true) - g).abs() < 1e-9 * g.abs(), "{arm:?}");
            assert_eq!(units.0[1][a].n(), revenue.len() as u64);
        }
        // The grouped arms hold every visitor once, with its values.
        let arms = units.arms(1);
        let total: f64 = arms.control.iter().chain(&arms.treatment).map(|u| u.0).sum::<f64>()
            + arms.groups.iter().map(|g| g.0 * (g.2 + g.3) as f64).sum::<f64>();
        let expected: f64 = rows.iter().map(|v| v.revenue).sum();
        assert!((total - expected).abs() < 1e-9 * expected);
        assert!(arms.groups.iter().all(|g| g.2 + g.3 >= PERMUTATION_GROUP));
    }
}
