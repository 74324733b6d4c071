//! The delta method: relative lift of two means, and ratio metrics
//! (per-session metrics, AOV, UPT) whose numerator and denominator are both
//! random per randomized unit.

use super::dist::{normal_sf, normal_upper_quantile};
use super::moments::{ArmEstimate, Moments};
use crate::error::{Error, Result, check_open_unit};

/// How the confidence interval of a relative lift is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiftInterval {
    /// On the log scale, `exp(ln(ȳ_t/ȳ_c) ± z·SE_log) − 1`: asymmetric, never
    /// below −100%, and consistent with the log-scale p-value.
    #[default]
    Log,
    /// Symmetric delta-method interval `r ± z·SE(r)`.
    Delta,
}

/// Relative lift `ȳ_t/ȳ_c − 1` with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RelativeLift {
    /// Relative lift as a fraction (0.05 = +5%).
    pub rel_effect_size: f64,
    /// Second-order bias-corrected lift `(ȳ_t/ȳ_c)(1 − v_c/ȳ_c²) − 1` (a fraction).
    pub rel_effect_size_bias_corrected: f64,
    /// Delta-method standard error of the relative lift (a fraction).
    pub rel_effect_size_se: f64,
    /// Lower bound of the two-sided `1 − α` interval (a fraction).
    pub rel_effect_size_ci_lower: f64,
    /// Upper bound of the two-sided `1 − α` interval (a fraction).
    pub rel_effect_size_ci_upper: f64,
    /// How the interval was built (log scale unless a mean is not positive).
    pub rel_ci_method: LiftInterval,
    /// Two-sided p-value of `ln(ȳ_t/ȳ_c) = 0` on the log scale; null when a
    /// mean is not positive.
    pub rel_pvalue: Option<f64>,
}

/// Relative lift of treatment over control with a symmetric delta-method
/// CI (see [`relative_lift_with`] for the log-scale interval).
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
    relative_lift_with(control, treatment, alpha, LiftInterval::Delta)
}

/// Relative lift of treatment over control, its bias-corrected estimate,
/// a log-scale p-value and the interval `interval`.
///
/// # Formula
/// With arm estimates `ȳ_a` and sampling variances `v_a` (`s_a²/n_a` for a
/// mean, the delta-method variance for a ratio metric, the adjusted one
/// after CUPED):
/// ```text
/// r        = ȳ_t/ȳ_c − 1
/// r_bc     = (ȳ_t/ȳ_c)·(1 − v_c/ȳ_c²) − 1          (second-order bias correction)
/// SE_log²  = v_t/ȳ_t² + v_c/ȳ_c²                    (delta method for ln ȳ_t − ln ȳ_c)
/// log CI   = exp(ln(ȳ_t/ȳ_c) ± z_{1−α/2}·SE_log) − 1
/// p_log    = 2·(1 − Φ(|ln(ȳ_t/ȳ_c)| / SE_log))     (survival function)
/// delta CI = r ± z_{1−α/2}·SE(r)                   (as [`relative_lift`])
/// ```
/// `E[1/ȳ_c] ≈ (1 + v_c/ȳ_c²)/μ_c`, so `ȳ_t/ȳ_c` overstates the ratio by
/// about `v_c/ȳ_c²`: large when the control arm is small and skewed. The
/// log scale needs both means positive; otherwise the delta interval is
/// returned (`rel_ci_method = delta`) and `rel_pvalue` is `None`.
///
/// Matches tea-tasting's `Mean` relative-effect interval (log scale).
///
/// # Errors
/// As [`relative_lift`].
///
/// # References
/// Deng, Knoblich & Lu (2018), KDD, §3 (delta method), §3.3 (bias of the
/// ratio); Kohavi, Tang & Xu (2020), *Trustworthy Online Controlled
/// Experiments*, ch. 18 (percent change on the log scale).
///
/// ```
/// use liftlab::stats::{ArmEstimate, LiftInterval, relative_lift_with};
/// let c = ArmEstimate { n: 1000.0, mean: 2.0, var_of_mean: 0.01 };
/// let t = ArmEstimate { n: 1000.0, mean: 2.2, var_of_mean: 0.01 };
/// let r = relative_lift_with(&c, &t, 0.05, LiftInterval::Log).unwrap();
/// let se_log = (0.01f64 / 4.84 + 0.01 / 4.0).sqrt();
/// let lo = ((2.2f64 / 2.0).ln() - 1.959963984540054 * se_log).exp() - 1.0;
/// assert!((r.rel_effect_size_ci_lower - lo).abs() < 1e-12);
/// assert!((r.rel_effect_size_bias_corrected - (1.1 * (1.0 - 0.01 / 4.0) - 1.0)).abs() < 1e-15);
/// ```
pub fn relative_lift_with(
    control: &ArmEstimate,
    treatment: &ArmEstimate,
    alpha: f64,
    interval: LiftInterval,
) -> Result<RelativeLift> {
    check_open_unit("alpha", alpha)?;
    let mc = control.mean;
    if mc == 0.0 || !mc.is_finite() {
        return Err(Error::Degenerate {
            metric: "relative lift".into(),
            message: format!("the control mean is {mc}, so a relative lift is undefined"),
        });
    }
    let mt = treatment.mean;
    let ratio = mt / mc;
    let rel = ratio - 1.0;
    let var = treatment.var_of_mean / (mc * mc) + mt * mt * control.var_of_mean / (mc * mc * mc * mc);
    let se = var.sqrt();
    let z = normal_upper_quantile(alpha / 2.0);
    let log = (mc > 0.0 && mt > 0.0).then(|| {
        let se_log = (treatment.var_of_mean / (mt * mt) + control.var_of_mean / (mc * mc)).sqrt();
        (ratio.ln(), se_log)
    });
    let rel_pvalue =
        log.map(|(l, se_log)| if se_log > 0.0 { (2.0 * normal_sf(l.abs() / se_log)).min(1.0) } else { f64::NAN });
    let (lower, upper, method) = match (interval, log) {
        (LiftInterval::Log, Some((l, se_log))) => {
            ((l - z * se_log).exp_m1(), (l + z * se_log).exp_m1(), LiftInterval::Log)
        }
        _ => (rel - z * se, rel + z * se, LiftInterval::Delta),
    };
    Ok(RelativeLift {
        rel_effect_size: rel,
        rel_effect_size_bias_corrected: ratio * (1.0 - control.var_of_mean / (mc * mc)) - 1.0,
        rel_effect_size_se: se,
        rel_effect_size_ci_lower: lower,
        rel_effect_size_ci_upper: upper,
        rel_ci_method: method,
        rel_pvalue: rel_pvalue.filter(|p| p.is_finite()),
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
