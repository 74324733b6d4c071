//! A unit-level holdout simulator: customers, a pre-period, a test period.

use rand::RngExt;
use rand_distr::{Distribution, LogNormal, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;

use crate::assign::{Arm, assign};
use crate::error::{Result, check_non_negative, check_open_unit, check_positive};
use crate::rng::{domain, stream};

/// Units generated per random stream (a shard); fixes the layout of draws,
/// so output does not depend on the number of threads.
pub const SHARD_UNITS: usize = 16_384;

/// Parameters of the unit-level model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitSimConfig {
    /// Number of units (customers).
    pub units: usize,
    /// Share of units held out as control, in (0, 1).
    pub holdout: f64,
    /// Mean probability that a unit orders in the test period (a fraction).
    pub conversion_rate: f64,
    /// Mean order value, USD.
    pub aov_usd: f64,
    /// Coefficient of variation of the order value.
    pub aov_cv: f64,
    /// True relative lift of the treatment on the conversion probability
    /// (so also on revenue per unit), a fraction.
    pub lift: f64,
    /// Spread σ of the latent log-propensity: each unit's order probability
    /// is `p·exp(σz − σ²/2)`, `z ~ N(0, 1)`; larger σ, stronger pre/post
    /// correlation.
    pub propensity_sd: f64,
    /// Length of the pre-period in test periods (e.g. 6 = six times as long).
    pub pre_periods: u32,
    /// Random seed.
    pub seed: u64,
    /// Assignment salt.
    pub salt: u64,
}

impl Default for UnitSimConfig {
    fn default() -> Self {
        Self {
            units: 20_000,
            holdout: 0.10,
            conversion_rate: 0.025,
            aov_usd: 80.0,
            aov_cv: 1.0,
            lift: 0.0,
            propensity_sd: 1.5,
            pre_periods: 6,
            seed: 1,
            salt: 1,
        }
    }
}

/// One simulated unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UnitRow {
    /// Unit id, `0..units`.
    pub unit_id: u64,
    /// Arm label.
    pub arm: &'static str,
    /// `returning` if the unit ordered in the pre-period, else `new`.
    pub cohort: &'static str,
    /// Revenue in the pre-period, USD (the CUPED covariate).
    pub pre_revenue: f64,
    /// Orders in the test period.
    pub orders: u32,
    /// 1 if the unit ordered in the test period.
    pub converted: u32,
    /// Revenue in the test period, USD.
    pub revenue: f64,
}

/// Simulates a unit-level holdout test.
///
/// # Model
/// Unit `i` has a latent order probability `p_i = min(1, p·exp(σz_i − σ²/2))`.
/// In each of `pre_periods` pre-periods it orders with probability `p_i`;
/// in the test period with `p_i·(1 + lift)` if treated. Order values are
/// lognormal with mean `A` and CV `c` (`s² = ln(1 + c²)`,
/// `μ = ln A − s²/2`). Assignment hashes `(salt, i)` ([`assign`]).
///
/// Deterministic: shard `k` (units `k·16384 ..`) draws from the stream
/// `(seed, SYNTH, k)`, whatever the number of threads.
///
/// # Errors
/// [`crate::Error::InvalidParameter`] for a holdout or conversion rate outside
/// (0, 1), a non-positive AOV, a negative CV, σ or lift below −1.
pub fn simulate_units(cfg: &UnitSimConfig) -> Result<Vec<UnitRow>> {
    check_open_unit("--holdout", cfg.holdout)?;
    check_open_unit("--conversion-rate", cfg.conversion_rate)?;
    check_positive("--aov", cfg.aov_usd)?;
    check_non_negative("--aov-cv", cfg.aov_cv)?;
    check_non_negative("propensity_sd", cfg.propensity_sd)?;
    if !(cfg.lift.is_finite() && cfg.lift > -1.0) {
        return Err(crate::Error::invalid("--lift", cfg.lift, "a relative lift greater than -1"));
    }
    let s2 = (1.0 + cfg.aov_cv * cfg.aov_cv).ln();
    let order_value = LogNormal::new(cfg.aov_usd.ln() - s2 / 2.0, s2.sqrt())
        .map_err(|e| crate::Error::invalid("--aov-cv", cfg.aov_cv, &e.to_string()))?;
    let shards = cfg.units.div_ceil(SHARD_UNITS);
    let rows: Vec<Vec<UnitRow>> = (0..shards)
        .into_par_iter()
        .map(|k| {
            let mut rng = stream(cfg.seed, domain::SYNTH, k as u64);
            let start = k * SHARD_UNITS;
            let end = (start + SHARD_UNITS).min(cfg.units);
            (start..end)
                .map(|i| {
                    let id = i as u64;
                    let arm = assign(cfg.salt, id, cfg.holdout);
                    let z: f64 = StandardNormal.sample(&mut rng);
                    let sd = cfg.propensity_sd;
                    let p = (cfg.conversion_rate * (sd * z - sd * sd / 2.0).exp()).min(1.0);
                    let mut pre_revenue = 0.0;
                    for _ in 0..cfg.pre_periods {
                        if rng.random::<f64>() < p {
                            pre_revenue += order_value.sample(&mut rng);
                        }
                    }
                    let p_test = if arm == Arm::Treatment { (p * (1.0 + cfg.lift)).min(1.0) } else { p };
                    let converted = rng.random::<f64>() < p_test;
                    let revenue = if converted { order_value.sample(&mut rng) } else { 0.0 };
                    UnitRow {
                        unit_id: id,
                        arm: arm.label(),
                        cohort: if pre_revenue > 0.0 { "returning" } else { "new" },
                        pre_revenue: round_cents(pre_revenue),
                        orders: converted as u32,
                        converted: converted as u32,
                        revenue: round_cents(revenue),
                    }
                })
                .collect()
        })
        .collect();
    Ok(rows.into_iter().flatten().collect())
}

fn round_cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_its_parameters() {
        let cfg = UnitSimConfig { units: 200_000, ..UnitSimConfig::default() };
        let rows = simulate_units(&cfg).unwrap();
        let n = rows.len() as f64;
        let control = rows.iter().filter(|r| r.arm == "control").count() as f64;
        // Holdout share: SE = √(0.1·0.9/n) ≈ 0.00067.
        assert!((control / n - 0.1).abs() < 4.0 * (0.09f64 / n).sqrt());
        let conv = rows.iter().map(|r| r.converted as f64).sum::<f64>() / n;
        assert!((conv - 0.025).abs() < 4.0 * (0.025f64 * 0.975 / n).sqrt(), "{conv}");
        let buyers: Vec<f64> = rows.iter().filter(|r| r.converted == 1).map(|r| r.revenue).collect();
        let aov = buyers.iter().sum::<f64>() / buyers.len() as f64;
        // CV 1: SE of the mean ≈ 80/√(buyers).
        assert!((aov - 80.0).abs() < 4.0 * 80.0 / (buyers.len() as f64).sqrt(), "{aov}");
    }

    #[test]
    fn same_seed_same_rows_whatever_the_threads() {
        let cfg = UnitSimConfig { units: 40_000, ..UnitSimConfig::default() };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| simulate_units(&cfg).unwrap())
        };
        assert_eq!(run(1), run(2));
    }
}
