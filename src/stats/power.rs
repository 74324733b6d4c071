//! Analytic power, minimum detectable effect (MDE) and sample size for a
//! two-arm test of a difference in means, two-sided, with unequal allocation.

use super::dist::{normal_cdf, normal_pdf, normal_quantile, normal_upper_quantile};
use crate::error::{Error, Result, check_open_unit, check_positive};

/// Power of a two-sided z-test to detect a true effect.
///
/// # Formula
/// With `k = |effect| / se` and `z = z_{1−α/2}`:
/// ```text
/// power = Φ(k − z) + Φ(−k − z)
/// ```
/// (the second term is the chance of a significant result in the wrong
/// direction). Matches `statsmodels.stats.power.NormalIndPower().power`.
/// Returns NaN if `se` is not positive or `alpha` is not in (0, 1).
///
/// ```
/// let p = liftlab::stats::power_at(2.8, 1.0, 0.05);
/// assert!((p - 0.7995).abs() < 1e-3);
/// ```
pub fn power_at(effect: f64, se: f64, alpha: f64) -> f64 {
    if !(se > 0.0) || !(alpha > 0.0 && alpha < 1.0) {
        return f64::NAN;
    }
    let z = normal_upper_quantile(alpha / 2.0);
    let k = effect.abs() / se;
    normal_cdf(k - z) + normal_cdf(-k - z)
}

/// The MDE in units of the standard error: the `k` with
/// `Φ(k − z_{1−α/2}) + Φ(−k − z_{1−α/2}) = power`.
///
/// # Formula
/// The textbook approximation drops the wrong-direction term:
/// `k ≈ z_{1−α/2} + z_{power}` (2.8016 for α = 0.05, power 0.8). Newton's
/// method from there solves the exact equation, as statsmodels'
/// `NormalIndPower.solve_power` does; the two differ by about 1e-6.
///
/// # Errors
/// [`Error::InvalidParameter`] if `alpha` or `power` is not in (0, 1), or
/// `power ≤ alpha` (any test has at least power α).
pub fn mde_multiplier(alpha: f64, power: f64) -> Result<f64> {
    check_open_unit("alpha", alpha)?;
    check_open_unit("--power", power)?;
    if power <= alpha {
        return Err(Error::invalid("--power", power, "a power greater than --alpha"));
    }
    let z = normal_upper_quantile(alpha / 2.0);
    let mut k = z + normal_quantile(power);
    for _ in 0..50 {
        let g = normal_cdf(k - z) + normal_cdf(-k - z) - power;
        let dg = normal_pdf(k - z) - normal_pdf(-k - z);
        let step = g / dg;
        k -= step;
        if step.abs() < 1e-15 * k.abs().max(1.0) {
            break;
        }
    }
    Ok(k)
}

/// Minimum detectable effect of a two-arm test, in metric units.
///
/// # Formula
/// ```text
/// SE  = σ · √(1/n_c + 1/n_t)
/// MDE = k(α, power) · SE ≈ (z_{1−α/2} + z_{power}) · σ · √(1/n_c + 1/n_t)
/// ```
/// `σ` is the per-unit standard deviation of the metric (with CUPED,
/// `σ·√(1 − ρ²)`); `n_c`, `n_t` are units per arm (may be fractional for
/// planning). Matches `NormalIndPower().solve_power(effect_size=None,
/// nobs1=n_c, ratio=n_t/n_c) · σ`.
///
/// # Errors
/// As [`mde_multiplier`]; [`Error::InvalidParameter`] if `sd`, `n_control`
/// or `n_treatment` is not positive and finite.
///
/// # References
/// Kohavi, Tang & Xu (2020), *Trustworthy Online Controlled Experiments*,
/// ch. 17; van Belle (2008), *Statistical Rules of Thumb*, §2.
///
/// ```
/// // σ = 1, 100 units per arm: MDE ≈ 2.8016 · √(2/100); the exact root of
/// // the power equation (scipy brentq) is 0.3962034959292055.
/// let m = liftlab::stats::mde(1.0, 100.0, 100.0, 0.05, 0.8).unwrap();
/// assert!((m - 0.396_203_495_929_205_5).abs() < 1e-10);
/// ```
pub fn mde(sd: f64, n_control: f64, n_treatment: f64, alpha: f64, power: f64) -> Result<f64> {
    check_positive("sd", sd)?;
    check_positive("n_control", n_control)?;
    check_positive("n_treatment", n_treatment)?;
    Ok(mde_multiplier(alpha, power)? * sd * (1.0 / n_control + 1.0 / n_treatment).sqrt())
}

/// Total units (both arms) needed to detect an absolute `effect` with the
/// given power, when a share `holdout` of units goes to control.
///
/// # Formula
/// Solving `effect = k · σ · √(1/(hN) + 1/((1−h)N))` for `N`:
/// ```text
/// N = (k · σ / effect)² · (1/h + 1/(1 − h))
/// ```
/// Matches `NormalIndPower().solve_power(effect_size=effect/σ, nobs1=None,
/// ratio=(1−h)/h) / h`.
///
/// # Errors
/// As [`mde_multiplier`]; [`Error::InvalidParameter`] if `effect` or `sd`
/// is not positive, or `holdout` not in (0, 1).
pub fn units_for_effect(effect: f64, sd: f64, holdout: f64, alpha: f64, power: f64) -> Result<f64> {
    check_positive("effect", effect)?;
    check_positive("sd", sd)?;
    check_open_unit("holdout", holdout)?;
    let k = mde_multiplier(alpha, power)?;
    Ok((k * sd / effect).powi(2) * (1.0 / holdout + 1.0 / (1.0 - holdout)))
}

/// Mean and standard deviation of a zero-inflated per-unit revenue.
///
/// # Formula
/// A unit converts with probability `p`; a converting unit's order value has
/// mean `A` and coefficient of variation `c`. Then
/// ```text
/// μ  = p·A
/// σ² = p·A²·(1 + c²) − (p·A)²
/// ```
/// Units: `A` and the results in currency per unit (e.g. USD per visitor).
///
/// # Errors
/// [`Error::InvalidParameter`] if `p` is not in (0, 1), `A` not positive or
/// `c` negative.
///
/// ```
/// let (mu, sd) = liftlab::stats::zero_inflated_moments(0.025, 80.0, 1.0).unwrap();
/// assert!((mu - 2.0).abs() < 1e-12);
/// assert!((sd - 316f64.sqrt()).abs() < 1e-12);
/// ```
pub fn zero_inflated_moments(p: f64, aov: f64, aov_cv: f64) -> Result<(f64, f64)> {
    check_open_unit("conversion-rate", p)?;
    check_positive("aov", aov)?;
    if !(aov_cv.is_finite() && aov_cv >= 0.0) {
        return Err(Error::invalid("aov-cv", aov_cv, "a finite number of at least 0"));
    }
    let mu = p * aov;
    let var = p * aov * aov * (1.0 + aov_cv * aov_cv) - mu * mu;
    Ok((mu, var.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mde_and_units_invert_each_other() {
        let (sd, h) = (17.7, 0.1);
        let n = units_for_effect(0.06, sd, h, 0.05, 0.8).unwrap();
        let m = mde(sd, h * n, (1.0 - h) * n, 0.05, 0.8).unwrap();
        assert!((m - 0.06).abs() < 1e-12, "{m}");
    }

    #[test]
    fn power_at_mde_is_the_requested_power() {
        let k = mde_multiplier(0.05, 0.8).unwrap();
        assert!((power_at(k, 1.0, 0.05) - 0.8).abs() < 1e-14);
        assert!(k > 2.80 && k < 2.81);
    }

    #[test]
    fn power_rises_with_effect() {
        let ps: Vec<f64> = [0.0, 1.0, 2.0, 3.0].iter().map(|&e| power_at(e, 1.0, 0.05)).collect();
        assert!((ps[0] - 0.05).abs() < 1e-9, "{}", ps[0]);
        assert!(ps.windows(2).all(|w| w[1] > w[0]));
    }

    #[test]
    fn nonsense_parameters_are_rejected() {
        assert!(mde_multiplier(0.05, 0.01).is_err());
        assert!(mde(1.0, 0.0, 10.0, 0.05, 0.8).is_err());
        assert!(units_for_effect(0.1, 1.0, 1.0, 0.05, 0.8).is_err());
        assert!(zero_inflated_moments(1.5, 80.0, 1.0).is_err());
    }
}
