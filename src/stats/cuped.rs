//! CUPED: variance reduction with a pre-experiment covariate.

use super::delta::{RelativeLift, relative_lift};
use super::moments::{ArmEstimate, Moments};
use super::welch::{WelchResult, welch};
use crate::error::{Error, Result};

/// CUPED-adjusted comparison of treatment and control.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CupedResult {
    /// `θ = Cov(Y, X) / Var(X)` on the pooled units of both arms
    /// (metric units per covariate unit).
    pub theta: f64,
    /// Share of the effect's variance removed: `1 − SE_cuped² / SE²`
    /// (a fraction; ≈ ρ² when the arms are alike).
    pub variance_reduction: f64,
    /// Pooled Pearson correlation ρ of metric and covariate.
    pub correlation: f64,
    /// Welch p-value of the covariate's difference between arms. The
    /// covariate predates assignment, so a small value flags broken
    /// randomization or a covariate leaked from the test period.
    pub covariate_balance_pvalue: f64,
    /// Welch test on the adjusted metric.
    #[serde(flatten)]
    pub welch: WelchResult,
    /// Relative lift of the adjusted means, delta method.
    #[serde(flatten)]
    pub relative: RelativeLift,
}

/// CUPED-adjusted estimates of the two arms, before testing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CupedAdjustment {
    /// Pooled `θ`.
    pub theta: f64,
    /// Adjusted control estimate.
    pub control: ArmEstimate,
    /// Adjusted treatment estimate.
    pub treatment: ArmEstimate,
}

/// Adjusts both arms' means and variances with a pooled `θ`.
///
/// # Formula
/// Pooling both arms' units (`ddof = 1`):
/// ```text
/// θ        = Cov(Y, X) / Var(X)
/// Y'_i     = Y_i − θ·(X_i − X̄)            X̄ = pooled covariate mean
/// ȳ'_a     = ȳ_a − θ·(x̄_a − X̄)
/// s'_a²    = s_{y,a}² − 2θ·s_{xy,a} + θ²·s_{x,a}²    (within arm a)
/// ```
/// The arm estimates carry `s'_a²/n_a` as their sampling variance; the
/// uncertainty of `θ` itself is of order `1/n` and ignored, as in the paper.
///
/// # Errors
/// [`Error::Degenerate`] if the pooled covariate has zero variance.
///
/// # References
/// Deng, Xu, Kohavi & Walker (2013). "Improving the Sensitivity of Online
/// Controlled Experiments by Utilizing Pre-Experiment Data". WSDM, §3.
pub fn cuped_adjust(control: &Moments, treatment: &Moments) -> Result<CupedAdjustment> {
    let mut pooled = *control;
    pooled.merge(treatment);
    let var_x = pooled.var_x();
    if !(var_x > 0.0) {
        return Err(Error::Degenerate {
            metric: "CUPED".into(),
            message: "the covariate takes a single value over both arms, so it cannot reduce variance".into(),
        });
    }
    let theta = pooled.cov_xy() / var_x;
    let grand_x = pooled.mean_x();
    let adjust = |m: &Moments| {
        let n = m.n() as f64;
        let var = (m.var() - 2.0 * theta * m.cov_xy() + theta * theta * m.var_x()).max(0.0);
        ArmEstimate { n, mean: m.mean() - theta * (m.mean_x() - grand_x), var_of_mean: var / n }
    };
    Ok(CupedAdjustment { theta, control: adjust(control), treatment: adjust(treatment) })
}

/// CUPED test: [`cuped_adjust`], then Welch's test and the delta-method
/// relative lift on the adjusted means.
///
/// `control` and `treatment` hold the metric as `y` and the pre-period
/// covariate as `x`. Compare with `scipy.stats.ttest_ind(y_t', y_c',
/// equal_var=False)` on the adjusted values `Y'`.
///
/// # Errors
/// As [`cuped_adjust`], [`welch`] and [`relative_lift`].
///
/// # References
/// Deng, Xu, Kohavi & Walker (2013), WSDM; Deng, Knoblich & Lu (2018), KDD.
///
/// ```
/// use liftlab::stats::{Moments, cuped};
/// // The covariate explains most of the metric: CUPED removes most variance.
/// let cy = [10.0, 12.0, 9.0, 15.0, 11.0];
/// let cx = [9.0, 12.5, 8.0, 14.0, 11.5];
/// let ty = [12.0, 13.0, 10.5, 17.0, 12.0];
/// let tx = [10.0, 11.5, 9.0, 15.5, 10.0];
/// let c = Moments::from_slices(&cy, Some(&cx));
/// let t = Moments::from_slices(&ty, Some(&tx));
/// let r = cuped(&c, &t, 0.05).unwrap();
/// assert!(r.variance_reduction > 0.8);
/// ```
pub fn cuped(control: &Moments, treatment: &Moments, alpha: f64) -> Result<CupedResult> {
    let adj = cuped_adjust(control, treatment)?;
    let plain = welch(&control.estimate(), &treatment.estimate(), alpha)?;
    let w = welch(&adj.control, &adj.treatment, alpha)?;
    let rel = relative_lift(&adj.control, &adj.treatment, alpha)?;
    let mut pooled = *control;
    pooled.merge(treatment);
    let balance = covariate_balance(control, treatment);
    Ok(CupedResult {
        theta: adj.theta,
        variance_reduction: 1.0 - (w.effect_size_se / plain.effect_size_se).powi(2),
        correlation: pooled.corr_xy(),
        covariate_balance_pvalue: balance,
        welch: w,
        relative: rel,
    })
}

fn covariate_balance(control: &Moments, treatment: &Moments) -> f64 {
    let est = |m: &Moments| ArmEstimate { n: m.n() as f64, mean: m.mean_x(), var_of_mean: m.var_x() / m.n() as f64 };
    welch(&est(control), &est(treatment), 0.05).map(|r| r.pvalue).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independent_covariate_changes_little() {
        let cy: Vec<f64> = (0..200).map(|i| ((i * 7919) % 101) as f64).collect();
        let ty: Vec<f64> = (0..200).map(|i| ((i * 104729) % 103) as f64 + 3.0).collect();
        let cx: Vec<f64> = (0..200).map(|i| ((i * 31) % 17) as f64).collect();
        let tx: Vec<f64> = (0..200).map(|i| ((i * 37) % 19) as f64).collect();
        let c = Moments::from_slices(&cy, Some(&cx));
        let t = Moments::from_slices(&ty, Some(&tx));
        let r = cuped(&c, &t, 0.05).unwrap();
        let plain = welch(&c.estimate(), &t.estimate(), 0.05).unwrap();
        assert!(r.variance_reduction.abs() < 0.05, "{}", r.variance_reduction);
        assert!((r.welch.effect_size - plain.effect_size).abs() < 0.2 * plain.effect_size_se);
    }

    #[test]
    fn constant_covariate_is_an_error() {
        let c = Moments::from_slices(&[1.0, 2.0, 3.0], Some(&[5.0, 5.0, 5.0]));
        assert!(matches!(cuped(&c, &c, 0.05), Err(Error::Degenerate { .. })));
    }
}
