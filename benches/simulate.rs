//! Criterion benchmark of the store simulator: simulate and aggregate
//! per-visitor totals in memory (no CSV).
//!
//! `cargo bench --bench simulate`; criterion reports sessions per second
//! (divide by the number of cores for sessions per second per core).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use liftlab::sim::{Level, SimConfig, simulate};
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
