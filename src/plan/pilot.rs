//! What one visitor of a store looks like after `d` days of a test,
//! measured once on a pilot simulation, and the analytic MDE, power and
//! days-to-detect that follow for a store of any size.
//!
//! A store's profile fixes what its visitors do; its annual revenue only
//! how many people its audience holds. So one pilot of the profile — an A/A
//! simulation read at a grid of durations ([`crate::sim::SimConfig::looks`])
//! — gives, for every duration `d`, the per-visitor mean, linearized
//! standard deviation and CUPED variance reduction of each metric; the
//! reach curve ([`crate::sim::traffic::expected_visitors`]) gives the unique
//! visitors `U(d)` of a store of any revenue. Between grid durations the
//! squared relative sd and `ρ²` are interpolated linearly in `ln d`.
//!
//! This is what `liftlab plan --store`, `liftlab frontier` and the
//! recommended rule of `liftlab audit` compute, so a store gets one answer;
//! `liftlab power --mde` checks it by simulating whole tests.

use serde::Serialize;

use crate::error::{Error, Result, check_open_unit, check_positive};
use crate::sim::{Level, PooledStats, SimConfig, simulate, traffic};
use crate::stats::{self, Moments};
use crate::store::StoreProfile;

/// Unique visitors the pilot reaches by its last look.
pub const PILOT_VISITORS: f64 = 600_000.0;

/// Durations, in days, at which the pilot is read (those within the
/// horizon are used, plus the horizon itself).
pub const PILOT_GRID_DAYS: &[u32] = &[
    1, 2, 3, 4, 5, 7, 10, 14, 21, 28, 30, 35, 42, 49, 56, 60, 70, 84, 90, 105, 120, 150, 180, 240, 300, 365, 450, 540,
    630, 730,
];

/// The metrics a store plan covers, in the playbooks' order of importance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanMetric {
    /// Contribution margin per session: a ratio metric with the visitor as
    /// the randomized unit (delta method). The primary metric.
    MarginPerSession,
    /// Revenue per visitor.
    RevenuePerVisitor,
    /// Conversion: orders per session (a ratio metric).
    Conversion,
}

impl PlanMetric {
    /// All metrics, primary first.
    pub const ALL: [PlanMetric; 3] =
        [PlanMetric::MarginPerSession, PlanMetric::RevenuePerVisitor, PlanMetric::Conversion];

    /// Name for tables.
    pub fn label(self) -> &'static str {
        match self {
            PlanMetric::MarginPerSession => "margin per session",
            PlanMetric::RevenuePerVisitor => "revenue per visitor",
            PlanMetric::Conversion => "conversion",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Per-visitor moments of one metric after some days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MetricMoments {
    /// Mean of the metric (USD per session or per visitor; orders per session).
    pub mean: f64,
    /// Per-visitor standard deviation; for a ratio metric the sd of the
    /// linearized unit values `(y_i − R·x_i)/x̄`, so that `sd/√n` is the
    /// delta-method standard error (Deng, Knoblich & Lu 2018).
    pub sd: f64,
    /// Squared correlation with the pre-period revenue: the CUPED variance
    /// reduction (Deng, Xu, Kohavi & Walker 2013).
    pub cuped_r2: f64,
}

impl MetricMoments {
    /// Per-visitor relative sd `σ·√(1 − ρ²)/μ` (ρ² = 0 without CUPED).
    pub fn rel_sd(&self, cuped: bool) -> f64 {
        let r2 = if cuped { self.cuped_r2 } else { 0.0 };
        self.sd * (1.0 - r2).sqrt() / self.mean
    }

    /// A plain metric `y` with covariate `x`: `μ = ȳ`, `σ = s_y`, `ρ² = corr²`.
    fn plain(m: &Moments) -> Self {
        Self { mean: m.mean(), sd: m.var().sqrt(), cuped_r2: m.corr_xy().powi(2) }
    }

    /// A ratio `Σy/Σx` per visitor from the moments of `(y, x)`, `(y, pre)`
    /// and `(x, pre)`.
    ///
    /// # Formula
    /// `R = ȳ/x̄`, `l = (y − R·x)/x̄`: `Var l = (s²_y − 2R·s_xy + R²·s²_x)/x̄²`,
    /// `Cov(l, pre) = (s_{y,pre} − R·s_{x,pre})/x̄`, `ρ² = Cov²/(Var l · s²_pre)`.
    fn ratio(yx: &Moments, y_pre: &Moments, x_pre: &Moments) -> Self {
        let (xbar, r) = (yx.mean_x(), yx.mean() / yx.mean_x());
        let var_l = (yx.var() - 2.0 * r * yx.cov_xy() + r * r * yx.var_x()) / (xbar * xbar);
        let cov = (y_pre.cov_xy() - r * x_pre.cov_xy()) / xbar;
        let r2 = cov * cov / (var_l * y_pre.var_x());
        Self { mean: r, sd: var_l.max(0.0).sqrt(), cuped_r2: if r2.is_finite() { r2.min(1.0) } else { 0.0 } }
    }
}

/// The pilot read at one duration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PilotLook {
    /// Days since the start.
    pub days: u32,
    /// Pilot visitors seen by then.
    pub visitors: u64,
    /// Per-visitor moments of each [`PlanMetric`], in [`PlanMetric::ALL`] order.
    pub metrics: [MetricMoments; 3],
}

/// A store profile's per-visitor moments by duration, from an A/A pilot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pilot {
    /// The profile measured (its own annual revenue).
    #[serde(skip)]
    pub profile: StoreProfile,
    /// Seed of the pilot simulation.
    pub seed: u64,
    /// Longest duration measured, days.
    pub horizon_days: u32,
    /// The pilot's reads, by ascending duration.
    pub looks: Vec<PilotLook>,
}

impl Pilot {
    /// Simulates an A/A pilot of `profile` (no treatment effect, no fee)
    /// scaled to reach [`PILOT_VISITORS`] unique visitors by `horizon_days`,
    /// and reads it at every [`PILOT_GRID_DAYS`] within the horizon.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a horizon of 0 days; as
    /// [`simulate`]; [`Error::Degenerate`] if a metric has no variance.
    pub fn measure(profile: &StoreProfile, seed: u64, horizon_days: u32) -> Result<Self> {
        profile.validate()?;
        if horizon_days == 0 {
            return Err(Error::invalid("--days", 0, "at least 1 day"));
        }
        let mut aa = profile.clone();
        aa.treatment.conversion_lift = 0.0;
        aa.treatment.aov_lift = 0.0;
        aa.treatment.margin_mix_lift = 0.0;
        aa.platform_fee_usd_per_month = 0.0;
        let reach = traffic::expected_visitors(profile, 0, horizon_days as f64);
        aa.annual_revenue_usd = profile.annual_revenue_usd * PILOT_VISITORS / reach;
        let mut looks: Vec<u32> = PILOT_GRID_DAYS.iter().copied().filter(|&d| d < horizon_days).collect();
        looks.push(horizon_days);
        let cfg = SimConfig { days: horizon_days, holdout: 0.5, seed, salt: seed, looks, ..SimConfig::default() };
        let result = simulate(&aa, &cfg, Level::Aggregate, &|_, _| {}, |_| Ok(()))?;
        let looks = cfg
            .looks
            .iter()
            .zip(&result.looks)
            .map(|(&days, stats)| {
                let p: PooledStats = stats.pooled();
                let metrics = [
                    MetricMoments::ratio(&p.margin_per_session, &p.margin_pre, &p.sessions_pre),
                    MetricMoments::plain(&p.revenue),
                    MetricMoments::ratio(&p.orders_per_session, &p.orders_pre, &p.sessions_pre),
                ];
                for (m, metric) in metrics.iter().zip(PlanMetric::ALL) {
                    if !(m.sd > 0.0 && m.mean > 0.0) {
                        return Err(Error::Degenerate {
                            metric: metric.label().into(),
                            message: format!(
                                "the pilot simulation has no variance at {days} days; check the store profile"
                            ),
                        });
                    }
                }
                Ok(PilotLook { days, visitors: p.revenue.n(), metrics })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { profile: profile.clone(), seed, horizon_days, looks })
    }

    /// Expected unique visitors (both arms) of a `days`-day test at a store
    /// of this profile with `annual_revenue_usd` ([`traffic::expected_visitors`],
    /// linear in revenue).
    pub fn visitors(&self, annual_revenue_usd: f64, days: f64) -> f64 {
        traffic::expected_visitors(&self.profile, 0, days) * annual_revenue_usd / self.profile.annual_revenue_usd
    }

    /// Per-visitor moments of `metric` after `days`: the squared relative sd
    /// and `ρ²` interpolated linearly in `ln d` between the pilot's reads
    /// (the nearest read outside them).
    pub fn moments(&self, metric: PlanMetric, days: f64) -> MetricMoments {
        let i = metric.index();
        let at = |k: usize| self.looks[k].metrics[i];
        let k = self.looks.partition_point(|l| (l.days as f64) < days);
        if k == 0 {
            return at(0);
        }
        if k == self.looks.len() {
            return at(k - 1);
        }
        let (a, b) = (at(k - 1), at(k));
        let (da, db) = ((self.looks[k - 1].days as f64).ln(), (self.looks[k].days as f64).ln());
        let w = (days.ln() - da) / (db - da);
        let lerp = |x: f64, y: f64| x + w * (y - x);
        let rel2 = lerp((a.sd / a.mean).powi(2), (b.sd / b.mean).powi(2));
        let mean = lerp(a.mean, b.mean);
        MetricMoments { mean, sd: rel2.sqrt() * mean, cuped_r2: lerp(a.cuped_r2, b.cuped_r2) }
    }

    /// Relative standard error of the lift estimate of `metric` in a test of
    /// `days` at a store of `annual_revenue_usd` with a `holdout` share, with
    /// no true lift.
    ///
    /// # Formula
    /// `SE_rel = σ(d)·√(1 − ρ²(d))/μ(d) · √(1/(h·U(d)) + 1/((1 − h)·U(d)))`,
    /// `ρ² = 0` without CUPED.
    pub fn rel_se(&self, metric: PlanMetric, annual_revenue_usd: f64, days: f64, holdout: f64, cuped: bool) -> f64 {
        self.rel_se_at(metric, annual_revenue_usd, days, holdout, cuped, 0.0)
    }

    /// [`Pilot::rel_se`] when the treatment truly lifts the metric by `lift`:
    /// the treatment arm's variance grows by `1 + lift`, as a zero-inflated
    /// metric's does when the lift comes from more buyers (`Var ≈ p·E[V²]`
    /// for a small buying probability `p`). Welch's test estimates each arm's
    /// own variance, so this is the SE its power depends on.
    ///
    /// # Formula
    /// `SE_rel(L) = σ·√(1 − ρ²)/μ · √(1/(h·U) + (1 + L)/((1 − h)·U))`.
    pub fn rel_se_at(
        &self,
        metric: PlanMetric,
        annual_revenue_usd: f64,
        days: f64,
        holdout: f64,
        cuped: bool,
        lift: f64,
    ) -> f64 {
        let u = self.visitors(annual_revenue_usd, days);
        rel_se_at(self.moments(metric, days).rel_sd(cuped), u, holdout, lift)
    }

    /// Relative MDE: the lift `L` with `L = k(α, power)·SE_rel(L)`
    /// ([`stats::mde_multiplier`], [`Pilot::rel_se_at`]), by fixed-point
    /// iteration from `L₀ = k·SE_rel(0)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for α or power outside (0, 1), power ≤ α,
    /// a holdout outside (0, 1) or non-positive revenue or days.
    #[allow(clippy::too_many_arguments)]
    pub fn rel_mde(
        &self,
        metric: PlanMetric,
        annual_revenue_usd: f64,
        days: f64,
        holdout: f64,
        cuped: bool,
        alpha: f64,
        power: f64,
    ) -> Result<f64> {
        check_positive("annual revenue", annual_revenue_usd)?;
        check_positive("--days", days)?;
        check_open_unit("--holdout", holdout)?;
        let k = stats::mde_multiplier(alpha, power)?;
        let u = self.visitors(annual_revenue_usd, days);
        Ok(rel_mde_at(self.moments(metric, days).rel_sd(cuped), u, holdout, k))
    }

    /// Analytic power at relative lift `lift`: `Φ(k − z) + Φ(−k − z)`,
    /// `k = |lift|/SE_rel(lift)` ([`stats::power_at`], [`Pilot::rel_se_at`]).
    #[allow(clippy::too_many_arguments)]
    pub fn power(
        &self,
        metric: PlanMetric,
        annual_revenue_usd: f64,
        days: f64,
        holdout: f64,
        cuped: bool,
        lift: f64,
        alpha: f64,
    ) -> f64 {
        stats::power_at(lift, self.rel_se_at(metric, annual_revenue_usd, days, holdout, cuped, lift), alpha)
    }

    /// Whole days until the relative MDE reaches `lift`, or `None` if it
    /// does not within the pilot's horizon. `inflation` multiplies the
    /// information needed (1 for a single look; a group-sequential design's
    /// inflation factor otherwise): the MDE at `d` is then `√R·MDE(d)`.
    ///
    /// # Errors
    /// As [`Pilot::rel_mde`].
    #[allow(clippy::too_many_arguments)]
    pub fn days_to_detect(
        &self,
        metric: PlanMetric,
        annual_revenue_usd: f64,
        holdout: f64,
        cuped: bool,
        lift: f64,
        alpha: f64,
        power: f64,
        inflation: f64,
    ) -> Result<Option<u32>> {
        check_positive("--target-lift", lift)?;
        let mde = |d: u32| -> Result<f64> {
            Ok(inflation.sqrt() * self.rel_mde(metric, annual_revenue_usd, d as f64, holdout, cuped, alpha, power)?)
        };
        if mde(self.horizon_days)? > lift {
            return Ok(None);
        }
        // The MDE falls with the duration: bisection on whole days.
        let (mut lo, mut hi) = (0u32, self.horizon_days);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if mde(mid)? <= lift {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(Some(hi))
    }
}

/// Relative SE of a lift `lift` with `units` randomized units (both arms)
/// of per-unit relative sd `rel_sd`: `rel_sd·√(1/(h·U) + (1 + L)/((1 − h)·U))`
/// (see [`Pilot::rel_se_at`]).
pub fn rel_se_at(rel_sd: f64, units: f64, holdout: f64, lift: f64) -> f64 {
    let grow = (1.0 + lift).max(0.0);
    rel_sd * (1.0 / (holdout * units) + grow / ((1.0 - holdout) * units)).sqrt()
}

/// The relative MDE `L = k·SE_rel(L)` ([`rel_se_at`]) by fixed-point
/// iteration from `L₀ = k·SE_rel(0)`; `k = z_{1−α/2} + z_power`.
pub fn rel_mde_at(rel_sd: f64, units: f64, holdout: f64, k: f64) -> f64 {
    let mut lift = k * rel_se_at(rel_sd, units, holdout, 0.0);
    for _ in 0..50 {
        let next = k * rel_se_at(rel_sd, units, holdout, lift);
        let done = (next - lift).abs() <= 1e-12 * lift;
        lift = next;
        if done {
            break;
        }
    }
    lift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pilot_reads_a_store_at_every_duration() {
        let p = StoreProfile::default();
        let pilot = Pilot::measure(&p, 1, 120).unwrap();
        assert_eq!(pilot.looks.last().unwrap().days, 120);
        let margin = |d: f64| pilot.moments(PlanMetric::MarginPerSession, d);
        // Margin per session is about AOV·conversion·(margin rate − fees) − …: a few dollars.
        assert!((0.5..3.0).contains(&margin(30.0).mean), "{:?}", margin(30.0));
        assert!(margin(30.0).cuped_r2 > 0.0 && margin(30.0).cuped_r2 < 0.5);
        // Interpolation passes through the reads.
        assert_eq!(margin(30.0), pilot.looks.iter().find(|l| l.days == 30).unwrap().metrics[0]);
        // Longer tests: more visitors, but sublinearly; MDE falls.
        let v = |d| pilot.visitors(p.annual_revenue_usd, d);
        assert!(v(60.0) > v(30.0) && v(60.0) < 2.0 * v(30.0));
        let mde = |d| pilot.rel_mde(PlanMetric::RevenuePerVisitor, 1.5e6, d, 0.1, false, 0.05, 0.8).unwrap();
        assert!(mde(60.0) < mde(30.0) && mde(30.0) < mde(7.0));
        // A 4x larger store: half the SE.
        let se = |r| pilot.rel_se(PlanMetric::RevenuePerVisitor, r, 30.0, 0.1, false);
        assert!((se(6e6) / se(1.5e6) - 0.5).abs() < 1e-12);
        // At the MDE, the power is the one asked for.
        let at = pilot.power(PlanMetric::RevenuePerVisitor, 1.5e6, 30.0, 0.1, false, mde(30.0), 0.05);
        assert!((at - 0.8).abs() < 1e-3, "{at}");
        let d = pilot.days_to_detect(PlanMetric::RevenuePerVisitor, 1.5e6, 0.1, false, mde(60.0), 0.05, 0.8, 1.0);
        assert_eq!(d.unwrap(), Some(60));
        let never = pilot.days_to_detect(PlanMetric::RevenuePerVisitor, 1.5e6, 0.1, false, 0.001, 0.05, 0.8, 1.0);
        assert_eq!(never.unwrap(), None);
    }
}
