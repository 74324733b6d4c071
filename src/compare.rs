//! Rules vs a paid model: what each personalization policy earns a store
//! per month over no module, net of its fee, whether the model pays for
//! itself, above which annual revenue it would, and whether a test at this
//! store could tell the two apart.
//!
//! # Method
//! - **A month of each policy.** One simulated month (30 days of traffic,
//!   scaled to [`DAYS_PER_MONTH`] by sessions) with every visitor under the
//!   policy (`rules` or `model`, [`StoreProfile::policy`]); the simulator's
//!   counterfactual (the same visitors and random draws with no module)
//!   gives the incremental revenue and contribution margin exactly, before
//!   the fee. Both policies' months share a seed (common random numbers), so
//!   their difference is less noisy than two independent months. Repeated
//!   over `replicates` seeds: the mean and the 5th–95th percentiles are what
//!   a month may bring.
//! - **Break-even.** The same months at every size of a log-spaced revenue
//!   grid (`sweep_replicates` seeds each): model minus rules after fees,
//!   `Δ(R) − (fee_model − fee_rules)`. A replicate's break-even is where its
//!   curve last crosses zero upwards (linear in `ln R` between grid points);
//!   the median and 5th–95th percentiles over replicates are reported.
//! - **Sensitivity.** The model's gross advantage is proportional to its
//!   assumed `rpv_gap` (its extra conversion `(1 + c)·g·ℓ` adds orders in
//!   proportion to `g`, and incremental margin is linear in orders), so the
//!   break-even with the advantage halved or doubled scales the mean curve
//!   by ½ or 2 (checked by simulation in the tests).
//! - **The test.** A rules-vs-model test of `days` days with shares
//!   `[control, rules, model]` compares contribution margin per session of
//!   the rules and model arms (delta method, visitor-randomized). From the
//!   store's A/A pilot ([`Pilot`]), `SE = rel_se_at(sd_rel, U·(s_r + s_m),
//!   s_r/(s_r + s_m), δ)` with `U` the unique visitors of `days` days;
//!   the MDE is `k·SE` at `k = z_{1−α/2} + z_{power}`. The decision a test
//!   informs is whether the model's gross advantage `δ` (relative, before
//!   fees) exceeds what its fee costs, `τ = Δfee / margin per month`, so
//!   `P(picks the better) = Φ(|δ − τ|/SE)` (the point estimate falls on the
//!   right side of `τ`) and `P(significant) = Φ(|δ − τ|/SE − z_{1−α/2})`.

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result, check_alpha, check_open_unit};
use crate::plan::pilot::{Pilot, PlanMetric, rel_mde_at, rel_se_at};
use crate::sim::store::DAYS_PER_MONTH;
use crate::sim::{ArmSpec, Level, SimConfig, simulate};
use crate::stats::dist::{normal_cdf, normal_quantile};
use crate::store::StoreProfile;

/// A simulated quantity: its mean over simulated months and a 90% interval
/// (the 5th and 95th percentiles).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// Mean over the simulated months.
    pub mean: f64,
    /// 5th percentile.
    pub low: f64,
    /// 95th percentile.
    pub high: f64,
}

/// What one policy earns a store per month over no module.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyEconomics {
    /// `rules` or `model`.
    pub policy: String,
    /// True relative lift in revenue per visitor over no module (a fraction).
    pub revenue_per_visitor_lift: f64,
    /// Incremental revenue, USD per month.
    pub incremental_revenue_usd_per_month: Spread,
    /// Incremental contribution margin before the fee, USD per month.
    pub incremental_margin_before_fee_usd_per_month: Spread,
    /// The policy's fee, USD per month.
    pub fee_usd_per_month: f64,
    /// Incremental contribution margin after the fee, USD per month.
    pub incremental_margin_usd_per_month: Spread,
    /// What the vendor dashboard would attribute to the module, USD of
    /// revenue per month.
    pub vendor_attributed_revenue_usd_per_month: f64,
}

/// A rules-vs-model test at this store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RulesVsModelTest {
    /// Test duration, days.
    pub days: u32,
    /// Share of visitors in each of `[control, rules, model]`.
    pub shares: [f64; 3],
    /// Unique visitors in the rules and model arms together.
    pub visitors: f64,
    /// The model's true advantage `δ` in contribution margin per session
    /// over rules, before fees (a fraction).
    pub true_gap: f64,
    /// The advantage `τ` the model needs to pay its extra fee: the fee over
    /// the margin per month under rules (a fraction).
    pub fee_threshold: f64,
    /// Standard error of the estimated relative difference (a fraction).
    pub se: f64,
    /// Relative MDE of the model-vs-rules comparison at the configured power
    /// and two-sided alpha (a fraction).
    pub mde: f64,
    /// Probability that the test's point estimate falls on the better
    /// policy's side of the fee threshold.
    pub p_picks_better: f64,
    /// Probability that the test shows the better policy's side significantly.
    pub p_significant_better: f64,
}

/// Net monthly value of the model over rules at one store size and fee.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepPoint {
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// The model's fee, USD per month.
    pub fee_usd_per_month: f64,
    /// The model's learning factor at this size (0–1).
    pub learning: f64,
    /// Model minus rules, contribution margin after fees, USD per month.
    pub model_minus_rules_usd_per_month: Spread,
}

/// The annual revenue above which the model earns more than rules after fees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BreakEven {
    /// The model's fee, USD per month.
    pub fee_usd_per_month: f64,
    /// Break-even annual revenue, USD (`None` beyond the sweep).
    pub annual_revenue_usd: Option<f64>,
    /// 5th percentile over simulated sweeps.
    pub low: Option<f64>,
    /// 95th percentile over simulated sweeps.
    pub high: Option<f64>,
}

/// How the break-even moves with the model's assumed advantage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sensitivity {
    /// The model's revenue-per-visitor advantage at saturation (a fraction).
    pub rpv_gap: f64,
    /// The model's fee, USD per month.
    pub fee_usd_per_month: f64,
    /// Break-even annual revenue, USD (`None` beyond the sweep).
    pub break_even_revenue_usd: Option<f64>,
}

/// The whole comparison at one store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Store name.
    pub store: String,
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Orders per month.
    pub orders_per_month: f64,
    /// Simulated months at the store.
    pub months: usize,
    /// The model's learning factor at this store (0–1).
    pub learning: f64,
    /// Rules over no module.
    pub rules: PolicyEconomics,
    /// The model over no module.
    pub model: PolicyEconomics,
    /// Model minus rules, before the model's fee, USD per month.
    pub model_minus_rules_before_fee_usd_per_month: Spread,
    /// Model minus rules, after fees, USD per month.
    pub model_minus_rules_usd_per_month: Spread,
    /// `rules` or `model`: the policy with the higher margin after fees.
    pub winner: String,
    /// A rules-vs-model test at this store.
    pub test: RulesVsModelTest,
    /// Break-even annual revenue per fee.
    pub break_even: Vec<BreakEven>,
    /// Model minus rules over store sizes and fees.
    pub sweep: Vec<SweepPoint>,
    /// Break-even with the model's advantage halved, as assumed, doubled.
    pub sensitivity: Vec<Sensitivity>,
    /// One sentence for the owner.
    pub verdict: String,
}

/// Settings of [`compare`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareConfig {
    /// Duration of the rules-vs-model test, days.
    pub days: u32,
    /// Shares of visitors in `[control, rules, model]` during the test.
    pub shares: [f64; 3],
    /// Simulated months at the store; `None`: as many as fit in
    /// [`SESSION_BUDGET`] sessions, between 20 and 200.
    pub replicates: Option<usize>,
    /// Simulated months per store size of the break-even sweep.
    pub sweep_replicates: usize,
    /// Annual revenues of the sweep, USD, ascending.
    pub revenues: Vec<f64>,
    /// The model's monthly fees swept for the break-even, USD (the store's
    /// own fee is always added).
    pub fees: Vec<f64>,
    /// Two-sided significance level of the test.
    pub alpha: f64,
    /// Power for the MDE.
    pub power: f64,
    /// Random seed.
    pub seed: u64,
}

/// Sessions simulated at the store itself when `replicates` is not given.
pub const SESSION_BUDGET: f64 = 1e8;

/// Monthly fees of paid personalization platforms swept by default, USD.
pub const DEFAULT_FEES: [f64; 3] = [1_500.0, 2_500.0, 5_000.0];

impl Default for CompareConfig {
    fn default() -> Self {
        Self {
            days: 90,
            shares: [0.1, 0.45, 0.45],
            replicates: None,
            sweep_replicates: 20,
            revenues: crate::frontier::log_grid(250_000.0, 50_000_000.0, 12),
            fees: DEFAULT_FEES.to_vec(),
            alpha: 0.05,
            power: 0.8,
            seed: 1,
        }
    }
}

impl CompareConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the flag.
    pub fn validate(&self) -> Result<()> {
        if self.days == 0 {
            return Err(Error::invalid("--days", 0, "at least 1 day"));
        }
        crate::limits::check_days("--days", self.days as f64)?;
        let [c, r, m] = self.shares;
        if !(c >= 0.0 && r > 0.0 && m > 0.0 && (c + r + m - 1.0).abs() < 1e-6) {
            return Err(Error::invalid(
                "--shares",
                format!("{c},{r},{m}"),
                "control, rules and model shares (control may be 0) summing to 1",
            ));
        }
        if let Some(n) = self.replicates {
            crate::audit::check_replicates("--replicates", n)?;
        }
        crate::audit::check_replicates("--sweep-replicates", self.sweep_replicates)?;
        if self.revenues.len() < 2 || self.revenues.windows(2).any(|w| !(w[0] < w[1])) {
            return Err(Error::invalid("--revenues", format!("{:?}", self.revenues), "two or more ascending revenues"));
        }
        for &r in &self.revenues {
            crate::limits::check_revenue("--revenues", r)?;
        }
        for &f in &self.fees {
            if !(f >= 0.0 && f.is_finite()) {
                return Err(Error::invalid("--fees", f, "monthly fees of 0 USD or more"));
            }
        }
        check_alpha(self.alpha)?;
        check_open_unit("--power", self.power)?;
        Ok(())
    }
}

/// One simulated month of a policy at full rollout, per month.
#[derive(Debug, Clone, Copy, Default)]
struct Month {
    /// Incremental contribution margin before the fee, USD.
    gross: f64,
    /// Incremental revenue, USD.
    revenue: f64,
    /// Revenue the vendor attributes to the module, USD.
    attributed: f64,
    /// Margin the same visitors bring with no module, USD.
    baseline_margin: f64,
    /// Revenue the same visitors bring with no module, USD.
    baseline_revenue: f64,
}

/// Simulated days of a month (the figures are scaled to [`DAYS_PER_MONTH`]).
const MONTH_DAYS: u32 = 30;

fn month(profile: &StoreProfile, policy: &str, seed: u64) -> Result<Month> {
    let cfg = SimConfig {
        days: MONTH_DAYS,
        seed,
        salt: seed,
        arms: vec![ArmSpec { name: policy.into(), share: 1.0 }],
        ..SimConfig::default()
    };
    let r = simulate(profile, &cfg, Level::Aggregate, &|_, _| {}, |_| Ok(()))?;
    let t = &r.by_arm[0];
    let k = profile.sessions_per_day() * DAYS_PER_MONTH / t.treatment.sessions.max(1) as f64;
    Ok(Month {
        gross: (t.treatment.margin + t.platform_fee_usd - t.counterfactual.margin) * k,
        revenue: (t.treatment.revenue - t.counterfactual.revenue) * k,
        attributed: t.influenced_revenue * k,
        baseline_margin: t.counterfactual.margin * k,
        baseline_revenue: t.counterfactual.revenue * k,
    })
}

/// Seed of replicate `r` of a run seeded `seed` (its own stream address).
fn replicate_seed(seed: u64, r: u64) -> u64 {
    let mut s = seed ^ 0x5EED_C0DE_0000_0000;
    let _ = crate::rng::splitmix64(&mut s);
    s ^= r;
    crate::rng::splitmix64(&mut s)
}

/// `(rules, model)` months for replicates `0..n` at a store, in parallel.
fn months(profile: &StoreProfile, seed: u64, n: usize) -> Result<Vec<(Month, Month)>> {
    (0..n as u64)
        .into_par_iter()
        .map(|r| {
            let s = replicate_seed(seed, r);
            Ok((month(profile, "rules", s)?, month(profile, "model", s)?))
        })
        .collect()
}

/// Mean and 5th/95th percentiles of `values`.
fn spread(values: &[f64]) -> Spread {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    Spread {
        mean,
        low: crate::stats::bootstrap::quantile_sorted(&v, 0.05),
        high: crate::stats::bootstrap::quantile_sorted(&v, 0.95),
    }
}

/// Where `net` (one value per revenue of `revenues`) last crosses zero
/// upwards, linear in `ln R` between grid points: `Some(revenues[0])` if it
/// is positive throughout, `None` if it ends at or below zero.
pub fn crossing(revenues: &[f64], net: &[f64]) -> Option<f64> {
    let last = net.len().checked_sub(1)?;
    if !(net[last] > 0.0) {
        return None;
    }
    let i = (0..=last).rev().find(|&i| !(net[i] > 0.0)).map_or(0, |i| i + 1);
    if i == 0 {
        return Some(revenues[0]);
    }
    let (a, b) = (net[i - 1], net[i]);
    let t = if b > a { -a / (b - a) } else { 0.0 };
    Some((revenues[i - 1].ln() + t * (revenues[i].ln() - revenues[i - 1].ln())).exp())
}

/// Median and 5th/95th percentiles of break-evens, `None` = beyond the
/// sweep (sorted last).
fn break_even_of(fee: f64, values: &[Option<f64>]) -> BreakEven {
    let mut v: Vec<f64> = values.iter().map(|x| x.unwrap_or(f64::INFINITY)).collect();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let x = v[((v.len() - 1) as f64 * q).round() as usize];
        x.is_finite().then_some(x)
    };
    BreakEven { fee_usd_per_month: fee, annual_revenue_usd: at(0.5), low: at(0.05), high: at(0.95) }
}

/// Compares rules and the model at `profile`'s store: simulated months at
/// the store, the break-even sweep over [`CompareConfig::revenues`] and
/// fees, the sensitivity to the model's assumed advantage, and a
/// rules-vs-model test of [`CompareConfig::days`] days (module docs for the
/// method). `progress(done, total)` counts simulated months.
///
/// Money is USD per month; gaps, MDEs and probabilities are fractions.
///
/// # Errors
/// [`Error::InvalidParameter`] for an invalid profile or setting; as
/// [`simulate`] and [`Pilot::measure`].
pub fn compare(
    profile: &StoreProfile,
    config: &CompareConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Comparison> {
    profile.validate()?;
    config.validate()?;
    let month_sessions = profile.sessions_per_day() * MONTH_DAYS as f64;
    let n_store =
        config.replicates.unwrap_or_else(|| (SESSION_BUDGET / (2.0 * month_sessions)).clamp(20.0, 200.0) as usize);
    let total = n_store + config.sweep_replicates * config.revenues.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = |n: usize| progress(done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n, total);

    // The store itself.
    let at_store = months(profile, config.seed, n_store)?;
    tick(n_store);
    let rules_fee = profile.policies.rules.fee_usd_per_month;
    let model_fee = profile.policies.model.fee_usd_per_month;
    let economics = |name: &str, fee: f64, pick: &dyn Fn(&(Month, Month)) -> Month| {
        let m: Vec<Month> = at_store.iter().map(pick).collect();
        let col = |f: &dyn Fn(&Month) -> f64| m.iter().map(f).collect::<Vec<f64>>();
        let mean = |f: &dyn Fn(&Month) -> f64| m.iter().map(f).sum::<f64>() / m.len() as f64;
        PolicyEconomics {
            policy: name.into(),
            revenue_per_visitor_lift: mean(&|x| x.revenue) / mean(&|x| x.baseline_revenue),
            incremental_revenue_usd_per_month: spread(&col(&|x| x.revenue)),
            incremental_margin_before_fee_usd_per_month: spread(&col(&|x| x.gross)),
            fee_usd_per_month: fee,
            incremental_margin_usd_per_month: spread(&col(&|x| x.gross - fee)),
            vendor_attributed_revenue_usd_per_month: mean(&|x| x.attributed),
        }
    };
    let rules = economics("rules", rules_fee, &|x| x.0);
    let model = economics("model", model_fee, &|x| x.1);
    let diff: Vec<f64> = at_store.iter().map(|(r, m)| m.gross - r.gross).collect();
    let before_fee = spread(&diff);
    let after_fee = spread(&diff.iter().map(|d| d - (model_fee - rules_fee)).collect::<Vec<_>>());
    let winner = if after_fee.mean > 0.0 { "model" } else { "rules" };

    // The test.
    let n = at_store.len() as f64;
    let rules_margin = at_store.iter().map(|(r, _)| r.baseline_margin + r.gross).sum::<f64>() / n;
    let true_gap = before_fee.mean / rules_margin;
    let fee_threshold = (model_fee - rules_fee) / rules_margin;
    let pilot = Pilot::measure(profile, config.seed, config.days.max(MONTH_DAYS))?;
    let rel_sd = pilot.moments(PlanMetric::MarginPerSession, config.days as f64).rel_sd(false);
    let [_, s_r, s_m] = config.shares;
    let visitors = pilot.visitors(profile.annual_revenue_usd, config.days as f64) * (s_r + s_m);
    let h = s_r / (s_r + s_m);
    let z = normal_quantile(1.0 - config.alpha / 2.0);
    let k = z + normal_quantile(config.power);
    let se = rel_se_at(rel_sd, visitors, h, true_gap);
    let distance = (true_gap - fee_threshold).abs();
    let test = RulesVsModelTest {
        days: config.days,
        shares: config.shares,
        visitors,
        true_gap,
        fee_threshold,
        se,
        mde: rel_mde_at(rel_sd, visitors, h, k),
        p_picks_better: normal_cdf(distance / se),
        p_significant_better: normal_cdf(distance / se - z),
    };

    // The sweep: gross model-minus-rules per size and replicate.
    let mut gross: Vec<Vec<f64>> = Vec::with_capacity(config.revenues.len());
    let mut learning = Vec::with_capacity(config.revenues.len());
    for &r in &config.revenues {
        let sized = StoreProfile { annual_revenue_usd: r, ..profile.clone() };
        let m = months(&sized, config.seed ^ 0x5357_4545_5000_0000, config.sweep_replicates)?;
        gross.push(m.iter().map(|(r, m)| m.gross - r.gross).collect());
        learning.push(sized.model_learning());
        tick(config.sweep_replicates);
    }
    let mut fees = config.fees.clone();
    if !fees.contains(&model_fee) {
        fees.push(model_fee);
    }
    fees.sort_by(f64::total_cmp);
    let mut sweep = Vec::new();
    let mut break_even = Vec::new();
    for &fee in &fees {
        let extra = fee - rules_fee;
        for (i, &r) in config.revenues.iter().enumerate() {
            sweep.push(SweepPoint {
                annual_revenue_usd: r,
                fee_usd_per_month: fee,
                learning: learning[i],
                model_minus_rules_usd_per_month: spread(&gross[i].iter().map(|g| g - extra).collect::<Vec<_>>()),
            });
        }
        let per_replicate: Vec<Option<f64>> = (0..config.sweep_replicates)
            .map(|j| crossing(&config.revenues, &gross.iter().map(|g| g[j] - extra).collect::<Vec<_>>()))
            .collect();
        break_even.push(break_even_of(fee, &per_replicate));
    }
    let mean_gross: Vec<f64> = gross.iter().map(|g| g.iter().sum::<f64>() / g.len() as f64).collect();
    let gap = profile.policies.model.rpv_gap;
    let sensitivity = [0.5, 1.0, 2.0]
        .iter()
        .flat_map(|&scale| {
            let mean_gross = &mean_gross;
            fees.iter().map(move |&fee| Sensitivity {
                rpv_gap: gap * scale,
                fee_usd_per_month: fee,
                break_even_revenue_usd: crossing(
                    &config.revenues,
                    &mean_gross.iter().map(|g| scale * g - (fee - rules_fee)).collect::<Vec<_>>(),
                ),
            })
        })
        .collect();

    let mut comparison = Comparison {
        store: profile.name.clone(),
        annual_revenue_usd: profile.annual_revenue_usd,
        orders_per_month: profile.orders_per_month(),
        months: n_store,
        learning: profile.model_learning(),
        rules,
        model,
        model_minus_rules_before_fee_usd_per_month: before_fee,
        model_minus_rules_usd_per_month: after_fee,
        winner: winner.into(),
        test,
        break_even,
        sweep,
        sensitivity,
        verdict: String::new(),
    };
    comparison.verdict = verdict(&comparison, model_fee);
    Ok(comparison)
}

/// The one-sentence verdict: what the model earns over rules before and
/// after its fee, whether a test could tell them apart, and what to do.
pub fn verdict(c: &Comparison, model_fee: f64) -> String {
    let money = crate::audit::dollars;
    let size = crate::report::format::usd_short(c.annual_revenue_usd);
    let before = c.model_minus_rules_before_fee_usd_per_month.mean;
    let after = c.model_minus_rules_usd_per_month.mean;
    let earns = if before >= 0.0 {
        format!("earns {} a month more than rules", money(before))
    } else {
        format!("earns {} a month less than rules", money(-before))
    };
    let net = if after >= 0.0 {
        format!("gains {} after it", money(after))
    } else {
        format!("loses {} after it", money(-after))
    };
    let t = &c.test;
    let pct = |x: f64| crate::report::format::pct_short(x);
    let gap = format!(
        "MDE {} vs a true {} gap; the model needs {} to pay its fee",
        pct(t.mde),
        pct(t.true_gap),
        pct(t.fee_threshold)
    );
    let test = if t.mde <= (t.true_gap - t.fee_threshold).abs() {
        format!("a {}-day test would show it ({gap})", t.days)
    } else {
        format!("a {}-day test could not tell them apart ({gap})", t.days)
    };
    let action = if c.winner == "model" { "Choose the model." } else { "Keep the rules." };
    format!("At {size} a year the model {earns} before its {} fee and {net}; {test}. {action}", money(model_fee))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_is_the_last_upward_zero() {
        let r = [1e6, 2e6, 4e6, 8e6];
        assert_eq!(crossing(&r, &[1.0, 2.0, 3.0, 4.0]), Some(1e6));
        assert_eq!(crossing(&r, &[-3.0, -2.0, -1.0, 0.0]), None);
        // Halfway between 2M and 4M in ln R: √8 M.
        let x = crossing(&r, &[-3.0, -1.0, 1.0, 3.0]).unwrap();
        assert!((x - 8e6f64.sqrt() * 1e3).abs() < 1.0, "{x}");
        // A noisy early blip above zero does not count.
        let x = crossing(&r, &[1.0, -1.0, -1.0, 1.0]).unwrap();
        assert!((x - 32e12f64.sqrt()).abs() < 1.0, "{x}");
        let b = break_even_of(2_500.0, &[Some(1.0), Some(2.0), None, Some(3.0), Some(4.0)]);
        assert_eq!((b.annual_revenue_usd, b.low, b.high), (Some(3.0), Some(1.0), None));
    }

    #[test]
    fn bad_settings_name_their_flag() {
        let bad = |c: CompareConfig, flag: &str| {
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(flag), "{e}");
        };
        bad(CompareConfig { days: 0, ..CompareConfig::default() }, "--days");
        bad(CompareConfig { shares: [0.1, 0.0, 0.9], ..CompareConfig::default() }, "--shares");
        bad(CompareConfig { fees: vec![f64::NAN], ..CompareConfig::default() }, "--fees");
        bad(CompareConfig { revenues: vec![1e6], ..CompareConfig::default() }, "--revenues");
        bad(CompareConfig { sweep_replicates: 1, ..CompareConfig::default() }, "--sweep-replicates");
    }
}
