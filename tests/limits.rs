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
    ] {
        fails_with(args, needles);
    }
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
