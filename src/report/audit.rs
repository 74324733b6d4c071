//! `liftlab audit` as a text table (one block per true lift) and as CSV
//! (one row per rule × lift, [`AUDIT_COLUMNS`]).

use crate::report::csv::{num, opt, write_rows};
use std::fmt::Write;

use crate::audit::{Audit, AuditRow, dollars};
use crate::report::format::{count, pct_short, usd};

/// Columns of the audit CSV, in order.
pub const AUDIT_COLUMNS: &[&str] = &[
    "store",
    "annual_revenue_usd",
    "fee_usd_per_month",
    "baseline_margin_per_month_usd",
    "rule",
    "true_lift",
    "value_per_month_usd",
    "right_decision",
    "replicates",
    "p_keep",
    "p_keep_se",
    "p_wrong",
    "p_wrong_se",
    "expected_cost_per_month_usd",
    "any_look_rejection_rate",
    "any_look_rejection_rate_se",
    "median_decision_day",
    "mean_estimated_change",
    "sd_estimated_change",
    "description",
    "verdict",
];

/// A probability with its Monte Carlo SE, in percent (`21.0% ± 2.9%`);
/// exact (no SE) when nothing was simulated.
fn p_se(p: f64, se: f64, replicates: usize) -> String {
    if replicates == 0 {
        format!("{:.0}% (exact)", 100.0 * p)
    } else {
        format!("{:.1}% ± {:.1}%", 100.0 * p, 100.0 * se)
    }
}

fn detail(r: &AuditRow) -> String {
    let mut parts = Vec::new();
    if let (Some(p), Some(se)) = (r.any_look_rejection_rate, r.any_look_rejection_rate_se) {
        parts.push(format!("significant at some look {:.1}% ± {:.1}%", 100.0 * p, 100.0 * se));
    }
    if let Some(d) = r.median_decision_day.filter(|d| d.is_finite()) {
        parts.push(format!("median decision day {d:.0}"));
    }
    if let (Some(m), Some(sd)) = (r.mean_estimated_change, r.sd_estimated_change)
        && m.is_finite()
    {
        parts.push(format!("estimate {:+.1}% (sd {:.1}%)", 100.0 * m, 100.0 * sd));
    }
    if r.replicates == 0 {
        parts.push("decided on cost, no test".into());
    }
    parts.join("; ")
}

/// The audit as text: inputs, then one block per true lift with a row per
/// rule (`P(keep)`, `P(wrong)` ± Monte Carlo SE, expected cost per month,
/// the rule's own figures) and one verdict sentence per rule.
pub fn audit_table(a: &Audit) -> String {
    let mut s = String::new();
    let c = &a.config;
    let _ = writeln!(s, "liftlab audit: the field's decision rules, simulated at store {}", a.store);
    let _ = writeln!(
        s,
        "store:    {}/year, {} sessions/day; baseline contribution margin {}/session = M {}/month",
        usd(a.annual_revenue_usd).trim_end_matches(".00"),
        count(a.sessions_per_day),
        usd(a.baseline_margin_per_session_usd),
        usd(a.baseline_margin_per_month_usd).trim_end_matches(".00"),
    );
    let _ = writeln!(
        s,
        "value:    keeping the module is worth V(L) = L·M − F a month, F = fee {}/month; the right call is keep iff V > 0",
        usd(a.fee_usd_per_month).trim_end_matches(".00"),
    );
    let _ = writeln!(
        s,
        "design:   {} simulated tests per rule and lift, seed {} (same draws for every lift)",
        c.replicates, c.seed
    );
    let _ = writeln!(s, "liftlab:  {}", a.recommended.description);
    let per_lift = a.rows.len() / c.lifts.len().max(1);
    for (block, value) in a.rows.chunks(per_lift.max(1)).zip(&a.value_per_month_usd) {
        let lift = block[0].true_lift;
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "true lift {}: V = {}/month, the right call is {}",
            pct_short(lift),
            dollars(*value),
            block[0].right_decision
        );
        let _ = writeln!(s, "  {:<21} {:>17} {:>17} {:>11}  detail", "rule", "P(keep)", "P(wrong)", "cost/month");
        for r in block {
            let _ = writeln!(
                s,
                "  {:<21} {:>17} {:>17} {:>11}  {}",
                r.rule.id(),
                p_se(r.p_keep, r.p_keep_se, r.replicates),
                p_se(r.p_wrong, r.p_wrong_se, r.replicates),
                dollars(r.expected_cost_per_month_usd),
                detail(r)
            );
        }
        for r in block {
            let _ = writeln!(s, "  - {}", r.verdict);
        }
    }
    s
}

/// The audit's rows as CSV text ([`AUDIT_COLUMNS`]); undefined figures are
/// empty cells.
///
/// # Errors
/// Only if the CSV writer fails.
pub fn audit_csv(a: &Audit) -> csv::Result<String> {
    write_rows(
        AUDIT_COLUMNS,
        a.rows.iter().map(|r| {
            vec![
                a.store.clone(),
                num(a.annual_revenue_usd),
                num(a.fee_usd_per_month),
                num(a.baseline_margin_per_month_usd),
                r.rule.id().to_string(),
                num(r.true_lift),
                num(r.value_per_month_usd),
                r.right_decision.clone(),
                r.replicates.to_string(),
                num(r.p_keep),
                num(r.p_keep_se),
                num(r.p_wrong),
                num(r.p_wrong_se),
                num(r.expected_cost_per_month_usd),
                opt(r.any_look_rejection_rate),
                opt(r.any_look_rejection_rate_se),
                opt(r.median_decision_day),
                opt(r.mean_estimated_change),
                opt(r.sd_estimated_change),
                r.description.clone(),
                r.verdict.clone(),
            ]
        }),
    )
}
