//! Text reports for people.

use std::fmt::Write;

use super::format::days as fmt_days;
use super::format::{count, pct, pct_short, pct_unsigned, pvalue, sig, signed, usd, usd_short};
use crate::experiment::{Analysis, MethodReason, MetricResult, PrimaryTest, TestMethod};
use crate::plan::{Plan, TrafficSource};
use crate::stats::{Interval, LiftInterval, Resampling};

const DIGITS: usize = 6;

fn ci(lo: f64, hi: f64) -> String {
    format!("[{}, {}]", signed(lo, DIGITS), signed(hi, DIGITS))
}

fn ci_pct(lo: f64, hi: f64) -> String {
    format!("[{}, {}]", pct(lo), pct(hi))
}

fn conf(alpha: f64) -> String {
    format!("{} CI", pct_short(1.0 - alpha))
}

/// The analysis as a text report: SRM first, then one block per metric and
/// treatment arm, with a per-segment table when segments were asked for.
pub fn analysis_table(a: &Analysis) -> String {
    let mut out = String::new();
    let arms = a.srm.counts.len();
    let _ = writeln!(
        out,
        "liftlab analyze: {} ({} units, {arms} arms, control {:?}, alpha {})",
        a.file,
        count(a.n_units as f64),
        a.control,
        a.alpha
    );
    let _ = writeln!(out);
    let verdict = if a.srm.mismatch {
        "SAMPLE RATIO MISMATCH: do not trust the results below"
    } else if a.srm.pvalue < 0.01 {
        "no alarm (p >= 0.001), but p < 0.01: worth checking the assignment"
    } else {
        "OK"
    };
    let _ = writeln!(
        out,
        "SRM check: chi2 = {}, df = {}, p = {}: {verdict}",
        sig(a.srm.chi2, 4),
        a.srm.df,
        pvalue(a.srm.pvalue)
    );
    let width = a.srm.counts.keys().map(|k| k.len()).max().unwrap_or(0);
    for (arm, n) in &a.srm.counts {
        let _ = writeln!(
            out,
            "  {arm:<width$}  {:>10}  expected {:>10}  ({} planned)",
            count(*n as f64),
            count(a.srm.expected[arm]),
            pct_short(a.srm.expected_share[arm])
        );
    }
    if a.srm.mismatch {
        let _ = writeln!(
            out,
            "  !! p < 0.001: the arms are not split as planned. Find the cause (assignment, logging, bot filtering) before reading any effect."
        );
    }
    let mut i = 0;
    while i < a.results.len() {
        let overall = &a.results[i];
        let mut j = i + 1;
        while j < a.results.len() && a.results[j].segment.is_some() {
            j += 1;
        }
        let _ = writeln!(out);
        metric_block(&mut out, overall, a);
        if j > i + 1 {
            segment_table(&mut out, &a.results[i + 1..j], a.alpha);
        }
        i = j;
    }
    for w in &a.warnings {
        let _ = writeln!(out, "\nwarning: {w}");
    }
    out
}

fn metric_block(out: &mut String, r: &MetricResult, a: &Analysis) {
    let c = conf(a.alpha);
    let _ = writeln!(out, "{}: {} vs {} (control)", r.metric, r.variant, r.control);
    let _ = writeln!(out, "  {:<22}{:>14}{:>14}", "", "control", "treatment");
    let _ = writeln!(out, "  {:<22}{:>14}{:>14}", "units", count(r.n_control as f64), count(r.n_treatment as f64));
    let _ = writeln!(
        out,
        "  {:<22}{:>14}{:>14}",
        "mean",
        sig(r.welch.mean_control, DIGITS),
        sig(r.welch.mean_treatment, DIGITS)
    );
    let sk = &r.skewness;
    let _ = writeln!(
        out,
        "  {:<22}{:>14}{:>14}  (a normal test needs n >= 355*skew^2: {} / {})",
        "skewness",
        sig(sk.control.skewness, 4),
        sig(sk.treatment.skewness, 4),
        count(sk.control.min_n),
        count(sk.treatment.min_n)
    );
    test_lines(out, r, &r.test, "", r.rel_effect_size, a.alpha);
    if r.test.method != TestMethod::Welch {
        let _ = writeln!(
            out,
            "  {:<22}{:>14}  {c} {}  p = {}",
            "Welch (for reference)",
            signed(r.welch.effect_size, DIGITS),
            ci(r.welch.effect_size_ci_lower, r.welch.effect_size_ci_upper),
            pvalue(r.welch.pvalue)
        );
    }
    match (r.rel_effect_size, r.rel_effect_size_ci_lower, r.rel_effect_size_ci_upper) {
        (Some(_), Some(lo), Some(hi)) if r.test.method != TestMethod::Welch => {
            let how = match r.rel_ci_method {
                Some(LiftInterval::Log) => "log scale",
                _ => "delta method",
            };
            let p = r.rel_pvalue.map(|p| format!("  p = {}", pvalue(p))).unwrap_or_default();
            let _ = writeln!(out, "  {:<22}{:>14}  {c} {}{p}  ({how}, normal theory)", "", "", ci_pct(lo, hi));
        }
        (None, _, _) => {
            let _ = writeln!(out, "  {:<22}{:>14}", "relative lift", "undefined (control mean is 0)");
        }
        _ => {}
    }
    if let Some(cu) = &r.cuped {
        let name = a.covariate.as_deref().unwrap_or("covariate");
        match &r.cuped_test {
            Some(ct) => test_lines(out, r, ct, "CUPED ", Some(cu.relative.rel_effect_size), a.alpha),
            None => {
                let _ = writeln!(
                    out,
                    "  {:<22}{:>14}  {c} {}  p = {}  (Welch: it removes under {} of the variance, so the test above decides)",
                    "CUPED difference",
                    signed(cu.welch.effect_size, DIGITS),
                    ci(cu.welch.effect_size_ci_lower, cu.welch.effect_size_ci_upper),
                    pvalue(cu.welch.pvalue),
                    pct_short(crate::experiment::MIN_CUPED_REDUCTION)
                );
            }
        }
        let balance = if cu.covariate_balance_pvalue < 0.001 { "  !! covariate differs between arms" } else { "" };
        let _ = writeln!(
            out,
            "  {:<22}theta = {} (control {}, treatment {}), correlation = {}, variance reduction = {}, covariate balance p = {}{balance}",
            format!("CUPED on {name}:"),
            sig(cu.theta, 4),
            sig(cu.theta_control, 4),
            sig(cu.theta_treatment, 4),
            sig(cu.correlation, 4),
            pct_unsigned(cu.variance_reduction),
            pvalue(cu.covariate_balance_pvalue)
        );
    }
    if let Some(b) = &r.bootstrap {
        let _ = writeln!(
            out,
            "  {:<22}{:>14}  {c} {}  ({}, B = {}{})",
            "bootstrap difference",
            "",
            ci(b.effect_size_ci_lower, b.effect_size_ci_upper),
            match b.interval {
                Interval::Percentile => "percentile",
                Interval::Bca => "BCa",
            },
            count(b.resamples as f64),
            match b.resampling {
                Resampling::Exact => "",
                Resampling::Poisson => ", Poisson",
            }
        );
        if let (Some(lo), Some(hi)) = (b.rel_effect_size_ci_lower, b.rel_effect_size_ci_upper) {
            let _ = writeln!(out, "  {:<22}{:>14}  {c} {}", "bootstrap lift", "", ci_pct(lo, hi));
        }
    }
}

/// The decisive test's lines: difference with its CI and p-value, then the
/// relative lift with its CI.
fn test_lines(out: &mut String, r: &MetricResult, t: &PrimaryTest, prefix: &str, lift: Option<f64>, alpha: f64) {
    let c = conf(alpha);
    let (name, how) = match t.method {
        TestMethod::Welch => ("Welch", String::new()),
        TestMethod::Permutation => {
            let b = r.permutation.map_or(0, |p| p.resamples);
            // The smallest one-sided p-value B re-randomizations can give.
            let floor = 1.0 / (b as f64 + 1.0);
            let at_floor = if t.pvalue_upper.min(t.pvalue_lower) <= floor * (1.0 + 1e-9) {
                "; p is the smallest B allows: raise --permutations for more digits"
            } else {
                ""
            };
            ("permutation", format!("  (studentized, B = {}{at_floor})", count(b as f64)))
        }
    };
    let bound = |b: Option<f64>| b.map(|v| signed(v, DIGITS)).unwrap_or_else(|| "none".into());
    let effect = if prefix.is_empty() {
        r.welch.effect_size
    } else {
        r.cuped.map(|cu| cu.welch.effect_size).unwrap_or(f64::NAN)
    };
    let _ = writeln!(
        out,
        "  {:<22}{:>14}  {c} [{}, {}]  p = {} (up {}, down {}){how}",
        format!("{prefix}difference"),
        signed(effect, DIGITS),
        bound(t.effect_size_ci_lower),
        bound(t.effect_size_ci_upper),
        pvalue(t.pvalue),
        pvalue(t.pvalue_upper),
        pvalue(t.pvalue_lower)
    );
    if let Some(l) = lift {
        let ci = match (t.rel_effect_size_ci_lower, t.rel_effect_size_ci_upper) {
            (Some(lo), Some(hi)) => ci_pct(lo, hi),
            _ => "none".into(),
        };
        let scale = match (t.method, r.rel_ci_method) {
            (TestMethod::Permutation, _) => "  (permutation, multiplicative effect)",
            (TestMethod::Welch, Some(LiftInterval::Log)) => "  (log scale)",
            _ => "  (delta method)",
        };
        let bc = if prefix.is_empty() {
            r.rel_effect_size_bias_corrected.map(|b| format!(", bias-corrected {}", pct(b))).unwrap_or_default()
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {:<22}{:>14}  {c} {ci}{scale}{bc}", format!("{prefix}relative lift"), pct(l));
    }
    if prefix.is_empty() {
        let why = match &t.reason {
            MethodReason::Requested => "as requested with --method".to_string(),
            MethodReason::SkewRuleMet => {
                "every arm meets n >= 355*skew^2, so the normal approximation holds".to_string()
            }
            MethodReason::SkewRuleFailed { arm, n, min_n, .. } => format!(
                "arm {arm:?} has {} units, below the {} that 355*skew^2 asks for a normal test",
                count(*n as f64),
                count(*min_n)
            ),
            MethodReason::SkewRuleFailedSummary { arm, n, min_n, .. } => format!(
                "WARNING: arm {arm:?} has {} units, below the {} that 355*skew^2 asks for a normal test, and a summary has no unit rows for the permutation test: Welch is NOT reliable here",
                count(*n as f64),
                count(*min_n)
            ),
        };
        let verdict = if t.significant { "significant" } else { "not significant" };
        let _ = writeln!(out, "  {:<22}{name}: {why}; {verdict} at alpha {alpha}", "test used");
        if let Some(p) = r.pvalue_dunnett {
            let _ = writeln!(
                out,
                "  {:<22}p = {} (Welch / delta, many-to-one across the treatment arms sharing this control)",
                "Dunnett-adjusted",
                pvalue(p)
            );
        }
    }
}

fn segment_table(out: &mut String, rows: &[MetricResult], alpha: f64) {
    let w = rows.iter().filter_map(|r| r.segment.as_ref().map(|s| s.len())).max().unwrap_or(7).max(7);
    let _ = writeln!(
        out,
        "  by segment (the decisive test's CI and p; p adjusted across segments: Holm for FWER, Benjamini-Hochberg for FDR):"
    );
    let _ = writeln!(
        out,
        "    {:<w$} {:>9} {:>9} {:>12} {:>12} {:>12}  {:<28} {:>10} {:>10} {:>10}  test",
        "segment",
        "n_c",
        "n_t",
        "mean_c",
        "mean_t",
        "difference",
        conf(alpha),
        "p",
        "p_holm",
        "p_bh"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "    {:<w$} {:>9} {:>9} {:>12} {:>12} {:>12}  {:<28} {:>10} {:>10} {:>10}  {}",
            r.segment.as_deref().unwrap_or(""),
            count(r.n_control as f64),
            count(r.n_treatment as f64),
            sig(r.welch.mean_control, 5),
            sig(r.welch.mean_treatment, 5),
            signed(r.welch.effect_size, 5),
            format!(
                "[{}, {}]",
                r.test.effect_size_ci_lower.map(|v| signed(v, 4)).unwrap_or_else(|| "none".into()),
                r.test.effect_size_ci_upper.map(|v| signed(v, 4)).unwrap_or_else(|| "none".into())
            ),
            pvalue(r.test.pvalue),
            r.pvalue_holm.map(pvalue).unwrap_or_default(),
            r.pvalue_bh.map(pvalue).unwrap_or_default(),
            match r.test.method {
                TestMethod::Welch => "Welch",
                TestMethod::Permutation => "permutation",
            }
        );
    }
}

/// The plan as a text report: inputs, one row per duration, the verdict.
pub fn plan_table(p: &Plan) -> String {
    let mut out = String::new();
    let t = &p.traffic;
    let cfg = &p.config;
    let _ = writeln!(out, "liftlab plan: analytic power and minimum detectable effect (MDE) for a holdout test");
    match &t.source {
        TrafficSource::Economics(s) => {
            let _ = writeln!(
                out,
                "store:   {}/year, AOV {} (CV {}), conversion {} -> {} sessions/day",
                usd(s.annual_revenue_usd).trim_end_matches(".00"),
                usd(s.aov_usd),
                sig(s.aov_cv, 3),
                pct_short(s.conversion_rate),
                count(t.daily_units)
            );
            let _ =
                writeln!(out, "metric:  revenue per session (zero-inflated), mean {}, sd {}", usd(t.mean), usd(t.sd));
        }
        TrafficSource::Direct => {
            let _ = writeln!(out, "traffic: {} units/day", count(t.daily_units));
            let _ = writeln!(out, "metric:  mean {}, sd {} per unit", sig(t.mean, DIGITS), sig(t.sd, DIGITS));
        }
        TrafficSource::Data { file, metric, rows, n, covariate } => {
            let _ = writeln!(out, "traffic: {} units/day", count(t.daily_units));
            let _ = writeln!(
                out,
                "metric:  {metric:?} calibrated on {file} ({rows}, {} units): mean {}, sd {}",
                count(*n as f64),
                sig(t.mean, DIGITS),
                sig(t.sd, DIGITS)
            );
            if let (Some(c), Some(r2)) = (covariate, t.cuped_r2) {
                let _ = writeln!(out, "CUPED:   covariate {c:?} explains {} of the variance (rho^2)", pct_unsigned(r2));
            }
        }
    }
    if let (Some(r2), false) = (t.cuped_r2, matches!(t.source, TrafficSource::Data { covariate: Some(_), .. })) {
        let _ = writeln!(out, "CUPED:   expected variance reduction {}", pct_unsigned(r2));
    }
    let _ = writeln!(
        out,
        "design:  {} holdout (control), alpha {} two-sided, power {}{}",
        pct_short(cfg.holdout),
        cfg.alpha,
        pct_short(cfg.power),
        cfg.target_lift.map(|l| format!(", target lift {}", pct_short(l))).unwrap_or_default()
    );
    let _ = writeln!(out);
    let cuped = t.cuped_r2.is_some();
    let target = cfg.target_lift.map(|l| format!("power at {}", pct_short(l)));
    let mut header = format!("{:>6} {:>12} {:>12} {:>12} {:>9}", "days", "control", "treatment", "MDE", "rel MDE");
    if cuped {
        let _ = write!(header, " {:>12} {:>13}", "MDE (CUPED)", "rel (CUPED)");
    }
    if let Some(t) = &target {
        let _ = write!(header, " {t:>14}");
    }
    let _ = writeln!(out, "{header}");
    for r in &p.rows {
        let mut line = format!(
            "{:>6} {:>12} {:>12} {:>12} {:>9}",
            fmt_days(r.days),
            count(r.n_control),
            count(r.n_treatment),
            sig(r.mde, 4),
            pct_unsigned(r.rel_mde)
        );
        if cuped {
            let _ = write!(
                line,
                " {:>12} {:>13}",
                r.mde_cuped.map(|m| sig(m, 4)).unwrap_or_default(),
                r.rel_mde_cuped.map(pct_unsigned).unwrap_or_default()
            );
        }
        if target.is_some() {
            let _ = write!(line, " {:>14}", r.power_at_target.map(pct_unsigned).unwrap_or_default());
        }
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "verdict: {}", p.verdict);
    let _ = writeln!(
        out,
        "(units are assumed new each day; repeat visitors make unique units grow more slowly, so read days as a lower bound)"
    );
    out
}

/// The summary of a simulated test: both arms, the ground truth, and what a
/// vendor dashboard would report.
pub fn simulation_table(s: &crate::sim::SimSummary) -> String {
    let mut out = String::new();
    let p = &s.store;
    let _ = writeln!(
        out,
        "liftlab simulate: store {} ({}/year, {} sessions/day), {} days, {} holdout, seed {}",
        p.name,
        usd(p.annual_revenue_usd).trim_end_matches(".00"),
        count(p.sessions_per_day()),
        s.config.days,
        pct_short(s.config.holdout),
        s.config.seed
    );
    let _ = writeln!(
        out,
        "true effect set: conversion {}, AOV {}, cannibalization {}, platform fee {}/month",
        pct(p.treatment.conversion_lift),
        pct(p.treatment.aov_lift),
        pct_short(p.treatment.cannibalization),
        usd(p.platform_fee_usd_per_month).trim_end_matches(".00")
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "  {:<28}{:>14}{:>14}", "", "control", "treatment");
    let (c, t) = (&s.control, &s.treatment);
    let rows: [(&str, String, String); 10] = [
        ("visitors", count(c.visitors as f64), count(t.visitors as f64)),
        ("sessions", count(c.sessions as f64), count(t.sessions as f64)),
        ("orders", count(c.orders as f64), count(t.orders as f64)),
        ("conversion rate", pct_unsigned(c.conversion_rate), pct_unsigned(t.conversion_rate)),
        ("AOV", usd(c.aov), usd(t.aov)),
        ("UPT", sig(c.upt, 3), sig(t.upt, 3)),
        ("revenue per visitor", usd(c.revenue_per_visitor), usd(t.revenue_per_visitor)),
        ("revenue per session", usd(c.revenue_per_session), usd(t.revenue_per_session)),
        ("margin per session", usd(c.margin_per_session), usd(t.margin_per_session)),
        ("recommendation CTR", pct_unsigned(c.ctr), pct_unsigned(t.ctr)),
    ];
    for (name, a, b) in rows {
        let _ = writeln!(out, "  {name:<28}{a:>14}{b:>14}");
    }
    let _ = writeln!(out, "  SRM p = {} (planned {} holdout)", pvalue(s.srm_pvalue), pct_short(s.config.holdout));
    let tr = &s.truth;
    let _ = writeln!(out);
    let _ = writeln!(out, "ground truth (treated visitors vs the same visitors untreated, same random draws):");
    let _ = writeln!(out, "  {:<36}{:>10}", "conversion lift", pct(tr.conversion_lift));
    let _ = writeln!(out, "  {:<36}{:>10}", "AOV lift", pct(tr.aov_lift));
    let _ = writeln!(out, "  {:<36}{:>10}", "revenue per visitor lift", pct(tr.revenue_per_visitor_lift));
    let _ = writeln!(out, "  {:<36}{:>10}", "margin per session lift", pct(tr.margin_per_session_lift));
    let _ = writeln!(
        out,
        "  incremental: {} orders, {} revenue, {} contribution margin after {} platform fee",
        count(tr.incremental_orders as f64),
        usd(tr.incremental_revenue_usd),
        usd(tr.incremental_margin_usd),
        usd(tr.platform_fee_usd)
    );
    let v = &s.vendor;
    let _ = writeln!(out);
    let _ = writeln!(out, "what a vendor dashboard would report (treatment arm):");
    let _ = writeln!(
        out,
        "  {:<36}{:>10}  ({} of treatment revenue, {} orders)",
        "attributed (\"influenced\") revenue",
        usd(v.attributed_revenue_usd),
        pct_unsigned(v.attributed_share),
        count(v.influenced_orders as f64)
    );
    let _ = writeln!(out, "  {:<36}{:>10}", "influenced AOV lift", pct(v.influenced_aov_lift));
    let _ = writeln!(
        out,
        "  {:<36}{:>10}  vs true revenue lift {}",
        "implied revenue lift",
        pct(v.implied_revenue_lift),
        pct(tr.revenue_per_visitor_lift)
    );
    let _ = writeln!(
        out,
        "  {:<36}{:>10}  (would have happened anyway)",
        "cannibalization of influenced orders",
        pct_short(v.cannibalization)
    );
    let _ = writeln!(out, "  {:<36}{:>10}", "recommendation CTR lift", pct(v.ctr_lift));
    out
}

/// A multi-arm simulation as text: per-arm figures, each treated arm's true
/// effect on its own visitors, and what a vendor dashboard would report.
pub fn multi_arm_table(s: &crate::sim::MultiArmSummary) -> String {
    let mut out = String::new();
    let p = &s.store;
    let spec = s.arms.iter().map(|a| format!("{}={}", a.name, a.share)).collect::<Vec<_>>().join(",");
    let _ = writeln!(
        out,
        "liftlab simulate: store {} ({}/year, {} sessions/day, {} orders/month), {} days, arms {}, seed {}",
        p.name,
        usd(p.annual_revenue_usd).trim_end_matches(".00"),
        count(p.sessions_per_day()),
        count(p.orders_per_month()),
        s.config.days,
        spec,
        s.config.seed
    );
    let _ = writeln!(
        out,
        "model's learning factor at this store: {} of its advantage over rules (+{} revenue per visitor at saturation)",
        pct_unsigned(s.model_learning),
        pct_short(p.policies.model.rpv_gap)
    );
    let _ = writeln!(out);
    let row = |out: &mut String, name: &str, cells: Vec<String>| {
        let _ = write!(out, "  {name:<36}");
        for c in cells {
            let _ = write!(out, "{c:>14}");
        }
        let _ = writeln!(out);
    };
    row(&mut out, "", s.arms.iter().map(|a| a.name.clone()).collect());
    let all = |f: &dyn Fn(&crate::sim::store::ArmSummary) -> String| s.arms.iter().map(|a| f(&a.summary)).collect();
    row(&mut out, "visitors", all(&|a| count(a.visitors as f64)));
    row(&mut out, "sessions", all(&|a| count(a.sessions as f64)));
    row(&mut out, "orders", all(&|a| count(a.orders as f64)));
    row(&mut out, "conversion rate", all(&|a| pct_unsigned(a.conversion_rate)));
    row(&mut out, "AOV", all(&|a| usd(a.aov)));
    row(&mut out, "revenue per visitor", all(&|a| usd(a.revenue_per_visitor)));
    row(&mut out, "margin per session", all(&|a| usd(a.margin_per_session)));
    row(&mut out, "recommendation CTR", all(&|a| pct_unsigned(a.ctr)));
    row(&mut out, "fee per month", s.arms.iter().map(|a| usd(a.fee_usd_per_month)).collect());
    let _ = writeln!(out, "  SRM p = {} (planned shares {spec})", pvalue(s.srm_pvalue));
    let treated: Vec<&crate::sim::ArmReport> = s.arms.iter().filter(|a| a.truth.is_some()).collect();
    let cells = |f: &dyn Fn(&crate::sim::store::TrueEffect) -> String| {
        treated.iter().map(|a| a.truth.as_ref().map(f).unwrap_or_default()).collect::<Vec<_>>()
    };
    let _ = writeln!(out);
    let _ = writeln!(out, "ground truth (each arm's visitors vs the same visitors with no module, same random draws):");
    row(&mut out, "", treated.iter().map(|a| a.name.clone()).collect());
    row(&mut out, "conversion lift", cells(&|t| pct(t.conversion_lift)));
    row(&mut out, "AOV lift", cells(&|t| pct(t.aov_lift)));
    row(&mut out, "revenue per visitor lift", cells(&|t| pct(t.revenue_per_visitor_lift)));
    row(&mut out, "margin per session lift (after fee)", cells(&|t| pct(t.margin_per_session_lift)));
    row(&mut out, "incremental revenue", cells(&|t| usd(t.incremental_revenue_usd)));
    row(&mut out, "incremental margin after fee", cells(&|t| usd(t.incremental_margin_usd)));
    row(&mut out, "fee charged", cells(&|t| usd(t.platform_fee_usd)));
    let vcells = |f: &dyn Fn(&crate::sim::store::VendorDashboard) -> String| {
        treated.iter().map(|a| a.vendor.as_ref().map(f).unwrap_or_default()).collect::<Vec<_>>()
    };
    let _ = writeln!(out);
    let _ = writeln!(out, "what a vendor dashboard would report, per arm:");
    row(&mut out, "", treated.iter().map(|a| a.name.clone()).collect());
    row(&mut out, "attributed (\"influenced\") revenue", vcells(&|v| usd(v.attributed_revenue_usd)));
    row(&mut out, "share of the arm's revenue", vcells(&|v| pct_unsigned(v.attributed_share)));
    row(&mut out, "influenced AOV lift", vcells(&|v| pct(v.influenced_aov_lift)));
    row(&mut out, "implied revenue lift", vcells(&|v| pct(v.implied_revenue_lift)));
    row(&mut out, "recommendation CTR lift", vcells(&|v| pct(v.ctr_lift)));
    out
}

/// A Monte Carlo power report as text: one row per metric, each share with
/// its Monte Carlo standard error.
pub fn power_table(p: &crate::montecarlo::PowerReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "liftlab power: store {} ({}/year), {} days, {} holdout, true conversion lift {}, {} simulated tests + {} A/A, alpha {}",
        p.store,
        usd(p.annual_revenue_usd).trim_end_matches(".00"),
        p.sim.days,
        pct_short(p.sim.holdout),
        pct(p.lift),
        count(p.config.replicates as f64),
        count(p.config.replicates as f64),
        p.config.alpha
    );
    power_rows(&mut out, &p.metrics);
    default_test_lines(&mut out, &p.default_tests, "simulated arms of test 1's A/A twin");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "liftlab plan --store for the same store (margin per session, visitors randomized, reach curve): power {}",
        pct_unsigned(p.plan_power)
    );
    if let Some(m) = &p.mde {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "simulated MDE of {} at {} power: conversion lift {} (true lift {}), simulated power {} ± {}; \
             normal approximation: {}",
            m.metric,
            pct_short(m.target_power),
            pct(m.lift),
            pct(m.true_lift),
            pct_unsigned(m.power),
            pct_unsigned(m.power_se),
            pct(m.analytic_mde)
        );
        let steps: Vec<String> =
            m.evaluations.iter().map(|(l, p)| format!("{} -> {}", pct_short(*l), pct_unsigned(*p))).collect();
        let _ = writeln!(out, "bisection (common random numbers; lift -> power): {}", steps.join(", "));
    }
    out
}

/// A Monte Carlo power report on a table of units as text.
pub fn data_power_table(p: &crate::montecarlo::DataPowerReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "liftlab power: {} ({} units re-randomized), {} holdout, true lift {} added to the treatment, {} tests + {} A/A, alpha {}",
        p.file,
        count(p.units as f64),
        pct_short(p.holdout),
        pct(p.lift),
        count(p.config.replicates as f64),
        count(p.config.replicates as f64),
        p.config.alpha
    );
    power_rows(&mut out, &p.metrics);
    default_test_lines(&mut out, &p.default_tests, "whole column's skewness, expected arm sizes");
    out
}

/// Which test `analyze` would use by default for each metric, and why.
fn default_test_lines(out: &mut String, tests: &[crate::montecarlo::DefaultTest], basis: &str) {
    use crate::experiment::TestMethod;
    if tests.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "analyze's default test (Welch if every arm has n >= 355*skew^2; {basis}):");
    for d in tests {
        let method = match d.method {
            TestMethod::Welch => "Welch / delta",
            TestMethod::Permutation => "permutation",
        };
        let arm = |n: f64, min_n: f64, g: f64| {
            format!("{} units {} {} (skew {})", count(n), if n >= min_n { ">=" } else { "<" }, count(min_n), sig(g, 3))
        };
        let _ = writeln!(
            out,
            "  {:<24} {:<14} control {}; treatment {}",
            d.metric,
            method,
            arm(d.n_control, d.min_n_control, d.skewness_control),
            arm(d.n_treatment, d.min_n_treatment, d.skewness_treatment)
        );
    }
}

fn power_rows(out: &mut String, metrics: &[crate::montecarlo::MetricPower]) {
    let _ = writeln!(out);
    let pm = |x: f64, se: f64| format!("{} ± {}", pct_unsigned(x), pct_unsigned(se));
    let _ = writeln!(
        out,
        "{:<34} {:>10} {:>16} {:>9} {:>16} {:>16} {:>16} {:>20}",
        "metric (method)",
        "true lift",
        "power (sim)",
        "analytic",
        "A/A false pos.",
        "A/A up / down",
        "CI coverage",
        "bias (rel. lift)"
    );
    for m in metrics {
        let _ = writeln!(
            out,
            "{:<34} {:>10} {:>16} {:>9} {:>16} {:>16} {:>16} {:>20}",
            m.metric,
            pct(m.true_lift),
            pm(m.power, m.power_se),
            pct_unsigned(m.analytic_power),
            pm(m.aa_false_positive_rate, m.aa_false_positive_rate_se),
            format!(
                "{} / {}",
                pct_unsigned(m.aa_false_positive_rate_upper),
                pct_unsigned(m.aa_false_positive_rate_lower)
            ),
            pm(m.coverage, m.coverage_se),
            format!("{} ± {}", pct(m.bias), pct_unsigned(m.bias_se))
        );
    }
    for m in metrics.iter().filter(|m| m.degenerate > 0) {
        let _ = writeln!(
            out,
            "  {}: {} degenerate replicate(s) left out of its rates (no analysis possible, e.g. no control buyer)",
            m.metric, m.degenerate
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "power: share of tests significant in the right direction; analytic: normal approximation with the standard \
         error the A/A tests measured; A/A false positives should be within about 2 MC SE of alpha; A/A up / down: \
         significant A/A tests with treatment above / below control, each should be near alpha/2 (MC SEs in the \
         JSON and CSV); coverage: share of relative-lift CIs containing the realized true lift \
         (± is the Monte Carlo standard error)."
    );
    if metrics.iter().any(|m| m.metric.contains("(permutation)")) {
        let _ = writeln!(
            out,
            "A (permutation) row's p-values, tails and CIs are the studentized permutation test's; its estimate, \
             bias and analytic power are those of the Welch / delta estimate (on a simulated store the same \
             replicates as its Welch / delta row, with --from its own re-randomizations)."
        );
    }
}

/// The frontier as text: MDE tables per metric and holdout, the simulated
/// checks, the power curve, a verdict per store size and the summary.
pub fn frontier_table(f: &crate::frontier::Frontier) -> String {
    use crate::frontier::FrontierRow;
    let mut out = String::new();
    let cfg = &f.config;
    let pilot = &f.pilot;
    let _ = writeln!(
        out,
        "liftlab frontier: the smallest lift a holdout test can detect, by store size (profile {})",
        f.store
    );
    let (margin, revenue) = (
        pilot.moments(crate::plan::pilot::PlanMetric::MarginPerSession, 30.0),
        pilot.moments(crate::plan::pilot::PlanMetric::RevenuePerVisitor, 30.0),
    );
    let _ = writeln!(
        out,
        "per visitor at 30 days (A/A pilot of {} simulated visitors): margin per session {} (CUPED rho^2 {}), revenue per visitor {} (CUPED rho^2 {})",
        count(pilot.looks.last().map(|l| l.visitors as f64).unwrap_or(0.0)),
        usd(margin.mean),
        pct_unsigned(margin.cuped_r2),
        usd(revenue.mean),
        pct_unsigned(revenue.cuped_r2)
    );
    let _ = writeln!(
        out,
        "visitors are randomized and come back: unique visitors grow sublinearly with days (NBD reach curve)"
    );
    let _ = writeln!(
        out,
        "design: alpha {} two-sided, power {}; cells: relative MDE (with CUPED); * = at or below the {} target",
        cfg.alpha,
        pct_short(cfg.power),
        pct_short(cfg.target_lift)
    );
    type Cells = fn(&FrontierRow) -> (f64, f64);
    let metrics: [(&str, Cells); 2] = [
        ("contribution margin per session", |r| (r.margin_per_session_rel_mde, r.margin_per_session_rel_mde_cuped)),
        ("revenue per visitor", |r| (r.revenue_per_visitor_rel_mde, r.revenue_per_visitor_rel_mde_cuped)),
    ];
    for &h in &cfg.holdouts {
        for (name, get) in metrics {
            let _ = writeln!(out);
            let _ = writeln!(out, "{name}, {} holdout", pct_short(h));
            let mut header = format!("{:<16}{:>15}", "annual revenue", "visitors (30d)");
            for d in &cfg.days {
                let _ = write!(header, "{:>20}", format!("{d} days"));
            }
            let _ = writeln!(out, "{header}");
            for &revenue in &cfg.revenues {
                let rows: Vec<&FrontierRow> =
                    f.rows.iter().filter(|r| r.annual_revenue_usd == revenue && r.holdout == h).collect();
                let visitors = pilot.visitors(revenue, 30.0);
                let mut line = format!("{:<16}{:>15}", usd_short(revenue), count(visitors.round()));
                for r in rows {
                    let (plain, cuped) = get(r);
                    let mark = if cuped <= cfg.target_lift { "*" } else { " " };
                    let _ = write!(line, "{:>20}", format!("{} ({}){mark}", pct_short(plain), pct_short(cuped)));
                }
                let _ = writeln!(out, "{line}");
            }
        }
    }
    if !f.checks.is_empty() {
        let c0 = &f.checks[0];
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "simulated checks: {} tests + {} A/A per store, {} days, {} holdout, true conversion lift = the analytic MDE of revenue per visitor",
            count(cfg.check_replicates as f64),
            count(cfg.check_replicates as f64),
            c0.days,
            pct_short(c0.holdout)
        );
        let _ = writeln!(
            out,
            "{:<9}{:<30}{:>10}{:>10}{:>18}{:>18}",
            "store", "metric (method)", "true lift", "analytic", "simulated power", "A/A false pos."
        );
        for c in &f.checks {
            let _ = writeln!(
                out,
                "{:<9}{:<30}{:>10}{:>10}{:>18}{:>18}{}",
                usd_short(c.annual_revenue_usd),
                c.metric,
                pct(c.true_lift),
                pct_unsigned(c.analytic_power),
                format!("{} ± {}", pct_unsigned(c.simulated_power), pct_unsigned(c.simulated_power_se)),
                format!("{} ± {}", pct_unsigned(c.aa_false_positive_rate), pct_unsigned(c.aa_false_positive_rate_se)),
                if c.disagrees { "  DISAGREES" } else { "" }
            );
        }
        for c in f.checks.iter().filter(|c| c.degenerate > 0) {
            let _ = writeln!(
                out,
                "  {} {}: {} degenerate replicate(s) left out of its rates (no analysis possible, e.g. no control buyer)",
                usd_short(c.annual_revenue_usd),
                c.metric,
                c.degenerate
            );
        }
        if f.checks.iter().any(|c| c.disagrees) {
            let _ = writeln!(
                out,
                "DISAGREES: simulated power more than 3 MC SE from the normal approximation, or the A/A rate more than \
                 3 MC SE above alpha. Where buyers are few, zero-inflated heavy-tailed revenue makes the estimate's \
                 sampling distribution skewed, so normal-theory tests and MDEs are off: trust the simulation there."
            );
        } else {
            let _ = writeln!(out, "all checks agree with the normal approximation within 3 Monte Carlo SE");
        }
    }
    if !f.power_curve.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "power curve: {}/year store, {} days, {} holdout (analytic / simulated ± MC SE)",
            usd_short(f.annual_revenue_usd),
            f.check_days,
            pct_short(cfg.holdouts[0])
        );
        for p in &f.power_curve {
            let _ = writeln!(
                out,
                "  conversion lift {:>9}  {:<30} true lift {:>9}  {:>7} / {} ± {}",
                pct(p.lift),
                p.metric,
                pct(if p.true_lift.abs() < 1e-9 { 0.0 } else { p.true_lift }),
                pct_unsigned(p.analytic_power),
                pct_unsigned(p.simulated_power),
                pct_unsigned(p.simulated_power_se)
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "verdicts (contribution margin per session, {} holdout, CUPED where it helps):",
        pct_short(cfg.holdouts[0])
    );
    for v in &f.verdicts {
        let _ = writeln!(out, "  {}", v.verdict);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "verdict: {}", f.summary);
    out
}
