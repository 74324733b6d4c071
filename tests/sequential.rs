//! Group-sequential boundaries and confidence sequences against numpy/scipy
//! values written by `tests/reference/sequential_reference.py` into
//! `tests/data/sequential_reference.json`.

use liftlab::stats::dist::normal_upper_quantile;
use liftlab::stats::sequential::{
    Spending, confidence_sequence_half_width, confidence_sequence_rho, equally_spaced_info, group_sequential_bounds,
    group_sequential_crossing, group_sequential_design, group_sequential_drift, group_sequential_power,
    obrien_fleming_spending, pocock_spending,
};
use serde_json::Value;

use crate::util::{assert_within, f, fixture, fvec};

/// Boundaries: the fixture's Gauss–Legendre integration agrees with the
/// multivariate-normal and Monte Carlo checks far inside this.
const BOUND_TOL: f64 = 1e-6;
/// Crossing probabilities, drifts, inflation factors and expected sample
/// sizes against the fixture's Gauss–Legendre recursion (which agrees with
/// `multivariate_normal.cdf` to 1e-8 and with itself at 1.5x the nodes to
/// 1e-9).
const DESIGN_TOL: f64 = 1e-6;
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

#[test]
fn sequential_crossing_matches_the_reference_integration() {
    for case in reference()["crossing"].as_array().expect("crossing cases") {
        let (name, drift) = (case["name"].as_str().expect("name"), f(case, "drift"));
        let (info, bounds) = (fvec(case, "info"), fvec(case, "bounds"));
        let c = group_sequential_crossing(&info, &bounds, drift).unwrap();
        for (what, ours, theirs) in [("upper", &c.upper, fvec(case, "upper")), ("lower", &c.lower, fvec(case, "lower"))]
        {
            for (k, (a, e)) in ours.iter().zip(&theirs).enumerate() {
                assert_within(&format!("{name} drift {drift}: {what}_{}", k + 1), *a, *e, DESIGN_TOL);
            }
        }
        assert_within(&format!("{name} drift {drift}: power"), c.power, f(case, "power"), DESIGN_TOL);
        let p = group_sequential_power(&info, &bounds, drift).unwrap();
        assert_eq!(p, c.power);
        if let Some(mvn) = case.get("mvn_power") {
            assert_within(&format!("{name} drift {drift}: mvn power"), p, mvn.as_f64().unwrap(), DESIGN_TOL);
        }
    }
}

#[test]
fn sequential_design_matches_the_reference_integration() {
    for case in reference()["designs"].as_array().expect("design cases") {
        let kind = spending(case["spending"].as_str().expect("spending"));
        let (alpha, power, info) = (f(case, "alpha"), f(case, "power"), fvec(case, "info"));
        let name = format!("{kind:?} K={} power={power}", info.len());
        let d = group_sequential_design(&info, alpha, power, kind).unwrap();
        for field in ["drift", "drift_fixed", "inflation_factor", "expected_sample_size_h0", "expected_sample_size_h1"]
        {
            let ours = serde_json::to_value(&d).unwrap()[field].as_f64().unwrap();
            assert_within(&format!("{name}: {field}"), ours, f(case, field), DESIGN_TOL);
        }
        for field in ["bounds", "nominal_pvalues", "cumulative_alpha", "cumulative_power"] {
            let ours = serde_json::to_value(&d).unwrap();
            let ours: Vec<f64> = ours[field].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            for (k, (a, e)) in ours.iter().zip(fvec(case, field)).enumerate() {
                assert_within(&format!("{name}: {field}_{}", k + 1), *a, e, DESIGN_TOL);
            }
        }
        assert_within(&format!("{name}: achieved power"), *d.cumulative_power.last().unwrap(), power, 1e-9);
    }
}

/// Classical Pocock (constant) or O'Brien–Fleming (`C·√(K/k)`) boundaries with
/// exact size α, found by bisection on [`group_sequential_power`] at drift 0.
fn classical_bounds(info: &[f64], alpha: f64, pocock: bool) -> Vec<f64> {
    // Pocock: c_k = C; O'Brien–Fleming: c_k = C·√(K/k) = C/√t_k.
    let shape: Vec<f64> = info.iter().map(|t| if pocock { 1.0 } else { 1.0 / t.sqrt() }).collect();
    let (mut lo, mut hi) = (1.0, 10.0);
    while hi - lo > 1e-12 {
        let mid: f64 = 0.5 * (lo + hi);
        let c: Vec<f64> = shape.iter().map(|s| mid * s).collect();
        if group_sequential_power(info, &c, 0.0).unwrap() > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    shape.iter().map(|s| 0.5 * (lo + hi) * s).collect()
}

#[test]
fn sequential_inflation_matches_jennison_turnbull() {
    let p = &reference()["published_inflation"];
    let tol = f(p, "tolerance");
    for case in p["cases"].as_array().expect("published cases") {
        let k = f(case, "k") as usize;
        let (alpha, power) = (f(case, "alpha"), f(case, "power"));
        let kind = case["boundary"].as_str().expect("boundary");
        let info = equally_spaced_info(k).unwrap();
        let bounds = classical_bounds(&info, alpha, kind == "pocock");
        for (c, e) in bounds.iter().zip(fvec(case, "classical_bounds")) {
            assert_within(&format!("{kind} K={k} classical bound"), *c, e, DESIGN_TOL);
        }
        let theta = group_sequential_drift(&info, &bounds, power).unwrap();
        let fixed = normal_upper_quantile(alpha / 2.0) + normal_upper_quantile(1.0 - power);
        let r = (theta / fixed).powi(2);
        assert_within(
            &format!("{kind} K={k} power={power}: R vs reference"),
            r,
            f(case, "inflation_factor"),
            DESIGN_TOL,
        );
        assert_within(&format!("{kind} K={k} power={power}: R vs J&T table"), r, f(case, "published"), tol + 1e-9);
    }
}

#[test]
fn sequential_design_invariants() {
    for kind in [Spending::OBrienFleming, Spending::Pocock] {
        let one = group_sequential_design(&[1.0], 0.05, 0.8, kind).unwrap();
        assert_within("K=1 inflation", one.inflation_factor, 1.0, 1e-9);
        assert_within("K=1 E[N] under H0", one.expected_sample_size_h0, 1.0, 1e-9);
        let mut last = 1.0 - 1e-9;
        for k in [2, 4, 8] {
            let d = group_sequential_design(&equally_spaced_info(k).unwrap(), 0.05, 0.9, kind).unwrap();
            assert!(d.inflation_factor > last, "{kind:?} R must grow with K: {d:?}");
            last = d.inflation_factor;
            assert!(d.expected_sample_size_h1 < 1.0, "{kind:?} K={k} saves samples under H1: {d:?}");
            assert!(d.expected_sample_size_h0 < d.inflation_factor, "{d:?}");
            assert_within("alpha spent", *d.cumulative_alpha.last().unwrap(), 0.05, 1e-12);
        }
    }
    let info = equally_spaced_info(4).unwrap();
    assert!(group_sequential_design(&info, 0.05, 0.02, Spending::Pocock).is_err());
    assert!(group_sequential_design(&info, 0.05, 1.0, Spending::Pocock).is_err());
    assert!(group_sequential_crossing(&info, &[2.0, 2.0], 1.0).is_err());
    assert!(group_sequential_crossing(&info, &[2.0, f64::NAN, 2.0, 2.0], 1.0).is_err());
    assert!(group_sequential_crossing(&info, &[2.0; 4], f64::INFINITY).is_err());
    let never = group_sequential_crossing(&info, &[f64::INFINITY; 4], 2.0).unwrap();
    assert_eq!((never.power, never.expected_info), (0.0, 1.0));
    assert!(group_sequential_drift(&info, &[f64::INFINITY; 4], 0.8).is_err());
    // A drift so large that the continuation region empties after look 1.
    let c = group_sequential_bounds(&info, 0.05, Spending::Pocock).unwrap();
    let sure = group_sequential_crossing(&info, &c, 40.0).unwrap();
    assert_within("certain rejection", sure.power, 1.0, 1e-12);
    assert_within("stops at look 1", sure.expected_info, 0.25, 1e-12);
}

/// Dunnett's many-to-one adjustment against scipy's multivariate normal CDF
/// (`tests/reference/dunnett_reference.py`).
#[test]
fn dunnett_matches_the_multivariate_normal_reference() {
    let reference = fixture("dunnett_reference.json");
    for case in reference["cases"].as_array().unwrap() {
        let (lambda, z, want) = (fvec(case, "lambda"), fvec(case, "z"), fvec(case, "pvalue"));
        let got = liftlab::stats::dunnett(&z, &lambda);
        for ((g, w), z) in got.iter().zip(&want).zip(&z) {
            assert_within(&format!("Dunnett p at z = {z}, lambda = {lambda:?}"), *g, *w, 1e-6);
        }
    }
}
