//! The delta method: relative lift of two means, and ratio metrics
//! (per-session metrics, AOV, UPT) whose numerator and denominator are both
//! random per randomized unit.

use super::dist::normal_quantile;
use super::moments::{ArmEstimate, Moments};
use crate::error::{Error, Result, check_open_unit};

/// Relative lift `ȳ_t/ȳ_c − 1` with its delta-method confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RelativeLift {
    /// Relative lift as a fraction (0.05 = +5%).
    pub rel_effect_size: f64,
    /// Delta-method standard error of the relative lift (a fraction).
    pub rel_effect_size_se: f64,
    /// Lower bound of the two-sided `1 − α` interval (a fraction).
    pub rel_effect_size_ci_lower: f64,
    /// Upper bound of the two-sided `1 − α` interval (a fraction).
    pub rel_effect_size_ci_upper: f64,
}

/// Relative lift of treatment over control with a delta-method CI.
///
/// # Formula
/// For independent arms with estimates `ȳ_c`, `ȳ_t` and sampling variances
/// `v_c`, `v_t` (see [`ArmEstimate`]), a first-order Taylor expansion of
/// `g(ȳ_t, ȳ_c) = ȳ_t/ȳ_c − 1` gives
/// ```text
/// r      = ȳ_t/ȳ_c − 1
/// Var(r) ≈ v_t/ȳ_c² + ȳ_t²·v_c/ȳ_c⁴
/// CI     = r ± z_{1−α/2} · √Var(r)          (normal approximation)
/// ```
///
/// # Errors
/// - [`Error::InvalidParameter`] if `alpha` is not in (0, 1).
/// - [`Error::Degenerate`] if the control mean is 0 (the lift is undefined).
///
/// # References
/// Deng, Knoblich & Lu (2018). "Applying the Delta Method in Metric
/// Analytics: A Practical Guide with Novel Ideas". KDD, §3.
///
/// ```
/// use liftlab::stats::{ArmEstimate, relative_lift};
/// let c = ArmEstimate { n: 1000.0, mean: 2.0, var_of_mean: 0.01 };
/// let t = ArmEstimate { n: 1000.0, mean: 2.2, var_of_mean: 0.01 };
/// let r = relative_lift(&c, &t, 0.05).unwrap();
/// assert!((r.rel_effect_size - 0.1).abs() < 1e-12);
/// let se = (0.01f64 / 4.0 + 2.2f64.powi(2) * 0.01 / 16.0).sqrt();
/// assert!((r.rel_effect_size_se - se).abs() < 1e-15);
/// ```
pub fn relative_lift(control: &ArmEstimate, treatment: &ArmEstimate, alpha: f64) -> Result<RelativeLift> {
    check_open_unit("alpha", alpha)?;
    let mc = control.mean;
    if mc == 0.0 || !mc.is_finite() {
        return Err(Error::Degenerate {
            metric: "relative lift".into(),
            message: format!("the control mean is {mc}, so a relative lift is undefined"),
        });
    }
    let mt = treatment.mean;
    let rel = mt / mc - 1.0;
    let var = treatment.var_of_mean / (mc * mc) + mt * mt * control.var_of_mean / (mc * mc * mc * mc);
    let se = var.sqrt();
    let z = normal_quantile(1.0 - alpha / 2.0);
    Ok(RelativeLift {
        rel_effect_size: rel,
        rel_effect_size_se: se,
        rel_effect_size_ci_lower: rel - z * se,
        rel_effect_size_ci_upper: rel + z * se,
    })
}

/// A ratio metric `R = Σy/Σx` of one arm (e.g. revenue per session, with the
/// visitor as unit: `y` = revenue, `x` = sessions) as an [`ArmEstimate`].
///
/// # Formula
/// With `μ_y, μ_x` the per-unit means, `s_y², s_x², s_xy` the per-unit sample
/// (co)variances (`ddof = 1`) and `n` units:
/// ```text
/// R      = ȳ / x̄
/// Var(R) ≈ ( s_y²/μ_x² − 2·μ_y·s_xy/μ_x³ + μ_y²·s_x²/μ_x⁴ ) / n
/// ```
/// Here `moments` holds the numerator as the metric and the denominator as
/// the covariate.
///
/// # Errors
/// [`Error::Degenerate`] if the mean denominator is 0 or `n < 2`.
///
/// # References
/// Deng, Knoblich & Lu (2018), KDD, §2 (eq. 2) and §3.1.
pub fn ratio_estimate(moments: &Moments) -> Result<ArmEstimate> {
    let (my, mx) = (moments.mean(), moments.mean_x());
    if moments.n() < 2 || mx == 0.0 || !mx.is_finite() {
        return Err(Error::Degenerate {
            metric: "ratio metric".into(),
            message: format!(
                "the denominator's mean is {mx} over {} unit(s); a ratio needs a non-zero mean and 2+ units",
                moments.n()
            ),
        });
    }
    let n = moments.n() as f64;
    let var = (moments.var() / (mx * mx) - 2.0 * my * moments.cov_xy() / (mx * mx * mx)
        + my * my * moments.var_x() / (mx * mx * mx * mx))
        / n;
    Ok(ArmEstimate { n, mean: my / mx, var_of_mean: var.max(0.0) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_control_mean_is_an_error() {
        let c = ArmEstimate { n: 10.0, mean: 0.0, var_of_mean: 0.0 };
        assert!(matches!(relative_lift(&c, &c, 0.05), Err(Error::Degenerate { .. })));
    }

    #[test]
    fn ratio_with_constant_denominator_is_a_scaled_mean() {
        // Every unit has 2 sessions: revenue per session is mean/2, variance s²/(4n).
        let y = [1.0, 4.0, 0.0, 9.0, 3.0];
        let x = [2.0; 5];
        let m = Moments::from_slices(&y, Some(&x));
        let r = ratio_estimate(&m).unwrap();
        assert!((r.mean - m.mean() / 2.0).abs() < 1e-15);
        assert!((r.var_of_mean - m.var() / 4.0 / 5.0).abs() < 1e-12);
    }
}
