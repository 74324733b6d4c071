//! `liftlab audit`: the value and cost arithmetic, determinism across
//! thread counts, the size of the field rules' error rates at the $1.5M
//! store (Monte Carlo tolerances), the recommended rule's two cases, and
//! CLI errors.
//!
//! The heavy run against the issue's figures is `#[ignore]`d:
//! `cargo test --release --test tests audit -- --ignored --nocapture`.

use liftlab::audit::{Audit, AuditConfig, AuditRow, Rule, audit, baseline_margin, decision_cost, monthly_value};
use liftlab::report::audit::{AUDIT_COLUMNS, audit_csv};
use liftlab::sim::store::DAYS_PER_MONTH;
use liftlab::store::StoreProfile;

use crate::util::{fails_with, liftlab};

fn run(store: &str, config: &AuditConfig) -> Audit {
    audit(&StoreProfile::preset(store).unwrap(), config, &|_, _| {}).unwrap()
}

fn row(a: &Audit, rule: Rule, lift: f64) -> &AuditRow {
    a.rows.iter().find(|r| r.rule == rule && r.true_lift == lift).unwrap()
}

#[track_caller]
fn within(what: &str, p: f64, lo: f64, hi: f64) {
    assert!((lo..=hi).contains(&p), "{what}: {p} not in [{lo}, {hi}]");
}

#[test]
fn audit_value_and_cost_of_a_hand_case() {
    // M = $40,000/month, fee $500: +1% loses $100, +2% earns $300.
    assert_eq!(monthly_value(0.01, 40_000.0, 500.0), -100.0);
    assert_eq!(monthly_value(0.02, 40_000.0, 500.0), 300.0);
    assert_eq!(decision_cost(-100.0, true), 100.0);
    assert_eq!(decision_cost(300.0, false), 300.0);
    assert_eq!(decision_cost(300.0, true), 0.0);
    assert_eq!(decision_cost(0.0, true), 0.0);
}

#[test]
fn audit_is_the_same_whatever_the_threads_and_adds_up() {
    let config =
        AuditConfig { lifts: vec![0.0, 0.02], fee_usd_per_month: Some(10.0), replicates: 20, ..Default::default() };
    let on = |threads| {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| run("0.5m", &config))
    };
    let (one, two) = (on(1), on(2));
    assert_eq!(one, two);
    assert_eq!(audit_csv(&one).unwrap(), audit_csv(&two).unwrap());
    // M from the pilot's 30-day margin per session; V(L) = L·M − F; the
    // cost is P(wrong)·|V|.
    let p = StoreProfile::preset("0.5m").unwrap();
    let (m_session, m) = baseline_margin(&p, config.seed).unwrap();
    assert_eq!(one.baseline_margin_per_month_usd, m);
    assert!((m - m_session * p.sessions_per_day() * DAYS_PER_MONTH).abs() < 1e-9 * m);
    assert!((0.4..1.0).contains(&m_session), "margin per session {m_session}");
    assert_eq!(one.value_per_month_usd, vec![-10.0, 0.02 * m - 10.0]);
    assert_eq!(one.rows.len(), 2 * Rule::ALL.len());
    for r in &one.rows {
        let v = monthly_value(r.true_lift, m, 10.0);
        assert_eq!(r.value_per_month_usd, v);
        assert_eq!(r.right_decision, if v > 0.0 { "keep" } else { "remove" });
        let wrong = if v > 0.0 { 1.0 - r.p_keep } else { r.p_keep };
        assert!((r.p_wrong - wrong).abs() < 1e-12, "{r:?}");
        assert!((r.expected_cost_per_month_usd - r.p_wrong * v.abs()).abs() < 1e-9 * v.abs().max(1.0), "{r:?}");
    }
    // $0.5M cannot test a 3% lift: liftlab decides on cost, exactly.
    let rec = row(&one, Rule::LiftlabRecommended, 0.0);
    assert_eq!(one.recommended.case, "decide_on_cost");
    assert!(rec.description.starts_with("decide on cost"), "{}", rec.description);
    assert_eq!((rec.replicates, rec.p_keep, rec.p_keep_se), (0, 1.0, 0.0));
    let csv = audit_csv(&one).unwrap();
    assert_eq!(csv.lines().next().unwrap(), AUDIT_COLUMNS.join(","));
    assert_eq!(csv.lines().count(), 1 + one.rows.len());
}

#[test]
fn audit_recommended_runs_the_sequential_test_when_the_store_can() {
    // A 50% target is testable at $1.5M within a year: the recommended rule
    // simulates its group-sequential test.
    let config = AuditConfig { lifts: vec![0.0, 0.5], replicates: 20, target_lift: 0.5, ..Default::default() };
    let a = run("1.5m", &config);
    assert_eq!(a.recommended.case, "sequential_test", "{:?}", a.recommended);
    assert!(a.recommended.description.starts_with("group-sequential test"));
    assert_eq!(a.recommended.look_days.len(), a.recommended.bounds.len());
    let (null, big) = (row(&a, Rule::LiftlabRecommended, 0.0), row(&a, Rule::LiftlabRecommended, 0.5));
    assert_eq!(null.replicates, 20);
    assert!(null.p_keep <= 0.15, "{null:?}");
    assert!(big.p_keep >= 0.7, "{big:?}");
    let last = *a.recommended.look_days.last().unwrap() as f64;
    assert!(big.median_decision_day.unwrap() <= last);
}

#[test]
fn audit_field_rules_err_as_often_as_the_field_says() {
    // $1.5M, no effect, 120 tests per rule. Expected (issue figures): weekly
    // peeking rejects ~21% over 12 looks; the off switch keeps ~40%; the
    // before/after AOV rule keeps half the time.
    let r: f64 = 120.0;
    let a = run("1.5m", &AuditConfig { lifts: vec![0.0], replicates: r as usize, ..Default::default() });
    let peek = row(&a, Rule::WeeklyPeeking, 0.0);
    let fpr = peek.any_look_rejection_rate.unwrap();
    assert!(fpr > 0.10, "peeking's false-positive rate {fpr}");
    assert!(peek.p_keep <= fpr);
    let off = row(&a, Rule::OffSwitch2wk, 0.0);
    within("off switch P(wrong)", off.p_wrong, 0.25, 0.55);
    within("off switch SD of the two-week change", off.sd_estimated_change.unwrap(), 0.06, 0.12);
    let aov = row(&a, Rule::PrePostAov, 0.0);
    let se = (0.25 / r).sqrt();
    within("before/after P(keep)", aov.p_keep, 0.5 - 4.0 * se, 0.5 + 4.0 * se);
    let two = row(&a, Rule::TwoWindows8pct, 0.0);
    within("two windows P(keep)", two.p_keep, 0.02, 0.30);
}

#[test]
#[ignore = "heavy: ~1 minute in release; the issue's figures at $1.5M"]
fn audit_reproduces_the_issues_figures() {
    let config = AuditConfig { lifts: vec![0.0, 0.015, 0.08], replicates: 600, ..Default::default() };
    let a = run("1.5m", &config);
    print!("{}", liftlab::report::audit::audit_table(&a));
    let se = |p: f64| (p * (1.0 - p) / 600.0).sqrt();
    let near = |what: &str, p: f64, target: f64| within(what, p, target - 4.0 * se(target), target + 4.0 * se(target));
    near("peeking FPR", row(&a, Rule::WeeklyPeeking, 0.0).any_look_rejection_rate.unwrap(), 0.22);
    near("two windows, no effect", row(&a, Rule::TwoWindows8pct, 0.0).p_keep, 0.12);
    near("two windows, true 8%", row(&a, Rule::TwoWindows8pct, 0.08).p_keep, 0.27);
    near("off switch, no effect", row(&a, Rule::OffSwitch2wk, 0.0).p_wrong, 0.40);
    near("off switch, true 1.5%", row(&a, Rule::OffSwitch2wk, 0.015).p_wrong, 0.52);
    within("off switch SD", row(&a, Rule::OffSwitch2wk, 0.0).sd_estimated_change.unwrap(), 0.075, 0.095);
    near("before/after", row(&a, Rule::PrePostAov, 0.015).p_keep, 0.5);
}

#[test]
fn audit_cli_names_the_bad_flag() {
    fails_with(&["audit", "--fee", "-5"], &["--fee", "-5"]);
    fails_with(&["audit", "--lift", "0,-1"], &["--lift", "-1"]);
    fails_with(&["audit", "--lift", "-2.5"], &["--lift"]);
    fails_with(&["audit", "--replicates", "5"], &["--replicates", "5", "20 to 100000"]);
    fails_with(&["audit", "--replicates", "1000000"], &["--replicates"]);
    fails_with(&["audit", "--plot", "/tmp/never-written", "--plot-replicates", "3"], &["--plot-replicates"]);
    fails_with(&["audit", "--store", "2m"], &["--store", "0.5m, 1.5m"]);
}

#[test]
fn audit_cli_writes_csv_and_json() {
    let out = liftlab()
        .args(["audit", "--store", "0.5m", "--lift", "0.02", "--replicates", "20", "--fee", "100", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, AUDIT_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let rules: Vec<&str> = rows.iter().map(|r| &r[4]).collect();
    assert_eq!(rules, Rule::ALL.map(Rule::id));
    assert!(rows.iter().all(|r| &r[2] == "100" && &r[5] == "0.02"));
}

#[test]
fn audit_plot_draws_png_and_svg() {
    let config = AuditConfig { lifts: vec![0.0, 0.02], replicates: 20, ..Default::default() };
    let a = run("0.5m", &config);
    let dir = tempfile::tempdir().unwrap();
    let written = liftlab::report::audit_plot::audit_plot(&[a.clone(), a], dir.path()).unwrap();
    assert_eq!(written.len(), 2);
    for p in written {
        assert!(std::fs::metadata(&p).unwrap().len() > 1_000, "{}", p.display());
    }
    assert!(dir.path().join("audit_wrong_decisions.png").exists());
}
