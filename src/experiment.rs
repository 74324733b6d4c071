//! One experiment's analysis: every metric × every non-control arm (× every
//! segment), with SRM first.

use std::collections::BTreeMap;

use ndarray::Array1;
use serde::Serialize;

use crate::error::{Error, Result, check_alpha};
use crate::io::UnitTable;
use crate::stats::skew::{SkewCheck, difference_skewness, ratio_skewness, skewness};
use crate::stats::{
    self, ArmData, BootstrapResult, CupedResult, LiftInterval, Moments, PermutationConfig, PermutationResult,
    RatioMoments, SrmResult, WelchResult,
};

// `analyze --summary`: the same analysis from sums, in its own file.
mod summary;
pub use summary::analyze_summary;

/// P-value below which a sample-ratio mismatch is flagged.
pub const SRM_ALARM_PVALUE: f64 = 0.001;

/// Variance reduction below which CUPED is not tested by permutation: the
/// adjusted and unadjusted tests then differ by less than 0.5% in SE.
pub const MIN_CUPED_REDUCTION: f64 = 0.01;

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
    /// Which test decides (default: chosen per metric by the skewness rule).
    pub method: MethodChoice,
    /// Re-randomizations of the permutation test.
    pub permutations: usize,
    /// How the relative lift's interval is built.
    pub lift_interval: LiftInterval,
}

/// The test asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodChoice {
    /// Welch where every arm meets `n ≥ 355·γ²`, the permutation test elsewhere.
    #[default]
    Auto,
    /// Welch's t-test (delta method for ratio metrics) everywhere.
    Welch,
    /// The studentized permutation test everywhere.
    Permutation,
}

/// The test that decided a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestMethod {
    /// Welch's t-test (normal theory; delta method for ratio metrics).
    Welch,
    /// Studentized permutation test ([`stats::permutation_test`]).
    Permutation,
}

/// Why a test was used.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MethodReason {
    /// The user asked for it (`--method`).
    Requested,
    /// Every arm meets Kohavi et al.'s rule `n ≥ 355·γ²`: Welch is valid.
    SkewRuleMet,
    /// An arm is below the rule: the normal approximation is not trusted.
    SkewRuleFailed {
        /// The arm furthest below the rule (its label).
        arm: String,
        /// Its skewness.
        skewness: f64,
        /// Its units.
        n: u64,
        /// Units the rule asks for.
        min_n: f64,
    },
    /// An arm is below the rule, but the input is a summary of sums with no
    /// unit rows to permute: Welch decided anyway, with a warning
    /// ([`analyze_summary`]).
    SkewRuleFailedSummary {
        /// The arm furthest below the rule (its label).
        arm: String,
        /// Its skewness.
        skewness: f64,
        /// Its units.
        n: u64,
        /// Units the rule asks for.
        min_n: f64,
    },
}

/// The decisive test of one comparison: the p-values and intervals to read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrimaryTest {
    /// Test used.
    pub method: TestMethod,
    /// Why.
    pub reason: MethodReason,
    /// Two-sided p-value.
    pub pvalue: f64,
    /// One-sided p-value against "treatment is higher".
    pub pvalue_upper: f64,
    /// One-sided p-value against "treatment is lower".
    pub pvalue_lower: f64,
    /// `1 − α` interval of the difference (metric units).
    pub effect_size_ci_lower: Option<f64>,
    /// Upper bound.
    pub effect_size_ci_upper: Option<f64>,
    /// `1 − α` interval of the relative lift (a fraction).
    pub rel_effect_size_ci_lower: Option<f64>,
    /// Upper bound.
    pub rel_effect_size_ci_upper: Option<f64>,
    /// Whether `pvalue < α`.
    pub significant: bool,
}

/// Skewness of both arms against the rule of thumb, and what design would
/// make the normal approximation valid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SkewReport {
    /// Control arm.
    pub control: SkewCheck,
    /// Treatment arm.
    pub treatment: SkewCheck,
    /// Skewness of the difference in means `γ_Δ`
    /// ([`stats::skew::difference_skewness`]); `|γ_Δ| ≤ 0.053` is the
    /// rule's two-sample reading.
    pub difference_skewness: f64,
    /// Units the test would need in total for both arms to meet the rule
    /// at the current split.
    pub units_needed_at_this_split: f64,
    /// Control share at which both arms would meet the rule with the
    /// current total, when one exists.
    pub holdout_share_needed: Option<f64>,
}

impl AnalysisConfig {
    /// A configuration with the defaults: α = 0.05, no bootstrap, seed 0,
    /// equal split, the test chosen by the skewness rule with 2,000
    /// re-randomizations, log-scale lift intervals.
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
            method: MethodChoice::Auto,
            permutations: 2000,
            lift_interval: LiftInterval::Log,
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
    /// Second-order bias-corrected relative lift `(ȳ_t/ȳ_c)(1 − v_c/ȳ_c²) − 1`.
    pub rel_effect_size_bias_corrected: Option<f64>,
    /// Delta-method SE of the relative lift.
    pub rel_effect_size_se: Option<f64>,
    /// CI lower bound of the relative lift: log scale by default
    /// (`rel_ci_method`), normal theory.
    pub rel_effect_size_ci_lower: Option<f64>,
    /// CI upper bound of the relative lift.
    pub rel_effect_size_ci_upper: Option<f64>,
    /// How the relative-lift CI was built (`log` or `delta`).
    pub rel_ci_method: Option<LiftInterval>,
    /// Two-sided p-value of the relative lift on the log scale.
    pub rel_pvalue: Option<f64>,
    /// Skewness of each arm against `n ≥ 355·γ²`.
    pub skewness: SkewReport,
    /// The decisive test: read its p-value and intervals.
    pub test: PrimaryTest,
    /// The permutation test, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permutation: Option<PermutationResult>,
    /// The decisive test of the CUPED-adjusted metric, with `--covariate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cuped_test: Option<PrimaryTest>,
    /// Holm-adjusted p-value across the segments of this metric and arm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pvalue_holm: Option<f64>,
    /// Benjamini–Hochberg-adjusted p-value across the segments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pvalue_bh: Option<f64>,
    /// Dunnett's many-to-one adjusted p-value of the Welch / delta-method
    /// test, across the treatment arms that share this control (overall
    /// results of a metric with two or more treatment arms;
    /// [`stats::dunnett`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pvalue_dunnett: Option<f64>,
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
    analyze_source(table, config)
}

/// Per-arm sufficient statistics of one metric (overall or within one
/// segment): everything the normal-theory tests and the skewness rule need.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ArmStats {
    /// Moments of `(y, d)` for a ratio metric `y/d`, of `(y, x)` with a
    /// covariate `x`, of `y` alone otherwise.
    pub moments: Moments,
    /// Skewness of `y`, or of the ratio metric's linearization `y − r·d`
    /// (`r = Σy/Σd`), as [`stats::skew::skewness`] / [`stats::skew::ratio_skewness`].
    pub skewness: f64,
    /// Moments of `(y, d, x)`, for a ratio metric with a covariate (ratio CUPED).
    pub ratio_cuped: Option<RatioMoments>,
}

impl ArmStats {
    /// The statistics of unit rows: metric `y`, denominator `d` (ratio
    /// metrics), covariate `x`.
    pub fn from_rows(y: &[f64], d: Option<&[f64]>, x: Option<&[f64]>) -> Self {
        Self {
            moments: Moments::from_slices(y, d.or(x)),
            skewness: match d {
                Some(d) => ratio_skewness(y, d),
                None => skewness(y),
            },
            ratio_cuped: d.zip(x).map(|(d, x)| RatioMoments::from_slices(y, d, x)),
        }
    }
}

/// The unit rows of one comparison (control, treatment), for the tests
/// that resample or re-randomize them.
pub(crate) struct ComparisonRows {
    y: (Vec<f64>, Vec<f64>),
    d: Option<(Vec<f64>, Vec<f64>)>,
    x: Option<(Vec<f64>, Vec<f64>)>,
}

/// What [`analyze`] reads: unit rows ([`UnitTable`]) or per-arm sufficient
/// statistics streamed from a file ([`crate::io::UnitSums`]).
pub(crate) trait AnalysisSource {
    /// The file, for the report.
    fn file(&self) -> String;
    /// Units read.
    fn n_rows(&self) -> usize;
    /// Arm labels, sorted.
    fn arms(&self) -> &[String];
    /// Units per arm.
    fn arm_counts(&self) -> Vec<u64>;
    /// Metric names.
    fn metric_names(&self) -> &[String];
    /// Whether a covariate was read.
    fn has_covariate(&self) -> bool;
    /// Segment labels, sorted, when a segment column was read.
    fn segment_labels(&self) -> Option<&[String]>;
    /// Whether metric `m` is a ratio metric.
    fn is_ratio(&self, m: usize) -> bool;
    /// Statistics of metric `m` in `arm` (within segment `seg`).
    fn arm_stats(&self, m: usize, arm: usize, seg: Option<u32>) -> ArmStats;
    /// The unit rows of arms `c` and `t`, when the source holds them.
    fn rows(&self, m: usize, c: usize, t: usize, seg: Option<u32>) -> Option<ComparisonRows>;
}

impl AnalysisSource for UnitTable {
    fn file(&self) -> String {
        self.path.display().to_string()
    }
    fn n_rows(&self) -> usize {
        UnitTable::n_rows(self)
    }
    fn arms(&self) -> &[String] {
        &self.arms
    }
    fn arm_counts(&self) -> Vec<u64> {
        UnitTable::arm_counts(self)
    }
    fn metric_names(&self) -> &[String] {
        &self.metric_names
    }
    fn has_covariate(&self) -> bool {
        self.covariate.is_some()
    }
    fn segment_labels(&self) -> Option<&[String]> {
        self.segments.as_ref().map(|s| s.0.as_slice())
    }
    fn is_ratio(&self, m: usize) -> bool {
        self.denominators.get(m).is_some_and(|d| d.is_some())
    }
    fn arm_stats(&self, m: usize, arm: usize, seg: Option<u32>) -> ArmStats {
        let (y, d, x) = self.arm_rows(m, arm, seg);
        ArmStats::from_rows(&y, d.as_deref(), x.as_deref())
    }
    fn rows(&self, m: usize, c: usize, t: usize, seg: Option<u32>) -> Option<ComparisonRows> {
        let (yc, dc, xc) = self.arm_rows(m, c, seg);
        let (yt, dt, xt) = self.arm_rows(m, t, seg);
        Some(ComparisonRows { y: (yc, yt), d: dc.zip(dt), x: xc.zip(xt) })
    }
}

impl UnitTable {
    /// Metric, denominator and covariate values of the rows of `arm` (within `seg`).
    #[allow(clippy::type_complexity)]
    fn arm_rows(&self, m: usize, arm: usize, seg: Option<u32>) -> (Vec<f64>, Option<Vec<f64>>, Option<Vec<f64>>) {
        let seg_of_row = self.segments.as_ref().map(|s| &s.1);
        let rows: Vec<usize> = (0..self.n_rows())
            .filter(|&i| {
                self.arm_of_row[i] as usize == arm && seg.is_none_or(|s| seg_of_row.is_some_and(|r| r[i] == s))
            })
            .collect();
        let pick = |v: &Array1<f64>| -> Vec<f64> { rows.iter().map(|&i| v[i]).collect() };
        let den = self.denominators.get(m).and_then(|d| d.as_ref());
        (pick(&self.metrics[m]), den.map(pick), self.covariate.as_ref().map(pick))
    }
}

impl AnalysisSource for crate::io::UnitSums {
    fn file(&self) -> String {
        self.path.display().to_string()
    }
    fn n_rows(&self) -> usize {
        self.n_rows
    }
    fn arms(&self) -> &[String] {
        &self.arms
    }
    fn arm_counts(&self) -> Vec<u64> {
        crate::io::UnitSums::arm_counts(self)
    }
    fn metric_names(&self) -> &[String] {
        &self.metric_names
    }
    fn has_covariate(&self) -> bool {
        self.has_covariate
    }
    fn segment_labels(&self) -> Option<&[String]> {
        self.segments.as_deref()
    }
    fn is_ratio(&self, m: usize) -> bool {
        self.ratio[m]
    }
    fn arm_stats(&self, m: usize, arm: usize, seg: Option<u32>) -> ArmStats {
        let (moments, skewness, ratio_cuped) = crate::io::UnitSums::arm_stats(self, m, arm, seg);
        ArmStats { moments, skewness, ratio_cuped }
    }
    fn rows(&self, _: usize, _: usize, _: usize, _: Option<u32>) -> Option<ComparisonRows> {
        None
    }
}

/// [`analyze`] of per-arm sufficient statistics streamed from a file
/// ([`crate::io::stream_units`]): the same results as [`analyze`] of the
/// rows, for the normal-theory tests.
///
/// # Errors
/// As [`analyze`]; [`Error::NeedsUnitRows`] when a comparison needs the
/// rows: a bootstrap, `--method permutation`, or an arm that fails the
/// skewness rule under `--method auto`.
pub fn analyze_sums(sums: &crate::io::UnitSums, config: &AnalysisConfig) -> Result<Analysis> {
    if config.bootstrap > 0 {
        return Err(Error::NeedsUnitRows { metric: sums.metric_names.join(", "), reason: "the bootstrap".into() });
    }
    analyze_source(sums, config)
}

/// How [`analyze_input`] read its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadMode {
    /// One pass into per-arm sufficient statistics: memory independent of the rows.
    Streamed,
    /// Every row held in memory: a bootstrap or permutation test was asked for.
    InMemory,
    /// Streamed first; the skewness rule then required the permutation
    /// test, so the file was read a second time into memory.
    StreamedThenInMemory,
}

/// Analyses a unit-level input (CSV, `.csv.gz`, Parquet or standard
/// input), streaming it when no test needs the rows.
///
/// Without a bootstrap and with `--method welch`, or `auto` when every arm
/// meets the skewness rule, one pass into per-arm sufficient statistics
/// ([`analyze_sums`]). With a bootstrap or `--method permutation`, the rows
/// are read into memory ([`analyze`]). Under `auto`, when an arm fails the
/// rule, a file is read again into memory; standard input cannot be read
/// twice, so that case is an error asking for a file or an explicit
/// `--method`.
///
/// # Errors
/// As [`crate::io::for_each_row`] and [`analyze`]; [`Error::NeedsUnitRows`]
/// for standard input when the skewness rule requires the permutation test.
pub fn analyze_input(
    input: &crate::io::Input,
    spec: &crate::io::ColumnSpec,
    config: &AnalysisConfig,
) -> Result<(Analysis, ReadMode)> {
    let in_memory = |mode| -> Result<(Analysis, ReadMode)> {
        let table = crate::io::read_input(input, spec)?;
        Ok((analyze(&table, config)?, mode))
    };
    if config.bootstrap > 0 || config.method == MethodChoice::Permutation {
        return in_memory(ReadMode::InMemory);
    }
    let sums = crate::io::stream_units(input, spec)?;
    match analyze_sums(&sums, config) {
        Err(Error::NeedsUnitRows { .. }) if input.rereadable() => in_memory(ReadMode::StreamedThenInMemory),
        Err(Error::NeedsUnitRows { metric, .. }) => Err(Error::NeedsUnitRows {
            metric,
            reason: format!(
                "an arm fails the skewness rule n >= 355*skew^2, so the permutation test decides; it needs the unit rows, \
                 and {} cannot be read twice: pass a file, or --method permutation (rows held in memory) or \
                 --method welch (streamed); the permutation test",
                input.name().display()
            ),
        }),
        other => other.map(|a| (a, ReadMode::Streamed)),
    }
}

/// [`analyze`] of any source: unit rows or streamed sufficient statistics.
///
/// # Errors
/// As [`analyze`]; [`Error::NeedsUnitRows`] when the source holds no unit
/// rows and a comparison needs them (permutation test, bootstrap).
pub(crate) fn analyze_source(table: &dyn AnalysisSource, config: &AnalysisConfig) -> Result<Analysis> {
    check_alpha(config.alpha)?;
    let control = table.arms().iter().position(|a| a == &config.control).ok_or_else(|| Error::UnknownControl {
        control: config.control.clone(),
        column: config.variant_column.clone(),
        found: table.arms().to_vec(),
    })?;
    let counts = table.arm_counts();
    if table.arms().len() < 2 {
        return Err(Error::invalid(
            "--control",
            &config.control,
            &format!(
                "a file with at least 2 arms in column {:?} (found only {:?})",
                config.variant_column,
                table.arms()
            ),
        ));
    }
    for (arm, &n) in table.arms().iter().zip(&counts) {
        if n < 2 {
            return Err(Error::EmptyArm { arm: arm.clone(), segment: None, n });
        }
    }
    let srm = srm_report(table.arms(), &counts, config)?;
    let mut warnings = Vec::new();
    if srm.mismatch {
        warnings.push(format!(
            "sample ratio mismatch: p = {} < {SRM_ALARM_PVALUE}; the arms are not split as planned, so every result below is suspect",
            crate::report::format::pvalue(srm.pvalue)
        ));
    }

    let mut results = Vec::new();
    for m in 0..table.metric_names().len() {
        for t in (0..table.arms().len()).filter(|&a| a != control) {
            let overall = compare(table, config, m, control, t, None)?;
            if overall.rel_effect_size.is_none() {
                warnings.push(format!(
                    "{}: the control mean is 0, so the relative lift is undefined",
                    table.metric_names()[m]
                ));
            }
            warnings.extend(comparison_warnings(&overall, config));
            results.push(overall);
            if let Some(labels) = table.segment_labels() {
                let first = results.len();
                for (s, label) in labels.iter().enumerate() {
                    match compare(table, config, m, control, t, Some(s as u32)) {
                        Ok(r) => {
                            warnings.extend(comparison_warnings(&r, config));
                            if table.has_covariate() && r.cuped.is_none() {
                                warnings.push(format!(
                                    "{} / {} / segment {label:?}: no CUPED: the covariate is constant in this segment",
                                    table.metric_names()[m],
                                    table.arms()[t]
                                ));
                            }
                            results.push(r)
                        }
                        // A streamed source cannot run the permutation test a
                        // segment needs: the caller re-reads the rows
                        // ([`analyze_input`]) rather than skip the segment.
                        Err(e @ Error::NeedsUnitRows { .. }) => return Err(e),
                        Err(e) => warnings.push(format!(
                            "{} / {} / segment {label:?}: skipped: {e}",
                            table.metric_names()[m],
                            table.arms()[t]
                        )),
                    }
                }
                let p: Vec<f64> = results[first..].iter().map(|r| r.test.pvalue).collect();
                let (holm, bh) = (stats::holm(&p), stats::benjamini_hochberg(&p));
                for (r, (h, b)) in results[first..].iter_mut().zip(holm.into_iter().zip(bh)) {
                    r.pvalue_holm = Some(h);
                    r.pvalue_bh = Some(b);
                }
            }
        }
        dunnett_adjust(table, m, control, &mut results);
    }
    for r in &results {
        let bad = non_finite_fields(r);
        if !bad.is_empty() {
            warnings.push(format!(
                "{} / {}{}: {} could not be computed (not a finite number) and {} null in JSON and empty in CSV",
                r.metric,
                r.variant,
                r.segment.as_ref().map(|s| format!(" / segment {s:?}")).unwrap_or_default(),
                bad.join(", "),
                if bad.len() == 1 { "is" } else { "are" }
            ));
        }
    }
    Ok(Analysis {
        file: table.file(),
        n_units: table.n_rows(),
        alpha: config.alpha,
        control: config.control.clone(),
        covariate: if table.has_covariate() { config.covariate_name.clone() } else { None },
        srm,
        results,
        warnings,
    })
}

fn srm_report(arms: &[String], counts: &[u64], config: &AnalysisConfig) -> Result<SrmReport> {
    let weights = config.expected_split.weights(arms, &config.expected_split_text)?;
    let SrmResult { chi2, df, pvalue, expected } = stats::srm(counts, &weights)?;
    let wsum: f64 = weights.iter().sum();
    let by_arm = |v: &[f64]| arms.iter().cloned().zip(v.iter().copied()).collect();
    Ok(SrmReport {
        chi2,
        df,
        pvalue,
        counts: arms.iter().cloned().zip(counts.iter().copied()).collect(),
        expected: by_arm(&expected),
        expected_share: by_arm(&weights.iter().map(|w| w / wsum).collect::<Vec<_>>()),
        mismatch: pvalue < SRM_ALARM_PVALUE,
    })
}

/// The names of the numbers of a result that are NaN or infinite (absent
/// optional values are not listed: they carry their own warning).
fn non_finite_fields(r: &MetricResult) -> Vec<&'static str> {
    let w = &r.welch;
    let mut checks: Vec<(&'static str, f64)> = vec![
        ("mean_control", w.mean_control),
        ("mean_treatment", w.mean_treatment),
        ("effect_size", w.effect_size),
        ("effect_size_se", w.effect_size_se),
        ("effect_size_ci_lower", w.effect_size_ci_lower),
        ("effect_size_ci_upper", w.effect_size_ci_upper),
        ("df", w.df),
        ("statistic", w.statistic),
        ("pvalue", w.pvalue),
        ("test.pvalue", r.test.pvalue),
        ("test.pvalue_upper", r.test.pvalue_upper),
        ("test.pvalue_lower", r.test.pvalue_lower),
        ("skewness.control", r.skewness.control.skewness),
        ("skewness.treatment", r.skewness.treatment.skewness),
    ];
    let opts: [(&'static str, Option<f64>); 6] = [
        ("rel_effect_size_se", r.rel_effect_size_se),
        ("rel_effect_size_ci_lower", r.rel_effect_size_ci_lower),
        ("rel_effect_size_ci_upper", r.rel_effect_size_ci_upper),
        ("rel_effect_size_bias_corrected", r.rel_effect_size_bias_corrected),
        ("test.effect_size_ci_lower", r.test.effect_size_ci_lower),
        ("test.effect_size_ci_upper", r.test.effect_size_ci_upper),
    ];
    checks.extend(opts.into_iter().filter_map(|(n, v)| v.map(|v| (n, v))));
    if let Some(cu) = &r.cuped {
        checks.extend([
            ("cuped.theta", cu.theta),
            ("cuped.variance_reduction", cu.variance_reduction),
            ("cuped.effect_size", cu.welch.effect_size),
            ("cuped.effect_size_se", cu.welch.effect_size_se),
            ("cuped.effect_size_ci_lower", cu.welch.effect_size_ci_lower),
            ("cuped.effect_size_ci_upper", cu.welch.effect_size_ci_upper),
            ("cuped.pvalue", cu.welch.pvalue),
            ("cuped.rel_effect_size_ci_lower", cu.relative.rel_effect_size_ci_lower),
            ("cuped.rel_effect_size_ci_upper", cu.relative.rel_effect_size_ci_upper),
            ("cuped.covariate_balance_pvalue", cu.covariate_balance_pvalue),
        ]);
    }
    if let Some(b) = &r.bootstrap {
        checks.extend([
            ("bootstrap.effect_size_ci_lower", b.effect_size_ci_lower),
            ("bootstrap.effect_size_ci_upper", b.effect_size_ci_upper),
            ("bootstrap.effect_size_se", b.effect_size_se),
        ]);
    }
    checks.into_iter().filter(|(_, v)| !v.is_finite()).map(|(n, _)| n).collect()
}

/// Warnings a reader needs about one comparison: the skewness rule, and
/// every number that could not be computed.
fn comparison_warnings(r: &MetricResult, config: &AnalysisConfig) -> Vec<String> {
    let fmt = crate::report::format::count;
    let mut out = Vec::new();
    let what = format!(
        "{} / {}{}",
        r.metric,
        r.variant,
        r.segment.as_ref().map(|s| format!(" / segment {s:?}")).unwrap_or_default()
    );
    let sk = &r.skewness;
    let below: Vec<String> = [(&r.control, &sk.control), (&r.variant, &sk.treatment)]
        .into_iter()
        .filter(|(_, check)| !check.normal_ok)
        .map(|(arm, check)| {
            format!(
                "arm {arm:?} has {} units, skewness {}, and needs n >= 355*skew^2 = {}",
                fmt(check.n as f64),
                crate::report::format::sig(check.skewness, 3),
                fmt(check.min_n)
            )
        })
        .collect();
    if !below.is_empty() {
        let design = match sk.holdout_share_needed {
            Some(h) => format!(
                "a {} control share of these units, or {} units in all at this split (a longer test)",
                crate::report::format::pct_short(h),
                fmt(sk.units_needed_at_this_split)
            ),
            None => format!("{} units in all at this split (a longer test)", fmt(sk.units_needed_at_this_split)),
        };
        let used = match (r.test.method, &r.test.reason) {
            (TestMethod::Permutation, _) => "the studentized permutation test decides instead of Welch",
            (TestMethod::Welch, MethodReason::SkewRuleFailedSummary { .. }) => {
                "WELCH DECIDES ANYWAY because the input is a summary of sums with no unit rows to permute: its p-value and CI are not reliable here; analyse the unit rows for the permutation test"
            }
            (TestMethod::Welch, _) => {
                "Welch was requested with --method welch: its p-value and CI are not reliable here"
            }
        };
        out.push(format!(
            "{what}: too skewed for a normal test ({}); {used}. A normal test would be valid with {design}",
            below.join("; ")
        ));
    }
    if r.rel_effect_size.is_some()
        && r.rel_ci_method == Some(LiftInterval::Delta)
        && config.lift_interval == LiftInterval::Log
    {
        out.push(format!("{what}: a mean is not positive, so the relative-lift CI is the symmetric delta-method one"));
    }
    if let Some(b) = &r.bootstrap
        && r.rel_effect_size.is_some()
        && b.rel_effect_size_ci_lower.is_none()
    {
        out.push(format!(
            "{what}: bootstrap lift CI is null: some resamples had a control mean of 0 (too few non-zero control units to resample a ratio)"
        ));
    }
    if r.test.method == TestMethod::Permutation {
        let need = (2.0 / config.alpha).ceil() - 1.0;
        if r.test.effect_size_ci_lower.is_none() || r.test.effect_size_ci_upper.is_none() {
            out.push(format!(
                "{what}: permutation CI of the difference is null: bounding it at alpha {} needs at least {} re-randomizations (--permutations)",
                config.alpha,
                fmt(need)
            ));
        }
        if r.rel_effect_size.is_some()
            && (r.test.rel_effect_size_ci_lower.is_none() || r.test.rel_effect_size_ci_upper.is_none())
        {
            out.push(format!(
                "{what}: permutation CI of the relative lift is null: it needs both means positive and at least {} re-randomizations",
                fmt(need)
            ));
        }
    }
    out
}

/// The p-values and intervals of the decisive test.
fn primary_test(
    w: &WelchResult,
    rel: Option<&stats::RelativeLift>,
    perm: Option<&PermutationResult>,
    reason: MethodReason,
    alpha: f64,
) -> PrimaryTest {
    match perm {
        Some(p) => PrimaryTest {
            method: TestMethod::Permutation,
            reason,
            pvalue: p.pvalue,
            pvalue_upper: p.pvalue_upper,
            pvalue_lower: p.pvalue_lower,
            effect_size_ci_lower: p.effect_size_ci_lower,
            effect_size_ci_upper: p.effect_size_ci_upper,
            rel_effect_size_ci_lower: p.rel_effect_size_ci_lower,
            rel_effect_size_ci_upper: p.rel_effect_size_ci_upper,
            significant: p.pvalue < alpha,
        },
        None => PrimaryTest {
            method: TestMethod::Welch,
            reason,
            pvalue: w.pvalue,
            pvalue_upper: stats::dist::t_sf(w.statistic, w.df),
            pvalue_lower: stats::dist::t_sf(-w.statistic, w.df),
            effect_size_ci_lower: Some(w.effect_size_ci_lower),
            effect_size_ci_upper: Some(w.effect_size_ci_upper),
            rel_effect_size_ci_lower: rel.map(|r| r.rel_effect_size_ci_lower),
            rel_effect_size_ci_upper: rel.map(|r| r.rel_effect_size_ci_upper),
            significant: w.pvalue < alpha,
        },
    }
}

/// [`skew_report`] from the arms' skewness `g` and units `n` as reals.
fn skew_report_of(g: (f64, f64), n: (f64, f64), var_l: (f64, f64)) -> SkewReport {
    skew_report(g, (n.0 as u64, n.1 as u64), var_l)
}

/// Skewness of both arms (of the linearization for a ratio metric) and the
/// design that would satisfy the rule.
fn skew_report(g: (f64, f64), n: (u64, u64), var_l: (f64, f64)) -> SkewReport {
    let (gc, gt) = g;
    let (nc, nt) = (n.0 as f64, n.1 as f64);
    let (control, treatment) = (SkewCheck::new(gc, nc as u64), SkewCheck::new(gt, nt as u64));
    let n = nc + nt;
    let factor = (control.min_n / nc).max(treatment.min_n / nt).max(1.0);
    // Control share h with h·n ≥ min_c and (1 − h)·n ≥ min_t.
    let (lo, hi) = (control.min_n / n, 1.0 - treatment.min_n / n);
    let holdout_share_needed = (lo <= hi).then(|| lo.max(nc / n).min(hi));
    SkewReport {
        control,
        treatment,
        difference_skewness: difference_skewness((gc, var_l.0, nc), (gt, var_l.1, nt)),
        units_needed_at_this_split: (n * factor).ceil(),
        holdout_share_needed,
    }
}

/// One comparison of arm `t` against arm `c` for metric `m`, optionally
/// within segment `seg`.
/// Sets `pvalue_dunnett` on the overall results of metric `m` when two or
/// more treatment arms share the control: `z_i = Δ_i/SE_i` and
/// `λ_i = √v_0/SE_i`, `v_0` the variance of the control mean (delta method
/// for a ratio metric).
fn dunnett_adjust(table: &dyn AnalysisSource, m: usize, control: usize, results: &mut [MetricResult]) {
    let metric = &table.metric_names()[m];
    let idx: Vec<usize> =
        (0..results.len()).filter(|&i| results[i].metric == *metric && results[i].segment.is_none()).collect();
    if idx.len() < 2 {
        return;
    }
    let mc = table.arm_stats(m, control, None).moments;
    let v0 = match table.is_ratio(m) {
        true => stats::ratio_estimate(&mc).map(|e| e.var_of_mean).unwrap_or(f64::NAN),
        false => mc.estimate().var_of_mean,
    };
    dunnett_apply(metric, v0, results);
}

/// The Dunnett step of [`dunnett_adjust`], given `v_0`.
fn dunnett_apply(metric: &str, v0: f64, results: &mut [MetricResult]) {
    let idx: Vec<usize> =
        (0..results.len()).filter(|&i| results[i].metric == *metric && results[i].segment.is_none()).collect();
    if idx.len() < 2 {
        return;
    }
    let z: Vec<f64> = idx.iter().map(|&i| results[i].welch.effect_size / results[i].welch.effect_size_se).collect();
    let lambda: Vec<f64> = idx.iter().map(|&i| (v0.sqrt() / results[i].welch.effect_size_se).min(1.0)).collect();
    if !(v0 >= 0.0) || lambda.iter().any(|l| !l.is_finite()) {
        return;
    }
    for (&i, p) in idx.iter().zip(stats::dunnett(&z, &lambda)) {
        results[i].pvalue_dunnett = Some(p);
    }
}

fn compare(
    table: &dyn AnalysisSource,
    config: &AnalysisConfig,
    m: usize,
    c: usize,
    t: usize,
    seg: Option<u32>,
) -> Result<MetricResult> {
    let metric = &table.metric_names()[m];
    let arms = table.arms();
    let rows = table.rows(m, c, t, seg);
    let (sc, st) = match &rows {
        Some(r) => {
            let side = |y: &[f64], d: Option<&[f64]>, x: Option<&[f64]>| ArmStats::from_rows(y, d, x);
            (
                side(&r.y.0, r.d.as_ref().map(|d| d.0.as_slice()), r.x.as_ref().map(|x| x.0.as_slice())),
                side(&r.y.1, r.d.as_ref().map(|d| d.1.as_slice()), r.x.as_ref().map(|x| x.1.as_slice())),
            )
        }
        None => (table.arm_stats(m, c, seg), table.arm_stats(m, t, seg)),
    };
    let den = table.is_ratio(m).then_some(());
    let has_cov = table.has_covariate();
    let (mc, mt) = (sc.moments, st.moments);
    let segment = seg.and_then(|s| table.segment_labels().map(|labels| labels[s as usize].clone()));
    for (arm, mom) in [(c, &mc), (t, &mt)] {
        if mom.n() < 2 {
            return Err(Error::EmptyArm { arm: arms[arm].clone(), segment: segment.clone(), n: mom.n() });
        }
    }
    let context = |e: Error| match e {
        Error::Degenerate { message, .. } => Error::Degenerate {
            metric: format!(
                "metric {metric:?}, {} vs {}{}",
                arms[t],
                arms[c],
                segment.as_ref().map(|s| format!(", segment {s:?}")).unwrap_or_default()
            ),
            message,
        },
        other => other,
    };
    let needs_rows = |what: &str| Error::NeedsUnitRows { metric: metric.clone(), reason: what.to_string() };
    let (ec, et) = match den {
        Some(_) => (stats::ratio_estimate(&mc).map_err(context)?, stats::ratio_estimate(&mt).map_err(context)?),
        None => (mc.estimate(), mt.estimate()),
    };
    let w = stats::welch(&ec, &et, config.alpha).map_err(context)?;
    if !(w.effect_size_se.is_finite() && w.mean_control.is_finite() && w.mean_treatment.is_finite()) {
        return Err(context(Error::Degenerate {
            metric: String::new(),
            message: "the variance overflows a 64-bit float (values near 1e154 or larger); rescale the metric, e.g. to thousands"
                .into(),
        }));
    }
    let rel = stats::relative_lift_with(&ec, &et, config.alpha, config.lift_interval).ok();
    let skew =
        skew_report((sc.skewness, st.skewness), (mc.n(), mt.n()), (ec.var_of_mean * ec.n, et.var_of_mean * et.n));
    let (method, reason) = match config.method {
        MethodChoice::Welch => (TestMethod::Welch, MethodReason::Requested),
        MethodChoice::Permutation => (TestMethod::Permutation, MethodReason::Requested),
        MethodChoice::Auto if skew.control.normal_ok && skew.treatment.normal_ok => {
            (TestMethod::Welch, MethodReason::SkewRuleMet)
        }
        MethodChoice::Auto => {
            let (arm, check) =
                if skew.control.min_n / skew.control.n as f64 >= skew.treatment.min_n / skew.treatment.n as f64 {
                    (c, skew.control)
                } else {
                    (t, skew.treatment)
                };
            (
                TestMethod::Permutation,
                MethodReason::SkewRuleFailed {
                    arm: arms[arm].clone(),
                    skewness: check.skewness,
                    n: check.n,
                    min_n: check.min_n,
                },
            )
        }
    };
    let perm_config = PermutationConfig::new(config.permutations, config.alpha, config.seed);
    // The permutation test of numerators `y` (the metric's denominators kept).
    let dens = rows.as_ref().and_then(|r| r.d.as_ref());
    let permute = |yc: &[f64], yt: &[f64]| -> Result<PermutationResult> {
        stats::permutation_test(
            &ArmData::with(yc, dens.map(|d| d.0.as_slice())),
            &ArmData::with(yt, dens.map(|d| d.1.as_slice())),
            &perm_config,
        )
        .map_err(context)
    };
    let permutation = match (method, &rows) {
        (TestMethod::Permutation, Some(r)) => Some(permute(&r.y.0, &r.y.1)?),
        (TestMethod::Permutation, None) => return Err(needs_rows("the permutation test")),
        (TestMethod::Welch, _) => None,
    };
    let test = primary_test(&w, rel.as_ref(), permutation.as_ref(), reason.clone(), config.alpha);
    // A covariate that is constant within a segment cannot adjust it: the
    // plain result stands and `analyze` says why CUPED is missing.
    let cuped = match has_cov {
        true => {
            let result = match (sc.ratio_cuped, st.ratio_cuped) {
                (Some(rc), Some(rt)) => stats::ratio_cuped(&rc, &rt, config.alpha, config.lift_interval),
                _ => stats::cuped_with(&mc, &mt, config.alpha, config.lift_interval),
            };
            match result {
                Ok(c) => Some(c),
                Err(Error::Degenerate { .. }) if seg.is_some() => None,
                Err(e) => return Err(context(e)),
            }
        }
        false => None,
    };
    let covs = rows.as_ref().and_then(|r| r.x.as_ref());
    let cuped_test = match (&cuped, covs) {
        // CUPED that removes almost no variance changes no decision: the
        // unadjusted test stands, and its (dense, costly) permutation is skipped.
        (Some(cu), _) if method == TestMethod::Permutation && cu.variance_reduction < MIN_CUPED_REDUCTION => None,
        (Some(_), _) if method == TestMethod::Permutation && rows.is_none() => {
            return Err(needs_rows("the permutation test"));
        }
        (Some(cu), Some((xc, xt))) => {
            let (yc, yt) = rows.as_ref().map(|r| (&r.y.0, &r.y.1)).expect("covariate rows come with metric rows");
            let perm = match method {
                TestMethod::Permutation => {
                    // Residuals on the pooled slope: a fixed transformation of
                    // every unit, so the test stays exact under the sharp null.
                    let n = (xc.len() + xt.len()) as f64;
                    let grand_x = (xc.iter().sum::<f64>() + xt.iter().sum::<f64>()) / n;
                    let dbar = match dens {
                        Some((dc, dt)) => (dc.iter().sum::<f64>() + dt.iter().sum::<f64>()) / n,
                        None => 1.0,
                    };
                    let resid = |y: &[f64], x: &[f64]| -> Vec<f64> {
                        y.iter().zip(x).map(|(y, x)| y - cu.theta * dbar * (x - grand_x)).collect()
                    };
                    Some(permute(&resid(yc, xc), &resid(yt, xt))?)
                }
                TestMethod::Welch => None,
            };
            Some(primary_test(&cu.welch, Some(&cu.relative), perm.as_ref(), reason, config.alpha))
        }
        (Some(cu), None) => Some(primary_test(&cu.welch, Some(&cu.relative), None, reason, config.alpha)),
        _ => None,
    };
    let bootstrap = if config.bootstrap > 0 {
        let r = rows.as_ref().ok_or_else(|| needs_rows("the bootstrap"))?;
        let (yc, yt) = (Array1::from_vec(r.y.0.clone()), Array1::from_vec(r.y.1.clone()));
        let boot = stats::BootstrapConfig {
            resamples: config.bootstrap,
            alpha: config.alpha,
            seed: config.seed,
            resampling: config.bootstrap_resampling,
            interval: config.bootstrap_interval,
        };
        Some(match dens {
            Some((dc, dt)) => {
                let (xc, xt) = (Array1::from_vec(dc.clone()), Array1::from_vec(dt.clone()));
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
        variant: arms[t].clone(),
        control: arms[c].clone(),
        n_control: mc.n(),
        n_treatment: mt.n(),
        welch: w,
        rel_effect_size: rel.map(|r| r.rel_effect_size),
        rel_effect_size_bias_corrected: rel.map(|r| r.rel_effect_size_bias_corrected),
        rel_effect_size_se: rel.map(|r| r.rel_effect_size_se),
        rel_effect_size_ci_lower: rel.map(|r| r.rel_effect_size_ci_lower),
        rel_effect_size_ci_upper: rel.map(|r| r.rel_effect_size_ci_upper),
        rel_ci_method: rel.map(|r| r.rel_ci_method),
        rel_pvalue: rel.and_then(|r| r.rel_pvalue),
        skewness: skew,
        test,
        permutation,
        cuped_test,
        pvalue_holm: None,
        pvalue_bh: None,
        pvalue_dunnett: None,
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
