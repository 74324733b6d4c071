//! `liftlab analyze`.

use super::render;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{OutputFormat, about_file};
use liftlab::experiment::{AnalysisConfig, ExpectedSplit, MethodChoice, analyze_input};
use liftlab::io::{ColumnSpec, DatedSpec, Input, read_dated};
use liftlab::report::{csv, json, table, weekly};
use liftlab::stats::{Interval, LiftInterval, Resampling};
use liftlab::weekly::{WeeklyConfig, weekly_reads};

/// Flags of `liftlab analyze`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct AnalyzeArgs {
    /// Unit-level data, one row per randomized unit: CSV with a header row,
    /// gzip-compressed CSV (.csv.gz), Parquet (.parquet, .pq), or - for CSV
    /// on standard input. Streamed without --bootstrap/--method permutation.
    #[arg(value_name = "FILE", required_unless_present = "summary", conflicts_with = "summary")]
    file: Option<PathBuf>,
    /// Instead of FILE: a summary of sums (CSV, or Parquet: .parquet, .pq),
    /// one row per arm x metric (x segment), as `liftlab sql` computes it in
    /// a warehouse (columns in the README). Same results as the unit rows; no bootstrap or
    /// permutation test (they need unit rows).
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// Column holding each unit's arm label.
    #[arg(long, value_name = "COL")]
    variant_col: String,
    /// Label of the control (holdout) arm.
    #[arg(long, value_name = "LABEL")]
    control: String,
    /// Metric column to analyse (repeat for several; booleans read as 1/0),
    /// or a ratio metric NUM/DEN such as margin/sessions (delta method).
    /// With --summary: the `metric` values to read [default: every metric].
    #[arg(long = "metric", value_name = "COL", required_unless_present = "summary")]
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
    /// Weekly reads: column of dates (YYYY-MM-DD or integer day numbers).
    /// The file is replayed look by look, with the naive fixed-horizon read
    /// and an always-valid confidence sequence at every look.
    #[arg(long, value_name = "COL")]
    date_col: Option<String>,
    /// With --date-col: rows are events of units identified by COL (e.g.
    /// sessions of visitor_id), summed per unit up to each look.
    #[arg(long, value_name = "COL", requires = "date_col")]
    unit_col: Option<String>,
    /// With --date-col: days between looks; looks fall on the first date +
    /// DAYS - 1, + 2*DAYS - 1, ... and on the last date [default: 7].
    #[arg(long, value_name = "DAYS", requires = "date_col")]
    look_every: Option<u32>,
    /// With --date-col: units (both arms) at which the confidence sequence
    /// is tightest [default: the units at the final look].
    #[arg(long, value_name = "N", requires = "date_col")]
    cs_n_star: Option<f64>,
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
    let file = match (&args.file, &args.summary) {
        (_, Some(summary)) => return super::analyze_summary::run(&args.summary_flags(summary)?),
        (Some(file), None) => file.clone(),
        (None, None) => anyhow::bail!("FILE or --summary FILE is required"),
    };
    if let Some(date_col) = args.date_col.clone() {
        return run_weekly(&args, &file, &date_col);
    }
    let spec = ColumnSpec {
        variant: Some(args.variant_col.clone()),
        metrics: args.metrics.clone(),
        covariate: args.covariate.clone(),
        segment: args.segment_col.clone(),
    };
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
    // Streamed into per-arm sums unless a test needs the rows (src/io/stream.rs).
    let input = super::take_input().unwrap_or_else(|| Input::from_arg(&file));
    let (analysis, _mode) =
        analyze_input(&input, &spec, &config).map_err(|e| about_file(e, "cannot analyse", &input.name()))?;
    if analysis.srm.mismatch && args.format != OutputFormat::Table {
        note!(
            "warning: sample ratio mismatch (p = {}): the arms are not split as planned",
            liftlab::report::format::pvalue(analysis.srm.pvalue)
        );
    }
    render(
        args.format,
        || Ok(table::analysis_table(&analysis)),
        || Ok(json::to_json(&analysis)? + "\n"),
        || Ok(csv::analysis_csv(&analysis)?),
    )
}

/// Runs `liftlab analyze --date-col`: weekly reads with a confidence sequence.
fn run_weekly(args: &AnalyzeArgs, file: &std::path::Path, date_col: &str) -> Result<()> {
    let unsupported = [
        ("--covariate", args.covariate.is_some()),
        ("--segment-col", args.segment_col.is_some()),
        ("--bootstrap", args.bootstrap > 0),
        ("--poisson-bootstrap", args.poisson_bootstrap),
        ("--method permutation", args.method == MethodFlag::Permutation),
        ("--expected-split", args.expected_split.is_some()),
    ];
    if let Some((flag, _)) = unsupported.iter().find(|(_, given)| *given) {
        anyhow::bail!(
            "{flag} is not available with --date-col: weekly reads use Welch's test (delta method for NUM/DEN) at each look"
        );
    }
    if matches!(Input::from_arg(file), Input::Parquet(_)) {
        anyhow::bail!(
            "--date-col reads a CSV file (or .csv.gz) of dated rows: {} is Parquet; write it as CSV",
            file.display()
        );
    }
    let spec =
        ColumnSpec { variant: Some(args.variant_col.clone()), metrics: args.metrics.clone(), ..Default::default() };
    let dated = DatedSpec { date: date_col.to_string(), unit: args.unit_col.clone() };
    let data = read_dated(file, &spec, &dated).map_err(|e| {
        let flag = match &e {
            liftlab::Error::MissingColumn { column, .. } if column == date_col => Some(format!("--date-col {column}")),
            liftlab::Error::MissingColumn { column, .. } if Some(column) == args.unit_col.as_ref() => {
                Some(format!("--unit-col {column}"))
            }
            _ => None,
        };
        match flag {
            Some(flag) => anyhow::Error::new(e).context(flag),
            None => anyhow::Error::new(e),
        }
    })?;
    let mut config = WeeklyConfig::new(&args.control, &args.variant_col);
    config.alpha = args.alpha;
    config.look_every = args.look_every.unwrap_or(7);
    config.cs_n_star = args.cs_n_star;
    config.lift_interval = match args.lift_ci {
        LiftCi::Log => LiftInterval::Log,
        LiftCi::Delta => LiftInterval::Delta,
    };
    let analysis = weekly_reads(&data, &config).map_err(|e| about_file(e, "cannot analyse", file))?;
    for w in &analysis.warnings {
        note!("warning: {w}");
    }
    render(
        args.format,
        || Ok(weekly::weekly_table(&analysis)),
        || Ok(json::to_json(&analysis)? + "\n"),
        || Ok(weekly::weekly_csv(&analysis)?),
    )
}

impl AnalyzeArgs {
    /// The flags `--summary` reads, with the ones that need unit rows
    /// refused by name.
    fn summary_flags(&self, summary: &std::path::Path) -> Result<super::analyze_summary::SummaryFlags> {
        let refused = [
            ("--bootstrap", self.bootstrap > 0),
            ("--poisson-bootstrap", self.poisson_bootstrap),
            ("--method permutation", self.method == MethodFlag::Permutation),
            ("--date-col", self.date_col.is_some()),
        ];
        if let Some((flag, _)) = refused.iter().find(|(_, given)| *given) {
            anyhow::bail!(
                "{flag} is not available with --summary: it needs unit rows (resampling units or reading them by date), and a summary of sums has none; analyse the unit-level file instead"
            );
        }
        Ok(super::analyze_summary::SummaryFlags {
            summary: summary.to_path_buf(),
            variant_col: self.variant_col.clone(),
            control: self.control.clone(),
            metrics: self.metrics.clone(),
            covariate: self.covariate.clone(),
            segment_col: self.segment_col.clone(),
            alpha: self.alpha,
            welch: self.method == MethodFlag::Welch,
            lift_interval: match self.lift_ci {
                LiftCi::Log => LiftInterval::Log,
                LiftCi::Delta => LiftInterval::Delta,
            },
            expected_split: self.expected_split.clone(),
            format: self.format,
        })
    }
}
