//! Rendering a test read `K` times ([`crate::montecarlo::looks::LooksReport`]).

use std::fmt::Write as _;

use crate::montecarlo::looks::LooksReport;
use crate::report::csv::{num, write_rows};
use crate::report::format::{count, pct, pct_short, pct_unsigned, usd};

/// Columns of the looks CSV, in order: one row per metric × method.
pub const LOOKS_COLUMNS: &[&str] =
    &["metric", "method", "rejection_rate", "rejection_rate_se", "power", "power_se", "mean_stop_day"];

/// The report as CSV text ([`LOOKS_COLUMNS`]).
///
/// # Errors
/// Only if the CSV writer fails.
pub fn looks_csv(r: &LooksReport) -> csv::Result<String> {
    write_rows(
        LOOKS_COLUMNS,
        r.rows.iter().map(|row| {
            vec![
                row.metric.clone(),
                row.method.clone(),
                num(row.rejection_rate),
                num(row.rejection_rate_se),
                num(row.power),
                num(row.power_se),
                num(row.mean_stop_day),
            ]
        }),
    )
}

/// The report as a text table, with a closing line on what peeking costs.
pub fn looks_table(r: &LooksReport) -> String {
    let mut out = String::new();
    let days: Vec<String> = r.sim.looks.iter().map(|d| d.to_string()).collect();
    let _ = writeln!(
        out,
        "liftlab power --looks: store {} ({}/year), {} days, {} holdout, read {} times (days {})",
        r.store,
        usd(r.annual_revenue_usd).trim_end_matches(".00"),
        r.sim.days,
        pct_short(r.sim.holdout),
        r.sim.looks.len(),
        days.join(", ")
    );
    let _ = writeln!(
        out,
        "{} simulated tests, true lift {}, alpha {} two-sided; the same tests for every method",
        count(r.config.replicates as f64),
        pct(r.lift),
        r.config.alpha
    );
    let null = r.lift == 0.0;
    let rate = if null { "false positives" } else { "rejections" };
    for metric in crate::montecarlo::looks::LOOK_METRICS {
        let _ = writeln!(out);
        let _ = writeln!(out, "{metric}");
        let _ =
            writeln!(out, "  {:<36}{:>20}{:>18}{:>12}", "method", rate, if null { "" } else { "power" }, "stops (day)");
        for row in r.rows.iter().filter(|row| row.metric == metric) {
            let power = if null {
                String::new()
            } else {
                format!("{} ± {}", pct_unsigned(row.power), pct_unsigned(row.power_se))
            };
            let _ = writeln!(
                out,
                "  {:<36}{:>20}{:>18}{:>12.1}",
                row.method,
                format!("{} ± {}", pct_unsigned(row.rejection_rate), pct_unsigned(row.rejection_rate_se)),
                power,
                row.mean_stop_day
            );
        }
    }
    let first = crate::montecarlo::looks::LOOK_METRICS[0];
    let rate_of = |k: usize| {
        r.rows
            .iter()
            .find(|row| row.metric == first && row.method == crate::montecarlo::looks::LOOK_METHODS[k])
            .map(|row| format!("{} ± {}", pct_unsigned(row.rejection_rate), pct_unsigned(row.rejection_rate_se)))
            .unwrap_or_default()
    };
    if null {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "with no true effect, stopping at the first p < {} declares a winner or loser in {} of tests ({} looks, {first}); \
             the group-sequential design {}, the confidence sequence {}, a single final look {} (nominal {})",
            r.config.alpha,
            rate_of(0),
            r.sim.looks.len(),
            rate_of(1),
            rate_of(2),
            rate_of(3),
            pct_short(r.config.alpha)
        );
    }
    out
}
