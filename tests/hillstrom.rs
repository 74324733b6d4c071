//! The real Hillstrom e-mail holdout (64,000 customers) against the values
//! scipy/statsmodels produced in `tests/data/hillstrom_reference.json`.
//! Skipped, with a message, where `../shared` is absent.

use assert_cmd::Command;
use liftlab::experiment::{AnalysisConfig, MetricResult, TestMethod, analyze};
use liftlab::io::{ColumnSpec, read_units};
use liftlab::stats::LiftInterval;
use serde_json::Value;

use crate::util::{assert_close, assert_close_tol, assert_within, f, fixture, pvalue_mc_tolerance, shared_dataset};

const CONTROL: &str = "No E-Mail";

fn spec() -> ColumnSpec {
    ColumnSpec {
        variant: Some("segment".into()),
        metrics: vec!["spend".into(), "visit".into(), "conversion".into()],
        covariate: Some("history".into()),
        segment: None,
    }
}

#[test]
fn analysis_matches_scipy_statsmodels() {
    let Some(path) = shared_dataset("hillstrom/hillstrom.csv") else { return };
    let reference = fixture("hillstrom_reference.json");
    let table = read_units(&path, &spec()).unwrap();
    assert_eq!(table.n_rows() as u64, reference["n_rows"].as_u64().unwrap());
    let mut config = AnalysisConfig::new(CONTROL, "segment");
    config.covariate_name = Some("history".into());
    let a = analyze(&table, &config).unwrap();

    let srm = &reference["srm"];
    assert_close("srm chi2", a.srm.chi2, f(srm, "chi2"));
    assert_close("srm pvalue", a.srm.pvalue, f(srm, "pvalue"));
    for (arm, n) in srm["counts"].as_object().unwrap() {
        assert_eq!(a.srm.counts[arm], n.as_u64().unwrap(), "count of {arm}");
    }

    let expected = reference["results"].as_array().unwrap();
    assert_eq!(a.results.len(), expected.len());
    for e in expected {
        let (metric, variant) = (e["metric"].as_str().unwrap(), e["variant"].as_str().unwrap());
        let r = a.results.iter().find(|r| r.metric == metric && r.variant == variant).unwrap();
        let name = format!("{metric} / {variant}");
        assert_eq!(r.n_control, e["n_control"].as_u64().unwrap());
        assert_eq!(r.n_treatment, e["n_treatment"].as_u64().unwrap());
        for (what, actual, key) in [
            ("mean_control", r.welch.mean_control, "mean_control"),
            ("mean_treatment", r.welch.mean_treatment, "mean_treatment"),
            ("effect_size", r.welch.effect_size, "effect_size"),
            ("se", r.welch.effect_size_se, "se"),
            ("df", r.welch.df, "df"),
            ("statistic", r.welch.statistic, "statistic"),
            ("pvalue", r.welch.pvalue, "pvalue"),
            ("ci_lower", r.welch.effect_size_ci_lower, "ci_lower"),
            ("ci_upper", r.welch.effect_size_ci_upper, "ci_upper"),
            ("rel_effect_size", r.rel_effect_size.unwrap(), "rel_effect_size"),
            ("rel_se", r.rel_effect_size_se.unwrap(), "rel_se"),
            (
                "rel_effect_size_bias_corrected",
                r.rel_effect_size_bias_corrected.unwrap(),
                "rel_effect_size_bias_corrected",
            ),
            ("rel_pvalue", r.rel_pvalue.unwrap(), "rel_pvalue"),
            // `analyze` builds the lift interval on the log scale by default.
            ("rel_ci_lower", r.rel_effect_size_ci_lower.unwrap(), "rel_log_ci_lower"),
            ("rel_ci_upper", r.rel_effect_size_ci_upper.unwrap(), "rel_log_ci_upper"),
            ("skewness control", r.skewness.control.skewness, "skewness_control"),
            ("skewness treatment", r.skewness.treatment.skewness, "skewness_treatment"),
            ("min_n control", r.skewness.control.min_n, "min_n_control"),
            ("min_n treatment", r.skewness.treatment.min_n, "min_n_treatment"),
        ] {
            assert_close(&format!("{name}: {what}"), actual, f(e, key));
        }
        assert_eq!(r.rel_ci_method, Some(LiftInterval::Log), "{name}");
        check_decisive_test(&name, r, e);

        let c = r.cuped.as_ref().unwrap();
        let ec = &e["cuped"];
        for (what, actual) in [
            ("theta", c.theta),
            ("theta_control", c.theta_control),
            ("theta_treatment", c.theta_treatment),
            ("mean_control", c.welch.mean_control),
            ("mean_treatment", c.welch.mean_treatment),
            ("effect_size", c.welch.effect_size),
            ("se", c.welch.effect_size_se),
            ("df", c.welch.df),
            ("pvalue", c.welch.pvalue),
            ("ci_lower", c.welch.effect_size_ci_lower),
            ("ci_upper", c.welch.effect_size_ci_upper),
            ("rel_effect_size", c.relative.rel_effect_size),
            ("rel_effect_size_bias_corrected", c.relative.rel_effect_size_bias_corrected),
            ("rel_pvalue", c.relative.rel_pvalue.unwrap()),
            ("rel_log_ci_lower", c.relative.rel_effect_size_ci_lower),
            ("rel_log_ci_upper", c.relative.rel_effect_size_ci_upper),
            ("covariate_balance_pvalue", c.covariate_balance_pvalue),
        ] {
            assert_close(&format!("{name}: cuped {what}"), actual, f(ec, what));
        }
        // Lin's adjusted difference is the coefficient on T of statsmodels'
        // OLS spend ~ T + xc + T·xc (xc = history − its pooled mean).
        assert_close(&format!("{name}: cuped vs statsmodels"), c.welch.effect_size, f(ec, "effect_size_statsmodels"));
        // 1 − ratio of two close SEs: compare absolutely.
        assert!((c.variance_reduction - f(ec, "variance_reduction")).abs() < 1e-9, "{name}: variance reduction");
        if let Some(ct) = &r.cuped_test
            && ct.method == TestMethod::Welch
        {
            for (what, actual) in
                [("pvalue", ct.pvalue), ("pvalue_upper", ct.pvalue_upper), ("pvalue_lower", ct.pvalue_lower)]
            {
                assert_close(&format!("{name}: cuped_test {what}"), actual, f(ec, what));
            }
        }
    }
}

/// The decisive test of one comparison: Welch where scipy's skewness meets
/// `n ≥ 355·γ²` in both arms (p-values from scipy's one- and two-sided
/// `ttest_ind`), the permutation test elsewhere (scipy's `permutation_test`
/// of Welch's t with the same B = 2000).
fn check_decisive_test(name: &str, r: &MetricResult, e: &Value) {
    let test = &r.test;
    match e["test_method"].as_str().unwrap() {
        "welch" => {
            assert_eq!(test.method, TestMethod::Welch, "{name}: {:?}", test.reason);
            assert!(r.permutation.is_none(), "{name}");
            for (what, actual) in
                [("pvalue", test.pvalue), ("pvalue_upper", test.pvalue_upper), ("pvalue_lower", test.pvalue_lower)]
            {
                assert_close(&format!("{name}: test {what}"), actual, f(e, what));
            }
        }
        "permutation" => {
            assert_eq!(test.method, TestMethod::Permutation, "{name}: {:?}", test.reason);
            let perm = r.permutation.as_ref().unwrap();
            let ep = &e["permutation"];
            assert_close(&format!("{name}: permutation statistic"), perm.statistic, f(ep, "statistic"));
            let (b, reference_b) = (perm.resamples, ep["scipy_resamples"].as_u64().unwrap() as usize);
            assert_eq!(b, 2000, "{name}: analyze's default B");
            // Both p-values are estimated from 2,000 random re-randomizations;
            // they may differ by Monte Carlo error (see pvalue_mc_tolerance).
            let tol = |p: f64| pvalue_mc_tolerance(p, b, Some(reference_b));
            let (up, down) = (f(ep, "pvalue_upper"), f(ep, "pvalue_lower"));
            assert_within(&format!("{name}: test pvalue_upper"), test.pvalue_upper, up, tol(up));
            assert_within(&format!("{name}: test pvalue_lower"), test.pvalue_lower, down, tol(down));
            assert_within(&format!("{name}: test pvalue"), test.pvalue, f(ep, "pvalue"), 2.0 * tol(up.min(down)));
            assert_eq!(test.pvalue, perm.pvalue, "{name}");
        }
        other => panic!("unknown test method {other}"),
    }
}

#[test]
fn bootstrap_agrees_with_scipy_within_monte_carlo_error() {
    let Some(path) = shared_dataset("hillstrom/hillstrom.csv") else { return };
    let reference = fixture("hillstrom_reference.json");
    let b = &reference["bootstrap"];
    let table = read_units(&path, &ColumnSpec { metrics: vec!["spend".into()], covariate: None, ..spec() }).unwrap();
    let mut config = AnalysisConfig::new(CONTROL, "segment");
    config.bootstrap = 2000;
    config.seed = 20_081_120;
    let a = analyze(&table, &config).unwrap();
    let r = a.results.iter().find(|r| r.variant == "Mens E-Mail").unwrap();
    let boot = r.bootstrap.unwrap();
    // A percentile from B = 2000 resamples has MC SE ≈ 0.06·SE; two
    // independent runs differ by ≈ 0.085·SE: allow 0.35·SE (≈ 4 MC SEs).
    let (se, rel_se) = (f(b, "effect_size_bootstrap_se"), f(b, "rel_effect_size_bootstrap_se"));
    for (what, actual, key, scale) in [
        ("effect lower", boot.effect_size_ci_lower, "effect_size_ci_lower", se),
        ("effect upper", boot.effect_size_ci_upper, "effect_size_ci_upper", se),
        ("lift lower", boot.rel_effect_size_ci_lower.unwrap(), "rel_effect_size_ci_lower", rel_se),
        ("lift upper", boot.rel_effect_size_ci_upper.unwrap(), "rel_effect_size_ci_upper", rel_se),
    ] {
        let diff = (actual - f(b, key)).abs();
        assert!(diff < 0.35 * scale, "bootstrap {what}: liftlab {actual} vs scipy {} ({diff} > 0.35 SE)", f(b, key));
    }
    // The bootstrap SE estimates the Welch SE (relative MC error ≈ 1.6%).
    assert_close_tol("bootstrap SE vs Welch SE", boot.effect_size_se, r.welch.effect_size_se, 0.08);
}

fn run_json(args: &[&str]) -> Value {
    let out = Command::cargo_bin("liftlab").unwrap().args(args).output().unwrap();
    assert!(out.status.success(), "liftlab {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn cli_analyze_and_plan_from_hillstrom() {
    let Some(path) = shared_dataset("hillstrom/hillstrom.csv") else { return };
    let path = path.to_str().unwrap();
    let reference = fixture("hillstrom_reference.json");

    let a = run_json(&[
        "analyze",
        path,
        "--variant-col",
        "segment",
        "--control",
        CONTROL,
        "--metric",
        "spend",
        "--covariate",
        "history",
        "--bootstrap",
        "200",
        "--format",
        "json",
    ]);
    assert_close("cli srm pvalue", f(&a["srm"], "pvalue"), f(&reference["srm"], "pvalue"));
    let first = &a["results"][0];
    let e = &reference["results"][0];
    assert_eq!(first["variant"], e["variant"]);
    assert_close("cli effect_size", f(first, "effect_size"), f(e, "effect_size"));
    assert_close("cli cuped effect_size", f(&first["cuped"], "effect_size"), f(&e["cuped"], "effect_size"));
    // The JSON contract: log-scale lift interval, its p-value, the bias
    // correction, skewness, and the decisive test in `test`.
    assert_eq!(first["rel_ci_method"], "log");
    for key in ["rel_effect_size_ci_lower", "rel_effect_size_ci_upper"] {
        let log_key = key.replace("rel_effect_size_ci", "rel_log_ci");
        assert_close(&format!("cli {key}"), f(first, key), f(e, &log_key));
        assert_close(&format!("cli cuped {key}"), f(&first["cuped"], key), f(&e["cuped"], &log_key));
    }
    assert_close("cli rel_pvalue", f(first, "rel_pvalue"), f(e, "rel_pvalue"));
    assert_close(
        "cli rel_effect_size_bias_corrected",
        f(first, "rel_effect_size_bias_corrected"),
        f(e, "rel_effect_size_bias_corrected"),
    );
    assert_close("cli skewness", f(&first["skewness"]["control"], "skewness"), f(e, "skewness_control"));
    assert_eq!(first["test"]["method"], e["test_method"]);
    assert_eq!(first["bootstrap"]["resamples"], 200);

    let plan = &reference["plan"];
    let p = run_json(&[
        "plan",
        "--from",
        path,
        "--metric",
        "spend",
        "--covariate",
        "history",
        "--variant-col",
        "segment",
        "--control",
        CONTROL,
        "--daily-units",
        "1000",
        "--format",
        "json",
    ]);
    assert_close("plan mean", f(&p["traffic"], "mean"), f(&plan["control"], "mean"));
    assert_close("plan sd", f(&p["traffic"], "sd"), f(&plan["control"], "sd"));
    assert_close("plan cuped r2", f(&p["traffic"], "cuped_r2"), f(&plan["control"], "r2"));
    let rows = p["rows"].as_array().unwrap();
    for (row, e) in rows.iter().zip(plan["rows"].as_array().unwrap()) {
        assert_eq!(f(row, "days"), f(e, "days"));
        assert_close("plan n_control", f(row, "n_control"), f(e, "n_control"));
        assert_close("plan mde", f(row, "mde"), f(e, "mde_exact"));
        assert_close("plan rel_mde", f(row, "rel_mde"), f(e, "rel_mde_exact"));
        assert_close("plan rel_mde_cuped", f(row, "rel_mde_cuped"), f(e, "rel_mde_cuped_exact"));
    }
    assert!(p["days_to_detect"].as_f64().unwrap() > 90.0);
}

/// Two e-mail arms share the "No E-Mail" control: each overall result gets
/// Dunnett's many-to-one p-value, between the raw Welch p-value and its
/// Bonferroni bound, and none of the single-comparison metrics' segments do.
#[test]
fn two_arms_sharing_a_control_get_dunnett_p_values() {
    let Some(path) = shared_dataset("hillstrom/hillstrom.csv") else { return };
    let table = read_units(&path, &spec()).unwrap();
    let a = analyze(&table, &AnalysisConfig::new(CONTROL, "segment")).unwrap();
    assert_eq!(a.results.len(), 6);
    for r in &a.results {
        let (p, d) = (r.welch.pvalue, r.pvalue_dunnett.expect("two treatment arms"));
        assert!(p <= d && d <= (2.0 * p).min(1.0) + 1e-12, "{} / {}: raw {p}, Dunnett {d}", r.metric, r.variant);
        // Near the Bonferroni bound for small p, near the raw p for large.
        if p < 1e-3 {
            assert!(d > 1.9 * p, "{} / {}: {d} vs {p}", r.metric, r.variant);
        }
    }
}
