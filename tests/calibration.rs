//! Monte Carlo calibration on the store simulator: A/A false-positive rate,
//! CI coverage, and simulated against analytic power.
//!
//! Light versions always run; heavier ones are `#[ignore]`d
//! (`cargo test --release -- --ignored --nocapture` prints the rates).

use liftlab::assign::Arm;
use liftlab::sim::{Level, SimConfig, simulate};
use liftlab::stats::{self, Moments};
use liftlab::store::StoreProfile;
use ndarray::Array1;
use rayon::prelude::*;

struct Rates {
    welch_reject: f64,
    cuped_reject: f64,
    ratio_reject: f64,
    rel_cover: f64,
    boot_cover: f64,
    reps: f64,
}

/// Runs `reps` A/A tests (true lift 0) of a store and counts rejections at
/// α = 0.05 and coverage of the true value 0: revenue per visitor (Welch,
/// CUPED on pre-period revenue, bootstrap) and margin per session (delta
/// method).
fn aa(store: &str, days: u32, holdout: f64, reps: u64, bootstrap: usize) -> Rates {
    let alpha = 0.05;
    let mut profile = StoreProfile::preset(store).unwrap();
    profile.treatment.conversion_lift = 0.0;
    let per_rep: Vec<[u32; 5]> = (0..reps)
        .into_par_iter()
        .map(|r| {
            let cfg = SimConfig { days, holdout, seed: 1000 + r, salt: r, ..SimConfig::default() };
            let level = if bootstrap > 0 { Level::Unit } else { Level::Aggregate };
            let (mut yc, mut yt) = (Vec::new(), Vec::new());
            let result = simulate(&profile, &cfg, level, &|_, _| {}, |o| {
                for v in &o.visitors {
                    if v.arm == Arm::Control { yc.push(v.revenue) } else { yt.push(v.revenue) }
                }
                Ok(())
            })
            .unwrap();
            let [c, t] = result.stats.revenue;
            let w = stats::welch(&c.estimate(), &t.estimate(), alpha).unwrap();
            let cu = stats::cuped(&c, &t, alpha).unwrap();
            let rel = stats::relative_lift(&c.estimate(), &t.estimate(), alpha).unwrap();
            let [mc, mt]: [Moments; 2] = result.stats.margin_per_session;
            let ratio = stats::welch(&stats::ratio_estimate(&mc).unwrap(), &stats::ratio_estimate(&mt).unwrap(), alpha)
                .unwrap();
            let boot_covers = if bootstrap > 0 {
                let b = stats::bootstrap_two_sample(
                    Array1::from(yc).view(),
                    Array1::from(yt).view(),
                    &stats::BootstrapConfig::new(bootstrap, alpha, r),
                )
                .unwrap();
                (b.effect_size_ci_lower <= 0.0 && 0.0 <= b.effect_size_ci_upper) as u32
            } else {
                0
            };
            [
                (w.pvalue < alpha) as u32,
                (cu.welch.pvalue < alpha) as u32,
                (ratio.pvalue < alpha) as u32,
                (rel.rel_effect_size_ci_lower <= 0.0 && 0.0 <= rel.rel_effect_size_ci_upper) as u32,
                boot_covers,
            ]
        })
        .collect();
    let n = reps as f64;
    let share = |k: usize| per_rep.iter().map(|v| v[k] as f64).sum::<f64>() / n;
    Rates {
        welch_reject: share(0),
        cuped_reject: share(1),
        ratio_reject: share(2),
        rel_cover: share(3),
        boot_cover: share(4),
        reps: n,
    }
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

fn check_aa(r: &Rates) {
    within_3_mcse("Welch A/A false-positive rate (revenue per visitor)", r.welch_reject, 0.05, r.reps);
    within_3_mcse("CUPED A/A false-positive rate", r.cuped_reject, 0.05, r.reps);
    within_3_mcse("delta-method A/A false-positive rate (margin per session)", r.ratio_reject, 0.05, r.reps);
    within_3_mcse("delta-method lift CI coverage", r.rel_cover, 0.95, r.reps);
}

#[test]
fn aa_calibration_mid_size_store() {
    // $5M store, 14 days, 50/50: ≈ 96,000 sessions, ≈ 1,200 orders per arm.
    check_aa(&aa("5m", 14, 0.5, 400, 0));
}

#[test]
fn bootstrap_ci_coverage_light() {
    let r = aa("1.5m", 30, 0.5, 150, 200);
    within_3_mcse("bootstrap percentile CI coverage", r.boot_cover, 0.95, r.reps);
}

#[test]
#[ignore = "heavy: 4,000 A/A tests with a 10% holdout on a $20M store; run with --release -- --ignored"]
fn aa_calibration_heavy_10pct_holdout() {
    check_aa(&aa("20m", 30, 0.1, 4_000, 0));
}

#[test]
#[ignore = "heavy: small store, heavy tail (few buyers per arm); run with --release -- --ignored"]
fn aa_calibration_heavy_small_store() {
    check_aa(&aa("0.5m", 14, 0.5, 4_000, 0));
}

#[test]
#[ignore = "heavy: 1,000 bootstrap A/A tests; run with --release -- --ignored"]
fn bootstrap_ci_coverage_heavy() {
    let r = aa("1.5m", 30, 0.5, 1_000, 1_000);
    within_3_mcse("bootstrap percentile CI coverage", r.boot_cover, 0.95, r.reps);
}

#[test]
fn welch_power_is_what_the_plan_says_for_a_normal_metric() {
    // Simulated power of Welch's test against the analytic power, where the
    // normal approximation holds: normal metric, 2,000 units per arm.
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
                t.push(z + effect);
            }
            (stats::welch(&c.estimate(), &t.estimate(), 0.05).unwrap().pvalue < 0.05) as u32
        })
        .sum();
    let analytic = stats::power_at(effect, (2.0 / n as f64).sqrt(), 0.05);
    within_3_mcse("simulated vs analytic power", rejects as f64 / reps as f64, analytic, reps as f64);
}

/// Monte Carlo power of a store against the normal approximation with the
/// A/A-measured SE, per metric, within 3 MC SE.
fn power_matches_analytic(store: &str, days: u32, holdout: f64, lift: f64, reps: usize) {
    use liftlab::montecarlo::{PowerConfig, monte_carlo_power};
    let p = StoreProfile::preset(store).unwrap();
    let sim = SimConfig { days, holdout, seed: 21, salt: 5, ..SimConfig::default() };
    let cfg = PowerConfig { replicates: reps, alpha: 0.05, seed: 21 };
    let r = monte_carlo_power(&p, &sim, lift, &cfg, &|_, _| {}).unwrap();
    for m in &r.metrics {
        within_3_mcse(
            &format!("{store}: simulated vs analytic power, {}", m.metric),
            m.power,
            m.analytic_power,
            r.config.replicates as f64,
        );
        within_3_mcse(
            &format!("{store}: A/A false-positive rate, {}", m.metric),
            m.aa_false_positive_rate,
            0.05,
            r.config.replicates as f64,
        );
        within_3_mcse(&format!("{store}: CI coverage, {}", m.metric), m.coverage, 0.95, r.config.replicates as f64);
    }
}

#[test]
fn simulated_power_matches_analytic_for_a_large_store() {
    // $20M store, 7 days, 50/50, true conversion lift 8%: ≈ 1,800 orders per
    // arm, where the normal approximation holds.
    power_matches_analytic("20m", 7, 0.5, 0.08, 200);
}

#[test]
#[ignore = "heavy: 2,000 simulated tests of a $100M store; run with --release -- --ignored"]
fn simulated_power_matches_analytic_heavy_large_store() {
    power_matches_analytic("100m", 14, 0.1, 0.03, 2_000);
}

#[test]
#[ignore = "heavy: 4,000 A/A tests with a heavy-tailed order value (CV 3); run with --release -- --ignored"]
fn aa_calibration_heavy_tail() {
    let alpha = 0.05;
    let mut profile = StoreProfile::preset("5m").unwrap();
    profile.aov_cv = 3.0;
    profile.treatment.conversion_lift = 0.0;
    let reps = 4_000u64;
    let rejects: Vec<[u32; 2]> = (0..reps)
        .into_par_iter()
        .map(|r| {
            let cfg = SimConfig { days: 14, holdout: 0.5, seed: 5000 + r, salt: r, ..SimConfig::default() };
            let res = simulate(&profile, &cfg, Level::Aggregate, &|_, _| {}, |_| Ok(())).unwrap();
            let [c, t] = res.stats.revenue;
            let w = stats::welch(&c.estimate(), &t.estimate(), alpha).unwrap();
            let rel = stats::relative_lift(&c.estimate(), &t.estimate(), alpha).unwrap();
            [
                (w.pvalue < alpha) as u32,
                (rel.rel_effect_size_ci_lower <= 0.0 && 0.0 <= rel.rel_effect_size_ci_upper) as u32,
            ]
        })
        .collect();
    let n = reps as f64;
    let share = |k: usize| rejects.iter().map(|v| v[k] as f64).sum::<f64>() / n;
    within_3_mcse("heavy tail (AOV CV 3): Welch A/A false-positive rate", share(0), alpha, n);
    // Known limitation, measured: with order values this skewed the normal
    // delta-method CI of the relative lift undercovers (0.937 ± 0.0034 over
    // 4,000 tests of a $5M store, 14 days, 50/50). This guards against it
    // getting worse; the bootstrap (BCa) is the remedy to try, not yet measured.
    let coverage = share(1);
    eprintln!("heavy tail (AOV CV 3): delta-method lift CI coverage {coverage:.4} (known to undercover)");
    assert!(coverage > 0.93, "coverage {coverage}");
}

#[test]
#[ignore = "heavy: the frontier's simulated checks at $20M; run with --release -- --ignored"]
fn frontier_checks_agree_where_stores_are_large() {
    // At $5M (30 days, 10% holdout, ≈ 370 control orders) 1,000 tests do
    // flag a gap: simulated power of revenue per visitor 0.754 ± 0.014
    // against 0.798 analytic. At $20M the normal approximation holds.
    use liftlab::frontier::{FrontierConfig, frontier};
    let cfg = FrontierConfig {
        revenues: vec![20_000_000.0],
        check_replicates: 1_000,
        check_revenues: vec![20_000_000.0],
        ..FrontierConfig::default()
    };
    let f = frontier(&StoreProfile::default(), &cfg, &|_, _| {}).unwrap();
    for c in &f.checks {
        eprintln!(
            "{} {}: analytic {:.4}, simulated {:.4} ± {:.4}, A/A {:.4}",
            c.annual_revenue_usd,
            c.metric,
            c.analytic_power,
            c.simulated_power,
            c.simulated_power_se,
            c.aa_false_positive_rate
        );
        assert!(!c.disagrees, "{c:?}");
    }
}

/// The calibration study of `examples/calibration_study.rs` (10% holdout,
/// 2% conversion, lognormal order values), included so that the tests run
/// exactly the study `docs/calibration.md` reports.
#[path = "../examples/calibration_study.rs"]
#[allow(dead_code)]
mod calibration_study;

/// Position in `calibration_study::CELLS` of a cell.
fn study_cell(units: usize, cv: f64) -> usize {
    calibration_study::CELLS.iter().position(|c| c.units == units && c.cv == cv).expect("a cell of the study")
}

#[test]
fn permutation_test_holds_each_tail_where_welch_does_not() {
    // 5,000 units, 10% holdout: 500 control units, about 10 control orders.
    // Welch's t is skewed there (the control mean is a handful of orders),
    // so it rejects "treatment is higher" far too often; the permutation
    // test `analyze` uses by default holds both tails.
    use calibration_study::{StudyConfig, run_cell};
    let cfg = StudyConfig { datasets: 200, resamples: 400, seed: 2024, intervals: false };
    for cv in [3.0, 1.0] {
        let r = run_cell(study_cell(5_000, cv), &cfg, &|| {});
        let k = r.datasets as f64;
        let [welch, _, perm, _] = r.methods;
        let what = format!("5,000 units, 10% holdout, AOV CV {cv}");
        within_3_mcse(&format!("{what}: permutation A/A upper tail"), perm.upper as f64 / k, 0.025, k);
        within_3_mcse(&format!("{what}: permutation A/A lower tail"), perm.lower as f64 / k, 0.025, k);
        let upper = welch.upper as f64 / k;
        let bound = 0.025 + 3.0 * (0.025f64 * 0.975 / k).sqrt();
        eprintln!("{what}: Welch A/A upper tail {upper:.4} (defect: above {bound:.4})");
        assert!(upper > bound, "{what}: Welch's upper tail {upper} is no longer above {bound}");
    }
}

#[test]
#[ignore = "heavy: the full calibration study, 18,000 datasets with B = 2000 (about 2 min); run with --release -- --ignored"]
fn default_method_is_calibrated_on_a_10pct_holdout() {
    // The run docs/calibration.md reports: same seed, K and B as the
    // example's defaults, so the same numbers.
    use calibration_study::{
        CELLS, DEFAULT, StudyConfig, TRUE_DIFF_USD, WELCH_DELTA, conversion_table, rule_table, run_cell, table,
    };
    let cfg = StudyConfig { datasets: 1_000, resamples: 2_000, seed: 2024, intervals: true };
    let results: Vec<_> = (0..CELLS.len()).map(|cell| run_cell(cell, &cfg, &|| {})).collect();
    eprintln!(
        "{}\n{}\n{}",
        table(&results, cfg.resamples),
        conversion_table(&results, cfg.resamples),
        rule_table(&results)
    );
    for r in &results {
        let k = r.datasets as f64;
        let m = r.methods[DEFAULT];
        let what = format!("{} units, AOV CV {}: default method", r.cell.units, r.cell.cv);
        within_3_mcse(&format!("{what}, A/A two-sided"), (m.upper + m.lower) as f64 / k, 0.05, k);
        within_3_mcse(&format!("{what}, A/A upper tail"), m.upper as f64 / k, 0.025, k);
        within_3_mcse(&format!("{what}, A/A lower tail"), m.lower as f64 / k, 0.025, k);
        within_3_mcse(&format!("{what}, lift CI covers the true +10%"), m.cover_lift as f64 / k, 0.95, k);
        // +10% as a conversion lift (2% -> 2.2%, order values unchanged): the
        // permutation CIs invert a multiplicative (lift) or constant-shift
        // (difference) model that is false here, and the studentized
        // statistic makes them only asymptotically valid (Chung & Romano
        // 2013); at K = 1,000 they still cover in every cell.
        within_3_mcse(&format!("{what}, conversion lift: lift CI covers +10%"), m.conv_cover_lift as f64 / k, 0.95, k);
        within_3_mcse(
            &format!("{what}, conversion lift: difference CI covers ${TRUE_DIFF_USD:.2}"),
            m.conv_cover_diff as f64 / k,
            0.95,
            k,
        );
    }
    // What does not hold, measured (docs/calibration.md): Welch's upper tail
    // in every cell; the delta and log lift CIs in every CV 3 cell (and some
    // of their checks at 5,000 units with CV 1); Welch's difference CI under
    // the conversion lift at 5,000 and 20,000 units, and at 100,000 units
    // with CV 3. Welch's power is inflated by its upper tail and is not
    // checked. Guard the clearest defect, so that a fix is noticed: Welch's
    // difference CI at 5,000 units.
    for r in results.iter().filter(|r| r.cell.units == 5_000) {
        let k = r.datasets as f64;
        let coverage = r.methods[WELCH_DELTA].conv_cover_diff as f64 / k;
        let bound = 0.95 - 3.0 * (0.95f64 * 0.05 / k).sqrt();
        eprintln!(
            "5,000 units, AOV CV {}: Welch difference CI coverage {coverage:.4} (defect: below {bound:.4})",
            r.cell.cv
        );
        assert!(coverage < bound, "Welch's difference CI coverage {coverage} is no longer below {bound}");
    }
}
