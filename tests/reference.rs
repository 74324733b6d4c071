//! liftlab against scipy / statsmodels values written by
//! `tests/reference/make_reference.py` into `tests/data/reference.json`.

use liftlab::stats::{self, Moments, dist};
use serde_json::Value;

use crate::util::{assert_close, f, fixture, fvec};

fn check_welch_and_lift(name: &str, case: &Value, c: &Moments, t: &Moments) {
    let alpha = f(case, "alpha");
    let w = stats::welch(&c.estimate(), &t.estimate(), alpha).unwrap();
    let r = stats::relative_lift(&c.estimate(), &t.estimate(), alpha).unwrap();
    for (what, actual, key) in [
        ("mean_control", w.mean_control, "mean_control"),
        ("mean_treatment", w.mean_treatment, "mean_treatment"),
        ("effect_size", w.effect_size, "effect_size"),
        ("se", w.effect_size_se, "se"),
        ("df", w.df, "df"),
        ("statistic", w.statistic, "statistic"),
        ("pvalue", w.pvalue, "pvalue"),
        ("ci_lower", w.effect_size_ci_lower, "ci_lower"),
        ("ci_upper", w.effect_size_ci_upper, "ci_upper"),
        ("rel_effect_size", r.rel_effect_size, "rel_effect_size"),
        ("rel_se", r.rel_effect_size_se, "rel_se"),
        ("rel_ci_lower", r.rel_effect_size_ci_lower, "rel_ci_lower"),
        ("rel_ci_upper", r.rel_effect_size_ci_upper, "rel_ci_upper"),
    ] {
        assert_close(&format!("{name}: {what}"), actual, f(case, key));
    }
}

#[test]
fn welch_and_relative_lift_match_scipy() {
    let r = fixture("reference.json");
    let cases = r["welch"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let c = Moments::from_slices(&fvec(case, "control"), None);
        let t = Moments::from_slices(&fvec(case, "treatment"), None);
        assert_close(&format!("{name}: var_control"), c.var(), f(case, "var_control"));
        check_welch_and_lift(name, case, &c, &t);
    }
}

#[test]
fn cuped_matches_numpy_scipy() {
    let r = fixture("reference.json");
    for case in r["cuped"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let c = Moments::from_slices(&fvec(case, "control_y"), Some(&fvec(case, "control_x")));
        let t = Moments::from_slices(&fvec(case, "treatment_y"), Some(&fvec(case, "treatment_x")));
        check_welch_and_lift(name, case, &c, &t);
        let cu = stats::cuped(&c, &t, f(case, "alpha")).unwrap();
        let e = &case["cuped"];
        for (what, actual) in [
            ("theta", cu.theta),
            ("mean_control", cu.welch.mean_control),
            ("mean_treatment", cu.welch.mean_treatment),
            ("effect_size", cu.welch.effect_size),
            ("se", cu.welch.effect_size_se),
            ("df", cu.welch.df),
            ("statistic", cu.welch.statistic),
            ("pvalue", cu.welch.pvalue),
            ("ci_lower", cu.welch.effect_size_ci_lower),
            ("ci_upper", cu.welch.effect_size_ci_upper),
            ("rel_effect_size", cu.relative.rel_effect_size),
            ("rel_se", cu.relative.rel_effect_size_se),
            ("rel_ci_lower", cu.relative.rel_effect_size_ci_lower),
            ("rel_ci_upper", cu.relative.rel_effect_size_ci_upper),
            ("variance_reduction", cu.variance_reduction),
        ] {
            assert_close(&format!("{name}: cuped {what}"), actual, f(e, what));
        }
        assert_close(&format!("{name}: correlation"), cu.correlation, f(case, "pooled_correlation"));
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
        let alpha = f(case, "alpha");
        let w = stats::welch(&ec, &et, alpha).unwrap();
        let rel = stats::relative_lift(&ec, &et, alpha).unwrap();
        for (what, actual, key) in [
            ("ratio control", w.mean_control, "mean_control"),
            ("ratio treatment", w.mean_treatment, "mean_treatment"),
            ("effect_size", w.effect_size, "effect_size"),
            ("se", w.effect_size_se, "se"),
            ("df", w.df, "df"),
            ("pvalue", w.pvalue, "pvalue"),
            ("ci_lower", w.effect_size_ci_lower, "ci_lower"),
            ("ci_upper", w.effect_size_ci_upper, "ci_upper"),
            ("rel_effect_size", rel.rel_effect_size, "rel_effect_size"),
            ("rel_se", rel.rel_effect_size_se, "rel_se"),
        ] {
            assert_close(&format!("{name}: {what}"), actual, f(case, key));
        }
    }
}
