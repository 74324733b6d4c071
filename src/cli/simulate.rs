//! `liftlab simulate`.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use liftlab::sim::{UnitSimConfig, simulate_units};

/// Flags of `liftlab simulate` (unit level: one row per customer).
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct SimulateArgs {
    /// Number of units (customers).
    #[arg(long, default_value_t = 20_000)]
    units: usize,
    /// Share of units held out as control, in (0, 1).
    #[arg(long, default_value_t = 0.10)]
    holdout: f64,
    /// Mean share of units that order in the test period.
    #[arg(long, default_value_t = 0.025)]
    conversion_rate: f64,
    /// Mean order value, USD.
    #[arg(long, default_value_t = 80.0)]
    aov: f64,
    /// Coefficient of variation of order value.
    #[arg(long, default_value_t = 1.0)]
    aov_cv: f64,
    /// True relative lift of the treatment on conversion (and revenue per unit).
    #[arg(long, default_value_t = 0.0)]
    lift: f64,
    /// Random seed: same seed, same file, whatever --threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Assignment salt (a new salt re-randomizes units into arms).
    #[arg(long, default_value_t = 1)]
    salt: u64,
    /// Output CSV file (default: standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs `liftlab simulate`.
pub fn run(args: SimulateArgs) -> Result<()> {
    let cfg = UnitSimConfig {
        units: args.units,
        holdout: args.holdout,
        conversion_rate: args.conversion_rate,
        aov_usd: args.aov,
        aov_cv: args.aov_cv,
        lift: args.lift,
        seed: args.seed,
        salt: args.salt,
        ..UnitSimConfig::default()
    };
    let rows = simulate_units(&cfg)?;
    let sink: Box<dyn std::io::Write> = match &args.out {
        Some(path) => {
            Box::new(BufWriter::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?))
        }
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut w = csv::Writer::from_writer(sink);
    for row in &rows {
        if let Err(e) = w.serialize(row) {
            if let csv::ErrorKind::Io(io) = e.kind() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    std::process::exit(0);
                }
            }
            return Err(e).context("cannot write the simulated rows");
        }
    }
    w.flush().context("cannot write the simulated rows")?;
    Ok(())
}
