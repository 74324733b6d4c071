//! The field's decision rules for a personalization module, measured by
//! simulation on one store: how often each rule keeps the module, how often
//! that is the wrong call, and what the wrong calls cost per month.
//!
//! # Value, right decision and cost
//! Keeping the module at true relative lift `L` is worth, per month,
//! ```text
//! V(L) = L·M − F
//! M    = m₃₀ · S · 30.4375        (USD/month, the store's baseline contribution margin)
//! ```
//! with `m₃₀` the contribution margin per session after 30 days of an A/A
//! pilot ([`Pilot::measure`] over 730 days, [`PlanMetric::MarginPerSession`]),
//! `S` the expected sessions per day ([`StoreProfile::sessions_per_day`]),
//! 30.4375 = [`DAYS_PER_MONTH`] and `F` the monthly platform fee. The lift
//! is applied as the profile's `treatment.conversion_lift`; under the
//! default effect composition (no AOV or margin-mix lift) the lift in margin
//! per session equals the conversion lift, so `L·M` is the module's gross
//! monthly margin. The right decision is to keep the module iff `V(L) > 0`:
//! with `L = 0` and no fee, keeping a module that does nothing is wrong, at
//! zero cost. A decision's regret (USD/month) is
//! ```text
//! cost = max(V, 0) − (V if kept, else 0)
//! ```
//! so the expected cost of a rule is `P(wrong)·|V(L)|`.
//!
//! # The rules
//! Each simulated replicate is one [`simulate`] run ([`Level::Aggregate`])
//! of the profile with the lift and the fee (charged to the treatment
//! arm's margin on the days the module is live, as everywhere in the crate).
//! - **`weekly_peeking`**: 10% holdout, 84 days, a look every 7 days. At each
//!   look, Welch's test of contribution margin per session (a ratio metric
//!   with the visitor randomized: [`stats::ratio_estimate`], Deng, Knoblich &
//!   Lu 2018) on the visitors seen so far. Stop at the first look with
//!   `p < 0.05`: keep if the estimate is positive, remove if negative; no
//!   such look by day 84: remove. Also reported: the share of replicates with
//!   a two-sided rejection at any look (at `L = 0`, the false-positive rate
//!   of peeking), and the median decision day.
//! - **`two_windows_8pct`**: 10% holdout, 60 days; in each 30-day window
//!   `[0, 30)` and `[30, 60)` the relative lift in margin per session
//!   `(Σmargin_T/Σsessions_T)/(Σmargin_C/Σsessions_C) − 1` over the window's
//!   days; keep iff both are at least 8%. The estimated change reported is
//!   the same lift over the 60 days.
//! - **`off_switch_2wk`**: no control; the module is on for everyone on days
//!   0–13 and off on days 14–27; `drop = 1 − revenue(14–27)/revenue(0–13)`;
//!   keep iff the drop exceeds 2%. The estimated change is the drop; its SD
//!   across replicates is the noise of two weeks of revenue.
//! - **`pre_post_aov`**: no control, 180 days, the module live on days
//!   90–179; keep iff AOV (order value / orders) of days 90–179 exceeds AOV of
//!   days 0–89. The treatment does not act on AOV by default, so this rule
//!   keeps about half the time whatever the lift; with season, trend or a
//!   change in the cohort mix it reads those instead, and it cannot tell them
//!   from the module.
//! - **`liftlab_recommended`**: what `liftlab plan --store --looks K` would
//!   do ([`store_plan`] at a 3% target, 10% holdout, α = 0.05, power 0.8):
//!   with `K = 4` first, then `K` = the weekly looks of that duration
//!   (`⌈days/7⌉`, 1 to 52). If the margin-per-session sequential duration
//!   exists and is at most 365 days, the group-sequential test is simulated:
//!   looks at the plan's look days, stop when `|z| ≥` the look's
//!   O'Brien–Fleming-type bound (Lan & DeMets 1983), keep if `z > 0`, remove
//!   if `z < 0`; no crossing by the last look: remove. Otherwise the store
//!   cannot test this and the rule **decides on cost**: keep iff
//!   `0.02·M > F` (the plausible lift's midpoint pays the fee); nothing is
//!   simulated and `P(keep)` is exactly 0 or 1.
//!
//! A replicate whose test is undefined (an arm with fewer than 2 visitors or
//! no variance at a look) counts as "not significant" at that look.
//!
//! # Determinism
//! Replicate `r` of a rule uses the seed and salt
//! `replicate_seed(seed ⊕ tag(rule), r)`, the same for every lift (common
//! random numbers: the simulator decides both worlds with one uniform, so
//! differences between lifts are the lift's, not noise). Replicates run in
//! parallel (rayon) and are reduced in index order: the output is
//! bit-identical whatever the number of threads.
//!
//! # References
//! Johari, Koomen, Pekelis & Walsh (2017), "Peeking at A/B tests", KDD;
//! Lan & DeMets (1983), *Biometrika* 70; Kohavi, Tang & Xu (2020),
//! *Trustworthy Online Controlled Experiments*, ch. 17–18.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result, check_non_negative};
use crate::montecarlo::replicate_seed;
use crate::plan::PlanConfig;
use crate::plan::pilot::{Pilot, PlanMetric};
use crate::plan::store::store_plan;
use crate::report::format::{group_thousands, pct_short};
use crate::sim::store::DAYS_PER_MONTH;
use crate::sim::{DayTotals, Level, SimConfig, SimResult, VisitorStats, simulate};
use crate::stats;
use crate::store::StoreProfile;

/// Default true lifts audited.
pub const DEFAULT_LIFTS: [f64; 4] = [0.0, 0.01, 0.02, 0.03];

/// Fewest replicates accepted (Monte Carlo SEs above ~11% are useless).
pub const MIN_REPLICATES: usize = 20;

/// Most replicates accepted.
pub const MAX_REPLICATES: usize = crate::limits::MAX_REPLICATES;

/// Horizon of the pilot that measures the baseline margin per session, days.
pub const PILOT_HORIZON_DAYS: u32 = 730;

/// Duration at which the baseline margin per session is read, days.
pub const BASELINE_DAYS: f64 = 30.0;

/// Longest sequential test the recommended rule will run, days.
pub const MAX_TEST_DAYS: u32 = 365;

/// Lift at which the recommended rule's "decide on cost" case asks whether
/// the module pays its fee: the midpoint of the plausible 1–3%.
pub const COST_DECISION_LIFT: f64 = 0.02;

/// Store sizes of the audit plot (preset names).
pub const PLOT_STORES: [&str; 4] = ["0.5m", "1.5m", "5m", "20m"];

/// True lifts of the audit plot.
pub const PLOT_LIFTS: [f64; 2] = [0.0, 0.02];

/// A decision rule of the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Rule {
    /// Weekly looks at a 10% holdout, stop at the first p < 0.05.
    #[serde(rename = "weekly_peeking")]
    WeeklyPeeking,
    /// Two 30-day windows, keep if both show at least +8%.
    #[serde(rename = "two_windows_8pct")]
    TwoWindows8pct,
    /// On two weeks, off two weeks, keep if revenue drops more than 2%.
    #[serde(rename = "off_switch_2wk")]
    OffSwitch2wk,
    /// AOV after switching on versus before.
    #[serde(rename = "pre_post_aov")]
    PrePostAov,
    /// liftlab's plan: a group-sequential test, or a decision on cost.
    #[serde(rename = "liftlab_recommended")]
    LiftlabRecommended,
}

impl Rule {
    /// All rules, in report order.
    pub const ALL: [Rule; 5] =
        [Rule::WeeklyPeeking, Rule::TwoWindows8pct, Rule::OffSwitch2wk, Rule::PrePostAov, Rule::LiftlabRecommended];

    /// Identifier used in JSON and CSV.
    pub fn id(self) -> &'static str {
        match self {
            Rule::WeeklyPeeking => "weekly_peeking",
            Rule::TwoWindows8pct => "two_windows_8pct",
            Rule::OffSwitch2wk => "off_switch_2wk",
            Rule::PrePostAov => "pre_post_aov",
            Rule::LiftlabRecommended => "liftlab_recommended",
        }
    }

    /// Name for people.
    pub fn label(self) -> &'static str {
        match self {
            Rule::WeeklyPeeking => "Weekly peeking",
            Rule::TwoWindows8pct => "Two windows at +8%",
            Rule::OffSwitch2wk => "Two-week off switch",
            Rule::PrePostAov => "AOV before/after",
            Rule::LiftlabRecommended => "liftlab's recommendation",
        }
    }

    fn tag(self) -> u64 {
        // Distinct per rule so the rules' replicates are independent.
        0xA0D1_7000 + self as u64
    }
}

/// Settings of an audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditConfig {
    /// True relative lifts simulated (fractions, each > −1), applied as the
    /// profile's `treatment.conversion_lift`.
    pub lifts: Vec<f64>,
    /// Monthly platform fee, USD; `None`: the profile's
    /// `platform_fee_usd_per_month`.
    pub fee_usd_per_month: Option<f64>,
    /// Simulated tests per rule and lift ([`MIN_REPLICATES`] to [`MAX_REPLICATES`]).
    pub replicates: usize,
    /// Seed: same seed, same output, whatever the number of threads.
    pub seed: u64,
    /// Target lift of the recommended rule's plan (0.03).
    pub target_lift: f64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self { lifts: DEFAULT_LIFTS.to_vec(), fee_usd_per_month: None, replicates: 200, seed: 1, target_lift: 0.03 }
    }
}

impl AuditConfig {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the flag: `--lift` empty or a lift
    /// at or below −1 (or not finite), `--fee` negative, `--replicates`
    /// outside 20–100,000, `--target-lift` not in (0, 1).
    pub fn validate(&self) -> Result<()> {
        if self.lifts.is_empty() {
            return Err(Error::invalid("--lift", "(none)", "at least one relative lift such as 0,0.01,0.02"));
        }
        for &l in &self.lifts {
            if !(l.is_finite() && l > -1.0) {
                return Err(Error::invalid("--lift", l, "relative lifts greater than -1 (0.02 = +2%)"));
            }
        }
        if let Some(fee) = self.fee_usd_per_month {
            check_non_negative("--fee", fee)?;
        }
        check_replicates("--replicates", self.replicates)?;
        if !(self.target_lift > 0.0 && self.target_lift < 1.0) {
            return Err(Error::invalid("--target-lift", self.target_lift, "a relative lift in (0, 1)"));
        }
        Ok(())
    }
}

/// Checks a replicate count against [`MIN_REPLICATES`]..=[`MAX_REPLICATES`].
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flag`.
pub fn check_replicates(flag: &str, replicates: usize) -> Result<()> {
    if (MIN_REPLICATES..=MAX_REPLICATES).contains(&replicates) {
        Ok(())
    } else {
        Err(Error::invalid(flag, replicates, "20 to 100000 simulated tests"))
    }
}

/// The monthly value of keeping the module, `V(L) = L·M − F` (USD/month).
///
/// ```
/// assert_eq!(liftlab::audit::monthly_value(0.02, 50_000.0, 300.0), 700.0);
/// ```
pub fn monthly_value(lift: f64, baseline_margin_per_month: f64, fee_per_month: f64) -> f64 {
    lift * baseline_margin_per_month - fee_per_month
}

/// Whether keeping is the right decision: `V > 0`.
pub fn right_to_keep(value_per_month: f64) -> bool {
    value_per_month > 0.0
}

/// The regret of a decision, USD/month: `max(V, 0) − (V if kept, else 0)`.
///
/// ```
/// use liftlab::audit::decision_cost;
/// assert_eq!(decision_cost(700.0, false), 700.0); // dropped a module worth $700
/// assert_eq!(decision_cost(700.0, true), 0.0);
/// assert_eq!(decision_cost(-300.0, true), 300.0); // kept a module losing $300
/// assert_eq!(decision_cost(-300.0, false), 0.0);
/// ```
pub fn decision_cost(value_per_month: f64, keep: bool) -> f64 {
    value_per_month.max(0.0) - if keep { value_per_month } else { 0.0 }
}

/// How the recommended rule decides at this store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommended {
    /// `"sequential_test"` or `"decide_on_cost"`.
    pub case: String,
    /// One sentence: which case applies and why.
    pub description: String,
    /// Looks of the group-sequential design.
    pub looks: u32,
    /// Sequential duration of margin per session at the target lift, days
    /// (`None`: not within the plan's horizon).
    pub days_to_detect_sequential: Option<u32>,
    /// Look days (sequential test only).
    pub look_days: Vec<u32>,
    /// `|z|` bounds per look (sequential test only).
    pub bounds: Vec<f64>,
}

/// One rule at one true lift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    /// The rule.
    pub rule: Rule,
    /// What the rule does, in one sentence.
    pub description: String,
    /// True relative lift (a fraction).
    pub true_lift: f64,
    /// `V(L)`, USD/month.
    pub value_per_month_usd: f64,
    /// The right decision: `"keep"` iff `V > 0`, else `"remove"`.
    pub right_decision: String,
    /// Simulated tests (0 when the rule decides without a test).
    pub replicates: usize,
    /// Share of replicates that keep the module.
    pub p_keep: f64,
    /// Monte Carlo SE of `p_keep`, `√(p(1 − p)/R)`.
    pub p_keep_se: f64,
    /// Share of replicates whose decision is not the right one.
    pub p_wrong: f64,
    /// Monte Carlo SE of `p_wrong`.
    pub p_wrong_se: f64,
    /// Mean regret, USD/month (`P(wrong)·|V|`).
    pub expected_cost_per_month_usd: f64,
    /// Weekly peeking: share of replicates with a two-sided rejection at
    /// any look (the false-positive rate at `L = 0`).
    pub any_look_rejection_rate: Option<f64>,
    /// Monte Carlo SE of `any_look_rejection_rate`.
    pub any_look_rejection_rate_se: Option<f64>,
    /// Sequential rules: median day of the decision (the stopping look, or
    /// the last one).
    pub median_decision_day: Option<f64>,
    /// Mean of the rule's estimate across replicates (a fraction): the
    /// relative lift in margin per session at the decision (peeking,
    /// recommended) or over 60 days (two windows), the revenue drop (off
    /// switch), the relative AOV change (before/after).
    pub mean_estimated_change: Option<f64>,
    /// Standard deviation of that estimate across replicates.
    pub sd_estimated_change: Option<f64>,
    /// One sentence for a store owner.
    pub verdict: String,
}

/// An audit's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    /// Store (preset or profile name).
    pub store: String,
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Expected sessions per day.
    pub sessions_per_day: f64,
    /// Settings.
    pub config: AuditConfig,
    /// Monthly platform fee used, USD.
    pub fee_usd_per_month: f64,
    /// Baseline contribution margin per session at 30 days, USD (`m₃₀`).
    pub baseline_margin_per_session_usd: f64,
    /// Baseline contribution margin per month, USD (`M`).
    pub baseline_margin_per_month_usd: f64,
    /// `V(L)` per lift, USD/month, in [`AuditConfig::lifts`] order.
    pub value_per_month_usd: Vec<f64>,
    /// How the recommended rule decides here.
    pub recommended: Recommended,
    /// One row per lift × rule (lift-major, rules in [`Rule::ALL`] order).
    pub rows: Vec<AuditRow>,
}

/// What one simulated replicate of a rule decided.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    keep: bool,
    /// A two-sided rejection happened at some look (peeking).
    rejected: bool,
    /// Day the decision was made.
    day: f64,
    /// The rule's estimate (see [`AuditRow::mean_estimated_change`]).
    change: f64,
}

/// Welch's test of margin per session (delta method) on one look's statistics:
/// `(z, p, relative lift)`; `None` when undefined.
fn margin_test(s: &VisitorStats) -> Option<(f64, f64, f64)> {
    let c = stats::ratio_estimate(&s.margin_per_session[0]).ok()?;
    let t = stats::ratio_estimate(&s.margin_per_session[1]).ok()?;
    let w = stats::welch(&c, &t, 0.05).ok()?;
    Some((w.statistic, w.pvalue, t.mean / c.mean - 1.0))
}

fn sum_days(daily: &[[DayTotals; 2]], arm: usize, days: std::ops::Range<usize>) -> DayTotals {
    let mut t = DayTotals::default();
    for d in &daily[days.start.min(daily.len())..days.end.min(daily.len())] {
        let x = &d[arm];
        t.sessions += x.sessions;
        t.orders += x.orders;
        t.order_value += x.order_value;
        t.revenue += x.revenue;
        t.margin += x.margin;
    }
    t
}

/// Relative lift in margin per session of treatment over control on `days`.
fn window_lift(daily: &[[DayTotals; 2]], days: std::ops::Range<usize>) -> f64 {
    let (c, t) = (sum_days(daily, 0, days.clone()), sum_days(daily, 1, days));
    let rate = |x: &DayTotals| x.margin / x.sessions as f64;
    let (rc, rt) = (rate(&c), rate(&t));
    if rc > 0.0 && rt.is_finite() { rt / rc - 1.0 } else { f64::NAN }
}

/// The simulated test each rule runs.
#[derive(Debug, Clone)]
enum Design {
    Simulated(SimConfig),
    /// The recommended rule's decision on cost: keep or not, no test.
    OnCost(bool),
}

/// The recommended rule's simulated test: its settings, the index into the
/// simulation's (deduplicated) looks of each design look, and the `|z|`
/// bounds.
type SequentialSim = (SimConfig, Vec<usize>, Vec<f64>);

/// Plans the recommended rule at this store: `(recommended, sequential
/// config, bounds)`.
fn plan_recommended(
    profile: &StoreProfile,
    config: &AuditConfig,
    m: f64,
    fee: f64,
) -> Result<(Recommended, Option<SequentialSim>)> {
    let plan_cfg = PlanConfig { target_lift: Some(config.target_lift), ..PlanConfig::default() };
    let mut looks = 4;
    let mut plan = store_plan(profile, &plan_cfg, Some(looks), config.seed)?;
    if let Some(d) = plan.metrics[0].days_to_detect_sequential {
        let weekly = d.div_ceil(7).clamp(1, 52);
        if weekly != looks {
            looks = weekly;
            plan = store_plan(profile, &plan_cfg, Some(looks), config.seed)?;
        }
    }
    let days = plan.metrics[0].days_to_detect_sequential;
    let seq = plan.sequential.as_ref().expect("looks were asked for");
    match days {
        Some(d) if d <= MAX_TEST_DAYS && !seq.look_days.is_empty() => {
            let mut unique = seq.look_days.clone();
            unique.dedup();
            let index: Vec<usize> =
                seq.look_days.iter().map(|l| unique.iter().position(|u| u == l).expect("deduped")).collect();
            let last = *unique.last().expect("non-empty");
            let sim = SimConfig { days: last, holdout: plan_cfg.holdout, looks: unique, ..SimConfig::default() };
            let description = format!(
                "group-sequential test of margin per session: {} holdout, {looks} looks on days {}, stop when |z| reaches the O'Brien-Fleming bound (keep if z > 0); no crossing by day {last}: remove",
                pct_short(plan_cfg.holdout),
                seq.look_days.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
            );
            let rec = Recommended {
                case: "sequential_test".into(),
                description,
                looks,
                days_to_detect_sequential: days,
                look_days: seq.look_days.clone(),
                bounds: seq.design.bounds.clone(),
            };
            Ok((rec, Some((sim, index, seq.design.bounds.clone()))))
        }
        _ => {
            let keep = COST_DECISION_LIFT * m > fee;
            let why = match days {
                Some(d) => format!("a {}-look test would need {d} days (over {MAX_TEST_DAYS})", looks),
                None => format!("no test detects {} within {} days", pct_short(config.target_lift), plan.horizon_days),
            };
            let description = format!(
                "decide on cost: {why}, so this store cannot test the module; keep iff {}% of the margin ({}/month) exceeds the fee ({}/month): {}",
                COST_DECISION_LIFT * 100.0,
                dollars(COST_DECISION_LIFT * m),
                dollars(fee),
                if keep { "keep" } else { "remove" }
            );
            let rec = Recommended {
                case: "decide_on_cost".into(),
                description,
                looks,
                days_to_detect_sequential: days,
                look_days: Vec::new(),
                bounds: Vec::new(),
            };
            Ok((rec, None))
        }
    }
}

/// The fixed designs of the four field rules.
fn field_design(rule: Rule) -> SimConfig {
    let base = SimConfig::default();
    match rule {
        Rule::WeeklyPeeking => SimConfig { days: 84, holdout: 0.10, looks: (1..=12).map(|w| 7 * w).collect(), ..base },
        Rule::TwoWindows8pct => SimConfig { days: 60, holdout: 0.10, daily: true, ..base },
        Rule::OffSwitch2wk => {
            SimConfig { days: 28, holdout: 0.0, daily: true, treatment_window: Some((0, 14)), ..base }
        }
        Rule::PrePostAov => {
            SimConfig { days: 180, holdout: 0.0, daily: true, treatment_window: Some((90, 180)), ..base }
        }
        Rule::LiftlabRecommended => unreachable!("planned per store"),
    }
}

fn description(rule: Rule) -> &'static str {
    match rule {
        Rule::WeeklyPeeking => {
            "10% holdout, 84 days, Welch/delta test of margin per session every 7 days; stop at the first p < 0.05 (keep if up, remove if down); none by day 84: remove"
        }
        Rule::TwoWindows8pct => {
            "10% holdout, 60 days; keep iff margin per session is up at least 8% in both 30-day windows"
        }
        Rule::OffSwitch2wk => {
            "no control; module on for everyone days 0-13, off days 14-27; keep iff revenue drops more than 2% when off"
        }
        Rule::PrePostAov => "no control, 180 days, module on from day 90; keep iff AOV after > AOV before",
        Rule::LiftlabRecommended => "",
    }
}

/// Runs one replicate's simulation and applies the rule.
fn run_rule(
    rule: Rule,
    profile: &StoreProfile,
    sim: &SimConfig,
    sequential: Option<&(Vec<usize>, Vec<f64>)>,
) -> Result<Outcome> {
    let r: SimResult = simulate(profile, sim, Level::Aggregate, &|_, _| {}, |_| Ok(()))?;
    let days = sim.days as f64;
    Ok(match rule {
        Rule::WeeklyPeeking => {
            let mut out = Outcome { keep: false, rejected: false, day: days, change: f64::NAN };
            for (look, s) in sim.looks.iter().zip(&r.looks) {
                let test = margin_test(s);
                out.change = test.map_or(f64::NAN, |t| t.2);
                if let Some((z, p, _)) = test
                    && p < 0.05
                {
                    out = Outcome { keep: z > 0.0, rejected: true, day: *look as f64, change: out.change };
                    break;
                }
            }
            out
        }
        Rule::LiftlabRecommended => {
            let (index, bounds) = sequential.expect("a sequential design");
            let mut out = Outcome { keep: false, rejected: false, day: days, change: f64::NAN };
            for (&i, &b) in index.iter().zip(bounds) {
                let test = margin_test(&r.looks[i]);
                out.change = test.map_or(f64::NAN, |t| t.2);
                if let Some((z, ..)) = test
                    && z.abs() >= b
                {
                    out = Outcome { keep: z > 0.0, rejected: true, day: sim.looks[i] as f64, change: out.change };
                    break;
                }
            }
            out
        }
        Rule::TwoWindows8pct => {
            let (a, b) = (window_lift(&r.daily, 0..30), window_lift(&r.daily, 30..60));
            Outcome { keep: a >= 0.08 && b >= 0.08, rejected: false, day: days, change: window_lift(&r.daily, 0..60) }
        }
        Rule::OffSwitch2wk => {
            let (on, off) = (sum_days(&r.daily, 1, 0..14).revenue, sum_days(&r.daily, 1, 14..28).revenue);
            let drop = 1.0 - off / on;
            Outcome { keep: drop > 0.02, rejected: false, day: days, change: drop }
        }
        Rule::PrePostAov => {
            let aov = |t: DayTotals| t.order_value / t.orders as f64;
            let (pre, post) = (aov(sum_days(&r.daily, 1, 0..90)), aov(sum_days(&r.daily, 1, 90..180)));
            Outcome { keep: post > pre, rejected: false, day: days, change: post / pre - 1.0 }
        }
    })
}

/// Whole dollars with thousands separators (`-1234.5` → `-$1,235`).
pub fn dollars(x: f64) -> String {
    let sign = if x < 0.0 { "-" } else { "" };
    format!("{sign}${}", group_thousands(x.abs().round() as i64))
}

/// How often, in words: "1 in N times" below 30%, "k in 10 times" from
/// 30%, "never", "almost every time", "every time".
pub fn frequency(p: f64) -> String {
    if p <= 0.0 {
        "never".into()
    } else if p >= 1.0 {
        "every time".into()
    } else if p < 0.3 {
        format!("1 in {} times", (1.0 / p).round().max(2.0))
    } else {
        match (10.0 * p).round() as u32 {
            10 => "almost every time".into(),
            k => format!("{k} in 10 times"),
        }
    }
}

/// The verdict sentence of a row.
fn verdict(rule: Rule, lift: f64, value: f64, fee: f64, p_wrong: f64, on_cost: Option<bool>) -> String {
    let label = rule.label();
    if let Some(keep) = on_cost {
        let right = keep == right_to_keep(value);
        return format!(
            "{label}: this store cannot test it, so it {} the module on cost alone — {} here{}.",
            if keep { "keeps" } else { "removes" },
            match (right, value == 0.0) {
                (true, _) => "the right call",
                (false, true) => "wrong in principle, at no cost",
                (false, false) => "the wrong call",
            },
            if right || value == 0.0 { String::new() } else { format!(", costing {}/month", dollars(value.abs())) }
        );
    }
    let freq = frequency(p_wrong);
    if right_to_keep(value) {
        format!("{label}: {freq} it drops a module worth {}/month.", dollars(value))
    } else {
        let what = if lift == 0.0 && fee == 0.0 {
            "does nothing".to_string()
        } else if lift == 0.0 {
            format!("does nothing and costs its {}/month fee", dollars(fee))
        } else if value == 0.0 {
            "only pays its fee".to_string()
        } else {
            format!("loses {}/month after its fee", dollars(-value))
        };
        format!("{label}: {freq} it keeps a module that {what}.")
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let x: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = x.len() as f64;
    if x.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    (mean, sd)
}

/// The baseline contribution margin per session at 30 days, USD, and per
/// month, USD: `(m₃₀, M = m₃₀·S·DAYS_PER_MONTH)`.
///
/// # Errors
/// As [`Pilot::measure`].
pub fn baseline_margin(profile: &StoreProfile, seed: u64) -> Result<(f64, f64)> {
    let pilot = Pilot::measure(profile, seed, PILOT_HORIZON_DAYS)?;
    let m = pilot.moments(PlanMetric::MarginPerSession, BASELINE_DAYS).mean;
    Ok((m, m * profile.sessions_per_day() * DAYS_PER_MONTH))
}

/// Audits the field's decision rules at a store: for each true lift and
/// rule, `P(keep)`, `P(wrong)` and the expected monthly cost (module docs).
///
/// `progress(done, total)` counts simulated replicates.
///
/// # Formula
/// Per rule and lift with `R` replicates and `k` keeps:
/// `P(keep) = k/R`, `SE = √(P(1 − P)/R)`; `P(wrong)` likewise over the
/// replicates whose decision differs from `V(L) > 0`; expected cost
/// `= Σ cost_r / R = P(wrong)·|V(L)|` with `V(L) = L·M − F`.
///
/// # Errors
/// As [`AuditConfig::validate`] and [`StoreProfile::validate`];
/// as [`store_plan`] and [`simulate`].
///
/// # References
/// See the module docs.
pub fn audit(profile: &StoreProfile, config: &AuditConfig, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Audit> {
    config.validate()?;
    profile.validate()?;
    let fee = config.fee_usd_per_month.unwrap_or(profile.platform_fee_usd_per_month);
    let (m_session, m) = baseline_margin(profile, config.seed)?;
    let (recommended, sequential) = plan_recommended(profile, config, m, fee)?;
    let (seq_sim, seq_design) = match sequential {
        Some((sim, index, bounds)) => (Some(sim), Some((index, bounds))),
        None => (None, None),
    };
    let designs: Vec<(Rule, Design)> = Rule::ALL
        .iter()
        .map(|&rule| {
            let d = match (rule, &seq_sim) {
                (Rule::LiftlabRecommended, Some(sim)) => Design::Simulated(sim.clone()),
                (Rule::LiftlabRecommended, None) => Design::OnCost(COST_DECISION_LIFT * m > fee),
                _ => Design::Simulated(field_design(rule)),
            };
            (rule, d)
        })
        .collect();
    // Every (lift, rule, replicate) to simulate, in report order.
    let r_count = config.replicates;
    let jobs: Vec<(usize, usize, usize)> = (0..config.lifts.len())
        .flat_map(|l| {
            designs
                .iter()
                .enumerate()
                .filter(|(_, (_, d))| matches!(d, Design::Simulated(_)))
                .flat_map(move |(k, _)| (0..r_count).map(move |r| (l, k, r)))
        })
        .collect();
    let total = jobs.len();
    let done = AtomicUsize::new(0);
    progress(0, total);
    let profiles: Vec<StoreProfile> = config
        .lifts
        .iter()
        .map(|&lift| {
            let mut p = profile.clone();
            p.treatment.conversion_lift = lift;
            p.platform_fee_usd_per_month = fee;
            p
        })
        .collect();
    let outcomes: Vec<Outcome> = jobs
        .par_iter()
        .map(|&(l, k, r)| {
            let (rule, design) = &designs[k];
            let Design::Simulated(base) = design else { unreachable!("only simulated designs are jobs") };
            let tag = rule.tag();
            let sim = SimConfig {
                seed: replicate_seed(config.seed ^ tag, r as u64),
                salt: replicate_seed(config.seed.rotate_left(32) ^ tag, r as u64),
                ..base.clone()
            };
            let out = run_rule(*rule, &profiles[l], &sim, seq_design.as_ref());
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            out
        })
        .collect::<Result<Vec<_>>>()?;
    let mut next = outcomes.into_iter();
    let mut rows = Vec::with_capacity(config.lifts.len() * designs.len());
    let values: Vec<f64> = config.lifts.iter().map(|&l| monthly_value(l, m, fee)).collect();
    for (&lift, &value) in config.lifts.iter().zip(&values) {
        let right = right_to_keep(value);
        for (rule, design) in &designs {
            let rule = *rule;
            let base_row = |replicates, p_keep: f64, p_wrong: f64, desc: String, on_cost| {
                let se = |p: f64| if replicates > 0 { (p * (1.0 - p) / replicates as f64).sqrt() } else { 0.0 };
                AuditRow {
                    rule,
                    description: desc,
                    true_lift: lift,
                    value_per_month_usd: value,
                    right_decision: if right { "keep" } else { "remove" }.into(),
                    replicates,
                    p_keep,
                    p_keep_se: se(p_keep),
                    p_wrong,
                    p_wrong_se: se(p_wrong),
                    expected_cost_per_month_usd: p_wrong * value.abs(),
                    any_look_rejection_rate: None,
                    any_look_rejection_rate_se: None,
                    median_decision_day: None,
                    mean_estimated_change: None,
                    sd_estimated_change: None,
                    verdict: verdict(rule, lift, value, fee, p_wrong, on_cost),
                }
            };
            match design {
                Design::OnCost(keep) => {
                    let p_keep = if *keep { 1.0 } else { 0.0 };
                    let p_wrong = if *keep == right { 0.0 } else { 1.0 };
                    rows.push(base_row(0, p_keep, p_wrong, recommended.description.clone(), Some(*keep)));
                }
                Design::Simulated(_) => {
                    let outs: Vec<Outcome> = next.by_ref().take(r_count).collect();
                    let rf = r_count as f64;
                    let keeps = outs.iter().filter(|o| o.keep).count() as f64;
                    let wrong = outs.iter().filter(|o| o.keep != right).count() as f64;
                    let cost = outs.iter().map(|o| decision_cost(value, o.keep)).sum::<f64>() / rf;
                    let desc = if rule == Rule::LiftlabRecommended {
                        recommended.description.clone()
                    } else {
                        description(rule).to_string()
                    };
                    let mut row = base_row(r_count, keeps / rf, wrong / rf, desc, None);
                    row.expected_cost_per_month_usd = cost;
                    let changes: Vec<f64> = outs.iter().map(|o| o.change).collect();
                    let (mean, sd) = mean_sd(&changes);
                    row.mean_estimated_change = Some(mean);
                    row.sd_estimated_change = Some(sd);
                    if matches!(rule, Rule::WeeklyPeeking | Rule::LiftlabRecommended) {
                        row.median_decision_day = Some(median(outs.iter().map(|o| o.day).collect()));
                    }
                    if rule == Rule::WeeklyPeeking {
                        let p = outs.iter().filter(|o| o.rejected).count() as f64 / rf;
                        row.any_look_rejection_rate = Some(p);
                        row.any_look_rejection_rate_se = Some((p * (1.0 - p) / rf).sqrt());
                    }
                    rows.push(row);
                }
            }
        }
    }
    Ok(Audit {
        store: profile.name.clone(),
        annual_revenue_usd: profile.annual_revenue_usd,
        sessions_per_day: profile.sessions_per_day(),
        config: config.clone(),
        fee_usd_per_month: fee,
        baseline_margin_per_session_usd: m_session,
        baseline_margin_per_month_usd: m,
        value_per_month_usd: values,
        recommended,
        rows,
    })
}

/// Simulated sessions an [`audit`] of `profile` runs at most, for work
/// estimates and [`crate::limits::check_sessions`]: per lift and replicate
/// the four field rules' designs (84 + 60 + 28 + 180 days) and the
/// recommended rule's group-sequential test (up to [`MAX_TEST_DAYS`]), plus
/// the baseline pilot ([`PILOT_HORIZON_DAYS`]), at the profile's sessions
/// per day. An upper bound: the recommended test is often shorter, or
/// decided on cost without a simulation.
pub fn simulated_sessions(profile: &StoreProfile, config: &AuditConfig) -> f64 {
    let field: u32 = [Rule::WeeklyPeeking, Rule::TwoWindows8pct, Rule::OffSwitch2wk, Rule::PrePostAov]
        .into_iter()
        .map(|r| field_design(r).days)
        .sum();
    let per_replicate = f64::from(field + MAX_TEST_DAYS);
    let tests = config.lifts.len() as f64 * config.replicates as f64;
    profile.sessions_per_day() * (tests * per_replicate + f64::from(PILOT_HORIZON_DAYS))
}

/// Audits the same profile at several annual revenues (the plot's store
/// sizes): one [`audit`] per revenue, named `names[i]`, with progress
/// counted over all of them.
///
/// # Errors
/// As [`audit`].
pub fn audit_stores(
    profile: &StoreProfile,
    stores: &[(&str, f64)],
    config: &AuditConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Audit>> {
    let per_store = config.lifts.len() * Rule::ALL.len() * config.replicates;
    let total = per_store * stores.len();
    stores
        .iter()
        .enumerate()
        .map(|(i, &(name, revenue))| {
            let p = StoreProfile { name: name.to_string(), annual_revenue_usd: revenue, ..profile.clone() };
            // Each store's share of the bar, whatever its own count of tests.
            audit(&p, config, &|done, own| progress(i * per_store + done * per_store / own.max(1), total))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_and_cost_of_a_hand_case() {
        // M = $50,000/month, fee $300: at +1% the module loses $200, at +2% earns $700.
        let (m, f) = (50_000.0, 300.0);
        assert_eq!(monthly_value(0.01, m, f), 200.0);
        assert_eq!(monthly_value(0.0, m, f), -300.0);
        assert!(!right_to_keep(0.0));
        assert_eq!(decision_cost(0.0, true), 0.0);
        assert_eq!(decision_cost(monthly_value(0.02, m, f), false), 700.0);
    }

    #[test]
    fn frequencies_read_like_people_talk() {
        assert_eq!(frequency(0.2), "1 in 5 times");
        assert_eq!(frequency(0.11), "1 in 9 times");
        assert_eq!(frequency(0.52), "5 in 10 times");
        assert_eq!(frequency(0.34), "3 in 10 times");
        assert_eq!(frequency(0.0), "never");
        assert_eq!(frequency(0.97), "almost every time");
    }

    #[test]
    fn window_lift_is_a_ratio_of_rates() {
        let day = |sc, mc, st, mt| {
            [
                DayTotals { sessions: sc, margin: mc, ..Default::default() },
                DayTotals { sessions: st, margin: mt, ..Default::default() },
            ]
        };
        let d = vec![day(10, 10.0, 90, 99.0), day(10, 10.0, 90, 99.0)];
        assert!((window_lift(&d, 0..2) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn bad_settings_name_their_flag() {
        let bad = |c: AuditConfig| c.validate().unwrap_err().to_string();
        assert!(bad(AuditConfig { lifts: vec![-1.0], ..Default::default() }).contains("--lift"));
        assert!(bad(AuditConfig { fee_usd_per_month: Some(-1.0), ..Default::default() }).contains("--fee"));
        assert!(bad(AuditConfig { replicates: 19, ..Default::default() }).contains("--replicates"));
        assert!(bad(AuditConfig { replicates: 100_001, ..Default::default() }).contains("--replicates"));
    }
}
