//! Group-sequential boundaries and confidence sequences against numpy/scipy
//! values written by `tests/reference/sequential_reference.py` into
//! `tests/data/sequential_reference.json`.

use liftlab::stats::dist::normal_upper_quantile;
use liftlab::stats::sequential::{
    Spending, confidence_sequence_half_width, confidence_sequence_rho, group_sequential_bounds,
    obrien_fleming_spending, pocock_spending,
};
use serde_json::Value;

use crate::util::{assert_within, f, fixture, fvec};

/// Boundaries: the fixture's Gauss–Legendre integration agrees with the
/// multivariate-normal and Monte Carlo checks far inside this.
const BOUND_TOL: f64 = 1e-6;
/// Closed forms (spending, confidence sequence): absolute, plus this relative
/// share of the value.
const CLOSED_TOL: f64 = 1e-12;

fn reference() -> Value {
    fixture("sequential_reference.json")
}

fn spending(name: &str) -> Spending {
    match name {
        "obrien_fleming" => Spending::OBrienFleming,
        "pocock" => Spending::Pocock,
        other => panic!("unknown spending {other:?} in fixture"),
    }
}

#[test]
fn sequential_spending_matches_scipy() {
    for case in reference()["spending"].as_array().expect("spending cases") {
        let (t, alpha) = (f(case, "t"), f(case, "alpha"));
        for (what, actual) in
            [("obrien_fleming", obrien_fleming_spending(t, alpha)), ("pocock", pocock_spending(t, alpha))]
        {
            let expected = f(case, what);
            assert_within(&format!("{what}(t={t}, alpha={alpha})"), actual, expected, CLOSED_TOL * (1.0 + expected));
        }
    }
}

#[test]
fn sequential_bounds_match_the_reference_integration() {
    for case in reference()["bounds"].as_array().expect("bound cases") {
        let name = case["name"].as_str().expect("name");
        let info = fvec(case, "info");
        let kind = spending(case["spending"].as_str().expect("spending"));
        let bounds = group_sequential_bounds(&info, f(case, "alpha"), kind).unwrap();
        let expected = fvec(case, "bounds");
        assert_eq!(bounds.len(), expected.len(), "{name}");
        for (k, (c, e)) in bounds.iter().zip(&expected).enumerate() {
            assert_within(&format!("{name}: c_{}", k + 1), *c, *e, BOUND_TOL);
        }
    }
}

#[test]
fn sequential_bounds_match_published_values() {
    let p = &reference()["published"];
    let bounds = group_sequential_bounds(&fvec(p, "info"), f(p, "alpha"), Spending::OBrienFleming).unwrap();
    for (k, (c, e)) in bounds.iter().zip(fvec(p, "bounds")).enumerate() {
        assert_within(&format!("gsDesign/rpact K=4 OBF c_{}", k + 1), *c, e, f(p, "tolerance"));
    }
}

#[test]
fn sequential_bounds_invariants() {
    let weekly: Vec<f64> = (1..=12).map(|k| f64::from(k) / 12.0).collect();
    for info in [vec![0.25, 0.5, 0.75, 1.0], vec![0.2, 0.45, 1.0], weekly] {
        let obf = group_sequential_bounds(&info, 0.05, Spending::OBrienFleming).unwrap();
        assert!(obf.windows(2).all(|w| w[0] > w[1]), "OBF boundaries must decrease: {obf:?}");
        assert!(*obf.last().unwrap() > 1.96, "last OBF boundary must exceed 1.96: {obf:?}");
    }
    for alpha in [0.01, 0.05, 0.1] {
        for kind in [Spending::OBrienFleming, Spending::Pocock] {
            let c = group_sequential_bounds(&[1.0], alpha, kind).unwrap();
            assert_within("one look", c[0], normal_upper_quantile(alpha / 2.0), 1e-12);
        }
    }
}

#[test]
fn sequential_confidence_sequence_matches_numpy() {
    for case in reference()["confidence_sequence"].as_array().expect("cs cases") {
        let (se, n, alpha) = (f(case, "se"), f(case, "n"), f(case, "alpha"));
        let rho = confidence_sequence_rho(f(case, "n_star"), alpha);
        assert_within(&format!("rho {case}"), rho, f(case, "rho"), CLOSED_TOL * (1.0 + f(case, "rho")));
        let expected = f(case, "half_width");
        let w = confidence_sequence_half_width(se, n, alpha, f(case, "rho"));
        assert_within(&format!("half-width {case}"), w, expected, CLOSED_TOL * (1.0 + expected));
    }
}
