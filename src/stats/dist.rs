//! Thin, validated wrappers over `statrs` distributions: the quantiles and
//! survival functions the tests and intervals need.
//!
//! P-values always come from the survival function (`sf`), never from
//! `1 - cdf`, which loses every p-value below about 1e-16.

use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF, Normal, StudentsT};

/// Degrees of freedom above which Student's t is replaced by the standard
/// normal (the two agree to better than 1e-9 in the quantiles used here).
const T_AS_NORMAL_DF: f64 = 1e9;

fn std_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("standard normal parameters are valid")
}

/// Standard normal quantile `z_p = Φ⁻¹(p)` for `p` in (0, 1).
///
/// Matches `scipy.stats.norm.ppf` to about 1e-15. Returns NaN outside (0, 1).
///
/// Note: `statrs`' normal CDF is accurate to about 1e-11 absolute (its
/// inverse is better), which bounds the agreement of power and MDE figures
/// with statsmodels at about 1e-10 relative.
///
/// ```
/// let z = liftlab::stats::dist::normal_quantile(0.975);
/// assert!((z - 1.959963984540054).abs() < 1e-12);
/// ```
pub fn normal_quantile(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    std_normal().inverse_cdf(p)
}

/// Upper standard normal quantile `z` with `P(Z > z) = q`, for `q` in (0, 1):
/// `−Φ⁻¹(q)`, accurate for tiny `q` (where `Φ⁻¹(1 − q)` rounds `1 − q` to 1).
///
/// ```
/// let z = liftlab::stats::dist::normal_upper_quantile(0.025);
/// assert!((z - 1.959963984540054).abs() < 1e-12);
/// assert!(liftlab::stats::dist::normal_upper_quantile(5e-18).is_finite());
/// ```
pub fn normal_upper_quantile(q: f64) -> f64 {
    -normal_quantile(q)
}

/// Upper Student's t quantile `t` with `P(T > t) = q`: `−t_q(df)`, accurate
/// for tiny `q`.
pub fn t_upper_quantile(q: f64, df: f64) -> f64 {
    -t_quantile(q, df)
}

/// Standard normal cumulative distribution function Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    std_normal().cdf(x)
}

/// Standard normal survival function `1 − Φ(x)`, accurate in the far tail.
pub fn normal_sf(x: f64) -> f64 {
    std_normal().sf(x)
}

/// Standard normal density φ(x).
pub fn normal_pdf(x: f64) -> f64 {
    std_normal().pdf(x)
}

/// Tail probability below which [`t_quantile`] bisects the survival
/// function rather than trusting `statrs`' inverse.
const FAR_TAIL: f64 = 1e-30;

/// Student's t quantile `t_p(df)` for `p` in (0, 1) and `df > 0`.
///
/// Matches `scipy.stats.t.ppf`. `statrs` inverts the regularized incomplete
/// beta function; two Newton steps on the CDF then polish the result to
/// near machine precision. For `df > 1e9` the normal quantile is used.
/// Returns NaN for `p` outside (0, 1) or `df` not positive.
///
/// ```
/// let t = liftlab::stats::dist::t_quantile(0.975, 10.0);
/// assert!((t - 2.2281388519649385).abs() < 1e-10);
/// // Far tails are bisected: for df = 1 (Cauchy), t_p = tan(π(p − ½)) ≈ −1/(πp).
/// let t = liftlab::stats::dist::t_quantile(1e-31, 1.0);
/// assert!((t * std::f64::consts::PI * 1e-31 + 1.0).abs() < 1e-12);
/// // Beyond √f64::MAX the quantile is infinite, not a panic.
/// assert_eq!(liftlab::stats::dist::t_quantile(5e-301, 1.0), f64::NEG_INFINITY);
/// ```
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) || !(df > 0.0) {
        return f64::NAN;
    }
    if df > T_AS_NORMAL_DF {
        return normal_quantile(p);
    }
    let dist = StudentsT::new(0.0, 1.0, df).expect("df > 0 checked above");
    let tail = p.min(1.0 - p);
    if tail < FAR_TAIL {
        // statrs' inverse loses the tail (and its CDF panics on the NaN it
        // then produces): bisect ln x on the survival function instead, up
        // to √f64::MAX where x² (inside the CDF) overflows; beyond, ±∞.
        let (mut lo, mut hi) = (0.0f64, 0.5 * f64::MAX.ln());
        if dist.sf(hi.exp()) > tail {
            return if p < 0.5 { f64::NEG_INFINITY } else { f64::INFINITY };
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if dist.sf(mid.exp()) > tail { lo = mid } else { hi = mid }
        }
        let x = (0.5 * (lo + hi)).exp();
        return if p < 0.5 { -x } else { x };
    }
    let mut x = dist.inverse_cdf(p);
    for _ in 0..2 {
        let f = dist.pdf(x);
        if !(f > 0.0) || !x.is_finite() {
            break;
        }
        // Work on whichever tail is smaller so the residual keeps its digits.
        let step = if x > 0.0 { ((1.0 - p) - dist.sf(x)) / f } else { (dist.cdf(x) - p) / f };
        x -= step;
    }
    x
}

/// Student's t survival function `P(T > x)` with `df` degrees of freedom.
///
/// Matches `scipy.stats.t.sf`. For `df > 1e9` the normal is used.
pub fn t_sf(x: f64, df: f64) -> f64 {
    if df > T_AS_NORMAL_DF {
        return normal_sf(x);
    }
    StudentsT::new(0.0, 1.0, df).map(|d| d.sf(x)).unwrap_or(f64::NAN)
}

/// Chi-square survival function `P(X > x)` with `df` degrees of freedom.
///
/// Matches `scipy.stats.chi2.sf`; keeps tiny p-values (e.g. 1.5e-23 for
/// `x = 100, df = 1`).
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    ChiSquared::new(df).map(|d| d.sf(x)).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_symmetric() {
        for df in [1.0, 3.5, 40.0, 1e5] {
            let hi = t_quantile(0.975, df);
            let lo = t_quantile(0.025, df);
            assert!((hi + lo).abs() < 1e-9 * hi, "df {df}: {hi} vs {lo}");
        }
        assert_eq!(normal_quantile(0.5), 0.0);
    }

    #[test]
    fn tiny_tails_stay_finite() {
        for df in [3.0, 40.0, 1e5, 1e10] {
            let t = t_upper_quantile(5e-18, df);
            assert!(t.is_finite() && t > 8.0, "df {df}: {t}");
        }
        assert!((normal_upper_quantile(5e-18) - 8.5).abs() < 0.1);
    }

    #[test]
    fn out_of_domain_is_nan() {
        assert!(normal_quantile(0.0).is_nan());
        assert!(t_quantile(1.0, 5.0).is_nan());
        assert!(t_quantile(0.5, 0.0).is_nan());
    }
}
