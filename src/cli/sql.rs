//! `liftlab sql`: print the query that computes `analyze --summary`'s input.

use anyhow::Result;
use clap::Args;

use super::emit;
use liftlab::sql::{DateWindow, Dialect, SqlSpec, summary_sql};

/// Flags of `liftlab sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// Table or view to read (written into the query as given, e.g.
    /// analytics.experiment_units).
    #[arg(long, value_name = "NAME")]
    table: String,
    /// Column identifying the unit when a unit has several rows (events,
    /// sessions): its rows are summed first. Without it every row is a unit.
    #[arg(long, value_name = "COL")]
    unit_col: Option<String>,
    /// Column holding each row's arm label.
    #[arg(long, value_name = "COL")]
    variant_col: String,
    /// Metric column (repeat for several), or NUM/DEN for a ratio metric.
    #[arg(long = "metric", value_name = "COL", required = true)]
    metrics: Vec<String>,
    /// Pre-period covariate column for CUPED (a unit's largest value).
    #[arg(long, value_name = "COL")]
    covariate: Option<String>,
    /// Segment column: one summary row per arm x metric x segment.
    #[arg(long, value_name = "COL")]
    segment_col: Option<String>,
    /// Date column: keep rows from --start to --end (inclusive).
    #[arg(long, value_name = "COL")]
    date_col: Option<String>,
    /// First day kept, YYYY-MM-DD (with --date-col).
    #[arg(long, value_name = "DATE", requires = "date_col")]
    start: Option<String>,
    /// Last day kept, YYYY-MM-DD (with --date-col).
    #[arg(long, value_name = "DATE", requires = "date_col")]
    end: Option<String>,
    /// Cap each metric (numerators and denominators) at this percentile of
    /// its non-zero per-unit values, as GrowthBook does (e.g. 0.99).
    #[arg(long, value_name = "Q")]
    cap: Option<f64>,
    /// SQL dialect: duckdb, postgres, bigquery or snowflake.
    #[arg(long, value_name = "NAME", default_value = "duckdb")]
    dialect: String,
}

/// Runs `liftlab sql`.
pub fn run(args: SqlArgs) -> Result<()> {
    let spec = SqlSpec {
        table: args.table,
        unit: args.unit_col,
        variant: args.variant_col,
        metrics: args.metrics,
        covariate: args.covariate,
        segment: args.segment_col,
        date: args.date_col.map(|column| DateWindow { column, start: args.start, end: args.end }),
        cap: args.cap,
        dialect: args.dialect.parse::<Dialect>()?,
    };
    emit(&summary_sql(&spec)?)
}
