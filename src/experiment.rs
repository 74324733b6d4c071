//! One experiment's analysis: every metric × every non-control arm (× every
//! segment), with SRM first.

use std::collections::BTreeMap;

use ndarray::Array1;
use serde::Serialize;

use crate::error::{Error, Result, check_open_unit};
use crate::io::UnitTable;
use crate::stats::{self, BootstrapResult, CupedResult, Moments, SrmResult, WelchResult};

/// P-value below which a sample-ratio mismatch is flagged.
pub const SRM_ALARM_PVALUE: f64 = 0.001;

/// The planned split of units across arms, for the SRM check.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ExpectedSplit {
    /// Every arm gets the same share.
    #[default]
    Equal,
    /// Weights for the arms in sorted label order (`1:9`).
    Ordered(Vec<f64>),
    /// Weights by arm label (`"control=1,treatment=9"`).
    ByLabel(Vec<(String, f64)>),
}

impl std::str::FromStr for ExpectedSplit {
    type Err = Error;

    /// Parses `1:1:1`, `10:90`, or `control=1,treatment=9`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "--expected-split",
                s,
                "weights like 1:1:1 (arms in sorted label order) or label=weight pairs like \"control=1,treatment=9\"",
            )
        };
        let weight = |w: &str| -> Result<f64> {
            w.trim().parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0).ok_or_else(bad)
        };
        if s.contains('=') {
            s.split(',')
                .map(|pair| {
                    let (label, w) = pair.rsplit_once('=').ok_or_else(bad)?;
                    Ok((label.trim().to_string(), weight(w)?))
                })
                .collect::<Result<Vec<_>>>()
                .map(ExpectedSplit::ByLabel)
        } else {
            let parts = s.split(':').map(weight).collect::<Result<Vec<_>>>()?;
            if parts.len() < 2 {
                return Err(bad());
            }
            Ok(ExpectedSplit::Ordered(parts))
        }
    }
}

impl ExpectedSplit {
    /// Weights in the order of `arms` (sorted labels).
    ///
    /// # Errors
    /// [`Error::SplitMismatch`] if the number of weights or the labels do
    /// not match the arms found.
    pub fn weights(&self, arms: &[String], as_written: &str) -> Result<Vec<f64>> {
        let mismatch = |given| Error::SplitMismatch {
            split: as_written.to_string(),
            given,
            found: arms.len(),
            arms: arms.to_vec(),
        };
        match self {
            ExpectedSplit::Equal => Ok(vec![1.0; arms.len()]),
            ExpectedSplit::Ordered(w) if w.len() == arms.len() => Ok(w.clone()),
            ExpectedSplit::Ordered(w) => Err(mismatch(w.len())),
            ExpectedSplit::ByLabel(pairs) => {
                if pairs.len() != arms.len() {
                    return Err(mismatch(pairs.len()));
                }
                arms.iter()
                    .map(|a| pairs.iter().find(|(l, _)| l == a).map(|p| p.1).ok_or_else(|| mismatch(pairs.len())))
                    .collect()
            }
        }
    }
}

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisConfig {
    /// Label of the control (holdout) arm.
    pub control: String,
    /// Significance level α of two-sided tests and `1 − α` intervals.
    pub alpha: f64,
    /// Bootstrap resamples per comparison (0 = no bootstrap).
    pub bootstrap: usize,
    /// Seed of the bootstrap streams.
    pub seed: u64,
    /// Bootstrap resampling scheme (exact or Poisson).
    pub bootstrap_resampling: stats::Resampling,
    /// Bootstrap interval (percentile or BCa).
    pub bootstrap_interval: stats::Interval,
    /// Planned split for the SRM check.
    pub expected_split: ExpectedSplit,
    /// The split as the user wrote it, for messages.
    pub expected_split_text: String,
    /// Name of the variant column, for messages.
    pub variant_column: String,
    /// Name of the covariate, when CUPED is requested.
    pub covariate_name: Option<String>,
}

impl AnalysisConfig {
    /// A configuration with the defaults: α = 0.05, no bootstrap, seed 0,
    /// equal split.
    pub fn new(control: &str, variant_column: &str) -> Self {
        Self {
            control: control.to_string(),
            alpha: 0.05,
            bootstrap: 0,
            seed: 0,
            bootstrap_resampling: stats::Resampling::Exact,
            bootstrap_interval: stats::Interval::Percentile,
            expected_split: ExpectedSplit::Equal,
            expected_split_text: "equal".to_string(),
            variant_column: variant_column.to_string(),
            covariate_name: None,
        }
    }
}

/// The sample-ratio-mismatch check as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SrmReport {
    /// Pearson chi-square statistic.
    pub chi2: f64,
    /// Degrees of freedom (arms − 1).
    pub df: f64,
    /// P-value; below [`SRM_ALARM_PVALUE`] the split is suspect.
    pub pvalue: f64,
    /// Units per arm label.
    pub counts: BTreeMap<String, u64>,
    /// Expected units per arm label under the planned split.
    pub expected: BTreeMap<String, f64>,
    /// Planned share per arm label (fractions summing to 1).
    pub expected_share: BTreeMap<String, f64>,
    /// True when `pvalue < 0.001`.
    pub mismatch: bool,
}

/// One metric, one treatment arm against control, in one segment (or all units).
///
/// Field names follow the JSON/CSV contract; effects are `treatment − control`
/// in metric units, relative lifts are fractions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricResult {
    /// Metric (column) name.
    pub metric: String,
    /// Segment label; absent for the whole population.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Treatment arm label.
    pub variant: String,
    /// Control arm label.
    pub control: String,
    /// Units in control.
    pub n_control: u64,
    /// Units in treatment.
    pub n_treatment: u64,
    /// Welch's test of the difference in means: `mean_control`,
    /// `mean_treatment`, `effect_size` (treatment − control), its SE, CI,
    /// `df`, `statistic`, `pvalue` (flattened into the JSON object).
    #[serde(flatten)]
    pub welch: WelchResult,
    /// Relative lift `mean_treatment/mean_control − 1` (null when the control mean is 0).
    pub rel_effect_size: Option<f64>,
    /// Delta-method SE of the relative lift.
    pub rel_effect_size_se: Option<f64>,
    /// Delta-method CI lower bound of the relative lift.
    pub rel_effect_size_ci_lower: Option<f64>,
    /// Delta-method CI upper bound of the relative lift.
    pub rel_effect_size_ci_upper: Option<f64>,
    /// Holm-adjusted p-value across the segments of this metric and arm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pvalue_holm: Option<f64>,
    /// Benjamini–Hochberg-adjusted p-value across the segments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pvalue_bh: Option<f64>,
    /// CUPED-adjusted results, with `--covariate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cuped: Option<CupedResult>,
    /// Bootstrap CIs (percentile or BCa), with `--bootstrap B`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapResult>,
}

/// A whole analysis: SRM first, then one result per metric × arm (× segment).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The file analysed.
    pub file: String,
    /// Units read.
    pub n_units: usize,
    /// Significance level.
    pub alpha: f64,
    /// Control arm label.
    pub control: String,
    /// CUPED covariate, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covariate: Option<String>,
    /// Sample-ratio-mismatch check over all arms.
    pub srm: SrmReport,
    /// Results: for each metric, each treatment arm, overall then per segment.
    pub results: Vec<MetricResult>,
    /// Things the reader should know (skipped segments, undefined lifts).
    pub warnings: Vec<String>,
}

/// Analyses a unit-level table.
///
/// For every metric and every non-control arm: Welch's test of the
/// difference in means, the delta-method relative lift, and, when the table
/// has a covariate, CUPED; with `config.bootstrap > 0`, bootstrap
/// intervals. With segments, the same per segment (segments where an arm has
/// fewer than 2 units are skipped with a warning) and Holm / BH adjusted
/// p-values across segments.
///
/// # Errors
/// - [`Error::InvalidParameter`] for `alpha` outside (0, 1).
/// - [`Error::UnknownControl`] if the control label is not in the data.
/// - [`Error::EmptyArm`] if an arm has fewer than 2 units.
/// - [`Error::SplitMismatch`] if the expected split does not fit the arms.
/// - [`Error::Degenerate`] if a metric has zero variance in both arms.
pub fn analyze(table: &UnitTable, config: &AnalysisConfig) -> Result<Analysis> {
    check_open_unit("--alpha", config.alpha)?;
    let control = table.arms.iter().position(|a| a == &config.control).ok_or_else(|| Error::UnknownControl {
        control: config.control.clone(),
        column: config.variant_column.clone(),
        found: table.arms.clone(),
    })?;
    let counts = table.arm_counts();
    if table.arms.len() < 2 {
        return Err(Error::invalid(
            "--control",
            &config.control,
            &format!("a file with at least 2 arms in column {:?} (found only {:?})", config.variant_column, table.arms),
        ));
    }
    for (arm, &n) in table.arms.iter().zip(&counts) {
        if n < 2 {
            return Err(Error::EmptyArm { arm: arm.clone(), segment: None, n });
        }
    }
    let srm = srm_report(table, &counts, config)?;
    let mut warnings = Vec::new();
    if srm.mismatch {
        warnings.push(format!(
            "sample ratio mismatch: p = {} < {SRM_ALARM_PVALUE}; the arms are not split as planned, so every result below is suspect",
            crate::report::format::pvalue(srm.pvalue)
        ));
    }

    let mut results = Vec::new();
    for m in 0..table.metrics.len() {
        for t in (0..table.arms.len()).filter(|&a| a != control) {
            let overall = compare(table, config, m, control, t, None)?;
            if overall.rel_effect_size.is_none() {
                warnings.push(format!(
                    "{}: the control mean is 0, so the relative lift is undefined",
                    table.metric_names[m]
                ));
            }
            if table.denominators.get(m).is_some_and(|d| d.is_some()) && table.covariate.is_some() {
                warnings.push(format!(
                    "{}: CUPED is not applied to ratio metrics yet; the delta-method result is unadjusted",
                    table.metric_names[m]
                ));
            }
            results.push(overall);
            if let Some((labels, _)) = &table.segments {
                let first = results.len();
                for (s, label) in labels.iter().enumerate() {
                    match compare(table, config, m, control, t, Some(s as u32)) {
                        Ok(r) => {
                            let ratio = table.denominators.get(m).is_some_and(|d| d.is_some());
                            if table.covariate.is_some() && r.cuped.is_none() && !ratio {
                                warnings.push(format!(
                                    "{} / {} / segment {label:?}: no CUPED: the covariate is constant in this segment",
                                    table.metric_names[m], table.arms[t]
                                ));
                            }
                            results.push(r)
                        }
                        Err(e) => warnings.push(format!(
                            "{} / {} / segment {label:?}: skipped: {e}",
                            table.metric_names[m], table.arms[t]
                        )),
                    }
                }
                let p: Vec<f64> = results[first..].iter().map(|r| r.welch.pvalue).collect();
                let (holm, bh) = (stats::holm(&p), stats::benjamini_hochberg(&p));
                for (r, (h, b)) in results[first..].iter_mut().zip(holm.into_iter().zip(bh)) {
                    r.pvalue_holm = Some(h);
                    r.pvalue_bh = Some(b);
                }
            }
        }
    }
    Ok(Analysis {
        file: table.path.display().to_string(),
        n_units: table.n_rows(),
        alpha: config.alpha,
        control: config.control.clone(),
        covariate: table.covariate.as_ref().and(config.covariate_name.clone()),
        srm,
        results,
        warnings,
    })
}

fn srm_report(table: &UnitTable, counts: &[u64], config: &AnalysisConfig) -> Result<SrmReport> {
    let weights = config.expected_split.weights(&table.arms, &config.expected_split_text)?;
    let SrmResult { chi2, df, pvalue, expected } = stats::srm(counts, &weights)?;
    let wsum: f64 = weights.iter().sum();
    let by_arm = |v: &[f64]| table.arms.iter().cloned().zip(v.iter().copied()).collect();
    Ok(SrmReport {
        chi2,
        df,
        pvalue,
        counts: table.arms.iter().cloned().zip(counts.iter().copied()).collect(),
        expected: by_arm(&expected),
        expected_share: by_arm(&weights.iter().map(|w| w / wsum).collect::<Vec<_>>()),
        mismatch: pvalue < SRM_ALARM_PVALUE,
    })
}

/// One comparison of arm `t` against arm `c` for metric `m`, optionally
/// within segment `seg`.
fn compare(
    table: &UnitTable,
    config: &AnalysisConfig,
    m: usize,
    c: usize,
    t: usize,
    seg: Option<u32>,
) -> Result<MetricResult> {
    let metric = &table.metric_names[m];
    let y = &table.metrics[m];
    let den = table.denominators.get(m).and_then(|d| d.as_ref());
    // A ratio metric carries its denominator where a plain metric carries the covariate.
    let x = den.or(table.covariate.as_ref());
    let seg_of_row = table.segments.as_ref().map(|s| &s.1);
    let in_scope = |i: usize, arm: usize| {
        table.arm_of_row[i] as usize == arm && seg.is_none_or(|s| seg_of_row.is_some_and(|rows| rows[i] == s))
    };
    let gather = |arm: usize| -> (Moments, Vec<usize>) {
        let mut mom = Moments::new();
        let mut rows = Vec::new();
        for i in (0..table.n_rows()).filter(|&i| in_scope(i, arm)) {
            match x {
                Some(x) => mom.push_xy(y[i], x[i]),
                None => mom.push(y[i]),
            }
            // Raw rows are only needed for the bootstrap.
            if config.bootstrap > 0 {
                rows.push(i);
            }
        }
        (mom, rows)
    };
    let (mc, rows_c) = gather(c);
    let (mt, rows_t) = gather(t);
    let segment = seg.and_then(|s| table.segments.as_ref().map(|(labels, _)| labels[s as usize].clone()));
    for (arm, mom) in [(c, &mc), (t, &mt)] {
        if mom.n() < 2 {
            return Err(Error::EmptyArm { arm: table.arms[arm].clone(), segment: segment.clone(), n: mom.n() });
        }
    }
    let context = |e: Error| match e {
        Error::Degenerate { message, .. } => Error::Degenerate {
            metric: format!(
                "metric {metric:?}, {} vs {}{}",
                table.arms[t],
                table.arms[c],
                segment.as_ref().map(|s| format!(", segment {s:?}")).unwrap_or_default()
            ),
            message,
        },
        other => other,
    };
    let (ec, et) = match den {
        Some(_) => (stats::ratio_estimate(&mc).map_err(context)?, stats::ratio_estimate(&mt).map_err(context)?),
        None => (mc.estimate(), mt.estimate()),
    };
    let w = stats::welch(&ec, &et, config.alpha).map_err(context)?;
    let rel = stats::relative_lift(&ec, &et, config.alpha).ok();
    // A covariate that is constant within a segment cannot adjust it: the
    // plain result stands and `analyze` says why CUPED is missing.
    let cuped = match table.covariate.as_ref().filter(|_| den.is_none()) {
        Some(_) => match stats::cuped(&mc, &mt, config.alpha) {
            Ok(c) => Some(c),
            Err(Error::Degenerate { .. }) if seg.is_some() => None,
            Err(e) => return Err(context(e)),
        },
        None => None,
    };
    let bootstrap = if config.bootstrap > 0 {
        let pick = |v: &Array1<f64>, rows: &[usize]| Array1::from_iter(rows.iter().map(|&i| v[i]));
        let (yc, yt) = (pick(y, &rows_c), pick(y, &rows_t));
        let boot = stats::BootstrapConfig {
            resamples: config.bootstrap,
            alpha: config.alpha,
            seed: config.seed,
            resampling: config.bootstrap_resampling,
            interval: config.bootstrap_interval,
        };
        Some(match den {
            Some(d) => {
                let (xc, xt) = (pick(d, &rows_c), pick(d, &rows_t));
                stats::bootstrap_ratio_two_sample((yc.view(), xc.view()), (yt.view(), xt.view()), &boot)?
            }
            None => stats::bootstrap_two_sample(yc.view(), yt.view(), &boot)?,
        })
    } else {
        None
    };
    Ok(MetricResult {
        metric: metric.clone(),
        segment,
        variant: table.arms[t].clone(),
        control: table.arms[c].clone(),
        n_control: mc.n(),
        n_treatment: mt.n(),
        welch: w,
        rel_effect_size: rel.map(|r| r.rel_effect_size),
        rel_effect_size_se: rel.map(|r| r.rel_effect_size_se),
        rel_effect_size_ci_lower: rel.map(|r| r.rel_effect_size_ci_lower),
        rel_effect_size_ci_upper: rel.map(|r| r.rel_effect_size_ci_upper),
        pvalue_holm: None,
        pvalue_bh: None,
        cuped,
        bootstrap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_parsing() {
        assert_eq!("1:1:1".parse::<ExpectedSplit>().unwrap(), ExpectedSplit::Ordered(vec![1.0; 3]));
        assert_eq!(
            "a=1, b=9".parse::<ExpectedSplit>().unwrap(),
            ExpectedSplit::ByLabel(vec![("a".into(), 1.0), ("b".into(), 9.0)])
        );
        for bad in ["1", "1:x", "1:-1", "a=", "1:0"] {
            assert!(bad.parse::<ExpectedSplit>().is_err(), "{bad}");
        }
        let arms = vec!["a".to_string(), "b".to_string()];
        assert!(ExpectedSplit::Ordered(vec![1.0; 3]).weights(&arms, "1:1:1").is_err());
        assert!(ExpectedSplit::ByLabel(vec![("a".into(), 1.0), ("c".into(), 1.0)]).weights(&arms, "a=1,c=1").is_err());
    }
}
