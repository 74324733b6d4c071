//! Criterion benchmark of the store simulator: simulate and aggregate
//! per-visitor totals in memory (no CSV).
//!
//! `cargo bench --bench simulate`; criterion reports sessions per second
//! (divide by the number of cores for sessions per second per core).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use liftlab::compare::{CompareConfig, compare};
use liftlab::sim::{Level, SimConfig, parse_arms, simulate};
use liftlab::store::StoreProfile;

/// A default-economics store with `sessions` expected sessions over 30 days.
fn store_with_sessions(sessions: f64) -> StoreProfile {
    let p = StoreProfile::default();
    let per_day = sessions / 30.0;
    StoreProfile { annual_revenue_usd: per_day * 365.0 * p.aov_usd * p.conversion_rate, ..p }
}

fn bench(c: &mut Criterion) {
    let cfg = SimConfig { days: 30, ..SimConfig::default() };
    let mut g = c.benchmark_group("simulate 30 days, per-visitor totals in memory");
    g.sample_size(10);
    for sessions in [10_000_000.0, 100_000_000.0] {
        let p = store_with_sessions(sessions);
        let actual = simulate(&p, &cfg, Level::Aggregate, &|_, _| {}, |_| Ok(())).unwrap();
        let n = actual.truth.control.sessions + actual.truth.treatment.sessions;
        g.throughput(Throughput::Elements(n));
        g.bench_function(format!("{}M sessions", sessions / 1e6), |b| {
            b.iter(|| simulate(black_box(&p), &cfg, Level::Aggregate, &|_, _| {}, |_| Ok(())).unwrap())
        });
    }
    g.finish();

    // Three arms (control, rules, model) against the two-arm test on the
    // same store: the per-arm effects and statistics should cost little.
    let mut g = c.benchmark_group("simulate 30 days, 10M sessions, arms");
    g.sample_size(10);
    let p = store_with_sessions(10_000_000.0);
    let three = SimConfig { arms: parse_arms("control=0.1,rules=0.45,model=0.45").unwrap(), ..cfg.clone() };
    for (name, config) in [("control/treatment", &cfg), ("control/rules/model", &three)] {
        g.bench_function(name, |b| {
            b.iter(|| simulate(black_box(&p), config, Level::Aggregate, &|_, _| {}, |_| Ok(())).unwrap())
        });
    }
    g.finish();

    // `liftlab compare` at $1.2M with a small sweep.
    let mut g = c.benchmark_group("compare");
    g.sample_size(10);
    let store = StoreProfile::with_annual_revenue(1_200_000.0);
    let config = CompareConfig { replicates: Some(40), revenues: vec![1e6, 4e6, 1.6e7], ..CompareConfig::default() };
    g.bench_function("$1.2M, 40 months, sweep of 3 sizes × 20", |b| {
        b.iter(|| compare(black_box(&store), &config, &|_, _| {}).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
