//! Welch's unequal-variance t-test for a difference in means.

use super::dist::{t_sf, t_upper_quantile};
use super::moments::ArmEstimate;
use crate::error::{Error, Result, check_open_unit};

/// Result of Welch's test of `treatment − control`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct WelchResult {
    /// Control mean `ȳ_c`, in metric units.
    pub mean_control: f64,
    /// Treatment mean `ȳ_t`, in metric units.
    pub mean_treatment: f64,
    /// Absolute effect `ȳ_t − ȳ_c`, in metric units.
    pub effect_size: f64,
    /// Standard error of the effect, in metric units.
    pub effect_size_se: f64,
    /// Lower bound of the two-sided `1 − α` confidence interval.
    pub effect_size_ci_lower: f64,
    /// Upper bound of the two-sided `1 − α` confidence interval.
    pub effect_size_ci_upper: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// t statistic `effect / SE`.
    pub statistic: f64,
    /// Two-sided p-value.
    pub pvalue: f64,
}

/// Welch's t-test of the difference between two arm estimates.
///
/// # Formula
/// With `v_a = var_of_mean` of arm `a` (`s_a²/n_a` for a plain mean, `ddof = 1`):
/// ```text
/// Δ  = ȳ_t − ȳ_c             SE = √(v_t + v_c)
/// df = (v_t + v_c)² / ( v_t²/(n_t − 1) + v_c²/(n_c − 1) )      (Welch–Satterthwaite)
/// t  = Δ / SE                p  = 2 · P(T_df > |t|)   (survival function)
/// CI = Δ ± t_{1−α/2}(df) · SE
/// ```
/// Matches `scipy.stats.ttest_ind(treatment, control, equal_var=False)` and
/// its `confidence_interval(1 − α)`. Because it takes [`ArmEstimate`]s, the
/// same test serves plain means, CUPED-adjusted means and delta-method ratios.
///
/// # Errors
/// - [`Error::InvalidParameter`] if `alpha` is not in (0, 1).
/// - [`Error::EmptyArm`] (arm "control"/"treatment") if an arm has `n < 2`.
/// - [`Error::Degenerate`] if both arms have zero variance (every unit has the
///   same value), where the test is undefined.
///
/// # References
/// Welch, B. L. (1947). "The generalization of Student's problem when several
/// different population variances are involved". *Biometrika* 34, 28–35.
///
/// ```
/// use liftlab::stats::{Moments, welch};
/// let c = Moments::from_slices(&[1.0, 2.0, 3.0, 4.0], None).estimate();
/// let t = Moments::from_slices(&[2.0, 4.0, 5.0, 7.0, 9.0], None).estimate();
/// let r = welch(&c, &t, 0.05).unwrap();
/// assert!((r.effect_size - 2.9).abs() < 1e-12);
/// // scipy.stats.ttest_ind([2,4,5,7,9], [1,2,3,4], equal_var=False).pvalue = 0.07891492982555084
/// assert!((r.pvalue - 0.078_914_929_825_550_84).abs() < 1e-12);
/// ```
pub fn welch(control: &ArmEstimate, treatment: &ArmEstimate, alpha: f64) -> Result<WelchResult> {
    check_open_unit("alpha", alpha)?;
    for (arm, e) in [("control", control), ("treatment", treatment)] {
        if !(e.n >= 2.0) {
            return Err(Error::EmptyArm { arm: arm.to_string(), segment: None, n: e.n.max(0.0) as u64 });
        }
    }
    let (vc, vt) = (control.var_of_mean, treatment.var_of_mean);
    let var = vc + vt;
    if !(var > 0.0) {
        return Err(Error::Degenerate {
            metric: "difference in means".into(),
            message: "both arms have zero variance (every unit has the same value), so no test is possible".into(),
        });
    }
    let se = var.sqrt();
    let df = var * var / (vt * vt / (treatment.n - 1.0) + vc * vc / (control.n - 1.0));
    let effect = treatment.mean - control.mean;
    let statistic = effect / se;
    let pvalue = (2.0 * t_sf(statistic.abs(), df)).min(1.0);
    let q = t_upper_quantile(alpha / 2.0, df);
    Ok(WelchResult {
        mean_control: control.mean,
        mean_treatment: treatment.mean,
        effect_size: effect,
        effect_size_se: se,
        effect_size_ci_lower: effect - q * se,
        effect_size_ci_upper: effect + q * se,
        df,
        statistic,
        pvalue,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Moments;

    #[test]
    fn swapping_arms_flips_the_sign() {
        let a = Moments::from_slices(&[1.0, 5.0, 2.0, 8.0], None).estimate();
        let b = Moments::from_slices(&[3.0, 9.0, 4.0, 4.0, 7.0], None).estimate();
        let ab = welch(&a, &b, 0.05).unwrap();
        let ba = welch(&b, &a, 0.05).unwrap();
        assert_eq!(ab.effect_size, -ba.effect_size);
        assert_eq!(ab.pvalue, ba.pvalue);
        assert!((ab.effect_size_ci_lower + ba.effect_size_ci_upper).abs() < 1e-12);
    }

    #[test]
    fn rejects_degenerate_input() {
        let one = Moments::from_slices(&[1.0], None).estimate();
        let two = Moments::from_slices(&[1.0, 2.0], None).estimate();
        assert!(matches!(welch(&one, &two, 0.05), Err(Error::EmptyArm { .. })));
        let flat = Moments::from_slices(&[1.0, 1.0], None).estimate();
        assert!(matches!(welch(&flat, &flat, 0.05), Err(Error::Degenerate { .. })));
        assert!(matches!(welch(&two, &two, 1.5), Err(Error::InvalidParameter { .. })));
    }
}
