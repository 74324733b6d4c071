//! `liftlab compare` as a table for people and a CSV of the break-even sweep.

use std::fmt::Write;

use super::csv::{num, opt, write_rows};
use super::format::{count, pct, pct_short, pct_unsigned, usd_short};
use crate::audit::dollars;
use crate::compare::{Comparison, Spread};

fn spread(s: &Spread) -> String {
    format!("{} [{}, {}]", dollars(s.mean), dollars(s.low), dollars(s.high))
}

fn revenue(x: Option<f64>) -> String {
    x.map(usd_short).unwrap_or_else(|| "beyond the sweep".into())
}

/// The comparison as text: each policy's month, model minus rules, the
/// rules-vs-model test, the break-even per fee, the sensitivity table and
/// the verdict.
pub fn compare_table(c: &Comparison, months: usize, sweep_months: usize, rpv_gap: f64) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "liftlab compare: store {} ({}/year, {} orders/month), {} simulated months at the store",
        c.store,
        usd_short(c.annual_revenue_usd),
        count(c.orders_per_month),
        count(months as f64)
    );
    let _ = writeln!(
        out,
        "the model's learning factor here: {} of its assumed advantage over rules (+{} revenue per visitor at saturation)",
        pct_unsigned(c.learning),
        pct_short(rpv_gap)
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "per month over no module, mean [90% of months]");
    let _ = writeln!(out, "  {:<34}{:>34}{:>34}", "", "rules", "model");
    let (r, m) = (&c.rules, &c.model);
    let rows: [(&str, String, String); 6] = [
        ("revenue per visitor lift", pct(r.revenue_per_visitor_lift), pct(m.revenue_per_visitor_lift)),
        (
            "incremental revenue",
            spread(&r.incremental_revenue_usd_per_month),
            spread(&m.incremental_revenue_usd_per_month),
        ),
        (
            "incremental margin before fee",
            spread(&r.incremental_margin_before_fee_usd_per_month),
            spread(&m.incremental_margin_before_fee_usd_per_month),
        ),
        ("fee", dollars(r.fee_usd_per_month), dollars(m.fee_usd_per_month)),
        (
            "incremental margin after fee",
            spread(&r.incremental_margin_usd_per_month),
            spread(&m.incremental_margin_usd_per_month),
        ),
        (
            "vendor-attributed revenue",
            dollars(r.vendor_attributed_revenue_usd_per_month),
            dollars(m.vendor_attributed_revenue_usd_per_month),
        ),
    ];
    for (name, a, b) in rows {
        let _ = writeln!(out, "  {name:<34}{a:>34}{b:>34}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "model minus rules: {} a month before fees, {} after",
        spread(&c.model_minus_rules_before_fee_usd_per_month),
        spread(&c.model_minus_rules_usd_per_month)
    );
    let t = &c.test;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "a rules-vs-model test of {} days, control/rules/model {}/{}/{} ({} visitors in rules and model):",
        t.days,
        pct_short(t.shares[0]),
        pct_short(t.shares[1]),
        pct_short(t.shares[2]),
        count(t.visitors)
    );
    let _ = writeln!(
        out,
        "  {:<62}{:>10}",
        "true gap (model over rules, margin per session, before fees)",
        pct(t.true_gap)
    );
    let _ = writeln!(out, "  {:<62}{:>10}", "gap the model needs to pay its fee", pct(t.fee_threshold));
    let _ = writeln!(out, "  {:<62}{:>10}", "MDE of the comparison", pct_short(t.mde));
    let _ = writeln!(out, "  {:<62}{:>10}", "chance the test points to the better policy", pct_short(t.p_picks_better));
    let _ = writeln!(out, "  {:<62}{:>10}", "chance it shows that significantly", pct_short(t.p_significant_better));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "break-even: the annual revenue above which the model earns more than rules after fees, median [90%] of {} simulated sweeps",
        count(sweep_months as f64)
    );
    for b in &c.break_even {
        let _ = writeln!(
            out,
            "  fee {:>8}/month   {:>16}  [{}, {}]",
            dollars(b.fee_usd_per_month),
            revenue(b.annual_revenue_usd),
            revenue(b.low),
            revenue(b.high)
        );
    }
    let fees: Vec<f64> = c.break_even.iter().map(|b| b.fee_usd_per_month).collect();
    let _ = writeln!(out);
    let _ =
        writeln!(out, "sensitivity: break-even by the model's assumed advantage at saturation (revenue per visitor)");
    let _ = write!(out, "  {:<12}", "advantage");
    for f in &fees {
        let _ = write!(out, "{:>18}", format!("fee {}", dollars(*f)));
    }
    let _ = writeln!(out);
    let mut gaps: Vec<f64> = c.sensitivity.iter().map(|s| s.rpv_gap).collect();
    gaps.dedup();
    for g in gaps {
        let _ = write!(out, "  {:<12}", format!("+{}", pct_short(g)));
        for s in c.sensitivity.iter().filter(|s| s.rpv_gap == g) {
            let _ = write!(out, "{:>18}", revenue(s.break_even_revenue_usd));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "verdict: {}", c.verdict);
    out
}

/// Columns of the compare CSV.
pub const COMPARE_COLUMNS: &[&str] = &[
    "annual_revenue_usd",
    "fee_usd_per_month",
    "learning",
    "model_minus_rules_usd_per_month",
    "model_minus_rules_low",
    "model_minus_rules_high",
    "break_even_revenue_usd",
    "break_even_low",
    "break_even_high",
];

/// The break-even sweep as CSV: one row per store size and fee, with the
/// fee's break-even revenue repeated on its rows.
///
/// # Errors
/// A CSV error (none in practice: the writer is in memory).
pub fn compare_csv(c: &Comparison) -> csv::Result<String> {
    write_rows(
        COMPARE_COLUMNS,
        c.sweep.iter().map(|p| {
            let b = c.break_even.iter().find(|b| b.fee_usd_per_month == p.fee_usd_per_month);
            let s = &p.model_minus_rules_usd_per_month;
            vec![
                num(p.annual_revenue_usd),
                num(p.fee_usd_per_month),
                num(p.learning),
                num(s.mean),
                num(s.low),
                num(s.high),
                opt(b.and_then(|b| b.annual_revenue_usd)),
                opt(b.and_then(|b| b.low)),
                opt(b.and_then(|b| b.high)),
            ]
        }),
    )
}
