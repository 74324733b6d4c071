//! CUPED: variance reduction with a pre-experiment covariate.

use super::delta::{LiftInterval, RelativeLift, relative_lift_with};
use super::moments::{ArmEstimate, Moments, RatioMoments};
use super::welch::{WelchResult, welch};
use crate::error::{Error, Result};

/// CUPED-adjusted comparison of treatment and control.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CupedResult {
    /// `θ = Cov(Y, X) / Var(X)` on the pooled units of both arms (metric
    /// units per covariate unit; for a ratio metric `Y` is its
    /// linearization). Descriptive: the adjustment uses the per-arm slopes.
    pub theta: f64,
    /// Slope used to adjust the control arm (Lin 2013: fitted within the arm).
    pub theta_control: f64,
    /// Slope used to adjust the treatment arm.
    pub theta_treatment: f64,
    /// Share of the effect's variance removed: `1 − SE_cuped² / SE²`
    /// (a fraction; ≈ ρ² when the arms are alike).
    pub variance_reduction: f64,
    /// Pooled Pearson correlation ρ of metric (its linearization for a
    /// ratio) and covariate.
    pub correlation: f64,
    /// Welch p-value of the covariate's difference between arms. The
    /// covariate predates assignment, so a small value flags broken
    /// randomization or a covariate leaked from the test period.
    pub covariate_balance_pvalue: f64,
    /// Welch test on the adjusted metric.
    #[serde(flatten)]
    pub welch: WelchResult,
    /// Relative lift of the adjusted means.
    #[serde(flatten)]
    pub relative: RelativeLift,
}

/// CUPED-adjusted estimates of the two arms, before testing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CupedAdjustment {
    /// Pooled `θ` (descriptive).
    pub theta: f64,
    /// Slope fitted within the control arm.
    pub theta_control: f64,
    /// Slope fitted within the treatment arm.
    pub theta_treatment: f64,
    /// Pooled correlation of the (linearized) metric and the covariate.
    pub correlation: f64,
    /// Adjusted control estimate.
    pub control: ArmEstimate,
    /// Adjusted treatment estimate.
    pub treatment: ArmEstimate,
    /// Unadjusted control estimate.
    pub control_plain: ArmEstimate,
    /// Unadjusted treatment estimate.
    pub treatment_plain: ArmEstimate,
}

/// One arm reduced to what the regression adjustment needs: the estimate,
/// the variance of its per-unit linearization `L`, `Cov(L, X)`, `Var(X)`,
/// `X̄` and `n`.
#[derive(Debug, Clone, Copy)]
struct Linear {
    n: f64,
    estimate: f64,
    var_l: f64,
    cov_lx: f64,
    var_x: f64,
    mean_x: f64,
}

impl Linear {
    fn of_mean(m: &Moments) -> Self {
        Self {
            n: m.n() as f64,
            estimate: m.mean(),
            var_l: m.var(),
            cov_lx: m.cov_xy(),
            var_x: m.var_x(),
            mean_x: m.mean_x(),
        }
    }

    /// `L = (y − R·d)/d̄`: `Var(L) = (s_yy − 2R·s_yd + R²·s_dd)/d̄²`,
    /// `Cov(L, X) = (s_yx − R·s_dx)/d̄`.
    fn of_ratio(m: &RatioMoments) -> Result<Self> {
        let [_, dbar, mean_x] = m.means();
        if m.n() < 2 || dbar == 0.0 || !dbar.is_finite() {
            return Err(Error::Degenerate {
                metric: "ratio metric".into(),
                message: format!(
                    "the denominator's mean is {dbar} over {} unit(s); a ratio needs a non-zero mean and 2+ units",
                    m.n()
                ),
            });
        }
        let r = m.ratio();
        Ok(Self {
            n: m.n() as f64,
            estimate: r,
            var_l: ((m.cov(0, 0) - 2.0 * r * m.cov(0, 1) + r * r * m.cov(1, 1)) / (dbar * dbar)).max(0.0),
            cov_lx: (m.cov(0, 2) - r * m.cov(1, 2)) / dbar,
            var_x: m.cov(2, 2),
            mean_x,
        })
    }

    fn plain(&self) -> ArmEstimate {
        ArmEstimate { n: self.n, mean: self.estimate, var_of_mean: self.var_l / self.n }
    }
}

/// The regression adjustment of two linearized arms, given the pooled
/// slope, correlation and covariate variance.
fn adjust(c: Linear, t: Linear, pooled_theta: f64, correlation: f64, pooled_var_x: f64) -> Result<CupedAdjustment> {
    if !(pooled_var_x > 0.0) {
        return Err(Error::Degenerate {
            metric: "CUPED".into(),
            message: "the covariate takes a single value over both arms, so it cannot reduce variance".into(),
        });
    }
    let finite = [pooled_var_x, pooled_theta, c.var_x, t.var_x, c.cov_lx, t.cov_lx, c.mean_x, t.mean_x];
    if finite.iter().any(|v| !v.is_finite()) {
        return Err(Error::Degenerate {
            metric: "CUPED".into(),
            message: format!(
                "the covariate is too large for its variance to be computed (variance {pooled_var_x:e}): \
                 rescale it (e.g. to thousands) or drop --covariate"
            ),
        });
    }
    let grand_x = (c.n * c.mean_x + t.n * t.mean_x) / (c.n + t.n);
    let slope = |a: &Linear| if a.var_x > 0.0 { a.cov_lx / a.var_x } else { pooled_theta };
    let (theta_c, theta_t) = (slope(&c), slope(&t));
    let adjusted = |a: &Linear, theta: f64| {
        let var = (a.var_l - 2.0 * theta * a.cov_lx + theta * theta * a.var_x).max(0.0);
        ArmEstimate { n: a.n, mean: a.estimate - theta * (a.mean_x - grand_x), var_of_mean: var / a.n }
    };
    Ok(CupedAdjustment {
        theta: pooled_theta,
        theta_control: theta_c,
        theta_treatment: theta_t,
        correlation,
        control: adjusted(&c, theta_c),
        treatment: adjusted(&t, theta_t),
        control_plain: c.plain(),
        treatment_plain: t.plain(),
    })
}

/// Adjusts both arms' means and variances with the covariate, one slope
/// per arm (the interacted regression of Lin 2013).
///
/// # Formula
/// With `X̄` the pooled covariate mean and, within arm `a` (`ddof = 1`),
/// ```text
/// θ_a      = s_{xy,a} / s_{x,a}²                      (slope fitted in arm a)
/// ȳ'_a     = ȳ_a − θ_a·(x̄_a − X̄)
/// s'_a²    = s_{y,a}² − 2θ_a·s_{xy,a} + θ_a²·s_{x,a}²
/// ```
/// and the arm estimate carries `s'_a²/n_a` as its sampling variance. This is
/// `Y ~ T + (X − X̄) + T·(X − X̄)` by OLS with a robust variance: unlike one
/// pooled `θ = Cov(Y, X)/Var(X)` (Deng et al. 2013), which leans toward the
/// larger arm, it never increases the asymptotic variance, whatever the split
/// and however the slope differs between arms. An arm whose covariate is
/// constant uses the pooled slope. The pooled `θ` is reported beside.
///
/// # Errors
/// [`Error::Degenerate`] if the pooled covariate has zero variance.
///
/// # References
/// Deng, Xu, Kohavi & Walker (2013). "Improving the Sensitivity of Online
/// Controlled Experiments by Utilizing Pre-Experiment Data". WSDM, §3;
/// Lin (2013). "Agnostic notes on regression adjustments to experimental
/// data: Reexamining Freedman's critique". *Annals of Applied Statistics*
/// 7(1), 295–318.
pub fn cuped_adjust(control: &Moments, treatment: &Moments) -> Result<CupedAdjustment> {
    let mut pooled = *control;
    pooled.merge(treatment);
    let var_x = pooled.var_x();
    let theta = pooled.cov_xy() / var_x;
    adjust(Linear::of_mean(control), Linear::of_mean(treatment), theta, pooled.corr_xy(), var_x)
}

/// CUPED for a ratio metric `Σy/Σd` (per-session metrics, with the visitor
/// as unit): the regression adjustment of its delta-method linearization.
///
/// # Formula
/// Within arm `a`, with `R_a = ȳ/d̄` and the linearization
/// `L = (y − R_a·d)/d̄` (so that `Var(R_a) ≈ Var(L)/n_a`):
/// ```text
/// Var(L)    = (s_yy − 2R_a·s_yd + R_a²·s_dd) / d̄²
/// Cov(L, X) = (s_yx − R_a·s_dx) / d̄
/// θ_a       = Cov(L, X) / s_x²
/// R'_a      = R_a − θ_a·(x̄_a − X̄)
/// Var(R'_a) = (Var(L) − 2θ_a·Cov(L, X) + θ_a²·s_x²) / n_a
/// ```
/// Then as [`cuped_adjust`]. Any per-unit numeric column can be `X`: a
/// pre-period value, or a model's prediction of the metric (CUPAC).
///
/// # Errors
/// [`Error::Degenerate`] if an arm's mean denominator is 0 or the pooled
/// covariate is constant.
///
/// # References
/// Deng, Knoblich & Lu (2018). "Applying the Delta Method in Metric
/// Analytics". KDD, §3.4 (variance reduction for ratio metrics); Lin (2013);
/// Tang, Huang, Li, Cheng et al. (2020), "Control Using Predictions as
/// Covariates" (CUPAC), DoorDash engineering.
pub fn ratio_cuped_adjust(control: &RatioMoments, treatment: &RatioMoments) -> Result<CupedAdjustment> {
    let (c, t) = (Linear::of_ratio(control)?, Linear::of_ratio(treatment)?);
    let mut pooled = *control;
    pooled.merge(treatment);
    let p = Linear::of_ratio(&pooled)?;
    let theta = p.cov_lx / p.var_x;
    let correlation = p.cov_lx / (p.var_l * p.var_x).sqrt();
    adjust(c, t, theta, correlation, p.var_x)
}

/// CUPED test: [`cuped_adjust`], then Welch's test and the relative lift
/// (log-scale interval) on the adjusted means.
///
/// `control` and `treatment` hold the metric as `y` and the pre-period
/// covariate as `x`. Compare with OLS of `Y` on `T`, `X − X̄` and
/// `T·(X − X̄)` with an HC robust variance.
///
/// # Errors
/// As [`cuped_adjust`], [`welch`] and [`relative_lift_with`].
///
/// # References
/// Deng, Xu, Kohavi & Walker (2013), WSDM; Lin (2013); Deng, Knoblich & Lu
/// (2018), KDD.
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
    cuped_with(control, treatment, alpha, LiftInterval::Log)
}

/// [`cuped`] with the relative-lift interval of choice.
///
/// # Errors
/// As [`cuped`].
pub fn cuped_with(control: &Moments, treatment: &Moments, alpha: f64, interval: LiftInterval) -> Result<CupedResult> {
    let adj = cuped_adjust(control, treatment)?;
    let balance = covariate_balance(
        (control.n() as f64, control.mean_x(), control.var_x()),
        (treatment.n() as f64, treatment.mean_x(), treatment.var_x()),
    );
    finish(&adj, balance, alpha, interval)
}

/// CUPED test of a ratio metric: [`ratio_cuped_adjust`], then Welch's test
/// and the relative lift on the adjusted ratios.
///
/// # Errors
/// As [`ratio_cuped_adjust`], [`welch`] and [`relative_lift_with`].
///
/// # References
/// Deng, Knoblich & Lu (2018), KDD, §3.4; Lin (2013).
pub fn ratio_cuped(
    control: &RatioMoments,
    treatment: &RatioMoments,
    alpha: f64,
    interval: LiftInterval,
) -> Result<CupedResult> {
    let adj = ratio_cuped_adjust(control, treatment)?;
    let arm = |m: &RatioMoments| (m.n() as f64, m.means()[2], m.cov(2, 2));
    finish(&adj, covariate_balance(arm(control), arm(treatment)), alpha, interval)
}

fn finish(adj: &CupedAdjustment, balance: f64, alpha: f64, interval: LiftInterval) -> Result<CupedResult> {
    let plain = welch(&adj.control_plain, &adj.treatment_plain, alpha)?;
    let w = welch(&adj.control, &adj.treatment, alpha)?;
    let rel = relative_lift_with(&adj.control, &adj.treatment, alpha, interval)?;
    Ok(CupedResult {
        theta: adj.theta,
        theta_control: adj.theta_control,
        theta_treatment: adj.theta_treatment,
        variance_reduction: 1.0 - (w.effect_size_se / plain.effect_size_se).powi(2),
        correlation: adj.correlation,
        covariate_balance_pvalue: balance,
        welch: w,
        relative: rel,
    })
}

/// Welch p-value of the covariate's difference; arms as `(n, x̄, s_x²)`.
fn covariate_balance(c: (f64, f64, f64), t: (f64, f64, f64)) -> f64 {
    let est = |(n, mean, var): (f64, f64, f64)| ArmEstimate { n, mean, var_of_mean: var / n };
    welch(&est(c), &est(t), 0.05).map(|r| r.pvalue).unwrap_or(f64::NAN)
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
    fn ratio_cuped_with_unit_denominators_is_plain_cuped() {
        let cy = [10.0, 0.0, 9.0, 15.0, 0.0, 4.0];
        let cx = [9.0, 1.0, 8.0, 14.0, 0.5, 3.0];
        let ty = [12.0, 13.0, 0.0, 17.0, 12.0, 1.0, 0.0];
        let tx = [10.0, 11.5, 2.0, 15.5, 10.0, 0.0, 1.0];
        let ones = [1.0; 7];
        let plain = cuped(&Moments::from_slices(&cy, Some(&cx)), &Moments::from_slices(&ty, Some(&tx)), 0.05).unwrap();
        let ratio = ratio_cuped(
            &RatioMoments::from_slices(&cy, &ones[..6], &cx),
            &RatioMoments::from_slices(&ty, &ones, &tx),
            0.05,
            LiftInterval::Log,
        )
        .unwrap();
        for (a, b) in [
            (plain.welch.effect_size, ratio.welch.effect_size),
            (plain.welch.effect_size_se, ratio.welch.effect_size_se),
            (plain.theta_control, ratio.theta_control),
            (plain.theta, ratio.theta),
            (plain.correlation, ratio.correlation),
        ] {
            assert!((a - b).abs() < 1e-9 * a.abs().max(1.0), "{a} vs {b}");
        }
    }

    #[test]
    fn per_arm_slopes_differ_from_the_pooled_one_when_arms_differ() {
        // Control: y = x; treatment: y = 3x. The pooled slope is in between.
        let x: Vec<f64> = (0..50).map(|i| (i % 10) as f64).collect();
        let c = Moments::from_slices(&x, Some(&x));
        let ty: Vec<f64> = x.iter().map(|v| 3.0 * v).collect();
        let t = Moments::from_slices(&ty, Some(&x));
        let a = cuped_adjust(&c, &t).unwrap();
        assert!((a.theta_control - 1.0).abs() < 1e-12 && (a.theta_treatment - 3.0).abs() < 1e-12);
        assert!(a.theta > 1.0 && a.theta < 3.0);
        // A perfect fit within each arm leaves no variance.
        assert!(a.control.var_of_mean < 1e-12 && a.treatment.var_of_mean < 1e-12, "{a:?}");
    }

    #[test]
    fn constant_covariate_is_an_error() {
        let c = Moments::from_slices(&[1.0, 2.0, 3.0], Some(&[5.0, 5.0, 5.0]));
        assert!(matches!(cuped(&c, &c, 0.05), Err(Error::Degenerate { .. })));
    }
}
