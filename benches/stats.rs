//! Criterion benchmarks of the analysis hot paths.
//!
//! `cargo bench --bench stats`. Figures are machine-dependent; compare
//! ratios measured in one run.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use liftlab::experiment::{AnalysisConfig, analyze};
use liftlab::io::{ColumnSpec, read_units};
use liftlab::rng::stream;
use liftlab::stats::{self, BootstrapConfig, Interval, Moments, Resampling};
use ndarray::Array1;
use rand::RngExt;
use rand_distr::{Distribution, LogNormal};

/// Zero-inflated revenue per unit: `p` converting, lognormal order values
/// with mean $80 and CV 1.
fn revenue(n: usize, p: f64, seed: u64) -> Array1<f64> {
    let s2 = 2f64.ln();
    let ln = LogNormal::new(80f64.ln() - s2 / 2.0, s2.sqrt()).unwrap();
    let mut rng = stream(seed, 900, 0);
    Array1::from_iter((0..n).map(|_| if rng.random::<f64>() < p { ln.sample(&mut rng) } else { 0.0 }))
}

fn moments(c: &mut Criterion) {
    let y = revenue(1_000_000, 0.025, 1);
    let x = revenue(1_000_000, 0.1, 2);
    c.bench_function("moments: 1M units, metric + covariate", |b| {
        b.iter(|| Moments::from_slices(black_box(y.as_slice().unwrap()), Some(x.as_slice().unwrap())))
    });
    let mc = Moments::from_slices(y.as_slice().unwrap(), Some(x.as_slice().unwrap()));
    let mt = Moments::from_slices(&y.as_slice().unwrap()[..500_000], Some(&x.as_slice().unwrap()[..500_000]));
    c.bench_function("welch + lift + cuped from moments", |b| {
        b.iter(|| {
            let w = stats::welch(&mc.estimate(), &mt.estimate(), 0.05).unwrap();
            let r = stats::relative_lift(&mc.estimate(), &mt.estimate(), 0.05).unwrap();
            let cu = stats::cuped(black_box(&mc), black_box(&mt), 0.05).unwrap();
            (w, r, cu)
        })
    });
}

fn bootstrap(c: &mut Criterion) {
    let mut g = c.benchmark_group("bootstrap B=2000");
    g.sample_size(10);
    let exact = BootstrapConfig::new(2000, 0.05, 7);
    let bca = BootstrapConfig { interval: Interval::Bca, ..exact };
    let poisson = BootstrapConfig { resampling: Resampling::Poisson, ..exact };
    // 1M units, 10% holdout, 2.5% converting: the sparse path.
    let ctl = revenue(100_000, 0.025, 3);
    let trt = revenue(900_000, 0.025, 4);
    for (name, cfg) in [("percentile", exact), ("BCa", bca), ("Poisson", poisson)] {
        g.bench_function(format!("zero-inflated, 1M units (sparse), {name}"), |b| {
            b.iter(|| stats::bootstrap_two_sample(ctl.view(), trt.view(), &cfg).unwrap())
        });
    }
    // Dense metric: 1M units, every unit non-zero.
    let dc = revenue(100_000, 1.0, 5);
    let dt = revenue(900_000, 1.0, 6);
    for (name, cfg) in [("percentile", exact), ("Poisson", poisson)] {
        g.bench_function(format!("dense, 1M units, {name}"), |b| {
            b.iter(|| stats::bootstrap_two_sample(dc.view(), dt.view(), &cfg).unwrap())
        });
    }
    g.finish();
}

fn permutation(c: &mut Criterion) {
    use stats::permutation::{ArmData, PermutationConfig, permutation_test};
    let mut g = c.benchmark_group("permutation B=2000");
    g.sample_size(10);
    // 1M units, 10% holdout, 2.5% converting: zeros drawn as one group per arm.
    let ctl = revenue(100_000, 0.025, 3);
    let trt = revenue(900_000, 0.025, 4);
    let (c_arm, t_arm) = (ArmData::mean(ctl.as_slice().unwrap()), ArmData::mean(trt.as_slice().unwrap()));
    let with_ci = PermutationConfig::new(2000, 0.05, 7);
    let p_only = PermutationConfig { intervals: false, ..with_ci };
    g.bench_function("zero-inflated, 1M units, p-values", |b| {
        b.iter(|| permutation_test(&c_arm, &t_arm, &p_only).unwrap())
    });
    g.bench_function("zero-inflated, 1M units, p-values + CIs", |b| {
        b.iter(|| permutation_test(&c_arm, &t_arm, &with_ci).unwrap())
    });
    // Dense metric, 100k units 50/50 (every unit drawn one by one).
    let dc = revenue(50_000, 1.0, 5);
    let dt = revenue(50_000, 1.0, 6);
    let (dc, dt) = (ArmData::mean(dc.as_slice().unwrap()), ArmData::mean(dt.as_slice().unwrap()));
    g.bench_function("dense, 100k units 50/50, p-values + CIs", |b| {
        b.iter(|| permutation_test(&dc, &dt, &with_ci).unwrap())
    });
    g.finish();
}

fn hillstrom(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/hillstrom/hillstrom.csv");
    if !path.exists() {
        eprintln!("skipping the Hillstrom benchmarks: {} not found", path.display());
        return;
    }
    let spec = ColumnSpec {
        variant: Some("segment".into()),
        metrics: vec!["spend".into()],
        covariate: Some("history".into()),
        segment: None,
    };
    let mut g = c.benchmark_group("hillstrom (64,000 rows)");
    g.sample_size(20);
    g.bench_function("read CSV", |b| b.iter(|| read_units(&path, &spec).unwrap()));
    let table = read_units(&path, &spec).unwrap();
    let mut config = AnalysisConfig::new("No E-Mail", "segment");
    config.covariate_name = Some("history".into());
    g.bench_function("analyze spend + CUPED", |b| b.iter(|| analyze(&table, &config).unwrap()));
    config.bootstrap = 2000;
    g.bench_function("analyze spend + CUPED + bootstrap 2000", |b| b.iter(|| analyze(&table, &config).unwrap()));
    g.finish();
}

criterion_group!(benches, moments, bootstrap, permutation, hillstrom);
criterion_main!(benches);
