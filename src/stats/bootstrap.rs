//! Two-sample bootstrap of the difference in means and the relative lift.
//!
//! Resampling is within each arm. Resample `b` draws from its own random
//! stream `(seed, b)`, so the result is bit-identical for a seed whatever the
//! number of threads, and memory is O(n + B), never O(n·B).
//!
//! Two resampling schemes: the classical one (`n` draws with replacement,
//! done exactly in O(non-zero units) for zero-inflated arms) and the Poisson
//! bootstrap (every unit gets an independent Poisson(1) weight; one pass per
//! resample, no need to know `n` in advance, the scheme of streaming and
//! sharded systems). Two intervals: percentile and BCa.

use std::borrow::Cow;

use ndarray::ArrayView1;
use rand::{Rng, RngExt};
use rand_distr::{Binomial, Distribution, Poisson};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result, check_open_unit};
use crate::rng::{LiftRng, domain, stream};
use crate::stats::dist::{normal_cdf, normal_quantile};

/// How resamples are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resampling {
    /// `n` units with replacement per arm (Efron's bootstrap). Arms with 50%
    /// or more zeros are resampled exactly by drawing the count of non-zero
    /// units from a binomial and resampling only those.
    #[default]
    Exact,
    /// Poisson bootstrap: each unit enters with an independent Poisson(1)
    /// weight; the zeros of a zero-inflated arm share one Poisson(n_zero)
    /// total weight (Hanley & MacGibbon 2006; Chamandy et al. 2012).
    Poisson,
}

/// Which bootstrap interval is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// The `α/2` and `1 − α/2` percentiles of the replicates.
    #[default]
    Percentile,
    /// Bias-corrected and accelerated (Efron 1987): percentiles shifted by
    /// the median bias `z₀` and the jackknife acceleration `a`.
    Bca,
}

/// Settings of a bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BootstrapConfig {
    /// Number of resamples `B` (at least 2; 2000 is typical).
    pub resamples: usize,
    /// Two-sided level: the interval covers `1 − α`.
    pub alpha: f64,
    /// Seed of the resample streams.
    pub seed: u64,
    /// Resampling scheme.
    pub resampling: Resampling,
    /// Interval reported.
    pub interval: Interval,
}

impl BootstrapConfig {
    /// Exact resampling and percentile intervals.
    pub fn new(resamples: usize, alpha: f64, seed: u64) -> Self {
        Self { resamples, alpha, seed, resampling: Resampling::Exact, interval: Interval::Percentile }
    }
}

/// Bootstrap intervals of one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BootstrapResult {
    /// Number of resamples `B`.
    pub resamples: usize,
    /// Resampling scheme used.
    pub resampling: Resampling,
    /// Interval reported.
    pub interval: Interval,
    /// Lower bound for `ȳ_t − ȳ_c` (metric units).
    pub effect_size_ci_lower: f64,
    /// Upper bound for `ȳ_t − ȳ_c` (metric units).
    pub effect_size_ci_upper: f64,
    /// Standard deviation of the bootstrap distribution of the difference.
    pub effect_size_se: f64,
    /// Lower bound for `ȳ_t/ȳ_c − 1` (a fraction); `None` if a resampled
    /// control mean was 0.
    pub rel_effect_size_ci_lower: Option<f64>,
    /// Upper bound for `ȳ_t/ȳ_c − 1` (a fraction).
    pub rel_effect_size_ci_upper: Option<f64>,
    /// Standard deviation of the bootstrap distribution of the lift.
    pub rel_effect_size_se: Option<f64>,
}

/// Share of zeros above which an arm is resampled by the sparse method.
const SPARSE_ZERO_SHARE: f64 = 0.5;

fn contiguous(v: ArrayView1<'_, f64>) -> Cow<'_, [f64]> {
    match v.to_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(v.to_vec()),
    }
}

/// Zero-inflated arm: its non-zero values and the laws of the number of
/// non-zero units drawn (exact) and of the zeros' total weight (Poisson).
struct Sparse {
    nonzero: Vec<f64>,
    count: Binomial,
    zero_weight: Option<Poisson<f64>>,
}

/// One arm: values `y`, optional ratio denominators `x`, and the sparse
/// representation when `y` is mostly zeros (and not a ratio).
struct ArmSampler<'a> {
    y: Cow<'a, [f64]>,
    x: Option<Cow<'a, [f64]>>,
    sparse: Option<Sparse>,
}

impl<'a> ArmSampler<'a> {
    fn mean(y: ArrayView1<'a, f64>) -> Self {
        let y = contiguous(y);
        let n = y.len();
        let nonzero: Vec<f64> = y.iter().copied().filter(|v| *v != 0.0).collect();
        let zeros = n - nonzero.len();
        let sparse = (n > 0 && zeros > 0 && zeros as f64 >= SPARSE_ZERO_SHARE * n as f64).then(|| {
            let p = nonzero.len() as f64 / n as f64;
            Sparse {
                count: Binomial::new(n as u64, p).expect("0 <= p <= 1 by construction"),
                zero_weight: Some(Poisson::new(zeros as f64).expect("zeros > 0")),
                nonzero,
            }
        });
        Self { y, x: None, sparse }
    }

    fn ratio(y: ArrayView1<'a, f64>, x: ArrayView1<'a, f64>) -> Self {
        Self { y: contiguous(y), x: Some(contiguous(x)), sparse: None }
    }

    fn n(&self) -> usize {
        self.y.len()
    }

    /// The arm's statistic on the data: `ȳ`, or `Σy/Σx` for a ratio.
    fn statistic(&self) -> f64 {
        let sy: f64 = self.y.iter().sum();
        match &self.x {
            Some(x) => sy / x.iter().sum::<f64>(),
            None => sy / self.n() as f64,
        }
    }

    /// The statistic of one resample.
    fn resample(&self, rng: &mut LiftRng, scheme: Resampling) -> f64 {
        let n = self.n();
        match (&self.sparse, scheme) {
            (Some(s), Resampling::Exact) => {
                let k = s.count.sample(rng) as usize;
                let sum = sum_of_picks(&s.nonzero, k, rng);
                sum / n as f64
            }
            (Some(s), Resampling::Poisson) => {
                let w0 = s.zero_weight.as_ref().map_or(0.0, |p| p.sample(rng));
                let (mut sw, mut swy) = (w0, 0.0);
                for &v in &s.nonzero {
                    let w = poisson1(rng);
                    sw += w;
                    swy += w * v;
                }
                swy / sw
            }
            (None, Resampling::Exact) => match &self.x {
                Some(x) => {
                    let (mut sy, mut sx) = (0.0, 0.0);
                    for _ in 0..n {
                        let i = rng.random_range(0..n);
                        sy += self.y[i];
                        sx += x[i];
                    }
                    sy / sx
                }
                None => sum_of_picks(&self.y, n, rng) / n as f64,
            },
            (None, Resampling::Poisson) => {
                let (mut sw, mut swy) = (0.0, 0.0);
                match &self.x {
                    Some(x) => {
                        for (&y, &x) in self.y.iter().zip(x.iter()) {
                            let w = poisson1(rng);
                            sw += w * x;
                            swy += w * y;
                        }
                    }
                    None => {
                        for &y in self.y.iter() {
                            let w = poisson1(rng);
                            sw += w;
                            swy += w * y;
                        }
                    }
                }
                swy / sw
            }
        }
    }

    /// Calls `f(s_(i), multiplicity)` for the leave-one-out statistics of
    /// the arm (units with equal values grouped: the zeros of a sparse arm).
    fn for_each_leave_one_out(&self, mut f: impl FnMut(f64, f64)) {
        let sy: f64 = self.y.iter().sum();
        let n = self.n() as f64;
        match (&self.x, &self.sparse) {
            (Some(x), _) => {
                let sx: f64 = x.iter().sum();
                for (&y, &x) in self.y.iter().zip(x.iter()) {
                    f((sy - y) / (sx - x), 1.0);
                }
            }
            (None, Some(s)) => {
                for &y in &s.nonzero {
                    f((sy - y) / (n - 1.0), 1.0);
                }
                f(sy / (n - 1.0), n - s.nonzero.len() as f64);
            }
            (None, None) => {
                for &y in self.y.iter() {
                    f((sy - y) / (n - 1.0), 1.0);
                }
            }
        }
    }
}

/// `Σ_{j<k} values[U_j]` with `U_j` uniform on the indices: `k` draws with
/// replacement. Two unbiased 32-bit indices per 64-bit random word
/// (Lemire 2019, "Fast random integer generation in an interval").
fn sum_of_picks(values: &[f64], k: usize, rng: &mut LiftRng) -> f64 {
    let m = values.len();
    if m == 0 || k == 0 {
        return 0.0;
    }
    debug_assert!(m <= u32::MAX as usize);
    let range = m as u32;
    let threshold = range.wrapping_neg() % range;
    let pick = |word: u32, rng: &mut LiftRng| -> usize {
        let mut prod = word as u64 * range as u64;
        while (prod as u32) < threshold {
            prod = rng.next_u32() as u64 * range as u64;
        }
        (prod >> 32) as usize
    };
    let (mut a, mut b) = (0.0, 0.0);
    for _ in 0..k / 2 {
        let w = rng.next_u64();
        a += values[pick(w as u32, rng)];
        b += values[pick((w >> 32) as u32, rng)];
    }
    if k % 2 == 1 {
        let w = rng.next_u32();
        a += values[pick(w, rng)];
    }
    a + b
}

/// `P(X ≤ k)` for `X ~ Poisson(1)`, scaled to `2⁶⁴`, for `k = 0..`.
const POISSON1_CDF: [u64; 20] = poisson1_cdf();

const fn poisson1_cdf() -> [u64; 20] {
    let mut out = [u64::MAX; 20];
    let mut pk = 0.367_879_441_171_442_33; // e^{-1}
    let mut cum = 0.0;
    let mut k = 0;
    while k < 19 {
        cum += pk;
        out[k] = (cum * 18_446_744_073_709_551_616.0) as u64;
        k += 1;
        pk /= k as f64;
    }
    out
}

/// One Poisson(1) draw by inversion of its CDF (mean 1.6 comparisons;
/// `P(X ≥ 19) < 10⁻¹⁷` is folded into 19).
#[inline]
fn poisson1(rng: &mut LiftRng) -> f64 {
    let u = rng.next_u64();
    let mut k = 0;
    while u > POISSON1_CDF[k] {
        k += 1;
    }
    k as f64
}

/// Bootstrap CIs for the difference in means and the relative lift of
/// `treatment` over `control`.
///
/// # Formula
/// For `b = 1..B`: resample each arm (see [`Resampling`]) and record
/// `Δ*_b = ȳ*_t − ȳ*_c` and `r*_b = ȳ*_t/ȳ*_c − 1`. The reported SE is the
/// standard deviation of the `B` replicates (`ddof = 1`).
/// - Percentile: the `α/2` and `1 − α/2` quantiles of the replicates (linear
///   interpolation, numpy's default).
/// - BCa: the quantiles at
///   `α₁,₂ = Φ(z₀ + (z₀ + z_{α/2, 1−α/2}) / (1 − a·(z₀ + z_{α/2, 1−α/2})))`,
///   with `z₀ = Φ⁻¹((#{θ* < θ̂} + #{θ* ≤ θ̂}) / 2B)` and the acceleration
///   `a = Σ_j Σ_i U_ji³/n_j³ / (6 (Σ_j Σ_i U_ji²/n_j²)^{3/2})`,
///   `U_ji = (n_j − 1)(θ̄_(j·) − θ_(ji))` over the leave-one-out estimates of
///   each arm `j` (computed in O(n), exactly).
///
/// Compare with `scipy.stats.bootstrap((t, c), statistic,
/// method="percentile" | "BCa")`; the two agree within Monte Carlo error.
///
/// # Errors
/// - [`Error::InvalidParameter`] if `alpha` is not in (0, 1) or
///   `resamples < 2`.
/// - [`Error::EmptyArm`] if an arm has fewer than 2 units.
/// - [`Error::Degenerate`] if a Poisson resample left an arm empty, or BCa
///   is undefined (every replicate on one side of the estimate).
///
/// # References
/// Efron & Tibshirani (1993), *An Introduction to the Bootstrap*, ch. 13–14
/// (percentile and BCa); Efron (1987), "Better bootstrap confidence
/// intervals", *JASA* 82; Chamandy, Muralidharan, Najmi & Naidu (2012),
/// "Estimating uncertainty for massive data streams" (Poisson bootstrap).
///
/// ```
/// use ndarray::array;
/// use liftlab::stats::{BootstrapConfig, Interval, bootstrap_two_sample};
/// let c = array![0.0, 0.0, 3.0, 1.0, 0.0, 2.0];
/// let t = array![1.0, 0.0, 4.0, 2.0, 3.0, 2.0];
/// let r = bootstrap_two_sample(c.view(), t.view(), &BootstrapConfig::new(500, 0.05, 42)).unwrap();
/// assert!(r.effect_size_ci_lower < 1.0 && 1.0 < r.effect_size_ci_upper);
/// let bca = BootstrapConfig { interval: Interval::Bca, ..BootstrapConfig::new(500, 0.05, 42) };
/// assert!(bootstrap_two_sample(c.view(), t.view(), &bca).is_ok());
/// ```
pub fn bootstrap_two_sample(
    control: ArrayView1<f64>,
    treatment: ArrayView1<f64>,
    config: &BootstrapConfig,
) -> Result<BootstrapResult> {
    check_inputs(control.len(), treatment.len(), config)?;
    run(&ArmSampler::mean(control), &ArmSampler::mean(treatment), config)
}

/// Bootstrap CIs for a ratio metric `Σy/Σx` (e.g. revenue per session with
/// the visitor as unit): units are resampled with their numerator and
/// denominator together, within arm.
///
/// # Formula
/// As [`bootstrap_two_sample`], with `R*_a = Σy*/Σx*` in place of the mean
/// (Poisson: `Σw·y/Σw·x`).
///
/// # Errors
/// As [`bootstrap_two_sample`]; [`Error::InvalidParameter`] if a
/// numerator and its denominator differ in length.
///
/// # References
/// Deng, Knoblich & Lu (2018), KDD, §4 (bootstrap as the check of the
/// delta method).
pub fn bootstrap_ratio_two_sample(
    control: (ArrayView1<f64>, ArrayView1<f64>),
    treatment: (ArrayView1<f64>, ArrayView1<f64>),
    config: &BootstrapConfig,
) -> Result<BootstrapResult> {
    for (y, x) in [&control, &treatment] {
        if y.len() != x.len() {
            return Err(Error::invalid("ratio metric", format!("{} vs {}", y.len(), x.len()), "equal lengths"));
        }
    }
    check_inputs(control.0.len(), treatment.0.len(), config)?;
    let sc = ArmSampler::ratio(control.0, control.1);
    let st = ArmSampler::ratio(treatment.0, treatment.1);
    run(&sc, &st, config)
}

fn check_inputs(n_control: usize, n_treatment: usize, config: &BootstrapConfig) -> Result<()> {
    check_open_unit("alpha", config.alpha)?;
    if config.resamples < 2 {
        return Err(Error::invalid("--bootstrap", config.resamples, "at least 2 resamples (e.g. 2000)"));
    }
    crate::limits::check_resampling("--bootstrap", config.resamples, n_control + n_treatment)?;
    for (arm, n) in [("control", n_control), ("treatment", n_treatment)] {
        if n < 2 {
            return Err(Error::EmptyArm { arm: arm.into(), segment: None, n: n as u64 });
        }
    }
    Ok(())
}

fn degenerate(message: impl Into<String>) -> Error {
    Error::Degenerate { metric: "bootstrap".into(), message: message.into() }
}

fn run(sc: &ArmSampler, st: &ArmSampler, config: &BootstrapConfig) -> Result<BootstrapResult> {
    let draws: Vec<(f64, f64)> = (0..config.resamples as u64)
        .into_par_iter()
        .map(|b| {
            let mut rng = stream(config.seed, domain::BOOTSTRAP, b);
            let mc = sc.resample(&mut rng, config.resampling);
            let mt = st.resample(&mut rng, config.resampling);
            (mt - mc, mt / mc - 1.0)
        })
        .collect();
    let mut diffs: Vec<f64> = draws.iter().map(|d| d.0).collect();
    if diffs.iter().any(|d| !d.is_finite()) {
        return Err(degenerate(
            "a resample had an empty arm or a zero denominator; use more units or the exact resampling",
        ));
    }
    let mut rels: Vec<f64> = draws.iter().map(|d| d.1).collect();
    let (c_hat, t_hat) = (sc.statistic(), st.statistic());
    let diff = |c: f64, t: f64| t - c;
    let rel = |c: f64, t: f64| t / c - 1.0;
    let (dl, du, dse) = interval(&mut diffs, config, sc, st, &diff, diff(c_hat, t_hat))?;
    let (rl, ru, rse) = if rels.iter().all(|r| r.is_finite()) {
        let (a, b, c) = interval(&mut rels, config, sc, st, &rel, rel(c_hat, t_hat))?;
        (Some(a), Some(b), Some(c))
    } else {
        (None, None, None)
    };
    Ok(BootstrapResult {
        resamples: config.resamples,
        resampling: config.resampling,
        interval: config.interval,
        effect_size_ci_lower: dl,
        effect_size_ci_upper: du,
        effect_size_se: dse,
        rel_effect_size_ci_lower: rl,
        rel_effect_size_ci_upper: ru,
        rel_effect_size_se: rse,
    })
}

/// Sorts the replicates and returns the interval's bounds and their sd.
fn interval(
    replicates: &mut [f64],
    config: &BootstrapConfig,
    sc: &ArmSampler,
    st: &ArmSampler,
    statistic: &dyn Fn(f64, f64) -> f64,
    estimate: f64,
) -> Result<(f64, f64, f64)> {
    let (lo, hi) = (config.alpha / 2.0, 1.0 - config.alpha / 2.0);
    let (lo, hi) = match config.interval {
        Interval::Percentile => (lo, hi),
        Interval::Bca => {
            let below = replicates.iter().filter(|&&r| r < estimate).count();
            let at_or_below = replicates.iter().filter(|&&r| r <= estimate).count();
            let z0 = normal_quantile((below + at_or_below) as f64 / (2.0 * replicates.len() as f64));
            if !z0.is_finite() {
                return Err(degenerate(
                    "BCa is undefined: every bootstrap replicate lies on one side of the estimate; use percentile",
                ));
            }
            let a = acceleration(sc, st, statistic);
            let shift = |q: f64| {
                let z = normal_quantile(q);
                normal_cdf(z0 + (z0 + z) / (1.0 - a * (z0 + z)))
            };
            (shift(lo), shift(hi))
        }
    };
    Ok(summarize(replicates, lo, hi))
}

/// The BCa acceleration `a` from the exact leave-one-out (jackknife)
/// estimates of each arm, as `scipy.stats.bootstrap` computes it.
fn acceleration(sc: &ArmSampler, st: &ArmSampler, statistic: &dyn Fn(f64, f64) -> f64) -> f64 {
    let (c_hat, t_hat) = (sc.statistic(), st.statistic());
    let (mut num, mut den) = (0.0, 0.0);
    for (arm, theta_loo) in [
        (sc, &(|s: f64| statistic(s, t_hat)) as &dyn Fn(f64) -> f64),
        (st, &(|s: f64| statistic(c_hat, s)) as &dyn Fn(f64) -> f64),
    ] {
        let n = arm.n() as f64;
        let mut sum = 0.0;
        arm.for_each_leave_one_out(|s, w| sum += w * theta_loo(s));
        let mean = sum / n;
        let (mut u2, mut u3) = (0.0, 0.0);
        arm.for_each_leave_one_out(|s, w| {
            let u = (n - 1.0) * (mean - theta_loo(s));
            u2 += w * u * u;
            u3 += w * u * u * u;
        });
        num += u3 / n.powi(3);
        den += u2 / n.powi(2);
    }
    num / (6.0 * den.powf(1.5))
}

/// Sorts `x` and returns its `lo` and `hi` quantiles and its standard deviation.
fn summarize(x: &mut [f64], lo: f64, hi: f64) -> (f64, f64, f64) {
    x.sort_unstable_by(f64::total_cmp);
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    (quantile_sorted(x, lo), quantile_sorted(x, hi), sd)
}

/// Quantile of sorted data, linear interpolation between order statistics
/// (Hyndman & Fan type 7, numpy's default).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let i = h.floor() as usize;
    let frac = h - i as f64;
    match sorted.get(i + 1) {
        Some(next) => sorted[i] + frac * (next - sorted[i]),
        None => sorted[i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    fn zero_inflated(n: usize, every: usize) -> Array1<f64> {
        Array1::from_iter((0..n).map(|i| if i % every == 0 { 1.0 + (i % 37) as f64 } else { 0.0 }))
    }

    #[test]
    fn same_seed_same_result_whatever_the_threads() {
        let c = Array1::from_iter((0..500).map(|i| if i % 7 == 0 { (i % 13) as f64 * 10.0 } else { 0.0 }));
        let t = Array1::from_iter((0..600).map(|i| (i % 5) as f64));
        for resampling in [Resampling::Exact, Resampling::Poisson] {
            for interval in [Interval::Percentile, Interval::Bca] {
                let cfg = BootstrapConfig { resampling, interval, ..BootstrapConfig::new(300, 0.05, 9) };
                let run = |threads| {
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .unwrap()
                        .install(|| bootstrap_two_sample(c.view(), t.view(), &cfg).unwrap())
                };
                assert_eq!(run(1), run(3));
            }
        }
    }

    #[test]
    fn quantile_matches_numpy_linear() {
        let x = [1.0, 2.0, 4.0, 8.0];
        // numpy.percentile([1,2,4,8], [0, 25, 50, 100]) = [1, 1.75, 3, 8]
        assert_eq!(quantile_sorted(&x, 0.0), 1.0);
        assert_eq!(quantile_sorted(&x, 0.25), 1.75);
        assert_eq!(quantile_sorted(&x, 0.5), 3.0);
        assert_eq!(quantile_sorted(&x, 1.0), 8.0);
    }

    /// SD of 4000 resampled means of one arm under a sampler.
    fn resampled_sd(s: &ArmSampler, scheme: Resampling) -> f64 {
        let mut m: Vec<f64> = (0..4000).map(|b| s.resample(&mut stream(1, 99, b), scheme)).collect();
        summarize(&mut m, 0.025, 0.975).2
    }

    #[test]
    fn sparse_dense_and_poisson_resamplers_agree_in_distribution() {
        // 95% zeros: the sparse sampler is used; compare its bootstrap SE
        // with the dense sampler's and the Poisson bootstraps'.
        let v = zero_inflated(4000, 20);
        let sparse = ArmSampler::mean(v.view());
        let dense = ArmSampler { y: Cow::Borrowed(v.as_slice().unwrap()), x: None, sparse: None };
        assert!(sparse.sparse.is_some());
        let reference = resampled_sd(&dense, Resampling::Exact);
        // Each SD estimate has relative MC error ≈ 1/√(2·4000) ≈ 1.1%.
        for (s, scheme) in [(&sparse, Resampling::Exact), (&sparse, Resampling::Poisson), (&dense, Resampling::Poisson)]
        {
            let sd = resampled_sd(s, scheme);
            assert!((sd / reference - 1.0).abs() < 0.05, "{scheme:?}: {sd} vs dense {reference}");
        }
        // The plug-in SE of a mean: sd(y)·√((n−1)/n)/√n.
        let n = v.len() as f64;
        let plug_in = v.std(0.0) / n.sqrt();
        assert!((reference / plug_in - 1.0).abs() < 0.05, "{reference} vs {plug_in}");
    }

    #[test]
    fn sparse_cis_match_the_naive_resampler_over_many_datasets() {
        // 300 zero-inflated datasets (2.5% of 3,000 units buy; lognormal-ish
        // values), each bootstrapped by the sparse and the naive resampler
        // from the same seed space. In distribution, the two CIs agree: the
        // mean difference of each bound is within 3 SE of 0, and both cover
        // the true difference (0) equally often.
        let reps = 300;
        let per_rep: Vec<[f64; 4]> = (0..reps)
            .into_par_iter()
            .map(|r| {
                let mut rng = stream(11, 96, r);
                let mut arm =
                    |n: usize| -> Vec<f64> {
                        (0..n)
                            .map(|_| {
                                if rng.random::<f64>() < 0.025 { (rng.random::<f64>() * 2.0).exp() * 30.0 } else { 0.0 }
                            })
                            .collect()
                    };
                let (c, t) = (arm(3000), arm(3000));
                let cfg = BootstrapConfig::new(400, 0.05, r);
                let naive = |v: &[f64]| ArmSampler { y: Cow::Owned(v.to_vec()), x: None, sparse: None };
                let sparse =
                    run(&ArmSampler::mean(ArrayView1::from(&c)), &ArmSampler::mean(ArrayView1::from(&t)), &cfg)
                        .unwrap();
                let dense = run(&naive(&c), &naive(&t), &cfg).unwrap();
                [
                    sparse.effect_size_ci_lower - dense.effect_size_ci_lower,
                    sparse.effect_size_ci_upper - dense.effect_size_ci_upper,
                    (sparse.effect_size_ci_lower <= 0.0 && 0.0 <= sparse.effect_size_ci_upper) as u8 as f64,
                    (dense.effect_size_ci_lower <= 0.0 && 0.0 <= dense.effect_size_ci_upper) as u8 as f64,
                ]
            })
            .collect();
        let n = reps as f64;
        let mean = |k: usize| per_rep.iter().map(|v| v[k]).sum::<f64>() / n;
        for k in 0..2 {
            let m = mean(k);
            let sd = (per_rep.iter().map(|v| (v[k] - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            assert!(m.abs() < 3.0 * sd / n.sqrt(), "bound {k}: mean difference {m} (sd {sd})");
        }
        // Coverage: each ≈ 0.95 ± 0.013; their difference within 0.04.
        assert!((mean(2) - mean(3)).abs() < 0.04, "sparse {} vs naive {}", mean(2), mean(3));
    }

    #[test]
    fn poisson_one_draws_have_mean_and_variance_one() {
        let mut rng = stream(3, 98, 0);
        let draws: Vec<f64> = (0..200_000).map(|_| poisson1(&mut rng)).collect();
        let n = draws.len() as f64;
        let mean = draws.iter().sum::<f64>() / n;
        let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
        // SE of the mean 1/√n ≈ 0.0022; of the variance ≈ √(3/n) ≈ 0.0039.
        assert!((mean - 1.0).abs() < 0.01 && (var - 1.0).abs() < 0.02, "{mean} {var}");
        let zeros = draws.iter().filter(|&&d| d == 0.0).count() as f64 / n;
        assert!((zeros - (-1f64).exp()).abs() < 0.005, "{zeros}");
    }

    #[test]
    fn sum_of_picks_is_uniform_over_indices() {
        let values = [1.0, 10.0, 100.0];
        let mut rng = stream(5, 97, 0);
        let k = 300_001;
        let total = sum_of_picks(&values, k, &mut rng);
        // Each value is picked k/3 times in expectation; the sum's SD is
        // √(k·Var) ≈ 24,000 on a mean of 3.7M: allow 5 SD.
        let expected = k as f64 * 111.0 / 3.0;
        let sd = (k as f64 * (values.iter().map(|v| v * v).sum::<f64>() / 3.0 - 37.0f64.powi(2))).sqrt();
        assert!((total - expected).abs() < 5.0 * sd, "{total} vs {expected} ± {sd}");
    }

    #[test]
    fn acceleration_is_zero_for_symmetric_data_and_leave_one_out_is_exact() {
        let c = Array1::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        let t = Array1::from_vec(vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        let (sc, st) = (ArmSampler::mean(c.view()), ArmSampler::mean(t.view()));
        let a = acceleration(&sc, &st, &|c, t| t - c);
        assert!(a.abs() < 1e-15, "{a}");
        // Sparse and dense leave-one-out give the same acceleration.
        let z = zero_inflated(400, 9);
        let dense = ArmSampler { y: Cow::Borrowed(z.as_slice().unwrap()), x: None, sparse: None };
        let sparse = ArmSampler::mean(z.view());
        let rel = |c: f64, t: f64| t / c - 1.0;
        let (a1, a2) = (acceleration(&sc, &dense, &rel), acceleration(&sc, &sparse, &rel));
        assert!((a1 - a2).abs() < 1e-12 * a1.abs(), "{a1} vs {a2}");
    }

    #[test]
    fn poisson_bootstrap_of_a_tiny_arm_fails_cleanly() {
        let c = Array1::from_vec(vec![1.0, 2.0]);
        let t = Array1::from_vec(vec![2.0, 3.0]);
        let cfg = BootstrapConfig { resampling: Resampling::Poisson, ..BootstrapConfig::new(2000, 0.05, 1) };
        // P(an arm of 2 gets total weight 0) = e^{-2} per resample.
        assert!(matches!(bootstrap_two_sample(c.view(), t.view(), &cfg), Err(Error::Degenerate { .. })));
    }
}
