//! Argument parsing and dispatch. One file per subcommand; each parses its
//! flags into a validated library configuration, calls the library and
//! renders the result.

mod analyze;
mod analyze_summary;
mod audit;
mod compare;
mod frontier;
mod plan;
mod power;
mod report;
mod shell;
mod simulate;
mod sql;
mod sweep;

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use liftlab::store::StoreProfile;

/// Can a holdout test see the lift? Analyse experiments, plan holdouts.
#[derive(Debug, Parser)]
#[command(name = "liftlab", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Worker threads for parallel work (default: all cores). Results do
    /// not depend on it.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse a finished experiment from a unit-level CSV (one row per
    /// randomized unit): SRM check, Welch, relative lift, CUPED, bootstrap.
    Analyze(analyze::AnalyzeArgs),
    /// Power and minimum detectable effect of a holdout test, per duration,
    /// and the days needed to detect a target lift.
    Plan(plan::PlanArgs),
    /// Simulate a store under a randomized holdout: data as CSV, ground truth
    /// and what a vendor dashboard would claim.
    Simulate(simulate::SimulateArgs),
    /// Monte Carlo power: simulate many holdout tests of a store, with their
    /// A/A twins, and report power, false-positive rate, coverage and bias.
    Power(power::PowerArgs),
    /// The measurability frontier: the smallest detectable lift by store
    /// size, duration and holdout, with simulated checks, verdicts and plots.
    Frontier(frontier::FrontierArgs),
    /// Audit the field's decision rules (weekly peeking, two windows at +8%,
    /// a two-week off switch, AOV before/after) and liftlab's own, by
    /// simulation at a store: how often each keeps a module, how often
    /// wrongly, and what that costs per month.
    Audit(audit::AuditArgs),
    /// Rules vs a paid ML model: what each earns a store per month over no
    /// module after fees (simulated), the break-even revenue above which the
    /// model pays for itself, and whether a test could tell them apart.
    Compare(compare::CompareArgs),
    /// Print the SQL (DuckDB, PostgreSQL, BigQuery, Snowflake) that computes
    /// the summary of sums `analyze --summary` reads, in one pass.
    Sql(sql::SqlArgs),
    /// One page for a store owner: a self-contained HTML file (inline SVG,
    /// no network) with the verdict, the store on the measurability
    /// frontier, the vendor's claim against the truth, the test the store
    /// can run and the audit of decision rules, each figure with the
    /// command that reproduces it.
    Report(report::ReportArgs),
    /// Run a grid of simulated scenarios (stores x days x holdouts x lifts
    /// x methods, each with its replicates and A/A twins), whole or as
    /// shards of a Slurm / Kubernetes job array, and merge the shards into
    /// byte-identical results and a per-scenario summary.
    Sweep(sweep::SweepArgs),
    /// Print a shell completion script: `liftlab completions bash >
    /// ~/.local/share/bash-completion/completions/liftlab` (also zsh, fish,
    /// elvish, powershell).
    Completions(shell::CompletionsArgs),
    /// Print the man page (roff): `liftlab man > liftlab.1 && man ./liftlab.1`.
    Man(shell::ManArgs),
}

/// Output format flag shared by the subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Text report for people.
    Table,
    /// JSON for scripts.
    Json,
    /// CSV, one row per result.
    Csv,
}

/// The store and test-design flags shared by `simulate` and `power`.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Store: a preset (0.5m, 1.5m, 5m, 20m, 100m) or a profile file (.json).
    #[arg(long, default_value = "1.5m", value_name = "PRESET|FILE")]
    store: String,
    /// Annual revenue, USD (overrides the store's; traffic scales with it).
    #[arg(long, value_name = "USD")]
    annual_revenue: Option<f64>,
    /// Test duration, days.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Share of visitors held out as control, in (0, 1).
    #[arg(long, default_value_t = 0.10)]
    holdout: f64,
}

impl StoreArgs {
    /// The profile these flags name, with the revenue override applied.
    pub fn profile(&self) -> Result<StoreProfile> {
        let mut p = StoreProfile::from_spec(&self.store)?;
        if let Some(r) = self.annual_revenue {
            liftlab::limits::check_revenue("--annual-revenue", r)?;
            p.annual_revenue_usd = r;
            p.name = "custom".into();
        }
        Ok(p)
    }

    /// The simulated test's settings for a seed and assignment salt.
    pub fn sim_config(&self, seed: u64, salt: u64) -> liftlab::sim::SimConfig {
        liftlab::sim::SimConfig { days: self.days, holdout: self.holdout, seed, salt, ..Default::default() }
    }
}

/// Parses the command line and runs the subcommand.
pub fn run() -> Result<()> {
    liftlab::report::json::set_command(std::env::args_os());
    let cli = Cli::parse();
    if let Some(n) = cli.threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        liftlab::limits::check_at_most("--threads", n, liftlab::limits::MAX_THREADS, "more only adds overhead")?;
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().context("cannot start the thread pool")?;
    }
    match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Sql(args) => sql::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Power(args) => power::run(args),
        Command::Frontier(args) => frontier::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Report(args) => report::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Completions(args) => shell::completions(args),
        Command::Man(args) => shell::man(args),
    }
}

/// `error` with a profile field's name (`treatment.conversion_lift`)
/// replaced by the flag that set it (`--lift`), per `flags` (field, flag).
pub fn with_flags(error: liftlab::Error, flags: &[(&str, &str)]) -> liftlab::Error {
    match error {
        liftlab::Error::InvalidParameter { name, value, expected } => {
            let name = flags.iter().find(|(field, _)| *field == name).map_or(name, |(_, flag)| flag.to_string());
            liftlab::Error::InvalidParameter { name, value, expected }
        }
        other => other,
    }
}

/// The profile fields the store flags of `simulate` and `power` set.
pub const STORE_FLAGS: &[(&str, &str)] = &[
    ("annual_revenue_usd", "--annual-revenue"),
    ("treatment.conversion_lift", "--lift"),
    ("treatment.aov_lift", "--aov-lift"),
    ("platform_fee_usd_per_month", "--platform-fee"),
];

/// `error` with "`what` FILE" in front, unless its message already names
/// the file (a read error, a bad cell): the file is said once.
pub fn about_file(error: liftlab::Error, what: &str, file: &std::path::Path) -> anyhow::Error {
    if error.to_string().contains(&file.display().to_string()) {
        error.into()
    } else {
        anyhow::Error::new(error).context(format!("{what} {}", file.display()))
    }
}

/// Writes a report to stdout. A closed pipe (`liftlab … | head`) is not an
/// error: the process exits 0 quietly.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let result = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other.context("cannot write to standard output"),
    }
}
