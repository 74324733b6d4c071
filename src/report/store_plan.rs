//! Rendering a store's plan ([`crate::plan::store::StorePlan`]): a text
//! table per metric and the group-sequential design, and CSV rows.

use std::fmt::Write as _;

use crate::plan::dated::DatedPlan;
use crate::plan::store::StorePlan;
use crate::report::csv::{PLAN_COLUMNS, plan_row, write_rows};
use crate::report::format::{count, days as fmt_days, pct_short, pct_unsigned, pvalue, sig, usd};

/// Columns of the store plan CSV, in order: one row per metric × duration.
pub const STORE_PLAN_COLUMNS: &[&str] = &[
    "metric",
    "days",
    "n_control",
    "n_treatment",
    "mde",
    "rel_mde",
    "mde_cuped",
    "rel_mde_cuped",
    "power_at_target",
    "days_to_detect",
    "days_to_detect_cuped",
    "days_to_detect_sequential",
];

/// The plan as CSV text ([`STORE_PLAN_COLUMNS`]); a days-to-detect cell is
/// empty when no duration within the horizon reaches the target.
///
/// # Errors
/// Only if the CSV writer fails.
pub fn store_plan_csv(p: &StorePlan) -> csv::Result<String> {
    let days = |d: Option<u32>| d.map(|d| d.to_string()).unwrap_or_default();
    let rows = p.metrics.iter().flat_map(|m| {
        m.rows.iter().map(move |r| {
            let mut row = plan_row(r);
            row.insert(0, m.metric.label().to_string());
            row.extend([days(m.days_to_detect), days(m.days_to_detect_cuped), days(m.days_to_detect_sequential)]);
            row
        })
    });
    write_rows(STORE_PLAN_COLUMNS, rows)
}

/// The plan as a text table.
pub fn store_plan_table(p: &StorePlan) -> String {
    let mut out = String::new();
    let cfg = &p.config;
    let lift = cfg.target_lift.unwrap_or(0.03);
    let _ = writeln!(out, "liftlab plan: minimum detectable effect (MDE) for a holdout at store {}", p.store);
    let _ = writeln!(
        out,
        "store:   {}/year, {} sessions/day; visitors are randomized and come back (NBD reach curve)",
        usd(p.annual_revenue_usd).trim_end_matches(".00"),
        count(p.sessions_per_day)
    );
    let reach: Vec<String> = cfg
        .days
        .iter()
        .zip(&p.metrics[0].rows)
        .map(|(d, r)| format!("{} days {}", fmt_days(*d), count(r.n_control + r.n_treatment)))
        .collect();
    let _ = writeln!(out, "reach:   unique visitors {}", reach.join(" · "));
    let _ = writeln!(
        out,
        "design:  {} holdout (control), alpha {} two-sided, power {}, target lift {}",
        pct_short(cfg.holdout),
        cfg.alpha,
        pct_short(cfg.power),
        pct_short(lift)
    );
    let detect = |d: Option<u32>| match d {
        Some(d) => format!("{} days", fmt_days(d as f64)),
        None => format!("none within {} days", fmt_days(p.horizon_days as f64)),
    };
    for (i, m) in p.metrics.iter().enumerate() {
        let _ = writeln!(out);
        let mean = m.rows.iter().find(|r| r.days == 30.0).or(m.rows.first()).map(|r| r.mde / r.rel_mde);
        let (unit, kind) = match m.metric {
            crate::plan::pilot::PlanMetric::MarginPerSession => ("per session", "ratio, delta method"),
            crate::plan::pilot::PlanMetric::RevenuePerVisitor => ("per visitor", "Welch"),
            crate::plan::pilot::PlanMetric::Conversion => ("orders per session", "ratio, delta method"),
        };
        let level = match (m.metric, mean) {
            (crate::plan::pilot::PlanMetric::Conversion, Some(x)) => format!("{} {unit}", pct_short(x)),
            (_, Some(x)) => format!("{} {unit}", usd(x)),
            _ => String::new(),
        };
        let _ = writeln!(out, "{}{} ({kind}): {level}", m.metric.label(), if i == 0 { " — primary" } else { "" });
        let _ = writeln!(
            out,
            "{:>6} {:>10} {:>10} {:>9} {:>13} {:>12}",
            "days",
            "control",
            "treatment",
            "rel MDE",
            "rel MDE CUPED",
            format!("power at {}", pct_short(lift))
        );
        for r in &m.rows {
            let _ = writeln!(
                out,
                "{:>6} {:>10} {:>10} {:>9} {:>13} {:>12}",
                fmt_days(r.days),
                count(r.n_control),
                count(r.n_treatment),
                pct_unsigned(r.rel_mde),
                r.rel_mde_cuped.map(pct_unsigned).unwrap_or_default(),
                r.power_at_target.map(pct_unsigned).unwrap_or_default()
            );
        }
        let mut line = format!(
            "days to detect {}: {} (CUPED: {})",
            pct_short(lift),
            detect(m.days_to_detect),
            detect(m.days_to_detect_cuped)
        );
        if p.sequential.is_some() {
            let _ = write!(line, "; with the sequential design: {}", detect(m.days_to_detect_sequential));
        }
        let _ = writeln!(out, "{line}");
    }
    if let Some(s) = &p.sequential {
        let d = &s.design;
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "sequential: {} looks at equal information, O'Brien-Fleming-type alpha spending (Lan & DeMets 1983);",
            d.bounds.len()
        );
        let _ = writeln!(
            out,
            "            the maximum sample is {} of a single look's (inflation factor {})",
            pct_unsigned(d.inflation_factor),
            sig(d.inflation_factor, 4)
        );
        let _ = writeln!(
            out,
            "{:>6} {:>6} {:>11} {:>11} {:>12} {:>10}",
            "look", "info", "|z| bound", "nominal p", "alpha spent", "day (margin)"
        );
        for (j, ((t, c), (pv, a))) in
            d.info.iter().zip(&d.bounds).zip(d.nominal_pvalues.iter().zip(&d.cumulative_alpha)).enumerate()
        {
            let day = s.look_days.get(j).map(|d| d.to_string()).unwrap_or_else(|| "-".into());
            let _ = writeln!(
                out,
                "{:>6} {:>6} {:>11} {:>11} {:>12} {:>10}",
                j + 1,
                sig(*t, 3),
                sig(*c, 4),
                pvalue(*pv),
                sig(*a, 3),
                day
            );
        }
        let _ = writeln!(
            out,
            "stop at the first look whose |z| reaches its bound; otherwise keep the holdout to the last look"
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "verdict: {}", p.verdict);
    let _ = writeln!(
        out,
        "(per-visitor moments from a {}-visitor A/A pilot of the store, seed {}; `liftlab power --mde` checks them by simulation)",
        count(p.pilot.looks.last().map(|l| l.visitors as f64).unwrap_or(0.0)),
        p.pilot.seed
    );
    out
}

/// A plan measured from a dated file as CSV text: the plan's columns
/// ([`crate::report::csv::PLAN_COLUMNS`]), one row per duration within the
/// data's span.
///
/// # Errors
/// Only if the CSV writer fails.
pub fn dated_plan_csv(p: &DatedPlan) -> csv::Result<String> {
    write_rows(PLAN_COLUMNS, p.rows.iter().map(plan_row))
}

/// A plan measured from a dated file as a text table.
pub fn dated_plan_table(p: &DatedPlan) -> String {
    let mut out = String::new();
    let cfg = &p.config;
    let lift = cfg.target_lift.unwrap_or(0.03);
    let _ = writeln!(out, "liftlab plan: minimum detectable effect (MDE) measured on a dated file");
    let _ = writeln!(
        out,
        "data:    {} over {} days; metric {:?} per unit ({}), units counted once, their rows summed so far",
        p.file,
        fmt_days(p.span_days as f64),
        p.metric,
        p.rows_used
    );
    let _ = writeln!(
        out,
        "design:  {} holdout (control), alpha {} two-sided, power {}, target lift {}",
        pct_short(cfg.holdout),
        cfg.alpha,
        pct_short(cfg.power),
        pct_short(lift)
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>6} {:>10} {:>10} {:>12} {:>9} {:>12}",
        "days",
        "control",
        "treatment",
        "MDE",
        "rel MDE",
        format!("power at {}", pct_short(lift))
    );
    for r in &p.rows {
        let _ = writeln!(
            out,
            "{:>6} {:>10} {:>10} {:>12} {:>9} {:>12}",
            fmt_days(r.days),
            count(r.n_control),
            count(r.n_treatment),
            sig(r.mde, 4),
            pct_unsigned(r.rel_mde),
            r.power_at_target.map(pct_unsigned).unwrap_or_default()
        );
    }
    if !p.beyond_span.is_empty() {
        let days: Vec<String> = p.beyond_span.iter().map(|d| fmt_days(*d)).collect();
        let _ = writeln!(out, "(not planned, beyond the data's {} days: {})", p.span_days, days.join(", "));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "verdict: {}", p.verdict);
    out
}
