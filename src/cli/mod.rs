//! The command line, for the `liftlab` binary and the Python package
//! (`python/`, which runs it in-process). Argument parsing and dispatch. One file per subcommand; each parses its
//! flags into a validated library configuration, calls the library and
//! renders the result.

/// `eprintln!` for notes and warnings; kept in the [`Captured`] result of
/// an in-process run instead.
macro_rules! note {
    ($($t:tt)*) => {
        $crate::cli::note_line(format!($($t)*))
    };
}

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

use std::ffi::OsString;
use std::io::Write;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

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
        check_threads(n)?;
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().context("cannot start the thread pool")?;
    }
    dispatch(cli.command)
}

fn check_threads(n: usize) -> Result<()> {
    anyhow::ensure!(n > 0, "--threads must be at least 1");
    liftlab::limits::check_at_most("--threads", n, liftlab::limits::MAX_THREADS, "more only adds overhead")?;
    Ok(())
}

/// What an in-process run ([`run_captured`]) produced instead of printing.
#[derive(Debug, Default, Clone)]
pub struct Captured {
    /// The report as `--format json` prints it (the JSON contract).
    pub json: Option<String>,
    /// The report as `--format table` prints it.
    pub table: Option<String>,
    /// Anything else the command prints on standard output (`sql`, `sweep`).
    pub stdout: String,
    /// The notes and warnings the command prints on standard error, one per line.
    pub notes: Vec<String>,
}

/// An in-process run's output, process-wide (not per thread: a command
/// may note from a worker thread, and `threads` runs it in a pool); `None`
/// when the binary runs, which prints instead.
static CAPTURE: Mutex<Option<Captured>> = Mutex::new(None);
/// The in-memory input of an in-process `analyze`.
static INPUT: Mutex<Option<liftlab::io::Input>> = Mutex::new(None);

fn capture() -> std::sync::MutexGuard<'static, Option<Captured>> {
    CAPTURE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The hook [`run_captured`] calls with `(done, total)` as work advances.
type Hook = Arc<dyn Fn(u64, u64) + Send + Sync>;
static HOOK: RwLock<Option<Hook>> = RwLock::new(None);
/// One in-process run at a time: the progress hook is process-wide.
static IN_PROCESS: Mutex<()> = Mutex::new(());

/// Runs a command line (`args[0]` is the program name) in this process, as
/// the Python package does: the report is captured as JSON and as a table
/// instead of printed, notes and warnings are collected, and `progress`,
/// when given, is called with `(done, total)` (at most every 0.1 s, from
/// any thread). `input` replaces the unit-level FILE of `analyze` (an
/// in-memory table). `threads` runs the command in a pool of that many
/// threads (results do not depend on it).
///
/// # Errors
/// The command's error, with the message the CLI prints (`{:#}`); clap's
/// usage errors as their rendered text.
pub fn run_captured(
    args: Vec<OsString>,
    input: Option<liftlab::io::Input>,
    threads: Option<usize>,
    progress: Option<Hook>,
) -> Result<Captured> {
    let _one = IN_PROCESS.lock().unwrap_or_else(|e| e.into_inner());
    liftlab::report::json::set_command(args.iter().cloned());
    let cli = Cli::try_parse_from(args).map_err(|e| {
        let text = e.render().to_string();
        anyhow::anyhow!("{}", text.trim_end().strip_prefix("error: ").unwrap_or(text.trim_end()))
    })?;
    let threads = threads.or(cli.threads);
    if let Some(n) = threads {
        check_threads(n)?;
    }
    *HOOK.write().unwrap_or_else(|e| e.into_inner()) = progress;
    *capture() = Some(Captured::default());
    *INPUT.lock().unwrap_or_else(|e| e.into_inner()) = input;
    let result = match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .context("cannot start the thread pool")
            .and_then(|pool| pool.install(|| dispatch(cli.command))),
        None => dispatch(cli.command),
    };
    *HOOK.write().unwrap_or_else(|e| e.into_inner()) = None;
    INPUT.lock().unwrap_or_else(|e| e.into_inner()).take();
    let captured = capture().take().unwrap_or_default();
    result.map(|()| captured)
}

/// The in-memory input of an in-process `analyze`, once.
fn take_input() -> Option<liftlab::io::Input> {
    INPUT.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Prints a note or warning on standard error, or keeps it in an
/// in-process run's [`Captured`] result.
pub fn note_line(line: String) {
    let kept = match capture().as_mut() {
        Some(c) => {
            c.notes.push(line.clone());
            true
        }
        None => false,
    };
    if !kept {
        eprintln!("{line}");
    }
}

/// Emits a report in `format`; an in-process run keeps the JSON and the
/// table instead (the CSV is not rendered).
fn render(
    format: OutputFormat,
    table: impl FnOnce() -> Result<String>,
    json: impl FnOnce() -> Result<String>,
    csv: impl FnOnce() -> Result<String>,
) -> Result<()> {
    if capture().is_some() {
        let (json, table) = (json()?, table()?);
        if let Some(c) = capture().as_mut() {
            c.json = Some(json);
            c.table = Some(table);
        }
        return Ok(());
    }
    emit(&match format {
        OutputFormat::Table => table()?,
        OutputFormat::Json => json()?,
        OutputFormat::Csv => csv()?,
    })
}

/// A progress bar: indicatif's on a terminal, and the in-process run's
/// progress hook, if any.
pub struct Progress {
    bar: indicatif::ProgressBar,
    last: Mutex<Option<Instant>>,
}

impl Progress {
    /// A bar of `len` steps, drawn on a terminal's stderr.
    pub fn new(len: u64) -> Self {
        Progress { bar: indicatif::ProgressBar::new(len), last: Mutex::new(None) }
    }

    /// A bar that is never drawn (the hook still hears of it).
    pub fn hidden() -> Self {
        Progress { bar: indicatif::ProgressBar::hidden(), last: Mutex::new(None) }
    }

    /// Sets the drawn bar's style.
    pub fn set_style(&self, style: indicatif::ProgressStyle) {
        self.bar.set_style(style);
    }

    /// Sets the drawn bar's message.
    pub fn set_message(&self, message: impl Into<std::borrow::Cow<'static, str>>) {
        self.bar.set_message(message);
    }

    /// Steps in all.
    pub fn length(&self) -> Option<u64> {
        self.bar.length()
    }

    /// Sets the steps in all.
    pub fn set_length(&self, len: u64) {
        self.bar.set_length(len);
        self.tell();
    }

    /// Sets the steps done.
    pub fn set_position(&self, pos: u64) {
        self.bar.set_position(pos);
        self.tell();
    }

    /// Clears the drawn bar; the hook hears `(total, total)`.
    pub fn finish_and_clear(&self) {
        self.bar.finish_and_clear();
        if let Some(hook) = HOOK.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            let len = self.bar.length().unwrap_or(0).max(self.bar.position());
            hook(len, len);
        }
    }

    /// Calls the hook, at most every 0.1 s.
    fn tell(&self) {
        let guard = HOOK.read().unwrap_or_else(|e| e.into_inner());
        let Some(hook) = guard.as_ref() else { return };
        let Ok(mut last) = self.last.try_lock() else { return };
        if last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
            return;
        }
        *last = Some(Instant::now());
        hook(self.bar.position(), self.bar.length().unwrap_or(0));
    }
}

fn dispatch(command: Command) -> Result<()> {
    match command {
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

/// Writes a report to stdout (kept in an in-process run's
/// [`Captured::stdout`]). A closed pipe (`liftlab … | head`) is not an
/// error: the process exits 0 quietly.
pub fn emit(text: &str) -> Result<()> {
    let kept = match capture().as_mut() {
        Some(c) => {
            c.stdout.push_str(text);
            true
        }
        None => false,
    };
    if kept {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    let result = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other.context("cannot write to standard output"),
    }
}
