//! Studentized permutation (randomization) test of two means or two ratio
//! metrics, with confidence intervals for the difference and the relative
//! lift by test inversion.
//!
//! Under the sharp null that the treatment changed nobody's value, the
//! arm labels are exchangeable, so the distribution of any statistic over
//! re-randomizations of the labels is known exactly: a permutation p-value
//! holds its level at every sample size, however skewed the metric and
//! however unbalanced the split. Studentizing the statistic (Welch's `t`
//! rather than the raw difference) makes the same test asymptotically valid
//! for the weak null of equal means when the arms differ in spread or shape
//! (Janssen 1997; Chung & Romano 2013). It is the test `analyze` uses when an
//! arm is too small and skewed for the normal approximation.
//!
//! Speed comes from exchangeability itself: units with identical values
//! (the zeros of a zero-inflated revenue metric, the 0/1 of a conversion)
//! are interchangeable, so a re-randomization only draws *how many* of each
//! group land in control (a hypergeometric count) and which of the few
//! distinct units do (a partial Fisher–Yates shuffle). A draw costs
//! O(groups + distinct units in the smaller side), not O(n).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Hypergeometric};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result, check_open_unit};
use crate::rng::{LiftRng, domain, stream};

/// Settings of a permutation test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PermutationConfig {
    /// Number of random re-randomizations `B` (2000 is typical; at least
    /// `2/α` for the interval to be bounded).
    pub resamples: usize,
    /// Two-sided level: the test rejects at `α`, the intervals cover `1 − α`.
    pub alpha: f64,
    /// Seed: re-randomization `b` draws from stream `(seed, PERMUTATION, b)`.
    pub seed: u64,
    /// Also invert the test into intervals (the p-values alone are cheaper).
    pub intervals: bool,
}

impl PermutationConfig {
    /// `B` re-randomizations at level `alpha`, with intervals.
    pub fn new(resamples: usize, alpha: f64, seed: u64) -> Self {
        Self { resamples, alpha, seed, intervals: true }
    }
}

/// Result of a studentized permutation test of `treatment − control`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PermutationResult {
    /// Number of re-randomizations `B`.
    pub resamples: usize,
    /// Observed studentized statistic (Welch's `t`, or its delta-method
    /// analogue for a ratio metric).
    pub statistic: f64,
    /// Two-sided p-value `min(1, 2·min(p_upper, p_lower))`.
    pub pvalue: f64,
    /// One-sided p-value against "treatment is higher".
    pub pvalue_upper: f64,
    /// One-sided p-value against "treatment is lower".
    pub pvalue_lower: f64,
    /// Lower bound for `ȳ_t − ȳ_c` (metric units), by inverting the test
    /// under a constant shift; `None` when `B` is too small to bound it.
    pub effect_size_ci_lower: Option<f64>,
    /// Upper bound for `ȳ_t − ȳ_c` (metric units).
    pub effect_size_ci_upper: Option<f64>,
    /// Lower bound for the relative lift `ȳ_t/ȳ_c − 1` (a fraction), by
    /// inverting the test under a multiplicative effect; `None` when a
    /// mean is not positive or `B` is too small.
    pub rel_effect_size_ci_lower: Option<f64>,
    /// Upper bound for the relative lift (a fraction).
    pub rel_effect_size_ci_upper: Option<f64>,
    /// Units drawn one by one; the others were drawn as groups of
    /// identical values.
    pub distinct_units: u64,
}

/// One arm's data: metric values `y` and, for a ratio metric `Σy/Σd`, the
/// denominators `d` (for a plain mean, `d = 1` for every unit).
#[derive(Debug, Clone, Copy)]
pub struct ArmData<'a> {
    /// Metric (numerator) value of each unit.
    pub y: &'a [f64],
    /// Denominator of each unit, for a ratio metric.
    pub d: Option<&'a [f64]>,
}

impl<'a> ArmData<'a> {
    /// A plain mean of `y`.
    pub fn mean(y: &'a [f64]) -> Self {
        Self { y, d: None }
    }

    /// A mean of `y` (`d = None`) or a ratio `Σy/Σd`.
    pub fn with(y: &'a [f64], d: Option<&'a [f64]>) -> Self {
        Self { y, d }
    }

    /// A ratio metric `Σy/Σd`.
    pub fn ratio(y: &'a [f64], d: &'a [f64]) -> Self {
        Self { y, d: Some(d) }
    }

    fn len(&self) -> usize {
        self.y.len()
    }

    fn d(&self, i: usize) -> f64 {
        self.d.map_or(1.0, |d| d[i])
    }
}

/// Sums over a set of units of `y0` (the metric centred at the pooled
/// ratio, `y − c·d`) and `d`: `m, Σy0, Σy0², Σd, Σd², Σy0·d`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    m: f64,
    sy: f64,
    syy: f64,
    sd: f64,
    sdd: f64,
    syd: f64,
}

impl Sums {
    #[inline]
    fn add(&mut self, y: f64, d: f64, w: f64) {
        self.m += w;
        self.sy += w * y;
        self.syy += w * y * y;
        self.sd += w * d;
        self.sdd += w * d * d;
        self.syd += w * y * d;
    }

    #[inline]
    fn plus(self, o: Sums) -> Sums {
        Sums {
            m: self.m + o.m,
            sy: self.sy + o.sy,
            syy: self.syy + o.syy,
            sd: self.sd + o.sd,
            sdd: self.sdd + o.sdd,
            syd: self.syd + o.syd,
        }
    }

    #[inline]
    fn minus(self, o: Sums) -> Sums {
        Sums {
            m: self.m - o.m,
            sy: self.sy - o.sy,
            syy: self.syy - o.syy,
            sd: self.sd - o.sd,
            sdd: self.sdd - o.sdd,
            syd: self.syd - o.syd,
        }
    }

    /// The sums of `a·y0 + b·d` in place of `y0`.
    #[inline]
    fn affine(self, a: f64, b: f64) -> Sums {
        Sums {
            sy: a * self.sy + b * self.sd,
            syy: a * a * self.syy + 2.0 * a * b * self.syd + b * b * self.sdd,
            syd: a * self.syd + b * self.sdd,
            ..self
        }
    }

    /// The arm's (centred) ratio and its delta-method sampling variance:
    /// `R = Σy0/Σd`, `v = Σ(y0 − R·d)² / ((m − 1)·m·d̄²)`.
    #[inline]
    fn estimate(&self) -> (f64, f64) {
        let r = self.sy / self.sd;
        let resid = (self.syy - 2.0 * r * self.syd + r * r * self.sdd).max(0.0);
        let dbar = self.sd / self.m;
        (r, resid / ((self.m - 1.0) * self.m * dbar * dbar))
    }
}

/// The studentized statistic of control sums `c` and treatment sums `t`.
#[inline]
fn studentized(c: &Sums, t: &Sums) -> f64 {
    let ((rc, vc), (rt, vt)) = (c.estimate(), t.estimate());
    let diff = rt - rc;
    let var = vc + vt;
    if var > 0.0 {
        diff / var.sqrt()
    } else if diff == 0.0 {
        0.0
    } else {
        diff * f64::INFINITY
    }
}

/// Minimum multiplicity for identical units to be drawn as one group: one
/// hypergeometric draw costs about as much as drawing a few hundred units
/// one by one (measured: 128 to 1,024 run alike, 16 five times slower on a
/// ratio metric whose zeros split into many groups by denominator).
const GROUP_MIN: u64 = 256;

/// A group of identical units (same `y`, `d` and original arm).
#[derive(Debug, Clone, Copy)]
struct Group {
    count: u64,
    y0: f64,
    d: f64,
    treated: bool,
}

/// A distinct unit.
#[derive(Debug, Clone, Copy)]
struct Unit {
    y0: f64,
    d: f64,
    treated: bool,
}

/// The pooled units of both arms, ready to be re-randomized.
struct Pool {
    groups: Vec<Group>,
    dense: Vec<Unit>,
    /// Dense units that came from control (they come first in `dense`).
    dense_control: usize,
    /// Whether any denominator differs from 1 (a ratio metric).
    has_d: bool,
    dense_total: [Sums; 2],
    n: u64,
    n_control: u64,
    /// Sums by original arm (0 = control, 1 = treatment), all units.
    total: [Sums; 2],
    /// Pooled ratio the values are centred at.
    center: f64,
}

/// A fast, deterministic hasher for the 128-bit keys of unit values.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ *b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(29) ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u8(&mut self, v: u8) {
        self.write_u64(v as u64);
    }
}

impl Pool {
    /// The pool of two unit lists: units whose `(y, d)` appears at least
    /// [`GROUP_MIN`] times in an arm form a group (groups in order of their
    /// values), the others keep their order.
    fn new(control: &ArmData, treatment: &ArmData) -> Self {
        let arms = [control, treatment];
        let mut counts: HashMap<(u64, u64), [u64; 2], BuildHasherDefault<KeyHasher>> = HashMap::default();
        for (a, arm) in arms.iter().enumerate() {
            for i in 0..arm.len() {
                counts.entry((arm.y[i].to_bits(), arm.d(i).to_bits())).or_default()[a] += 1;
            }
        }
        let grouped = |c: u64| if c >= GROUP_MIN { c } else { 0 };
        let mut groups: Vec<((u64, u64), [u64; 2])> =
            counts.iter().map(|(&k, &[c, t])| (k, [grouped(c), grouped(t)])).filter(|(_, [c, t])| c + t > 0).collect();
        groups.sort_unstable_by_key(|g| g.0);
        let listed = |a: usize| -> Vec<(f64, f64)> {
            let arm = arms[a];
            (0..arm.len())
                .map(|i| (arm.y[i], arm.d(i)))
                .filter(|(y, d)| grouped(counts[&(y.to_bits(), d.to_bits())][a]) == 0)
                .collect()
        };
        let mut pool = Self::from_grouped(&GroupedArms {
            groups: groups.into_iter().map(|((y, d), [c, t])| (f64::from_bits(y), f64::from_bits(d), c, t)).collect(),
            control: listed(0),
            treatment: listed(1),
        });
        pool.has_d = control.d.is_some() || treatment.d.is_some();
        pool
    }

    fn from_grouped(arms: &GroupedArms) -> Self {
        let (mut sy, mut sd) = (0.0, 0.0);
        for &(y, d, c, t) in &arms.groups {
            sy += y * (c + t) as f64;
            sd += d * (c + t) as f64;
        }
        for &(y, d) in arms.control.iter().chain(&arms.treatment) {
            sy += y;
            sd += d;
        }
        let center = if sd != 0.0 { sy / sd } else { 0.0 };
        let mut total = [Sums::default(); 2];
        let mut groups = Vec::new();
        for &(y, d, c, t) in &arms.groups {
            for (count, treated) in [(c, false), (t, true)] {
                if count > 0 {
                    let y0 = y - center * d;
                    total[treated as usize].add(y0, d, count as f64);
                    groups.push(Group { count, y0, d, treated });
                }
            }
        }
        let mut dense = Vec::with_capacity(arms.control.len() + arms.treatment.len());
        let mut dense_total = [Sums::default(); 2];
        for (a, list) in [&arms.control, &arms.treatment].into_iter().enumerate() {
            for &(y, d) in list {
                let y0 = y - center * d;
                total[a].add(y0, d, 1.0);
                dense_total[a].add(y0, d, 1.0);
                dense.push(Unit { y0, d, treated: a == 1 });
            }
        }
        let has_d = arms.groups.iter().any(|g| g.1 != 1.0) || dense.iter().any(|u| u.d != 1.0);
        let n_control = arms.control.len() as u64 + arms.groups.iter().map(|g| g.2).sum::<u64>();
        Self {
            groups,
            dense_control: arms.control.len(),
            has_d,
            n: total[0].m as u64 + total[1].m as u64,
            n_control,
            dense,
            dense_total,
            total,
            center,
        }
    }

    /// One re-randomization: the sums of the units it puts in control,
    /// split by their original arm. `scratch` must hold the identity
    /// permutation of the dense units and is restored before returning.
    fn draw(&self, rng: &mut LiftRng, scratch: &mut [u32], swaps: &mut Vec<u32>) -> [Sums; 2] {
        let mut out = [Sums::default(); 2];
        let (mut pop, mut need) = (self.n, self.n_control);
        for g in &self.groups {
            let k = if need == 0 {
                0
            } else if need == pop {
                g.count
            } else {
                hypergeometric(rng, pop, g.count, need)
            };
            out[g.treated as usize].add(g.y0, g.d, k as f64);
            pop -= g.count;
            need -= k;
        }
        let k_dense = self.dense.len();
        debug_assert_eq!(pop as usize, k_dense);
        let need = need as usize;
        // Draw the smaller side; the other is the complement.
        let (take, complement) = if 2 * need <= k_dense { (need, false) } else { (k_dense - need, true) };
        let picked = if take * 10 >= k_dense * 3 {
            self.draw_by_bits(rng, take, swaps)
        } else {
            self.draw_by_shuffle(rng, take, scratch, swaps)
        };
        for a in 0..2 {
            let dense = if complement { self.dense_total[a].minus(picked[a]) } else { picked[a] };
            out[a] = out[a].plus(dense);
        }
        out
    }

    /// `take` distinct units by a partial Fisher–Yates shuffle of
    /// `scratch` (the identity permutation, restored afterwards).
    fn draw_by_shuffle(&self, rng: &mut LiftRng, take: usize, scratch: &mut [u32], swaps: &mut Vec<u32>) -> [Sums; 2] {
        let k_dense = self.dense.len();
        let mut picked = [Sums::default(); 2];
        swaps.clear();
        for j in 0..take {
            let r = j + rng.random_range(0..(k_dense - j) as u32) as usize;
            scratch.swap(j, r);
            swaps.push(r as u32);
            let u = &self.dense[scratch[j] as usize];
            picked[u.treated as usize].add(u.y0, u.d, 1.0);
        }
        for (j, &r) in swaps.iter().enumerate().rev() {
            scratch.swap(j, r as usize);
        }
        picked
    }

    /// `take` distinct units, for `take` near half of the dense units: each
    /// unit enters on one random bit (probability 1/2), then uniformly
    /// chosen members leave (or non-members join) until exactly `take` are
    /// in. Every step treats the units alike, so the final set is uniform
    /// over the sets of size `take`; the fix-up costs about `√K` draws.
    fn draw_by_bits(&self, rng: &mut LiftRng, take: usize, bits: &mut Vec<u32>) -> [Sums; 2] {
        let k = self.dense.len();
        let kc = self.dense_control;
        // One bit per unit, each arm's units from bit 0 of its own words.
        let words = |n: usize| n.div_ceil(32);
        let (wc, wt) = (words(kc), words(k - kc));
        bits.clear();
        let mut count = 0usize;
        for (n, w) in [(kc, wc), (k - kc, wt)] {
            for b in 0..w {
                let len = (n - 32 * b).min(32);
                let word = rng.next_u32() & if len == 32 { u32::MAX } else { (1u32 << len) - 1 };
                count += word.count_ones() as usize;
                bits.push(word);
            }
        }
        let (bits_c, bits_t) = bits.split_at_mut(wc);
        let mut picked = [Sums::default(); 2];
        for (a, units, bits) in [(0, &self.dense[..kc], &*bits_c), (1, &self.dense[kc..], &*bits_t)] {
            picked[a] = if self.has_d {
                let mut s = Sums::default();
                for (i, u) in units.iter().enumerate() {
                    s.add(u.y0, u.d, ((bits[i >> 5] >> (i & 31)) & 1) as f64);
                }
                s
            } else {
                // Four accumulators break the floating-point dependency chain.
                let (mut sy, mut syy) = ([0.0f64; 4], [0.0f64; 4]);
                for (block, &word) in units.chunks(32).zip(bits.iter()) {
                    for (j, u) in block.iter().enumerate() {
                        let w = ((word >> j) & 1) as f64;
                        sy[j & 3] += w * u.y0;
                        syy[j & 3] += w * u.y0 * u.y0;
                    }
                }
                let m = bits.iter().map(|w| w.count_ones() as f64).sum::<f64>();
                let (sy, syy) = (sy.iter().sum::<f64>(), syy.iter().sum::<f64>());
                Sums { m, sy, syy, sd: m, sdd: m, syd: sy }
            };
        }
        while count != take {
            let i = rng.random_range(0..k as u32) as usize;
            let (word, bit) = if i < kc { (i >> 5, i & 31) } else { (wc + ((i - kc) >> 5), (i - kc) & 31) };
            let is_member = (bits[word] >> bit) & 1 == 1;
            let u = &self.dense[i];
            let arm = u.treated as usize;
            if count > take && is_member {
                bits[word] &= !(1 << bit);
                picked[arm].add(u.y0, u.d, -1.0);
                count -= 1;
            } else if count < take && !is_member {
                bits[word] |= 1 << bit;
                picked[arm].add(u.y0, u.d, 1.0);
                count += 1;
            }
        }
        picked
    }

    /// The statistic when the units in `in_control` (sums by original arm)
    /// form the control arm, and every originally treated unit's value
    /// becomes `a·y0 + b·d`.
    #[inline]
    fn statistic(&self, in_control: &[Sums; 2], a: f64, b: f64) -> f64 {
        let c = in_control[0].plus(in_control[1].affine(a, b));
        let t = self.total[0].minus(in_control[0]).plus(self.total[1].minus(in_control[1]).affine(a, b));
        studentized(&c, &t)
    }
}

/// How many of a group of `group` units land among `draws` units taken
/// without replacement from `pop`: one hypergeometric draw.
///
/// `rand_distr`'s sampler refuses some large, lopsided parameter sets (its
/// inversion start underflows); the same law is then drawn in an equivalent
/// parametrization (`H(N, K, n) = H(N, n, K)`, and the complement
/// `K − H(N, K, N − n)`), and as a last resort by drawing the smaller of
/// the group and the sample one unit at a time.
fn hypergeometric(rng: &mut LiftRng, pop: u64, group: u64, draws: u64) -> u64 {
    let attempts =
        [(group, draws, false), (draws, group, false), (group, pop - draws, true), (pop - draws, group, true)];
    for (k, n, complement) in attempts {
        if let Ok(h) = Hypergeometric::new(pop, k, n) {
            let x = h.sample(rng);
            return if complement { group - x } else { x };
        }
    }
    // Sequential: draw min(group, draws) marked units one at a time.
    let (marked, taken) = if group <= draws { (group, draws) } else { (draws, group) };
    let (mut hits, mut left, mut want) = (0u64, pop, taken);
    for _ in 0..marked {
        // Each marked unit is among the taken with probability want/left.
        if rng.random_range(0..left) < want {
            hits += 1;
            want -= 1;
        }
        left -= 1;
    }
    hits
}

/// The re-randomization distribution, evaluated for a hypothesised effect.
struct Rerandomizations {
    pool: Pool,
    draws: Vec<[Sums; 2]>,
}

impl Rerandomizations {
    /// One-sided p-values `(upper, lower)` when originally treated values
    /// are mapped to `a·y0 + b·d` (Phipson & Smyth 2010: `(1 + #)/(B + 1)`).
    fn pvalues(&self, a: f64, b: f64) -> (f64, f64, f64) {
        let observed = self.pool.statistic(&[self.pool.total[0], Sums::default()], a, b);
        let tol = 1e-9 * observed.abs().max(1.0);
        let (mut up, mut down) = (0usize, 0usize);
        for s in &self.draws {
            let t = self.pool.statistic(s, a, b);
            // A degenerate draw (NaN) counts as extreme on both sides: conservative.
            if !(t < observed - tol) {
                up += 1;
            }
            if !(t > observed + tol) {
                down += 1;
            }
        }
        let bp1 = (self.draws.len() + 1) as f64;
        (observed, (1 + up) as f64 / bp1, (1 + down) as f64 / bp1)
    }

    /// Maps a hypothesised shift `δ` of the originally treated values
    /// (`y − δ·d`) to the centred affine coefficients.
    fn shift(&self, delta: f64) -> (f64, f64) {
        (1.0, -delta)
    }

    /// Maps a hypothesised log lift `u = ln(1 + r)` (treated values divided
    /// by `e^u`) to the centred affine coefficients.
    fn scale(&self, u: f64) -> (f64, f64) {
        let s = (-u).exp();
        (s, (s - 1.0) * self.pool.center)
    }

    /// The boundary of `{θ : not rejected}` on one side: `rejects(θ)` is
    /// false at `accept` and true far enough in the direction of `step`.
    fn boundary(rejects: impl Fn(f64) -> bool, accept: f64, step: f64) -> Option<f64> {
        if rejects(accept) || !(step.is_finite() && step != 0.0) {
            return None;
        }
        let mut far = None;
        // A 1 − α bound is about two standard errors away.
        let mut w = 2.0 * step;
        for _ in 0..80 {
            let x = accept + w;
            if !x.is_finite() {
                break;
            }
            if rejects(x) {
                far = Some(x);
                break;
            }
            w *= 2.0;
        }
        let (mut inside, mut outside) = (accept, far?);
        for _ in 0..100 {
            let mid = 0.5 * (inside + outside);
            if mid == inside || mid == outside {
                break;
            }
            if rejects(mid) {
                outside = mid;
            } else {
                inside = mid;
            }
            // 1e-7 of a standard error: far below the Monte Carlo error of the bound.
            if (outside - inside).abs() <= 1e-7 * step.abs() {
                break;
            }
        }
        Some(0.5 * (inside + outside))
    }
}

/// Studentized permutation test of `treatment − control`, with intervals for
/// the difference and the relative lift by test inversion.
///
/// # Formula
/// Each arm's estimate is the ratio `R_a = Σy/Σd` (`d = 1` for a plain
/// mean, so `R_a = ȳ_a`) with its delta-method variance
/// `v_a = Σ(y − R_a·d)² / ((n_a − 1)·n_a·d̄_a²)` (`= s_a²/n_a` for a mean), and
/// ```text
/// T = (R_t − R_c) / √(v_t + v_c)             (Welch's t; Deng et al. 2018 for ratios)
/// T*_b = T on re-randomization b = 1..B      (n_c of the pooled units drawn as control)
/// p_upper = (1 + #{T*_b ≥ T}) / (B + 1)      p_lower = (1 + #{T*_b ≤ T}) / (B + 1)
/// p = min(1, 2·min(p_upper, p_lower))
/// ```
/// Intervals invert the two one-sided tests at `α/2` each:
/// - difference: `{δ : p_upper(δ) > α/2 and p_lower(δ) > α/2}`, where the
///   treated units' values become `y − δ·d` (a constant shift);
/// - relative lift: the same in `r`, treated values divided by `1 + r`
///   (a multiplicative effect); needs both estimates positive.
///
/// The boundaries are found by bisection on the same `B` re-randomizations
/// (whose sums are kept, so each evaluation costs O(B)).
///
/// Exact under the sharp null (every unit's value unaffected), for any
/// `n` and any skewness: each one-sided test rejects with probability at
/// most `α/2`, exactly `α/2` when `(B + 1)·α/2` is an integer. Asymptotically
/// valid for equal means with unequal variances and shapes because the
/// statistic is studentized. Matches `scipy.stats.permutation_test((t, c),
/// welch_t, permutation_type="independent")` in distribution (the
/// re-randomizations differ, so values agree within Monte Carlo error).
///
/// Units: `statistic` is unitless; p-values are probabilities; the difference
/// is in metric units, the lift a fraction. Re-randomization `b` draws from
/// stream `(seed, PERMUTATION, b)`: the result is bit-identical for a seed
/// whatever the number of threads. Memory is O(n + B).
///
/// # Errors
/// - [`Error::InvalidParameter`] if `alpha` is not in (0, 1), `resamples`
///   is 0, or a ratio's numerator and denominator differ in length.
/// - [`Error::EmptyArm`] if an arm has fewer than 2 units.
/// - [`Error::Degenerate`] if the observed statistic is undefined (an arm's
///   denominators sum to 0, or both arms are constant).
///
/// # References
/// Chung & Romano (2013), "Exact and asymptotically robust permutation
/// tests", *Annals of Statistics* 41(2), 484–507; Janssen (1997),
/// "Studentized permutation tests for non-i.i.d. hypotheses and the
/// generalized Behrens–Fisher problem", *Statistics & Probability Letters*
/// 36; Phipson & Smyth (2010), "Permutation p-values should never be zero",
/// *Statistical Applications in Genetics and Molecular Biology* 9(1);
/// Ernst (2004), "Permutation methods: a basis for exact inference",
/// *Statistical Science* 19(4) (confidence intervals by inversion).
///
/// ```
/// use liftlab::stats::permutation::{ArmData, PermutationConfig, permutation_test};
/// let c = [0.0, 0.0, 0.0, 10.0, 0.0, 0.0, 30.0, 0.0];
/// let t = [0.0, 20.0, 0.0, 0.0, 0.0, 15.0, 0.0, 0.0, 40.0, 0.0];
/// let r = permutation_test(&ArmData::mean(&c), &ArmData::mean(&t), &PermutationConfig::new(999, 0.05, 7)).unwrap();
/// assert!(r.pvalue > 0.05 && r.pvalue <= 1.0);
/// let (lo, hi) = (r.effect_size_ci_lower.unwrap(), r.effect_size_ci_upper.unwrap());
/// assert!(lo < 2.5 && 2.5 < hi); // contains the observed difference 7.5 − 5
/// ```
pub fn permutation_test(
    control: &ArmData,
    treatment: &ArmData,
    config: &PermutationConfig,
) -> Result<PermutationResult> {
    check_open_unit("alpha", config.alpha)?;
    if config.resamples == 0 {
        return Err(Error::invalid("--permutations", 0, "at least 1 re-randomization (2000 is typical)"));
    }
    crate::limits::check_permutations(config.resamples)?;
    for (arm, data) in [("control", control), ("treatment", treatment)] {
        if let Some(d) = data.d
            && d.len() != data.y.len()
        {
            return Err(Error::invalid(
                "ratio metric",
                format!("{} numerators vs {} denominators", data.y.len(), d.len()),
                "one denominator per unit",
            ));
        }
        if data.len() < 2 {
            return Err(Error::EmptyArm { arm: arm.into(), segment: None, n: data.len() as u64 });
        }
    }
    run(Pool::new(control, treatment), config)
}

/// Two arms given as groups of identical units and lists of the other
/// units: what a caller that already knows which units are exchangeable
/// (a re-randomization loop over a file, say) hands to
/// [`permutation_test_grouped`] without materializing every unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupedArms {
    /// Identical units: `(y, d, units in control, units in treatment)`
    /// (`d = 1` for a plain mean).
    pub groups: Vec<(f64, f64, u64, u64)>,
    /// The other control units, `(y, d)`.
    pub control: Vec<(f64, f64)>,
    /// The other treatment units, `(y, d)`.
    pub treatment: Vec<(f64, f64)>,
}

/// [`permutation_test`] on arms given as [`GroupedArms`]: the same test,
/// the same draws as for the equivalent unit lists whose identical units
/// form the same groups.
///
/// # Errors
/// As [`permutation_test`].
pub fn permutation_test_grouped(arms: &GroupedArms, config: &PermutationConfig) -> Result<PermutationResult> {
    check_open_unit("alpha", config.alpha)?;
    if config.resamples == 0 {
        return Err(Error::invalid("--permutations", 0, "at least 1 re-randomization (2000 is typical)"));
    }
    crate::limits::check_permutations(config.resamples)?;
    let n_c = arms.control.len() as u64 + arms.groups.iter().map(|g| g.2).sum::<u64>();
    let n_t = arms.treatment.len() as u64 + arms.groups.iter().map(|g| g.3).sum::<u64>();
    for (arm, n) in [("control", n_c), ("treatment", n_t)] {
        if n < 2 {
            return Err(Error::EmptyArm { arm: arm.into(), segment: None, n });
        }
    }
    run(Pool::from_grouped(arms), config)
}

/// The test on a built pool.
fn run(pool: Pool, config: &PermutationConfig) -> Result<PermutationResult> {
    let ((_, vc), (_, vt)) = (pool.total[0].estimate(), pool.total[1].estimate());
    if !(vc + vt > 0.0) {
        return Err(Error::Degenerate {
            metric: "permutation test".into(),
            message: "both arms have zero variance (or an arm's denominators sum to 0), so no test is possible".into(),
        });
    }
    let draws: Vec<[Sums; 2]> = (0..config.resamples as u64)
        .into_par_iter()
        .map_init(
            || ((0..pool.dense.len() as u32).collect::<Vec<u32>>(), Vec::new()),
            |(scratch, swaps), b| pool.draw(&mut stream(config.seed, domain::PERMUTATION, b), scratch, swaps),
        )
        .collect();
    let dist = Rerandomizations { pool, draws };
    let (statistic, p_up, p_down) = dist.pvalues(1.0, 0.0);
    if statistic.is_nan() {
        return Err(Error::Degenerate {
            metric: "permutation test".into(),
            message:
                "the studentized difference is undefined (an arm's denominators sum to 0, or both arms are constant)"
                    .into(),
        });
    }
    let half = config.alpha / 2.0;
    let mut result = PermutationResult {
        resamples: config.resamples,
        statistic,
        pvalue: (2.0 * p_up.min(p_down)).min(1.0),
        pvalue_upper: p_up,
        pvalue_lower: p_down,
        effect_size_ci_lower: None,
        effect_size_ci_upper: None,
        rel_effect_size_ci_lower: None,
        rel_effect_size_ci_upper: None,
        distinct_units: dist.pool.dense.len() as u64,
    };
    if !config.intervals {
        return Ok(result);
    }
    // Observed estimates, their SEs, the natural steps of the searches.
    let c = dist.pool.total[0];
    let t = dist.pool.total[1];
    let ((rc0, vc), (rt0, vt)) = (c.estimate(), t.estimate());
    let (rc, rt) = (rc0 + dist.pool.center, rt0 + dist.pool.center);
    let diff = rt - rc;
    let se = (vc + vt).sqrt();
    let rejects_upper = |(a, b): (f64, f64)| dist.pvalues(a, b).1 <= half;
    let rejects_lower = |(a, b): (f64, f64)| dist.pvalues(a, b).2 <= half;
    let step = if se > 0.0 { se } else { diff.abs().max(1e-12) };
    let log_lift = (rc > 0.0 && rt > 0.0).then(|| {
        let se_log = (vt / (rt * rt) + vc / (rc * rc)).sqrt();
        ((rt / rc).ln(), if se_log > 0.0 { se_log.min(1.0) } else { 1e-3 })
    });
    // The four searches are independent: run them side by side. Small
    // shifts leave the treated values looking too high (p_upper small).
    let ((lo, hi), (rel_lo, rel_hi)) = rayon::join(
        || {
            rayon::join(
                || Rerandomizations::boundary(|d| rejects_upper(dist.shift(d)), diff, -step),
                || Rerandomizations::boundary(|d| rejects_lower(dist.shift(d)), diff, step),
            )
        },
        || match log_lift {
            Some((u0, step)) => rayon::join(
                || Rerandomizations::boundary(|u| rejects_upper(dist.scale(u)), u0, -step),
                || Rerandomizations::boundary(|u| rejects_lower(dist.scale(u)), u0, step),
            ),
            None => (None, None),
        },
    );
    result.effect_size_ci_lower = lo;
    result.effect_size_ci_upper = hi;
    result.rel_effect_size_ci_lower = rel_lo.map(f64::exp_m1);
    result.rel_effect_size_ci_upper = rel_hi.map(f64::exp_m1);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Moments, welch};

    fn skewed(n: usize, seed: u64, scale: f64) -> Vec<f64> {
        let mut rng = stream(seed, 99, 0);
        (0..n)
            .map(|_| {
                let u: f64 = rng.random();
                if u < 0.05 { scale * (-(rng.random::<f64>()).ln()).powi(2) * 40.0 } else { 0.0 }
            })
            .collect()
    }

    #[test]
    fn observed_statistic_is_welchs_t() {
        let c = skewed(400, 1, 1.0);
        let t = skewed(900, 2, 1.2);
        let r =
            permutation_test(&ArmData::mean(&c), &ArmData::mean(&t), &PermutationConfig::new(200, 0.05, 1)).unwrap();
        let w = welch(&Moments::from_slices(&c, None).estimate(), &Moments::from_slices(&t, None).estimate(), 0.05)
            .unwrap();
        assert!((r.statistic - w.statistic).abs() < 1e-9 * w.statistic.abs(), "{} vs {}", r.statistic, w.statistic);
        let (lo, hi) = (r.effect_size_ci_lower.unwrap(), r.effect_size_ci_upper.unwrap());
        assert!(lo < w.effect_size && w.effect_size < hi);
        let (rlo, rhi) = (r.rel_effect_size_ci_lower.unwrap(), r.rel_effect_size_ci_upper.unwrap());
        let lift = w.mean_treatment / w.mean_control - 1.0;
        assert!(rlo < lift && lift < rhi, "{rlo} {lift} {rhi}");
        assert!(r.distinct_units < 100, "zeros are grouped: {}", r.distinct_units);
    }

    #[test]
    fn same_seed_same_result_whatever_the_threads() {
        let c = skewed(300, 3, 1.0);
        let t = skewed(2700, 4, 1.0);
        let cfg = PermutationConfig::new(500, 0.05, 11);
        let on = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
                .install(|| permutation_test(&ArmData::mean(&c), &ArmData::mean(&t), &cfg).unwrap())
        };
        assert_eq!(on(1), on(3));
    }

    #[test]
    fn swapping_arms_swaps_the_tails() {
        let c = skewed(500, 5, 1.0);
        let t = skewed(500, 6, 1.5);
        let cfg = PermutationConfig { intervals: false, ..PermutationConfig::new(999, 0.05, 2) };
        let ab = permutation_test(&ArmData::mean(&c), &ArmData::mean(&t), &cfg).unwrap();
        let ba = permutation_test(&ArmData::mean(&t), &ArmData::mean(&c), &cfg).unwrap();
        assert!((ab.statistic + ba.statistic).abs() < 1e-9);
        // Different draws, same law: the tails agree within Monte Carlo error.
        assert!((ab.pvalue_upper - ba.pvalue_lower).abs() < 0.05, "{ab:?} {ba:?}");
    }

    #[test]
    fn a_clear_effect_is_found_and_the_interval_covers_it() {
        let c: Vec<f64> = (0..200).map(|i| (i % 10) as f64).collect();
        let t: Vec<f64> = (0..200).map(|i| (i % 10) as f64 * 1.5).collect();
        let r =
            permutation_test(&ArmData::mean(&c), &ArmData::mean(&t), &PermutationConfig::new(999, 0.05, 3)).unwrap();
        assert_eq!(r.pvalue, 2.0 / 1000.0);
        assert_eq!(r.pvalue_upper, 1.0 / 1000.0);
        let (lo, hi) = (r.rel_effect_size_ci_lower.unwrap(), r.rel_effect_size_ci_upper.unwrap());
        assert!(lo < 0.5 && 0.5 < hi && lo > 0.2 && hi < 0.9, "{lo} {hi}");
    }

    #[test]
    fn ratio_metric_matches_the_delta_method_statistic() {
        let y: Vec<f64> = (0..300).map(|i| if i % 7 == 0 { (i % 13) as f64 * 9.0 } else { 0.0 }).collect();
        let d: Vec<f64> = (0..300).map(|i| 1.0 + (i % 4) as f64).collect();
        let (yc, dc, yt, dt) = (&y[..100], &d[..100], &y[100..], &d[100..]);
        let r =
            permutation_test(&ArmData::ratio(yc, dc), &ArmData::ratio(yt, dt), &PermutationConfig::new(300, 0.05, 4))
                .unwrap();
        let est = |y: &[f64], d: &[f64]| crate::stats::ratio_estimate(&Moments::from_slices(y, Some(d))).unwrap();
        let w = welch(&est(yc, dc), &est(yt, dt), 0.05).unwrap();
        assert!((r.statistic - w.statistic).abs() < 1e-9 * w.statistic.abs().max(1.0));
    }

    #[test]
    fn a_a_rejection_rate_per_tail_is_exact() {
        // 400 datasets drawn from one skewed law, 10/90 split: each tail at α/2.
        let (mut up, mut down) = (0, 0);
        let k = 400;
        for s in 0..k {
            let all = skewed(1000, 100 + s, 1.0);
            let cfg = PermutationConfig { intervals: false, ..PermutationConfig::new(200, 0.05, s) };
            let r = permutation_test(&ArmData::mean(&all[..100]), &ArmData::mean(&all[100..]), &cfg).unwrap();
            up += (r.pvalue < 0.05 && r.statistic > 0.0) as u32;
            down += (r.pvalue < 0.05 && r.statistic < 0.0) as u32;
        }
        // Each tail: 2.5% ± 3 MC SE (0.78%).
        for tail in [up, down] {
            let rate = tail as f64 / k as f64;
            assert!((rate - 0.025).abs() < 3.0 * (0.025f64 * 0.975 / k as f64).sqrt(), "{up} {down}");
        }
    }

    #[test]
    fn grouped_arms_give_the_same_result_as_unit_lists() {
        let c = skewed(300, 21, 1.0);
        let t = skewed(700, 22, 1.0);
        let cfg = PermutationConfig::new(300, 0.05, 5);
        let units = permutation_test(&ArmData::mean(&c), &ArmData::mean(&t), &cfg).unwrap();
        let zeros = |v: &[f64]| v.iter().filter(|y| **y == 0.0).count() as u64;
        let rest = |v: &[f64]| v.iter().filter(|y| **y != 0.0).map(|&y| (y, 1.0)).collect::<Vec<_>>();
        let grouped =
            GroupedArms { groups: vec![(0.0, 1.0, zeros(&c), zeros(&t))], control: rest(&c), treatment: rest(&t) };
        let g = permutation_test_grouped(&grouped, &cfg).unwrap();
        // Same groups, same order, same draws: the same result up to summation order.
        assert!((g.statistic - units.statistic).abs() < 1e-9 * units.statistic.abs().max(1.0));
        assert_eq!((g.pvalue_upper, g.pvalue_lower), (units.pvalue_upper, units.pvalue_lower));
        let empty = GroupedArms { groups: vec![(0.0, 1.0, 1, 5)], ..GroupedArms::default() };
        assert!(matches!(permutation_test_grouped(&empty, &cfg), Err(Error::EmptyArm { .. })));
    }

    #[test]
    fn bad_input_is_an_error() {
        let a = [1.0, 2.0, 3.0];
        let cfg = PermutationConfig::new(10, 0.05, 1);
        assert!(matches!(
            permutation_test(&ArmData::mean(&a[..1]), &ArmData::mean(&a), &cfg),
            Err(Error::EmptyArm { .. })
        ));
        assert!(permutation_test(&ArmData::mean(&a), &ArmData::mean(&a), &PermutationConfig::new(0, 0.05, 1)).is_err());
        let flat = [2.0; 4];
        assert!(matches!(
            permutation_test(&ArmData::mean(&flat), &ArmData::mean(&flat), &cfg),
            Err(Error::Degenerate { .. })
        ));
        assert!(permutation_test(&ArmData::ratio(&a, &a[..2]), &ArmData::mean(&a), &cfg).is_err());
    }
}
