//! Monte Carlo calibration: A/A false-positive rate and CI coverage.
//!
//! Light versions always run; heavier ones are `#[ignore]`d
//! (`cargo test --release -- --ignored`).

use liftlab::sim::{UnitSimConfig, simulate_units};
use liftlab::stats::{self, Moments};
use ndarray::Array1;
use rayon::prelude::*;

struct Rates {
    welch_reject: f64,
    cuped_reject: f64,
    rel_cover: f64,
    boot_cover: f64,
    reps: f64,
}

/// Runs `reps` A/A tests (true lift 0) of the simulator's revenue per unit
/// and counts rejections at α = 0.05 and coverage of the true value 0.
fn aa(reps: u64, units: usize, holdout: f64, bootstrap: usize) -> Rates {
    let alpha = 0.05;
    let per_rep: Vec<[u32; 4]> = (0..reps)
        .into_par_iter()
        .map(|r| {
            let cfg = UnitSimConfig { units, holdout, lift: 0.0, seed: 1000 + r, salt: r, ..UnitSimConfig::default() };
            let rows = simulate_units(&cfg).unwrap();
            let (mut c, mut t) = (Moments::new(), Moments::new());
            let (mut yc, mut yt) = (Vec::new(), Vec::new());
            for row in &rows {
                if row.arm == "control" {
                    c.push_xy(row.revenue, row.pre_revenue);
                    yc.push(row.revenue);
                } else {
                    t.push_xy(row.revenue, row.pre_revenue);
                    yt.push(row.revenue);
                }
            }
            let w = stats::welch(&c.estimate(), &t.estimate(), alpha).unwrap();
            let cu = stats::cuped(&c, &t, alpha).unwrap();
            let rel = stats::relative_lift(&c.estimate(), &t.estimate(), alpha).unwrap();
            let boot_covers = if bootstrap > 0 {
                let b =
                    stats::bootstrap_two_sample(Array1::from(yc).view(), Array1::from(yt).view(), bootstrap, alpha, r)
                        .unwrap();
                (b.effect_size_ci_lower <= 0.0 && 0.0 <= b.effect_size_ci_upper) as u32
            } else {
                0
            };
            [
                (w.pvalue < alpha) as u32,
                (cu.welch.pvalue < alpha) as u32,
                (rel.rel_effect_size_ci_lower <= 0.0 && 0.0 <= rel.rel_effect_size_ci_upper) as u32,
                boot_covers,
            ]
        })
        .collect();
    let n = reps as f64;
    let share = |k: usize| per_rep.iter().map(|v| v[k] as f64).sum::<f64>() / n;
    Rates { welch_reject: share(0), cuped_reject: share(1), rel_cover: share(2), boot_cover: share(3), reps: n }
}

/// Asserts `rate` is within 3 Monte Carlo standard errors of `target`.
#[track_caller]
fn within_3_mcse(what: &str, rate: f64, target: f64, reps: f64) {
    let mcse = (target * (1.0 - target) / reps).sqrt();
    eprintln!("{what}: {rate:.4} (target {target}, MC SE {mcse:.4}, {reps} replicates)");
    assert!(
        (rate - target).abs() <= 3.0 * mcse,
        "{what}: {rate:.4} vs {target} ± 3 × {mcse:.4} over {reps} replicates"
    );
}

#[test]
fn aa_false_positive_rate_and_coverage_mid_size_store() {
    // 10,000 customers, 50/50 split, ≈ 125 buyers per arm.
    let r = aa(600, 10_000, 0.5, 0);
    within_3_mcse("Welch A/A false-positive rate", r.welch_reject, 0.05, r.reps);
    within_3_mcse("CUPED A/A false-positive rate", r.cuped_reject, 0.05, r.reps);
    within_3_mcse("delta-method lift CI coverage", r.rel_cover, 0.95, r.reps);
}

#[test]
fn bootstrap_ci_coverage_light() {
    let r = aa(200, 6_000, 0.5, 300);
    within_3_mcse("bootstrap percentile CI coverage", r.boot_cover, 0.95, r.reps);
}

#[test]
#[ignore = "heavy: 5,000 A/A tests with a 10% holdout; run with --release -- --ignored"]
fn aa_calibration_heavy_10pct_holdout() {
    let r = aa(5_000, 40_000, 0.1, 0);
    within_3_mcse("Welch A/A false-positive rate", r.welch_reject, 0.05, r.reps);
    within_3_mcse("CUPED A/A false-positive rate", r.cuped_reject, 0.05, r.reps);
    within_3_mcse("delta-method lift CI coverage", r.rel_cover, 0.95, r.reps);
}

#[test]
#[ignore = "heavy: 1,000 bootstrap A/A tests; run with --release -- --ignored"]
fn bootstrap_ci_coverage_heavy() {
    let r = aa(1_000, 20_000, 0.5, 1_000);
    within_3_mcse("bootstrap percentile CI coverage", r.boot_cover, 0.95, r.reps);
}

#[test]
fn welch_power_is_what_the_plan_says_for_a_normal_metric() {
    // Simulated power of Welch's test against the analytic power, where the
    // normal approximation holds: normal metric, 2,000 units per arm.
    use rand::RngExt;
    use rand_distr::{Distribution, StandardNormal};
    let (n, effect, reps) = (2_000usize, 0.08, 1_000u64);
    let rejects: u32 = (0..reps)
        .into_par_iter()
        .map(|r| {
            let mut rng = liftlab::rng::stream(3, 77, r);
            let mut c = Moments::new();
            let mut t = Moments::new();
            for _ in 0..n {
                let z: f64 = StandardNormal.sample(&mut rng);
                c.push(z);
                let z: f64 = StandardNormal.sample(&mut rng);
                t.push(z + effect + 0.0 * rng.random::<f64>());
            }
            (stats::welch(&c.estimate(), &t.estimate(), 0.05).unwrap().pvalue < 0.05) as u32
        })
        .sum();
    let analytic = stats::power_at(effect, (2.0 / n as f64).sqrt(), 0.05);
    within_3_mcse("simulated vs analytic power", rejects as f64 / reps as f64, analytic, reps as f64);
}
