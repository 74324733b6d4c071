//! `liftlab simulate`.

use super::render;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use super::Progress;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use indicatif::ProgressStyle;

use super::{OutputFormat, StoreArgs};
use liftlab::io::AtomicFile;
use liftlab::report::{json, table};
use liftlab::sim::store::{Level, SessionRow, ShardOutput, VisitorRow};
use liftlab::sim::{ArmSpec, parse_arms, simulate, summarize, summarize_arms};
use liftlab::store::StoreProfile;

/// Row granularity of `--out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    /// One row per visitor (the unit of randomization), readable by `analyze`.
    Unit,
    /// One row per session.
    Session,
}

/// Flags of `liftlab simulate`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct SimulateArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// True relative lift in conversion per session (0.02 = +2%) [profile: 0.02].
    #[arg(long)]
    lift: Option<f64>,
    /// True relative lift in order value of treated orders [profile: 0].
    #[arg(long)]
    aov_lift: Option<f64>,
    /// Share of vendor-"influenced" orders that would have happened anyway [profile: 0.7].
    #[arg(long)]
    cannibalization: Option<f64>,
    /// Personalization platform fee, USD per month, charged to the treatment arm [profile: 0].
    #[arg(long, value_name = "USD")]
    platform_fee: Option<f64>,
    /// Arms of a multi-arm test with their shares of visitors, e.g.
    /// `control=0.1,rules=0.45,model=0.45` (replaces --holdout). Arms:
    /// control (no module), treatment (the profile's), rules (a rule-based
    /// module) and model (a paid ML model whose advantage over rules grows
    /// with the store's orders; profile `policies`).
    #[arg(long, value_name = "NAME=SHARE,...")]
    arms: Option<String>,
    /// Random seed: same seed, same output, whatever --threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Assignment salt (a new salt re-randomizes visitors into arms).
    #[arg(long, default_value_t = 1)]
    salt: u64,
    /// Write the simulated data as CSV to FILE ("-" for standard output,
    /// then the summary goes to standard error).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Rows of --out: one per visitor or one per session.
    #[arg(long, value_enum, default_value_t = LevelArg::Unit)]
    level: LevelArg,
    /// Write the store profile used (after overrides) as JSON, to edit and
    /// pass back with --store.
    #[arg(long, value_name = "FILE")]
    save_profile: Option<PathBuf>,
    /// Format of the summary (ground truth and vendor view).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

fn profile(args: &SimulateArgs) -> Result<StoreProfile> {
    let mut p = args.store.profile()?;
    if let Some(l) = args.lift {
        p.treatment.conversion_lift = l;
    }
    if let Some(l) = args.aov_lift {
        p.treatment.aov_lift = l;
    }
    if let Some(c) = args.cannibalization {
        p.treatment.cannibalization = c;
    }
    if let Some(f) = args.platform_fee {
        p.platform_fee_usd_per_month = f;
    }
    p.validate().map_err(|e| super::with_flags(e, super::STORE_FLAGS))?;
    Ok(p)
}

const UNIT_HEADER: &str = "visitor_id,arm,cohort,sessions,orders,units,revenue,margin,pre_revenue,rec_clicks,influenced_orders,incremental_orders,returns\n";
const SESSION_HEADER: &str =
    "visitor_id,day,arm,cohort,surface,rec_click,order,units,revenue,margin,returned,influenced,incremental\n";

fn write_visitor(w: &mut dyn Write, v: &VisitorRow, p: &StoreProfile, arms: &[ArmSpec]) -> std::io::Result<()> {
    writeln!(
        w,
        "{},{},{},{},{},{},{:.2},{:.2},{:.2},{},{},{},{}",
        v.visitor_id,
        arms[v.variant as usize].name,
        p.cohorts[v.cohort as usize].name,
        v.sessions,
        v.orders,
        v.units,
        v.revenue,
        v.margin,
        v.pre_revenue,
        v.rec_clicks,
        v.influenced_orders,
        v.incremental_orders,
        v.returns
    )
}

fn write_session(w: &mut dyn Write, s: &SessionRow, p: &StoreProfile, arms: &[ArmSpec]) -> std::io::Result<()> {
    writeln!(
        w,
        "{},{},{},{},{},{},{},{},{:.2},{:.2},{},{},{}",
        s.visitor_id,
        s.day,
        arms[s.variant as usize].name,
        p.cohorts[s.cohort as usize].name,
        p.surfaces[s.surface as usize].name,
        s.rec_click as u8,
        s.order as u8,
        s.units,
        s.revenue,
        s.margin,
        s.returned as u8,
        s.influenced as u8,
        s.incremental as u8
    )
}

/// Where the simulated rows go: standard output, or a file written
/// atomically (complete under its name, or not there at all).
enum Sink {
    Stdout(BufWriter<std::io::StdoutLock<'static>>),
    File(AtomicFile),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(buf),
            Sink::File(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::File(f) => f.flush(),
        }
    }
}

/// Runs `liftlab simulate`.
pub fn run(args: SimulateArgs) -> Result<()> {
    let p = profile(&args)?;
    if let Some(path) = &args.save_profile {
        p.save(path)?;
    }
    let mut cfg = args.store.sim_config(args.seed, args.salt);
    liftlab::limits::check_days("--days", f64::from(cfg.days))?;
    let seconds =
        liftlab::limits::check_sessions("--days and --annual-revenue", p.sessions_per_day() * f64::from(cfg.days))?;
    liftlab::limits::announce("the simulation", seconds);
    if let Some(spec) = &args.arms {
        cfg.arms = parse_arms(spec)?;
        for a in cfg.arms.iter().filter(|a| a.name != "control") {
            p.policy(&a.name)?;
        }
    }
    let arms = cfg.arm_specs();
    let level = match (&args.out, args.level) {
        (None, _) => Level::Aggregate,
        (Some(_), LevelArg::Unit) => Level::Unit,
        (Some(_), LevelArg::Session) => Level::Session,
    };
    let to_stdout = args.out.as_deref().is_some_and(|o| o.as_os_str() == "-");
    if to_stdout && args.format != OutputFormat::Table {
        bail!("with --out - the CSV goes to standard output; the summary then goes to standard error as a table");
    }
    let mut sink: Option<Sink> = match &args.out {
        None => None,
        Some(_) if to_stdout => Some(Sink::Stdout(BufWriter::new(std::io::stdout().lock()))),
        Some(path) => Some(Sink::File(AtomicFile::create(path)?)),
    };
    if let Some(w) = sink.as_mut() {
        w.write_all(if level == Level::Session { SESSION_HEADER } else { UNIT_HEADER }.as_bytes())?;
    }
    let bar = if std::io::stderr().is_terminal() && p.sessions_per_day() * cfg.days as f64 > 2e6 {
        let b = Progress::new(1);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {percent:>3}% {elapsed} eta {eta}").expect("valid template"),
        );
        b
    } else {
        Progress::hidden()
    };
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let mut rows = 0u64;
    let write = |o: &ShardOutput| -> liftlab::Result<()> {
        let Some(w) = sink.as_mut() else { return Ok(()) };
        let io = |e: std::io::Error| liftlab::Error::Write { path: args.out.clone().unwrap_or_default(), source: e };
        if level == Level::Session {
            for s in &o.sessions {
                write_session(w, s, &p, &arms).map_err(io)?;
            }
            rows += o.sessions.len() as u64;
        } else {
            for v in &o.visitors {
                write_visitor(w, v, &p, &arms).map_err(io)?;
            }
            rows += o.visitors.len() as u64;
        }
        Ok(())
    };
    let result = simulate(&p, &cfg, level, &progress, write);
    bar.finish_and_clear();
    let result = match result {
        Err(liftlab::Error::Write { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            std::process::exit(0)
        }
        other => other?,
    };
    match sink {
        Some(Sink::File(f)) => f.commit()?,
        Some(Sink::Stdout(mut w)) => match w.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            other => other.context("cannot write to standard output")?,
        },
        None => {}
    }
    if let (Some(out), false) = (&args.out, to_stdout) {
        json::write_csv_sidecar(out, rows)?;
    }
    let (table, json) = if cfg.arms.is_empty() {
        let summary = summarize(&p, &cfg, &result.truth);
        (table::simulation_table(&summary), json::to_json(&summary)?)
    } else {
        let summary = summarize_arms(&p, &cfg, &result);
        (table::multi_arm_table(&summary), json::to_json(&summary)?)
    };
    if to_stdout {
        eprint!("{table}");
        return Ok(());
    }
    render(args.format, || Ok(table), || Ok(json.clone() + "\n"), || Ok(liftlab::report::csv::fields_csv(&json)?))?;
    if let Some(out) = &args.out {
        note!(
            "wrote {} ({} rows, one per {})",
            out.display(),
            liftlab::report::format::count(rows as f64),
            if level == Level::Session { "session" } else { "visitor" }
        );
    }
    Ok(())
}
