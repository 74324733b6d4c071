//! `liftlab report`.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::Progress;
use anyhow::{Result, bail};
use clap::Args;
use indicatif::ProgressStyle;

use liftlab::audit::{AuditConfig, Rule, check_replicates};
use liftlab::compare::{CompareConfig, compare};
use liftlab::report::owner::{AUDIT_LIFTS, OwnerConfig, owner_html, owner_report};
use liftlab::store::StoreProfile;

/// Flags of `liftlab report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Store: a preset (0.5m, 1.5m, 5m, 20m, 100m) or a profile file (.json).
    #[arg(long, default_value = "1.5m", value_name = "PRESET|FILE")]
    store: String,
    /// Annual revenue, USD (overrides the store's; traffic scales with it).
    #[arg(long, value_name = "USD")]
    annual_revenue: Option<f64>,
    /// The HTML file to write (.html).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The paid model's platform fee, USD per month [default: the
    /// profile's, $2,500].
    #[arg(long, value_name = "USD", allow_hyphen_values = true)]
    fee: Option<f64>,
    /// Duration of the simulated test of the paid model, days.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Simulated tests per rule and lift in the audit (20 to 100000).
    #[arg(long, value_name = "R", default_value_t = 100)]
    replicates: usize,
    /// The decision rule the store uses today, marked in the audit.
    #[arg(long, value_name = "RULE", value_parser = parse_rule)]
    rule: Option<Rule>,
    /// Rules vs model: simulated months at the store (20 to 100000)
    /// [default: as `liftlab compare`].
    #[arg(long, value_name = "R")]
    compare_replicates: Option<usize>,
    /// Rules vs model: simulated months per store size of the break-even sweep.
    #[arg(long, value_name = "R", default_value_t = 20)]
    sweep_replicates: usize,
    /// Rules vs model: annual revenues of the break-even sweep, USD,
    /// ascending [default: as `liftlab compare`].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    revenues: Option<Vec<f64>>,
    /// Seed: same seed, same page, whatever --threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn parse_rule(text: &str) -> Result<Rule, String> {
    Rule::ALL
        .iter()
        .copied()
        .find(|r| r.id() == text)
        .ok_or_else(|| format!("expected one of {}", Rule::ALL.iter().map(|r| r.id()).collect::<Vec<_>>().join(", ")))
}

/// The store flags as the page's commands print them.
fn store_flags(args: &ReportArgs) -> String {
    let mut flags = format!("--store {}", args.store);
    if let Some(r) = args.annual_revenue {
        flags += &format!(" --annual-revenue {r}");
    }
    flags
}

/// The comparison's non-default flags as `liftlab compare` takes them.
fn compare_flags(args: &ReportArgs) -> String {
    let mut flags = String::new();
    if let Some(r) = args.compare_replicates {
        flags += &format!(" --replicates {r}");
    }
    if args.sweep_replicates != CompareConfig::default().sweep_replicates {
        flags += &format!(" --sweep-replicates {}", args.sweep_replicates);
    }
    if let Some(list) = &args.revenues {
        flags += &format!(" --revenues {}", list.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(","));
    }
    flags
}

/// Runs `liftlab report`.
pub fn run(args: ReportArgs) -> Result<()> {
    if args.out.extension().is_none_or(|e| !e.eq_ignore_ascii_case("html")) {
        bail!("--out {}: the report is an HTML page; name it FILE.html", args.out.display());
    }
    // Opened first, so an unwritable --out fails before minutes of work.
    let mut out = liftlab::io::AtomicFile::create(&args.out)?;
    let mut profile = StoreProfile::from_spec(&args.store)?;
    if let Some(r) = args.annual_revenue {
        liftlab::limits::check_revenue("--annual-revenue", r)?;
        profile.annual_revenue_usd = r;
        profile.name = "custom".into();
    }
    if let Some(fee) = args.fee {
        anyhow::ensure!(fee >= 0.0 && fee.is_finite(), "--fee {fee}: expected a monthly fee in USD, 0 or more");
        profile.policies.model.fee_usd_per_month = fee;
    }
    profile.validate()?;
    check_replicates("--replicates", args.replicates)?;
    // Checked before minutes of comparison, not after it.
    liftlab::limits::check_days("--days", f64::from(args.days))?;
    let config = OwnerConfig {
        store_flags: store_flags(&args),
        seed: args.seed,
        vendor_test_days: args.days,
        audit_replicates: args.replicates,
        current_rule: args.rule,
        compare_flags: compare_flags(&args),
    };

    let bar = if std::io::stderr().is_terminal() {
        let b = Progress::new(0);
        b.set_style(ProgressStyle::with_template("{msg} {pos}/{len} {bar:40} {elapsed}").expect("valid template"));
        b
    } else {
        Progress::hidden()
    };
    // Rules vs the paid model: `liftlab compare` with its defaults.
    bar.set_message("rules vs model: simulated months");
    let defaults = CompareConfig::default();
    let compare_config = CompareConfig {
        seed: args.seed,
        replicates: args.compare_replicates,
        sweep_replicates: args.sweep_replicates,
        revenues: args.revenues.clone().unwrap_or(defaults.revenues),
        ..defaults
    };
    compare_config
        .validate()
        .map_err(|e| anyhow::anyhow!(e.to_string().replace("--replicates", "--compare-replicates")))?;
    // The page's work: the comparison, the vendor's simulated test and the audit.
    let audit_config = AuditConfig {
        lifts: AUDIT_LIFTS.to_vec(),
        replicates: args.replicates,
        seed: args.seed,
        ..AuditConfig::default()
    };
    let sessions = super::compare::sessions(&profile, &compare_config)
        + profile.sessions_per_day() * f64::from(args.days)
        + liftlab::audit::simulated_sessions(&profile, &audit_config);
    let seconds = liftlab::limits::check_sessions(
        "--annual-revenue, --replicates, --compare-replicates and --sweep-replicates",
        sessions,
    )?;
    liftlab::limits::announce("the report's simulations (an upper bound)", seconds);
    let comparison = compare(&profile, &compare_config, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    let comparison = match comparison {
        Ok(c) => Some(c),
        Err(e) => {
            bar.finish_and_clear();
            return Err(e.into());
        }
    };
    let report = owner_report(&profile, &config, comparison, &|step, done, total| {
        bar.set_message(step.to_string());
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let html = owner_html(&report?)?;
    std::io::Write::write_all(&mut out, html.as_bytes())
        .map_err(|source| liftlab::Error::Write { path: args.out.clone(), source })?;
    out.commit()?;
    note!("wrote {}", args.out.display());
    Ok(())
}
