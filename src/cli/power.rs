//! `liftlab power`.

use super::render;
use std::io::IsTerminal;
use std::path::PathBuf;

use super::Progress;
use anyhow::{Context, Result};
use clap::Args;
use indicatif::ProgressStyle;

use super::{OutputFormat, StoreArgs};
use liftlab::experiment::MethodChoice;
use liftlab::io::{ColumnSpec, Input, read_input};
use liftlab::montecarlo::looks::monte_carlo_looks;
use liftlab::montecarlo::{
    MetricPower, POWER_PERMUTATIONS, PowerConfig, PowerMethods, PowerReport, PowerScenario, data_power,
    mde_evaluations, monte_carlo_power_with, orders_per_test, simulated_mde,
};
use liftlab::report::looks::{looks_csv, looks_table};
use liftlab::report::{csv, json, table};

/// Flags of `liftlab power`. Simulates the store by default; with `--from`,
/// re-randomizes the rows of a file instead.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct PowerArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// True relative lift to detect: in conversion per session for a
    /// simulated store; added to the treatment's metric values with --from.
    #[arg(long, default_value_t = 0.03)]
    lift: f64,
    /// Simulated tests (K), each with its matching A/A test.
    #[arg(long, default_value_t = 1000)]
    replicates: usize,
    /// Significance level (two-sided).
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Seed: same seed, same output, whatever --threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Tests simulated beside Welch, delta and CUPED: auto adds the
    /// studentized permutation test for each metric where `analyze` would
    /// use it (an arm below n >= 355*skew^2); permutation adds it for every
    /// metric; welch adds nothing.
    #[arg(long, value_enum, default_value_t = PowerMethod::Auto)]
    method: PowerMethod,
    /// Re-randomizations of each simulated permutation test. 200 keeps each
    /// tail's level at 5/201 = 2.49% for alpha 0.05 (p = (1 + #)/(B + 1)).
    #[arg(long, value_name = "B", default_value_t = POWER_PERMUTATIONS)]
    permutations: usize,
    /// Unit-level CSV (.csv.gz, Parquet, or - for stdin) to re-randomize
    /// instead of simulating a store (one row per unit, e.g. last month's
    /// visitors): an A/A test on your data. Rows are held in memory.
    #[arg(
        long,
        value_name = "FILE",
        requires = "metrics",
        conflicts_with_all = ["store", "annual_revenue", "days"],
        help_heading = "Power on your own data"
    )]
    from: Option<PathBuf>,
    /// Metric column in --from (repeat for several), or a ratio metric NUM/DEN.
    #[arg(long = "metric", value_name = "COL", requires = "from", help_heading = "Power on your own data")]
    metrics: Vec<String>,
    /// Pre-period covariate column in --from: CUPED is tested too.
    #[arg(long, value_name = "COL", requires = "from", help_heading = "Power on your own data")]
    covariate: Option<String>,
    /// Read each simulated test K times, equally spaced (e.g. weekly: --days
    /// 84 --looks 12): false-positive rate and power of naive peeking, of a
    /// group-sequential design (O'Brien-Fleming), of an always-valid
    /// confidence sequence and of a single final look, on the same tests.
    #[arg(long, value_name = "K", conflicts_with_all = ["from", "mde"], help_heading = "Weekly reads")]
    looks: Option<u32>,
    /// Also find the simulated MDE: the smallest lift detected with --power,
    /// by bisection over the lift with common random numbers.
    #[arg(long, conflicts_with = "from", help_heading = "Simulated MDE")]
    mde: bool,
    /// Metric whose simulated MDE is sought.
    #[arg(long, value_enum, default_value_t = MdeMetric::Margin, help_heading = "Simulated MDE")]
    mde_metric: MdeMetric,
    /// Power the simulated MDE is defined by.
    #[arg(long, default_value_t = 0.80, help_heading = "Simulated MDE")]
    power: f64,
    /// Stop bisecting when the bracket's upper/lower lift ratio is below 1 + this.
    #[arg(long, default_value_t = 0.05, help_heading = "Simulated MDE")]
    mde_tolerance: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// Metrics of `--mde-metric`, in the order of `liftlab::montecarlo::METRICS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MdeMetric {
    /// Contribution margin per session (delta method).
    Margin,
    /// Revenue per visitor (Welch).
    Revenue,
    /// Revenue per visitor with CUPED.
    RevenueCuped,
    /// Conversion per session (delta method).
    Conversion,
    /// Contribution margin per session (permutation test).
    MarginPermutation,
    /// Revenue per visitor (permutation test).
    RevenuePermutation,
}

/// `--method` of `liftlab power`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PowerMethod {
    /// The permutation test too where `analyze` would choose it.
    Auto,
    /// Welch, delta method and CUPED only.
    Welch,
    /// The permutation test too for every plain or ratio metric.
    Permutation,
}

/// A progress bar on a terminal's stderr, hidden otherwise.
fn progress_bar(total: usize) -> Progress {
    if !std::io::stderr().is_terminal() {
        return Progress::hidden();
    }
    let b = Progress::new(total as u64);
    b.set_style(
        ProgressStyle::with_template("simulating {pos}/{len} tests {bar:40} {elapsed} eta {eta}")
            .expect("valid template"),
    );
    b
}

/// Estimated seconds of the simulated permutation tests (checked against
/// [`liftlab::limits::MAX_PERMUTED_UNITS`]). `--method permutation` runs
/// two permutation rows; `auto` runs those `analyze` would choose, which
/// a pilot A/A test decides: it is simulated here only when two rows
/// would be worth announcing or above the limit.
fn permutation_seconds(
    args: &PowerArgs,
    profile: &liftlab::store::StoreProfile,
    sim: &liftlab::sim::SimConfig,
    config: &PowerConfig,
    methods: &PowerMethods,
    evaluations: usize,
) -> Result<f64> {
    let flags = "--permutations and --replicates";
    let orders = orders_per_test(profile, sim);
    let draws = |metrics: f64| 2.0 * metrics * (args.replicates * evaluations) as f64 * args.permutations as f64;
    // A permutation row's MDE runs the permutation test whatever --method says.
    let permutation_mde =
        args.mde && matches!(args.mde_metric, MdeMetric::MarginPermutation | MdeMetric::RevenuePermutation);
    let method = if permutation_mde { PowerMethod::Permutation } else { args.method };
    let seconds = match method {
        PowerMethod::Welch => 0.0,
        PowerMethod::Permutation => liftlab::limits::check_permutation_work(flags, draws(2.0), orders)?,
        PowerMethod::Auto => match liftlab::limits::check_permutation_work(flags, draws(2.0), orders) {
            Ok(s) if s <= liftlab::limits::ANNOUNCE_SECONDS => s,
            _ => {
                let scenario = PowerScenario::new(profile, sim, args.lift, config, methods)?;
                let draws = scenario.permutation_draws(args.replicates * evaluations);
                liftlab::limits::check_permutation_work(flags, draws, orders)?
            }
        },
    };
    Ok(seconds)
}

/// Warns on stderr for each row with more than 1% degenerate replicates
/// (left out of its rates).
fn warn_degenerate(metrics: &[MetricPower], replicates: usize, what: &str, remedy: &str) {
    for m in metrics.iter().filter(|m| m.degenerate * 100 > replicates) {
        note!(
            "warning: {}: {} of {replicates} {what} were degenerate (no analysis possible, e.g. no control buyer) and are left out of its rates; {remedy} avoids them",
            m.metric,
            m.degenerate
        );
    }
}

/// Runs `liftlab power`.
pub fn run(args: PowerArgs) -> Result<()> {
    liftlab::limits::check_replicates("--replicates", args.replicates)?;
    if !(args.lift.is_finite() && args.lift > -1.0) {
        return Err(liftlab::Error::invalid("--lift", args.lift, "a relative lift greater than -1 (0.03 = +3%)").into());
    }
    // Checked with or without --mde: a nonsense value is an error, not ignored.
    liftlab::error::check_open_unit("--power", args.power)?;
    liftlab::limits::check_mde_tolerance("--mde-tolerance", args.mde_tolerance)?;
    let config = PowerConfig { replicates: args.replicates, alpha: args.alpha, seed: args.seed };
    let method = match args.method {
        PowerMethod::Auto => MethodChoice::Auto,
        PowerMethod::Welch => MethodChoice::Welch,
        PowerMethod::Permutation => MethodChoice::Permutation,
    };
    let methods = PowerMethods { method, permutations: args.permutations };
    // One bar for the whole job. The MDE search runs several Monte Carlo
    // evaluations (7 at the default tolerance: three to bracket, the rest
    // bisecting); the bar spans them all, and grows if the search needs more.
    let evaluations = if args.mde { mde_evaluations(args.mde_tolerance) } else { 1 };
    let bar = progress_bar(args.replicates * evaluations);
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let progress = |done: usize, total: usize| {
        let before = finished.load(std::sync::atomic::Ordering::Relaxed);
        let position = (before * total + done) as u64;
        if position > bar.length().unwrap_or(0) {
            bar.set_length(position + total as u64);
        }
        bar.set_position(position);
        if done == total {
            finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    };
    if let Some(file) = &args.from {
        let spec = ColumnSpec {
            variant: None,
            metrics: args.metrics.clone(),
            covariate: args.covariate.clone(),
            segment: None,
        };
        // Re-randomizing units needs them all in memory, whatever the format.
        let units = read_input(&Input::from_arg(file), &spec)?;
        let report = data_power(&units, args.store.holdout, args.lift, &config, &methods, &progress);
        bar.finish_and_clear();
        let report = report.with_context(|| format!("cannot re-randomize {}", file.display()))?;
        warn_degenerate(&report.metrics, args.replicates, "re-randomizations", "a larger --holdout or more rows");
        render(
            args.format,
            || Ok(table::data_power_table(&report)),
            || Ok(json::to_json(&report)? + "\n"),
            || Ok(csv::power_csv(&report.metrics)?),
        )
    } else {
        let profile = args.store.profile()?;
        let sim = args.store.sim_config(args.seed, 1);
        liftlab::limits::check_days("--days", f64::from(args.store.days))?;
        // A/B and A/A per replicate, in each of the MDE search's evaluations.
        let tests = 2.0 * (args.replicates * evaluations) as f64;
        let sessions = tests * profile.sessions_per_day() * f64::from(args.store.days);
        let mut seconds = liftlab::limits::check_sessions("--replicates and --days", sessions)?;
        if args.looks.is_none() {
            seconds += permutation_seconds(&args, &profile, &sim, &config, &methods, evaluations)?;
        }
        let what = if args.mde {
            format!("{} simulated tests in each of about {evaluations} evaluations", args.replicates)
        } else {
            format!("{} simulated tests", args.replicates)
        };
        liftlab::limits::announce(&what, seconds);
        if let Some(k) = args.looks {
            let report = monte_carlo_looks(&profile, &sim, args.lift, k, &config, &progress);
            bar.finish_and_clear();
            let report = report?;
            return render(
                args.format,
                || Ok(looks_table(&report)),
                || Ok(json::to_json(&report)? + "\n"),
                || Ok(looks_csv(&report)?),
            );
        }
        let report = if args.mde {
            let metric = args.mde_metric as usize;
            simulated_mde(&profile, &sim, &config, &methods, metric, args.power, args.mde_tolerance, &progress)
                .map(|(report, mde)| PowerReport { mde: Some(mde), ..report })
        } else {
            monte_carlo_power_with(&profile, &sim, args.lift, &config, &methods, &progress)
        };
        bar.finish_and_clear();
        let report = report?;
        warn_degenerate(&report.metrics, args.replicates, "simulated tests", "a longer test or a larger store");
        render(
            args.format,
            || Ok(table::power_table(&report)),
            || Ok(json::to_json(&report)? + "\n"),
            || match &report.mde {
                Some(mde) => Ok(csv::power_mde_csv(&report.metrics, mde)?),
                None => Ok(csv::power_csv(&report.metrics)?),
            },
        )
    }
}
