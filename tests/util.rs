//! Shared helpers and the tolerances every comparison uses.

use std::io::Write;
use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

/// Relative tolerance for closed-form statistics against scipy/statsmodels
/// (far tighter than the 6 significant digits promised).
pub const REL_TOL: f64 = 1e-9;
/// Absolute floor for values near zero.
pub const ABS_TOL: f64 = 1e-12;

/// Monte Carlo standard errors allowed between a resampled p-value and its
/// reference. liftlab's draws are seeded, so a comparison passes or fails
/// deterministically; 4 SEs (two-sided normal tail 6e-5) keeps a correct
/// implementation from failing by bad luck of the seed, while a wrong null
/// distribution is typically off by far more.
pub const MC_SES: f64 = 4.0;

/// Tolerance for a one-sided permutation p-value `p` estimated by liftlab with
/// `b` random re-randomizations, against a reference that is exact
/// (`reference_b = None`) or itself estimated from `reference_b` random draws.
///
/// Each estimate is `(1 + X)/(B + 1)` with `X ~ Binomial(B, p)`: its SE is
/// `√(p(1 − p)/B)` and its bias `(1 − p)/(B + 1) ≤ 1/(B + 1)`. The two
/// estimates are independent, so the variances add; the biases are added in
/// full.
pub fn pvalue_mc_tolerance(p: f64, b: usize, reference_b: Option<usize>) -> f64 {
    let inv = |b: usize| 1.0 / b as f64;
    let var = p * (1.0 - p) * (inv(b) + reference_b.map_or(0.0, inv));
    MC_SES * var.sqrt() + 1.0 / (b as f64 + 1.0) + reference_b.map_or(0.0, |r| 1.0 / (r as f64 + 1.0))
}

/// `|actual − expected| ≤ tol`, with a message naming the quantity.
#[track_caller]
pub fn assert_within(what: &str, actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: liftlab {actual:e} vs reference {expected:e} (diff {:e}, tolerance {tol:e})",
        (actual - expected).abs()
    );
}

/// `|a − b| ≤ REL_TOL·|b| + ABS_TOL`, with a message naming the quantity.
#[track_caller]
pub fn assert_close(what: &str, actual: f64, expected: f64) {
    assert_close_tol(what, actual, expected, REL_TOL);
}

/// As [`assert_close`] with an explicit relative tolerance.
#[track_caller]
pub fn assert_close_tol(what: &str, actual: f64, expected: f64, rel: f64) {
    let tol = rel * expected.abs() + ABS_TOL;
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: liftlab {actual:e} vs reference {expected:e} (diff {:e}, tolerance {tol:e})",
        (actual - expected).abs()
    );
}

/// Repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A JSON fixture under `tests/data/`.
pub fn fixture(name: &str) -> Value {
    let path = repo().join("tests/data").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// `v[key]` as f64, panicking with the key's name if absent.
#[track_caller]
pub fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("fixture field {key:?} missing or not a number in {v}"))
}

/// `v[key]` as a vector of f64.
#[track_caller]
pub fn fvec(v: &Value, key: &str) -> Vec<f64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("fixture field {key:?} missing"))
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// The shared real datasets beside the checkout, if present.
pub fn shared_dataset(rel: &str) -> Option<PathBuf> {
    let path = repo().join("../shared/datasets").join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: {} not found; tests on the real dataset need ../shared beside the checkout",
            path.display()
        );
        None
    }
}

/// The `liftlab` binary under test.
pub fn liftlab() -> Command {
    Command::cargo_bin("liftlab").unwrap()
}

/// A temporary `.csv` file holding `content`.
pub fn csv_file(content: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    f.write_all(content.as_bytes()).unwrap();
    f
}

/// Runs `cmd`, expects success, and parses its standard output as JSON.
pub fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs and expects exit `code` with every `needle` in stderr and no panic.
#[track_caller]
pub fn fails_with_code(args: &[&str], code: i32, needles: &[&str]) -> String {
    let out = liftlab().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(code), "liftlab {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "liftlab {args:?} panicked: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}: {stderr}");
    }
    stderr
}

/// Runs and expects exit 1, an `error: ` line with every `needle`, and no panic.
#[track_caller]
pub fn fails_with(args: &[&str], needles: &[&str]) {
    let stderr = fails_with_code(args, 1, needles);
    assert!(stderr.starts_with("error: "), "{stderr}");
}

/// JSON output without its `command` provenance line (which names the
/// flags, e.g. `--threads`), for comparing runs that differ only there.
pub fn without_command(stdout: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(stdout);
    let kept: Vec<&str> = text.split_inclusive('\n').filter(|l| !l.starts_with("  \"command\": ")).collect();
    kept.concat().into_bytes()
}

/// A parsed JSON output without its `command` field.
pub fn without_command_json(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("command");
    }
    v
}
