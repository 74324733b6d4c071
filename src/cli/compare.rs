//! `liftlab compare`.

use super::render;
use std::io::IsTerminal;

use super::Progress;
use anyhow::Result;
use clap::Args;
use indicatif::ProgressStyle;

use super::OutputFormat;
use liftlab::compare::{CompareConfig, DEFAULT_FEES, compare};
use liftlab::report::{compare as compare_report, json};
use liftlab::store::StoreProfile;

/// Flags of `liftlab compare`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct CompareArgs {
    /// Store: a preset (0.5m, 1.5m, 5m, 20m, 100m) or a profile file (.json).
    #[arg(long, default_value = "1.5m", value_name = "PRESET|FILE")]
    store: String,
    /// Annual revenue, USD (overrides the store's; traffic scales with it).
    #[arg(long, value_name = "USD")]
    annual_revenue: Option<f64>,
    /// Average order value, USD [profile: 80].
    #[arg(long, value_name = "USD")]
    aov: Option<f64>,
    /// Share of sessions that order [profile: 0.025].
    #[arg(long, value_name = "RATE")]
    conversion_rate: Option<f64>,
    /// Gross margin after cost of goods, a fraction of order value [profile: 0.55].
    #[arg(long, value_name = "RATE")]
    gross_margin: Option<f64>,
    /// Products on sale [profile: 1000].
    #[arg(long, value_name = "N")]
    skus: Option<f64>,
    /// The model's platform fee, USD per month [profile: 2500].
    #[arg(long, value_name = "USD")]
    fee: Option<f64>,
    /// The rule-based module's fee, USD per month [profile: 0].
    #[arg(long, value_name = "USD")]
    rules_fee: Option<f64>,
    /// The model's revenue-per-visitor advantage over rules once it has
    /// learned (0.012 = +1.2%) [profile: 0.012].
    #[arg(long, value_name = "X")]
    rpv_gap: Option<f64>,
    /// Orders a month at which the model has half its advantage [profile: 5000].
    #[arg(long, value_name = "N")]
    half_saturation_orders: Option<f64>,
    /// Steepness of the model's learning curve [profile: 3].
    #[arg(long, value_name = "S")]
    learning_steepness: Option<f64>,
    /// Duration of the rules-vs-model test, days.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Shares of visitors in control, rules and model during the test.
    #[arg(long, value_name = "C,R,M", value_delimiter = ',', default_values_t = [0.1, 0.45, 0.45])]
    shares: Vec<f64>,
    /// Model fees swept for the break-even, USD per month (the store's fee is added).
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_values_t = DEFAULT_FEES)]
    fees: Vec<f64>,
    /// Annual revenues of the break-even sweep, USD, ascending [default: 12 from $250k to $50M].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    revenues: Option<Vec<f64>>,
    /// Simulated months at the store (20 to 100000) [default: as many as
    /// 100M sessions allow, 20 to 200].
    #[arg(long, value_name = "R")]
    replicates: Option<usize>,
    /// Simulated months per store size of the sweep (20 to 100000).
    #[arg(long, value_name = "R", default_value_t = 20)]
    sweep_replicates: usize,
    /// Two-sided significance level of the test.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Power for the MDE.
    #[arg(long, default_value_t = 0.8)]
    power: f64,
    /// Seed: same seed, same output, whatever --threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output format (CSV: the break-even sweep).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

impl CompareArgs {
    /// The store profile with the flags' overrides, validated.
    pub fn profile(&self) -> Result<StoreProfile> {
        let mut p = StoreProfile::from_spec(&self.store)?;
        if let Some(r) = self.annual_revenue {
            liftlab::limits::check_revenue("--annual-revenue", r)?;
            p.annual_revenue_usd = r;
            p.name = "custom".into();
        }
        if let Some(aov) = self.aov {
            liftlab::limits::check_aov("--aov", aov)?;
        }
        p.aov_usd = self.aov.unwrap_or(p.aov_usd);
        p.conversion_rate = self.conversion_rate.unwrap_or(p.conversion_rate);
        p.gross_margin_rate = self.gross_margin.unwrap_or(p.gross_margin_rate);
        p.sku_count = self.skus.unwrap_or(p.sku_count);
        let m = &mut p.policies.model;
        m.fee_usd_per_month = self.fee.unwrap_or(m.fee_usd_per_month);
        m.rpv_gap = self.rpv_gap.unwrap_or(m.rpv_gap);
        m.half_saturation_orders_per_month = self.half_saturation_orders.unwrap_or(m.half_saturation_orders_per_month);
        m.learning_steepness = self.learning_steepness.unwrap_or(m.learning_steepness);
        p.policies.rules.fee_usd_per_month = self.rules_fee.unwrap_or(p.policies.rules.fee_usd_per_month);
        p.validate().map_err(|e| {
            let text = e
                .to_string()
                .replace("annual_revenue_usd", "--annual-revenue")
                .replace("aov_usd", "--aov")
                .replace("conversion_rate", "--conversion-rate")
                .replace("gross_margin_rate", "--gross-margin")
                .replace("sku_count", "--skus")
                .replace("policies.model.fee_usd_per_month", "--fee")
                .replace("policies.rules.fee_usd_per_month", "--rules-fee")
                .replace("policies.model.rpv_gap", "--rpv-gap")
                .replace("policies.model.half_saturation_orders_per_month", "--half-saturation-orders")
                .replace("policies.model.learning_steepness", "--learning-steepness");
            anyhow::anyhow!(text)
        })?;
        Ok(p)
    }

    /// The comparison's settings.
    pub fn config(&self) -> Result<CompareConfig> {
        let d = CompareConfig::default();
        let &[c, r, m] = self.shares.as_slice() else {
            anyhow::bail!(
                "invalid --shares {:?}: expected three shares, control,rules,model (e.g. 0.1,0.45,0.45)",
                self.shares
            );
        };
        Ok(CompareConfig {
            days: self.days,
            shares: [c, r, m],
            replicates: self.replicates,
            sweep_replicates: self.sweep_replicates,
            revenues: self.revenues.clone().unwrap_or(d.revenues),
            fees: self.fees.clone(),
            alpha: self.alpha,
            power: self.power,
            seed: self.seed,
        })
    }
}

/// Sessions a comparison simulates: a month at the store for each policy
/// per replicate, and along the break-even sweep (also `report`'s estimate).
pub(super) fn sessions(profile: &StoreProfile, config: &CompareConfig) -> f64 {
    let month = 30.44 * profile.sessions_per_day() / profile.annual_revenue_usd;
    let sweep: f64 = config.revenues.iter().sum::<f64>() * config.sweep_replicates as f64;
    let at_store = config.replicates.unwrap_or(200) as f64 * profile.annual_revenue_usd;
    2.0 * month * (sweep + at_store)
}

/// Runs `liftlab compare`.
pub fn run(args: CompareArgs) -> Result<()> {
    let profile = args.profile()?;
    let config = args.config()?;
    config.validate()?;
    let seconds = liftlab::limits::check_sessions(
        "--replicates, --sweep-replicates and --revenues",
        sessions(&profile, &config),
    )?;
    liftlab::limits::announce("the simulated months", seconds);
    let bar = if std::io::stderr().is_terminal() {
        let b = Progress::new(0);
        b.set_style(
            ProgressStyle::with_template("compare {pos}/{len} simulated months {bar:40} {elapsed} eta {eta}")
                .expect("valid template"),
        );
        b
    } else {
        Progress::hidden()
    };
    let result = compare(&profile, &config, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let c = result?;
    render(
        args.format,
        || Ok(compare_report::compare_table(&c, c.months, config.sweep_replicates, profile.policies.model.rpv_gap)),
        || Ok(json::to_json(&c)? + "\n"),
        || Ok(compare_report::compare_csv(&c)?),
    )
}
