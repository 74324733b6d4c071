//! Skewness, and when it makes the normal approximation of a mean unsafe.
//!
//! A mean of `n` units with skewness `γ` is itself skewed by `γ/√n`, and
//! Welch's `t` inherits it: one tail rejects too often, the other too
//! rarely. Kohavi, Deng, Longbotham & Xu (2014) turn this into a rule of
//! thumb: the normal approximation is adequate (the actual one-sided error
//! stays within 20% of the nominal 2.5%) when `n ≥ 355·γ²` in each arm.

use serde::Serialize;

/// The factor of Kohavi et al.'s rule of thumb `n ≥ 355·γ²`.
pub const SKEW_RULE_FACTOR: f64 = 355.0;

/// Sample skewness `g₁ = m₃ / m₂^{3/2}` of `y` (moments about the mean,
/// divided by `n`; `scipy.stats.skew(y, bias=True)`).
///
/// # Formula
/// ```text
/// ȳ = Σy/n,  m₂ = Σ(y − ȳ)²/n,  m₃ = Σ(y − ȳ)³/n,  g₁ = m₃ / m₂^{3/2}
/// ```
/// Two passes (mean, then central moments), so it is accurate for values
/// far from 0. Returns 0 for a constant sample and NaN for an empty one.
///
/// # References
/// Joanes & Gill (1998), "Comparing measures of sample skewness and
/// kurtosis", *The Statistician* 47(1) (the `g₁` estimator).
///
/// ```
/// use liftlab::stats::skew::skewness;
/// // scipy.stats.skew([0, 0, 0, 1, 5]) = 1.3627927530355544
/// assert!((skewness(&[0.0, 0.0, 0.0, 1.0, 5.0]) - 1.362_792_753_035_554_4).abs() < 1e-12);
/// ```
pub fn skewness(y: &[f64]) -> f64 {
    skewness_of(y.len(), |i| y[i])
}

/// Skewness of a ratio metric's linearization `y − R·d` (`R = Σy/Σd`),
/// the per-unit quantity whose mean drives the delta-method estimate
/// (Deng, Knoblich & Lu 2018, §3).
///
/// # Panics
/// If `y` and `d` differ in length.
pub fn ratio_skewness(y: &[f64], d: &[f64]) -> f64 {
    assert_eq!(y.len(), d.len(), "numerator and denominator lengths differ");
    let r = y.iter().sum::<f64>() / d.iter().sum::<f64>();
    skewness_of(y.len(), |i| y[i] - r * d[i])
}

fn skewness_of(n: usize, v: impl Fn(usize) -> f64) -> f64 {
    weighted_skewness(|f| (0..n).for_each(|i| f(v(i), 1.0)))
}

/// Sample skewness `g₁` of values given with multiplicities: as
/// [`skewness`] over the sample in which value `v` appears `w` times.
///
/// `each` calls its argument with every `(v, w)` pair (it is called twice:
/// once for the mean, once for the central moments). Returns 0 for a
/// constant sample and NaN for an empty one (total weight 0).
///
/// ```
/// use liftlab::stats::skew::{skewness, weighted_skewness};
/// let pairs = [(0.0, 3.0), (1.0, 1.0), (5.0, 1.0)];
/// let g = weighted_skewness(|f| pairs.iter().for_each(|&(v, w)| f(v, w)));
/// assert!((g - skewness(&[0.0, 0.0, 0.0, 1.0, 5.0])).abs() < 1e-12);
/// ```
pub fn weighted_skewness(each: impl Fn(&mut dyn FnMut(f64, f64))) -> f64 {
    // Deviations from the first value, not from a mean near the values: a
    // mean near 1e9 is only representable to ~1e-7, which moves a small
    // skewness in its eighth digit; the moments do not depend on the shift.
    let mut pivot = None;
    let (mut n, mut sum) = (0.0, 0.0);
    each(&mut |v, w| {
        let p = *pivot.get_or_insert(v);
        n += w;
        sum += w * (v - p);
    });
    let Some(p) = pivot.filter(|_| n > 0.0) else { return f64::NAN };
    let mean = sum / n;
    let (mut m2, mut m3) = (0.0, 0.0);
    each(&mut |v, w| {
        let e = (v - p) - mean;
        m2 += w * e * e;
        m3 += w * e * e * e;
    });
    let (m2, m3) = (m2 / n, m3 / n);
    if m2 > 0.0 { m3 / m2.powf(1.5) } else { 0.0 }
}

/// Sample skewness `g₁` from power sums, for summaries that carry no unit
/// rows: the same estimator as [`skewness`].
///
/// # Formula
/// With `S_k = Σy^k` over `n` units and `ȳ = S₁/n`:
/// ```text
/// m₂ = S₂/n − ȳ²      m₃ = S₃/n − 3ȳ·S₂/n + 2ȳ³      g₁ = m₃ / m₂^{3/2}
/// ```
/// One pass over the data, so it loses digits when the mean is large
/// against the spread (`|ȳ|/s` beyond about 10³); metrics of experiments
/// (spend, conversions, counts) are far from that. Returns 0 when `m₂ ≤ 0`
/// and NaN when `n = 0`.
///
/// ```
/// use liftlab::stats::skew::{skewness, skewness_from_sums};
/// let y = [0.0, 0.0, 0.0, 1.0, 5.0];
/// let s = |k: i32| y.iter().map(|v: &f64| v.powi(k)).sum::<f64>();
/// assert!((skewness_from_sums(5, s(1), s(2), s(3)) - skewness(&y)).abs() < 1e-12);
/// ```
pub fn skewness_from_sums(n: u64, s1: f64, s2: f64, s3: f64) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    let nf = n as f64;
    let mean = s1 / nf;
    let m2 = s2 / nf - mean * mean;
    let m3 = s3 / nf - 3.0 * mean * s2 / nf + 2.0 * mean * mean * mean;
    if m2 > 0.0 { m3 / m2.powf(1.5) } else { 0.0 }
}

/// Skewness of a ratio metric's linearization `y − R·d` (`R = Σy/Σd`) from
/// power sums: the same estimator as [`ratio_skewness`].
///
/// # Formula
/// `L = y − R·d` has mean 0 exactly, so with `S_{ab} = Σ y^a d^b`:
/// ```text
/// m₂ = (S₂₀ − 2R·S₁₁ + R²·S₀₂)/n
/// m₃ = (S₃₀ − 3R·S₂₁ + 3R²·S₁₂ − R³·S₀₃)/n      g₁ = m₃ / m₂^{3/2}
/// ```
/// `sums` is `[S₁₀, S₀₁, S₂₀, S₁₁, S₀₂, S₃₀, S₂₁, S₁₂, S₀₃]` (the summary
/// columns `sum_y, sum_d, sum_y2, sum_yd, sum_d2, sum_y3, sum_y2d, sum_yd2,
/// sum_d3`). Returns 0 when `m₂ ≤ 0` and NaN when `n = 0`.
///
/// # References
/// Deng, Knoblich & Lu (2018), "Applying the Delta Method in Metric
/// Analytics", KDD, §3 (the linearization).
pub fn ratio_skewness_from_sums(n: u64, sums: [f64; 9]) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    let [sy, sd, syy, syd, sdd, syyy, syyd, sydd, sddd] = sums;
    let nf = n as f64;
    let r = sy / sd;
    let m2 = (syy - 2.0 * r * syd + r * r * sdd) / nf;
    let m3 = (syyy - 3.0 * r * syyd + 3.0 * r * r * sydd - r * r * r * sddd) / nf;
    if m2 > 0.0 { m3 / m2.powf(1.5) } else { 0.0 }
}

/// Units an arm needs for the normal approximation of its mean by Kohavi
/// et al.'s rule of thumb: `355·γ²`.
///
/// ```
/// assert_eq!(liftlab::stats::skew::min_units_for_normal(2.0), 1420.0);
/// ```
pub fn min_units_for_normal(skewness: f64) -> f64 {
    SKEW_RULE_FACTOR * skewness * skewness
}

/// Skewness of the difference of two independent means `ȳ_t − ȳ_c`.
///
/// # Formula
/// With arm skewness `γ_a`, variance `σ_a²` and `n_a` units, the third
/// cumulant of a mean is `γ_a σ_a³ / n_a²`, so
/// ```text
/// γ_Δ = (γ_t σ_t³/n_t² − γ_c σ_c³/n_c²) / (σ_t²/n_t + σ_c²/n_c)^{3/2}
/// ```
/// For one mean this is `γ/√n`, and the rule `n ≥ 355·γ²` reads
/// `|γ_Δ| ≤ 1/√355 ≈ 0.053`. With equal arms from one law the two terms
/// cancel, which is why a 50/50 split is robust to skew and a 10/90 one
/// is not: the small arm's skew is left uncancelled.
///
/// # References
/// Kohavi, Deng, Longbotham & Xu (2014), "Seven rules of thumb for web site
/// experimenters", KDD, rule 7; Hall (1992), *The Bootstrap and Edgeworth
/// Expansion*, §2.6 (the skewness term of the t statistic).
pub fn difference_skewness(control: (f64, f64, f64), treatment: (f64, f64, f64)) -> f64 {
    let third = |(g, var, n): (f64, f64, f64)| g * var.powf(1.5) / (n * n);
    let var = control.1 / control.2 + treatment.1 / treatment.2;
    (third(treatment) - third(control)) / var.powf(1.5)
}

/// One arm's skewness against the rule of thumb.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SkewCheck {
    /// Sample skewness `g₁` of the metric (of its linearization for a ratio).
    pub skewness: f64,
    /// Units in the arm.
    pub n: u64,
    /// Units the rule `n ≥ 355·γ²` asks for.
    pub min_n: f64,
    /// Whether the arm meets the rule.
    pub normal_ok: bool,
}

impl SkewCheck {
    /// The check of an arm with `n` units and skewness `skewness`.
    pub fn new(skewness: f64, n: u64) -> Self {
        let min_n = min_units_for_normal(skewness);
        Self { skewness, n, min_n, normal_ok: (n as f64) >= min_n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_data_has_no_skew_and_one_mean_reduces_to_gamma_over_root_n() {
        assert!(skewness(&[1.0, 2.0, 3.0, 4.0, 5.0]).abs() < 1e-15);
        assert_eq!(skewness(&[3.0; 4]), 0.0);
        assert!(skewness(&[]).is_nan());
        // Equal arms from one law: the difference is not skewed.
        assert!(difference_skewness((4.0, 2.0, 100.0), (4.0, 2.0, 100.0)).abs() < 1e-15);
        // A negligible treatment arm leaves −γ_c/√n_c.
        let g = difference_skewness((4.0, 2.0, 100.0), (4.0, 2.0, 1e12));
        assert!((g + 0.4).abs() < 1e-6, "{g}");
    }

    #[test]
    fn skewness_from_sums_matches_the_two_pass_estimators() {
        let y: [f64; 7] = [0.0, 3.0, 0.0, 12.5, 1.0, 0.0, 40.0];
        let d: [f64; 7] = [1.0, 2.0, 1.0, 3.0, 1.0, 2.0, 5.0];
        let s = |a: i32, b: i32| y.iter().zip(&d).map(|(y, d)| y.powi(a) * d.powi(b)).sum::<f64>();
        let g = skewness_from_sums(7, s(1, 0), s(2, 0), s(3, 0));
        assert!((g - skewness(&y)).abs() < 1e-12, "{g}");
        let sums = [s(1, 0), s(0, 1), s(2, 0), s(1, 1), s(0, 2), s(3, 0), s(2, 1), s(1, 2), s(0, 3)];
        let r = ratio_skewness_from_sums(7, sums);
        assert!((r - ratio_skewness(&y, &d)).abs() < 1e-12, "{r}");
        assert!(skewness_from_sums(0, 0.0, 0.0, 0.0).is_nan());
        assert_eq!(skewness_from_sums(3, 6.0, 12.0, 24.0), 0.0);
    }

    #[test]
    fn ratio_skewness_with_unit_denominators_is_the_skewness() {
        let y = [0.0, 0.0, 3.0, 0.0, 10.0, 1.0];
        assert!((ratio_skewness(&y, &[1.0; 6]) - skewness(&y)).abs() < 1e-12);
    }
}
