//! Monte Carlo power on a table of real units: randomize its rows into
//! control and treatment again and again, add a known lift to the
//! treatment, and count how often the analysis sees it — the A/A test an
//! analyst runs on historical data before trusting a metric.

use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::{Method, MetricPower, Outcome, PowerConfig, outcome, summarize_outcomes, test};
use crate::error::{Error, Result, check_open_unit};
use crate::io::UnitTable;
use crate::rng::{domain, stream};
use crate::stats::Moments;

/// A Monte Carlo power report on a table of units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataPowerReport {
    /// The file the units came from.
    pub file: String,
    /// Rows (units) re-randomized.
    pub units: u64,
    /// Share of units assigned to control in each replicate.
    pub holdout: f64,
    /// Relative lift added to the treatment's metric values.
    pub lift: f64,
    /// Run settings.
    pub config: PowerConfig,
    /// One row per metric and method.
    pub metrics: Vec<MetricPower>,
}

/// One metric's values, centered for accurate sums.
struct Column {
    y: Vec<f64>,
    x: Vec<f64>,
    center: (f64, f64),
    methods: Vec<(String, Method)>,
}

impl Column {
    fn new(y: &[f64], x: Option<&[f64]>) -> Self {
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let cy = mean(y);
        let cx = x.map_or(0.0, mean);
        Self {
            y: y.iter().map(|v| v - cy).collect(),
            x: x.map_or_else(|| vec![0.0; y.len()], |x| x.iter().map(|v| v - cx).collect()),
            center: (cy, cx),
            methods: Vec::new(),
        }
    }
}

/// Control-arm sums of one column: `n, Σy, Σy², Σx, Σx², Σxy` (centered).
type Sums = [f64; 6];

fn moments(s: &Sums, center: (f64, f64)) -> Result<Moments> {
    Ok(Moments::from_sums(s[0] as u64, s[1], s[2], s[3], s[4], s[5])?.shifted(center.0, center.1))
}

/// Re-randomizes the rows of `table` `config.replicates` times and reports,
/// for every metric (Welch; delta method for `NUM/DEN` ratio metrics; CUPED
/// too when the table has a covariate), the A/A false-positive rate and the
/// power, coverage and bias for a true relative lift `lift` added to the
/// treatment's values.
///
/// # Formula
/// Replicate `r` assigns each row to control with probability `holdout`
/// (stream `(seed, REPLICATE, r)`), so arm sizes vary as in a real test.
/// The A/A test compares the two arms as they are; the A/B test multiplies
/// the treatment's metric values by `1 + lift` (numerators of ratio
/// metrics; denominators and covariates unchanged), so the true relative
/// lift is exactly `lift`. Shares and their Monte Carlo SEs as in
/// [`super::monte_carlo_power`]. Sums are accumulated on centered values;
/// arm statistics come from [`Moments::from_sums`].
///
/// # References
/// Kohavi, Tang & Xu (2020), *Trustworthy Online Controlled Experiments*,
/// ch. 19 (A/A tests on historical data).
///
/// # Errors
/// [`Error::InvalidParameter`] for fewer than 10 replicates, α or the
/// holdout outside (0, 1), or `lift ≤ −1`; [`Error::EmptyArm`] if a
/// replicate leaves an arm with fewer than 2 units; [`Error::Degenerate`]
/// if a metric has no variance in an arm.
pub fn data_power(
    table: &UnitTable,
    holdout: f64,
    lift: f64,
    config: &PowerConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<DataPowerReport> {
    check_open_unit("--alpha", config.alpha)?;
    check_open_unit("--holdout", holdout)?;
    if config.replicates < 10 {
        return Err(Error::invalid("--replicates", config.replicates, "at least 10 simulated tests"));
    }
    if !(lift > -1.0) || !lift.is_finite() {
        return Err(Error::invalid("--lift", lift, "a relative lift above -1 (e.g. 0.03)"));
    }
    let columns: Vec<Column> = (0..table.metrics.len())
        .map(|j| {
            let name = &table.metric_names[j];
            let y = table.metrics[j].as_slice().expect("contiguous");
            match (&table.denominators[j], &table.covariate) {
                (Some(d), _) => {
                    let mut c = Column::new(y, d.as_slice());
                    c.methods.push((format!("{name} (delta)"), Method::Ratio));
                    c
                }
                (None, cov) => {
                    let mut c = Column::new(y, cov.as_ref().and_then(|x| x.as_slice()));
                    c.methods.push((format!("{name} (Welch)"), Method::Mean));
                    if cov.is_some() {
                        c.methods.push((format!("{name} (CUPED)"), Method::Cuped));
                    }
                    c
                }
            }
        })
        .collect();
    let totals: Vec<Sums> = columns.iter().map(|c| sums(c, |_| 1.0)).collect();
    let threshold = (holdout * 2f64.powi(64)) as u64;
    let k = config.replicates;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let outcomes: Vec<Vec<Outcome>> = (0..k as u64)
        .into_par_iter()
        .map(|r| -> Result<Vec<Outcome>> {
            let mut rng = stream(config.seed, domain::REPLICATE, r);
            let control: Vec<f64> = (0..table.n_rows()).map(|_| (rng.next_u64() < threshold) as u8 as f64).collect();
            let mut out = Vec::new();
            for (col, total) in columns.iter().zip(&totals) {
                let sc = sums(col, |i| control[i]);
                let st: Sums = std::array::from_fn(|i| total[i] - sc[i]);
                for (arm, n) in [("control", sc[0]), ("treatment", st[0])] {
                    if n < 2.0 {
                        return Err(Error::EmptyArm { arm: arm.into(), segment: None, n: n as u64 });
                    }
                }
                let (mc, mt) = (moments(&sc, col.center)?, moments(&st, col.center)?);
                let mt_ab = mt.scaled_y(1.0 + lift);
                for &(_, method) in &col.methods {
                    let aa = test(&mc, &mt, method, config.alpha)?;
                    let ab = test(&mc, &mt_ab, method, config.alpha)?;
                    out.push(outcome(&ab, &aa, lift, lift, config.alpha));
                }
            }
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, k);
            Ok(out)
        })
        .collect::<Result<Vec<_>>>()?;
    let names = columns.iter().flat_map(|c| c.methods.iter().map(|m| m.0.clone()));
    let metrics = names
        .enumerate()
        .map(|(m, name)| {
            let col: Vec<Outcome> = outcomes.iter().map(|o| o[m]).collect();
            // The truth is `lift` in every replicate, exactly.
            MetricPower { true_lift: lift, ..summarize_outcomes(&name, &col, config.alpha) }
        })
        .collect();
    Ok(DataPowerReport {
        file: table.path.display().to_string(),
        units: table.n_rows() as u64,
        holdout,
        lift,
        config: config.clone(),
        metrics,
    })
}

/// Weighted sums of a column, weight `w(i)` per row (1 or 0).
fn sums(col: &Column, w: impl Fn(usize) -> f64) -> Sums {
    let mut s = [0.0; 6];
    for (i, (&y, &x)) in col.y.iter().zip(&col.x).enumerate() {
        let w = w(i);
        let (wy, wx) = (w * y, w * x);
        s[0] += w;
        s[1] += wy;
        s[2] += wy * y;
        s[3] += wx;
        s[4] += wx * x;
        s[5] += wx * y;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{ColumnSpec, read_units};

    fn table(dir: &tempfile::TempDir) -> UnitTable {
        let path = dir.path().join("units.csv");
        let mut text = String::from("revenue,sessions,pre\n");
        for i in 0..4000u64 {
            let sessions = 1 + i % 3;
            let revenue = if i % 9 == 0 { 20.0 + (i % 17) as f64 * 5.0 } else { 0.0 };
            text += &format!("{revenue},{sessions},{}\n", revenue * 0.5 + (i % 5) as f64);
        }
        std::fs::write(&path, text).unwrap();
        let spec = ColumnSpec {
            variant: None,
            metrics: vec!["revenue".into(), "revenue/sessions".into()],
            covariate: Some("pre".into()),
            segment: None,
        };
        read_units(&path, &spec).unwrap()
    }

    #[test]
    fn aa_rate_near_alpha_power_rises_and_threads_do_not_matter() {
        let dir = tempfile::tempdir().unwrap();
        let t = table(&dir);
        let cfg = PowerConfig { replicates: 400, alpha: 0.05, seed: 3 };
        let run = |lift, threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| data_power(&t, 0.5, lift, &cfg, &|_, _| {}).unwrap())
        };
        let (small, big) = (run(0.02, 1), run(0.30, 2));
        assert_eq!(small, run(0.02, 3));
        let names: Vec<&str> = small.metrics.iter().map(|m| m.metric.as_str()).collect();
        assert_eq!(names, ["revenue (Welch)", "revenue (CUPED)", "revenue/sessions (delta)"]);
        for (s, b) in small.metrics.iter().zip(&big.metrics) {
            // 400 A/A tests: MC SE ≈ 1.1%; allow 4 SE.
            assert!((s.aa_false_positive_rate - 0.05).abs() < 0.044, "{s:?}");
            assert!(b.power > s.power, "{b:?} vs {s:?}");
            assert!((b.coverage - 0.95).abs() < 0.044, "{b:?}");
            assert_eq!(b.true_lift, 0.30);
        }
        // CUPED with a correlated covariate has more power than Welch.
        assert!(big.metrics[1].power > big.metrics[0].power, "{:?}", big.metrics);
    }

    #[test]
    fn nonsense_settings_fail() {
        let dir = tempfile::tempdir().unwrap();
        let t = table(&dir);
        let cfg = PowerConfig { replicates: 50, alpha: 0.05, seed: 3 };
        assert!(data_power(&t, 1.0, 0.0, &cfg, &|_, _| {}).is_err());
        assert!(data_power(&t, 0.5, -1.0, &cfg, &|_, _| {}).is_err());
        assert!(data_power(&t, 0.5, f64::NAN, &cfg, &|_, _| {}).is_err());
        assert!(matches!(data_power(&t, 0.0001, 0.0, &cfg, &|_, _| {}), Err(Error::EmptyArm { .. })));
        let few = PowerConfig { replicates: 3, ..cfg };
        assert!(data_power(&t, 0.5, 0.0, &few, &|_, _| {}).is_err());
    }
}
