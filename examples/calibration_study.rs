//! Calibration study of liftlab's default test where small stores live.
//!
//! A/A tests, and tests with a true +10% lift of revenue per visitor, on a
//! 10% holdout: visitors convert with probability 2%, a converter's order
//! value is lognormal with mean $80 and coefficient of variation 1 or 3,
//! non-converters spend 0; 5,000, 20,000 or 100,000 units. The +10% lift
//! comes in two shapes: the treatment's order values are multiplied by 1.10
//! (the model the permutation lift CI inverts), or the treatment's
//! conversion rate is 10% higher, 2.2%, with order values unchanged (how
//! personalization works: more non-zeros, same non-zero law). In each cell,
//! `K` independent datasets per scenario are drawn and analysed with
//! Welch's t-test (delta-method and log-scale lift CIs), the studentized
//! permutation test, and the method `liftlab analyze` picks by default (the
//! permutation test when an arm fails the skewness rule `n ≥ 355·γ²`,
//! otherwise Welch with the log-scale CI).
//!
//! ```text
//! cargo run --release --example calibration_study -- [--datasets K] [--seed S] [--permutations B]
//! ```
//!
//! Prints a markdown table of A/A rejection rates (two-sided and per tail)
//! and lift-CI coverage, and one of the conversion-lift scenario (coverage
//! of +10% by the lift CIs and of the true difference by the difference
//! CIs, and power), each rate with its Monte Carlo standard error
//! `√(p(1 − p)/K)`. Deterministic for a seed: dataset `d` of a cell draws
//! from stream `(seed, DOMAIN, index(cell, scenario, d))`, whatever the
//! number of threads. `tests/calibration.rs` includes this file to run the
//! same study at test sizes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::Parser;
use liftlab::rng::stream;
use liftlab::stats::permutation::{ArmData, PermutationConfig, permutation_test};
use liftlab::stats::skew::{min_units_for_normal, skewness};
use liftlab::stats::{LiftInterval, Moments, relative_lift, relative_lift_with, welch};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

/// Stream domain of this study's datasets (distinct from `liftlab::rng::domain`).
pub const DOMAIN: u64 = 101;
/// Two-sided level of every test and interval.
pub const ALPHA: f64 = 0.05;
/// Probability that a visitor converts.
pub const CONVERSION: f64 = 0.02;
/// Mean order value of a converter, in USD.
pub const MEAN_ORDER_USD: f64 = 80.0;
/// Share of units in control (the holdout).
pub const CONTROL_SHARE: f64 = 0.10;
/// True relative lift of revenue per visitor in both non-null scenarios.
pub const TRUE_LIFT: f64 = 0.10;
/// True difference of revenue per visitor in both non-null scenarios, in
/// USD per visitor: `0.1 · 0.02 · 80 = 0.16`.
pub const TRUE_DIFF_USD: f64 = TRUE_LIFT * CONVERSION * MEAN_ORDER_USD;

/// Scenario: A/A, both arms from the same distribution.
pub const AA: u64 = 0;
/// Scenario: the treatment's order values are multiplied by `1 + TRUE_LIFT`.
pub const ORDER_LIFT: u64 = 1;
/// Scenario: the treatment converts with probability
/// `CONVERSION · (1 + TRUE_LIFT)`, order values unchanged.
pub const CONVERSION_LIFT: u64 = 2;

/// One setting: total units and the order value's coefficient of variation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// Total units, both arms.
    pub units: usize,
    /// Coefficient of variation of a converter's order value.
    pub cv: f64,
}

/// The six cells of the study (the position is part of each dataset's
/// stream index).
pub const CELLS: [Cell; 6] = [
    Cell { units: 5_000, cv: 1.0 },
    Cell { units: 5_000, cv: 3.0 },
    Cell { units: 20_000, cv: 1.0 },
    Cell { units: 20_000, cv: 3.0 },
    Cell { units: 100_000, cv: 1.0 },
    Cell { units: 100_000, cv: 3.0 },
];

/// The analyses compared.
pub const METHODS: [&str; 4] =
    ["Welch t + delta lift CI", "Welch t + log lift CI", "permutation test", "default (auto)"];
/// Index of Welch's test with the symmetric delta-method lift CI.
pub const WELCH_DELTA: usize = 0;
/// Index of Welch's test with the log-scale lift CI (coverage only).
pub const WELCH_LOG: usize = 1;
/// Index of the studentized permutation test.
pub const PERMUTATION: usize = 2;
/// Index of the method `liftlab analyze` picks by default.
pub const DEFAULT: usize = 3;

/// Study settings.
#[derive(Debug, Clone, Copy)]
pub struct StudyConfig {
    /// Datasets per cell and scenario (`K`).
    pub datasets: usize,
    /// Re-randomizations of each permutation test (`B`).
    pub resamples: usize,
    /// Seed of every stream.
    pub seed: u64,
    /// Also run the two non-null scenarios and compute every CI (the
    /// permutation intervals cost most of the time).
    pub intervals: bool,
}

/// Counts over the datasets of one cell for one method.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MethodCounts {
    /// A/A datasets rejected with treatment above control.
    pub upper: usize,
    /// A/A datasets rejected with treatment below control.
    pub lower: usize,
    /// A/A datasets whose lift CI covers 0.
    pub cover_null: usize,
    /// Order-value-lift datasets whose lift CI covers `TRUE_LIFT`.
    pub cover_lift: usize,
    /// A/A or order-value-lift datasets where the test or a CI is
    /// undefined (counted as neither rejecting nor covering).
    pub undefined: usize,
    /// Conversion-lift datasets whose lift CI covers `TRUE_LIFT`.
    pub conv_cover_lift: usize,
    /// Conversion-lift datasets whose difference CI covers `TRUE_DIFF_USD`.
    pub conv_cover_diff: usize,
    /// Conversion-lift datasets rejected with treatment above control.
    pub conv_power: usize,
    /// Conversion-lift datasets where the test or a CI is undefined.
    pub conv_undefined: usize,
}

/// Everything measured in one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct CellResult {
    /// The setting.
    pub cell: Cell,
    /// Datasets per scenario.
    pub datasets: usize,
    /// Counts per method, indexed like [`METHODS`].
    pub methods: [MethodCounts; 4],
    /// A/A datasets whose control arm is below the skewness rule.
    pub control_below_rule: usize,
    /// A/A datasets where an arm is below the rule (the default method is
    /// then the permutation test).
    pub any_below_rule: usize,
}

/// What one method concluded on one dataset.
#[derive(Debug, Clone, Copy, Default)]
struct Verdict {
    upper: bool,
    lower: bool,
    /// Whether the lift CI covers the true lift; `None` if undefined.
    covers: Option<bool>,
    /// Whether the difference CI covers the true difference; `None` if
    /// undefined.
    covers_diff: Option<bool>,
    undefined: bool,
}

/// Order values of a converter: lognormal with mean `MEAN_ORDER_USD` and
/// coefficient of variation `cv` (`σ² = ln(1 + cv²)`, `μ = ln(80) − σ²/2`).
fn lognormal_params(cv: f64) -> (f64, f64) {
    let s2 = (1.0 + cv * cv).ln();
    (MEAN_ORDER_USD.ln() - s2 / 2.0, s2.sqrt())
}

/// Units in control for `units` in total.
pub fn control_units(units: usize) -> usize {
    (units as f64 * CONTROL_SHARE).round() as usize
}

/// Stream index of dataset `d` of cell `cell` (position in [`CELLS`]) in
/// scenario `scenario` ([`AA`], [`ORDER_LIFT`] or [`CONVERSION_LIFT`]).
fn index(cell: usize, scenario: u64, d: usize) -> u64 {
    ((cell as u64) << 48) | (scenario << 40) | d as u64
}

/// Draws one dataset of `scenario`: revenue per unit, control first. Also
/// returns the permutation test's seed, drawn from the same stream.
fn dataset(cell: Cell, stream_index: u64, seed: u64, scenario: u64) -> (Vec<f64>, u64) {
    let mut rng = stream(seed, DOMAIN, stream_index);
    let perm_seed: u64 = rng.random();
    let (mu, sigma) = lognormal_params(cell.cv);
    let n_c = control_units(cell.units);
    // Treatment's conversion probability and order-value factor.
    let (p_t, factor_t) = match scenario {
        ORDER_LIFT => (CONVERSION, 1.0 + TRUE_LIFT),
        CONVERSION_LIFT => (CONVERSION * (1.0 + TRUE_LIFT), 1.0),
        _ => (CONVERSION, 1.0),
    };
    let y = (0..cell.units)
        .map(|i| {
            let (p, factor) = if i >= n_c { (p_t, factor_t) } else { (CONVERSION, 1.0) };
            if rng.random::<f64>() < p {
                let z: f64 = StandardNormal.sample(&mut rng);
                (mu + sigma * z).exp() * factor
            } else {
                0.0
            }
        })
        .collect();
    (y, perm_seed)
}

fn covers(lo: f64, hi: f64, target: f64) -> bool {
    lo <= target && target <= hi
}

/// Analyses one dataset with every method; `target` is the true lift and
/// `target_diff` the true difference (USD per visitor). Returns the
/// verdicts and whether the control arm, and any arm, is below the
/// skewness rule.
fn analyse(
    y: &[f64],
    n_c: usize,
    (target, target_diff): (f64, f64),
    perm_seed: u64,
    cfg: &StudyConfig,
) -> ([Verdict; 4], bool, bool) {
    let (c, t) = y.split_at(n_c);
    let (ec, et) = (Moments::from_slices(c, None).estimate(), Moments::from_slices(t, None).estimate());
    let mut v = [Verdict::default(); 4];
    match welch(&ec, &et, ALPHA) {
        Ok(w) => {
            let (upper, lower) = (w.pvalue < ALPHA && w.statistic > 0.0, w.pvalue < ALPHA && w.statistic < 0.0);
            let covers_diff = Some(covers(w.effect_size_ci_lower, w.effect_size_ci_upper, target_diff));
            let delta = relative_lift(&ec, &et, ALPHA).ok();
            let log = relative_lift_with(&ec, &et, ALPHA, LiftInterval::Log).ok();
            for (m, rel) in [(WELCH_DELTA, delta), (WELCH_LOG, log)] {
                let covers = rel.map(|r| covers(r.rel_effect_size_ci_lower, r.rel_effect_size_ci_upper, target));
                v[m] = Verdict { upper, lower, covers, covers_diff, undefined: covers.is_none() };
            }
        }
        Err(_) => {
            v[WELCH_DELTA].undefined = true;
            v[WELCH_LOG].undefined = true;
        }
    }
    let perm_cfg =
        PermutationConfig { intervals: cfg.intervals, ..PermutationConfig::new(cfg.resamples, ALPHA, perm_seed) };
    v[PERMUTATION] = match permutation_test(&ArmData::mean(c), &ArmData::mean(t), &perm_cfg) {
        Ok(p) => {
            let interval = |lo: Option<f64>, hi: Option<f64>, target| match (lo, hi) {
                (Some(lo), Some(hi)) => Some(covers(lo, hi, target)),
                _ => None,
            };
            let covers = interval(p.rel_effect_size_ci_lower, p.rel_effect_size_ci_upper, target);
            let covers_diff = interval(p.effect_size_ci_lower, p.effect_size_ci_upper, target_diff);
            Verdict {
                upper: p.pvalue < ALPHA && p.pvalue_upper < p.pvalue_lower,
                lower: p.pvalue < ALPHA && p.pvalue_lower < p.pvalue_upper,
                covers,
                covers_diff,
                undefined: cfg.intervals && (covers.is_none() || covers_diff.is_none()),
            }
        }
        Err(_) => Verdict { undefined: true, ..Verdict::default() },
    };
    let below = |arm: &[f64]| (arm.len() as f64) < min_units_for_normal(skewness(arm));
    let (control_below, treatment_below) = (below(c), below(t));
    let any_below = control_below || treatment_below;
    v[DEFAULT] = if any_below { v[PERMUTATION] } else { v[WELCH_LOG] };
    (v, control_below, any_below)
}

/// Runs cell `CELLS[cell]`: `cfg.datasets` A/A datasets and, with
/// `cfg.intervals`, as many in each non-null scenario ([`ORDER_LIFT`],
/// [`CONVERSION_LIFT`]). `tick` is called after each dataset.
pub fn run_cell(cell: usize, cfg: &StudyConfig, tick: &(dyn Fn() + Sync)) -> CellResult {
    let setting = CELLS[cell];
    let n_c = control_units(setting.units);
    let scenarios: &[u64] = if cfg.intervals { &[AA, ORDER_LIFT, CONVERSION_LIFT] } else { &[AA] };
    let mut result = CellResult {
        cell: setting,
        datasets: cfg.datasets,
        methods: [MethodCounts::default(); 4],
        control_below_rule: 0,
        any_below_rule: 0,
    };
    for &scenario in scenarios {
        let targets = if scenario == AA { (0.0, 0.0) } else { (TRUE_LIFT, TRUE_DIFF_USD) };
        let verdicts: Vec<([Verdict; 4], bool, bool)> = (0..cfg.datasets)
            .into_par_iter()
            .map(|d| {
                let (y, perm_seed) = dataset(setting, index(cell, scenario, d), cfg.seed, scenario);
                let out = analyse(&y, n_c, targets, perm_seed, cfg);
                tick();
                out
            })
            .collect();
        for (v, control_below, any_below) in verdicts {
            for (counts, v) in result.methods.iter_mut().zip(v) {
                match scenario {
                    AA => {
                        counts.undefined += v.undefined as usize;
                        counts.upper += v.upper as usize;
                        counts.lower += v.lower as usize;
                        counts.cover_null += (v.covers == Some(true)) as usize;
                    }
                    ORDER_LIFT => {
                        counts.undefined += v.undefined as usize;
                        counts.cover_lift += (v.covers == Some(true)) as usize;
                    }
                    _ => {
                        counts.conv_undefined += v.undefined as usize;
                        counts.conv_cover_lift += (v.covers == Some(true)) as usize;
                        counts.conv_cover_diff += (v.covers_diff == Some(true)) as usize;
                        counts.conv_power += v.upper as usize;
                    }
                }
            }
            if scenario == AA {
                result.control_below_rule += control_below as usize;
                result.any_below_rule += any_below as usize;
            }
        }
    }
    result
}

/// Monte Carlo standard error of a rate `p` over `k` datasets.
pub fn mc_se(p: f64, k: usize) -> f64 {
    (p * (1.0 - p) / k as f64).sqrt()
}

/// Whether `count` of `k` is within 3 Monte Carlo standard errors (at the
/// target) of `target`.
pub fn within_3_se(count: usize, k: usize, target: f64) -> bool {
    (count as f64 / k as f64 - target).abs() <= 3.0 * mc_se(target, k)
}

/// `p ± SE` in percent.
fn pct(count: usize, k: usize) -> String {
    let p = count as f64 / k as f64;
    format!("{:.2} ± {:.2}", 100.0 * p, 100.0 * mc_se(p, k))
}

/// "ok", or each check off by more than 3 MC SE with its deviation.
fn flag(checks: &[(&str, usize, f64)], k: usize) -> String {
    let off: Vec<String> = checks
        .iter()
        .filter(|(_, count, target)| !within_3_se(*count, k, *target))
        .map(|(what, count, target)| {
            let dev = *count as f64 / k as f64 - target;
            format!("{what} {:+.2} pp ({:+.1} SE)", 100.0 * dev, dev / mc_se(*target, k))
        })
        .collect();
    if off.is_empty() { "ok".into() } else { off.join("; ") }
}

/// The markdown table of every cell and method.
pub fn table(results: &[CellResult], resamples: usize) -> String {
    let mut out = String::new();
    out.push_str(
        "| units | CV | method | A/A two-sided % | A/A upper tail % | A/A lower tail % | A/A CI covers 0 % | CI covers +10% (orders × 1.10) % | flag |\n",
    );
    out.push_str("|---:|---:|---|---:|---:|---:|---:|---:|---|\n");
    for r in results {
        let k = r.datasets;
        for (m, c) in r.methods.iter().enumerate() {
            let name = if m == PERMUTATION { format!("permutation test (B = {resamples})") } else { METHODS[m].into() };
            let two = c.upper + c.lower;
            let (rates, mut checks) = if m == WELCH_LOG {
                (["as Welch".to_string(), "as Welch".into(), "as Welch".into()], vec![])
            } else {
                (
                    [pct(two, k), pct(c.upper, k), pct(c.lower, k)],
                    vec![("two-sided", two, ALPHA), ("upper", c.upper, ALPHA / 2.0), ("lower", c.lower, ALPHA / 2.0)],
                )
            };
            checks.push(("A/A cover", c.cover_null, 1.0 - ALPHA));
            checks.push(("+10% cover", c.cover_lift, 1.0 - ALPHA));
            let undefined = if c.undefined > 0 { format!(" ({} undefined)", c.undefined) } else { String::new() };
            out.push_str(&format!(
                "| {} | {} | {name}{undefined} | {} | {} | {} | {} | {} | {} |\n",
                r.cell.units,
                r.cell.cv,
                rates[0],
                rates[1],
                rates[2],
                pct(c.cover_null, k),
                pct(c.cover_lift, k),
                flag(&checks, k)
            ));
        }
    }
    out
}

/// The markdown table of the conversion-lift scenario: coverage of
/// `TRUE_LIFT` by each lift CI and of `TRUE_DIFF_USD` by each difference CI,
/// and power (rejections with treatment above control, not checked).
pub fn conversion_table(results: &[CellResult], resamples: usize) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "| units | CV | method | lift CI covers +10% % | difference CI covers ${TRUE_DIFF_USD:.2} % | power % | flag |\n"
    ));
    out.push_str("|---:|---:|---|---:|---:|---:|---|\n");
    for r in results {
        let k = r.datasets;
        for (m, c) in r.methods.iter().enumerate() {
            let name = if m == PERMUTATION { format!("permutation test (B = {resamples})") } else { METHODS[m].into() };
            let mut checks = vec![("lift cover", c.conv_cover_lift, 1.0 - ALPHA)];
            let (diff, power) = if m == WELCH_LOG {
                ("as Welch".to_string(), "as Welch".to_string())
            } else {
                checks.push(("difference cover", c.conv_cover_diff, 1.0 - ALPHA));
                (pct(c.conv_cover_diff, k), pct(c.conv_power, k))
            };
            let undefined =
                if c.conv_undefined > 0 { format!(" ({} undefined)", c.conv_undefined) } else { String::new() };
            out.push_str(&format!(
                "| {} | {} | {name}{undefined} | {} | {diff} | {power} | {} |\n",
                r.cell.units,
                r.cell.cv,
                pct(c.conv_cover_lift, k),
                flag(&checks, k)
            ));
        }
    }
    out
}

/// The markdown table of the skewness rule per cell.
pub fn rule_table(results: &[CellResult]) -> String {
    let mut out = String::new();
    out.push_str("| units | CV | control units | control below 355·γ² % | an arm below (default = permutation) % |\n");
    out.push_str("|---:|---:|---:|---:|---:|\n");
    for r in results {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.cell.units,
            r.cell.cv,
            control_units(r.cell.units),
            pct(r.control_below_rule, r.datasets),
            pct(r.any_below_rule, r.datasets)
        ));
    }
    out
}

/// Calibration study of liftlab's tests on a 10% holdout of a small store.
#[derive(Parser, Debug)]
struct Args {
    /// Datasets per cell and scenario (K).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    datasets: u64,
    /// Seed of every random stream.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Re-randomizations of each permutation test (B).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    permutations: u64,
}

fn main() {
    let args = Args::parse();
    let cfg = StudyConfig {
        datasets: args.datasets as usize,
        resamples: args.permutations as usize,
        seed: args.seed,
        intervals: true,
    };
    let start = Instant::now();
    let total = CELLS.len() * 3 * cfg.datasets;
    let done = AtomicUsize::new(0);
    let step = (total / 200).max(1);
    let results: Vec<CellResult> = (0..CELLS.len())
        .map(|cell| {
            let tick = || {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n % step == 0 || n == total {
                    let s = CELLS[cell];
                    eprint!(
                        "\rcell {}/{} ({} units, CV {}): {n}/{total} datasets, {:.0} s   ",
                        cell + 1,
                        CELLS.len(),
                        s.units,
                        s.cv,
                        start.elapsed().as_secs_f64()
                    );
                }
            };
            run_cell(cell, &cfg, &tick)
        })
        .collect();
    eprintln!();
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "A/A and +10% lift tests, 10% holdout, conversion {}%, lognormal order values (mean ${MEAN_ORDER_USD}), \
         K = {} datasets per cell and scenario, B = {} re-randomizations, seed {}, alpha {ALPHA}.",
        100.0 * CONVERSION,
        cfg.datasets,
        cfg.resamples,
        cfg.seed
    );
    println!("Rates in %, ± one Monte Carlo SE √(p(1−p)/K); flag: \"ok\" when every rate is within 3 MC SE");
    println!("(computed at the target) of 5% two-sided, 2.5% per tail and 95% coverage.\n");
    println!("+10% as order values × 1.10:\n");
    print!("{}", table(&results, cfg.resamples));
    println!(
        "\n+10% as conversion {}% → {}%, order values unchanged (true difference ${TRUE_DIFF_USD:.2} per visitor; \
         power = rejections with treatment above control, not checked):\n",
        100.0 * CONVERSION,
        100.0 * CONVERSION * (1.0 + TRUE_LIFT)
    );
    print!("{}", conversion_table(&results, cfg.resamples));
    println!();
    print!("{}", rule_table(&results));
    println!("\nRun time: {elapsed:.1} s on {} threads.", rayon::current_num_threads());
}
