//! Shared helpers and the tolerances every comparison uses.

use std::path::PathBuf;

use serde_json::Value;

/// Relative tolerance for closed-form statistics against scipy/statsmodels
/// (far tighter than the 6 significant digits promised).
pub const REL_TOL: f64 = 1e-9;
/// Absolute floor for values near zero.
pub const ABS_TOL: f64 = 1e-12;

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
