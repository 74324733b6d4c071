//! `liftlab compare`: the verdict at a small and a large store, the JSON
//! and CSV contracts, the sensitivity's proportionality (by simulation),
//! CLI errors, and the test's chance of picking the better policy against
//! 300 simulated rules-vs-model tests.

use liftlab::compare::{CompareConfig, compare};
use liftlab::report::compare::COMPARE_COLUMNS;
use liftlab::sim::{ArmSpec, Level, SimConfig, simulate};
use liftlab::stats::dist::normal_cdf;
use liftlab::store::StoreProfile;

use crate::util::{fails_with, json_of, liftlab};

/// A small sweep, so the tests stay fast.
const QUICK: &[&str] = &["--replicates", "20", "--sweep-replicates", "20"];

fn quick(extra: &[&str]) -> serde_json::Value {
    let mut cmd = liftlab();
    cmd.arg("compare").args(QUICK).args(extra).args(["--format", "json"]);
    json_of(&mut cmd)
}

#[test]
fn compare_keeps_the_rules_at_a_small_store_and_picks_the_model_at_a_large_one() {
    let small = quick(&["--annual-revenue", "1200000", "--revenues", "1e6,4e6,1.6e7"]);
    assert_eq!(small["winner"], "rules");
    let verdict = small["verdict"].as_str().unwrap();
    assert!(verdict.starts_with("At $1.2M a year the model") && verdict.ends_with("Keep the rules."), "{verdict}");
    assert!(verdict.contains("could not tell them apart"), "{verdict}");
    // Below the practitioners' floor the model has barely learned: it earns
    // about what rules earn, and its fee is lost.
    assert!(small["learning"].as_f64().unwrap() < 0.02);
    let after = small["model_minus_rules_usd_per_month"]["mean"].as_f64().unwrap();
    assert!((-2_600.0..-2_400.0).contains(&after), "{after}");
    let rules = &small["rules"]["incremental_margin_usd_per_month"];
    assert!(rules["low"].as_f64().unwrap() < rules["mean"].as_f64().unwrap());
    assert!(rules["mean"].as_f64().unwrap() > 0.0);
    // Break-even per fee, ascending with the fee, inside the sweep.
    let be: Vec<f64> =
        small["break_even"].as_array().unwrap().iter().map(|b| b["annual_revenue_usd"].as_f64().unwrap()).collect();
    assert_eq!(be.len(), 3);
    assert!(be.windows(2).all(|w| w[0] < w[1]), "{be:?}");
    assert!((2e6..2e7).contains(&be[1]), "{be:?}");

    let large = quick(&["--annual-revenue", "20000000", "--revenues", "1e6,2e6"]);
    assert_eq!(large["winner"], "model");
    assert!(large["verdict"].as_str().unwrap().ends_with("Choose the model."));
    let gap = large["test"]["true_gap"].as_f64().unwrap();
    assert!((0.006..0.018).contains(&gap), "model over rules before fees at $20M: {gap}");
    let t = &large["test"];
    let (se, thr) = (t["se"].as_f64().unwrap(), t["fee_threshold"].as_f64().unwrap());
    assert!((t["p_picks_better"].as_f64().unwrap() - normal_cdf((gap - thr).abs() / se)).abs() < 1e-12);
}

#[test]
fn compare_csv_is_the_sweep_and_errors_name_the_flag() {
    let out = liftlab()
        .arg("compare")
        .args(QUICK)
        .args(["--annual-revenue", "1200000", "--revenues", "1e6,2e6,4e6,8e6", "--fees", "2500", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), COMPARE_COLUMNS.join(","));
    // One fee (the store's own is 2500 too) × four sizes.
    assert_eq!(lines.count(), 4);
    fails_with(&["compare", "--shares", "0.5,0.5,0.5"], &["--shares", "summing to 1"]);
    fails_with(&["compare", "--shares", "0.5,0.5"], &["--shares", "three shares"]);
    fails_with(&["compare", "--fee", "-5"], &["--fee"]);
    fails_with(&["compare", "--revenues", "5e6,1e6"], &["--revenues", "ascending"]);
    fails_with(&["compare", "--skus", "0"], &["--skus"]);
    fails_with(&["compare", "--days", "0"], &["--days"]);
}

#[test]
fn the_models_advantage_scales_with_its_assumed_gap() {
    // The sensitivity table scales the gross advantage with rpv_gap; check
    // that by simulation at a store where the model has learned.
    let config = CompareConfig {
        replicates: Some(20),
        sweep_replicates: 20,
        revenues: vec![1e6, 2e6],
        ..CompareConfig::default()
    };
    let at = |gap: f64| {
        let mut p = StoreProfile::with_annual_revenue(5_000_000.0);
        p.policies.model.rpv_gap = gap;
        compare(&p, &config, &|_, _| {}).unwrap().model_minus_rules_before_fee_usd_per_month.mean
    };
    let (base, double) = (at(0.012), at(0.024));
    assert!(base > 0.0);
    assert!((double / base - 2.0).abs() < 0.2, "{double} / {base}");
}

#[test]
fn compare_test_chance_matches_simulated_tests() {
    // A store where the model has half learned and a large advantage, no
    // fee: the test's analytic SE and chance of picking the better policy
    // against 300 simulated 30-day three-arm tests.
    let mut p = StoreProfile::with_annual_revenue(5_000_000.0);
    p.policies.model.rpv_gap = 0.10;
    p.policies.model.fee_usd_per_month = 0.0;
    let config = CompareConfig {
        days: 30,
        replicates: Some(40),
        sweep_replicates: 20,
        revenues: vec![1e6, 2e6],
        ..CompareConfig::default()
    };
    let c = compare(&p, &config, &|_, _| {}).unwrap();
    let t = &c.test;
    let arms = vec![
        ArmSpec { name: "control".into(), share: 0.1 },
        ArmSpec { name: "rules".into(), share: 0.45 },
        ArmSpec { name: "model".into(), share: 0.45 },
    ];
    let k = 300;
    let gaps: Vec<f64> = (0..k)
        .map(|i| {
            let cfg =
                SimConfig { days: 30, seed: 1_000 + i, salt: 1_000 + i, arms: arms.clone(), ..SimConfig::default() };
            let r = simulate(&p, &cfg, Level::Aggregate, &|_, _| {}, |_| Ok(())).unwrap();
            let per = |a: usize| {
                let m = &r.arm_stats[a].margin_per_session;
                m.mean() / m.mean_x()
            };
            per(2) / per(1) - 1.0
        })
        .collect();
    let picks = gaps.iter().filter(|&&g| g > t.fee_threshold).count() as f64 / k as f64;
    let mean = gaps.iter().sum::<f64>() / k as f64;
    let sd = (gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (k - 1) as f64).sqrt();
    eprintln!("picks {picks} vs {}; sd {sd} vs SE {}; mean gap {mean} vs true {}", t.p_picks_better, t.se, t.true_gap);
    let mc_se = (t.p_picks_better * (1.0 - t.p_picks_better) / k as f64).sqrt();
    assert!(
        (picks - t.p_picks_better).abs() <= 3.0 * mc_se,
        "simulated {picks} vs analytic {} ± 3 × {mc_se}",
        t.p_picks_better
    );
    assert!((sd / t.se - 1.0).abs() < 0.15, "simulated sd {sd} vs analytic SE {}", t.se);
    assert!((mean - t.true_gap).abs() <= 3.0 * sd / (k as f64).sqrt() + 0.002, "mean {mean} vs true {}", t.true_gap);
}
