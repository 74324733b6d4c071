//! The hostile-input harness: several hundred bad and edge inputs across
//! every subcommand, tried as a hostile user would (garbage, NaN, infinities,
//! huge and negative values for every numeric flag; malformed CSV, gzip,
//! Parquet, summary, profile and grid files; seeded mutations of real rows),
//! each run in its own process with a time limit.
//!
//! Every run is classified:
//! - **panic**: exit code 101, a "panicked" message, or death by a signal
//!   (an abort on a failed allocation is SIGABRT);
//! - **hang**: still running at the time limit (killed);
//! - **silent-wrong**: exit 0 on an input that is certainly wrong (a
//!   "bad" case), a non-finite number (`NaN`, `inf`) in an exit-0 output, or
//!   a non-zero exit without an `error:` line;
//! - **clean**: everything else — a non-zero exit with an `error:` message,
//!   or exit 0 with finite output on an input that may be legal ("edge").
//!
//! The test prints the counts and fails on any panic, hang or silent-wrong
//! output, listing each with its command line.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::util::{liftlab, shared_dataset};

/// Time limit of one run. Every case asks for little work (a few days of a
/// small store, 20 replicates), so only a run that ignores its bounds gets
/// near it, even in a debug build on a loaded 2-core machine.
const LIMIT: Duration = Duration::from_secs(60);

/// Whether an input is certainly wrong (it must be refused) or may be legal.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Must exit non-zero with a message.
    Bad,
    /// May succeed; if it does, its output must be finite.
    Edge,
}

/// One run: arguments (with `{dir}` standing for the case's own temporary
/// directory) and the files to write there first.
#[derive(Debug, Clone)]
struct Case {
    kind: Kind,
    args: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
    /// What was changed, for the failure list.
    note: String,
}

impl Case {
    fn new(kind: Kind, args: &[&str]) -> Self {
        Case { kind, args: args.iter().map(|s| s.to_string()).collect(), files: Vec::new(), note: String::new() }
    }

    fn with_args(mut self, args: Vec<String>) -> Self {
        self.args = args;
        self
    }

    fn file(mut self, name: &str, content: impl Into<Vec<u8>>) -> Self {
        self.files.push((name.to_string(), content.into()));
        self
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Verdict {
    Clean,
    Panic,
    SilentWrong,
    Hang,
}

/// A small valid unit-level CSV: two arms, a skewed metric with zeros, a
/// ratio denominator, a covariate and a segment.
fn units_csv() -> String {
    let mut s = String::from("arm,y,sessions,pre,seg\n");
    for i in 0..400u32 {
        let y = if i % 3 == 0 { ((i * 37) % 101) as f64 * 1.7 } else { 0.0 };
        s += &format!("{},{y},{},{},s{}\n", ["A", "B"][(i % 2) as usize], 1 + i % 5, (i * 13) % 50, i % 3);
    }
    s
}

/// The sums of `units_csv()` per arm, as `analyze --summary` reads them.
fn summary_csv() -> String {
    let mut sums = [[0.0f64; 4]; 2];
    for line in units_csv().lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let a = usize::from(c[0] == "B");
        let y: f64 = c[1].parse().unwrap();
        sums[a][0] += 1.0;
        sums[a][1] += y;
        sums[a][2] += y * y;
        sums[a][3] += y * y * y;
    }
    let mut s = String::from("arm,metric,n,sum_y,sum_y2,sum_y3\n");
    for (a, label) in ["A", "B"].iter().enumerate() {
        s += &format!("{label},y,{},{},{},{}\n", sums[a][0], sums[a][1], sums[a][2], sums[a][3]);
    }
    s
}

/// Values no numeric flag may take.
const GARBAGE: &[&str] = &["abc", "NaN", "inf", "-inf", "", "1e999", "0x10"];

/// Flags whose value is a name or text (no garbage is certainly wrong).
const TEXT_FLAGS: &[&str] = &[
    "--method",
    "--bootstrap-ci",
    "--lift-ci",
    "--format",
    "--level",
    "--dialect",
    "--table",
    "--metric",
    "--start",
    "--arms",
    "--shares",
    "--expected-split",
];

/// Each command with valid arguments that ask for little work, and its
/// numeric flags with values that are wrong for that flag (on top of
/// [`GARBAGE`]) and values that are extreme but perhaps legal.
#[allow(clippy::type_complexity)]
fn flag_table() -> Vec<(Vec<&'static str>, Vec<(&'static str, &'static [&'static str], &'static [&'static str])>)> {
    let analyze = vec!["analyze", "{dir}/u.csv", "--variant-col", "arm", "--control", "A", "--metric", "y"];
    vec![
        (
            analyze.clone(),
            vec![
                ("--alpha", &["0", "1", "-0.1", "2"][..], &["1e-300", "0.999999"][..]),
                ("--bootstrap", &["-1", "1e9", "1000000000", "18446744073709551616"], &["1"]),
                ("--permutations", &["-1", "1000000000000"], &["1"]),
                ("--seed", &["-1", "18446744073709551616"], &["0", "18446744073709551615"]),
                ("--threads", &["-1", "1000000", "1e3"], &["0", "64"]),
                ("--look-every", &["-1", "0", "1e9"], &["1"]),
                ("--cs-n-star", &["-1", "0"], &["1", "1e12"]),
                ("--expected-split", &["A=0.5", "A=2,B=-1", "A=0,B=0", "C=0.5,D=0.5", "A=nan,B=0.5"], &["A=0.1,B=0.9"]),
                ("--method", &["bogus", "1"], &["welch", "permutation"]),
                ("--bootstrap-ci", &["bogus"], &[]),
                ("--lift-ci", &["bogus"], &[]),
                ("--format", &["xml", "1"], &["csv", "json"]),
            ],
        ),
        (
            vec!["plan", "--daily-units", "1000", "--baseline-mean", "10", "--baseline-sd", "20"],
            vec![
                ("--holdout", &["0", "1", "-0.5", "1.5"][..], &["1e-9", "0.999999"][..]),
                ("--alpha", &["0", "1", "-1", "7"], &["1e-12"]),
                ("--power", &["0", "1", "-1", "1.5"], &["0.999999", "0.01"]),
                ("--days", &["-1", "0", "1e12"], &["1", "3650"]),
                ("--target-lift", &["-2"], &["1e-9", "100", "-0.5", "0"]),
                ("--daily-units", &["-1", "0"], &["1", "1e12", "1e308"]),
                ("--baseline-mean", &["-1"], &["0", "1e-300", "1e308"]),
                ("--baseline-sd", &["-1", "0"], &["1e-300", "1e308"]),
                ("--looks", &["-1", "0", "1e9"], &["1", "20"]),
                ("--format", &["xml"], &["csv", "json"]),
            ],
        ),
        (
            vec!["plan", "--store", "0.5m", "--annual-revenue", "500000", "--days", "14"],
            vec![
                ("--annual-revenue", &["-1", "0"][..], &["1", "1e308", "1e15"][..]),
                ("--aov", &["-1", "0"], &["1e308", "0.01"]),
                ("--aov-cv", &["-1"], &["0", "1e308"]),
                ("--conversion-rate", &["-1", "0", "1.5"], &["1", "1e-12"]),
                ("--seed", &["-1"], &["0"]),
            ],
        ),
        (
            vec!["simulate", "--store", "0.5m", "--days", "3"],
            vec![
                ("--annual-revenue", &["-1", "0", "1e308"][..], &["1000", "1e8"][..]),
                ("--days", &["-1", "0", "4294967295", "1e9"], &["1", "365"]),
                ("--holdout", &["0", "1", "-1", "1.5"], &["0.001", "0.999"]),
                ("--lift", &["-1.5"], &["0", "-0.5", "10", "1e308"]),
                ("--aov-lift", &["-1.5"], &["0", "-0.5", "10"]),
                ("--cannibalization", &["-1", "1.5"], &["0", "1"]),
                ("--platform-fee", &["-1"], &["0", "1e308"]),
                (
                    "--arms",
                    &["control=0.5", "control=0.5,bogus=0.5", "control=-1,rules=2", "=0.5,rules=0.5"],
                    &["control=0.1,rules=0.45,model=0.45"],
                ),
                ("--seed", &["-1"], &["18446744073709551615"]),
                ("--salt", &["-1"], &["0"]),
                ("--level", &["bogus"], &["session", "unit"]),
                ("--format", &["xml"], &["json", "csv"]),
            ],
        ),
        (
            vec!["power", "--store", "0.5m", "--days", "7", "--replicates", "20"],
            vec![
                ("--annual-revenue", &["-1", "0", "1e308"][..], &["20000"][..]),
                ("--days", &["-1", "0", "4294967295"], &["1", "2"]),
                ("--holdout", &["0", "1", "2"], &["0.01"]),
                ("--lift", &["-2"], &["0", "5"]),
                ("--replicates", &["-1", "0", "1", "1000000000", "1e9"], &["20"]),
                ("--alpha", &["0", "1", "-1"], &["0.5"]),
                ("--permutations", &["-1", "1000000000000"], &["10"]),
                ("--method", &["bogus"], &["permutation", "welch"]),
                ("--looks", &["-1", "0", "1e9"], &["2"]),
                ("--power", &["0", "1.5"], &["0.5"]),
                ("--mde-tolerance", &["-1", "0"], &["0.5"]),
                ("--format", &["xml"], &["csv", "json"]),
            ],
        ),
        (
            vec!["frontier", "--revenues", "500000,1000000", "--days", "14", "--checks", "0"],
            vec![
                ("--revenues", &["-1", "0,1", "a,b", ",", "1e308"][..], &["1000", "500000,500000"][..]),
                ("--days", &["0", "-1", "4294967295", "7,x"], &["1", "1,2,3"]),
                ("--holdout", &["0", "1", "0.5,2"], &["0.01,0.99"]),
                ("--alpha", &["0", "1"], &["0.5"]),
                ("--power", &["0", "1"], &["0.99"]),
                ("--target-lift", &["-5"], &["0", "0.5"]),
                ("--checks", &["-1", "1000000000"], &["0"]),
                ("--check-revenues", &["-1", "1e308", "x"], &["500000"]),
                ("--format", &["xml"], &["csv", "json"]),
            ],
        ),
        (
            vec!["audit", "--store", "0.5m", "--replicates", "20", "--lift", "0.05"],
            vec![
                ("--annual-revenue", &["-1", "0", "1e308"][..], &["20000"][..]),
                ("--lift", &["x", "-2", "0.05,y"], &["0", "5"]),
                ("--fee", &["-1"], &["0", "1e12"]),
                ("--replicates", &["-1", "0", "1000000000"], &["10"]),
                ("--plot-replicates", &["-1", "1000000000"], &["0"]),
                ("--format", &["xml"], &["csv", "json"]),
            ],
        ),
        (
            vec![
                "compare",
                "--annual-revenue",
                "500000",
                "--replicates",
                "20",
                "--sweep-replicates",
                "20",
                "--revenues",
                "500000,1000000",
            ],
            vec![
                ("--aov", &["-1", "0", "1e308"][..], &["5", "5000"][..]),
                ("--conversion-rate", &["-1", "0", "2"], &["0.5"]),
                ("--gross-margin", &["-1", "2"], &["0", "0.99"]),
                ("--skus", &["-1", "0"], &["1", "1e9"]),
                ("--fee", &["-1"], &["0", "1e9"]),
                ("--rules-fee", &["-1"], &["0"]),
                ("--rpv-gap", &["-1"], &["0", "1"]),
                ("--half-saturation-orders", &["-1", "0"], &["1", "1e12"]),
                ("--learning-steepness", &["-1", "0"], &["100"]),
                ("--days", &["0", "-1", "4294967295"], &["1"]),
                (
                    "--shares",
                    &["control=0.5", "control=2,rules=-1,model=0", "x"],
                    &["control=0.5,rules=0.25,model=0.25"],
                ),
                ("--fees", &["-1", "x", ","], &["0"]),
                ("--revenues", &["-1", "x", "1e308"], &["1000,2000"]),
                ("--replicates", &["-1", "0", "1000000000"], &["20"]),
                ("--sweep-replicates", &["-1", "0", "1000000000"], &["20"]),
                ("--alpha", &["0", "1"], &["0.5"]),
                ("--power", &["0", "1"], &["0.5"]),
                ("--format", &["xml"], &["csv", "json"]),
            ],
        ),
        (
            vec!["sql", "--table", "t", "--variant-col", "arm", "--metric", "y", "--dialect", "duckdb"],
            vec![
                ("--cap", &["0", "1", "-1", "2"][..], &["0.5"][..]),
                ("--dialect", &["oracle", ""], &["postgres", "bigquery", "snowflake"]),
                ("--start", &["yesterday", "2024-13-45"], &["2024-01-01"]),
                // --table is written into the query as given (documented), so
                // `read_csv('x.csv')` works: odd text is the user's SQL.
                ("--table", &[""], &["s.t", "t; DROP TABLE x", "a\"b"]),
                ("--metric", &["", "a/b/c", "/"], &["y/sessions", "y;--", "a\"b"]),
            ],
        ),
    ]
}

/// A number of string mutations of `text`, seeded: a deleted, replaced or
/// inserted cell, a cut line, a duplicated or blank line, a stray quote,
/// NaN and infinities, huge numbers, non-UTF-8 bytes, a BOM, CRLF.
fn mutations(text: &str, count: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut state = seed;
    let mut next = move |n: usize| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n.max(1)
    };
    let replacements = ["", "NaN", "inf", "-inf", "1e308", "-1e308", "abc", "\"", "1,2", "0x1F", "   ", "-0", "1e-320"];
    let lines: Vec<&str> = text.lines().collect();
    (0..count)
        .map(|k| {
            let mut rows: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let r = 1 + next(rows.len() - 1);
            let mut cells: Vec<String> = rows[r].split(',').map(str::to_string).collect();
            let c = next(cells.len());
            let mut bytes: Option<Vec<u8>> = None;
            match k % 10 {
                0 => cells[c] = replacements[next(replacements.len())].to_string(),
                1 => {
                    cells.remove(c);
                }
                2 => cells.insert(c, "7".into()),
                3 => {
                    let cut = next(rows[r].len());
                    cells = vec![rows[r][..cut].to_string()];
                }
                4 => rows.insert(r, rows[r].clone()),
                5 => rows.insert(r, String::new()),
                6 => {
                    let mut head: Vec<String> = rows[0].split(',').map(str::to_string).collect();
                    let h = next(head.len());
                    head[h] = if k % 20 == 6 { head[(h + 1) % head.len()].clone() } else { String::new() };
                    rows[0] = head.join(",");
                }
                7 => {
                    let mut b = text.as_bytes().to_vec();
                    let at = next(b.len());
                    b.splice(at..at, [0xFFu8, 0xFE, 0x00]);
                    bytes = Some(b);
                }
                8 => {
                    let mut b = b"\xEF\xBB\xBF".to_vec();
                    b.extend(text.replace('\n', "\r\n").as_bytes());
                    bytes = Some(b);
                }
                _ => {
                    rows.truncate(1 + next(3));
                }
            }
            if let Some(b) = bytes {
                return b;
            }
            if k % 10 < 4 {
                rows[r] = cells.join(",");
            }
            (rows.join("\n") + "\n").into_bytes()
        })
        .collect()
}

/// Every case of the campaign.
fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let units = units_csv();
    // 1. Every numeric flag of every command: garbage, wrong and extreme values.
    for (base, flags) in flag_table() {
        for (flag, wrong, extreme) in flags {
            let garbage: &[&str] = if TEXT_FLAGS.contains(&flag) { &[] } else { GARBAGE };
            for (kind, values) in [(Kind::Bad, garbage), (Kind::Bad, wrong), (Kind::Edge, extreme)] {
                for value in values {
                    let mut args: Vec<String> = base.iter().map(|a| a.to_string()).collect();
                    // A flag given twice would be a clap error, not the value's: replace it.
                    if let Some(i) = args.iter().position(|a| a == flag) {
                        args.remove(i);
                        if args.get(i).is_some_and(|v| !v.starts_with("--")) {
                            args.remove(i);
                        }
                    }
                    args.push(format!("{flag}={value}"));
                    out.push(Case::new(kind, &[]).with_args(args).file("u.csv", units.as_bytes()));
                }
            }
        }
    }
    // 2. Malformed unit-level files for analyze.
    let analyze = |file: &str| -> Vec<String> {
        ["analyze", &format!("{{dir}}/{file}"), "--variant-col", "arm", "--control", "A", "--metric", "y"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let bad_units: &[(&str, &[u8])] = &[
        ("empty.csv", b""),
        ("header_only.csv", b"arm,y\n"),
        ("no_y.csv", b"arm,z\nA,1\nB,2\n"),
        ("one_arm.csv", b"arm,y\nA,1\nA,2\nA,3\n"),
        ("no_control.csv", b"arm,y\nB,1\nC,2\nB,3\nC,4\n"),
        ("nan.csv", b"arm,y\nA,1\nA,NaN\nB,2\nB,3\n"),
        ("inf.csv", b"arm,y\nA,1\nA,inf\nB,2\nB,3\n"),
        ("ragged.csv", b"arm,y\nA,1,9\nB,2\n"),
        ("text.csv", b"arm,y\nA,one\nB,two\n"),
        ("quote.csv", b"arm,y\nA,\"1\nB,2\n"),
        ("binary.csv", b"\x00\x01\x02\xff\xfe\n\x00"),
        ("single_each.csv", b"arm,y\nA,1\nB,2\n"),
        ("empty_label.csv", b"arm,y\n,1\nA,2\nB,3\nA,4\nB,5\n"),
        ("huge.csv", b"arm,y\nA,1e308\nA,1e308\nB,1e308\nB,-1e308\n"),
        ("dup_y.csv", b"arm,y,y\nA,1,9\nA,2,9\nB,3,9\nB,4,9\n"),
        ("fake.parquet", b"arm,y\nA,1\nB,2\n"),
        ("fake.csv.gz", b"arm,y\nA,1\nB,2\n"),
    ];
    for (name, content) in bad_units {
        let args = analyze(name);
        out.push(Case::new(Kind::Bad, &[]).with_args(args).file(name, *content));
    }
    let edge_units: &[(&str, &[u8])] = &[
        ("constant.csv", b"arm,y\nA,1\nA,1\nB,1\nB,1\n"),
        ("zeros.csv", b"arm,y\nA,0\nA,0\nB,0\nB,0\n"),
        ("control_zero.csv", b"arm,y\nA,0\nA,0\nA,0\nB,1\nB,2\n"),
        ("tiny.csv", b"arm,y\nA,1e-300\nA,2e-300\nB,3e-300\nB,1e-300\n"),
        ("crlf.csv", b"arm,y\r\nA,1\r\nA,2\r\nB,3\r\nB,5\r\n"),
        ("bom.csv", b"\xEF\xBB\xBFarm,y\nA,1\nA,2\nB,3\nB,5\n"),
        ("neg.csv", b"arm,y\nA,-1\nA,-2\nB,-3\nB,-5\n"),
        ("bool.csv", b"arm,y\nA,true\nA,false\nB,true\nB,true\n"),
        ("big1e15.csv", b"arm,y\nA,1000000000000001\nA,1000000000000002\nB,1000000000000003\nB,1000000000000005\n"),
    ];
    for (name, content) in edge_units {
        for extra in [&[][..], &["--method", "welch"][..], &["--bootstrap", "200"][..], &["--format", "json"][..]] {
            let mut args = analyze(name);
            args.extend(extra.iter().map(|s| s.to_string()));
            out.push(Case::new(Kind::Edge, &[]).with_args(args).file(name, *content));
        }
    }
    // Missing flags and columns named wrong.
    for args in [
        &["analyze", "{dir}/u.csv", "--variant-col", "nope", "--control", "A", "--metric", "y"][..],
        &["analyze", "{dir}/u.csv", "--variant-col", "arm", "--control", "Z", "--metric", "y"],
        &["analyze", "{dir}/u.csv", "--variant-col", "arm", "--control", "A", "--metric", "nope"],
        &["analyze", "{dir}/u.csv", "--variant-col", "arm", "--control", "A", "--metric", "y/nope"],
        &["analyze", "{dir}/u.csv", "--variant-col", "arm", "--control", "A", "--metric", "y", "--covariate", "nope"],
        &["analyze", "{dir}/u.csv", "--variant-col", "arm", "--control", "A", "--metric", "y", "--segment-col", "nope"],
        &["analyze", "{dir}/missing.csv", "--variant-col", "arm", "--control", "A", "--metric", "y"],
        &["analyze", "{dir}", "--variant-col", "arm", "--control", "A", "--metric", "y"],
        &["analyze", "-", "--variant-col", "arm", "--control", "A", "--metric", "y"],
        &["analyze", "{dir}/u.csv", "--variant-col", "arm", "--control", "A"],
        &["plan", "--from", "{dir}/u.csv", "--metric", "nope"],
        &["power", "--from", "{dir}/u.csv", "--metric", "nope"],
        &["simulate", "--store", "{dir}/missing.json"],
        &["simulate", "--store", "bogus"],
        &["simulate", "--store", "0.5m", "--days", "3", "--out", "{dir}/u.csv/sub/x.csv"],
        &["frontier", "--revenues", "500000", "--days", "14", "--checks", "0", "--plot", "{dir}/u.csv"],
        &["report", "--store", "0.5m", "--out", "{dir}/u.csv/r.html"],
        &["sweep", "merge", "{dir}"],
        &["sweep", "{dir}/missing.toml", "--out", "{dir}/o"],
        &["bogus"],
    ] {
        out.push(Case::new(Kind::Bad, args).file("u.csv", units.as_bytes()));
    }
    out.push(Case::new(Kind::Edge, &["plan"]));
    // Edge: analyze with every option on the valid file.
    for extra in [
        &["--metric", "y/sessions", "--covariate", "pre", "--segment-col", "seg"][..],
        &["--method", "permutation", "--permutations", "50"],
        &["--bootstrap", "100", "--poisson-bootstrap", "--format", "csv"],
        &["--expected-split", "A=0.5,B=0.5", "--format", "json"],
    ] {
        let mut args = analyze("u.csv");
        args.extend(extra.iter().map(|s| s.to_string()));
        out.push(Case::new(Kind::Edge, &[]).with_args(args).file("u.csv", units.as_bytes()));
    }
    // 3. Seeded mutations of real rows (Hillstrom's first 600, or the
    // synthetic file when ../shared is absent).
    let real = shared_dataset("hillstrom/hillstrom.csv")
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| t.lines().take(601).collect::<Vec<_>>().join("\n") + "\n");
    let (text, variant, control, metric) = match &real {
        Some(t) => (t.as_str(), "segment", "No E-Mail", "spend"),
        None => (units.as_str(), "arm", "A", "y"),
    };
    for (i, bytes) in mutations(text, 120, 12).into_iter().enumerate() {
        let args = ["analyze", "{dir}/m.csv", "--variant-col", variant, "--control", control, "--metric", metric];
        let mut case = Case::new(Kind::Edge, &args).file("m.csv", bytes);
        if i % 3 == 1 {
            case.args.extend(["--method".into(), "welch".into(), "--format".into(), "json".into()]);
        }
        out.push(case);
    }
    // 4. Summary files.
    let summary = summary_csv();
    for bytes in mutations(&summary, 40, 7) {
        out.push(
            Case::new(Kind::Edge, &["analyze", "--summary", "{dir}/s.csv", "--variant-col", "arm", "--control", "A"])
                .file("s.csv", bytes),
        );
    }
    for rows in [
        "arm,metric,n,sum_y,sum_y2,sum_y3\nA,y,10,5,1,1\nB,y,10,5,5,5\n",
        "arm,metric,n,sum_y,sum_y2,sum_y3\nA,y,1.5,5,5,5\nB,y,10,5,5,5\n",
        "arm,metric,n,sum_y,sum_y2,sum_y3\nA,y,10,5,5,5\nA,y,10,5,5,5\nB,y,10,5,5,5\n",
        "arm,metric,n,sum_y,sum_y2,sum_y3\nA,y,1e300,5,5,5\nB,y,10,5,5,5\n",
        "arm,metric,n,sum_y,sum_y2\nA,y,10,5,5\n",
        "arm,metric,n\nA,y,10\nB,y,10\n",
    ] {
        out.push(
            Case::new(Kind::Bad, &["analyze", "--summary", "{dir}/s.csv", "--variant-col", "arm", "--control", "A"])
                .file("s.csv", rows),
        );
    }
    // 5. Store profiles: every numeric field set to nonsense.
    let profile = profile_json();
    let fields = numeric_fields(&profile, "");
    for (path, _) in &fields {
        for (value, kind) in
            [("-1", signed_field(path)), ("5", rate_field(path)), ("\"x\"", Kind::Bad), ("null", Kind::Bad)]
        {
            let mutated = set_field(&profile, path, serde_json::from_str(value).unwrap());
            let mut case = Case::new(kind, &["simulate", "--store", "{dir}/p.json", "--days", "2"])
                .file("p.json", serde_json::to_vec_pretty(&mutated).unwrap());
            case.note = format!(" (profile field {path} = {value})");
            out.push(case);
        }
    }
    for (note, text) in [
        ("unknown_key", profile.replace("\"aov_usd\"", "\"aov_usd_typo\": 1.0, \"aov_usd\"")),
        ("truncated", profile[..profile.len() / 2].to_string()),
        ("empty", String::new()),
        ("array", "[1, 2, 3]".to_string()),
    ] {
        let mut case = Case::new(Kind::Bad, &["simulate", "--store", "{dir}/p.json", "--days", "2"])
            .file("p.json", text.as_bytes());
        case.note = format!(" (profile: {note})");
        out.push(case);
    }
    // 6. Sweep grids.
    let grid = "seed = 1\nreplicates = 10\nstores = [\"0.5m\"]\ndays = [7]\nholdouts = [0.5]\nlifts = [0.05]\nmethods = [\"welch\"]\n";
    out.push(Case::new(Kind::Edge, &["sweep", "{dir}/g.toml", "--out", "{dir}/o"]).file("g.toml", grid));
    for (from, to) in [
        ("replicates = 10", "replicates = -1"),
        ("replicates = 10", "replicates = 1000000000000"),
        ("days = [7]", "days = [0]"),
        ("days = [7]", "days = []"),
        ("days = [7]", "days = [4294967295]"),
        ("holdouts = [0.5]", "holdouts = [1.5]"),
        ("holdouts = [0.5]", "holdouts = [nan]"),
        ("lifts = [0.05]", "lifts = [inf]"),
        ("stores = [\"0.5m\"]", "stores = [\"bogus\"]"),
        ("stores = [\"0.5m\"]", "stores = [1e308]"),
        ("methods = [\"welch\"]", "methods = [\"bogus\"]"),
        ("seed = 1", "seed = \"x\""),
        ("seed = 1", "bogus_key = 1\nseed = 1"),
        ("seed = 1", "seed = 1\nseed = 2"),
        ("\n", "\n[[["),
    ] {
        let mut case = Case::new(Kind::Bad, &["sweep", "{dir}/g.toml", "--out", "{dir}/o"])
            .file("g.toml", grid.replacen(from, to, 1));
        case.note = format!(" (grid: {to})");
        out.push(case);
    }
    for shard in ["4/4", "-1/4", "0/0", "x", "1/2/3"] {
        out.push(
            Case::new(Kind::Bad, &["sweep", "{dir}/g.toml", "--out", "{dir}/o", &format!("--shard={shard}")])
                .file("g.toml", grid),
        );
    }
    out
}

/// The JSON profile of the `0.5m` preset, as `simulate --save-profile` writes it.
fn profile_json() -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.json");
    let status = liftlab()
        .args(["simulate", "--store", "0.5m", "--days", "1", "--save-profile"])
        .arg(&path)
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    std::fs::read_to_string(&path).unwrap()
}

/// Paths (`a.b.0.c`) of the numeric leaves of a JSON document.
fn numeric_fields(text: &str, _prefix: &str) -> Vec<(String, f64)> {
    fn walk(v: &serde_json::Value, path: String, out: &mut Vec<(String, f64)>) {
        match v {
            serde_json::Value::Number(n) => out.push((path, n.as_f64().unwrap_or(0.0))),
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    walk(v, if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, out);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(v, format!("{path}.{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&serde_json::from_str(text).unwrap(), String::new(), &mut out);
    out
}

/// The profile `text` with the field at `path` set to `value`.
fn set_field(text: &str, path: &str, value: serde_json::Value) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    let mut at = &mut v;
    for key in path.split('.') {
        at = match at {
            serde_json::Value::Array(a) => &mut a[key.parse::<usize>().unwrap()],
            other => &mut other[key],
        };
    }
    *at = value;
    v
}

/// Whether −1 is certainly wrong for a profile field (most are sizes,
/// prices, rates or weights; a trend or an effect may be negative).
fn signed_field(path: &str) -> Kind {
    let signed = ["trend", "lift", "effect", "seasonal_peak_day", "gap", "uplift", "shift", "delta"];
    if signed.iter().any(|s| path.contains(s)) { Kind::Edge } else { Kind::Bad }
}

/// Whether 5 is certainly wrong for a profile field (a rate or share).
fn rate_field(path: &str) -> Kind {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    if leaf.ends_with("_rate") || leaf.contains("share") || leaf == "cannibalization" { Kind::Bad } else { Kind::Edge }
}

/// Whether `text` holds a non-finite number as a word (`NaN`, `inf`,
/// `Infinity`) that is not a label taken from the input files (`inputs`):
/// a mutated file may name an arm `inf`.
fn has_non_finite(text: &str, inputs: &[(String, Vec<u8>)]) -> bool {
    let from_input = |w: &str| inputs.iter().any(|(_, c)| String::from_utf8_lossy(c).contains(w));
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| matches!(w, "NaN" | "nan" | "inf" | "Inf" | "Infinity" | "infinity") && !from_input(w))
}

/// Runs one case and classifies it.
fn run(case: &Case) -> (Verdict, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in &case.files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let d = dir.path().to_str().unwrap();
    let args: Vec<String> = case.args.iter().map(|a| a.replace("{dir}", d)).collect();
    let started = Instant::now();
    let output = liftlab().args(&args).env("NO_COLOR", "1").write_stdin(Vec::new()).timeout(LIMIT).output().unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let shown = format!("liftlab {}{}", args.join(" ").replace(d, "DIR"), case.note);
    let first_line =
        |s: &str| s.lines().find(|l| !l.trim().is_empty()).unwrap_or("").chars().take(200).collect::<String>();
    use std::os::unix::process::ExitStatusExt;
    let verdict = if elapsed >= LIMIT {
        Verdict::Hang
    } else if output.status.code() == Some(101) || stderr.contains("panicked") || output.status.signal().is_some() {
        Verdict::Panic
    } else if output.status.success() {
        let written: String = if has_non_finite(&stdout, &case.files) { stdout.to_string() } else { String::new() };
        if case.kind == Kind::Bad || !written.is_empty() { Verdict::SilentWrong } else { Verdict::Clean }
    } else if stderr.lines().any(|l| l.starts_with("error")) {
        Verdict::Clean
    } else {
        Verdict::SilentWrong
    };
    if let Ok(dump) = std::env::var("LIFTLAB_HOSTILE_DUMP") {
        // Every error message, for reviewing their wording (not a check).
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(dump).unwrap();
        let _ = writeln!(f, "{shown}\t{}", first_line(&stderr));
    }
    let detail = match verdict {
        Verdict::Clean => String::new(),
        Verdict::Hang => format!("{shown}: still running after {LIMIT:?}"),
        Verdict::Panic => format!("{shown}: {:?}: {}", output.status, first_line(&stderr)),
        Verdict::SilentWrong => {
            format!(
                "{shown}: exit {:?}: stdout {:?} stderr {:?}",
                output.status.code(),
                first_line(&stdout),
                first_line(&stderr)
            )
        }
    };
    (verdict, detail)
}

/// The campaign: at least 300 bad and edge inputs, no panic, hang or
/// silent-wrong output.
#[test]
fn hostile_inputs_never_panic_hang_or_pass_silently() {
    let cases = cases();
    assert!(cases.len() >= 300, "the campaign has only {} cases", cases.len());
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Verdict, String)>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let (v, detail) = run(case);
                    results.lock().unwrap().push((i, v, detail));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.0);
    let count = |v: Verdict| results.iter().filter(|r| r.1 == v).count();
    let bad = cases.iter().filter(|c| c.kind == Kind::Bad).count();
    eprintln!(
        "hostile inputs: tried {} ({bad} certainly wrong, {} edge), clean {}, panic {}, silent-wrong {}, hang {}",
        results.len(),
        results.len() - bad,
        count(Verdict::Clean),
        count(Verdict::Panic),
        count(Verdict::SilentWrong),
        count(Verdict::Hang)
    );
    let failures: Vec<&str> = results.iter().filter(|r| r.1 != Verdict::Clean).map(|r| r.2.as_str()).collect();
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(failures.is_empty(), "{} of {} hostile inputs failed (listed above)", failures.len(), results.len());
}
