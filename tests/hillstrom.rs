//! The real Hillstrom e-mail holdout (64,000 customers) against the values
//! scipy/statsmodels produced in `tests/data/hillstrom_reference.json`.
//! Skipped, with a message, where `../shared` is absent.

use assert_cmd::Command;
use liftlab::experiment::{AnalysisConfig, analyze};
use liftlab::io::{ColumnSpec, read_units};
use serde_json::Value;

use crate::util::{assert_close, assert_close_tol, f, fixture, shared_dataset};

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
            ("rel_ci_lower", r.rel_effect_size_ci_lower.unwrap(), "rel_ci_lower"),
            ("rel_ci_upper", r.rel_effect_size_ci_upper.unwrap(), "rel_ci_upper"),
        ] {
            assert_close(&format!("{name}: {what}"), actual, f(e, key));
        }
        let c = r.cuped.as_ref().unwrap();
        let ec = &e["cuped"];
        for (what, actual) in [
            ("theta", c.theta),
            ("effect_size", c.welch.effect_size),
            ("se", c.welch.effect_size_se),
            ("pvalue", c.welch.pvalue),
            ("ci_lower", c.welch.effect_size_ci_lower),
            ("ci_upper", c.welch.effect_size_ci_upper),
            ("rel_effect_size", c.relative.rel_effect_size),
            ("rel_ci_lower", c.relative.rel_effect_size_ci_lower),
            ("rel_ci_upper", c.relative.rel_effect_size_ci_upper),
        ] {
            assert_close(&format!("{name}: cuped {what}"), actual, f(ec, what));
        }
        // 1 − ratio of two close SEs: compare absolutely.
        assert!((c.variance_reduction - f(ec, "variance_reduction")).abs() < 1e-9, "{name}: variance reduction");
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
