//! CSV output: one row per result, nested objects flattened with a prefix
//! (`cuped_theta`, `bootstrap_effect_size_ci_lower`).

use crate::experiment::{Analysis, MetricResult};
use crate::plan::Plan;

/// Columns of the analysis CSV, in order.
pub const ANALYSIS_COLUMNS: &[&str] = &[
    "metric",
    "segment",
    "variant",
    "control",
    "n_control",
    "n_treatment",
    "mean_control",
    "mean_treatment",
    "effect_size",
    "effect_size_se",
    "effect_size_ci_lower",
    "effect_size_ci_upper",
    "df",
    "statistic",
    "pvalue",
    "rel_effect_size",
    "rel_effect_size_se",
    "rel_effect_size_ci_lower",
    "rel_effect_size_ci_upper",
    "rel_effect_size_bias_corrected",
    "rel_ci_method",
    "rel_pvalue",
    "skewness_control",
    "skewness_treatment",
    "skew_min_n_control",
    "skew_min_n_treatment",
    "test_method",
    "test_pvalue",
    "test_pvalue_upper",
    "test_pvalue_lower",
    "test_effect_size_ci_lower",
    "test_effect_size_ci_upper",
    "test_rel_effect_size_ci_lower",
    "test_rel_effect_size_ci_upper",
    "pvalue_holm",
    "pvalue_bh",
    "pvalue_dunnett",
    "cuped_theta",
    "cuped_theta_control",
    "cuped_theta_treatment",
    "cuped_variance_reduction",
    "cuped_correlation",
    "cuped_covariate_balance_pvalue",
    "cuped_mean_control",
    "cuped_mean_treatment",
    "cuped_effect_size",
    "cuped_effect_size_se",
    "cuped_effect_size_ci_lower",
    "cuped_effect_size_ci_upper",
    "cuped_pvalue",
    "cuped_rel_effect_size",
    "cuped_rel_effect_size_ci_lower",
    "cuped_rel_effect_size_ci_upper",
    "cuped_test_method",
    "cuped_test_pvalue",
    "cuped_test_rel_effect_size_ci_lower",
    "cuped_test_rel_effect_size_ci_upper",
    "bootstrap_resamples",
    "bootstrap_effect_size_ci_lower",
    "bootstrap_effect_size_ci_upper",
    "bootstrap_rel_effect_size_ci_lower",
    "bootstrap_rel_effect_size_ci_upper",
    "srm_pvalue",
];

/// A finite number as written, an empty cell otherwise.
pub(crate) fn num(x: f64) -> String {
    if x.is_finite() { format!("{x}") } else { String::new() }
}

/// A count of units (visitors, sessions) as a whole number: expected counts
/// such as `daily × days × share` are rounded, as the tables show them.
pub(crate) fn int(x: f64) -> String {
    if x.is_finite() && x.abs() < 9.0e15 { format!("{}", x.round() as i64) } else { num(x) }
}

/// [`num`] of a present value, an empty cell for `None`.
pub(crate) fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

/// An enum's JSON name (`"welch"`, `"log"`), for a CSV cell.
fn method_name(m: &impl serde::Serialize) -> String {
    serde_json::to_value(m).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn analysis_row(r: &MetricResult, srm_pvalue: f64) -> Vec<String> {
    let mut row = vec![
        r.metric.clone(),
        r.segment.clone().unwrap_or_default(),
        r.variant.clone(),
        r.control.clone(),
        r.n_control.to_string(),
        r.n_treatment.to_string(),
        num(r.welch.mean_control),
        num(r.welch.mean_treatment),
        num(r.welch.effect_size),
        num(r.welch.effect_size_se),
        num(r.welch.effect_size_ci_lower),
        num(r.welch.effect_size_ci_upper),
        num(r.welch.df),
        num(r.welch.statistic),
        num(r.welch.pvalue),
        opt(r.rel_effect_size),
        opt(r.rel_effect_size_se),
        opt(r.rel_effect_size_ci_lower),
        opt(r.rel_effect_size_ci_upper),
        opt(r.rel_effect_size_bias_corrected),
        r.rel_ci_method.map(|m| method_name(&m)).unwrap_or_default(),
        opt(r.rel_pvalue),
        num(r.skewness.control.skewness),
        num(r.skewness.treatment.skewness),
        num(r.skewness.control.min_n),
        num(r.skewness.treatment.min_n),
        method_name(&r.test.method),
        num(r.test.pvalue),
        num(r.test.pvalue_upper),
        num(r.test.pvalue_lower),
        opt(r.test.effect_size_ci_lower),
        opt(r.test.effect_size_ci_upper),
        opt(r.test.rel_effect_size_ci_lower),
        opt(r.test.rel_effect_size_ci_upper),
        opt(r.pvalue_holm),
        opt(r.pvalue_bh),
        opt(r.pvalue_dunnett),
    ];
    match &r.cuped {
        Some(c) => row.extend([
            num(c.theta),
            num(c.theta_control),
            num(c.theta_treatment),
            num(c.variance_reduction),
            num(c.correlation),
            num(c.covariate_balance_pvalue),
            num(c.welch.mean_control),
            num(c.welch.mean_treatment),
            num(c.welch.effect_size),
            num(c.welch.effect_size_se),
            num(c.welch.effect_size_ci_lower),
            num(c.welch.effect_size_ci_upper),
            num(c.welch.pvalue),
            num(c.relative.rel_effect_size),
            num(c.relative.rel_effect_size_ci_lower),
            num(c.relative.rel_effect_size_ci_upper),
        ]),
        None => row.extend(std::iter::repeat_n(String::new(), 16)),
    }
    match &r.cuped_test {
        Some(t) => row.extend([
            method_name(&t.method),
            num(t.pvalue),
            opt(t.rel_effect_size_ci_lower),
            opt(t.rel_effect_size_ci_upper),
        ]),
        None => row.extend(std::iter::repeat_n(String::new(), 4)),
    }
    match &r.bootstrap {
        Some(b) => row.extend([
            b.resamples.to_string(),
            num(b.effect_size_ci_lower),
            num(b.effect_size_ci_upper),
            opt(b.rel_effect_size_ci_lower),
            opt(b.rel_effect_size_ci_upper),
        ]),
        None => row.extend(std::iter::repeat_n(String::new(), 5)),
    }
    row.push(num(srm_pvalue));
    row
}

/// `header` and `rows` as CSV text.
pub(crate) fn write_rows(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> csv::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(&row)?;
    }
    let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8"))
}

/// The analysis as CSV text: [`ANALYSIS_COLUMNS`], one row per result.
/// Missing values (no CUPED, undefined lift) are empty cells.
///
/// # Errors
/// Only if the CSV writer fails, which an in-memory buffer rules out.
pub fn analysis_csv(a: &Analysis) -> csv::Result<String> {
    write_rows(ANALYSIS_COLUMNS, a.results.iter().map(|r| analysis_row(r, a.srm.pvalue)))
}

/// Columns of the plan CSV, in order.
pub const PLAN_COLUMNS: &[&str] =
    &["days", "n_control", "n_treatment", "mde", "rel_mde", "mde_cuped", "rel_mde_cuped", "power_at_target"];

/// The plan's rows as CSV text ([`PLAN_COLUMNS`]).
///
/// # Errors
/// Only if the CSV writer fails.
pub fn plan_csv(p: &Plan) -> csv::Result<String> {
    write_rows(PLAN_COLUMNS, p.rows.iter().map(plan_row))
}

/// One plan row's cells, in [`PLAN_COLUMNS`] order.
pub(crate) fn plan_row(r: &crate::plan::PlanRow) -> Vec<String> {
    vec![
        num(r.days),
        int(r.n_control),
        int(r.n_treatment),
        num(r.mde),
        num(r.rel_mde),
        opt(r.mde_cuped),
        opt(r.rel_mde_cuped),
        opt(r.power_at_target),
    ]
}

/// Columns of the Monte Carlo power CSV, in order.
pub const POWER_COLUMNS: &[&str] = &[
    "metric",
    "true_lift",
    "power",
    "power_se",
    "analytic_power",
    "aa_false_positive_rate",
    "aa_false_positive_rate_se",
    "aa_false_positive_rate_upper",
    "aa_false_positive_rate_upper_se",
    "aa_false_positive_rate_lower",
    "aa_false_positive_rate_lower_se",
    "coverage",
    "coverage_se",
    "bias",
    "bias_se",
    "aa_se",
    "degenerate",
];

/// The metric rows of a Monte Carlo power report as CSV text ([`POWER_COLUMNS`]).
///
/// # Errors
/// Only if the CSV writer fails.
pub fn power_csv(metrics: &[crate::montecarlo::MetricPower]) -> csv::Result<String> {
    write_rows(
        POWER_COLUMNS,
        metrics.iter().map(|m| {
            vec![
                m.metric.clone(),
                num(m.true_lift),
                num(m.power),
                num(m.power_se),
                num(m.analytic_power),
                num(m.aa_false_positive_rate),
                num(m.aa_false_positive_rate_se),
                num(m.aa_false_positive_rate_upper),
                num(m.aa_false_positive_rate_upper_se),
                num(m.aa_false_positive_rate_lower),
                num(m.aa_false_positive_rate_lower_se),
                num(m.coverage),
                num(m.coverage_se),
                num(m.bias),
                num(m.bias_se),
                num(m.aa_se),
                m.degenerate.to_string(),
            ]
        }),
    )
}

/// Columns `power --mde` adds to [`POWER_COLUMNS`], filled on the row of
/// the metric searched and empty on the others.
pub const MDE_COLUMNS: &[&str] =
    &["mde_target_power", "mde_lift", "mde_true_lift", "mde_power", "mde_power_se", "mde_analytic", "mde_evaluations"];

/// [`power_csv`] with the simulated MDE's columns ([`MDE_COLUMNS`]); the
/// evaluations are `lift:power` pairs separated by `;`.
///
/// # Errors
/// Only if the CSV writer fails.
pub fn power_mde_csv(
    metrics: &[crate::montecarlo::MetricPower],
    mde: &crate::montecarlo::SimulatedMde,
) -> csv::Result<String> {
    let header: Vec<&str> = POWER_COLUMNS.iter().chain(MDE_COLUMNS).copied().collect();
    let plain = power_csv(metrics)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut reader = csv::Reader::from_reader(plain.as_bytes());
    for (record, m) in reader.records().zip(metrics) {
        let mut row: Vec<String> = record?.iter().map(str::to_string).collect();
        if m.metric == mde.metric {
            let evaluations: Vec<String> = mde.evaluations.iter().map(|(l, p)| format!("{l}:{p}")).collect();
            row.extend([
                num(mde.target_power),
                num(mde.lift),
                num(mde.true_lift),
                num(mde.power),
                num(mde.power_se),
                num(mde.analytic_mde),
                evaluations.join(";"),
            ]);
        } else {
            row.extend(std::iter::repeat_n(String::new(), MDE_COLUMNS.len()));
        }
        rows.push(row);
    }
    write_rows(&header, rows.into_iter())
}

/// Columns of the frontier CSV, in order: one row per revenue, duration
/// and holdout.
pub const FRONTIER_COLUMNS: &[&str] = &[
    "annual_revenue_usd",
    "days",
    "holdout",
    "visitors",
    "margin_per_session_rel_mde",
    "margin_per_session_rel_mde_cuped",
    "revenue_per_visitor_rel_mde",
    "revenue_per_visitor_rel_mde_cuped",
];

/// The frontier's rows as CSV text ([`FRONTIER_COLUMNS`]).
///
/// # Errors
/// Only if the CSV writer fails.
pub fn frontier_csv(f: &crate::frontier::Frontier) -> csv::Result<String> {
    write_rows(
        FRONTIER_COLUMNS,
        f.rows.iter().map(|r| {
            vec![
                num(r.annual_revenue_usd),
                r.days.to_string(),
                num(r.holdout),
                int(r.visitors),
                num(r.margin_per_session_rel_mde),
                num(r.margin_per_session_rel_mde_cuped),
                num(r.revenue_per_visitor_rel_mde),
                num(r.revenue_per_visitor_rel_mde_cuped),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_have_as_many_cells_as_the_header() {
        let r = MetricResult {
            metric: "m".into(),
            segment: None,
            variant: "t".into(),
            control: "c".into(),
            n_control: 2,
            n_treatment: 2,
            welch: crate::stats::WelchResult {
                mean_control: 1.0,
                mean_treatment: 2.0,
                effect_size: 1.0,
                effect_size_se: 0.5,
                effect_size_ci_lower: 0.0,
                effect_size_ci_upper: 2.0,
                df: 2.0,
                statistic: 2.0,
                pvalue: 0.2,
            },
            rel_effect_size: None,
            rel_effect_size_bias_corrected: None,
            rel_effect_size_se: None,
            rel_effect_size_ci_lower: None,
            rel_effect_size_ci_upper: None,
            rel_ci_method: None,
            rel_pvalue: None,
            skewness: crate::experiment::SkewReport {
                control: crate::stats::skew::SkewCheck::new(1.0, 2),
                treatment: crate::stats::skew::SkewCheck::new(1.0, 2),
                difference_skewness: 0.0,
                units_needed_at_this_split: 710.0,
                holdout_share_needed: None,
            },
            test: crate::experiment::PrimaryTest {
                method: crate::experiment::TestMethod::Welch,
                reason: crate::experiment::MethodReason::Requested,
                pvalue: 0.2,
                pvalue_upper: 0.1,
                pvalue_lower: 0.9,
                effect_size_ci_lower: Some(0.0),
                effect_size_ci_upper: Some(2.0),
                rel_effect_size_ci_lower: None,
                rel_effect_size_ci_upper: None,
                significant: false,
            },
            permutation: None,
            cuped_test: None,
            pvalue_holm: None,
            pvalue_bh: None,
            pvalue_dunnett: None,
            cuped: None,
            bootstrap: None,
        };
        assert_eq!(analysis_row(&r, 0.5).len(), ANALYSIS_COLUMNS.len());
    }
}

/// Any JSON document liftlab prints, as a two-column CSV (`field,value`):
/// one row per scalar, in the JSON's order, named by its dotted path
/// (`truth.conversion_lift`, `arms.1.name`); `null` is an empty cell. The
/// CSV of a nested summary (`simulate`) carries every field of its JSON.
///
/// # Errors
/// If `json` is not a JSON document (an internal error: liftlab wrote it).
pub fn fields_csv(json: &str) -> csv::Result<String> {
    let mut rows = Vec::new();
    let mut p = JsonWalk { s: json.as_bytes(), i: 0 };
    p.value(String::new(), &mut rows)
        .map_err(|e| csv::Error::from(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    write_rows(&["field", "value"], rows.into_iter().map(|(k, v)| vec![k, v]))
}

/// An order-keeping walk over JSON text (serde_json's `Value` sorts keys).
struct JsonWalk<'a> {
    s: &'a [u8],
    i: usize,
}

impl JsonWalk<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at byte {}", c as char, self.i))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.ws();
        let start = self.i;
        self.eat(b'"')?;
        while self.i < self.s.len() && self.s[self.i] != b'"' {
            self.i += if self.s[self.i] == b'\\' { 2 } else { 1 };
        }
        self.eat(b'"')?;
        serde_json::from_slice(&self.s[start..self.i]).map_err(|e| e.to_string())
    }

    fn value(&mut self, path: String, out: &mut Vec<(String, String)>) -> Result<(), String> {
        let key = |path: &str, k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    let k = self.string()?;
                    self.eat(b':')?;
                    self.value(key(&path, &k), out)?;
                    self.ws();
                    if self.s.get(self.i) == Some(&b',') {
                        self.i += 1;
                    } else {
                        return self.eat(b'}');
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(());
                }
                for n in 0.. {
                    self.value(key(&path, &n.to_string()), out)?;
                    self.ws();
                    if self.s.get(self.i) == Some(&b',') {
                        self.i += 1;
                    } else {
                        break;
                    }
                }
                self.eat(b']')
            }
            Some(b'"') => {
                let v = self.string()?;
                out.push((path, v));
                Ok(())
            }
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len() && !matches!(self.s[self.i], b',' | b'}' | b']') {
                    self.i += 1;
                }
                let v = std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?.trim();
                out.push((path, if v == "null" { String::new() } else { v.to_string() }));
                Ok(())
            }
            None => Err("unexpected end of JSON".into()),
        }
    }
}

#[cfg(test)]
mod fields_tests {
    use super::fields_csv;

    #[test]
    fn fields_keep_the_json_order_and_paths() {
        let csv = fields_csv(r#"{"b": 1, "a": {"z": "x,y", "m": [true, null]}, "e": [], "q": "say \"hi\""}"#).unwrap();
        assert_eq!(csv, "field,value\nb,1\na.z,\"x,y\"\na.m.0,true\na.m.1,\nq,\"say \"\"hi\"\"\"\n");
        assert!(fields_csv("{\"a\": ").is_err());
    }
}
