//! Reading a simulated holdout `K` times: what naive peeking, a
//! group-sequential design, an always-valid confidence sequence and a
//! single final look decide on the same simulated tests.
//!
//! Each replicate is one simulated test read at `K` equally spaced days
//! ([`crate::sim::SimConfig::looks`]: visitors seen so far, on their
//! sessions so far). At every look the metric's Welch/delta-method
//! estimate `δ̂_j`, standard error `s_j` and `z_j = δ̂_j/s_j` are computed,
//! then:
//! - **naive peeking** stops at the first look with two-sided `p < α`;
//! - **group-sequential** stops at the first `|z_j| ≥ c_j`, the two-sided
//!   O'Brien–Fleming-type spending boundaries (Lan & DeMets 1983) at the
//!   expected information fractions `t_j = mean(r_K²)/mean(r_j²)` over tests
//!   (`r_j` the SE relative to the control mean)
//!   ([`crate::stats::sequential::group_sequential_bounds`]): a design
//!   planned on the store's traffic, whose visitors come back, so
//!   information grows more slowly than days;
//! - **confidence sequence** stops at the first look whose always-valid
//!   interval excludes 0 (Waudby-Smith et al. 2021; GrowthBook's asymptotic
//!   CS, tuned for the final look's units:
//!   [`crate::stats::sequential::confidence_sequence_pvalue`]);
//! - **single look** reads only day `K`.
//!
//! A rejection with the sign of a true lift counts as a detection (power);
//! with no lift, any rejection is a false positive.

use rayon::prelude::*;
use serde::Serialize;

use super::{PowerConfig, replicate_config};
use crate::error::{Error, Result};
use crate::sim::{Level, SimConfig, SimResult, simulate};
use crate::stats::sequential::{
    Spending, confidence_sequence_pvalue, confidence_sequence_rho, group_sequential_bounds,
};
use crate::stats::{self, ArmEstimate, Moments};
use crate::store::StoreProfile;

/// Most looks a test may be read at.
pub const MAX_LOOKS: u32 = 52;

/// The metrics read at every look: contribution margin per session (delta
/// method) and revenue per visitor (Welch).
pub const LOOK_METRICS: [&str; 2] = ["margin per session (delta)", "revenue per visitor (Welch)"];

/// How a test read `K` times decides.
pub const LOOK_METHODS: [&str; 4] =
    ["naive peeking", "group-sequential (O'Brien-Fleming)", "confidence sequence", "single final look"];

/// One metric × method's simulated operating characteristics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookRow {
    /// Metric.
    pub metric: String,
    /// Decision method (one of [`LOOK_METHODS`]).
    pub method: String,
    /// Share of tests that rejected H0 at some look (either direction): the
    /// false-positive rate when the lift is 0.
    pub rejection_rate: f64,
    /// Monte Carlo SE of `rejection_rate`.
    pub rejection_rate_se: f64,
    /// Share that rejected in the direction of the true lift (0 with no lift).
    pub power: f64,
    /// Monte Carlo SE of `power`.
    pub power_se: f64,
    /// Mean day the test stopped (the last look's day when it never rejected).
    pub mean_stop_day: f64,
}

/// The result of [`monte_carlo_looks`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LooksReport {
    /// Store (preset or profile name).
    pub store: String,
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Test settings (`looks` holds the read days).
    pub sim: SimConfig,
    /// True conversion lift simulated.
    pub lift: f64,
    /// Replicates, α and seed.
    pub config: PowerConfig,
    /// One row per metric × method, metrics in [`LOOK_METRICS`] order.
    pub rows: Vec<LookRow>,
}

/// The read days of a `days`-day test read `looks` times: `round(j·days/K)`.
///
/// # Errors
/// [`Error::InvalidParameter`] for `looks` outside `1..=min(days, 52)`.
pub fn look_days(days: u32, looks: u32) -> Result<Vec<u32>> {
    if looks == 0 || looks > MAX_LOOKS.min(days) {
        return Err(Error::invalid(
            "--looks",
            looks,
            &format!("1 to {} looks (at most one a day)", MAX_LOOKS.min(days)),
        ));
    }
    Ok((1..=looks).map(|j| ((j as f64 * days as f64 / looks as f64).round() as u32).max(1)).collect())
}

/// One metric's estimate at one look: effect (treatment − control, metric
/// units), its SE and the units read.
#[derive(Debug, Clone, Copy)]
struct Read {
    effect: f64,
    se: f64,
    n: f64,
    /// SE relative to the control mean.
    rel_se: f64,
}

fn read(c: &Moments, t: &Moments, ratio: bool) -> Option<Read> {
    let est = |m: &Moments| -> Option<ArmEstimate> {
        if ratio { stats::ratio_estimate(m).ok() } else { (m.n() >= 2).then(|| m.estimate()) }
    };
    let (ec, et) = (est(c)?, est(t)?);
    let se = (ec.var_of_mean + et.var_of_mean).sqrt();
    let rel_se = se / ec.mean.abs();
    (se > 0.0 && se.is_finite() && rel_se.is_finite()).then_some(Read {
        effect: et.mean - ec.mean,
        se,
        n: ec.n + et.n,
        rel_se,
    })
}

/// The information fractions of the looks, `t_j = mean(r_K²)/mean(r_j²)`
/// with `r_j` the SE relative to the control mean, over the tests whose
/// every look could be read (the ratio of mean variances, robust to a test
/// whose early SE is tiny by chance), made strictly increasing and ending
/// at 1. Relative, because a per-visitor metric's mean grows as visitors
/// come back, so its absolute SE need not shrink while the lift's does.
fn expected_info(tests: &[Vec<Option<Read>>]) -> Vec<f64> {
    let k = tests.first().map_or(0, Vec::len);
    let full: Vec<&Vec<Option<Read>>> = tests.iter().filter(|t| t.iter().all(Option::is_some)).collect();
    let var = |j: usize| full.iter().map(|t| t[j].expect("full").rel_se.powi(2)).sum::<f64>();
    let mut info: Vec<f64> =
        (0..k).map(|j| if full.is_empty() { (j + 1) as f64 / k as f64 } else { var(k - 1) / var(j) }).collect();
    if let Some(l) = info.last_mut() {
        *l = 1.0;
    }
    for j in (0..k.saturating_sub(1)).rev() {
        info[j] = info[j].min(info[j + 1] * (1.0 - 1e-9));
    }
    info
}

/// Each method's stop: the look index and the sign of the estimate, `None`
/// for no rejection (in [`LOOK_METHODS`] order).
type Decisions = [Option<(usize, i8)>; 4];

/// The stopping look (index) and sign of each method on one replicate's
/// reads, `None` for no rejection; `bounds` are the group-sequential
/// boundaries of every look.
fn decide(reads: &[Option<Read>], bounds: &[f64], alpha: f64) -> Decisions {
    let sign = |r: &Read| (r.effect > 0.0) as i8 - (r.effect < 0.0) as i8;
    let z_crit = stats::dist::normal_upper_quantile(alpha / 2.0);
    let last = reads.len() - 1;
    let naive = reads
        .iter()
        .enumerate()
        .find_map(|(j, r)| r.filter(|r| (r.effect / r.se).abs() >= z_crit).map(|r| (j, sign(&r))));
    let single = reads[last].filter(|r| (r.effect / r.se).abs() >= z_crit).map(|r| (last, sign(&r)));
    let sequential = reads
        .iter()
        .zip(bounds)
        .enumerate()
        .find_map(|(j, (r, c))| r.filter(|r| (r.effect / r.se).abs() >= *c).map(|r| (j, sign(&r))));
    let cs = match reads[last] {
        Some(fin) => {
            let rho = confidence_sequence_rho(fin.n, alpha);
            reads.iter().enumerate().find_map(|(j, r)| {
                r.filter(|r| confidence_sequence_pvalue(r.effect, r.se, r.n, rho) < alpha).map(|r| (j, sign(&r)))
            })
        }
        None => None,
    };
    [naive, sequential, cs, single]
}

/// Simulates `config.replicates` tests of `sim.days` days at `lift`, each
/// read at `looks` equally spaced days, and reports every method of
/// [`LOOK_METHODS`] for every metric of [`LOOK_METRICS`] on the same tests.
///
/// # Formula
/// Per method, `rejection_rate = #{tests rejecting at some look}/R` and
/// `power = #{rejections with the sign of the lift}/R`, Monte Carlo SE
/// `√(p(1 − p)/R)`; `mean_stop_day` averages the day of the stopping look.
///
/// `progress(done, total)` counts replicates. Replicate `r` uses the seeds
/// of [`super::monte_carlo_power`]'s replicate `r`, so results are
/// bit-identical whatever the thread count.
///
/// # Errors
/// As [`look_days`] and [`simulate`]; [`Error::InvalidParameter`] for fewer
/// than 20 replicates.
pub fn monte_carlo_looks(
    profile: &StoreProfile,
    sim: &SimConfig,
    lift: f64,
    looks: u32,
    config: &PowerConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<LooksReport> {
    if config.replicates < 20 {
        return Err(Error::invalid("--replicates", config.replicates, "at least 20 simulated tests"));
    }
    let days = look_days(sim.days, looks)?;
    let sim = SimConfig { looks: days.clone(), ..sim.clone() };
    let mut p = profile.clone();
    p.treatment.conversion_lift = lift;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = config.replicates;
    let reads: Vec<[Vec<Option<Read>>; 2]> = (0..total as u64)
        .into_par_iter()
        .map(|r| {
            let cfg = replicate_config(&sim, r);
            let result: SimResult = simulate(&p, &cfg, Level::Aggregate, &|_, _| {}, |_| Ok(()))?;
            let margin: Vec<Option<Read>> =
                result.looks.iter().map(|s| read(&s.margin_per_session[0], &s.margin_per_session[1], true)).collect();
            let revenue: Vec<Option<Read>> =
                result.looks.iter().map(|s| read(&s.revenue[0], &s.revenue[1], false)).collect();
            let k = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(k, total);
            Ok([margin, revenue])
        })
        .collect::<Result<Vec<_>>>()?;
    let bounds_of = |m: usize| {
        let tests: Vec<Vec<Option<Read>>> = reads.iter().map(|r| r[m].clone()).collect();
        group_sequential_bounds(&expected_info(&tests), config.alpha, Spending::OBrienFleming)
    };
    let bounds = [bounds_of(0)?, bounds_of(1)?];
    let decisions: Vec<[Decisions; 2]> = reads
        .iter()
        .map(|r| [decide(&r[0], &bounds[0], config.alpha), decide(&r[1], &bounds[1], config.alpha)])
        .collect();
    let kf = total as f64;
    let se = |p: f64| (p * (1.0 - p) / kf).sqrt();
    let want = (lift > 0.0) as i8 - (lift < 0.0) as i8;
    let mut rows = Vec::new();
    for (m, metric) in LOOK_METRICS.iter().enumerate() {
        for (k, method) in LOOK_METHODS.iter().enumerate() {
            let col = decisions.iter().map(|d| d[m][k]);
            let rejected = col.clone().filter(|d| d.is_some()).count() as f64 / kf;
            let hits = col.clone().filter(|d| want != 0 && d.is_some_and(|(_, s)| s == want)).count() as f64 / kf;
            let stop = col.map(|d| days[d.map_or(days.len() - 1, |(j, _)| j)] as f64).sum::<f64>() / kf;
            rows.push(LookRow {
                metric: metric.to_string(),
                method: method.to_string(),
                rejection_rate: rejected,
                rejection_rate_se: se(rejected),
                power: hits,
                power_se: se(hits),
                mean_stop_day: stop,
            });
        }
    }
    Ok(LooksReport {
        store: profile.name.clone(),
        annual_revenue_usd: profile.annual_revenue_usd,
        sim,
        lift,
        config: config.clone(),
        rows,
    })
}
