//! `liftlab analyze`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::{OutputFormat, emit};
use liftlab::experiment::{AnalysisConfig, ExpectedSplit, MethodChoice, analyze};
use liftlab::io::{ColumnSpec, read_units};
use liftlab::report::{csv, json, table};
use liftlab::stats::{Interval, LiftInterval, Resampling};

/// Flags of `liftlab analyze`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct AnalyzeArgs {
    /// Unit-level CSV with a header row: one row per randomized unit.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Column holding each unit's arm label.
    #[arg(long, value_name = "COL")]
    variant_col: String,
    /// Label of the control (holdout) arm.
    #[arg(long, value_name = "LABEL")]
    control: String,
    /// Metric column to analyse (repeat for several; booleans read as 1/0),
    /// or a ratio metric NUM/DEN such as margin/sessions (delta method).
    #[arg(long = "metric", value_name = "COL", required = true)]
    metrics: Vec<String>,
    /// Pre-period covariate column for CUPED variance reduction.
    #[arg(long, value_name = "COL")]
    covariate: Option<String>,
    /// Column to break results down by (with Holm and BH adjusted p-values).
    #[arg(long, value_name = "COL")]
    segment_col: Option<String>,
    /// Significance level: two-sided tests and (1 - alpha) intervals.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Bootstrap resamples for bootstrap CIs (0 = off; 2000 is typical).
    #[arg(long, value_name = "B", default_value_t = 0)]
    bootstrap: usize,
    /// Bootstrap interval: percentile, or BCa (bias-corrected and
    /// accelerated, Efron 1987). Neither fixes a small, skewed arm: the
    /// decisive test (--method) does.
    #[arg(long, value_enum, value_name = "KIND", default_value_t = BootstrapCi::Percentile)]
    bootstrap_ci: BootstrapCi,
    /// Poisson bootstrap (independent Poisson(1) weight per unit) instead of
    /// resampling n units with replacement.
    #[arg(long)]
    poisson_bootstrap: bool,
    /// Test that decides: auto picks Welch where every arm has
    /// n >= 355*skew^2 (Kohavi et al. 2014) and the studentized permutation
    /// test elsewhere (small, skewed arms).
    #[arg(long, value_enum, default_value_t = MethodFlag::Auto)]
    method: MethodFlag,
    /// Re-randomizations of the permutation test.
    #[arg(long, value_name = "B", default_value_t = 2000)]
    permutations: usize,
    /// Relative-lift CI of the normal-theory test: on the log scale
    /// (asymmetric; the default) or the symmetric delta-method one.
    #[arg(long, value_enum, value_name = "KIND", default_value_t = LiftCi::Log)]
    lift_ci: LiftCi,
    /// Seed of the bootstrap and permutation draws: same seed, same output,
    /// whatever --threads.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Planned split for the SRM check: weights in sorted label order
    /// ("1:1:1", "1:9") or by label ("control=1,treatment=9"). Default: equal.
    #[arg(long, value_name = "SPLIT")]
    expected_split: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// The bootstrap interval, as a flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BootstrapCi {
    /// Percentiles of the bootstrap replicates.
    Percentile,
    /// Bias-corrected and accelerated percentiles (Efron 1987).
    Bca,
}

/// The decisive test, as a flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MethodFlag {
    /// Chosen per metric from the arms' skewness.
    Auto,
    /// Welch's t-test (delta method for ratio metrics).
    Welch,
    /// Studentized permutation test (Chung & Romano 2013).
    Permutation,
}

/// The relative-lift interval, as a flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LiftCi {
    /// exp(ln(mean_t/mean_c) ± z·SE) − 1.
    Log,
    /// Symmetric delta method: lift ± z·SE.
    Delta,
}

/// Runs `liftlab analyze`.
pub fn run(args: AnalyzeArgs) -> Result<()> {
    let spec = ColumnSpec {
        variant: Some(args.variant_col.clone()),
        metrics: args.metrics.clone(),
        covariate: args.covariate.clone(),
        segment: args.segment_col.clone(),
    };
    let table = read_units(&args.file, &spec)?;
    let mut config = AnalysisConfig::new(&args.control, &args.variant_col);
    config.alpha = args.alpha;
    config.bootstrap = args.bootstrap;
    config.seed = args.seed;
    config.method = match args.method {
        MethodFlag::Auto => MethodChoice::Auto,
        MethodFlag::Welch => MethodChoice::Welch,
        MethodFlag::Permutation => MethodChoice::Permutation,
    };
    if args.permutations < 1 {
        anyhow::bail!("invalid --permutations 0: expected at least 1 re-randomization (2000 is typical)");
    }
    config.permutations = args.permutations;
    config.lift_interval = match args.lift_ci {
        LiftCi::Log => LiftInterval::Log,
        LiftCi::Delta => LiftInterval::Delta,
    };
    config.bootstrap_interval = match args.bootstrap_ci {
        BootstrapCi::Percentile => Interval::Percentile,
        BootstrapCi::Bca => Interval::Bca,
    };
    if args.poisson_bootstrap {
        config.bootstrap_resampling = Resampling::Poisson;
    }
    config.covariate_name = args.covariate.clone();
    if let Some(split) = &args.expected_split {
        config.expected_split = split.parse::<ExpectedSplit>()?;
        config.expected_split_text = split.clone();
    }
    let analysis = analyze(&table, &config).with_context(|| format!("cannot analyse {}", args.file.display()))?;
    if analysis.srm.mismatch && args.format != OutputFormat::Table {
        eprintln!(
            "warning: sample ratio mismatch (p = {}): the arms are not split as planned",
            liftlab::report::format::pvalue(analysis.srm.pvalue)
        );
    }
    let text = match args.format {
        OutputFormat::Table => table::analysis_table(&analysis),
        OutputFormat::Json => json::to_json(&analysis)? + "\n",
        OutputFormat::Csv => csv::analysis_csv(&analysis)?,
    };
    emit(&text)
}
