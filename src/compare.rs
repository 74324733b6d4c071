//! Rules vs a paid model: what each personalization policy earns a store
//! per month over no module, net of its fee, whether the model pays for
//! itself, above which annual revenue it would, and whether a test at this
//! store could tell the two apart.

use serde::Serialize;

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
    /// The true relative difference in contribution margin per session,
    /// model over rules, fee included (a fraction; negative: rules better).
    pub true_gap: f64,
    /// Relative MDE of the model-vs-rules comparison at 80% power, two-sided
    /// alpha 0.05 (a fraction).
    pub mde: f64,
    /// Probability that the test's point estimate picks the better policy.
    pub p_picks_better: f64,
    /// Probability that the test declares the better policy significantly better.
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
