//! `analyze --summary`: the same analysis as [`super::analyze`], from a
//! table of sums per arm × metric (× segment) instead of unit rows.
//!
//! Every closed-form number (Welch, the delta method, CUPED, SRM, Holm, BH,
//! Dunnett, the skewness rule) is a function of the sums
//! ([`crate::io::summary`]), so the results equal the unit-level analysis up
//! to floating-point rounding (the tests hold them to 1e-9 relative).
//! Resampling needs unit rows: the bootstrap and the permutation test are
//! refused, and where the skewness rule would hand the decision to the
//! permutation test, Welch decides with a warning that says so
//! ([`MethodReason::SkewRuleFailedSummary`]).
//!
//! The loop over metrics, arms and segments mirrors [`super::analyze`]'s;
//! a change there belongs here too.

use crate::error::{Error, Result, check_alpha};
use crate::io::{SumCol, SummaryTable, Sums};
use crate::stats::skew::{ratio_skewness_from_sums, skewness_from_sums};
use crate::stats::{self, Moments, RatioMoments};

use super::{
    Analysis, AnalysisConfig, MethodChoice, MethodReason, MetricResult, SRM_ALARM_PVALUE, TestMethod,
    comparison_warnings, dunnett_apply, non_finite_fields, primary_test, skew_report_of, srm_report,
};

/// Analyses a summary table: [`super::analyze`] from sums.
///
/// # Errors
/// As [`super::analyze`], and [`Error::InvalidParameter`] when
/// `config.bootstrap > 0` or `config.method` is the permutation test (they
/// need unit rows), when the third-order sums the skewness rule needs are
/// missing, or when an arm has no row for a metric.
pub fn analyze_summary(table: &SummaryTable, config: &AnalysisConfig) -> Result<Analysis> {
    check_alpha(config.alpha)?;
    let file = table.path.display().to_string();
    if config.bootstrap > 0 {
        return Err(Error::invalid(
            "--bootstrap",
            config.bootstrap,
            "0 with --summary: the bootstrap resamples units, and a summary of sums has no unit rows (analyse the unit-level file instead)",
        ));
    }
    if config.method == MethodChoice::Permutation {
        return Err(Error::invalid(
            "--method",
            "permutation",
            "welch or auto with --summary: the permutation test re-randomizes units, and a summary of sums has no unit rows (analyse the unit-level file instead)",
        ));
    }
    // Even under --method welch: the skewness report would otherwise be wrong.
    if !table.has_skew_sums {
        return Err(Error::invalid(
            "--summary",
            &file,
            "sum_y3 on every row (and sum_d3, sum_y2d, sum_yd2 for ratio metrics): the skewness rule and report need them (liftlab sql writes them)",
        ));
    }
    let control = table.arms.iter().position(|a| a == &config.control).ok_or_else(|| Error::UnknownControl {
        control: config.control.clone(),
        column: config.variant_column.clone(),
        found: table.arms.clone(),
    })?;
    if table.arms.len() < 2 {
        return Err(Error::invalid(
            "--control",
            &config.control,
            &format!(
                "a summary with at least 2 arms in column {:?} (found only {:?})",
                config.variant_column, table.arms
            ),
        ));
    }
    for m in 0..table.metric_names.len() {
        for (a, arm) in table.arms.iter().enumerate() {
            if table.sums(a, m, None).is_none() {
                return Err(Error::invalid(
                    "--summary",
                    &file,
                    &format!("a row for arm {arm:?} and metric {:?}", table.metric_names[m]),
                ));
            }
        }
    }
    let counts = table.arm_counts();
    for (arm, &n) in table.arms.iter().zip(&counts) {
        if n < 2 {
            return Err(Error::EmptyArm { arm: arm.clone(), segment: None, n });
        }
    }
    let srm = srm_report(&table.arms, &counts, config)?;
    let mut warnings = Vec::new();
    if srm.mismatch {
        warnings.push(format!(
            "sample ratio mismatch: p = {} < {SRM_ALARM_PVALUE}; the arms are not split as planned, so every result below is suspect",
            crate::report::format::pvalue(srm.pvalue)
        ));
    }
    let mut results = Vec::new();
    for m in 0..table.metric_names.len() {
        for t in (0..table.arms.len()).filter(|&a| a != control) {
            let overall = compare_sums(table, config, m, control, t, None)?;
            if overall.rel_effect_size.is_none() {
                warnings.push(format!(
                    "{}: the control mean is 0, so the relative lift is undefined",
                    table.metric_names[m]
                ));
            }
            warnings.extend(comparison_warnings(&overall, config));
            results.push(overall);
            if let Some(labels) = &table.segments {
                let first = results.len();
                for (s, label) in labels.iter().enumerate() {
                    match compare_sums(table, config, m, control, t, Some(s)) {
                        Ok(r) => {
                            warnings.extend(comparison_warnings(&r, config));
                            if config.covariate_name.is_some() && r.cuped.is_none() {
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
                let p: Vec<f64> = results[first..].iter().map(|r| r.test.pvalue).collect();
                let (holm, bh) = (stats::holm(&p), stats::benjamini_hochberg(&p));
                for (r, (h, b)) in results[first..].iter_mut().zip(holm.into_iter().zip(bh)) {
                    r.pvalue_holm = Some(h);
                    r.pvalue_bh = Some(b);
                }
            }
        }
        let s = table.sums(control, m, None).expect("checked above");
        let mc = Moments::from_sums(s.n, s.or_zero(SumCol::Y), s.or_zero(SumCol::Y2), 0.0, 0.0, 0.0)?;
        let v0 = if table.is_ratio[m] {
            stats::ratio_estimate(&ratio_moments(&s)?).map(|e| e.var_of_mean).unwrap_or(f64::NAN)
        } else {
            mc.estimate().var_of_mean
        };
        dunnett_apply(&table.metric_names[m], v0, &mut results);
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
        file,
        n_units: counts.iter().sum::<u64>() as usize,
        alpha: config.alpha,
        control: config.control.clone(),
        covariate: config.covariate_name.clone(),
        srm,
        results,
        warnings,
    })
}

/// `y` with the denominator `d` as its second variable (a ratio metric).
fn ratio_moments(s: &Sums) -> Result<Moments> {
    Moments::from_sums(
        s.n,
        s.or_zero(SumCol::Y),
        s.or_zero(SumCol::Y2),
        s.or_zero(SumCol::D),
        s.or_zero(SumCol::D2),
        s.or_zero(SumCol::Yd),
    )
}

/// `y` with the covariate `x` (zeros without one).
fn plain_moments(s: &Sums, cuped: bool) -> Result<Moments> {
    let x = |c| if cuped { s.or_zero(c) } else { 0.0 };
    Moments::from_sums(s.n, s.or_zero(SumCol::Y), s.or_zero(SumCol::Y2), x(SumCol::X), x(SumCol::X2), x(SumCol::Xy))
}

/// Skewness of `y` (of the linearization `y − R·d` for a ratio metric).
fn skew_of(s: &Sums, ratio: bool) -> f64 {
    let g = |c| s.or_zero(c);
    if ratio {
        use SumCol::*;
        ratio_skewness_from_sums(s.n, [Y, D, Y2, Yd, D2, Y3, Y2d, Yd2, D3].map(g))
    } else {
        skewness_from_sums(s.n, g(SumCol::Y), g(SumCol::Y2), g(SumCol::Y3))
    }
}

/// One comparison of arm `t` against arm `c` for metric `m`, optionally
/// within segment `seg`: `compare` of [`super`] from sums, Welch deciding.
fn compare_sums(
    table: &SummaryTable,
    config: &AnalysisConfig,
    m: usize,
    c: usize,
    t: usize,
    seg: Option<usize>,
) -> Result<MetricResult> {
    let metric = &table.metric_names[m];
    let ratio = table.is_ratio[m];
    let cuped = config.covariate_name.is_some();
    let segment = seg.and_then(|s| table.segments.as_ref().map(|labels| labels[s].clone()));
    let get = |arm: usize| -> Result<Sums> {
        match table.sums(arm, m, seg) {
            Some(s) if s.n >= 2 => Ok(s),
            other => Err(Error::EmptyArm {
                arm: table.arms[arm].clone(),
                segment: segment.clone(),
                n: other.map_or(0, |s| s.n),
            }),
        }
    };
    let (sc, st) = (get(c)?, get(t)?);
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
    let (mc, mt) = if ratio {
        (ratio_moments(&sc)?, ratio_moments(&st)?)
    } else {
        (plain_moments(&sc, cuped)?, plain_moments(&st, cuped)?)
    };
    let (ec, et) = if ratio {
        (stats::ratio_estimate(&mc).map_err(context)?, stats::ratio_estimate(&mt).map_err(context)?)
    } else {
        (mc.estimate(), mt.estimate())
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
    let skew = skew_report_of(
        (skew_of(&sc, ratio), skew_of(&st, ratio)),
        (sc.n as f64, st.n as f64),
        (ec.var_of_mean * ec.n, et.var_of_mean * et.n),
    );
    let reason = match config.method {
        MethodChoice::Auto if skew.control.normal_ok && skew.treatment.normal_ok => MethodReason::SkewRuleMet,
        MethodChoice::Auto => {
            let (arm, check) =
                if skew.control.min_n / skew.control.n as f64 >= skew.treatment.min_n / skew.treatment.n as f64 {
                    (c, skew.control)
                } else {
                    (t, skew.treatment)
                };
            MethodReason::SkewRuleFailedSummary {
                arm: table.arms[arm].clone(),
                skewness: check.skewness,
                n: check.n,
                min_n: check.min_n,
            }
        }
        _ => MethodReason::Requested,
    };
    let test = primary_test(&w, rel.as_ref(), None, reason.clone(), config.alpha);
    debug_assert_eq!(test.method, TestMethod::Welch);
    let cuped = if cuped {
        let result = if ratio {
            let ratio_sums = |s: &Sums| {
                use SumCol::*;
                let g = |c| s.or_zero(c);
                RatioMoments::from_sums(
                    s.n,
                    [g(Y), g(D), g(X)],
                    [[g(Y2), g(Yd), g(Xy)], [g(Yd), g(D2), g(Dx)], [g(Xy), g(Dx), g(X2)]],
                )
            };
            stats::ratio_cuped(&ratio_sums(&sc)?, &ratio_sums(&st)?, config.alpha, config.lift_interval)
        } else {
            stats::cuped_with(&mc, &mt, config.alpha, config.lift_interval)
        };
        match result {
            Ok(c) => Some(c),
            Err(Error::Degenerate { .. }) if seg.is_some() => None,
            Err(e) => return Err(context(e)),
        }
    } else {
        None
    };
    let cuped_test = cuped.as_ref().map(|cu| primary_test(&cu.welch, Some(&cu.relative), None, reason, config.alpha));
    Ok(MetricResult {
        metric: metric.clone(),
        segment,
        variant: table.arms[t].clone(),
        control: table.arms[c].clone(),
        n_control: sc.n,
        n_treatment: st.n,
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
        permutation: None,
        cuped_test,
        pvalue_holm: None,
        pvalue_bh: None,
        pvalue_dunnett: None,
        cuped,
        bootstrap: None,
    })
}
