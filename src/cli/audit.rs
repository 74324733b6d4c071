//! `liftlab audit`.

use super::render;
use std::io::IsTerminal;
use std::path::PathBuf;

use super::Progress;
use anyhow::{Context, Result};
use clap::Args;
use indicatif::ProgressStyle;

use super::OutputFormat;
use liftlab::audit::{
    self, AuditConfig, DEFAULT_LIFTS, PLOT_LIFTS, PLOT_STORES, audit, audit_stores, check_replicates,
};
use liftlab::report::{audit as audit_report, audit_plot, json};
use liftlab::store::{PRESETS, StoreProfile};

/// Flags of `liftlab audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Store: a preset (0.5m, 1.5m, 5m, 20m, 100m) or a profile file (.json).
    #[arg(long, default_value = "1.5m", value_name = "PRESET|FILE")]
    store: String,
    /// Annual revenue, USD (overrides the store's; traffic scales with it).
    #[arg(long, value_name = "USD")]
    annual_revenue: Option<f64>,
    /// True relative lifts to simulate, comma-separated (0.02 = +2%).
    #[arg(long, value_name = "LIST", value_delimiter = ',', allow_hyphen_values = true, default_values_t = DEFAULT_LIFTS)]
    lift: Vec<f64>,
    /// Monthly platform fee, USD [default: the store profile's].
    #[arg(long, value_name = "USD", allow_hyphen_values = true)]
    fee: Option<f64>,
    /// Simulated tests per rule and lift (20 to 100000).
    #[arg(long, value_name = "R", default_value_t = 200)]
    replicates: usize,
    /// Seed: same seed, same output, whatever --threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory to write the wrong-decision plot into (PNG and SVG): the
    /// audit at stores 0.5m, 1.5m, 5m and 20m, lifts 0 and 2%.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
    /// Simulated tests per rule, lift and store for --plot.
    #[arg(long, value_name = "R", default_value_t = 100)]
    plot_replicates: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

fn bar(what: &str) -> Progress {
    if std::io::stderr().is_terminal() {
        let b = Progress::new(0);
        b.set_style(
            ProgressStyle::with_template(&format!("{what} {{pos}}/{{len}} tests {{bar:40}} {{elapsed}} eta {{eta}}"))
                .expect("valid template"),
        );
        b
    } else {
        Progress::hidden()
    }
}

/// Runs `liftlab audit`.
pub fn run(args: AuditArgs) -> Result<()> {
    let mut profile = StoreProfile::from_spec(&args.store)?;
    if let Some(r) = args.annual_revenue {
        liftlab::limits::check_revenue("--annual-revenue", r)?;
        profile.annual_revenue_usd = r;
        profile.name = "custom".into();
    }
    let config = AuditConfig {
        lifts: args.lift,
        fee_usd_per_month: args.fee,
        replicates: args.replicates,
        seed: args.seed,
        ..AuditConfig::default()
    };
    config.validate()?;
    profile.validate()?;
    // Checked even without --plot: a nonsense value is an error, not ignored.
    check_replicates("--plot-replicates", args.plot_replicates)?;
    let mut seconds =
        liftlab::limits::check_sessions("--replicates and --lift", audit::simulated_sessions(&profile, &config))?;
    if args.plot.is_some() {
        let plot_config =
            AuditConfig { lifts: PLOT_LIFTS.to_vec(), replicates: args.plot_replicates, ..config.clone() };
        let sessions: f64 = PLOT_STORES
            .iter()
            .map(|&n| {
                let revenue = PRESETS.iter().find(|p| p.0 == n).expect("a preset").1;
                let p = StoreProfile { annual_revenue_usd: revenue, ..profile.clone() };
                audit::simulated_sessions(&p, &plot_config)
            })
            .sum();
        seconds += liftlab::limits::check_sessions("--plot-replicates", sessions)?;
    }
    liftlab::limits::announce("the audit (an upper bound)", seconds);
    let progress = bar("audit");
    let report = audit(&profile, &config, &|done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    });
    progress.finish_and_clear();
    let report = report?;
    if let Some(dir) = &args.plot {
        let stores: Vec<(&str, f64)> =
            PLOT_STORES.iter().map(|&n| *PRESETS.iter().find(|p| p.0 == n).expect("a preset")).collect();
        let plot_config =
            AuditConfig { lifts: PLOT_LIFTS.to_vec(), replicates: args.plot_replicates, ..config.clone() };
        let progress = bar("plot");
        let audits = audit_stores(&profile, &stores, &plot_config, &|done, total| {
            progress.set_length(total as u64);
            progress.set_position(done as u64);
        });
        progress.finish_and_clear();
        let written = audit_plot::audit_plot(&audits?, dir)
            .with_context(|| format!("cannot write the plot into {}", dir.display()))?;
        for path in written {
            note!("wrote {}", path.display());
        }
    }
    render(
        args.format,
        || Ok(audit_report::audit_table(&report)),
        || Ok(json::to_json(&report)? + "\n"),
        || Ok(audit_report::audit_csv(&report)?),
    )
}
