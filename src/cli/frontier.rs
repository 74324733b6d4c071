//! `liftlab frontier`.

use super::render;
use std::io::IsTerminal;
use std::path::PathBuf;

use super::Progress;
use anyhow::{Context, Result};
use clap::Args;
use indicatif::ProgressStyle;

use super::OutputFormat;
use liftlab::frontier::{FrontierConfig, frontier};
use liftlab::report::{csv, frontier_plot, json, table};
use liftlab::store::StoreProfile;

/// Flags of `liftlab frontier`.
#[derive(Debug, Args)]
pub struct FrontierArgs {
    /// Store profile whose visitors the frontier assumes (a preset or a
    /// .json file); its own revenue is the store of the power curve.
    #[arg(long, default_value = "1.5m", value_name = "PRESET|FILE")]
    store: String,
    /// Annual revenue of the store being discussed, USD (overrides the
    /// profile's); k/M/B suffixes allowed. It is marked on the MDE-by-revenue
    /// plot and is the store of the power-curve and MDE-by-days plots.
    #[arg(long, value_name = "USD", value_parser = parse_usd)]
    annual_revenue: Option<f64>,
    /// Annual revenues to tabulate, comma-separated; k/M/B suffixes allowed
    /// (e.g. 250k,1.5M,100M) [default: 14 points from $250k to $100M, log-spaced].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_usd)]
    revenues: Vec<f64>,
    /// Test durations, days, comma-separated.
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_values_t = [14u32, 30, 60, 90])]
    days: Vec<u32>,
    /// Holdout shares, comma-separated (the first drives verdicts and plots).
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_values_t = [0.10])]
    holdout: Vec<f64>,
    /// Significance level (two-sided).
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Power at which the MDE is computed.
    #[arg(long, default_value_t = 0.80)]
    power: f64,
    /// The lift verdicts ask about.
    #[arg(long, default_value_t = 0.03)]
    target_lift: f64,
    /// Simulated tests per Monte Carlo check and per power-curve point
    /// (0 = analytic only).
    #[arg(long, value_name = "K", default_value_t = 300)]
    checks: usize,
    /// Annual revenues at which the analytic MDE is checked by simulation.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_usd, default_values_t = [500_000.0, 5_000_000.0, 20_000_000.0])]
    check_revenues: Vec<f64>,
    /// Seed: same seed, same output, whatever --threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory to write the three plots into (PNG and SVG).
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// Parses `250000`, `250k`, `$1.5M`, `2e6`, `1B`.
fn parse_usd(text: &str) -> Result<f64, String> {
    let t = text.trim().trim_start_matches('$').replace('_', "");
    let (number, scale) = match t.chars().last().map(|c| c.to_ascii_lowercase()) {
        Some('k') => (&t[..t.len() - 1], 1e3),
        Some('m') => (&t[..t.len() - 1], 1e6),
        Some('b') => (&t[..t.len() - 1], 1e9),
        _ => (t.as_str(), 1.0),
    };
    match number.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v * scale),
        _ => Err(format!("expected a positive amount in USD such as 250000, 250k or 1.5M, got {text:?}")),
    }
}

/// Runs `liftlab frontier`.
pub fn run(args: FrontierArgs) -> Result<()> {
    let mut profile = StoreProfile::from_spec(&args.store)?;
    if let Some(r) = args.annual_revenue {
        liftlab::limits::check_revenue("--annual-revenue", r)?;
        profile.annual_revenue_usd = r;
        profile.name = "custom".into();
    }
    let defaults = FrontierConfig::default();
    let config = FrontierConfig {
        revenues: if args.revenues.is_empty() { defaults.revenues } else { args.revenues },
        days: args.days,
        holdouts: args.holdout,
        alpha: args.alpha,
        power: args.power,
        target_lift: args.target_lift,
        check_replicates: args.checks,
        check_revenues: args.check_revenues,
        seed: args.seed,
    };
    // Every setting first: the estimate below multiplies them.
    liftlab::frontier::validate(&config)?;
    // The checks: A/B and A/A tests at each check revenue and along the power curve (at the store).
    let per_day = |usd: f64| profile.sessions_per_day() * usd / profile.annual_revenue_usd;
    let days = f64::from(config.days.iter().copied().max().unwrap_or(30));
    let sessions: f64 = config.check_revenues.iter().map(|&r| per_day(r)).sum::<f64>()
        + liftlab::frontier::CURVE_LIFTS.len() as f64 * per_day(profile.annual_revenue_usd);
    let seconds = liftlab::limits::check_sessions("--checks", 2.0 * config.check_replicates as f64 * days * sessions)?;
    liftlab::limits::announce("the simulated checks", seconds);
    let bar = if std::io::stderr().is_terminal() && config.check_replicates > 0 {
        let b = Progress::new(0);
        b.set_style(
            ProgressStyle::with_template("simulated checks {pos}/{len} tests {bar:40} {elapsed} eta {eta}")
                .expect("valid template"),
        );
        b
    } else {
        Progress::hidden()
    };
    let report = frontier(&profile, &config, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let report = report?;
    for c in report.checks.iter().filter(|c| c.degenerate * 100 > config.check_replicates) {
        note!(
            "warning: check at {} a year, {}: {} of {} simulated tests were degenerate (no analysis possible, e.g. no control buyer) and are left out of its rates",
            liftlab::report::format::usd_short(c.annual_revenue_usd),
            c.metric,
            c.degenerate,
            config.check_replicates
        );
    }
    if let Some(dir) = &args.plot {
        let written = frontier_plot::frontier_plots(&report, dir)
            .with_context(|| format!("cannot write the plots into {}", dir.display()))?;
        for path in written {
            note!("wrote {}", path.display());
        }
    }
    render(
        args.format,
        || Ok(table::frontier_table(&report)),
        || Ok(json::to_json(&report)? + "\n"),
        || Ok(csv::frontier_csv(&report)?),
    )
}

#[cfg(test)]
mod tests {
    use super::parse_usd;

    #[test]
    fn amounts_parse_with_suffixes() {
        assert_eq!(parse_usd("250k"), Ok(250_000.0));
        assert_eq!(parse_usd("$1.5M"), Ok(1_500_000.0));
        assert_eq!(parse_usd("2e6"), Ok(2_000_000.0));
        assert_eq!(parse_usd("1b"), Ok(1e9));
        assert!(parse_usd("-5").is_err() && parse_usd("lots").is_err() && parse_usd("").is_err());
    }
}
