//! Bounded work and degenerate replicates: the examples of
//! unbounded requests fail fast with the flag and the limit; a Monte Carlo
//! run with a few impossible analyses counts them instead of failing.

use serde_json::Value;

use crate::util::{csv_file, fails_with, json_of, liftlab};

/// Every example of the issue: a clear error naming the flag and the limit
/// (no abort on a failed allocation, no endless run).
#[test]
fn oversized_requests_are_refused_with_the_limit() {
    let units = csv_file("arm,y\nA,1\nA,2\nA,0\nB,3\nB,1\nB,0\n");
    let u = units.path().to_str().unwrap();
    let analyze = ["analyze", u, "--variant-col", "arm", "--control", "A", "--metric", "y"];
    for (extra, needles) in [
        (&["--bootstrap", "1000000000"][..], &["--bootstrap", "1,000,000"][..]),
        (&["--method", "permutation", "--permutations", "1000000000000"], &["--permutations", "1,000,000"]),
        (&["--threads", "1000000"], &["--threads", "1,024"]),
    ] {
        fails_with(&[&analyze[..], extra].concat(), needles);
    }
    for (args, needles) in [
        (&["simulate", "--days", "4294967295"][..], &["--days", "3650"][..]),
        (&["simulate", "--annual-revenue", "1e308"], &["--annual-revenue", "1e308", "1e12"]),
        (&["power", "--replicates", "1000000000"], &["--replicates", "100,000"]),
        (&["power", "--store", "100m", "--days", "3650", "--replicates", "100000"], &["simulated sessions", "1e11"]),
        (&["frontier", "--checks", "1000000000"], &["--checks", "100,000"]),
        (&["frontier", "--check-revenues", "1e308"], &["--check-revenues", "1e12"]),
        (&["audit", "--plot-replicates", "1000000000"], &["--plot-replicates"]),
        (&["compare", "--days", "4294967295"], &["--days", "3650"]),
        // A bisection narrower than f64 never stopped.
        (&["power", "--mde", "--mde-tolerance", "1e-300"], &["--mde-tolerance", "1e-300", "0.001"]),
        (
            &["power", "--method", "permutation", "--permutations", "1000000", "--replicates", "10000"],
            &["--permutations", "permuted units", "1e13"],
        ),
        (&["audit", "--replicates", "100000"], &["--replicates", "simulated sessions", "1e11"]),
        (&["audit", "--plot-replicates", "100000", "--plot", "unused-dir"], &["--plot-replicates", "1e11"]),
    ] {
        fails_with(args, needles);
    }
    // report: --days is checked before minutes of comparison, huge stores before any work.
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let html = html.to_str().unwrap();
    fails_with(&["report", "--out", html, "--days", "4294967295"], &["--days", "3650"]);
    fails_with(&["report", "--out", html, "--annual-revenue", "1e12"], &["--annual-revenue", "1e11"]);
    assert!(!std::path::Path::new(html).exists());
}

/// Sweep grids: the cross product is counted before it is built (a few
/// thousand values per list used to ask for billions of scenarios), and
/// scenarios x replicates is bounded.
#[test]
fn oversized_sweep_grids_are_refused_before_the_cross_product() {
    let list = |n: usize| (1..=n).map(|i| format!("{}", i as f64 / (n as f64 + 1.0))).collect::<Vec<_>>().join(",");
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("huge.toml");
    let days = (1..=3650).map(|d| d.to_string()).collect::<Vec<_>>().join(",");
    std::fs::write(
        &grid,
        format!("stores = [\"0.5m\"]\ndays = [{days}]\nholdouts = [{}]\nlifts = [{}]\n", list(999), list(999)),
    )
    .unwrap();
    let out = dir.path().join("out");
    let args = ["sweep", grid.to_str().unwrap(), "--out", out.to_str().unwrap()];
    fails_with(&args, &["3,642," /* 3650 x 999 x 999 */, "scenarios", "10,000"]);
    std::fs::write(
        &grid,
        "stores = [\"0.5m\"]\ndays = [1, 2, 3, 4, 5]\nlifts = [0.0, 0.01, 0.02]\nreplicates = 100000\n",
    )
    .unwrap();
    fails_with(&args, &["replicates", "1,000,000", "use at most 66666"]);
    assert!(!out.exists());
}

/// `power --days 1` at a $500k store: some replicates have no control
/// buyer. They are counted (`degenerate`), the rates are over the others,
/// and a warning says so; the run succeeds with finite numbers.
#[test]
fn degenerate_replicates_are_counted_not_fatal() {
    let out = liftlab()
        .args(["power", "--store", "0.5m", "--days", "1", "--replicates", "200", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("degenerate"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let metrics = v["metrics"].as_array().unwrap();
    let mut some = false;
    for m in metrics {
        let degenerate = m["degenerate"].as_u64().unwrap() as f64;
        some |= degenerate > 0.0;
        let valid = 200.0 - degenerate;
        for key in ["power", "aa_false_positive_rate", "coverage"] {
            let rate = m[key].as_f64().unwrap_or_else(|| panic!("{key} is not finite: {m}"));
            // A share of the valid replicates: a whole number of them.
            assert!((rate * valid - (rate * valid).round()).abs() < 1e-6, "{key} = {rate} over {valid} valid");
        }
    }
    assert!(some, "expected degenerate replicates at 1 day and $500k");
    // Whole-job failure only when every replicate of every metric is degenerate.
    fails_with(&["power", "--annual-revenue", "2000", "--days", "1", "--replicates", "20"], &["degenerate"]);
    let csv =
        json_of(liftlab().args(["power", "--store", "0.5m", "--days", "30", "--replicates", "20", "--format", "json"]));
    assert_eq!(csv["metrics"][0]["degenerate"], 0);
}

/// `power --from FILE`: re-randomizations that leave an arm without two
/// units are counted as degenerate, not fatal; only an all-degenerate run
/// fails.
#[test]
fn degenerate_re_randomizations_are_counted_not_fatal() {
    let mut rows = String::from("y\n");
    for i in 0..2000 {
        rows += &format!("{}\n", i % 7);
    }
    let units = csv_file(&rows);
    let u = units.path().to_str().unwrap();
    // About 2 control units of 2,000: some replicates have fewer than 2.
    let common = ["power", "--from", u, "--metric", "y", "--method", "welch", "--replicates", "100"];
    let out = liftlab().args(common).args(["--holdout", "0.001", "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("degenerate"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v["metrics"][0];
    let degenerate = m["degenerate"].as_u64().unwrap();
    assert!(degenerate > 0 && degenerate < 100, "{m}");
    let fpr = m["aa_false_positive_rate"].as_f64().expect("a finite rate");
    let valid = (100 - degenerate) as f64;
    assert!((fpr * valid - (fpr * valid).round()).abs() < 1e-6, "{fpr} over {valid} valid");
    fails_with(&[&common[..], &["--holdout", "0.0000001"]].concat(), &["cannot re-randomize", "control"]);
}

/// `power --mde --format csv` carries the MDE (it was left out): the
/// searched metric's row has the MDE columns filled, the others empty.
#[test]
fn power_mde_csv_carries_the_mde() {
    let out = liftlab()
        .args(["power", "--store", "0.5m", "--days", "14", "--replicates", "20", "--mde", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let lift = header.iter().position(|h| h == "mde_lift").expect("mde_lift column");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let filled: Vec<&csv::StringRecord> = rows.iter().filter(|r| !r[lift].is_empty()).collect();
    assert_eq!(filled.len(), 1, "{text}");
    assert!(filled[0][0].starts_with("margin per session"));
    assert!(filled[0][lift].parse::<f64>().unwrap() > 0.0);
}
