//! `analyze --summary` against `analyze` of the unit rows, `liftlab sql`, and
//! (ignored, `.ci/run`) the SQL run in DuckDB and PostgreSQL.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::util::{ABS_TOL, REL_TOL, csv_file, fails_with, json_of, liftlab, repo, shared_dataset};

/// Every number of `a` within `REL_TOL` (relative, `ABS_TOL` absolute
/// floor) of `b`'s, every other value equal; `file` is skipped.
#[track_caller]
pub fn assert_json_close(what: &str, a: &Value, b: &Value) {
    fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    if path.is_empty() && k == "file" {
                        continue;
                    }
                    match (x.get(k), y.get(k)) {
                        (Some(p), Some(q)) => walk(&format!("{path}.{k}"), p, q, out),
                        _ => out.push(format!("{path}.{k}: present on one side only")),
                    }
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    walk(&format!("{path}[{i}]"), p, q, out);
                }
            }
            (Value::Number(p), Value::Number(q)) => {
                let (p, q) = (p.as_f64().unwrap(), q.as_f64().unwrap());
                if (p - q).abs() > REL_TOL * q.abs() + ABS_TOL {
                    out.push(format!("{path}: {p:e} vs {q:e} (rel {:e})", (p - q).abs() / q.abs()));
                }
            }
            _ if a == b => {}
            _ => out.push(format!("{path}: {a} vs {b}")),
        }
    }
    let mut out = Vec::new();
    walk("", a, b, &mut out);
    assert!(out.is_empty(), "{what}: {} difference(s):\n{}", out.len(), out.join("\n"));
}

/// The summary of a unit-level CSV, computed here (not by liftlab) with
/// the contract's columns: `metrics` are columns or NUM/DEN.
pub fn summary_of(
    path: &Path,
    variant: &str,
    metrics: &[&str],
    covariate: Option<&str>,
    segment: Option<&str>,
) -> String {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    let num = |row: &csv::StringRecord, c: usize| -> f64 { row[c].trim().parse().unwrap() };
    let mut out = format!("{variant},metric,{}n", segment.map(|s| format!("{s},")).unwrap_or_default());
    out += ",sum_y,sum_y2,sum_y3,sum_d,sum_d2,sum_yd,sum_d3,sum_y2d,sum_yd2,sum_x,sum_x2,sum_xy,sum_dx\n";
    for m in metrics {
        let (ny, nd) = match m.split_once('/') {
            Some((a, b)) => (col(a), Some(col(b))),
            None => (col(m), None),
        };
        let mut groups: BTreeMap<(String, String), [f64; 14]> = BTreeMap::new();
        for row in &rows {
            let key = (row[col(variant)].to_string(), segment.map(|s| row[col(s)].to_string()).unwrap_or_default());
            let (y, d, x) =
                (num(row, ny), nd.map_or(0.0, |c| num(row, c)), covariate.map_or(0.0, |c| num(row, col(c))));
            let g = groups.entry(key).or_insert([0.0; 14]);
            let terms =
                [1.0, y, y * y, y * y * y, d, d * d, y * d, d * d * d, y * y * d, y * d * d, x, x * x, x * y, d * x];
            for (a, t) in g.iter_mut().zip(terms) {
                *a += t;
            }
        }
        for ((arm, seg), g) in groups {
            let cell = |i: usize, on: bool| if on { format!("{:?}", g[i]) } else { String::new() };
            let ratio = nd.is_some();
            let cov = covariate.is_some();
            let seg = if segment.is_some() { format!("{seg},") } else { String::new() };
            let cells: Vec<String> = (1..14)
                .map(|i| {
                    cell(
                        i,
                        i <= 3
                            || (4..=9).contains(&i) && ratio
                            || (10..=12).contains(&i) && cov
                            || i == 13 && cov && ratio,
                    )
                })
                .collect();
            out += &format!("{arm},{m},{seg}{},{}\n", g[0], cells.join(","));
        }
    }
    out
}

fn analyze_json(args: &[&str]) -> Value {
    let mut v = json_of(liftlab().arg("analyze").args(args).args(["--format", "json"]));
    // Provenance: the command line differs between the two runs, by design.
    v["command"] = Value::Null;
    v
}

/// Hillstrom: `analyze --summary` of sums computed here equals `analyze` of
/// the rows, for plain and ratio metrics, CUPED, segments, and the default
/// test choice where the skewness rule holds (visit) or fails (spend).
#[test]
fn hillstrom_summary_equals_unit_analysis() {
    let Some(h) = shared_dataset("hillstrom/hillstrom.csv") else { return };
    let common = ["--variant-col", "segment", "--control", "No E-Mail"];
    for (metrics, cov, seg, method) in [
        (&["spend", "visit", "spend/visit"][..], Some("history"), None, "welch"),
        (&["spend", "spend/visit"][..], Some("history"), Some("channel"), "welch"),
        (&["visit"][..], None, Some("zip_code"), "auto"),
    ] {
        let summary = csv_file(&summary_of(&h, "segment", metrics, cov, seg));
        let mut flags: Vec<&str> = common.to_vec();
        for m in metrics {
            flags.extend(["--metric", m]);
        }
        if let Some(c) = cov {
            flags.extend(["--covariate", c]);
        }
        if let Some(s) = seg {
            flags.extend(["--segment-col", s]);
        }
        flags.extend(["--method", method]);
        let units = analyze_json(&[&[h.to_str().unwrap()][..], &flags].concat());
        let sums = analyze_json(&[&["--summary", summary.path().to_str().unwrap()][..], &flags].concat());
        assert_json_close(&format!("{metrics:?} {cov:?} {seg:?} {method}"), &sums, &units);
    }
}

/// Two arms, a ratio metric with CUPED (the ratio-CUPED cross-products),
/// negative values and segments: summary = units. Two arms carry no
/// Dunnett p-value on either side.
#[test]
fn two_arm_ratio_cuped_summary_equals_unit_analysis() {
    let mut rows = String::from("arm,seg,rev,sessions,pre\n");
    for i in 0..400u32 {
        let arm = if i % 3 == 0 { "control" } else { "treatment" };
        let sessions = 1 + (i * 7) % 5;
        let rev = if i % 4 == 0 { ((i * 37) % 101) as f64 * 1.25 - 10.0 } else { 0.0 };
        let pre = ((i * 13) % 17) as f64 + rev * 0.3;
        rows += &format!("{arm},{},{rev},{sessions},{pre}\n", ["a", "b"][(i % 2) as usize]);
    }
    let units = csv_file(&rows);
    let summary = csv_file(&summary_of(units.path(), "arm", &["rev/sessions", "rev"], Some("pre"), Some("seg")));
    let flags = ["--variant-col", "arm", "--control", "control", "--metric", "rev/sessions", "--metric", "rev"];
    let flags = [&flags[..], &["--covariate", "pre", "--segment-col", "seg", "--method", "welch"]].concat();
    let a = analyze_json(&[&[units.path().to_str().unwrap()][..], &flags].concat());
    let b = analyze_json(&[&["--summary", summary.path().to_str().unwrap()][..], &flags].concat());
    assert_json_close("two arms, ratio CUPED", &b, &a);
    assert!(b["results"][0]["cuped"]["theta"].is_number() && b["results"][0].get("pvalue_dunnett").is_none());
}

/// The CSV summary `text` as Parquet, typed as a warehouse export would be:
/// labels dictionary-encoded strings, `n` Int64, sums Float64 with a null
/// where the CSV cell is empty.
fn summary_to_parquet(text: &str, path: &Path) {
    use arrow_array::{ArrayRef, DictionaryArray, Float64Array, Int64Array, RecordBatch, types::Int32Type};
    use std::sync::Arc;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let columns: Vec<(&str, ArrayRef)> = header
        .iter()
        .enumerate()
        .map(|(j, &name)| {
            let cells = rows.iter().map(|r| r[j]);
            let a: ArrayRef = if name == "n" {
                Arc::new(Int64Array::from(cells.map(|c| c.parse::<i64>().unwrap()).collect::<Vec<_>>()))
            } else if name.starts_with("sum_") {
                Arc::new(Float64Array::from(cells.map(|c| c.parse::<f64>().ok()).collect::<Vec<_>>()))
            } else {
                Arc::new(cells.collect::<DictionaryArray<Int32Type>>())
            };
            (name, a)
        })
        .collect();
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// A Parquet summary (typed columns, nulls for the cells that do not apply)
/// gives the same analysis as the CSV summary; its bad values name the row.
#[test]
fn parquet_summary_equals_csv_summary() {
    let mut rows = String::from("arm,seg,rev,sessions,pre\n");
    for i in 0..300u32 {
        let arm = ["control", "treatment", "other"][(i % 3) as usize];
        let rev = if i % 4 == 0 { ((i * 37) % 101) as f64 * 1.5 } else { 0.0 };
        rows += &format!("{arm},{},{rev},{},{}\n", ["a", "b"][(i % 2) as usize], 1 + (i * 7) % 5, (i * 13) % 17);
    }
    let units = csv_file(&rows);
    let text = summary_of(units.path(), "arm", &["rev/sessions", "rev"], Some("pre"), Some("seg"));
    let csv = csv_file(&text);
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("summary.parquet");
    summary_to_parquet(&text, &pq);
    let flags = ["--variant-col", "arm", "--control", "control", "--metric", "rev/sessions", "--metric", "rev"];
    let flags = [&flags[..], &["--covariate", "pre", "--segment-col", "seg", "--method", "welch"]].concat();
    let from_csv = analyze_json(&[&["--summary", csv.path().to_str().unwrap()][..], &flags].concat());
    let mut from_pq = analyze_json(&[&["--summary", pq.to_str().unwrap()][..], &flags].concat());
    assert_eq!(from_pq["file"].as_str().unwrap(), pq.to_str().unwrap());
    from_pq["file"] = from_csv["file"].clone();
    assert_eq!(from_pq, from_csv, "Parquet and CSV summaries must give the same JSON");

    let bad = dir.path().join("bad.parquet");
    summary_to_parquet("arm,metric,n,sum_y,sum_y2,sum_y3\nA,y,10,5,5,5\nB,y,-4,5,5,5\n", &bad);
    let p = bad.to_str().unwrap();
    fails_with(
        &["analyze", "--summary", p, "--variant-col", "arm", "--control", "A"],
        &[p, "row 2", "\"n\"", "whole number"],
    );
    fails_with(
        &["analyze", "--summary", p, "--variant-col", "arms", "--control", "A"],
        &[p, "no column named \"arms\""],
    );
}

/// Where the rule asks for the permutation test, a summary gets Welch, a
/// reason that says why, and a warning on stderr; resampling is refused.
#[test]
fn summary_says_welch_decides_without_unit_rows() {
    let Some(h) = shared_dataset("hillstrom/hillstrom.csv") else { return };
    let summary = csv_file(&summary_of(&h, "segment", &["spend"], None, None));
    let s = summary.path().to_str().unwrap();
    let args = ["analyze", "--summary", s, "--variant-col", "segment", "--control", "No E-Mail", "--metric", "spend"];
    let out = liftlab().args(args).args(["--format", "json"]).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WELCH DECIDES ANYWAY"), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"][0]["test"]["method"], "welch");
    assert_eq!(v["results"][0]["test"]["reason"]["kind"], "skew_rule_failed_summary");
    let table = liftlab().args(args).output().unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).contains("Welch is NOT reliable here"));
    for (flag, needle) in [
        (&["--bootstrap", "100"][..], "--bootstrap is not available with --summary"),
        (&["--method", "permutation"][..], "--method permutation is not available with --summary"),
        (&["--date-col", "day"][..], "--date-col is not available with --summary"),
    ] {
        fails_with(&[&args[..], flag].concat(), &[needle, "unit rows"]);
    }
}

/// Bad summaries: a clear error naming file, line and column; no panic.
#[test]
fn bad_summaries_name_line_and_column() {
    let head = "arm,metric,n,sum_y,sum_y2,sum_y3\n";
    for (rows, needles) in [
        ("A,y,10,5,1,1\nB,y,10,5,5,5\n", &["line 2", "\"sum_y2\"", "inconsistent sums"][..]),
        ("A,y,10,5,5,5\nB,y,-4,5,5,5\n", &["line 3", "\"n\"", "whole number"][..]),
        ("A,y,10,5,5,5\nB,y,1,1,1,1\n", &["line 3", "at least 2"][..]),
        ("A,y,10,5,5,5\nB,y,10,NaN,5,5\n", &["line 3", "\"sum_y\"", "not a finite number"][..]),
        ("A,y,10,5,5,5\n", &["at least 2 arms"][..]),
    ] {
        let f = csv_file(&format!("{head}{rows}"));
        let p = f.path().to_str().unwrap();
        let mut needles = needles.to_vec();
        needles.push(p);
        fails_with(&["analyze", "--summary", p, "--variant-col", "arm", "--control", "A"], &needles);
    }
    let f = csv_file("arm,metric,n,sum_y,sum_y2\nA,y,10,5,5\nB,y,10,5,5\n");
    let p = f.path().to_str().unwrap();
    fails_with(
        &["analyze", "--summary", p, "--variant-col", "arm", "--control", "A", "--method", "welch"],
        &["sum_y3"],
    );
    let f = csv_file("arm,metric,n,sum_y\nA,y,10,5\n");
    let p = f.path().to_str().unwrap();
    fails_with(&["analyze", "--summary", p, "--variant-col", "arm", "--control", "A"], &["no column named \"sum_y2\""]);
    let f = csv_file(&format!("{head}A,y,10,5,5,5\nB,y,10,5,5,5\n"));
    let p = f.path().to_str().unwrap();
    fails_with(
        &["analyze", "--summary", p, "--variant-col", "arm", "--control", "A", "--covariate", "x"],
        &["no column named \"sum_x\""],
    );
}

/// `liftlab sql` prints a query per dialect and rejects bad flags.
#[test]
fn sql_prints_the_summary_query() {
    for dialect in ["duckdb", "postgres", "bigquery", "snowflake"] {
        let out = liftlab()
            .args(["sql", "--table", "events", "--unit-col", "visitor_id", "--variant-col", "arm"])
            .args(["--metric", "revenue", "--metric", "margin/sessions", "--covariate", "pre_revenue"])
            .args(["--segment-col", "cohort", "--cap", "0.99", "--dialect", dialect])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let sql = String::from_utf8_lossy(&out.stdout);
        assert!(sql.contains("sum_yd2") && sql.contains("LEAST("), "{sql}");
    }
    fails_with(
        &["sql", "--table", "t", "--variant-col", "arm", "--metric", "y", "--dialect", "oracle"],
        &["--dialect"],
    );
    fails_with(&["sql", "--table", "t", "--variant-col", "arm", "--metric", "y", "--cap", "99"], &["--cap"]);
}

/// DuckDB and PostgreSQL run `liftlab sql` on Hillstrom and on simulated
/// data (`tests/sql_engines.sh` installs and starts them); `analyze
/// --summary` of each engine's output equals `analyze` of the rows. Run by
/// `.ci/run`: `cargo test --test tests sql_engines -- --ignored`.
#[test]
#[ignore = "installs DuckDB (pip) and PostgreSQL (apt) and runs them: .ci/run"]
fn sql_engines() {
    let Some(h) = shared_dataset("hillstrom/hillstrom.csv") else { return };
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("liftlab");
    let status = std::process::Command::new("bash")
        .arg(repo().join("tests/sql_engines.sh"))
        .arg(dir.path())
        .arg(&h)
        .env("LIFTLAB", &bin)
        .status()
        .unwrap();
    assert!(status.success(), "tests/sql_engines.sh failed");
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 8, "{cases:?}");
    for case in cases {
        let args = |k: &str| -> Vec<String> {
            case[k].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
        };
        let (a, b) = (args("a"), args("b"));
        let a = analyze_json(&a.iter().map(String::as_str).collect::<Vec<_>>());
        let b = analyze_json(&b.iter().map(String::as_str).collect::<Vec<_>>());
        let name = case["name"].as_str().unwrap();
        assert_json_close(name, &b, &a);
        eprintln!("equal (<= 1e-9 relative on every number of the JSON): {name}");
    }
}
