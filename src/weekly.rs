//! Weekly reads of a holdout: what a reader who peeks every week sees, next
//! to an always-valid confidence sequence that may be read at every look.
//!
//! A holdout read every week with a fixed-horizon test is a sequential test
//! with a much larger false-positive rate than its nominal `α`: with 12
//! weekly looks at `α = 0.05`, an A/A test "wins" or "loses" at some look
//! about one time in five (Armitage, McPherson & Rowe 1969). This module
//! replays a dated file look by look and reports, for every metric and every
//! treatment arm against control, both reads:
//!
//! - **naive**: Welch's test (the delta method for a ratio metric) on the
//!   units seen so far, exactly what `analyze` reports on those units;
//! - **always-valid**: the asymptotic confidence sequence of Waudby-Smith et
//!   al. (2021), as GrowthBook computes it
//!   (`gbstats.frequentist.tests.sequential_interval_halfwidth`), and the
//!   p-value read from it, which never rises from look to look.
//!
//! # Formula
//! Looks fall on days `d_0 + L − 1, d_0 + 2L − 1, …` (`d_0` the first date,
//! `L` = `look_every`) and always on the last date. At look `k`, with `n_k`
//! units in the two arms together, effect `Δ_k = ȳ_t − ȳ_c`, Welch standard
//! error `se_k` and `ρ` = [`confidence_sequence_rho`]`(n*, α)`:
//! ```text
//! naive CI       Δ_k ± t_{1−α/2}(df_k)·se_k           naive p: Welch
//! always-valid   Δ_k ± w_k,  w_k = confidence_sequence_half_width(se_k, n_k, α, ρ)
//! sequential p   p̃_k = min_{j ≤ k} p_j,  p_j = confidence_sequence_pvalue(Δ_j, se_j, n_j, ρ)
//! relative CS    (Δ_k ± w_k) / ȳ_c,k                   (approximate, see below)
//! ```
//! `n*` defaults to the units of the two arms at the final look: the
//! sequence is then tightest where the test ends. The relative-lift
//! sequence divides the absolute one by the control mean at that look and
//! ignores that mean's own sampling error, so it is approximate (slightly
//! too narrow when the control arm is small); the absolute sequence and the
//! p-value are the ones with the guarantee.
//!
//! # Units and events
//! Without a unit column each row is a unit: it enters at its date with its
//! values as given. With one, rows are events of units: a unit enters at its
//! first event, and at each look its metric is the sum of its events up to
//! that look (for a ratio metric `NUM/DEN`, numerator and denominator are
//! summed separately and the delta method is applied across units).
//!
//! # References
//! - Waudby-Smith, I., Arbour, D., Sinha, R., Kennedy, E. H. & Ramdas, A.
//!   (2021). "Time-uniform central limit theory and asymptotic confidence
//!   sequences". arXiv:2103.06476, eq. (9) and (161).
//! - GrowthBook `gbstats` (`packages/stats/gbstats/frequentist/tests.py`):
//!   `sequential_interval_halfwidth`, `sequential_rho`.
//! - Armitage, P., McPherson, C. K. & Rowe, B. C. (1969). "Repeated
//!   significance tests on accumulating data". *JRSS A* 132, 235–244.
//! - Johari, R., Koomen, P., Pekelis, L. & Walsh, D. (2017). "Peeking at A/B
//!   tests". KDD.
//!
//! [`confidence_sequence_rho`]: crate::stats::sequential::confidence_sequence_rho

use serde::Serialize;

use crate::error::{Error, Result, check_alpha, check_positive};
use crate::io::dated::{DateFormat, DatedTable, format_date};
use crate::stats::sequential::{confidence_sequence_half_width, confidence_sequence_pvalue, confidence_sequence_rho};
use crate::stats::{self, ArmEstimate, LiftInterval, Moments, RelativeLift, WelchResult};

/// Settings of a weekly read.
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyConfig {
    /// Label of the control (holdout) arm.
    pub control: String,
    /// Name of the arm column (for error messages).
    pub variant_column: String,
    /// Significance level of both reads; the confidence sequence covers the
    /// effect at all looks at once with probability `1 − α`.
    pub alpha: f64,
    /// Days between looks (`--look-every`, at least 1).
    pub look_every: u32,
    /// Units at which the confidence sequence is tightest (`--cs-n-star`);
    /// `None`: the units of the two arms at the final look.
    pub cs_n_star: Option<f64>,
    /// Relative-lift interval of the naive read.
    pub lift_interval: LiftInterval,
}

impl WeeklyConfig {
    /// Defaults: `α = 0.05`, a look every 7 days, `n*` from the final look,
    /// log-scale lift interval.
    pub fn new(control: &str, variant_column: &str) -> Self {
        Self {
            control: control.to_string(),
            variant_column: variant_column.to_string(),
            alpha: 0.05,
            look_every: 7,
            cs_n_star: None,
            lift_interval: LiftInterval::Log,
        }
    }
}

/// Direction of a significant effect: `win` if treatment is above control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Treatment mean above control (`effect_size > 0`).
    Win,
    /// Treatment mean below control.
    Loss,
}

impl Direction {
    fn of(effect: f64) -> Self {
        if effect > 0.0 { Direction::Win } else { Direction::Loss }
    }

    /// `"win"` or `"loss"`.
    pub fn label(self) -> &'static str {
        match self {
            Direction::Win => "win",
            Direction::Loss => "loss",
        }
    }
}

/// One look at one metric, one treatment arm against control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyRow {
    /// Metric name as asked for (`revenue`, `margin/sessions`).
    pub metric: String,
    /// Control arm label.
    pub control: String,
    /// Treatment arm label.
    pub treatment: String,
    /// Look number, from 1 (skipped looks keep their numbers).
    pub look: usize,
    /// Date of the look, written as the file writes dates.
    pub look_date: String,
    /// Days from the first date to the look, both included (7 at the first
    /// weekly look).
    pub days_elapsed: i64,
    /// Control units seen by this look.
    pub n_control: u64,
    /// Treatment units seen by this look.
    pub n_treatment: u64,
    /// Control mean (ratio for a ratio metric).
    pub mean_control: f64,
    /// Treatment mean.
    pub mean_treatment: f64,
    /// `mean_treatment − mean_control`, in metric units.
    pub effect_size: f64,
    /// Welch (delta-method) standard error of the effect.
    pub effect_size_se: f64,
    /// Relative lift `ȳ_t/ȳ_c − 1` (a fraction); null if the control mean is 0.
    pub rel_effect_size: Option<f64>,
    /// Naive (fixed-horizon) Welch CI, lower bound.
    pub effect_size_ci_lower: f64,
    /// Naive (fixed-horizon) Welch CI, upper bound.
    pub effect_size_ci_upper: f64,
    /// Naive relative-lift CI, lower bound.
    pub rel_effect_size_ci_lower: Option<f64>,
    /// Naive relative-lift CI, upper bound.
    pub rel_effect_size_ci_upper: Option<f64>,
    /// Naive two-sided Welch p-value at this look.
    pub pvalue: f64,
    /// `pvalue < alpha`: what a weekly reader would call significant.
    pub significant: bool,
    /// Always-valid confidence sequence at this look, lower bound.
    pub seq_effect_size_ci_lower: f64,
    /// Always-valid confidence sequence at this look, upper bound.
    pub seq_effect_size_ci_upper: f64,
    /// The sequence divided by the control mean (approximate; null unless
    /// the control mean is positive).
    pub seq_rel_effect_size_ci_lower: Option<f64>,
    /// Upper bound of the approximate relative sequence.
    pub seq_rel_effect_size_ci_upper: Option<f64>,
    /// Always-valid p-value: running minimum over looks so far.
    pub seq_pvalue: f64,
    /// `seq_pvalue < alpha`: the sequential test has rejected by this look.
    pub seq_significant: bool,
}

/// What the looks of one metric and treatment arm add up to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklySummary {
    /// Metric name.
    pub metric: String,
    /// Control arm label.
    pub control: String,
    /// Treatment arm label.
    pub treatment: String,
    /// Looks read (skipped looks excluded).
    pub looks: usize,
    /// `n*` of the confidence sequence, in units of the two arms.
    pub cs_n_star: f64,
    /// Tuning `ρ` of the confidence sequence.
    pub cs_rho: f64,
    /// Date of the final look.
    pub final_look_date: String,
    /// Days elapsed at the final look.
    pub final_days_elapsed: i64,
    /// Naive p-value at the final look (the fixed-horizon test, valid if
    /// this was the only look planned).
    pub final_pvalue: f64,
    /// Always-valid p-value at the final look.
    pub final_seq_pvalue: f64,
    /// Looks at which the naive read was significant.
    pub naive_significant_looks: usize,
    /// First look at which naive peeking would have stopped; null if none.
    pub naive_first_look: Option<usize>,
    /// Its date.
    pub naive_first_look_date: Option<String>,
    /// Its days elapsed.
    pub naive_first_days_elapsed: Option<i64>,
    /// Its naive p-value.
    pub naive_first_pvalue: Option<f64>,
    /// Its direction.
    pub naive_first_direction: Option<Direction>,
    /// First look at which the sequential test rejects; null if none.
    pub seq_first_look: Option<usize>,
    /// Its date.
    pub seq_first_look_date: Option<String>,
    /// Its days elapsed.
    pub seq_first_days_elapsed: Option<i64>,
    /// Its always-valid p-value.
    pub seq_first_pvalue: Option<f64>,
    /// Its direction.
    pub seq_first_direction: Option<Direction>,
}

/// A weekly read of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyAnalysis {
    /// The file read.
    pub file: String,
    /// Control arm label.
    pub control: String,
    /// Significance level.
    pub alpha: f64,
    /// Days between looks.
    pub look_every: u32,
    /// Date column.
    pub date_column: String,
    /// Unit column, when rows are events.
    pub unit_column: Option<String>,
    /// How the file writes dates.
    pub date_format: DateFormat,
    /// First date in the file.
    pub first_date: String,
    /// Last date in the file (the final look).
    pub last_date: String,
    /// Rows read.
    pub n_rows: usize,
    /// Units (rows without a unit column).
    pub n_units: usize,
    /// Dates of the looks, in order.
    pub look_dates: Vec<String>,
    /// One row per look × metric × treatment arm.
    pub rows: Vec<WeeklyRow>,
    /// One summary per metric × treatment arm.
    pub summary: Vec<WeeklySummary>,
    /// Looks skipped (an arm with fewer than 2 units, no variance yet).
    pub warnings: Vec<String>,
}

/// Days of the looks: `first + L − 1, first + 2L − 1, …` before `last`, and
/// `last` itself.
///
/// # Errors
/// [`Error::InvalidParameter`] (`--look-every`) if `every` is 0, or if
/// `last < first`.
///
/// ```
/// use liftlab::weekly::look_days;
/// assert_eq!(look_days(0, 20, 7).unwrap(), vec![6, 13, 20]);
/// assert_eq!(look_days(0, 22, 7).unwrap(), vec![6, 13, 20, 22]);
/// assert_eq!(look_days(5, 5, 7).unwrap(), vec![5]);
/// assert!(look_days(0, 20, 0).is_err());
/// ```
pub fn look_days(first: i64, last: i64, every: u32) -> Result<Vec<i64>> {
    if every == 0 {
        return Err(Error::invalid("--look-every", 0, "a whole number of days, at least 1"));
    }
    if last < first {
        return Err(Error::invalid("dates", format!("{first}..{last}"), "a last date on or after the first"));
    }
    let mut days = Vec::new();
    let mut d = first + i64::from(every) - 1;
    while d < last {
        days.push(d);
        d += i64::from(every);
    }
    days.push(last);
    Ok(days)
}

/// Per look, per metric, per arm: the sufficient statistics of the units
/// seen by that look (`x` = the ratio metric's denominator).
pub(crate) fn snapshots(data: &DatedTable, looks: &[i64]) -> Result<Vec<Vec<Vec<Moments>>>> {
    let t = &data.table;
    let (n_metrics, n_arms) = (t.metrics.len(), t.arms.len());
    let mut order: Vec<usize> = (0..t.n_rows()).collect();
    order.sort_by_key(|&i| data.day_of_row[i]);
    let value =
        |m: usize, i: usize| -> (f64, f64) { (t.metrics[m][i], t.denominators[m].as_ref().map_or(0.0, |d| d[i])) };
    let mut out = Vec::with_capacity(looks.len());
    let mut next = 0;
    match &data.unit_of_row {
        None => {
            let mut cur = vec![vec![Moments::new(); n_arms]; n_metrics];
            for &look in looks {
                while next < order.len() && data.day_of_row[order[next]] <= look {
                    let i = order[next];
                    for (m, per_arm) in cur.iter_mut().enumerate() {
                        let (y, x) = value(m, i);
                        per_arm[t.arm_of_row[i] as usize].push_xy(y, x);
                    }
                    next += 1;
                }
                out.push(cur.clone());
            }
        }
        Some(unit_of_row) => {
            if unit_of_row.len() != t.n_rows() || data.day_of_row.len() != t.n_rows() {
                return Err(Error::invalid("unit_of_row", unit_of_row.len(), "one unit (and one day) per row"));
            }
            let n_units = unit_of_row.iter().map(|&u| u as usize + 1).max().unwrap_or(0);
            let mut arm: Vec<Option<u32>> = vec![None; n_units];
            let mut sums = vec![vec![(0.0, 0.0); n_units]; n_metrics];
            let mut entered: Vec<usize> = Vec::new();
            for &look in looks {
                while next < order.len() && data.day_of_row[order[next]] <= look {
                    let i = order[next];
                    let u = unit_of_row[i] as usize;
                    match arm[u] {
                        None => {
                            arm[u] = Some(t.arm_of_row[i]);
                            entered.push(u);
                        }
                        Some(a) if a != t.arm_of_row[i] => {
                            return Err(Error::invalid(
                                "unit",
                                u,
                                &format!(
                                    "one arm per unit (its rows are in arms {:?} and {:?})",
                                    t.arms[a as usize], t.arms[t.arm_of_row[i] as usize]
                                ),
                            ));
                        }
                        Some(_) => {}
                    }
                    for (m, s) in sums.iter_mut().enumerate() {
                        let (y, x) = value(m, i);
                        s[u].0 += y;
                        s[u].1 += x;
                    }
                    next += 1;
                }
                let mut cur = vec![vec![Moments::new(); n_arms]; n_metrics];
                for (m, per_arm) in cur.iter_mut().enumerate() {
                    for &u in &entered {
                        let (y, x) = sums[m][u];
                        per_arm[arm[u].expect("entered units have an arm") as usize].push_xy(y, x);
                    }
                }
                out.push(cur);
            }
        }
    }
    Ok(out)
}

/// The naive read of one look.
struct NaiveRead {
    look: usize,
    n: (u64, u64),
    welch: WelchResult,
    rel: Option<RelativeLift>,
}

/// Reads a dated file look by look: for every metric and every treatment arm
/// against control, the naive fixed-horizon read and the always-valid
/// confidence sequence at each look, and a summary.
///
/// See the [module documentation](self) for the formulas.
///
/// A look at which an arm has fewer than 2 units, or the metric has no
/// variance yet, is skipped with a message in
/// [`WeeklyAnalysis::warnings`]; the final look sees every unit and must
/// be readable.
///
/// # Errors
/// - [`Error::InvalidParameter`] for `alpha` outside (0, 1), `look_every` 0,
///   a non-positive `cs_n_star`, fewer than 2 arms, or a unit whose rows
///   are in two arms.
/// - [`Error::UnknownControl`] if the control label is not in the data.
/// - [`Error::EmptyArm`] / [`Error::Degenerate`] if the final look cannot be
///   read (an arm with fewer than 2 units, zero variance in both arms, a
///   ratio metric whose denominator averages 0).
///
/// # References
/// Waudby-Smith et al. (2021), arXiv:2103.06476; GrowthBook `gbstats`
/// `sequential_interval_halfwidth`.
///
/// ```
/// use liftlab::io::{DateFormat, DatedTable, UnitTable};
/// use liftlab::weekly::{WeeklyConfig, weekly_reads};
/// let y = [1.0, 2.0, 3.0, 5.0, 4.0, 6.0, 2.0, 7.0];
/// let data = DatedTable {
///     table: UnitTable {
///         path: "inline.csv".into(),
///         arms: vec!["control".into(), "treatment".into()],
///         arm_of_row: vec![0, 1, 0, 1, 0, 1, 0, 1],
///         metric_names: vec!["y".into()],
///         metrics: vec![ndarray::Array1::from(y.to_vec())],
///         denominators: vec![None],
///         covariate: None,
///         segments: None,
///     },
///     day_of_row: vec![0, 1, 2, 3, 8, 9, 10, 13],
///     date_format: DateFormat::DayNumber,
///     unit_of_row: None,
///     n_units: 8,
///     date_column: "day".into(),
///     unit_column: None,
/// };
/// let a = weekly_reads(&data, &WeeklyConfig::new("control", "arm"))?;
/// assert_eq!(a.look_dates, ["6", "13"]);
/// let last = &a.rows[1];
/// assert_eq!((last.n_control, last.n_treatment), (4, 4));
/// // Treatment (2 + 5 + 6 + 7)/4 = 5, control (1 + 3 + 4 + 2)/4 = 2.5.
/// assert!((last.effect_size - 2.5).abs() < 1e-12);
/// assert!(last.seq_effect_size_ci_lower < last.effect_size_ci_lower);
/// assert_eq!(a.summary[0].cs_n_star, 8.0);
/// # Ok::<(), liftlab::Error>(())
/// ```
pub fn weekly_reads(data: &DatedTable, config: &WeeklyConfig) -> Result<WeeklyAnalysis> {
    check_alpha(config.alpha)?;
    if let Some(n) = config.cs_n_star {
        check_positive("--cs-n-star", n)?;
    }
    let t = &data.table;
    if data.day_of_row.len() != t.n_rows() {
        return Err(Error::invalid("day_of_row", data.day_of_row.len(), "one day per row"));
    }
    let control = t.arms.iter().position(|a| a == &config.control).ok_or_else(|| Error::UnknownControl {
        control: config.control.clone(),
        column: config.variant_column.clone(),
        found: t.arms.clone(),
    })?;
    if t.arms.len() < 2 {
        return Err(Error::invalid(
            "--control",
            &config.control,
            &format!("a file with at least 2 arms in column {:?} (found only {:?})", config.variant_column, t.arms),
        ));
    }
    let (Some(&first), Some(&last)) = (data.day_of_row.iter().min(), data.day_of_row.iter().max()) else {
        return Err(Error::invalid("rows", 0, "at least one data row"));
    };
    let looks = look_days(first, last, config.look_every)?;
    let date = |d: i64| format_date(d, data.date_format);
    let snaps = snapshots(data, &looks)?;
    let alpha = config.alpha;
    let mut rows = Vec::new();
    let mut summary = Vec::new();
    let mut warnings = Vec::new();
    for (m, metric) in t.metric_names.iter().enumerate() {
        let ratio = t.denominators[m].is_some();
        for tr in (0..t.arms.len()).filter(|&a| a != control) {
            let what = format!("metric {metric:?}, {} vs {}", t.arms[tr], t.arms[control]);
            let mut reads = Vec::new();
            for (k, &look) in looks.iter().enumerate() {
                let (mc, mt) = (&snaps[k][m][control], &snaps[k][m][tr]);
                match naive_read(mc, mt, ratio, config, (&t.arms[control], &t.arms[tr])) {
                    Ok((welch, rel)) => reads.push(NaiveRead { look: k, n: (mc.n(), mt.n()), welch, rel }),
                    Err(e) if k + 1 < looks.len() => warnings.push(format!(
                        "{what}: look {} ({} {}, {} days) skipped: {e}",
                        k + 1,
                        data.date_column,
                        date(look),
                        look - first + 1
                    )),
                    Err(Error::Degenerate { message, .. }) => {
                        return Err(Error::Degenerate {
                            metric: format!("{what}, final look {}", date(look)),
                            message,
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
            let final_read = reads.last().expect("the final look is read or returned an error");
            let n_star = config.cs_n_star.unwrap_or((final_read.n.0 + final_read.n.1) as f64);
            let rho = confidence_sequence_rho(n_star, alpha);
            let mut running = 1.0_f64;
            let start = rows.len();
            for r in &reads {
                let w = &r.welch;
                let n = (r.n.0 + r.n.1) as f64;
                let half = confidence_sequence_half_width(w.effect_size_se, n, alpha, rho);
                running = running.min(confidence_sequence_pvalue(w.effect_size, w.effect_size_se, n, rho));
                let (lo, hi) = (w.effect_size - half, w.effect_size + half);
                let by_control = |x: f64| (w.mean_control > 0.0).then(|| x / w.mean_control);
                rows.push(WeeklyRow {
                    metric: metric.clone(),
                    control: t.arms[control].clone(),
                    treatment: t.arms[tr].clone(),
                    look: r.look + 1,
                    look_date: date(looks[r.look]),
                    days_elapsed: looks[r.look] - first + 1,
                    n_control: r.n.0,
                    n_treatment: r.n.1,
                    mean_control: w.mean_control,
                    mean_treatment: w.mean_treatment,
                    effect_size: w.effect_size,
                    effect_size_se: w.effect_size_se,
                    rel_effect_size: r.rel.map(|x| x.rel_effect_size),
                    effect_size_ci_lower: w.effect_size_ci_lower,
                    effect_size_ci_upper: w.effect_size_ci_upper,
                    rel_effect_size_ci_lower: r.rel.map(|x| x.rel_effect_size_ci_lower),
                    rel_effect_size_ci_upper: r.rel.map(|x| x.rel_effect_size_ci_upper),
                    pvalue: w.pvalue,
                    significant: w.pvalue < alpha,
                    seq_effect_size_ci_lower: lo,
                    seq_effect_size_ci_upper: hi,
                    seq_rel_effect_size_ci_lower: by_control(lo),
                    seq_rel_effect_size_ci_upper: by_control(hi),
                    seq_pvalue: running,
                    seq_significant: running < alpha,
                });
            }
            summary.push(summarize(&rows[start..], n_star, rho));
        }
    }
    Ok(WeeklyAnalysis {
        file: t.path.display().to_string(),
        control: config.control.clone(),
        alpha,
        look_every: config.look_every,
        date_column: data.date_column.clone(),
        unit_column: data.unit_column.clone(),
        date_format: data.date_format,
        first_date: date(first),
        last_date: date(last),
        n_rows: t.n_rows(),
        n_units: data.n_units,
        look_dates: looks.iter().map(|&d| date(d)).collect(),
        rows,
        summary,
        warnings,
    })
}

/// Welch's test (delta method for a ratio metric) and the relative lift of
/// one look.
fn naive_read(
    mc: &Moments,
    mt: &Moments,
    ratio: bool,
    config: &WeeklyConfig,
    labels: (&str, &str),
) -> Result<(WelchResult, Option<RelativeLift>)> {
    for (arm, mom) in [(labels.0, mc), (labels.1, mt)] {
        if mom.n() < 2 {
            return Err(Error::EmptyArm { arm: arm.to_string(), segment: None, n: mom.n() });
        }
    }
    let estimate =
        |mom: &Moments| -> Result<ArmEstimate> { if ratio { stats::ratio_estimate(mom) } else { Ok(mom.estimate()) } };
    let (ec, et) = (estimate(mc)?, estimate(mt)?);
    let w = stats::welch(&ec, &et, config.alpha)?;
    if !(w.effect_size_se.is_finite() && w.mean_control.is_finite() && w.mean_treatment.is_finite()) {
        return Err(Error::Degenerate {
            metric: String::new(),
            message: "the variance overflows a 64-bit float; rescale the metric".into(),
        });
    }
    let rel = stats::relative_lift_with(&ec, &et, config.alpha, config.lift_interval).ok();
    Ok((w, rel))
}

fn summarize(rows: &[WeeklyRow], n_star: f64, rho: f64) -> WeeklySummary {
    let last = rows.last().expect("at least the final look");
    let naive = rows.iter().find(|r| r.significant);
    let seq = rows.iter().find(|r| r.seq_significant);
    WeeklySummary {
        metric: last.metric.clone(),
        control: last.control.clone(),
        treatment: last.treatment.clone(),
        looks: rows.len(),
        cs_n_star: n_star,
        cs_rho: rho,
        final_look_date: last.look_date.clone(),
        final_days_elapsed: last.days_elapsed,
        final_pvalue: last.pvalue,
        final_seq_pvalue: last.seq_pvalue,
        naive_significant_looks: rows.iter().filter(|r| r.significant).count(),
        naive_first_look: naive.map(|r| r.look),
        naive_first_look_date: naive.map(|r| r.look_date.clone()),
        naive_first_days_elapsed: naive.map(|r| r.days_elapsed),
        naive_first_pvalue: naive.map(|r| r.pvalue),
        naive_first_direction: naive.map(|r| Direction::of(r.effect_size)),
        seq_first_look: seq.map(|r| r.look),
        seq_first_look_date: seq.map(|r| r.look_date.clone()),
        seq_first_days_elapsed: seq.map(|r| r.days_elapsed),
        seq_first_pvalue: seq.map(|r| r.seq_pvalue),
        seq_first_direction: seq.map(|r| Direction::of(r.effect_size)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::UnitTable;
    use ndarray::Array1;

    fn table(arms: &[u32], days: &[i64], y: &[f64], units: Option<Vec<u32>>) -> DatedTable {
        DatedTable {
            table: UnitTable {
                path: "mem.csv".into(),
                arms: vec!["control".into(), "treatment".into()],
                arm_of_row: arms.to_vec(),
                metric_names: vec!["y".into()],
                metrics: vec![Array1::from(y.to_vec())],
                denominators: vec![None],
                covariate: None,
                segments: None,
            },
            day_of_row: days.to_vec(),
            date_format: DateFormat::DayNumber,
            n_units: units.as_ref().map_or(y.len(), |u| u.iter().max().map_or(0, |&m| m as usize + 1)),
            unit_of_row: units,
            date_column: "day".into(),
            unit_column: None,
        }
    }

    #[test]
    fn early_looks_with_a_thin_arm_are_skipped_with_a_warning() {
        let arms = [0, 0, 1, 0, 1, 1, 0, 1];
        let days = [0, 1, 2, 8, 9, 9, 10, 13];
        let y = [1.0, 2.0, 3.0, 5.0, 1.0, 4.0, 2.0, 7.0];
        let a = weekly_reads(&table(&arms, &days, &y, None), &WeeklyConfig::new("control", "arm")).unwrap();
        assert_eq!(a.look_dates, vec!["6", "13"]);
        assert_eq!(a.rows.len(), 1);
        assert_eq!(a.rows[0].look, 2);
        assert_eq!((a.rows[0].n_control, a.rows[0].n_treatment), (4, 4));
        assert_eq!(a.warnings.len(), 1);
        assert!(a.warnings[0].contains("look 1") && a.warnings[0].contains("\"treatment\""), "{:?}", a.warnings);
    }

    #[test]
    fn the_sequential_pvalue_never_rises_and_the_cs_is_wider() {
        let n = 400;
        let arms: Vec<u32> = (0..n).map(|i| (i % 2) as u32).collect();
        let days: Vec<i64> = (0..n).map(|i| (i * 37 % 84) as i64).collect();
        let y: Vec<f64> =
            (0..n).map(|i| ((i * 7919) % 101) as f64 / 10.0 + if i % 2 == 1 { 1.0 } else { 0.0 }).collect();
        let a = weekly_reads(&table(&arms, &days, &y, None), &WeeklyConfig::new("control", "arm")).unwrap();
        assert_eq!(a.rows.len(), 12);
        for w in a.rows.windows(2) {
            assert!(w[1].seq_pvalue <= w[0].seq_pvalue);
        }
        for r in &a.rows {
            assert!(r.seq_effect_size_ci_lower < r.effect_size_ci_lower);
            assert!(r.seq_effect_size_ci_upper > r.effect_size_ci_upper);
            assert_eq!(r.seq_significant, r.seq_pvalue < 0.05);
        }
        assert_eq!(a.summary[0].cs_n_star, n as f64);
    }

    #[test]
    fn events_are_summed_per_unit_and_units_enter_at_their_first_event() {
        // Unit 0 (control) has events on days 0 and 9; at look 1 (day 6) it counts 1, then 1 + 10.
        let arms = [0, 0, 0, 1, 1, 1, 0];
        let days = [0, 9, 1, 2, 3, 8, 5];
        let y = [1.0, 10.0, 2.0, 3.0, 4.0, 6.0, 5.0];
        let units = vec![0, 0, 1, 2, 3, 4, 5];
        let a = weekly_reads(&table(&arms, &days, &y, Some(units)), &WeeklyConfig::new("control", "arm")).unwrap();
        assert_eq!(a.rows.len(), 2);
        assert_eq!((a.rows[0].n_control, a.rows[0].n_treatment), (3, 2));
        assert!((a.rows[0].mean_control - 8.0 / 3.0).abs() < 1e-12);
        assert!((a.rows[1].mean_control - 18.0 / 3.0).abs() < 1e-12);
        assert_eq!(a.rows[1].n_treatment, 3);
    }

    #[test]
    fn bad_settings_are_errors() {
        let d = table(&[0, 0, 1, 1], &[0, 1, 2, 3], &[1.0, 2.0, 3.0, 5.0], None);
        let mut c = WeeklyConfig::new("control", "arm");
        c.look_every = 0;
        assert!(weekly_reads(&d, &c).unwrap_err().to_string().contains("--look-every"));
        let c = WeeklyConfig::new("holdout", "arm");
        assert!(matches!(weekly_reads(&d, &c), Err(Error::UnknownControl { .. })));
        let mut c = WeeklyConfig::new("control", "arm");
        c.cs_n_star = Some(0.0);
        assert!(weekly_reads(&d, &c).unwrap_err().to_string().contains("--cs-n-star"));
        let one = table(&[0, 0, 1], &[0, 1, 2], &[1.0, 2.0, 3.0], None);
        assert!(matches!(weekly_reads(&one, &WeeklyConfig::new("control", "arm")), Err(Error::EmptyArm { .. })));
    }
}
