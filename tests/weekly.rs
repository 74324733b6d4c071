//! Weekly reads (`analyze --date-col`): the confidence sequence against a
//! hand computation, the naive read against plain `analyze`, event-level
//! aggregation against unit-level data, A/A calibration of naive peeking and
//! of the confidence sequence, and CLI errors.
//!
//! The heavy calibration runs are `#[ignore]`d:
//! `cargo test --release --test tests weekly -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::path::Path;

use liftlab::assign::Arm;
use liftlab::io::{DateFormat, DatedTable, UnitTable};
use liftlab::sim::{Level, SimConfig, simulate};
use liftlab::store::StoreProfile;
use liftlab::weekly::{WeeklyConfig, weekly_reads};
use ndarray::Array1;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde_json::Value;

use crate::util::{assert_close, assert_within, csv_file, f, fails_with_code, fixture, json_of, liftlab};

/// numpy transcription of GrowthBook's `sequential_rho`.
fn hand_rho(n_star: f64, alpha: f64) -> f64 {
    ((-2.0 * alpha.ln() + (-2.0 * alpha.ln() + 1.0).ln()) / n_star).sqrt()
}

/// numpy transcription of GrowthBook's `sequential_interval_halfwidth`
/// with `s2 = se²·n`.
fn hand_half_width(se: f64, n: f64, alpha: f64, rho: f64) -> f64 {
    let s2 = se * se * n;
    s2.sqrt() * (2.0 * (n * rho * rho + 1.0) / (n * n * rho * rho) * ((n * rho * rho + 1.0).sqrt() / alpha).ln()).sqrt()
}

/// A unit-level file: `n` units over 84 days, two arms, an exponential
/// metric `y`, a count `k` and a positive denominator `d`; treatment adds
/// `lift` to `y`.
fn synthetic_units(n: usize, seed: u64, lift: f64) -> String {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut s = String::from("id,arm,day,y,k,d\n");
    for i in 0..n {
        let treated = rng.random::<f64>() < 0.5;
        let day = rng.random_range(0..84u32);
        let y = -(1.0 - rng.random::<f64>()).ln() + if treated { lift } else { 0.0 };
        let d = 1 + rng.random_range(0..4u32);
        let k = rng.random_range(0..=d);
        let arm = if treated { "treatment" } else { "control" };
        s.push_str(&format!("{i},{arm},{day},{y},{k},{d}\n"));
    }
    s
}

fn weekly_json(file: &Path, extra: &[&str]) -> Value {
    json_of(
        liftlab()
            .arg("analyze")
            .arg(file)
            .args(["--variant-col", "arm", "--control", "control", "--format", "json"])
            .args(extra),
    )
}

fn rows_of<'a>(a: &'a Value, metric: &str) -> Vec<&'a Value> {
    a["rows"].as_array().unwrap().iter().filter(|r| r["metric"] == metric).collect()
}

#[test]
fn weekly_cs_matches_a_hand_computation() {
    // The transcription reproduces the numpy reference values ...
    for case in fixture("sequential_reference.json")["confidence_sequence"].as_array().unwrap() {
        let rho = hand_rho(f(case, "n_star"), f(case, "alpha"));
        assert_within("hand rho", rho, f(case, "rho"), 1e-12 * (1.0 + rho));
        let w = hand_half_width(f(case, "se"), f(case, "n"), f(case, "alpha"), f(case, "rho"));
        assert_within("hand half-width", w, f(case, "half_width"), 1e-12 * (1.0 + w));
    }
    // ... and every look of a weekly read is effect ± that half-width.
    let file = csv_file(&synthetic_units(3000, 7, 0.08));
    let a = weekly_json(file.path(), &["--metric", "y", "--date-col", "day", "--cs-n-star", "5000"]);
    let rows = rows_of(&a, "y");
    assert_eq!(rows.len(), 12);
    let alpha = 0.05;
    let rho = hand_rho(5000.0, alpha);
    assert_close("summary rho", f(&a["summary"][0], "cs_rho"), rho);
    let mut running = 1.0_f64;
    for r in &rows {
        let n = f(r, "n_control") + f(r, "n_treatment");
        let w = hand_half_width(f(r, "effect_size_se"), n, alpha, rho);
        assert_close("CS lower", f(r, "seq_effect_size_ci_lower"), f(r, "effect_size") - w);
        assert_close("CS upper", f(r, "seq_effect_size_ci_upper"), f(r, "effect_size") + w);
        assert_close(
            "relative CS lower",
            f(r, "seq_rel_effect_size_ci_lower"),
            (f(r, "effect_size") - w) / f(r, "mean_control"),
        );
        // The look's p-value: bisection on ln(alpha) for the alpha whose CS touches 0.
        let (effect, se) = (f(r, "effect_size").abs(), f(r, "effect_size_se"));
        let (mut lo, mut hi) = (-700.0_f64, 0.0_f64);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if hand_half_width(se, n, mid.exp(), rho) < effect { hi = mid } else { lo = mid }
        }
        running = running.min(hi.exp());
        assert_close("sequential p", f(r, "seq_pvalue"), running);
        assert_eq!(r["seq_significant"].as_bool(), Some(running < alpha));
    }
    // With a true lift of 0.08 (8% of the mean) and 3,000 units the naive read
    // is significant at the end; the summary's first looks match the rows.
    let s = &a["summary"][0];
    let first_naive = rows.iter().find(|r| r["significant"] == true).map(|r| r["look"].clone());
    assert_eq!(s["naive_first_look"], first_naive.unwrap_or(Value::Null));
    let first_seq = rows.iter().find(|r| r["seq_significant"] == true).map(|r| r["look"].clone());
    assert_eq!(s["seq_first_look"], first_seq.unwrap_or(Value::Null));
}

#[test]
fn weekly_naive_read_equals_plain_analyze_on_the_same_rows() {
    let text = synthetic_units(2500, 11, 0.05);
    let file = csv_file(&text);
    let metrics = ["--metric", "y", "--metric", "k/d"];
    let mut args = metrics.to_vec();
    args.extend(["--date-col", "day"]);
    let a = weekly_json(file.path(), &args);
    let looks = a["look_dates"].as_array().unwrap().len();
    // The final look, and look 5 (day 34, the rows with day <= 34).
    for (look, last_day) in [(looks, 83), (5, 34)] {
        let kept: String = text
            .lines()
            .enumerate()
            .filter(|(i, l)| *i == 0 || l.split(',').nth(2).unwrap().parse::<u32>().unwrap() <= last_day)
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        let subset = csv_file(&kept);
        let mut plain_args = metrics.to_vec();
        plain_args.extend(["--method", "welch"]);
        let plain = weekly_json(subset.path(), &plain_args);
        for (i, metric) in ["y", "k/d"].iter().enumerate() {
            let row = rows_of(&a, metric).into_iter().find(|r| r["look"] == look).unwrap();
            let p = &plain["results"][i];
            assert_eq!(p["metric"], *metric);
            for (ours, theirs) in [
                ("n_control", "n_control"),
                ("n_treatment", "n_treatment"),
                ("effect_size", "effect_size"),
                ("effect_size_se", "effect_size_se"),
                ("effect_size_ci_lower", "effect_size_ci_lower"),
                ("effect_size_ci_upper", "effect_size_ci_upper"),
                ("pvalue", "pvalue"),
                ("rel_effect_size", "rel_effect_size"),
                ("rel_effect_size_ci_lower", "rel_effect_size_ci_lower"),
                ("rel_effect_size_ci_upper", "rel_effect_size_ci_upper"),
            ] {
                assert_close(&format!("{metric} look {look} {ours}"), f(row, ours), f(p, theirs));
            }
        }
    }
}

/// Sums a session file per visitor: (arm, first day, revenue, orders).
fn per_visitor(path: &Path) -> BTreeMap<u64, (String, u32, f64, f64)> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id, day, arm, revenue, order) = (col("visitor_id"), col("day"), col("arm"), col("revenue"), col("order"));
    let mut units: BTreeMap<u64, (String, u32, f64, f64)> = BTreeMap::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let d: u32 = rec[day].parse().unwrap();
        let e = units.entry(rec[id].parse().unwrap()).or_insert((rec[arm].to_string(), d, 0.0, 0.0));
        e.1 = e.1.min(d);
        e.2 += rec[revenue].parse::<f64>().unwrap();
        e.3 += rec[order].parse::<f64>().unwrap();
    }
    units
}

#[test]
fn weekly_unit_col_aggregation_equals_unit_level_data() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions.csv");
    liftlab()
        .args(["simulate", "--store", "0.5m", "--days", "28", "--holdout", "0.3", "--seed", "5", "--level", "session"])
        .arg("--out")
        .arg(&sessions)
        .assert()
        .success();
    let mut unit_text = String::from("visitor_id,arm,first_day,revenue,order\n");
    for (id, (arm, first, revenue, orders)) in per_visitor(&sessions) {
        unit_text.push_str(&format!("{id},{arm},{first},{revenue},{orders}\n"));
    }
    let units = dir.path().join("units.csv");
    std::fs::write(&units, unit_text).unwrap();
    let metrics = ["--metric", "revenue", "--metric", "revenue/order"];
    let mut ev_args = metrics.to_vec();
    ev_args.extend(["--date-col", "day", "--unit-col", "visitor_id"]);
    let events = weekly_json(&sessions, &ev_args);
    let mut unit_args = metrics.to_vec();
    unit_args.extend(["--date-col", "first_day"]);
    let unit = weekly_json(&units, &unit_args);
    assert_eq!(events["look_dates"], unit["look_dates"]);
    assert_eq!(events["n_units"], unit["n_units"]);
    for metric in ["revenue", "revenue/order"] {
        let (ev, un) = (rows_of(&events, metric), rows_of(&unit, metric));
        assert_eq!(ev.len(), un.len(), "{metric}");
        // A unit enters at its first event: the same units at every look.
        for (e, u) in ev.iter().zip(&un) {
            assert_eq!((&e["n_control"], &e["n_treatment"]), (&u["n_control"], &u["n_treatment"]), "{metric}");
        }
        // At the final look every unit's events are in: the same read. (Not
        // the sequential p-value: a running minimum over looks, whose reads
        // differ — a unit row enters with its final totals.)
        let (e, u) = (ev.last().unwrap(), un.last().unwrap());
        for key in [
            "mean_control",
            "mean_treatment",
            "effect_size",
            "effect_size_se",
            "effect_size_ci_lower",
            "effect_size_ci_upper",
            "pvalue",
            "seq_effect_size_ci_lower",
            "seq_effect_size_ci_upper",
        ] {
            assert_close(&format!("{metric} final {key}"), f(e, key), f(u, key));
        }
    }
}

/// False-positive rates of one A/A design over `reps` replicates: naive
/// peeking (significant at any look) and the confidence sequence.
struct FalsePositives {
    naive: f64,
    sequential: f64,
    final_look: f64,
    reps: usize,
}

impl FalsePositives {
    fn se(&self, p: f64) -> f64 {
        (p * (1.0 - p) / self.reps as f64).sqrt()
    }

    fn report(&self, what: &str) {
        eprintln!(
            "{what}: {} A/A replicates, 12 weekly looks, alpha 0.05: naive peeking {:.4} (MC SE {:.4}), \
             final look alone {:.4} (MC SE {:.4}), confidence sequence {:.4} (MC SE {:.4})",
            self.reps,
            self.naive,
            self.se(self.naive),
            self.final_look,
            self.se(self.final_look),
            self.sequential,
            self.se(self.sequential)
        );
    }

    /// Naive peeking clearly above alpha; the sequence at most alpha + 3 MC SE.
    fn check(&self, alpha: f64) {
        let se = self.se(alpha);
        assert!(self.naive > alpha + 6.0 * se, "naive peeking {} should be far above {alpha}", self.naive);
        assert!(self.sequential <= alpha + 3.0 * se, "confidence sequence {} above {alpha} + 3 SE", self.sequential);
        assert!(
            (self.final_look - alpha).abs() <= 4.0 * se,
            "one look alone {} should be near {alpha}",
            self.final_look
        );
    }
}

fn dated(arm_of_row: Vec<u32>, day_of_row: Vec<i64>, y: Vec<f64>, units: Option<Vec<u32>>) -> DatedTable {
    let n_units = units.as_ref().map_or(y.len(), |u| u.iter().max().map_or(0, |&m| m as usize + 1));
    DatedTable {
        table: UnitTable {
            path: "aa.csv".into(),
            arms: vec!["control".into(), "treatment".into()],
            arm_of_row,
            metric_names: vec!["y".into()],
            metrics: vec![Array1::from(y)],
            denominators: vec![None],
            covariate: None,
            segments: None,
        },
        day_of_row,
        date_format: DateFormat::DayNumber,
        unit_of_row: units,
        n_units,
        date_column: "day".into(),
        unit_column: None,
    }
}

/// Counts (naive ever, sequential ever, final look) rejections of one read.
fn rejections(data: &DatedTable) -> [u32; 3] {
    let a = weekly_reads(data, &WeeklyConfig::new("control", "arm")).unwrap();
    assert_eq!(a.rows.len(), 12, "{:?}", a.warnings);
    let s = &a.summary[0];
    [s.naive_first_look.is_some() as u32, s.seq_first_look.is_some() as u32, a.rows[11].significant as u32]
}

fn rates(counts: Vec<[u32; 3]>) -> FalsePositives {
    let reps = counts.len();
    let rate = |k: usize| counts.iter().map(|c| c[k] as f64).sum::<f64>() / reps as f64;
    FalsePositives { naive: rate(0), sequential: rate(1), final_look: rate(2), reps }
}

/// A/A on synthetic unit-level data: `n` units entering uniformly over 84
/// days, an exponential metric (skewness 2), a 50/50 split.
fn synthetic_aa(reps: u64, n: usize) -> FalsePositives {
    rates(
        (0..reps)
            .into_par_iter()
            .map(|r| {
                let mut rng = liftlab::rng::stream(2026, liftlab::rng::domain::REPLICATE, r);
                let arms = (0..n).map(|_| (rng.random::<f64>() < 0.5) as u32).collect();
                let days = (0..n).map(|_| rng.random_range(0..84i64)).collect();
                let y = (0..n).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
                rejections(&dated(arms, days, y, None))
            })
            .collect(),
    )
}

#[test]
fn weekly_aa_calibration_synthetic() {
    let fp = synthetic_aa(5000, 2000);
    fp.report("synthetic");
    fp.check(0.05);
}

#[test]
#[ignore = "heavy: 20,000 synthetic A/A replicates"]
fn weekly_aa_calibration_synthetic_heavy() {
    let fp = synthetic_aa(20_000, 4000);
    fp.report("synthetic (heavy)");
    fp.check(0.05);
}

/// A/A on the store simulator's sessions (all treatment effects 0), read
/// per visitor with `metric` summed over sessions.
fn simulated_aa(reps: u64, annual_revenue: f64, metric: fn(&liftlab::sim::store::SessionRow) -> f64) -> FalsePositives {
    let mut profile = StoreProfile::with_annual_revenue(annual_revenue);
    profile.treatment.conversion_lift = 0.0;
    profile.treatment.aov_lift = 0.0;
    profile.treatment.margin_mix_lift = 0.0;
    profile.treatment.ctr_lift = 0.0;
    rates(
        (0..reps)
            .into_par_iter()
            .map(|r| {
                let cfg = SimConfig { days: 84, holdout: 0.5, seed: 5000 + r, salt: r, ..SimConfig::default() };
                let (mut arms, mut days, mut y, mut units) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                let mut ids = std::collections::HashMap::new();
                simulate(&profile, &cfg, Level::Session, &|_, _| {}, |o| {
                    for s in &o.sessions {
                        arms.push((s.arm == Arm::Treatment) as u32);
                        days.push(i64::from(s.day));
                        y.push(metric(s));
                        let next = ids.len() as u32;
                        units.push(*ids.entry(s.visitor_id).or_insert(next));
                    }
                    Ok(())
                })
                .unwrap();
                rejections(&dated(arms, days, y, Some(units)))
            })
            .collect(),
    )
}

#[test]
#[ignore = "heavy: 400 simulated stores of 84 days, session level"]
fn weekly_aa_calibration_simulated_sessions() {
    let orders = simulated_aa(400, 500_000.0, |s| f64::from(u8::from(s.order)));
    orders.report("simulated sessions, orders per visitor");
    orders.check(0.05);
    let revenue = simulated_aa(400, 500_000.0, |s| s.revenue);
    revenue.report("simulated sessions, revenue per visitor");
    revenue.check(0.05);
}

#[test]
fn weekly_cli_errors_are_clear() {
    let good = csv_file(
        "arm,day,u,y\ncontrol,2024-01-01,a,1\ncontrol,2024-01-02,b,2\ntreatment,2024-01-01,c,3\ntreatment,2024-01-03,d,5\n",
    );
    let p = good.path().to_str().unwrap();
    let base = ["analyze", p, "--variant-col", "arm", "--control", "control", "--metric", "y"];
    let with = |extra: &[&'static str]| -> Vec<&str> { base.iter().copied().chain(extra.iter().copied()).collect() };
    fails_with_code(
        &with(&["--date-col", "date"]),
        1,
        &["error: --date-col date", "no column named \"date\"", "arm, day, u, y"],
    );
    fails_with_code(
        &with(&["--date-col", "day", "--unit-col", "user"]),
        1,
        &["--unit-col user", "no column named \"user\""],
    );
    fails_with_code(&with(&["--date-col", "day", "--look-every", "0"]), 1, &["--look-every", "at least 1"]);
    fails_with_code(&with(&["--date-col", "day", "--cs-n-star", "-5"]), 1, &["--cs-n-star"]);
    fails_with_code(
        &with(&["--date-col", "day", "--covariate", "y"]),
        1,
        &["--covariate is not available with --date-col"],
    );
    fails_with_code(&with(&["--unit-col", "u"]), 2, &["--date-col"]);
    let mut holdout = with(&["--date-col", "day"]);
    holdout[5] = "holdout";
    fails_with_code(&holdout, 1, &["control arm \"holdout\" is not in column \"arm\""]);

    let bad_date = csv_file("arm,day,y\ncontrol,2024-01-01,1\ntreatment,2024-02-30,2\n");
    let args = ["analyze", bad_date.path().to_str().unwrap(), "--variant-col", "arm", "--control", "control"];
    let mut a = args.to_vec();
    a.extend(["--metric", "y", "--date-col", "day"]);
    fails_with_code(&a, 1, &["line 3", "column \"day\"", "not a valid calendar date", "2024-02-30"]);
    let words = csv_file("arm,day,y\ncontrol,3,1\ntreatment,next week,2\n");
    a[1] = words.path().to_str().unwrap();
    fails_with_code(&a, 1, &["line 3", "\"day\"", "YYYY-MM-DD", "next week"]);

    // One treatment unit: no look ever has two units in both arms.
    let thin = csv_file("arm,day,y\ncontrol,1,1\ncontrol,2,2\ncontrol,9,4\ntreatment,3,3\n");
    a[1] = thin.path().to_str().unwrap();
    fails_with_code(&a, 1, &["arm \"treatment\" has 1 unit"]);

    // A unit whose events are in two arms.
    let two_arms = csv_file("arm,day,u,y\ncontrol,1,a,1\ntreatment,1,b,2\ntreatment,2,a,3\n");
    a[1] = two_arms.path().to_str().unwrap();
    a.extend(["--unit-col", "u"]);
    fails_with_code(&a, 1, &["line 4", "unit \"a\"", "arm \"control\""]);
}

#[test]
fn weekly_early_look_with_an_empty_arm_is_skipped_with_a_warning() {
    // Treatment starts on day 8: the first look (day 7) has no treatment unit.
    let mut text = String::from("arm,day,y\n");
    for i in 0..40 {
        let arm = if i % 2 == 0 { "control" } else { "treatment" };
        let day = if arm == "treatment" { 7 + i % 14 } else { i % 21 };
        text.push_str(&format!("{arm},{day},{}\n", (i * 7 % 11) as f64));
    }
    let file = csv_file(&text);
    let out = liftlab()
        .arg("analyze")
        .arg(file.path())
        .args(["--variant-col", "arm", "--control", "control", "--metric", "y", "--date-col", "day", "--format", "csv"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("warning: ") && stderr.contains("look 1 (day 6, 7 days) skipped"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1 + 2, "{stdout}");
    assert!(stdout.starts_with("metric,control,treatment,look,look_date,days_elapsed,"), "{stdout}");
    // The table says the same, after the looks.
    let table = liftlab()
        .arg("analyze")
        .arg(file.path())
        .args(["--variant-col", "arm", "--control", "control", "--metric", "y", "--date-col", "day"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("naive weekly peeking:") && text.contains("always-valid:"), "{text}");
    assert!(text.contains("1 look(s) skipped"), "{text}");
    assert!(String::from_utf8_lossy(&table.stderr).contains("look 1 (day 6, 7 days) skipped"));
}
