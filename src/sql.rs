//! SQL that computes the summary `analyze --summary` reads, in a warehouse.
//!
//! This module knows SQL dialects, not statistics: it writes one query that
//! (1) reduces the table to one row per unit (summing the metric columns
//! over a unit's rows when `unit` is given), (2) optionally caps heavy-tailed
//! values at a percentile of their non-zero values, and (3) aggregates once
//! per arm (× segment) into `n` and the power and cross sums of the summary
//! contract ([`crate::io::summary`]), then lays the metrics out one row each.
//!
//! Conventions of the generated SQL:
//! - Every value is cast to a double before it is summed, and a NULL metric,
//!   denominator or covariate counts as 0 (an event table's absent rows).
//! - With a unit column, a unit's metrics are summed over its rows, its
//!   covariate is the largest value on its rows (a pre-period value repeats
//!   on every row), and it is grouped by its arm (and segment): a unit seen
//!   in two arms counts in both, so check assignment before you analyse.
//! - The table name is written as given (qualify it as the warehouse needs:
//!   `db.schema.table`); column names are quoted, except on Snowflake, where
//!   a simple name stays bare so that it matches the upper-case name an
//!   unquoted `CREATE TABLE` stores.
//! - Capping, as GrowthBook does it (its `percentileCapSelectClause` and the
//!   `__capValue` step of `SqlIntegration.ts`, growthbook/growthbook,
//!   `packages/back-end/src/integrations/`): the cap is the `q` percentile
//!   (continuous, interpolated) of the per-unit values over every arm,
//!   ignoring zeros when asked (most units of a revenue metric are 0, so a
//!   percentile over all units would be 0), and each unit's value becomes
//!   `LEAST(value, cap)`. Numerators and denominators are capped, each with
//!   its own cap; the covariate is not.

use std::fmt::Write as _;

use crate::error::{Error, Result};

/// A SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// DuckDB.
    DuckDb,
    /// PostgreSQL.
    Postgres,
    /// Google BigQuery (GoogleSQL).
    BigQuery,
    /// Snowflake.
    Snowflake,
}

impl Dialect {
    /// The double-precision type.
    fn double(self) -> &'static str {
        match self {
            Dialect::DuckDb | Dialect::Snowflake => "DOUBLE",
            Dialect::Postgres => "DOUBLE PRECISION",
            Dialect::BigQuery => "FLOAT64",
        }
    }

    /// A column name, quoted for the dialect.
    fn ident(self, name: &str) -> String {
        let simple = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        match self {
            Dialect::Snowflake if simple => name.to_string(),
            Dialect::BigQuery => format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// An output column name: always quoted, so that its case survives.
    fn alias(self, name: &str) -> String {
        match self {
            Dialect::BigQuery => format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A string literal.
    fn string(self, s: &str) -> String {
        match self {
            Dialect::BigQuery => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    /// The continuous `q` percentile of `expr` over the rows of `from`
    /// where `expr` is not 0 (NULL when there are none).
    fn nonzero_percentile(self, q: f64, expr: &str, from: &str) -> String {
        match self {
            // PERCENTILE_CONT is only an analytic function in BigQuery.
            Dialect::BigQuery => format!(
                "(SELECT ANY_VALUE(p) FROM (SELECT PERCENTILE_CONT({expr}, {q}) OVER () AS p FROM {from} WHERE {expr} <> 0))"
            ),
            _ => format!("(SELECT PERCENTILE_CONT({q}) WITHIN GROUP (ORDER BY {expr}) FROM {from} WHERE {expr} <> 0)"),
        }
    }
}

impl std::str::FromStr for Dialect {
    type Err = Error;

    /// `duckdb`, `postgres` (or `postgresql`), `bigquery`, `snowflake`.
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "duckdb" => Ok(Dialect::DuckDb),
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "bigquery" => Ok(Dialect::BigQuery),
            "snowflake" => Ok(Dialect::Snowflake),
            _ => Err(Error::invalid("--dialect", s, "duckdb, postgres, bigquery or snowflake")),
        }
    }
}

/// A date window: rows with `start ≤ column ≤ end` (ISO dates, inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateWindow {
    /// The date column.
    pub column: String,
    /// First day, `YYYY-MM-DD`.
    pub start: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    pub end: Option<String>,
}

/// What the summary query reads.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlSpec {
    /// Table or view, written into the query as given.
    pub table: String,
    /// Unit column, when a unit has several rows (events, sessions, days).
    pub unit: Option<String>,
    /// Arm label column.
    pub variant: String,
    /// Metrics: a column, or `NUM/DEN` for a ratio metric.
    pub metrics: Vec<String>,
    /// CUPED covariate column.
    pub covariate: Option<String>,
    /// Segment column.
    pub segment: Option<String>,
    /// Rows to keep, by date.
    pub date: Option<DateWindow>,
    /// Cap each metric at this percentile (in (0, 1)) of its non-zero
    /// per-unit values.
    pub cap: Option<f64>,
    /// The dialect.
    pub dialect: Dialect,
}

/// Names the summary contract reserves, which the variant and segment
/// columns cannot take.
const RESERVED: [&str; 17] = [
    "metric",
    "covariate",
    "n",
    "sum_y",
    "sum_y2",
    "sum_y3",
    "sum_d",
    "sum_d2",
    "sum_yd",
    "sum_d3",
    "sum_y2d",
    "sum_yd2",
    "sum_x",
    "sum_x2",
    "sum_xy",
    "sum_dx",
    "",
];

/// One metric: its numerator and, for a ratio metric, its denominator.
fn split_metric(m: &str) -> Result<(String, Option<String>)> {
    let bad = || Error::invalid("--metric", m, "a column name, or NUM/DEN for a ratio metric");
    match m.split_once('/') {
        None if !m.trim().is_empty() => Ok((m.trim().to_string(), None)),
        Some((n, d)) if !n.trim().is_empty() && !d.trim().is_empty() && !d.contains('/') => {
            Ok((n.trim().to_string(), Some(d.trim().to_string())))
        }
        _ => Err(bad()),
    }
}

fn check_date(flag: &str, d: &str) -> Result<()> {
    let b = d.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if ok { Ok(()) } else { Err(Error::invalid(flag, d, "a date YYYY-MM-DD")) }
}

/// The query that computes the summary of `spec` in one pass over the
/// table (then one aggregation over the units).
///
/// Output columns, one row per arm × metric (× segment): the variant column
/// (under its own name), the segment column (likewise), `metric`,
/// `covariate` (with one), `n`, `sum_y`, `sum_y2`, `sum_y3`, `sum_d`,
/// `sum_d2`, `sum_yd`, `sum_d3`, `sum_y2d`, `sum_yd2` (NULL for plain
/// metrics), and with a covariate `sum_x`, `sum_x2`, `sum_xy`, `sum_dx`
/// (NULL for plain metrics): the contract of [`crate::io::summary`].
///
/// # Errors
/// [`Error::InvalidParameter`] for no metric, an empty or malformed name,
/// a variant or segment column named like a summary column, a cap outside
/// (0, 1), or a date that is not `YYYY-MM-DD`.
///
/// ```
/// use liftlab::sql::{Dialect, SqlSpec, summary_sql};
/// let spec = SqlSpec {
///     table: "hillstrom".into(),
///     unit: None,
///     variant: "segment".into(),
///     metrics: vec!["spend".into()],
///     covariate: None,
///     segment: None,
///     date: None,
///     cap: None,
///     dialect: Dialect::DuckDb,
/// };
/// let sql = summary_sql(&spec)?;
/// assert!(sql.contains("SUM(m0_y * m0_y * m0_y)") && sql.contains("FROM hillstrom"));
/// # Ok::<(), liftlab::Error>(())
/// ```
pub fn summary_sql(spec: &SqlSpec) -> Result<String> {
    let d = spec.dialect;
    if spec.metrics.is_empty() {
        return Err(Error::invalid("--metric", "", "at least one metric"));
    }
    if spec.table.trim().is_empty() {
        return Err(Error::invalid("--table", &spec.table, "a table or view name"));
    }
    for (flag, col) in [("--variant-col", Some(&spec.variant)), ("--segment-col", spec.segment.as_ref())] {
        if let Some(c) = col
            && RESERVED.contains(&c.as_str())
        {
            return Err(Error::invalid(flag, c, "a column not named like a summary column (metric, n, sum_*)"));
        }
    }
    if let Some(q) = spec.cap
        && !(q > 0.0 && q < 1.0)
    {
        return Err(Error::invalid("--cap", q, "a percentile strictly between 0 and 1, such as 0.99"));
    }
    let metrics: Vec<(String, Option<String>)> = spec.metrics.iter().map(|m| split_metric(m)).collect::<Result<_>>()?;
    let dbl = d.double();
    let val = |c: &str| format!("CAST(COALESCE({}, 0) AS {dbl})", d.ident(c));
    let v = d.ident(&spec.variant);
    let s = spec.segment.as_ref().map(|c| d.ident(c));

    // 1. One row per unit.
    let mut cols: Vec<(String, String)> = Vec::new(); // (alias, per-row expression)
    for (i, (num, den)) in metrics.iter().enumerate() {
        cols.push((format!("m{i}_y"), val(num)));
        if let Some(den) = den {
            cols.push((format!("m{i}_d"), val(den)));
        }
    }
    let mut where_ = Vec::new();
    if let Some(w) = &spec.date {
        if w.start.is_none() && w.end.is_none() {
            return Err(Error::invalid("--date-col", &w.column, "--start and/or --end with it"));
        }
        for (flag, day, op) in [("--start", &w.start, ">="), ("--end", &w.end, "<=")] {
            if let Some(day) = day {
                check_date(flag, day)?;
                where_.push(format!("{} {op} DATE '{day}'", d.ident(&w.column)));
            }
        }
    }
    let mut sql = String::new();
    let _ = writeln!(
        sql,
        "-- Sufficient statistics for `liftlab analyze --summary FILE --variant-col {} --control LABEL{}{}`.",
        spec.variant,
        spec.covariate.as_ref().map(|c| format!(" --covariate {c}")).unwrap_or_default(),
        spec.segment.as_ref().map(|c| format!(" --segment-col {c}")).unwrap_or_default()
    );
    let _ = writeln!(sql, "-- Written by liftlab sql {} (dialect {d:?}).", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(sql, "WITH units AS (");
    match &spec.unit {
        Some(unit) => {
            let _ = writeln!(sql, "  -- one row per unit: its metrics summed over its rows");
            let mut select = vec![format!("{v} AS v")];
            select.extend(s.iter().map(|s| format!("{s} AS s")));
            select.extend(cols.iter().map(|(a, e)| format!("SUM({e}) AS {a}")));
            if let Some(x) = &spec.covariate {
                select.push(format!("MAX({}) AS x", val(x)));
            }
            let mut group = vec![d.ident(unit), v.clone()];
            group.extend(s.iter().cloned());
            let _ = writeln!(sql, "  SELECT\n    {}\n  FROM {}", select.join(",\n    "), spec.table);
            if !where_.is_empty() {
                let _ = writeln!(sql, "  WHERE {}", where_.join(" AND "));
            }
            let _ = writeln!(sql, "  GROUP BY {}", group.join(", "));
        }
        None => {
            let _ = writeln!(sql, "  -- every row is a unit");
            let mut select = vec![format!("{v} AS v")];
            select.extend(s.iter().map(|s| format!("{s} AS s")));
            select.extend(cols.iter().map(|(a, e)| format!("{e} AS {a}")));
            if let Some(x) = &spec.covariate {
                select.push(format!("{} AS x", val(x)));
            }
            let _ = writeln!(sql, "  SELECT\n    {}\n  FROM {}", select.join(",\n    "), spec.table);
            if !where_.is_empty() {
                let _ = writeln!(sql, "  WHERE {}", where_.join(" AND "));
            }
        }
    }
    let _ = writeln!(sql, ")");
    // 2. Capping (GrowthBook's percentile capping of per-unit values).
    let source = match spec.cap {
        Some(q) => {
            let _ = writeln!(
                sql,
                ", caps AS (\n  -- the {q} percentile of each value's non-zero per-unit values, over every arm\n  -- (percentile capping as GrowthBook does it: growthbook/growthbook, packages/back-end/src/integrations/)\n  SELECT\n    {}\n)",
                cols.iter()
                    .map(|(a, _)| format!("{} AS {a}", d.nonzero_percentile(q, a, "units")))
                    .collect::<Vec<_>>()
                    .join(",\n    ")
            );
            let mut select = vec!["u.v".to_string()];
            if s.is_some() {
                select.push("u.s".into());
            }
            select.extend(cols.iter().map(|(a, _)| format!("LEAST(u.{a}, COALESCE(c.{a}, u.{a})) AS {a}")));
            if spec.covariate.is_some() {
                select.push("u.x".into());
            }
            let _ = writeln!(
                sql,
                ", capped AS (\n  SELECT\n    {}\n  FROM units u CROSS JOIN caps c\n)",
                select.join(",\n    ")
            );
            "capped"
        }
        None => "units",
    };
    // 3. One aggregation per arm (x segment).
    let mut agg = vec!["v".to_string()];
    if s.is_some() {
        agg.push("s".into());
    }
    agg.push("COUNT(*) AS n".into());
    for (i, (_, den)) in metrics.iter().enumerate() {
        let y = format!("m{i}_y");
        agg.push(format!("SUM({y}) AS m{i}_sy"));
        agg.push(format!("SUM({y} * {y}) AS m{i}_syy"));
        agg.push(format!("SUM({y} * {y} * {y}) AS m{i}_syyy"));
        if den.is_some() {
            let dd = format!("m{i}_d");
            agg.push(format!("SUM({dd}) AS m{i}_sd"));
            agg.push(format!("SUM({dd} * {dd}) AS m{i}_sdd"));
            agg.push(format!("SUM({y} * {dd}) AS m{i}_syd"));
            agg.push(format!("SUM({dd} * {dd} * {dd}) AS m{i}_sddd"));
            agg.push(format!("SUM({y} * {y} * {dd}) AS m{i}_syyd"));
            agg.push(format!("SUM({y} * {dd} * {dd}) AS m{i}_sydd"));
            if spec.covariate.is_some() {
                agg.push(format!("SUM({dd} * x) AS m{i}_sdx"));
            }
        }
        if spec.covariate.is_some() {
            agg.push(format!("SUM(x * {y}) AS m{i}_sxy"));
        }
    }
    if spec.covariate.is_some() {
        agg.push("SUM(x) AS sx".into());
        agg.push("SUM(x * x) AS sxx".into());
    }
    let mut group = vec!["v"];
    if s.is_some() {
        group.push("s");
    }
    let _ = writeln!(
        sql,
        ", arms AS (\n  -- the sums of every metric, per arm{}, in one pass over the units\n  SELECT\n    {}\n  FROM {source}\n  GROUP BY {}\n)",
        if s.is_some() { " and segment" } else { "" },
        agg.join(",\n    "),
        group.join(", ")
    );
    // 4. One row per metric.
    let null = format!("CAST(NULL AS {dbl})");
    let mut selects = Vec::new();
    for (i, (m, (_, den))) in spec.metrics.iter().zip(&metrics).enumerate() {
        let mut row = vec![format!("v AS {}", d.alias(&spec.variant))];
        if let Some(seg) = &spec.segment {
            row.push(format!("s AS {}", d.alias(seg)));
        }
        row.push(format!("{} AS {}", d.string(m), d.alias("metric")));
        if let Some(x) = &spec.covariate {
            row.push(format!("{} AS {}", d.string(x), d.alias("covariate")));
        }
        row.push(format!("n AS {}", d.alias("n")));
        let ratio = den.is_some();
        let mut col = |expr: String, name: &str| row.push(format!("{expr} AS {}", d.alias(name)));
        col(format!("m{i}_sy"), "sum_y");
        col(format!("m{i}_syy"), "sum_y2");
        col(format!("m{i}_syyy"), "sum_y3");
        for (part, name) in [
            ("sd", "sum_d"),
            ("sdd", "sum_d2"),
            ("syd", "sum_yd"),
            ("sddd", "sum_d3"),
            ("syyd", "sum_y2d"),
            ("sydd", "sum_yd2"),
        ] {
            col(if ratio { format!("m{i}_{part}") } else { null.clone() }, name);
        }
        if spec.covariate.is_some() {
            col("sx".into(), "sum_x");
            col("sxx".into(), "sum_x2");
            col(format!("m{i}_sxy"), "sum_xy");
            col(if ratio { format!("m{i}_sdx") } else { null.clone() }, "sum_dx");
        }
        selects.push(format!("SELECT\n  {}\nFROM arms", row.join(",\n  ")));
    }
    sql.push_str(&selects.join("\nUNION ALL\n"));
    let mut order = vec![d.alias("metric"), d.alias(&spec.variant)];
    if let Some(seg) = &spec.segment {
        order.push(d.alias(seg));
    }
    let _ = writeln!(sql, "\nORDER BY {};", order.join(", "));
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dialect: Dialect) -> SqlSpec {
        SqlSpec {
            table: "events".into(),
            unit: Some("visitor_id".into()),
            variant: "arm".into(),
            metrics: vec!["revenue".into(), "margin/sessions".into()],
            covariate: Some("pre_revenue".into()),
            segment: Some("cohort".into()),
            date: Some(DateWindow { column: "day".into(), start: Some("2024-01-01".into()), end: None }),
            cap: Some(0.99),
            dialect,
        }
    }

    #[test]
    fn every_dialect_writes_the_contract() {
        for d in [Dialect::DuckDb, Dialect::Postgres, Dialect::BigQuery, Dialect::Snowflake] {
            let sql = summary_sql(&spec(d)).unwrap();
            for needle in ["sum_y3", "sum_y2d", "sum_dx", "GROUP BY", "LEAST(", "DATE '2024-01-01'", "UNION ALL"] {
                assert!(sql.contains(needle), "{d:?} lacks {needle}: {sql}");
            }
        }
        let bq = summary_sql(&spec(Dialect::BigQuery)).unwrap();
        assert!(bq.contains("PERCENTILE_CONT(m0_y, 0.99) OVER ()") && bq.contains("`visitor_id`"), "{bq}");
        let pg = summary_sql(&spec(Dialect::Postgres)).unwrap();
        assert!(pg.contains("DOUBLE PRECISION") && pg.contains("WITHIN GROUP"), "{pg}");
        let sf = summary_sql(&spec(Dialect::Snowflake)).unwrap();
        assert!(sf.contains("GROUP BY visitor_id, arm, cohort") && sf.contains("AS \"sum_y\""), "{sf}");
    }

    #[test]
    fn literals_and_names_are_escaped() {
        let mut s = spec(Dialect::Postgres);
        s.metrics = vec!["it's".into()];
        s.variant = "my \"arm\"".into();
        let sql = summary_sql(&s).unwrap();
        assert!(sql.contains("'it''s'") && sql.contains("\"my \"\"arm\"\"\""), "{sql}");
        s.dialect = Dialect::BigQuery;
        assert!(summary_sql(&s).unwrap().contains("'it\\'s'"));
    }

    #[test]
    fn bad_specs_are_errors() {
        type Edit = fn(&mut SqlSpec);
        let cases: [(Edit, &str); 6] = [
            (|s| s.metrics.clear(), "--metric"),
            (|s| s.metrics = vec!["a/".into()], "--metric"),
            (|s| s.variant = "n".into(), "--variant-col"),
            (|s| s.cap = Some(1.0), "--cap"),
            (|s| s.date.as_mut().unwrap().start = Some("1/2/2024".into()), "--start"),
            (|s| s.date.as_mut().unwrap().start = None, "--date-col"),
        ];
        for (edit, flag) in cases {
            let mut s = spec(Dialect::DuckDb);
            edit(&mut s);
            assert!(summary_sql(&s).unwrap_err().to_string().contains(flag), "{flag}");
        }
        assert!("oracle".parse::<Dialect>().is_err());
    }
}
