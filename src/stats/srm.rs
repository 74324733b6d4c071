//! Sample-ratio mismatch (SRM): are the arm sizes what the design planned?

use super::dist::chi2_sf;
use crate::error::{Error, Result};

/// Result of the SRM chi-square goodness-of-fit test.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SrmResult {
    /// Pearson chi-square statistic.
    pub chi2: f64,
    /// Degrees of freedom, `k − 1`.
    pub df: f64,
    /// P-value, `P(χ²_df > chi2)`.
    pub pvalue: f64,
    /// Expected count of each arm under the planned split.
    pub expected: Vec<f64>,
}

/// Chi-square goodness-of-fit test of observed arm counts against a planned
/// split.
///
/// # Formula
/// With counts `o_i`, `N = Σo_i` and planned weights `w_i`:
/// ```text
/// e_i = N · w_i / Σw        χ² = Σ (o_i − e_i)² / e_i        df = k − 1
/// p   = P(χ²_df > χ²)       (survival function)
/// ```
/// Matches `scipy.stats.chisquare(counts, f_exp=e)`. A p-value below 0.001
/// is the usual alarm threshold: results of such a test are not trustworthy.
///
/// # Errors
/// [`Error::InvalidParameter`] if there are fewer than 2 arms, the lengths
/// differ, a weight is not positive and finite, or no unit was counted.
///
/// # References
/// Fabijan et al. (2019). "Diagnosing Sample Ratio Mismatch in Online
/// Controlled Experiments". KDD. Kohavi, Tang & Xu (2020), *Trustworthy
/// Online Controlled Experiments*, ch. 21.
///
/// ```
/// // The Cookie Cats split, 44,700 vs 45,489 against 50/50.
/// let r = liftlab::stats::srm(&[44_700, 45_489], &[1.0, 1.0]).unwrap();
/// // scipy.stats.chisquare([44700, 45489]).statistic = 6.9024049496058275
/// assert!((r.chi2 - 6.902_404_949_605_827_5).abs() < 1e-9);
/// assert!(r.pvalue < 0.01);
/// ```
pub fn srm(counts: &[u64], weights: &[f64]) -> Result<SrmResult> {
    if counts.len() < 2 || counts.len() != weights.len() {
        return Err(Error::invalid(
            "expected split",
            format!("{} weight(s) for {} arm(s)", weights.len(), counts.len()),
            "one positive weight per arm, at least 2 arms",
        ));
    }
    if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
        return Err(Error::invalid("expected split", w, "positive, finite weights"));
    }
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return Err(Error::invalid("arm counts", 0, "at least one unit"));
    }
    let wsum: f64 = weights.iter().sum();
    let expected: Vec<f64> = weights.iter().map(|w| total as f64 * w / wsum).collect();
    let chi2: f64 = counts.iter().zip(&expected).map(|(&o, &e)| (o as f64 - e).powi(2) / e).sum();
    let df = (counts.len() - 1) as f64;
    Ok(SrmResult { chi2, df, pvalue: chi2_sf(chi2, df), expected })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_split_has_p_one() {
        let r = srm(&[100, 900], &[1.0, 9.0]).unwrap();
        assert_eq!(r.chi2, 0.0);
        assert!((r.pvalue - 1.0).abs() < 1e-12);
    }

    #[test]
    fn bad_weights_are_rejected() {
        assert!(srm(&[1, 2], &[1.0]).is_err());
        assert!(srm(&[1, 2], &[1.0, 0.0]).is_err());
        assert!(srm(&[0, 0], &[1.0, 1.0]).is_err());
    }
}
