//! Reports of a weekly read ([`crate::weekly`]): a text table per metric and
//! treatment arm with a closing verdict line, and CSV rows.

use std::fmt::Write;

use super::format::{count, pct, pct_short, pvalue, signed};
use crate::weekly::{WeeklyAnalysis, WeeklyRow, WeeklySummary};

/// Columns of the weekly CSV, in order: the fields of [`WeeklyRow`].
pub const WEEKLY_COLUMNS: &[&str] = &[
    "metric",
    "control",
    "treatment",
    "look",
    "look_date",
    "days_elapsed",
    "n_control",
    "n_treatment",
    "mean_control",
    "mean_treatment",
    "effect_size",
    "effect_size_se",
    "rel_effect_size",
    "effect_size_ci_lower",
    "effect_size_ci_upper",
    "rel_effect_size_ci_lower",
    "rel_effect_size_ci_upper",
    "pvalue",
    "significant",
    "seq_effect_size_ci_lower",
    "seq_effect_size_ci_upper",
    "seq_rel_effect_size_ci_lower",
    "seq_rel_effect_size_ci_upper",
    "seq_pvalue",
    "seq_significant",
];

const DIGITS: usize = 4;

fn ci(lo: f64, hi: f64) -> String {
    format!("[{}, {}]", signed(lo, DIGITS), signed(hi, DIGITS))
}

fn mark(significant: bool, effect: f64) -> &'static str {
    match (significant, effect > 0.0) {
        (false, _) => "-",
        (true, true) => "win",
        (true, false) => "loss",
    }
}

/// Right-aligns `rows` under `header`, two spaces between columns.
fn grid(out: &mut String, header: &[String], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..header.len())
        .map(|j| rows.iter().map(|r| r[j].chars().count()).chain([header[j].chars().count()]).max().unwrap_or(0))
        .collect();
    for r in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let line: Vec<String> = r.iter().zip(&widths).map(|(c, &w)| format!("{c:>w$}")).collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
}

/// The closing verdict of one metric and arm: when naive weekly peeking
/// would have stopped, and when the always-valid test rejects. Days are
/// counted from the first date, both included; `date_column` names the
/// dates shown.
pub fn verdict(s: &WeeklySummary, date_column: &str) -> String {
    let naive = match (&s.naive_first_look_date, s.naive_first_days_elapsed, s.naive_first_pvalue) {
        (Some(date), Some(days), Some(p)) => format!(
            "naive weekly peeking: would have stopped after {days} days (look {}, {date_column} {date}: p = {}, a {})",
            s.naive_first_look.unwrap_or_default(),
            pvalue(p),
            s.naive_first_direction.map_or("", |d| d.label())
        ),
        _ => format!(
            "naive weekly peeking: never significant in {} looks (final p = {})",
            s.looks,
            pvalue(s.final_pvalue)
        ),
    };
    let seq = match (&s.seq_first_look_date, s.seq_first_days_elapsed, s.seq_first_pvalue) {
        (Some(date), Some(days), Some(p)) => format!(
            "always-valid: significant after {days} days (look {}, {date_column} {date}: p = {}, a {})",
            s.seq_first_look.unwrap_or_default(),
            pvalue(p),
            s.seq_first_direction.map_or("", |d| d.label())
        ),
        _ => format!(
            "always-valid: no significant effect after {} days (p = {})",
            s.final_days_elapsed,
            pvalue(s.final_seq_pvalue)
        ),
    };
    format!("{naive}; {seq}")
}

/// The weekly read as a text report: one table per metric and treatment arm
/// (one row per look), each closed by its [`verdict`]. Skipped looks are
/// counted; their warnings are for the caller to print.
pub fn weekly_table(a: &WeeklyAnalysis) -> String {
    let mut out = String::new();
    let conf = pct_short(1.0 - a.alpha);
    let units = match &a.unit_column {
        Some(u) => format!("{} rows -> {} units by {u:?}", count(a.n_rows as f64), count(a.n_units as f64)),
        None => format!("{} units", count(a.n_units as f64)),
    };
    let _ = writeln!(
        out,
        "liftlab analyze, weekly reads: {} ({units}, control {:?}, alpha {})",
        a.file, a.control, a.alpha
    );
    let _ = writeln!(
        out,
        "{} {} to {}, a look every {} day(s) and at the last date: {} looks (days = days since the first date, both included)",
        a.date_column,
        a.first_date,
        a.last_date,
        a.look_every,
        a.look_dates.len()
    );
    let _ = writeln!(
        out,
        "naive = fixed-horizon Welch test at each look (what a weekly reader sees); always-valid = asymptotic \
         confidence sequence (Waudby-Smith et al. 2021, as GrowthBook), valid at every look at once; its p-value never rises"
    );
    let header: Vec<String> = [
        "look",
        &a.date_column,
        "days",
        "n_control",
        "n_treatment",
        "effect",
        "lift",
        "naive p",
        &format!("naive {conf} CI"),
        &format!("always-valid {conf} CI"),
        "seq p",
        "naive",
        "seq",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for s in &a.summary {
        let rows: Vec<&WeeklyRow> = a
            .rows
            .iter()
            .filter(|r| r.metric == s.metric && r.treatment == s.treatment && r.control == s.control)
            .collect();
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} / {} vs {} (sequence tuned for n* = {} units, rho = {})",
            s.metric,
            s.treatment,
            s.control,
            count(s.cs_n_star),
            super::format::sig(s.cs_rho, 4)
        );
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.look.to_string(),
                    r.look_date.clone(),
                    r.days_elapsed.to_string(),
                    count(r.n_control as f64),
                    count(r.n_treatment as f64),
                    signed(r.effect_size, DIGITS),
                    r.rel_effect_size.map(pct).unwrap_or_else(|| "n/a".into()),
                    pvalue(r.pvalue),
                    ci(r.effect_size_ci_lower, r.effect_size_ci_upper),
                    ci(r.seq_effect_size_ci_lower, r.seq_effect_size_ci_upper),
                    pvalue(r.seq_pvalue),
                    mark(r.significant, r.effect_size).to_string(),
                    mark(r.seq_significant, r.effect_size).to_string(),
                ]
            })
            .collect();
        grid(&mut out, &header, &cells);
        let _ = writeln!(out, "  {}", verdict(s, &a.date_column));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "JSON/CSV also give the relative lift's always-valid CI (the absolute one divided by the control mean: approximate)."
    );
    if !a.warnings.is_empty() {
        let _ = writeln!(out, "{} look(s) skipped: see the warnings on standard error.", a.warnings.len());
    }
    out
}

/// The weekly rows as CSV text ([`WEEKLY_COLUMNS`]), one row per look ×
/// metric × treatment arm. Missing values are empty cells.
///
/// # Errors
/// Only if the CSV writer fails, which an in-memory buffer rules out.
pub fn weekly_csv(a: &WeeklyAnalysis) -> csv::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in &a.rows {
        w.serialize(r)?;
    }
    if a.rows.is_empty() {
        w.write_record(WEEKLY_COLUMNS)?;
    }
    let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_are_the_row_fields() {
        let row = WeeklyRow {
            metric: "y".into(),
            control: "c".into(),
            treatment: "t".into(),
            look: 1,
            look_date: "6".into(),
            days_elapsed: 7,
            n_control: 2,
            n_treatment: 3,
            mean_control: 1.0,
            mean_treatment: 2.0,
            effect_size: 1.0,
            effect_size_se: 0.5,
            rel_effect_size: Some(1.0),
            effect_size_ci_lower: 0.0,
            effect_size_ci_upper: 2.0,
            rel_effect_size_ci_lower: None,
            rel_effect_size_ci_upper: None,
            pvalue: 0.1,
            significant: false,
            seq_effect_size_ci_lower: -1.0,
            seq_effect_size_ci_upper: 3.0,
            seq_rel_effect_size_ci_lower: None,
            seq_rel_effect_size_ci_upper: None,
            seq_pvalue: 1.0,
            seq_significant: false,
        };
        let v = serde_json::to_value(&row).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = WEEKLY_COLUMNS.to_vec();
        let mut got = keys.clone();
        expected.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, expected);
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(&row).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), WEEKLY_COLUMNS.join(","));
    }
}
