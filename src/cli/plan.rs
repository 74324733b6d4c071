//! `liftlab plan`.

use super::render;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::OutputFormat;
use liftlab::io::dated::{DatedSpec, read_dated};
use liftlab::io::{ColumnSpec, read_units};
use liftlab::plan::dated::dated_plan;
use liftlab::plan::store::store_plan;
use liftlab::plan::{PlanConfig, Traffic, TrafficSource, plan};
use liftlab::report::plot::PlotFormat;
use liftlab::report::store_plan::{dated_plan_csv, dated_plan_table, store_plan_csv, store_plan_table};
use liftlab::report::{csv, json, table};
use liftlab::stats::Moments;
use liftlab::store::StoreProfile;

/// Flags of `liftlab plan`. With no traffic flags at all, plans for the
/// embedded default store ($1.5M/year, AOV $80, CV 1, 2.5% conversion):
/// visitors randomized, the reach curve and the playbooks' metrics.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct PlanArgs {
    /// Units (visitors, customers) randomized per day.
    #[arg(long, value_name = "N", help_heading = "Traffic given directly")]
    daily_units: Option<f64>,
    /// Per-unit mean of the metric under control.
    #[arg(long, value_name = "X", help_heading = "Traffic given directly")]
    baseline_mean: Option<f64>,
    /// Per-unit standard deviation of the metric.
    #[arg(long, value_name = "X", help_heading = "Traffic given directly")]
    baseline_sd: Option<f64>,

    /// Store: a preset (0.5m, 1.5m, 5m, 20m, 100m) or a profile JSON file
    /// [default: 1.5m]. The store economics flags below override its fields.
    #[arg(long, value_name = "PRESET|FILE", help_heading = "Traffic from a store")]
    store: Option<String>,
    /// Seed of the store's pilot simulation (per-visitor moments by duration).
    #[arg(long, default_value_t = 1, help_heading = "Traffic from a store")]
    seed: u64,
    /// Plan a group-sequential test read K times (O'Brien-Fleming-type
    /// alpha spending): boundaries, look days and the inflated duration.
    #[arg(long, value_name = "K", help_heading = "Traffic from a store")]
    looks: Option<u32>,

    /// Annual revenue, USD [default store: 1500000].
    #[arg(long, value_name = "USD", help_heading = "Traffic from store economics")]
    annual_revenue: Option<f64>,
    /// Average order value, USD [default: 80].
    #[arg(long, value_name = "USD", help_heading = "Traffic from store economics")]
    aov: Option<f64>,
    /// Coefficient of variation of order value [default: 1].
    #[arg(long, value_name = "CV", help_heading = "Traffic from store economics")]
    aov_cv: Option<f64>,
    /// Share of sessions that order, e.g. 0.025 [default: 0.025].
    #[arg(long, value_name = "RATE", help_heading = "Traffic from store economics")]
    conversion_rate: Option<f64>,

    /// Unit-level CSV to calibrate the metric's mean and sd from (needs
    /// --metric and --daily-units).
    #[arg(long, value_name = "FILE", help_heading = "Traffic calibrated from data")]
    from: Option<PathBuf>,
    /// Metric column in --from, or a ratio metric NUM/DEN (e.g. margin/sessions).
    #[arg(long, value_name = "COL", help_heading = "Traffic calibrated from data")]
    metric: Option<String>,
    /// Pre-period covariate in --from: its measured rho^2 is the CUPED
    /// variance reduction.
    #[arg(long, value_name = "COL", help_heading = "Traffic calibrated from data")]
    covariate: Option<String>,
    /// Date column in --from (YYYY-MM-DD or day numbers): measure the units
    /// seen and their variance after each number of days instead of
    /// assuming --daily-units new units a day.
    #[arg(long, value_name = "COL", requires = "from", help_heading = "Traffic calibrated from data")]
    date_col: Option<String>,
    /// Unit column in --from with --date-col: rows are events (sessions)
    /// of units, summed per unit up to each day.
    #[arg(long, value_name = "COL", requires = "date_col", help_heading = "Traffic calibrated from data")]
    unit_col: Option<String>,
    /// Arm column in --from; with --control, calibrate on control rows only.
    #[arg(long, value_name = "COL", requires = "control", help_heading = "Traffic calibrated from data")]
    variant_col: Option<String>,
    /// Control label in --variant-col.
    #[arg(long, value_name = "LABEL", requires = "variant_col", help_heading = "Traffic calibrated from data")]
    control: Option<String>,

    /// Share of units held out as control, in (0, 1).
    #[arg(long, default_value_t = 0.10)]
    holdout: f64,
    /// Significance level (two-sided).
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Power to detect the effect.
    #[arg(long, default_value_t = 0.80)]
    power: f64,
    /// Test durations in days, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "7,14,30,60,90")]
    days: Vec<f64>,
    /// Relative lift to detect (0.03 = 3%, the top of the plausible band for
    /// personalization).
    #[arg(long, default_value_t = 0.03)]
    target_lift: f64,
    /// Expected CUPED variance reduction rho^2 in [0, 1) (measured instead
    /// when --from has --covariate).
    #[arg(long, value_name = "R2")]
    cuped_r2: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Also draw relative MDE vs duration, with the target lift and the
    /// plausible (1-3%) and vendor-claimed (12-18%) lift bands: a PNG image
    /// if FILE ends in .png, SVG if it ends in .svg.
    #[arg(long, value_name = "FILE.png|FILE.svg")]
    plot: Option<PathBuf>,
}

impl PlanArgs {
    fn economics_given(&self) -> bool {
        self.annual_revenue.is_some() || self.aov.is_some() || self.aov_cv.is_some() || self.conversion_rate.is_some()
    }

    fn direct_given(&self) -> bool {
        self.baseline_mean.is_some() || self.baseline_sd.is_some()
    }
}

/// The store to plan for: `--store` (or the default store) with the
/// economics flags applied.
fn store(args: &PlanArgs) -> Result<StoreProfile> {
    let mut p = match &args.store {
        Some(spec) => StoreProfile::from_spec(spec)?,
        None => StoreProfile::default(),
    };
    if let Some(r) = args.annual_revenue {
        liftlab::limits::check_revenue("--annual-revenue", r)?;
        p.annual_revenue_usd = r;
        if args.store.is_none() {
            p.name = "custom".into();
        }
    }
    if let Some(aov) = args.aov {
        liftlab::limits::check_aov("--aov", aov)?;
    }
    p.aov_usd = args.aov.unwrap_or(p.aov_usd);
    p.aov_cv = args.aov_cv.unwrap_or(p.aov_cv);
    p.conversion_rate = args.conversion_rate.unwrap_or(p.conversion_rate);
    for (flag, value) in [
        ("--annual-revenue", p.annual_revenue_usd),
        ("--aov", p.aov_usd),
        ("--aov-cv", p.aov_cv),
        ("--conversion-rate", p.conversion_rate),
    ] {
        if !value.is_finite() {
            bail!("invalid {flag} = {value}: expected a finite number");
        }
    }
    p.validate().map_err(|e| {
        super::with_flags(
            e,
            &[
                ("annual_revenue_usd", "--annual-revenue"),
                ("aov_usd", "--aov"),
                ("aov_cv", "--aov-cv"),
                ("conversion_rate", "--conversion-rate"),
            ],
        )
    })?;
    Ok(p)
}

fn traffic(args: &PlanArgs) -> Result<Traffic> {
    let modes = [args.from.is_some(), args.direct_given()];
    if modes.iter().filter(|m| **m).count() > 1 || (modes.iter().any(|m| *m) && args.economics_given()) {
        bail!(
            "choose one way to give traffic: --from FILE, --baseline-mean/--baseline-sd with --daily-units, \
             or a store (--store, or store economics: --annual-revenue, --aov, --aov-cv, --conversion-rate)"
        );
    }
    if let Some(d) = args.daily_units
        && !(d > 0.0 && d <= 1e12)
    {
        return Err(
            liftlab::Error::invalid("--daily-units", d, "units randomized per day, above 0 and up to 1e12").into()
        );
    }
    if let Some(file) = &args.from {
        let Some(metric) = &args.metric else { bail!("--from needs --metric COL: the column to calibrate on") };
        let Some(daily) = args.daily_units else {
            bail!("--from needs --daily-units N: how many units the test would randomize per day")
        };
        if args.covariate.is_some() && args.cuped_r2.is_some() {
            bail!("give either --covariate (to measure the CUPED variance reduction) or --cuped-r2, not both");
        }
        let spec = ColumnSpec {
            variant: args.variant_col.clone(),
            metrics: vec![metric.clone()],
            covariate: args.covariate.clone(),
            segment: None,
        };
        let t = read_units(file, &spec)?;
        let wanted = match &args.control {
            Some(c) => Some(t.arms.iter().position(|a| a == c).ok_or_else(|| {
                anyhow::anyhow!(
                    "control arm {c:?} is not in column {:?} of {} (labels found: {})",
                    args.variant_col.as_deref().unwrap_or_default(),
                    file.display(),
                    t.arms.join(", ")
                )
            })? as u32),
            None => None,
        };
        let den = t.denominators[0].as_ref();
        if den.is_some() && args.covariate.is_some() {
            bail!("--covariate (CUPED) is not supported for a ratio metric like {metric:?} yet");
        }
        let mut m = Moments::new();
        for i in 0..t.n_rows() {
            if wanted.is_none_or(|a| t.arm_of_row[i] == a) {
                match den.or(t.covariate.as_ref()) {
                    Some(x) => m.push_xy(t.metrics[0][i], x[i]),
                    None => m.push(t.metrics[0][i]),
                }
            }
        }
        let source = TrafficSource::Data {
            file: file.display().to_string(),
            metric: metric.clone(),
            rows: match &args.control {
                Some(c) => format!("control rows {c:?}"),
                None => "all rows".to_string(),
            },
            n: m.n(),
            covariate: args.covariate.clone(),
        };
        let calibrated = match den {
            Some(_) => Traffic::from_ratio_data(&m, daily, source),
            None => Traffic::from_data(&m, daily, source, args.covariate.is_some()),
        };
        let mut traffic = calibrated.with_context(|| format!("cannot calibrate on {}", file.display()))?;
        if args.cuped_r2.is_some() {
            traffic.cuped_r2 = args.cuped_r2;
        }
        return Ok(traffic);
    }
    for (flag, given) in [("--metric", args.metric.is_some()), ("--covariate", args.covariate.is_some())] {
        if given {
            bail!("{flag} only applies with --from FILE");
        }
    }
    let (Some(daily), Some(mean), Some(sd)) = (args.daily_units, args.baseline_mean, args.baseline_sd) else {
        bail!("traffic given directly needs all three of --daily-units, --baseline-mean and --baseline-sd");
    };
    let mut traffic = Traffic::direct(daily, mean, sd)?;
    traffic.cuped_r2 = args.cuped_r2;
    Ok(traffic)
}

/// `plan --from FILE --date-col COL`: units and variance measured by day.
fn dated(args: &PlanArgs, file: &std::path::Path, date: &str, config: &PlanConfig) -> Result<()> {
    let Some(metric) = &args.metric else { bail!("--from needs --metric COL: the column to plan for") };
    for (flag, given) in [
        ("--daily-units", args.daily_units.is_some()),
        ("--covariate", args.covariate.is_some()),
        ("--cuped-r2", args.cuped_r2.is_some()),
    ] {
        if given {
            bail!("{flag} does not apply with --date-col: units and their variance are measured in {}", file.display());
        }
    }
    let spec =
        ColumnSpec { variant: args.variant_col.clone(), metrics: vec![metric.clone()], covariate: None, segment: None };
    let data = read_dated(file, &spec, &DatedSpec { date: date.to_string(), unit: args.unit_col.clone() })?;
    let control = match &args.control {
        Some(c) => Some(data.table.arms.iter().position(|a| a == c).ok_or_else(|| {
            anyhow::anyhow!(
                "control arm {c:?} is not in column {:?} of {} (labels found: {})",
                args.variant_col.as_deref().unwrap_or_default(),
                file.display(),
                data.table.arms.join(", ")
            )
        })? as u32),
        None => None,
    };
    let p = dated_plan(&data, control, config).with_context(|| format!("cannot plan on {}", file.display()))?;
    render(args.format, || Ok(dated_plan_table(&p)), || Ok(json::to_json(&p)? + "\n"), || Ok(dated_plan_csv(&p)?))
}

/// Runs `liftlab plan`.
pub fn run(args: PlanArgs) -> Result<()> {
    if let Some(path) = &args.plot
        && PlotFormat::from_path(path).is_none()
    {
        bail!("--plot {}: the file name must end in .png or .svg", path.display());
    }
    let config = PlanConfig {
        holdout: args.holdout,
        alpha: args.alpha,
        power: args.power,
        days: args.days.clone(),
        target_lift: Some(args.target_lift),
    };
    if args.from.is_none() && !args.direct_given() {
        if args.daily_units.is_some() {
            bail!(
                "--daily-units needs the metric's --baseline-mean and --baseline-sd (or --from FILE --metric COL); \
                 a store's traffic follows from its annual revenue and reach curve"
            );
        }
        if args.cuped_r2.is_some() {
            bail!("--cuped-r2 applies to --from or direct traffic; a store's CUPED reduction is measured on its pilot");
        }
        for (flag, given) in [("--metric", args.metric.is_some()), ("--covariate", args.covariate.is_some())] {
            if given {
                bail!("{flag} only applies with --from FILE");
            }
        }
        let profile = store(&args)?;
        let p = store_plan(&profile, &config, args.looks, args.seed)?;
        if let Some(path) = &args.plot {
            liftlab::report::plot::store_plan_plot(&p, path).context("--plot")?;
        }
        render(args.format, || Ok(store_plan_table(&p)), || Ok(json::to_json(&p)? + "\n"), || Ok(store_plan_csv(&p)?))?;
        if let Some(path) = &args.plot {
            note!("wrote {}", path.display());
        }
        return Ok(());
    }
    if let (Some(file), Some(date)) = (&args.from, &args.date_col) {
        return dated(&args, file, date, &config);
    }
    if args.store.is_some() || args.looks.is_some() {
        bail!("--store and --looks plan for a store; they do not apply with --from FILE or direct traffic");
    }
    let traffic = traffic(&args)?;
    let p = plan(&traffic, &config)?;
    if let Some(path) = &args.plot {
        liftlab::report::plot::plan_plot(&p, path).context("--plot")?;
    }
    render(args.format, || Ok(table::plan_table(&p)), || Ok(json::to_json(&p)? + "\n"), || Ok(csv::plan_csv(&p)?))?;
    if let Some(path) = &args.plot {
        note!("wrote {}", path.display());
    }
    Ok(())
}
