//! `liftlab analyze --summary`: the analysis from a summary of sums.

use super::render;
use std::path::PathBuf;

use anyhow::Result;

use super::OutputFormat;
use liftlab::experiment::{AnalysisConfig, ExpectedSplit, MethodChoice, analyze_summary};
use liftlab::io::{SummarySpec, read_summary};
use liftlab::report::{csv, json, table};
use liftlab::stats::LiftInterval;

/// The flags of `analyze` that apply to a summary.
#[derive(Debug, Clone)]
pub struct SummaryFlags {
    /// The summary file (CSV or Parquet).
    pub summary: PathBuf,
    /// Column of arm labels.
    pub variant_col: String,
    /// Control label.
    pub control: String,
    /// Metrics asked for (empty = all).
    pub metrics: Vec<String>,
    /// CUPED covariate.
    pub covariate: Option<String>,
    /// Column of segment labels.
    pub segment_col: Option<String>,
    /// Significance level.
    pub alpha: f64,
    /// `--method welch` (otherwise auto).
    pub welch: bool,
    /// Relative-lift interval.
    pub lift_interval: LiftInterval,
    /// Planned split.
    pub expected_split: Option<String>,
    /// Output format.
    pub format: OutputFormat,
}

/// Runs `liftlab analyze --summary`.
pub fn run(flags: &SummaryFlags) -> Result<()> {
    let spec = SummarySpec {
        variant: flags.variant_col.clone(),
        metrics: flags.metrics.clone(),
        covariate: flags.covariate.clone(),
        segment: flags.segment_col.clone(),
    };
    let table = read_summary(&flags.summary, &spec)?;
    let mut config = AnalysisConfig::new(&flags.control, &flags.variant_col);
    config.alpha = flags.alpha;
    config.method = if flags.welch { MethodChoice::Welch } else { MethodChoice::Auto };
    config.lift_interval = flags.lift_interval;
    config.covariate_name = flags.covariate.clone();
    if let Some(split) = &flags.expected_split {
        config.expected_split = split.parse::<ExpectedSplit>()?;
        config.expected_split_text = split.clone();
    }
    let analysis = analyze_summary(&table, &config)
        .map_err(|e| super::about_file(e, "cannot analyse the summary", &flags.summary))?;
    // Loud, whatever the format: Welch decided where the rule asked for the
    // permutation test.
    for w in analysis.warnings.iter().filter(|w| w.contains("WELCH DECIDES ANYWAY")) {
        note!("warning: {w}");
    }
    if analysis.srm.mismatch && flags.format != OutputFormat::Table {
        note!(
            "warning: sample ratio mismatch (p = {}): the arms are not split as planned",
            liftlab::report::format::pvalue(analysis.srm.pvalue)
        );
    }
    render(
        flags.format,
        || Ok(table::analysis_table(&analysis)),
        || Ok(json::to_json(&analysis)? + "\n"),
        || Ok(csv::analysis_csv(&analysis)?),
    )
}
