//! Reading a holdout repeatedly without inflating false positives:
//! α-spending group-sequential boundaries and asymptotic confidence
//! sequences.
//!
//! # References
//! - Armitage, P., McPherson, C. K. & Rowe, B. C. (1969). "Repeated
//!   significance tests on accumulating data". *JRSS A* 132, 235–244.
//! - Lan, K. K. G. & DeMets, D. L. (1983). "Discrete sequential boundaries
//!   for clinical trials". *Biometrika* 70, 659–663.
//! - Jennison, C. & Turnbull, B. W. (2000). *Group Sequential Methods with
//!   Applications to Clinical Trials*, ch. 7 (error spending) and ch. 19
//!   (numerical computations).
//! - Waudby-Smith, I., Arbour, D., Sinha, R., Kennedy, E. H. & Ramdas, A.
//!   (2021). "Time-uniform central limit theory and asymptotic confidence
//!   sequences". arXiv:2103.06476.

use std::f64::consts::E;

use super::dist::{normal_pdf, normal_sf, normal_upper_quantile};
use crate::error::{Error, Result, check_open_unit};

/// The α-spending function family of a group-sequential design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Spending {
    /// Lan–DeMets O'Brien–Fleming type, [`obrien_fleming_spending`]: spends
    /// almost nothing early, so early looks need overwhelming evidence.
    OBrienFleming,
    /// Lan–DeMets Pocock type, [`pocock_spending`]: spends roughly evenly.
    Pocock,
}

impl Spending {
    /// Cumulative α spent by information fraction `t` for level `alpha`.
    pub fn spent(self, t: f64, alpha: f64) -> f64 {
        match self {
            Spending::OBrienFleming => obrien_fleming_spending(t, alpha),
            Spending::Pocock => pocock_spending(t, alpha),
        }
    }
}

/// Lan & DeMets' O'Brien–Fleming-type α-spending function.
///
/// # Formula
/// For information fraction `t` in [0, 1] and level `α` in (0, 1):
/// ```text
/// α(t) = 2 − 2Φ(z_{1−α/2} / √t)        α(0) = 0,  α(1) = α
/// ```
/// computed as `2·P(Z > z_{1−α/2}/√t)` (survival function, so tiny early
/// spends keep their precision). Matches `gsDesign::sfLDOF`.
///
/// Returns NaN if `t` is outside [0, 1] or `alpha` outside (0, 1).
///
/// # References
/// Lan, K. K. G. & DeMets, D. L. (1983). *Biometrika* 70, 659–663, eq. (3).
///
/// ```
/// use liftlab::stats::sequential::obrien_fleming_spending;
/// // 2·norm.sf(norm.isf(0.025)/sqrt(0.5)) = 0.005574596680784402
/// assert!((obrien_fleming_spending(0.5, 0.05) - 0.005_574_596_680_784_402).abs() < 1e-12);
/// assert!((obrien_fleming_spending(1.0, 0.05) - 0.05).abs() < 1e-15);
/// ```
pub fn obrien_fleming_spending(t: f64, alpha: f64) -> f64 {
    if !((0.0..=1.0).contains(&t) && alpha > 0.0 && alpha < 1.0) {
        return f64::NAN;
    }
    if t == 0.0 {
        return 0.0;
    }
    2.0 * upper_tail(normal_upper_quantile(alpha / 2.0) / t.sqrt())
}

/// `P(Z > x)` for `x ≥ 0` to about 1e-15 relative, for the closed-form
/// spending (statrs' survival function is good to about 1e-11, enough for
/// the integration but not for α(1) = α to double precision).
///
/// With `y = x/√2`, `P(Z > x) = erfc(y)/2`. For `y < 2.5`, `erfc = 1 − erf`
/// with the positive-term series `erf(y) = (2/√π)·e^{−y²}·Σ (2y²)ⁿ·y/(2n+1)!!`
/// (Abramowitz & Stegun 7.1.6); otherwise the continued fraction
/// `erfc(y) = e^{−y²}/√π · 1/(y + (1/2)/(y + 1/(y + (3/2)/(y + …))))`
/// (A&S 7.1.14), evaluated from the bottom.
fn upper_tail(x: f64) -> f64 {
    let y = x / std::f64::consts::SQRT_2;
    let inv_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI / 2.0;
    if !(y < 2.5) {
        if y.is_infinite() {
            return 0.0;
        }
        let mut f = y;
        for k in (1..=400).rev() {
            f = y + (f64::from(k) / 2.0) / f;
        }
        return 0.5 * (-y * y).exp() * inv_sqrt_pi / f;
    }
    let (mut term, mut sum) = (y, y);
    let mut n = 0.0;
    while term > 1e-17 * sum {
        n += 1.0;
        term *= 2.0 * y * y / (2.0 * n + 1.0);
        sum += term;
    }
    let erf = 2.0 * inv_sqrt_pi * (-y * y).exp() * sum;
    0.5 * (1.0 - erf)
}

/// Lan & DeMets' Pocock-type α-spending function.
///
/// # Formula
/// ```text
/// α(t) = α · ln(1 + (e − 1)·t)        α(0) = 0,  α(1) = α
/// ```
/// Matches `gsDesign::sfLDPocock`.
///
/// Returns NaN if `t` is outside [0, 1] or `alpha` outside (0, 1).
///
/// # References
/// Lan, K. K. G. & DeMets, D. L. (1983). *Biometrika* 70, 659–663.
///
/// ```
/// use liftlab::stats::sequential::pocock_spending;
/// // 0.05*log(1 + (e - 1)*0.5) = 0.031005725347913876
/// assert!((pocock_spending(0.5, 0.05) - 0.031_005_725_347_913_876).abs() < 1e-12);
/// ```
pub fn pocock_spending(t: f64, alpha: f64) -> f64 {
    if !((0.0..=1.0).contains(&t) && alpha > 0.0 && alpha < 1.0) {
        return f64::NAN;
    }
    alpha * (1.0 + (E - 1.0) * t).ln()
}

/// Grid points per conditional standard deviation of an increment.
const POINTS_PER_SD: f64 = 64.0;
/// Fewest and most Simpson grid points on a continuation region.
const MIN_POINTS: usize = 201;
const MAX_POINTS: usize = 8001;
/// The continuation region is integrated over at most ±`Z_TRUNC` standard
/// deviations (the mass beyond is below 1e-30).
const Z_TRUNC: f64 = 12.0;
/// Largest boundary searched; bisection stops at this width.
const Z_MAX: f64 = 40.0;
const BISECT_TOL: f64 = 1e-12;

/// Two-sided symmetric group-sequential z boundaries from an α-spending
/// function.
///
/// # Formula
/// Looks at information fractions `0 < t_1 < … < t_K = 1`. Under H0 the
/// standardized statistics `(Z_1, …, Z_K)` are jointly normal with
/// `Cov(Z_j, Z_k) = √(t_j / t_k)` (j ≤ k). The two-sided `alpha` is spent
/// `alpha/2` per side, so with `A(t) = 2·f(t, α/2)` for the spending function
/// `f` ([`Spending::spent`]) the boundaries `c_k` solve
/// ```text
/// P(|Z_j| < c_j for j < k,  |Z_k| ≥ c_k) = A(t_k) − A(t_{k−1})     (A(t_0) = 0)
/// ```
/// and the total probability of ever rejecting is `A(1) = α`. This is the
/// convention of `gsDesign` (`test.type = 2`), `rpact` (`sided = 2`) and
/// `ldbounds` (`sides = 2`); it gives their published O'Brien–Fleming-type
/// values 4.333, 2.963, 2.359, 2.014 for four equally spaced looks at
/// α = 0.05. (Putting the two-sided α into the O'Brien–Fleming formula
/// directly would give a first boundary of 3.92 instead.) Pocock-type
/// spending is linear in α, so both conventions agree for it. With one look
/// the boundary is `z_{1−α/2}`.
///
/// Computed by the recursive numerical integration of Armitage, McPherson &
/// Rowe (1969), as in Jennison & Turnbull (2000, ch. 19): the sub-density of
/// the score `S_k = Z_k·√t_k` on the continuation region is carried from look
/// to look (`S_k − S_{k−1} ~ N(0, t_k − t_{k−1})`) by Simpson's rule on a grid
/// of at least 64 points per standard deviation of the increment; each look's
/// crossing probability is then exact in the normal tail, and `c_k` is found
/// by bisection to 1e-12. The boundaries agree with an independent
/// Gauss–Legendre integration to better than 1e-6
/// (`tests/reference/sequential_reference.py`). A look whose spend underflows
/// to 0 gets the boundary `+∞` (never reject there).
///
/// # Errors
/// [`Error::InvalidParameter`] if `alpha` is not in (0, 1), if `info` is
/// empty, has a value outside (0, 1], is not strictly increasing, or does not
/// end at 1.
///
/// # References
/// Armitage, McPherson & Rowe (1969), *JRSS A* 132, 235–244; Lan & DeMets
/// (1983), *Biometrika* 70, 659–663; Jennison & Turnbull (2000), *Group
/// Sequential Methods*, §7.2 and ch. 19.
///
/// ```
/// use liftlab::stats::sequential::{Spending, group_sequential_bounds};
/// let c = group_sequential_bounds(&[0.25, 0.5, 0.75, 1.0], 0.05, Spending::OBrienFleming).unwrap();
/// // gsDesign / rpact: 4.333, 2.963, 2.359, 2.014
/// for (c, published) in c.iter().zip([4.333, 2.963, 2.359, 2.014]) {
///     assert!((c - published).abs() < 1e-3);
/// }
/// ```
pub fn group_sequential_bounds(info: &[f64], alpha: f64, spending: Spending) -> Result<Vec<f64>> {
    check_open_unit("alpha", alpha)?;
    check_info(info)?;
    let cumulative = |t: f64| 2.0 * spending.spent(t, alpha / 2.0);

    // Look 1: Z_1 ~ N(0, 1), closed form.
    let spent_1 = cumulative(info[0]);
    let c1 = if spent_1 > 0.0 { normal_upper_quantile(spent_1 / 2.0) } else { f64::INFINITY };
    let mut bounds = vec![c1];
    if info.len() == 1 {
        return Ok(bounds);
    }

    // Sub-density of S_1 = Z_1·√t_1 on its continuation region.
    let sd_1 = info[0].sqrt();
    let mut grid = Grid::new(c1.min(Z_TRUNC) * sd_1, sd_1.min((info[1] - info[0]).sqrt()));
    let mut density: Vec<f64> = grid.points.iter().map(|&s| normal_pdf(s / sd_1) / sd_1).collect();

    for k in 1..info.len() {
        let sd = (info[k] - info[k - 1]).sqrt();
        let root_t = info[k].sqrt();
        let target = cumulative(info[k]) - cumulative(info[k - 1]);
        // Simpson weight × sub-density at each grid point u.
        let mass: Vec<f64> = grid.weights.iter().zip(&density).map(|(w, f)| w * f).collect();
        let crossing = |c: f64| -> f64 {
            let b = c * root_t;
            grid.points.iter().zip(&mass).map(|(&u, &m)| m * (normal_sf((b - u) / sd) + normal_sf((b + u) / sd))).sum()
        };
        let ck = if target > 0.0 { bisect_decreasing(crossing, target) } else { f64::INFINITY };
        bounds.push(ck);

        if k + 1 < info.len() {
            let next_sd = (info[k + 1] - info[k]).sqrt();
            let new_grid = Grid::new(ck.min(Z_TRUNC) * root_t, sd.min(next_sd));
            density = new_grid
                .points
                .iter()
                .map(|&s| grid.points.iter().zip(&mass).map(|(&u, &m)| m * normal_pdf((s - u) / sd)).sum::<f64>() / sd)
                .collect();
            grid = new_grid;
        }
    }
    Ok(bounds)
}

/// Validates look information fractions: non-empty, in (0, 1], strictly
/// increasing, ending at 1.
fn check_info(info: &[f64]) -> Result<()> {
    let Some(&last) = info.last() else {
        return Err(Error::invalid("info", "[]", "at least one information fraction"));
    };
    for (i, &t) in info.iter().enumerate() {
        if !(t > 0.0 && t <= 1.0) {
            return Err(Error::invalid("info", t, "information fractions in (0, 1]"));
        }
        if i > 0 && !(t > info[i - 1]) {
            return Err(Error::invalid("info", t, "strictly increasing information fractions"));
        }
    }
    if last != 1.0 {
        return Err(Error::invalid("info", last, "a last information fraction of exactly 1"));
    }
    Ok(())
}

/// Simpson's-rule nodes and weights on [−half, half].
struct Grid {
    points: Vec<f64>,
    weights: Vec<f64>,
}

impl Grid {
    /// A grid with spacing at most `sd / POINTS_PER_SD` (within the point
    /// limits) and an odd number of points.
    fn new(half: f64, sd: f64) -> Self {
        let wanted = (2.0 * half / sd * POINTS_PER_SD).ceil();
        let mut n = if wanted.is_finite() { (wanted as usize).clamp(MIN_POINTS, MAX_POINTS) } else { MAX_POINTS };
        if n % 2 == 0 {
            n += 1;
        }
        let h = 2.0 * half / (n - 1) as f64;
        let points = (0..n).map(|i| -half + h * i as f64).collect();
        let weights = (0..n)
            .map(|i| {
                let w = if i == 0 || i == n - 1 {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                w * h / 3.0
            })
            .collect();
        Grid { points, weights }
    }
}

/// The root of `f(c) = target` for `f` decreasing on [0, Z_MAX].
fn bisect_decreasing(f: impl Fn(f64) -> f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, Z_MAX);
    while hi - lo > BISECT_TOL {
        let mid = 0.5 * (lo + hi);
        if f(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Half-width of the asymptotic confidence sequence for a mean difference
/// after `n` units.
///
/// # Formula
/// With `σ̂ = se·√n` the per-unit standard deviation of the estimate (`se` its
/// standard error after `n` units) and tuning `ρ > 0`:
/// ```text
/// w(n) = σ̂ · √( 2(nρ² + 1)/(n²ρ²) · ln(√(nρ² + 1)/α) )
/// ```
/// The interval `estimate ± w(n)` covers the true effect simultaneously at
/// every `n` with asymptotic probability `1 − α` (two-sided), so it may be
/// read after every batch of data. This is eq. (9) of Waudby-Smith et al.
/// (2021) and the expression in GrowthBook's
/// `gbstats.frequentist.tests.sequential_interval_halfwidth`
/// (`packages/stats/gbstats/frequentist/tests.py`, growthbook/growthbook
/// commit 8f1db44), with their `s2 = se²·n`. Choose `ρ` with
/// [`confidence_sequence_rho`].
///
/// Returns NaN unless `se ≥ 0`, `n > 0`, `ρ > 0` (all finite) and `α` in
/// (0, 1).
///
/// # References
/// Waudby-Smith, I., Arbour, D., Sinha, R., Kennedy, E. H. & Ramdas, A.
/// (2021). "Time-uniform central limit theory and asymptotic confidence
/// sequences". arXiv:2103.06476, eq. (9) (two-sided asymptotic CS).
///
/// ```
/// use liftlab::stats::sequential::confidence_sequence_half_width;
/// // numpy transcription: se=0.1, n=1000, alpha=0.05, rho=0.1 -> 0.3037811021425953
/// let w = confidence_sequence_half_width(0.1, 1000.0, 0.05, 0.1);
/// assert!((w - 0.303_781_102_142_595_3).abs() < 1e-12);
/// ```
pub fn confidence_sequence_half_width(se: f64, n: f64, alpha: f64, rho: f64) -> f64 {
    let valid = se >= 0.0 && se.is_finite() && n > 0.0 && n.is_finite() && rho > 0.0 && rho.is_finite();
    if !(valid && alpha > 0.0 && alpha < 1.0) {
        return f64::NAN;
    }
    let sigma = se * n.sqrt();
    let nr2 = n * rho * rho;
    let radicand = 2.0 * (nr2 + 1.0) / (nr2 * n) * (((nr2 + 1.0).sqrt() / alpha).ln());
    sigma * radicand.sqrt()
}

/// Tuning `ρ` that makes the confidence sequence tightest at `n_star` units.
///
/// # Formula
/// ```text
/// ρ = √( (−2 ln α + ln(1 − 2 ln α)) / n* )
/// ```
/// Eq. (161) of Waudby-Smith et al. (arXiv:2103.06476v7), as GrowthBook's
/// `gbstats.frequentist.tests.sequential_rho` computes it for a two-sided
/// sequence (its `sequential_tuning_parameter` is `n*`).
///
/// Returns NaN unless `n_star > 0` (finite) and `α` in (0, 1).
///
/// # References
/// Waudby-Smith et al. (2021), arXiv:2103.06476, eq. (161).
///
/// ```
/// use liftlab::stats::sequential::confidence_sequence_rho;
/// // sqrt((-2*log(0.05) + log(-2*log(0.05) + 1)) / 1000) = 0.08908509752892212
/// assert!((confidence_sequence_rho(1000.0, 0.05) - 0.089_085_097_528_922_12).abs() < 1e-12);
/// ```
pub fn confidence_sequence_rho(n_star: f64, alpha: f64) -> f64 {
    if !(n_star > 0.0 && n_star.is_finite() && alpha > 0.0 && alpha < 1.0) {
        return f64::NAN;
    }
    let l = -2.0 * alpha.ln();
    ((l + (l + 1.0).ln()) / n_star).sqrt()
}

/// Always-valid p-value of "no difference" at one look of the confidence
/// sequence: the smallest `α` whose sequence excludes 0 at this look.
///
/// # Formula
/// With `ρ` held fixed (tuned once, for the design's `α`, by
/// [`confidence_sequence_rho`]) the half-width `w(n; α)` of
/// [`confidence_sequence_half_width`] falls as `α` grows, so the sequences
/// are nested and `{α : |Δ| > w(n; α)}` is an interval `(p, 1)`. Solving
/// `|Δ| = w(n; α)` for `α`:
/// ```text
/// q = Δ² · nρ² / (2 · se² · (nρ² + 1))
/// p = min(1, √(nρ² + 1) · e^{−q})
/// ```
/// (computed on the log scale). This is the closed-form root of the
/// bisection on `α`; a unit test checks the two agree. Read over looks, its
/// running minimum is the anytime-valid p-value: `P(min_n p_n ≤ α) ≤ α`
/// (asymptotically) under no difference.
///
/// Returns NaN unless `se ≥ 0`, `n > 0`, `ρ > 0` and `Δ` are finite.
///
/// # References
/// Waudby-Smith et al. (2021), arXiv:2103.06476, eq. (9); Howard, Ramdas,
/// McAuliffe & Sekhon (2021), "Time-uniform, nonparametric, nonasymptotic
/// confidence sequences", *Ann. Statist.* 49, §2 (p-values from confidence
/// sequences).
///
/// ```
/// use liftlab::stats::sequential::{confidence_sequence_half_width, confidence_sequence_pvalue};
/// let (se, n, rho) = (0.1, 1000.0, 0.089);
/// let p = confidence_sequence_pvalue(0.35, se, n, rho);
/// // At alpha = p the sequence just touches 0.
/// assert!((confidence_sequence_half_width(se, n, p, rho) - 0.35).abs() < 1e-12);
/// ```
pub fn confidence_sequence_pvalue(effect: f64, se: f64, n: f64, rho: f64) -> f64 {
    let valid = effect.is_finite() && se >= 0.0 && se.is_finite() && n > 0.0 && n.is_finite() && rho > 0.0;
    if !(valid && rho.is_finite()) {
        return f64::NAN;
    }
    let nr2 = n * rho * rho;
    if effect == 0.0 {
        return 1.0;
    }
    let q = effect * effect * nr2 / (2.0 * se * se * (nr2 + 1.0));
    (0.5 * (nr2 + 1.0).ln() - q).min(0.0).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_ends_at_alpha_and_starts_at_zero() {
        for alpha in [0.01, 0.05, 0.2] {
            for s in [Spending::OBrienFleming, Spending::Pocock] {
                assert!((s.spent(1.0, alpha) - alpha).abs() < 1e-15);
                assert_eq!(s.spent(0.0, alpha), 0.0);
                assert!(s.spent(1.5, alpha).is_nan());
            }
        }
    }

    #[test]
    fn one_look_is_the_fixed_sample_test() {
        for s in [Spending::OBrienFleming, Spending::Pocock] {
            let c = group_sequential_bounds(&[1.0], 0.05, s).unwrap();
            assert!((c[0] - 1.959_963_984_540_054).abs() < 1e-12);
        }
    }

    #[test]
    fn obf_boundaries_decrease_and_pocock_are_flatter() {
        let info: Vec<f64> = (1..=6).map(|k| f64::from(k) / 6.0).collect();
        let obf = group_sequential_bounds(&info, 0.05, Spending::OBrienFleming).unwrap();
        let poc = group_sequential_bounds(&info, 0.05, Spending::Pocock).unwrap();
        assert!(obf.windows(2).all(|w| w[0] > w[1]), "{obf:?}");
        assert!(obf[0] - obf[5] > 3.0 * (poc[0] - poc[5]), "{obf:?} {poc:?}");
        assert!(obf[5] > 1.96 && obf[5] < poc[5], "{obf:?} {poc:?}");
    }

    #[test]
    fn rejects_bad_information_fractions() {
        let s = Spending::OBrienFleming;
        for info in [&[][..], &[0.5, 0.5, 1.0], &[0.6, 0.3, 1.0], &[0.5, 0.9], &[0.0, 1.0], &[0.5, 1.2]] {
            assert!(matches!(group_sequential_bounds(info, 0.05, s), Err(Error::InvalidParameter { .. })), "{info:?}");
        }
        assert!(matches!(group_sequential_bounds(&[1.0], 1.0, s), Err(Error::InvalidParameter { .. })));
        assert!(matches!(group_sequential_bounds(&[1.0], 0.0, s), Err(Error::InvalidParameter { .. })));
    }

    #[test]
    fn confidence_sequence_is_wider_than_the_fixed_interval() {
        let (se, n, alpha) = (0.05, 4000.0, 0.05);
        let rho = confidence_sequence_rho(n, alpha);
        let w = confidence_sequence_half_width(se, n, alpha, rho);
        assert!(w > 1.959_963_984_540_054 * se);
        assert!(confidence_sequence_half_width(se, 0.0, alpha, rho).is_nan());
        assert!(confidence_sequence_rho(n, 1.0).is_nan());
    }

    #[test]
    fn the_pvalue_is_the_root_of_the_bisection_on_alpha() {
        let rho = confidence_sequence_rho(5000.0, 0.05);
        for (effect, se, n) in [(0.3_f64, 0.1, 1000.0), (-0.05, 0.02, 25_000.0), (2.0, 1.3, 50.0), (0.01, 0.004, 1e6)] {
            let excludes = |alpha: f64| confidence_sequence_half_width(se, n, alpha, rho) < effect.abs();
            let p = confidence_sequence_pvalue(effect, se, n, rho);
            if !excludes(1.0 - 1e-15) {
                assert_eq!(p, 1.0);
                continue;
            }
            // Bisection on ln(alpha).
            let (mut lo, mut hi) = (-690.0_f64, (1.0 - 1e-15_f64).ln());
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if excludes(mid.exp()) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            let hi = hi.exp();
            assert!((p - hi).abs() <= 1e-10 * hi.max(1e-300), "{effect} {se} {n}: {p} vs {hi}");
        }
        assert_eq!(confidence_sequence_pvalue(0.0, 0.1, 10.0, rho), 1.0);
        assert!(confidence_sequence_pvalue(0.1, 0.1, 0.0, rho).is_nan());
    }
}
