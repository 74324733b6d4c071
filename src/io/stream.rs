//! Streaming unit rows into per-arm sufficient statistics: memory
//! independent of the number of rows.
//!
//! For every metric, arm and segment (and overall) one accumulator
//! keeps the same Welford moments ([`Moments`], [`RatioMoments`]) the
//! in-memory analysis builds from the rows, pushed in the same order, so
//! means, variances and covariances are bit-identical to it; and the third
//! central co-moments of `(y, d)` by Pébay's (2008) one-pass update, from
//! which the skewness of `y`, or of a ratio metric's linearization
//! `y − r·d`, is recovered for the rule `n ≥ 355·γ²`. Central moments are
//! updated, never raw power sums (Σy² near 1e15 would lose digits of the
//! variance); the two totals the ratio `r = Σy/Σd` needs are Neumaier sums.
//!
//! # References
//! Pébay, P. (2008). Formulas for robust, one-pass parallel computation of
//! covariances and arbitrary-order statistical moments. Sandia report
//! SAND2008-6212, §3.

use std::path::PathBuf;

use super::input::{Input, for_each_row};
use super::labels::Ids;
use super::units::ColumnSpec;
use crate::error::{Error, Result};
use crate::stats::{Moments, RatioMoments};

/// Neumaier's compensated sum (Kahan–Babuška).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    /// Adds `v`.
    #[inline]
    pub fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.compensation += (self.sum - t) + v;
        } else {
            self.compensation += (v - t) + self.sum;
        }
        self.sum = t;
    }

    /// The sum.
    ///
    /// ```
    /// use liftlab::io::stream::NeumaierSum;
    /// let mut s = NeumaierSum::default();
    /// for v in [1e16, 1.0, -1e16] { s.add(v); }
    /// assert_eq!(s.value(), 1.0);
    /// ```
    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// Second and third central co-moments of `(y, d)`, updated one unit at a time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct CoMoments3 {
    n: u64,
    /// The first unit, subtracted from every unit: central moments do not
    /// change, and deviations are not rounded against a large mean (values
    /// near 1e9 that vary by hundreds keep their skewness to 1e-12).
    pivot: [f64; 2],
    mean: [f64; 2],
    /// Σ of products of deviations: yy, yd, dd.
    m2: [f64; 3],
    /// yyy, yyd, ydd, ddd.
    m3: [f64; 4],
}

impl CoMoments3 {
    #[inline]
    fn push(&mut self, y: f64, d: f64) {
        if self.n == 0 {
            self.pivot = [y, d];
        }
        let (y, d) = (y - self.pivot[0], d - self.pivot[1]);
        self.n += 1;
        let n = self.n as f64;
        let (dy, dd) = (y - self.mean[0], d - self.mean[1]);
        let c3 = (n - 1.0) * (n - 2.0) / (n * n);
        let [a, b, c] = self.m2;
        self.m3[0] += c3 * dy * dy * dy - 3.0 * a * dy / n;
        self.m3[1] += c3 * dy * dy * dd - (a * dd + 2.0 * b * dy) / n;
        self.m3[2] += c3 * dy * dd * dd - (2.0 * b * dd + c * dy) / n;
        self.m3[3] += c3 * dd * dd * dd - 3.0 * c * dd / n;
        let c2 = (n - 1.0) / n;
        self.m2[0] += c2 * dy * dy;
        self.m2[1] += c2 * dy * dd;
        self.m2[2] += c2 * dd * dd;
        self.mean[0] += dy / n;
        self.mean[1] += dd / n;
    }

    /// Skewness of `y − r·d` (population moments, as
    /// [`crate::stats::skew::weighted_skewness`]); 0 when it has no variance.
    fn skewness(&self, r: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let n = self.n as f64;
        let [a, b, c] = self.m2;
        let m2 = a - 2.0 * r * b + r * r * c;
        let m3 = self.m3[0] - 3.0 * r * self.m3[1] + 3.0 * r * r * self.m3[2] - r * r * r * self.m3[3];
        // Below rounding of the terms, the linearization is constant.
        if !(m2 > 1e-14 * (a + r * r * c)) {
            return 0.0;
        }
        (m3 / n) / (m2 / n).powf(1.5)
    }
}

/// Everything kept for one metric in one arm (overall or in one segment).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Accumulator {
    moments: Moments,
    co3: CoMoments3,
    sum_y: NeumaierSum,
    sum_d: NeumaierSum,
    ratio_cuped: Option<RatioMoments>,
}

/// Per-arm (and per-segment) sufficient statistics of a unit-level input,
/// streamed by [`stream_units`].
#[derive(Debug, Clone)]
pub struct UnitSums {
    /// The input read ("standard input" for `-`).
    pub path: PathBuf,
    /// Arm labels, sorted (byte order); `["all"]` without a variant column.
    pub arms: Vec<String>,
    /// Metric names, in the order asked for.
    pub metric_names: Vec<String>,
    /// Which metrics are ratio metrics.
    pub ratio: Vec<bool>,
    /// Whether a covariate was read.
    pub has_covariate: bool,
    /// Segment labels, sorted, with a segment column.
    pub segments: Option<Vec<String>>,
    /// Rows read.
    pub n_rows: usize,
    /// `acc[arm][slot][metric]`, slot 0 overall, `1 + s` segment `s`.
    acc: Vec<Vec<Vec<Accumulator>>>,
}

impl UnitSums {
    /// Units per arm, in the order of `arms`.
    pub fn arm_counts(&self) -> Vec<u64> {
        self.acc.iter().map(|a| a[0][0].moments.n()).collect()
    }

    /// Statistics of metric `m` in `arm`, overall (`seg = None`) or within
    /// segment `seg`: the moments (of `(y, d)` for a ratio metric, `(y, x)`
    /// with a covariate), the skewness (of the linearization for a ratio
    /// metric) and, for a ratio metric with a covariate, the `(y, d, x)`
    /// moments. Empty statistics for an arm absent from the segment.
    pub fn arm_stats(&self, m: usize, arm: usize, seg: Option<u32>) -> (Moments, f64, Option<RatioMoments>) {
        let slot = seg.map_or(0, |s| s as usize + 1);
        let Some(a) = self.acc[arm].get(slot).map(|s| &s[m]) else {
            return (Moments::new(), f64::NAN, None);
        };
        let r = if self.ratio[m] { a.sum_y.value() / a.sum_d.value() } else { 0.0 };
        (a.moments, a.co3.skewness(r), a.ratio_cuped)
    }
}

/// Streams the rows of `input` into per-arm sufficient statistics.
///
/// # Errors
/// As [`crate::io::for_each_row`]; [`Error::Csv`] when the input has no
/// data rows.
pub fn stream_units(input: &Input, spec: &ColumnSpec) -> Result<UnitSums> {
    let k = spec.metrics.len();
    let has_cov = spec.covariate.is_some();
    let mut arm_ids: Ids<String> = Ids::default();
    let mut seg_ids: Ids<String> = Ids::default();
    let mut acc: Vec<Vec<Vec<Accumulator>>> = Vec::new();
    let mut ratio = vec![false; k];
    let mut n_rows = 0usize;
    for_each_row(input, spec, &mut |row| {
        if n_rows == 0 {
            ratio.copy_from_slice(row.ratio);
        }
        n_rows += 1;
        let arm = arm_ids.id(row.arm) as usize;
        if arm == acc.len() {
            acc.push(vec![vec![Accumulator::default(); k]]);
        }
        let seg = row.segment.map(|s| seg_ids.id(s) as usize);
        let slots = &mut acc[arm];
        if let Some(s) = seg
            && slots.len() < s + 2
        {
            slots.resize(s + 2, vec![Accumulator::default(); k]);
        }
        for slot in std::iter::once(0).chain(seg.map(|s| s + 1)) {
            for (j, a) in slots[slot].iter_mut().enumerate() {
                let (y, d) = (row.y[j], row.d[j]);
                if row.ratio[j] {
                    a.moments.push_xy(y, d);
                    a.sum_y.add(y);
                    a.sum_d.add(d);
                    if has_cov {
                        a.ratio_cuped.get_or_insert_with(RatioMoments::default).push(y, d, row.x);
                    }
                } else if has_cov {
                    a.moments.push_xy(y, row.x);
                } else {
                    a.moments.push(y);
                }
                a.co3.push(y, d);
            }
        }
        Ok(())
    })?;
    if n_rows == 0 {
        return Err(Error::Csv { path: input.name(), line: None, message: "the input has no data rows".into() });
    }
    // Sorted labels, as the in-memory table orders them.
    let sorted = |ids: Ids<String>| -> (Vec<String>, Vec<usize>) {
        let mut pairs: Vec<(String, usize)> = ids.into_map().into_iter().map(|(l, i)| (l, i as usize)).collect();
        pairs.sort();
        pairs.into_iter().unzip()
    };
    let (arms, arm_order) = sorted(arm_ids);
    let segments = spec.segment.as_ref().map(|_| sorted(seg_ids));
    let n_slots = segments.as_ref().map_or(1, |(l, _)| l.len() + 1);
    let acc = arm_order
        .iter()
        .map(|&a| {
            let old = &acc[a];
            let mut slots = vec![old[0].clone()];
            if let Some((_, order)) = &segments {
                slots.extend(
                    order.iter().map(|&s| old.get(s + 1).cloned().unwrap_or_else(|| vec![Accumulator::default(); k])),
                );
            }
            debug_assert_eq!(slots.len(), n_slots);
            slots
        })
        .collect();
    Ok(UnitSums {
        path: input.name(),
        arms: if spec.variant.is_some() { arms } else { vec!["all".to_string()] },
        metric_names: spec.metrics.clone(),
        ratio,
        has_covariate: has_cov,
        segments: segments.map(|(l, _)| l),
        n_rows,
        acc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::skew::{ratio_skewness, skewness};

    #[test]
    fn one_pass_skewness_matches_two_pass() {
        let y: Vec<f64> = (0..1000).map(|i| ((i * 37 % 101) as f64).powi(3) / 1e3 + 1e8).collect();
        let d: Vec<f64> = (0..1000).map(|i| 1.0 + (i % 7) as f64).collect();
        let mut c = CoMoments3::default();
        y.iter().zip(&d).for_each(|(&y, &d)| c.push(y, d));
        let rel = |a: f64, b: f64| ((a - b) / b).abs();
        assert!(rel(c.skewness(0.0), skewness(&y)) < 1e-9, "{} {}", c.skewness(0.0), skewness(&y));
        let r = y.iter().sum::<f64>() / d.iter().sum::<f64>();
        assert!(rel(c.skewness(r), ratio_skewness(&y, &d)) < 1e-9);
    }
}
