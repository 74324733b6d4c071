//! liftlab against scipy / statsmodels values written by
//! `tests/reference/make_reference.py` into `tests/data/reference.json`.

use liftlab::stats::permutation::{ArmData, PermutationConfig, permutation_test};
use liftlab::stats::skew::{ratio_skewness, skewness};
use liftlab::stats::{self, CupedResult, LiftInterval, Moments, RatioMoments, RelativeLift, WelchResult, dist};
use serde_json::Value;

use crate::util::{assert_close, assert_within, f, fixture, fvec, pvalue_mc_tolerance};

/// Welch fields of `w` against the fixture object `e`.
fn check_welch(name: &str, e: &Value, w: &WelchResult) {
    for (what, actual) in [
        ("mean_control", w.mean_control),
        ("mean_treatment", w.mean_treatment),
        ("effect_size", w.effect_size),
        ("se", w.effect_size_se),
        ("df", w.df),
        ("statistic", w.statistic),
        ("pvalue", w.pvalue),
        ("ci_lower", w.effect_size_ci_lower),
        ("ci_upper", w.effect_size_ci_upper),
    ] {
        assert_close(&format!("{name}: {what}"), actual, f(e, what));
    }
}

/// Relative-lift fields of `r` against `e`: the point estimate, its delta
/// SE, the bias-corrected lift and the log-scale p-value always; the
/// interval against the delta-method (`rel_ci_*`) or log-scale
/// (`rel_log_ci_*`) reference, as `r.rel_ci_method` says.
fn check_lift(name: &str, e: &Value, r: &RelativeLift, interval: LiftInterval) {
    assert_eq!(r.rel_ci_method, interval, "{name}: interval method");
    let (lo, hi) = match interval {
        LiftInterval::Delta => ("rel_ci_lower", "rel_ci_upper"),
        LiftInterval::Log => ("rel_log_ci_lower", "rel_log_ci_upper"),
    };
    for (what, actual, key) in [
        ("rel_effect_size", r.rel_effect_size, "rel_effect_size"),
        ("rel_se", r.rel_effect_size_se, "rel_se"),
        ("rel_effect_size_bias_corrected", r.rel_effect_size_bias_corrected, "rel_effect_size_bias_corrected"),
        ("rel_pvalue", r.rel_pvalue.expect("both means are positive"), "rel_pvalue"),
        (lo, r.rel_effect_size_ci_lower, lo),
        (hi, r.rel_effect_size_ci_upper, hi),
    ] {
        assert_close(&format!("{name}: {what}"), actual, f(e, key));
    }
}

/// Welch's test and both lift intervals of two arm estimates against `e`.
fn check_welch_and_lift(name: &str, e: &Value, c: &stats::ArmEstimate, t: &stats::ArmEstimate) {
    let alpha = f(e, "alpha");
    check_welch(name, e, &stats::welch(c, t, alpha).unwrap());
    check_lift(name, e, &stats::relative_lift(c, t, alpha).unwrap(), LiftInterval::Delta);
    for interval in [LiftInterval::Delta, LiftInterval::Log] {
        check_lift(name, e, &stats::relative_lift_with(c, t, alpha, interval).unwrap(), interval);
    }
}

/// A CUPED result against the fixture's `cuped` object (Lin's per-arm
/// slopes, numpy), computed with `interval` for the lift.
fn check_cuped(name: &str, e: &Value, cu: &CupedResult, interval: LiftInterval) {
    let name = format!("{name}: cuped");
    check_welch(&name, e, &cu.welch);
    check_lift(&name, e, &cu.relative, interval);
    for (what, actual) in [
        ("theta", cu.theta),
        ("theta_control", cu.theta_control),
        ("theta_treatment", cu.theta_treatment),
        ("variance_reduction", cu.variance_reduction),
        ("covariate_balance_pvalue", cu.covariate_balance_pvalue),
    ] {
        assert_close(&format!("{name} {what}"), actual, f(e, what));
    }
    // The coefficient on T of statsmodels' OLS y ~ T + xc + T·xc (Lin 2013).
    assert_close(&format!("{name} effect vs statsmodels"), cu.welch.effect_size, f(e, "effect_size_statsmodels"));
}

#[test]
fn welch_and_relative_lift_match_scipy() {
    let r = fixture("reference.json");
    let cases = r["welch"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (cy, ty) = (fvec(case, "control"), fvec(case, "treatment"));
        let c = Moments::from_slices(&cy, None);
        let t = Moments::from_slices(&ty, None);
        assert_close(&format!("{name}: var_control"), c.var(), f(case, "var_control"));
        check_welch_and_lift(name, case, &c.estimate(), &t.estimate());
    }
}

#[test]
fn skewness_matches_scipy_skew() {
    let r = fixture("reference.json");
    let mut checked = 0;
    for case in r["welch"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        for arm in ["control", "treatment"] {
            let key = format!("skewness_{arm}");
            assert_close(&format!("{name}: {key}"), skewness(&fvec(case, arm)), f(case, &key));
            checked += 1;
        }
    }
    for case in r["ratio"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        for arm in ["control", "treatment"] {
            let key = format!("ratio_skewness_{arm}");
            let g = ratio_skewness(&fvec(case, &format!("{arm}_y")), &fvec(case, &format!("{arm}_x")));
            assert_close(&format!("{name}: {key}"), g, f(case, &key));
            checked += 1;
        }
    }
    assert!(checked >= 14);
}

#[test]
fn cuped_matches_numpy_per_arm_ols_and_statsmodels() {
    let r = fixture("reference.json");
    for case in r["cuped"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let c = Moments::from_slices(&fvec(case, "control_y"), Some(&fvec(case, "control_x")));
        let t = Moments::from_slices(&fvec(case, "treatment_y"), Some(&fvec(case, "treatment_x")));
        check_welch_and_lift(name, case, &c.estimate(), &t.estimate());
        let alpha = f(case, "alpha");
        // `cuped` reports the log-scale lift interval; `cuped_with` either.
        check_cuped(name, &case["cuped"], &stats::cuped(&c, &t, alpha).unwrap(), LiftInterval::Log);
        for interval in [LiftInterval::Delta, LiftInterval::Log] {
            check_cuped(name, &case["cuped"], &stats::cuped_with(&c, &t, alpha, interval).unwrap(), interval);
        }
        let cu = stats::cuped(&c, &t, alpha).unwrap();
        assert_close(&format!("{name}: correlation"), cu.correlation, f(case, "pooled_correlation"));
    }
}

#[test]
fn ratio_cuped_matches_numpy_linearization() {
    let r = fixture("reference.json");
    let cases = r["ratio_cuped"].as_array().unwrap();
    assert!(cases.len() >= 2);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let arm = |a: &str| {
            let (y, d, x) =
                (fvec(case, &format!("{a}_y")), fvec(case, &format!("{a}_d")), fvec(case, &format!("{a}_x")));
            RatioMoments::from_slices(&y, &d, &x)
        };
        let (c, t) = (arm("control"), arm("treatment"));
        let alpha = f(case, "alpha");
        // Unadjusted: the delta-method ratio of each arm.
        let (ec, et) =
            (stats::ratio_estimate(&c.ratio_moments()).unwrap(), stats::ratio_estimate(&t.ratio_moments()).unwrap());
        check_welch(&format!("{name}: plain"), &case["plain"], &stats::welch(&ec, &et, alpha).unwrap());
        let e = &case["cuped"];
        for interval in [LiftInterval::Delta, LiftInterval::Log] {
            let cu = stats::ratio_cuped(&c, &t, alpha, interval).unwrap();
            check_cuped(name, e, &cu, interval);
            assert_close(&format!("{name}: cuped correlation"), cu.correlation, f(e, "correlation"));
        }
    }
}
#[test]
fn srm_matches_scipy_chisquare() {
    let r = fixture("reference.json");
    for case in r["srm"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let counts: Vec<u64> = case["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).collect();
        let s = stats::srm(&counts, &fvec(case, "weights")).unwrap();
        assert_close(&format!("{name}: chi2"), s.chi2, f(case, "chi2"));
        assert_close(&format!("{name}: pvalue"), s.pvalue, f(case, "pvalue"));
        assert_eq!(s.df, f(case, "df"));
    }
}

#[test]
fn mde_and_sample_size_match_statsmodels() {
    let r = fixture("reference.json");
    for case in r["mde"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let m =
            stats::mde(f(case, "sd"), f(case, "n_control"), f(case, "n_treatment"), f(case, "alpha"), f(case, "power"))
                .unwrap();
        // statsmodels' own root finder stops early (≈3e-5 relative); the
        // exact root of its power function is the reference.
        assert_close(&format!("{name}: mde"), m, f(case, "mde_exact"));
        crate::util::assert_close_tol(&format!("{name}: mde vs solve_power"), m, f(case, "mde"), 1e-4);
    }
    for case in r["sample_size"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let n = stats::units_for_effect(
            f(case, "effect"),
            f(case, "sd"),
            f(case, "holdout_share"),
            f(case, "alpha"),
            f(case, "power"),
        )
        .unwrap();
        assert_close(&format!("{name}: n_total"), n, f(case, "n_total_exact"));
    }
}

#[test]
fn quantiles_and_tails_match_scipy() {
    let r = fixture("reference.json");
    for q in r["quantiles"].as_array().unwrap() {
        let kind = q["dist"].as_str().unwrap();
        let expected = f(q, "value");
        let (actual, what) = match kind {
            "normal" => (dist::normal_quantile(f(q, "p")), format!("norm.ppf({})", f(q, "p"))),
            "t" => (dist::t_quantile(f(q, "p"), f(q, "df")), format!("t.ppf({}, {})", f(q, "p"), f(q, "df"))),
            "t_sf" => (dist::t_sf(f(q, "x"), f(q, "df")), format!("t.sf({}, {})", f(q, "x"), f(q, "df"))),
            "chi2_sf" => (dist::chi2_sf(f(q, "x"), f(q, "df")), format!("chi2.sf({}, {})", f(q, "x"), f(q, "df"))),
            other => panic!("unknown quantile kind {other}"),
        };
        crate::util::assert_close_tol(&what, actual, expected, 1e-9);
    }
}

#[test]
fn ratio_metrics_match_linearized_scipy_welch() {
    let r = fixture("reference.json");
    let cases = r["ratio"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let c = Moments::from_slices(&fvec(case, "control_y"), Some(&fvec(case, "control_x")));
        let t = Moments::from_slices(&fvec(case, "treatment_y"), Some(&fvec(case, "treatment_x")));
        let (ec, et) = (stats::ratio_estimate(&c).unwrap(), stats::ratio_estimate(&t).unwrap());
        // scipy's Welch test on the linearized values L_i = R + (y_i − R·x_i)/x̄,
        // whose mean is R and whose s²/n is the delta-method Var(R).
        check_welch_and_lift(name, case, &ec, &et);
    }
}

/// Re-randomizations liftlab draws against scipy's random-permutation
/// references (which used 200,000): the p-values differ by Monte Carlo error
/// only, `≈ √(p(1 − p)·(1/50,000 + 1/200,000))`: 0.0025 at p = 0.4, 0.00035
/// at p = 0.005; the check allows `MC_SES` of them plus the `1/(B + 1)` biases.
const PERMUTATIONS_VS_RANDOM: usize = 50_000;
/// Re-randomizations against an exact (enumerated) permutation p-value.
const PERMUTATIONS_VS_EXACT: usize = 20_000;

#[test]
fn permutation_test_matches_scipy_within_monte_carlo_error() {
    let r = fixture("reference.json");
    let cases = r["permutation"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (cy, ty) = (fvec(case, "control"), fvec(case, "treatment"));
        let (cd, td) = match case.get("control_d") {
            Some(_) => (Some(fvec(case, "control_d")), Some(fvec(case, "treatment_d"))),
            None => (None, None),
        };
        let exact = match case["kind"].as_str().unwrap() {
            "exact" => true,
            "scipy_random" => false,
            other => panic!("unknown permutation reference kind {other}"),
        };
        let b = if exact { PERMUTATIONS_VS_EXACT } else { PERMUTATIONS_VS_RANDOM };
        let reference_b = (!exact).then(|| case["scipy_resamples"].as_u64().unwrap() as usize);
        let config = PermutationConfig { intervals: false, ..PermutationConfig::new(b, 0.05, 20_240_301) };
        let p =
            permutation_test(&ArmData::with(&cy, cd.as_deref()), &ArmData::with(&ty, td.as_deref()), &config).unwrap();
        // The observed statistic is deterministic: Welch's t (delta-method t for a ratio).
        assert_close(&format!("{name}: statistic"), p.statistic, f(case, "statistic"));
        let (up, down) = (f(case, "pvalue_upper"), f(case, "pvalue_lower"));
        let tol = |p: f64| pvalue_mc_tolerance(p, b, reference_b);
        assert_within(&format!("{name}: pvalue_upper"), p.pvalue_upper, up, tol(up));
        assert_within(&format!("{name}: pvalue_lower"), p.pvalue_lower, down, tol(down));
        // Two-sided: twice the smaller tail, so twice its tolerance.
        assert_within(&format!("{name}: pvalue"), p.pvalue, f(case, "pvalue"), 2.0 * tol(up.min(down)));
    }
}
