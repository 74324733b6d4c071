//! One page for a store owner (`liftlab report`): can a test see what
//! personalization earns at this store, what a vendor's dashboard claims
//! against what the module adds, rules against a paid model after fees,
//! what test the store can run and how its decision rule fares.
//!
//! [`owner_report`] gathers the figures from the library (the store's
//! pilot and plan, a simulated test of the paid model, the audit);
//! [`owner_html`] writes them as one self-contained HTML page whose
//! appendix prints, for every figure and table, the `liftlab` command that
//! reproduces it.

use serde::Serialize;

use super::format::{days as fmt_days, pct_short, usd_short};
use super::html::HtmlPage;
use super::owner_plots::{Bar, DaysCurve, bars_svg, break_even_svg, frontier_svg};
use crate::audit::{Audit, AuditConfig, COST_DECISION_LIFT, Rule, audit, dollars, frequency};
use crate::compare::Comparison;
use crate::error::{Error, Result, check_non_negative};
use crate::frontier::FrontierConfig;
use crate::plan::PlanConfig;
use crate::plan::pilot::{Pilot, PlanMetric};
use crate::plan::store::{MIN_HORIZON_DAYS, StorePlan, store_plan};
use crate::sim::{Level, SimConfig, SimSummary, simulate, summarize};
use crate::store::StoreProfile;

/// Lifts whose days-to-detect the page tabulates at the store: the
/// plausible 1–3% and the vendors' 12–18%.
pub const REPORT_LIFTS: [f64; 5] = [0.01, 0.02, 0.03, 0.12, 0.18];

/// Lifts drawn as lines on the frontier figure.
pub const FRONTIER_LIFTS: [f64; 4] = [0.01, 0.03, 0.12, 0.18];

/// Test durations of the page's plan table, days.
pub const PLAN_DAYS: [f64; 5] = [30.0, 60.0, 90.0, 180.0, 365.0];

/// True lifts of the page's audit.
pub const AUDIT_LIFTS: [f64; 2] = [0.0, 0.02];

/// Holdout share, significance level and power of every test on the page.
pub const HOLDOUT: f64 = 0.10;
/// Significance level (two-sided).
pub const ALPHA: f64 = 0.05;
/// Power at which days-to-detect and MDEs are computed.
pub const POWER: f64 = 0.80;

/// Settings of the owner report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnerConfig {
    /// The flags that name the store, exactly as the appendix's commands
    /// should print them (e.g. `--store 1.5m --annual-revenue 1200000`).
    pub store_flags: String,
    /// Seed of every simulation on the page.
    pub seed: u64,
    /// Duration of the simulated test of the paid model, days.
    pub vendor_test_days: u32,
    /// Simulated tests per rule and lift in the audit (20 to 100,000).
    pub audit_replicates: usize,
    /// The decision rule the store uses today, if known: marked in the audit.
    pub current_rule: Option<Rule>,
    /// Flags of the rules-vs-model comparison other than the store's and
    /// the seed, as the appendix prints them (e.g. `--sweep-replicates 20`).
    pub compare_flags: String,
}

impl Default for OwnerConfig {
    fn default() -> Self {
        Self {
            store_flags: "--store 1.5m".into(),
            seed: 1,
            vendor_test_days: 30,
            audit_replicates: 100,
            current_rule: None,
            compare_flags: String::new(),
        }
    }
}

/// Days of testing a lift needs at the store.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DaysNeeded {
    /// Relative lift in contribution margin per session (a fraction).
    pub lift: f64,
    /// Whole days to detect it (10% holdout, CUPED, α 0.05, power 0.8);
    /// `None`: more than the horizon.
    pub days: Option<u32>,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnerReport {
    /// Store (preset or profile name).
    pub store: String,
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Expected sessions per day.
    pub sessions_per_day: f64,
    /// Settings.
    pub config: OwnerConfig,
    /// The paid model's fee, USD per month.
    pub fee_usd_per_month: f64,
    /// Longest duration searched for days-to-detect, days.
    pub horizon_days: u32,
    /// Days needed at this store, per [`REPORT_LIFTS`].
    pub days_needed: Vec<DaysNeeded>,
    /// The frontier: days needed by annual revenue, per [`FRONTIER_LIFTS`],
    /// at `liftlab frontier`'s default revenues.
    pub frontier: Vec<DaysCurve>,
    /// The store's plan at [`PLAN_DAYS`] for a 3% lift.
    pub plan: StorePlan,
    /// The profile simulated for the paid model: the store with the model's
    /// effect as its treatment and the model's fee as its platform fee.
    pub model_profile: StoreProfile,
    /// A simulated holdout test of the paid model: truth and vendor view.
    pub vendor: SimSummary,
    /// The field's decision rules audited at the store, at [`AUDIT_LIFTS`]
    /// with the model's fee.
    pub audit: Audit,
    /// Rules against the paid model after fees, when computed.
    pub comparison: Option<Comparison>,
}

/// The store with the paid model switched on: its treatment is the
/// model's effect ([`StoreProfile::policy`]) and its platform fee the model's.
///
/// # Errors
/// As [`StoreProfile::policy`].
pub fn model_profile(profile: &StoreProfile) -> Result<StoreProfile> {
    let (effect, fee) = profile.policy("model")?;
    let mut p = profile.clone();
    p.treatment = effect;
    p.platform_fee_usd_per_month = fee;
    Ok(p)
}

/// Gathers the page's figures for `profile` (the paid model's fee is
/// `profile.policies.model.fee_usd_per_month`). `comparison` is the
/// rules-vs-model result, when available. `progress(step, done, total)`
/// reports each step.
///
/// # Formula
/// Days needed: [`Pilot::days_to_detect`] for contribution margin per
/// session with CUPED, 10% holdout, α = 0.05, power 0.8, searched up to
/// [`MIN_HORIZON_DAYS`] — the computation of `liftlab plan --store` and
/// `liftlab frontier`. The vendor view and truth: one [`simulate`] of the
/// model's profile ([`model_profile`]), summarized by [`summarize`]. The
/// audit: [`audit`] at [`AUDIT_LIFTS`] with the model's fee.
///
/// # Errors
/// [`Error::InvalidParameter`] for a test of 0 days or a negative fee; as
/// [`Pilot::measure`], [`store_plan`], [`simulate`] and [`audit`].
pub fn owner_report(
    profile: &StoreProfile,
    config: &OwnerConfig,
    comparison: Option<Comparison>,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<OwnerReport> {
    profile.validate()?;
    if config.vendor_test_days == 0 {
        return Err(Error::invalid("--days", 0, "at least 1 day"));
    }
    let fee = profile.policies.model.fee_usd_per_month;
    check_non_negative("--fee", fee)?;
    let revenue = profile.annual_revenue_usd;
    progress("pilot", 0, 1);
    let pilot = Pilot::measure(profile, config.seed, MIN_HORIZON_DAYS)?;
    progress("pilot", 1, 1);
    let days_at = |r: f64, lift: f64| {
        pilot.days_to_detect(PlanMetric::MarginPerSession, r, HOLDOUT, true, lift, ALPHA, POWER, 1.0)
    };
    let days_needed = REPORT_LIFTS
        .iter()
        .map(|&lift| Ok(DaysNeeded { lift, days: days_at(revenue, lift)? }))
        .collect::<Result<_>>()?;
    let revenues = FrontierConfig::default().revenues;
    let frontier = FRONTIER_LIFTS
        .iter()
        .map(|&lift| {
            let points = revenues.iter().map(|&r| Ok((r, days_at(r, lift)?))).collect::<Result<Vec<_>>>()?;
            Ok(DaysCurve { lift, points })
        })
        .collect::<Result<Vec<_>>>()?;
    let plan_config =
        PlanConfig { holdout: HOLDOUT, alpha: ALPHA, power: POWER, days: PLAN_DAYS.to_vec(), target_lift: Some(0.03) };
    let plan = store_plan(profile, &plan_config, None, config.seed)?;
    let model = model_profile(profile)?;
    let sim = SimConfig {
        days: config.vendor_test_days,
        holdout: HOLDOUT,
        seed: config.seed,
        salt: config.seed,
        ..SimConfig::default()
    };
    let result = simulate(&model, &sim, Level::Aggregate, &|d, n| progress("simulated test", d, n), |_| Ok(()))?;
    let vendor = summarize(&model, &sim, &result.truth);
    let audit_config = AuditConfig {
        lifts: AUDIT_LIFTS.to_vec(),
        fee_usd_per_month: Some(fee),
        replicates: config.audit_replicates,
        seed: config.seed,
        ..AuditConfig::default()
    };
    let audit = audit(profile, &audit_config, &|d, n| progress("audit", d, n))?;
    Ok(OwnerReport {
        store: profile.name.clone(),
        annual_revenue_usd: revenue,
        sessions_per_day: profile.sessions_per_day(),
        config: config.clone(),
        fee_usd_per_month: fee,
        horizon_days: pilot.horizon_days,
        days_needed,
        frontier,
        plan,
        model_profile: model,
        vendor,
        audit,
        comparison,
    })
}

/// Days in words: `"45 days"`, or `"more than 730 days"` when beyond the horizon.
fn days_text(days: Option<u32>, horizon: u32) -> String {
    match days {
        Some(1) => "1 day".into(),
        Some(d) => format!("{} days", fmt_days(d as f64)),
        None => format!("more than {} days", fmt_days(horizon as f64)),
    }
}

fn needed(r: &OwnerReport, lift: f64) -> Option<u32> {
    r.days_needed.iter().find(|d| d.lift == lift).and_then(|d| d.days)
}

/// The verdict paragraphs at the top of the page.
fn verdict(r: &OwnerReport) -> Vec<String> {
    let h = r.horizon_days;
    let (d1, d3, d12) = (needed(r, 0.01), needed(r, 0.03), needed(r, 0.12));
    let store = format!("At {}/year", usd_short(r.annual_revenue_usd));
    let mut out = Vec::new();
    let measure = match (d3, d1) {
        (None, _) => format!(
            "{store}, no holdout test can tell whether personalization works: even a 3% lift in contribution margin per session — the top of what personalization plausibly brings — needs more than {} days (two years) of testing.",
            fmt_days(h as f64)
        ),
        (Some(d), _) if d > 90 => format!(
            "{store}, a holdout test needs {} to see a 3% lift in contribution margin per session and {} for 1% — longer than a quarter.",
            days_text(Some(d), h),
            days_text(d1, h)
        ),
        (Some(d), _) => format!(
            "{store}, a holdout test can see a 3% lift in contribution margin per session in {} (a 1% lift needs {}).",
            days_text(Some(d), h),
            days_text(d1, h)
        ),
    };
    out.push(measure);
    let d18 = needed(r, 0.18);
    let realistic_out_of_reach = d3.is_none_or(|d3| d3 > 90);
    let vendor = match (d12, d18) {
        (Some(a), Some(b)) if realistic_out_of_reach => Some(format!(
            "The 12–18% lifts vendors claim would show in {} to {}: a test can catch a claim that large being false, not confirm a realistic gain.",
            days_text(Some(b), h),
            days_text(Some(a), h)
        )),
        (Some(a), Some(b)) => Some(format!(
            "The 12–18% lifts vendors claim would show in {} to {}.",
            days_text(Some(b), h),
            days_text(Some(a), h)
        )),
        (None, Some(b)) => Some(format!(
            "Even a vendor-sized lift is hard to see here: 18% would take {}, 12% {}.",
            days_text(Some(b), h),
            days_text(None, h)
        )),
        (_, None) => {
            Some(format!("Not even the 12–18% lifts vendors claim would show within {} days.", fmt_days(h as f64)))
        }
    };
    out.extend(vendor);
    let v = &r.vendor;
    let after_fee = v.truth.incremental_margin_usd;
    out.push(format!(
        "In a simulated {}-day test of a paid model at {}/month, the vendor's dashboard credits it with {} of revenue; it actually added {}, and after its fee it {} {} of contribution margin.",
        r.config.vendor_test_days,
        dollars(r.fee_usd_per_month),
        dollars(v.vendor.attributed_revenue_usd),
        dollars(v.truth.incremental_revenue_usd),
        if after_fee < 0.0 { "lost" } else { "earned" },
        dollars(after_fee.abs()),
    ));
    if let Some(c) = &r.comparison {
        out.push(format!("Rules or a model: {}", c.verdict));
    }
    out.push(what_to_do(r));
    out
}

/// The recommendation in plain words: the group-sequential test the store
/// can run, or a decision on cost when it cannot test
/// ([`crate::audit::Recommended`]).
fn what_to_do(r: &OwnerReport) -> String {
    let rec = &r.audit.recommended;
    if rec.case == "sequential_test" {
        return format!(
            "What to do: test it properly — a holdout of 10% read at most {} times (days {}), stopping only when the result crosses the pre-set bound; if it never does, remove the module.",
            rec.looks,
            rec.look_days.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        );
    }
    let gain = COST_DECISION_LIFT * r.audit.baseline_margin_per_month_usd;
    let fee = r.audit.fee_usd_per_month;
    format!(
        "What to do: no test here can settle it, so decide on cost. A 2% lift — the middle of what personalization plausibly brings — is worth {}/month of contribution margin at this store; {} its {}/month fee, so {} the paid module.",
        dollars(gain),
        if gain > fee { "that covers" } else { "that does not cover" },
        dollars(fee),
        if gain > fee { "keep" } else { "do not keep" }
    )
}

/// The appendix's commands, in page order: `(what it reproduces, command)`.
fn commands(r: &OwnerReport) -> Vec<(String, String)> {
    let (s, seed) = (&r.config.store_flags, r.config.seed);
    let lifts = |l: &[f64]| l.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" ");
    let mut out = vec![
        (
            "This page.".into(),
            format!(
                "liftlab report {s} --fee {} --days {} --replicates {} --seed {seed}{} --out report.html",
                r.fee_usd_per_month,
                r.config.vendor_test_days,
                r.config.audit_replicates,
                r.config.current_rule.map(|x| format!(" --rule {}", x.id())).unwrap_or_default()
            ),
        ),
        (
            "Days needed at this store (verdict, table 1, the store's line in figure 1): metrics[0].days_to_detect_cuped of each run.".into(),
            format!(
                "for L in {}; do liftlab plan {s} --seed {seed} --target-lift $L --format json; done",
                lifts(&REPORT_LIFTS)
            ),
        ),
        (
            "Figure 1, the frontier: verdicts[].days_to_target by annual_revenue_usd of each run.".into(),
            format!(
                "for L in {}; do liftlab frontier {s} --days {} --target-lift $L --checks 0 --seed {seed} --format json; done",
                lifts(&FRONTIER_LIFTS),
                r.horizon_days
            ),
        ),
        (
            "Figure 2 and table 2, the vendor's dashboard against the truth (model.json: the profile under \"Inputs\" below).".into(),
            format!(
                "liftlab simulate --store model.json --days {} --holdout {HOLDOUT} --seed {seed} --salt {seed} --format json",
                r.config.vendor_test_days
            ),
        ),
    ];
    if r.comparison.is_some() {
        out.push((
            "Figure 3 and table 3, rules against the model after fees.".into(),
            format!(
                "liftlab compare {s} --fee {}{} --seed {seed} --format json",
                r.fee_usd_per_month, r.config.compare_flags
            ),
        ));
    }
    out.push((
        "The plan table: the store's plan for a 3% lift.".into(),
        format!(
            "liftlab plan {s} --seed {seed} --days {} --target-lift 0.03",
            PLAN_DAYS.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",")
        ),
    ));
    out.push((
        "The audit figure and table.".into(),
        format!(
            "liftlab audit {s} --lift {} --fee {} --replicates {} --seed {seed}",
            AUDIT_LIFTS.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(","),
            r.fee_usd_per_month,
            r.config.audit_replicates
        ),
    ));
    out
}

/// Writes the rules-vs-model section: the comparison's verdict sentence,
/// each policy's incremental contribution margin per month after its fee
/// with the 90% interval, the fee, and the break-even figure (model minus
/// rules against annual revenue, one line per fee, the store marked).
///
/// # Errors
/// As [`break_even_svg`].
pub fn rules_vs_model_section(page: &mut HtmlPage, c: &Comparison) -> Result<()> {
    page.heading("rules-vs-model", "Rules or a paid model, after fees");
    page.paragraph(&c.verdict);
    let spread = |s: &crate::compare::Spread| (dollars(s.mean), format!("{} to {}", dollars(s.low), dollars(s.high)));
    let rows: Vec<Vec<String>> = [&c.rules, &c.model]
        .iter()
        .map(|p| {
            let (mean, interval) = spread(&p.incremental_margin_usd_per_month);
            vec![
                p.policy.clone(),
                format!("{}/month", dollars(p.fee_usd_per_month)),
                format!("{}/month", mean),
                interval,
            ]
        })
        .chain(std::iter::once({
            let (mean, interval) = spread(&c.model_minus_rules_usd_per_month);
            vec!["model minus rules".into(), String::new(), format!("{mean}/month"), interval]
        }))
        .collect();
    page.table(
        &format!(
            "Table 3. Incremental contribution margin over no module, after fees, USD per month (simulated; 90% interval). The model's learning factor here is {:.2} of its full advantage.",
            c.learning
        ),
        &["policy", "fee", "margin after fee", "90% interval"],
        &rows,
        &[1, 2, 3],
        &[],
    );
    let store_be = c
        .break_even
        .iter()
        .map(|b| match b.annual_revenue_usd {
            Some(r) => format!("{}/year at a {}/month fee", usd_short(r), usd_short(b.fee_usd_per_month)),
            None => format!("beyond the sweep at a {}/month fee", usd_short(b.fee_usd_per_month)),
        })
        .collect::<Vec<_>>()
        .join("; ");
    page.figure(
        "fig-break-even",
        &break_even_svg(c)?,
        &format!(
            "Figure 3. The model's contribution margin minus the rules', after fees (USD/month), by annual revenue (log scale); shaded: 90% interval; above the zero line the model pays for itself over rules. The store is the dot. Break-even: {store_be}."
        ),
    );
    Ok(())
}

/// The page: verdict, the frontier with the store marked, the vendor's
/// claim against the truth, rules against the model (when
/// [`OwnerReport::comparison`] is set), the test the store can run, the
/// audit of the field's decision rules, and the appendix of commands.
///
/// # Errors
/// As [`frontier_svg`] and [`rules_vs_model_section`].
pub fn owner_html(r: &OwnerReport) -> Result<String> {
    let name = if r.store == "custom" { String::new() } else { format!(" (profile {})", r.store) };
    let mut page = HtmlPage::new(
        &format!("Personalization at a {}/year store: what a test can see", usd_short(r.annual_revenue_usd)),
        &format!(
            "liftlab report{name}: {} a year in revenue, about {} sessions a day. Every figure comes from a command in the appendix.",
            dollars(r.annual_revenue_usd),
            fmt_days(r.sessions_per_day.round())
        ),
    );
    page.verdict(&verdict(r));
    let h = r.horizon_days;

    page.heading("measurable", "Can a test measure it?");
    page.paragraph(
        "A holdout keeps the module away from a random 10% of visitors and compares what the two groups earn. The smaller the lift and the smaller the store, the longer it must run before the difference stands out from day-to-day noise.",
    );
    let rows: Vec<Vec<String>> = r
        .days_needed
        .iter()
        .map(|d| {
            vec![
                pct_short(d.lift),
                if d.lift >= 0.1 { "vendors' claims" } else { "what personalization plausibly brings" }.into(),
                days_text(d.days, h),
            ]
        })
        .collect();
    page.table(
        "Table 1. Days of testing needed at this store to detect a lift in contribution margin per session (10% holdout, CUPED on last year's revenue, 80% power, 5% two-sided significance).",
        &["lift", "band", "days needed"],
        &rows,
        &[0, 2],
        &[],
    );
    page.figure(
        "fig-frontier",
        &frontier_svg(
            &r.frontier,
            r.annual_revenue_usd,
            &r.days_needed.iter().map(|d| (d.lift, d.days)).collect::<Vec<_>>(),
            h,
        )?,
        &format!(
            "Figure 1. Days of testing needed to detect a lift in contribution margin per session, by annual revenue (both axes log scale). Green: 1% and 3%; orange: the vendors' 12% and 18%. Lines stop where a test would need more than {} days. The black line is this store, its dots the days it needs (table 1).",
            fmt_days(h as f64)
        ),
    );

    page.heading("vendor", "What the vendor's dashboard says, and what the module earns");
    let v = &r.vendor;
    let n = r.config.vendor_test_days;
    page.paragraph(&format!(
        "A simulated {n}-day test of a paid recommendation model at this store ({}/month), with 90% of visitors seeing it. A dashboard credits the module with every order a recommendation touched; most of those orders would have happened anyway.",
        dollars(r.fee_usd_per_month)
    ));
    let bars = [
        Bar {
            label: "Vendor dashboard: attributed revenue".into(),
            value: v.vendor.attributed_revenue_usd,
            value_text: dollars(v.vendor.attributed_revenue_usd),
            color: "#e67814",
        },
        Bar {
            label: "Revenue it actually added".into(),
            value: v.truth.incremental_revenue_usd,
            value_text: dollars(v.truth.incremental_revenue_usd),
            color: "#1f5ab4",
        },
        Bar {
            label: "Platform fee".into(),
            value: -v.truth.platform_fee_usd,
            value_text: dollars(-v.truth.platform_fee_usd),
            color: "#787878",
        },
        Bar {
            label: "Margin it added, after the fee".into(),
            value: v.truth.incremental_margin_usd,
            value_text: dollars(v.truth.incremental_margin_usd),
            color: if v.truth.incremental_margin_usd < 0.0 { "#c83c32" } else { "#2e8b57" },
        },
    ];
    page.figure(
        "fig-vendor",
        &bars_svg(&bars, &format!("USD over the {n}-day test, visitors who saw the model")),
        &format!(
            "Figure 2. The vendor's view against the truth over a simulated {n}-day test: attributed revenue (orders a recommendation touched), the revenue the model added over the same visitors without it, its fee, and the contribution margin it added after the fee (USD)."
        ),
    );
    page.table(
        "Table 2. The same test in relative terms.",
        &["what", "vendor's dashboard", "truth"],
        &[
            vec![
                "revenue lift".into(),
                format!("{} (attributed over the rest)", pct_short(v.vendor.implied_revenue_lift)),
                format!("{} per visitor", pct_short(v.truth.revenue_per_visitor_lift)),
            ],
            vec![
                "order value".into(),
                format!("{} higher on influenced orders", pct_short(v.vendor.influenced_aov_lift)),
                format!("{} on all orders", pct_short(v.truth.aov_lift)),
            ],
            vec![
                "orders".into(),
                format!("{} influenced", fmt_days(v.vendor.influenced_orders as f64)),
                format!(
                    "{} incremental ({} would have happened anyway)",
                    fmt_days(v.truth.incremental_orders as f64),
                    pct_short(v.vendor.cannibalization)
                ),
            ],
            vec![
                "contribution margin per session".into(),
                "not shown".into(),
                format!("{} after the fee", pct_short(v.truth.margin_per_session_lift)),
            ],
        ],
        &[],
        &[],
    );

    if let Some(c) = &r.comparison {
        rules_vs_model_section(&mut page, c)?;
    }

    page.heading("test", "What test can this store run?");
    let primary = &r.plan.metrics[0];
    let rows: Vec<Vec<String>> = primary
        .rows
        .iter()
        .map(|row| {
            vec![
                format!("{} days", fmt_days(row.days)),
                fmt_days((row.n_control + row.n_treatment).round()),
                pct_short(row.rel_mde_cuped.unwrap_or(row.rel_mde)),
                row.power_at_target.map(pct_short).unwrap_or_default(),
            ]
        })
        .collect();
    page.table(
        "Plan. The smallest lift in contribution margin per session a holdout of each duration detects (with CUPED), and its chance of detecting a 3% lift (10% holdout).",
        &["duration", "visitors (both groups)", "smallest detectable lift", "chance to detect 3% (without CUPED)"],
        &rows,
        &[1, 2, 3],
        &[],
    );
    page.paragraph(&what_to_do(r));
    page.note(&format!("liftlab's rule, as the audit states it: {}.", r.audit.recommended.description));

    page.heading("audit", "How good is the decision rule?");
    let fee = dollars(r.audit.fee_usd_per_month);
    page.paragraph(&format!(
        "The rules stores use to decide whether to keep a module, each simulated {} times at this store with the model's {fee}/month fee: once when the module does nothing, once when it truly lifts margin by 2%. Keeping it is right only when its margin exceeds its fee (at a 2% lift: worth {}/month).",
        r.audit.config.replicates,
        dollars(r.audit.value_per_month_usd.get(1).copied().unwrap_or(f64::NAN)),
    ));
    let marked: Vec<usize> = Rule::ALL
        .iter()
        .enumerate()
        .filter(|(_, rule)| Some(**rule) == r.config.current_rule)
        .map(|(i, _)| i)
        .collect();
    let at = |lift: f64| r.audit.rows.iter().filter(move |row| row.true_lift == lift);
    let bars: Vec<Bar> = at(AUDIT_LIFTS[1])
        .map(|row| Bar {
            label: format!(
                "{}{}",
                row.rule.label(),
                if Some(row.rule) == r.config.current_rule { " (yours)" } else { "" }
            ),
            value: row.p_wrong * 100.0,
            value_text: format!("{} wrong", pct_short(row.p_wrong)),
            color: if row.rule == Rule::LiftlabRecommended { "#2e8b57" } else { "#c83c32" },
        })
        .collect();
    page.figure(
        "fig-audit",
        &bars_svg(&bars, "share of decisions that are wrong at a true 2% lift (%)"),
        &format!(
            "Figure {}. How often each rule makes the wrong call at this store when the module truly lifts margin by 2% and costs {fee}/month ({} simulated tests per rule).",
            if r.comparison.is_some() { 4 } else { 3 },
            r.audit.config.replicates
        ),
    );
    let rows: Vec<Vec<String>> = Rule::ALL
        .iter()
        .map(|&rule| {
            let cell = |lift: f64| {
                at(lift).find(|row| row.rule == rule).map_or(String::new(), |row| {
                    format!("{} wrong, {}/month", frequency(row.p_wrong), dollars(row.expected_cost_per_month_usd))
                })
            };
            vec![rule.label().into(), cell(AUDIT_LIFTS[0]), cell(AUDIT_LIFTS[1])]
        })
        .collect();
    page.table(
        "Audit. How often each rule decides wrongly, and what that costs on average (USD/month), when the module does nothing and when it lifts margin by 2%.",
        &["rule", "module does nothing", "module lifts 2%"],
        &rows,
        &[],
        &marked,
    );
    if let Some(rule) = r.config.current_rule
        && let Some(row) = at(AUDIT_LIFTS[1]).find(|row| row.rule == rule)
    {
        page.paragraph(&format!("Your rule: {}", row.verdict));
    }

    page.heading("appendix", "Appendix: how each figure was made");
    page.paragraph(
        "liftlab simulates this store's visitors from its revenue and the profile's economics; every number above comes from one of these commands (same seed, same output). Table 1 and figure 1 use a pilot simulation of the store's visitors and the reach curve; the vendor test and the audit simulate whole tests.",
    );
    page.commands(&commands(r));
    let profile = serde_json::to_string_pretty(&r.model_profile).expect("a profile serializes");
    page.details("Inputs: model.json, the store with the paid model as its treatment", &profile);
    Ok(page.render())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{BreakEven, PolicyEconomics, RulesVsModelTest, Spread, SweepPoint};

    fn spread(mean: f64) -> Spread {
        Spread { mean, low: mean - 400.0, high: mean + 400.0 }
    }

    fn policy(name: &str, fee: f64, margin: f64) -> PolicyEconomics {
        PolicyEconomics {
            policy: name.into(),
            revenue_per_visitor_lift: 0.02,
            incremental_revenue_usd_per_month: spread(2_000.0),
            incremental_margin_before_fee_usd_per_month: spread(margin + fee),
            fee_usd_per_month: fee,
            incremental_margin_usd_per_month: spread(margin),
            vendor_attributed_revenue_usd_per_month: 20_000.0,
        }
    }

    /// A hand-built comparison at a $1.2M store: rules +$700/month, the
    /// model −$1,750/month after its $2,500 fee.
    fn comparison() -> Comparison {
        let sweep = [1.2e6, 5e6, 2e7]
            .iter()
            .flat_map(|&r| {
                [1_500.0, 2_500.0].map(move |fee| SweepPoint {
                    annual_revenue_usd: r,
                    fee_usd_per_month: fee,
                    learning: 0.1,
                    model_minus_rules_usd_per_month: spread(r / 2_000.0 - fee),
                })
            })
            .collect();
        Comparison {
            store: "custom".into(),
            annual_revenue_usd: 1.2e6,
            orders_per_month: 1_250.0,
            months: 200,
            learning: 0.02,
            rules: policy("rules", 0.0, 700.0),
            model: policy("model", 2_500.0, -1_750.0),
            model_minus_rules_before_fee_usd_per_month: spread(50.0),
            model_minus_rules_usd_per_month: spread(-2_450.0),
            winner: "rules".into(),
            test: RulesVsModelTest {
                days: 30,
                shares: [0.1, 0.45, 0.45],
                visitors: 50_000.0,
                true_gap: 0.0002,
                fee_threshold: 0.07,
                se: 0.07,
                mde: 0.2,
                p_picks_better: 0.6,
                p_significant_better: 0.05,
            },
            break_even: vec![
                BreakEven { fee_usd_per_month: 1_500.0, annual_revenue_usd: Some(3e6), low: None, high: None },
                BreakEven { fee_usd_per_month: 2_500.0, annual_revenue_usd: None, low: None, high: None },
            ],
            sweep,
            sensitivity: Vec::new(),
            verdict: "Rules earn $2,450/month more than the model after its fee <here>.".into(),
        }
    }

    #[test]
    fn the_rules_vs_model_section_renders_a_hand_built_comparison() {
        let mut page = HtmlPage::new("t", "s");
        rules_vs_model_section(&mut page, &comparison()).unwrap();
        let html = page.render();
        assert!(html.contains("Rules earn $2,450/month more than the model after its fee &lt;here&gt;."), "{html}");
        assert!(html.contains("<td>rules</td><td class=\"num\">$0/month</td><td class=\"num\">$700/month</td>"));
        assert!(html.contains("-$1,750/month") && html.contains("-$2,150 to -$1,350"));
        assert!(html.contains("$2,500/month"));
        assert!(html.contains("<figure id=\"fig-break-even\">\n<svg"));
        assert!(html.contains("model minus rules after fees (USD/month)"));
        assert!(html.contains("fee $1.5k/month") && html.contains("fee $2.5k/month"));
        assert!(html.contains("this store ($1.2M/year, fee $2.5k/month)"));
        assert!(html.contains("Break-even: $3M/year at a $1.5k/month fee; beyond the sweep at a $2.5k/month fee."));
    }

    #[test]
    fn an_empty_sweep_is_an_error_not_a_panic() {
        let mut c = comparison();
        c.sweep.clear();
        assert!(rules_vs_model_section(&mut HtmlPage::new("t", "s"), &c).is_err());
    }

    #[test]
    fn days_read_in_words() {
        assert_eq!(days_text(Some(45), 730), "45 days");
        assert_eq!(days_text(Some(1), 730), "1 day");
        assert_eq!(days_text(None, 730), "more than 730 days");
    }
}
