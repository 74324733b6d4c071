//! `liftlab power`.

use std::io::IsTerminal;

use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{OutputFormat, StoreArgs, emit};
use liftlab::montecarlo::{PowerConfig, monte_carlo_power};
use liftlab::report::{csv, json, table};

/// Flags of `liftlab power`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct PowerArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// True relative lift in conversion per session to detect.
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// Runs `liftlab power`.
pub fn run(args: PowerArgs) -> Result<()> {
    let profile = args.store.profile()?;
    let sim = args.store.sim_config(args.seed, 1);
    let config = PowerConfig { replicates: args.replicates, alpha: args.alpha, seed: args.seed };
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(args.replicates as u64);
        b.set_style(
            ProgressStyle::with_template("simulating {pos}/{len} tests {bar:40} {elapsed} eta {eta}")
                .expect("valid template"),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let report = monte_carlo_power(&profile, &sim, args.lift, &config, &|done, _| bar.set_position(done as u64));
    bar.finish_and_clear();
    let report = report?;
    let text = match args.format {
        OutputFormat::Table => table::power_table(&report),
        OutputFormat::Json => json::to_json(&report)? + "\n",
        OutputFormat::Csv => csv::power_csv(&report)?,
    };
    emit(&text)
}
