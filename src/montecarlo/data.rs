//! Monte Carlo power on a table of real units: randomize its rows into
//! control and treatment again and again, add a known lift to the
//! treatment, and count how often the analysis sees it — the A/A test an
//! analyst runs on historical data before trusting a metric.

use std::collections::HashMap;

use rand::Rng;
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use serde::Serialize;

use super::{
    DefaultTest, Method, MetricPower, Outcome, PowerConfig, PowerMethods, outcome, permutation_seed,
    summarize_outcomes, test, with_permutation,
};
use crate::error::{Error, Result, check_alpha, check_open_unit};
use crate::io::UnitTable;
use crate::rng::{LiftRng, domain, stream};
use crate::stats::skew::{ratio_skewness, skewness};
use crate::stats::{GroupedArms, Moments, PermutationConfig, permutation_test_grouped};

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
    /// Tests simulated beside the normal-theory ones.
    pub methods: PowerMethods,
    /// The test `analyze` would use by default for each metric (plain
    /// means and ratios), from the whole column's skewness and the expected
    /// arm sizes.
    pub default_tests: Vec<DefaultTest>,
    /// One row per metric and method, a metric's methods together.
    pub metrics: Vec<MetricPower>,
}

/// A value pair `(y, x)` shared by at least this many rows of a column is
/// drawn as one group (one binomial draw) rather than row by row.
const MIN_GROUP: usize = 64;

/// Replicates a worker runs together, column by column and a block of rows
/// at a time ([`BLOCK`]), so that the rows stay in cache across them.
/// Results do not depend on it.
const BATCH: usize = 8;

/// Control-arm sums of one column: `n, Σy, Σy², Σx, Σx², Σxy` (centered).
type Sums = [f64; 6];

/// The sums one row with centered values `(y, x)` contributes.
fn unit_sums(y: f64, x: f64) -> Sums {
    [1.0, y, y * y, x, x * x, x * y]
}

/// Rows of a column that share one value pair `(y, x)`: exchangeable, so
/// only how many of them go to control matters.
struct Group {
    /// Sums of one row of the group (centered).
    unit: Sums,
    /// Rows going to control: Binomial(size, holdout).
    draw: Binomial,
}

/// One metric's values, centered for accurate sums: the value pairs shared
/// by at least [`MIN_GROUP`] rows as groups, the other rows one by one.
struct Column {
    groups: Vec<Group>,
    /// The sums of each row in no group ([`unit_sums`]), in row order.
    rows: Vec<Sums>,
    /// Sums over all rows.
    total: Sums,
    center: (f64, f64),
    methods: Vec<(String, Method)>,
    /// Index of the metric in the table (rows of one metric are reported
    /// together).
    metric: usize,
    /// For the permutation test: the values themselves.
    values: Option<Values>,
}

/// The original `(y, x)` values of a column: of each group, with its size,
/// and of each row in no group, in row order.
struct Values {
    groups: Vec<(f64, f64, u64)>,
    rows: Vec<(f64, f64)>,
}

/// Where one re-randomization put a column's rows: each group's control
/// count, and one bit per row in no group (bit `k` of byte `c` for row
/// `8c + k`), set for control.
struct Assignment {
    counts: Vec<u64>,
    mask: Vec<u8>,
}

impl Column {
    /// `keep_values`: also keep the values (for the permutation test),
    /// and group only pairs shared by [`super::PERMUTATION_GROUP`] rows.
    fn new(y: &[f64], x: Option<&[f64]>, holdout: f64, keep_values: bool) -> Self {
        let min_group = if keep_values { super::PERMUTATION_GROUP as usize } else { MIN_GROUP };
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (cy, cx) = (mean(y), x.map_or(0.0, mean));
        let xi = |i: usize| x.map_or(0.0, |x| x[i]);
        let key = |i: usize| (y[i].to_bits(), xi(i).to_bits());
        // Rows per exact value pair, and the first row of each pair.
        let mut count: HashMap<(u64, u64), (usize, usize), PairHash> = HashMap::default();
        for i in 0..y.len() {
            count.entry(key(i)).or_insert((0, i)).0 += 1;
        }
        let mut shared: Vec<(usize, usize)> = count.values().copied().filter(|&(n, _)| n >= min_group).collect();
        // Row order, not hash order: the same file gives the same draws.
        shared.sort_unstable_by_key(|&(_, first)| first);
        let groups: Vec<Group> = shared
            .iter()
            .map(|&(n, first)| Group {
                unit: unit_sums(y[first] - cy, xi(first) - cx),
                draw: Binomial::new(n as u64, holdout).expect("holdout checked to be in (0, 1)"),
            })
            .collect();
        let rows: Vec<Sums> =
            (0..y.len()).filter(|&i| count[&key(i)].0 < min_group).map(|i| unit_sums(y[i] - cy, xi(i) - cx)).collect();
        let mut lanes = Lanes::default();
        add_rows(&mut lanes, &rows, || u8::MAX);
        let mut total = lanes.sum();
        for (g, &(n, _)) in groups.iter().zip(&shared) {
            add_scaled(&mut total, &g.unit, n as f64);
        }
        // The permutation test's `d`: the denominator, or 1 for a mean.
        let di = |i: usize| x.map_or(1.0, |x| x[i]);
        let values = keep_values.then(|| Values {
            groups: shared.iter().map(|&(n, first)| (y[first], di(first), n as u64)).collect(),
            rows: (0..y.len()).filter(|&i| count[&key(i)].0 < min_group).map(|i| (y[i], di(i))).collect(),
        });
        Self { groups, rows, total, center: (cy, cx), methods: Vec::new(), metric: 0, values }
    }

    /// Control-arm sums of one re-randomization per generator in `rngs`:
    /// each draws one Bernoulli per row outside the groups, in row order,
    /// then one binomial per group. Replicates are swept together a block
    /// of rows at a time (the block stays in cache); each one's draws and
    /// sums are as if it ran alone.
    #[cfg(test)]
    fn control_sums(&self, coin: &Coin, rngs: &mut [LiftRng]) -> Vec<Sums> {
        self.draw(coin, rngs).into_iter().map(|d| d.0).collect()
    }

    /// [`Column::control_sums`], and where the rows went when the column
    /// keeps its values (the same draws either way).
    fn draw(&self, coin: &Coin, rngs: &mut [LiftRng]) -> Vec<(Sums, Option<Assignment>)> {
        let mut lanes = vec![Lanes::default(); rngs.len()];
        let record = self.values.is_some();
        let mut masks: Vec<Vec<u8>> =
            rngs.iter().map(|_| Vec::with_capacity(if record { self.rows.len().div_ceil(8) } else { 0 })).collect();
        for block in self.rows.chunks(BLOCK) {
            for ((l, rng), mask) in lanes.iter_mut().zip(rngs.iter_mut()).zip(&mut masks) {
                // A local copy keeps the generator's state in registers.
                let mut local = rng.clone();
                if record {
                    add_rows(l, block, || {
                        let bits = coin.flip8(&mut local);
                        mask.push(bits);
                        bits
                    });
                } else {
                    add_rows(l, block, || coin.flip8(&mut local));
                }
                *rng = local;
            }
        }
        lanes
            .iter()
            .zip(rngs)
            .zip(masks)
            .map(|((l, rng), mask)| {
                let mut s = l.sum();
                let mut counts = Vec::with_capacity(if record { self.groups.len() } else { 0 });
                for g in &self.groups {
                    let c = g.draw.sample(rng);
                    add_scaled(&mut s, &g.unit, c as f64);
                    if record {
                        counts.push(c);
                    }
                }
                (s, record.then_some(Assignment { counts, mask }))
            })
            .collect()
    }

    /// The two arms of a re-randomization as [`GroupedArms`] for the
    /// permutation test (`x` is the denominator `d` of a ratio column, 1 for
    /// a mean), the treatment's numerators multiplied by `factor` (`1 +
    /// lift`; the treated part of a group becomes a group of its own).
    fn arms(&self, a: &Assignment, factor: f64) -> GroupedArms {
        let v = self.values.as_ref().expect("a permutation column keeps its values");
        let mut arms = GroupedArms::default();
        for (&(y, d, n), &c) in v.groups.iter().zip(&a.counts) {
            if factor == 1.0 {
                arms.groups.push((y, d, c, n - c));
            } else {
                arms.groups.push((y, d, c, 0));
                arms.groups.push((y * factor, d, 0, n - c));
            }
        }
        for (i, &(y, d)) in v.rows.iter().enumerate() {
            if (a.mask[i >> 3] >> (i & 7)) & 1 == 1 {
                arms.control.push((y, d));
            } else {
                arms.treatment.push((y * factor, d));
            }
        }
        arms
    }
}

/// Rows swept per replicate at a time (a multiple of 8): 48 KB of sums.
const BLOCK: usize = 1024;

/// Sums accumulated in four interleaved lanes (row `i` in lane `i % 4`),
/// added in a fixed order by [`Lanes::sum`].
#[derive(Debug, Clone, Copy, Default)]
struct Lanes([Sums; 4]);

impl Lanes {
    fn sum(&self) -> Sums {
        let l = &self.0;
        std::array::from_fn(|j| (l[0][j] + l[1][j]) + (l[2][j] + l[3][j]))
    }
}

/// Adds the rows whose bit is set, rows `8c..8c + 8` by the `c`-th call of
/// `mask` (bit `k` for row `8c + k`; bits past the last row are ignored).
/// `rows` must start at a row index that is a multiple of 8.
#[inline]
fn add_rows(lanes: &mut Lanes, rows: &[Sums], mut mask: impl FnMut() -> u8) {
    let chunks = rows.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        let w = &WEIGHTS[usize::from(mask())];
        for (k, row) in chunk.iter().enumerate() {
            let lane = &mut lanes.0[k & 3];
            for j in 0..6 {
                lane[j] += w[k] * row[j];
            }
        }
    }
    if !rest.is_empty() {
        let w = &WEIGHTS[usize::from(mask())];
        for (k, row) in rest.iter().enumerate() {
            let lane = &mut lanes.0[k & 3];
            for j in 0..6 {
                lane[j] += w[k] * row[j];
            }
        }
    }
}

/// `s += f · v`.
fn add_scaled(s: &mut Sums, v: &Sums, f: f64) {
    for (s, v) in s.iter_mut().zip(v) {
        *s += f * v;
    }
}

/// Bernoulli draws, control with probability `t / 2⁶⁴` (`t` = ⌊holdout·2⁶⁴⌋),
/// eight from one 64-bit word.
///
/// A row goes to control when its uniform `U ∈ [0, 2⁶⁴)` is below `t`. `U`'s
/// top byte `b` is compared with `t`'s top byte `b_t`: `b < b_t` is control,
/// `b > b_t` treatment, and only on a tie (probability 1/256) are the 56
/// lower bits drawn and compared with `t`'s. So `P(control) = t / 2⁶⁴`
/// exactly, as with one 64-bit draw per row.
#[derive(Debug, Clone, Copy)]
struct Coin {
    top: u8,
    low: u64,
}

impl Coin {
    fn new(holdout: f64) -> Self {
        let t = (holdout * 2f64.powi(64)) as u64;
        Self { top: (t >> 56) as u8, low: t & ((1 << 56) - 1) }
    }

    /// Eight draws: bit `k` set when row `k` goes to control.
    #[inline(always)]
    fn flip8(&self, rng: &mut LiftRng) -> u8 {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = ONES << 7;
        let a = rng.next_u64();
        let t = ONES * u64::from(self.top);
        // Per byte, without carries between bytes (SWAR): the high bit of
        // `d` is set when the low 7 bits of `a` are ≥ those of `t`, so the
        // high bit of `lt` is set when the byte of `a` is below `t`'s.
        let d = (a | HIGH) - (t & !HIGH);
        let lt = ((!a & t) | (!(a ^ t) & !d)) & HIGH;
        // Gather the eight high bits: byte `k` to bit `k`.
        let mut bits = ((lt >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8;
        // Rarely (a zero byte of `a ^ t`), a byte ties with `t`'s top byte.
        let v = a ^ t;
        if v.wrapping_sub(ONES) & !v & HIGH != 0 {
            bits |= self.ties(a, rng);
        }
        bits
    }

    /// The bytes of `a` that tie with the top byte and whose 56 lower bits,
    /// drawn now, fall below `t`'s.
    #[cold]
    #[inline(never)]
    fn ties(&self, a: u64, rng: &mut LiftRng) -> u8 {
        let mut bits = 0;
        for (k, b) in a.to_le_bytes().into_iter().enumerate() {
            if b == self.top && (rng.next_u64() >> 8) < self.low {
                bits |= 1 << k;
            }
        }
        bits
    }

    /// [`Coin::flip8`] the plain way, one byte at a time (for tests).
    #[cfg(test)]
    fn flip8_bytewise(&self, rng: &mut LiftRng) -> u8 {
        let mut bits = 0;
        for (k, b) in rng.next_u64().to_le_bytes().into_iter().enumerate() {
            let (below, tie) = (b < self.top, b == self.top);
            if below || (tie && (rng.next_u64() >> 8) < self.low) {
                bits |= 1 << k;
            }
        }
        bits
    }
}

/// `WEIGHTS[m][k]` is bit `k` of `m` as 0.0 or 1.0.
static WEIGHTS: [[f64; 8]; 256] = {
    let mut w = [[0.0; 8]; 256];
    let mut m = 0;
    while m < 256 {
        let mut k = 0;
        while k < 8 {
            if m >> k & 1 == 1 {
                w[m][k] = 1.0;
            }
            k += 1;
        }
        m += 1;
    }
    w
};

/// A cheap hasher for pairs of bit patterns (multiply-rotate mixing; the
/// keys are a file's values, not adversarial).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PairHash;

impl std::hash::BuildHasher for PairHash {
    type Hasher = PairHasher;
    fn build_hasher(&self) -> PairHasher {
        PairHasher(0)
    }
}

pub(super) struct PairHasher(u64);

impl std::hash::Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(23) ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

fn moments(s: &Sums, center: (f64, f64)) -> Result<Moments> {
    Ok(Moments::from_sums(s[0] as u64, s[1], s[2], s[3], s[4], s[5])?.shifted(center.0, center.1))
}

/// Re-randomizes the rows of `table` `config.replicates` times and reports,
/// for every metric (Welch; delta method for `NUM/DEN` ratio metrics; CUPED
/// too when the table has a covariate; the studentized permutation test as
/// `methods` asks), the A/A false-positive rate (in total and per tail) and
/// the power, coverage and bias for a true relative lift `lift` added to
/// the treatment's values.
///
/// # Formula
/// Replicate `r` assigns each row to control with probability `holdout`,
/// independently, so arm sizes vary as in a real test. The A/A test
/// compares the two arms as they are; the A/B test multiplies the
/// treatment's metric values by `1 + lift` (numerators of ratio metrics;
/// denominators and covariates unchanged), so the true relative lift is
/// exactly `lift`. Shares and their Monte Carlo SEs as in
/// [`super::monte_carlo_power_with`].
///
/// Each normal-theory test needs only its column's control sums `S = Σ
/// c_i·v_i` of `v_i = (1, y_i, y_i², x_i, x_i², x_i·y_i)` (`x`: the
/// denominator or the covariate; values centered on the column means, so
/// the sums do not cancel), the treatment's being the totals minus `S`.
/// Rows with the same `(y, x)` are exchangeable: a pair shared by `g ≥ 64`
/// rows (e.g. the zeros of a zero-inflated metric) adds `C·v` with `C ~
/// Binomial(g, holdout)`, the distribution of the sum of its rows' `c_i`;
/// every other row draws its own `c_i ~ Bernoulli(holdout)`. Arm statistics
/// come from [`Moments::from_sums`].
///
/// The permutation row "`metric` (permutation)" of a plain mean or ratio
/// metric (not CUPED) runs when `methods.method` is `permutation`, or
/// `auto` and `analyze` would choose the permutation test: decided once for
/// the table, as the rows are one population, from the whole column's
/// skewness `γ` (of `y`, or of the linearization `y − R·d` for a ratio) and
/// the expected arm sizes `n_c = holdout·N`, `n_t = (1 − holdout)·N`:
/// permutation when `min(n_c, n_t) < 355·γ²` ([`DefaultTest`]). Its column
/// is re-randomized as above (pairs grouped from 256 rows rather than 64:
/// each group costs the permutation test a hypergeometric draw per
/// re-randomization), keeping each group's control count `C` and
/// which other rows went to control; the arms are handed to
/// [`permutation_test_grouped`] as groups `(y, d, C, g − C)` and lists of
/// the other rows (original values; the A/B twin's treated numerators times
/// `1 + lift`), with `methods.permutations` re-randomizations, intervals
/// only for the A/B twin of a nonzero lift. Its estimate, SE and bias are
/// those of the Welch / delta row; its p-value, interval and tail
/// (`pvalue_upper < pvalue_lower`: treatment above) the permutation test's.
///
/// The draws of replicate `r` come from stream `(seed, REPLICATE, r)`,
/// column after column (permutation columns after all others, so they do
/// not change the other rows' draws), so each column is re-randomized
/// independently of the others within a replicate. Every reported quantity
/// is per metric and method, so each row's results are those of
/// independent re-randomizations, exactly as with one assignment shared by
/// all; only the correlation between rows' results within a replicate,
/// which nothing reports, differs. Permutation test `j` of replicate `r` is
/// seeded from `(seed, r, j)`. Output is bit-identical for a seed whatever
/// the number of threads.
///
/// # References
/// Kohavi, Tang & Xu (2020), *Trustworthy Online Controlled Experiments*,
/// ch. 19 (A/A tests on historical data); Kohavi, Deng, Longbotham & Xu
/// (2014), "Seven rules of thumb for web site experimenters", KDD, rule 7
/// (`n ≥ 355·γ²`); Chung & Romano (2013), "Exact and asymptotically robust
/// permutation tests", *Annals of Statistics* 41(2).
///
/// # Errors
/// [`Error::InvalidParameter`] for fewer than 10 replicates, α or the
/// holdout outside (0, 1), `lift ≤ −1` or no permutations, or permutation
/// tests above [`crate::limits::MAX_PERMUTED_UNITS`];
/// [`Error::EmptyArm`] or [`Error::Degenerate`] (the first replicate's)
/// only if every replicate of every row is degenerate: a replicate that
/// leaves an arm with fewer than 2 units, or a metric without variance in
/// an arm, is counted in [`MetricPower::degenerate`] and left out of that
/// row's rates.
pub fn data_power(
    table: &UnitTable,
    holdout: f64,
    lift: f64,
    config: &PowerConfig,
    methods: &PowerMethods,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<DataPowerReport> {
    check_alpha(config.alpha)?;
    check_open_unit("--holdout", holdout)?;
    methods.check()?;
    if config.replicates < 10 {
        return Err(Error::invalid("--replicates", config.replicates, "at least 10 simulated tests"));
    }
    if !(lift > -1.0) || !lift.is_finite() {
        return Err(Error::invalid("--lift", lift, "a relative lift above -1 (e.g. 0.03)"));
    }
    let n = table.n_rows() as f64;
    let default_tests: Vec<DefaultTest> = (0..table.metrics.len())
        .into_par_iter()
        .map(|j| {
            let y = table.metrics[j].as_slice().expect("contiguous");
            let g = match &table.denominators[j] {
                Some(d) => ratio_skewness(y, d.as_slice().expect("contiguous")),
                None => skewness(y),
            };
            DefaultTest::new(&table.metric_names[j], (g, holdout * n), (g, (1.0 - holdout) * n))
        })
        .collect();
    let mut columns: Vec<Column> = (0..table.metrics.len())
        .into_par_iter()
        .map(|j| {
            let name = &table.metric_names[j];
            let y = table.metrics[j].as_slice().expect("contiguous");
            let mut c = match (&table.denominators[j], &table.covariate) {
                (Some(d), _) => {
                    let mut c = Column::new(y, d.as_slice(), holdout, false);
                    c.methods.push((format!("{name} (delta)"), Method::Ratio));
                    c
                }
                (None, cov) => {
                    let mut c = Column::new(y, cov.as_ref().and_then(|x| x.as_slice()), holdout, false);
                    c.methods.push((format!("{name} (Welch)"), Method::Mean));
                    if cov.is_some() {
                        c.methods.push((format!("{name} (CUPED)"), Method::Cuped));
                    }
                    c
                }
            };
            c.metric = j;
            c
        })
        .collect();
    // Permutation columns last: the other columns' draws stay as without them.
    let permuted: Vec<Column> = (0..table.metrics.len())
        .filter(|&j| methods.runs_permutation(default_tests[j].method))
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|j| {
            let y = table.metrics[j].as_slice().expect("contiguous");
            let d = table.denominators[j].as_ref().map(|d| d.as_slice().expect("contiguous"));
            let mut c = Column::new(y, d, holdout, true);
            let method = Method::Permutation { ratio: d.is_some() };
            c.methods.push((format!("{} (permutation)", table.metric_names[j]), method));
            c.metric = j;
            c
        })
        .collect();
    // Each permuted column is re-randomized B times in the A/A test and its A/B twin.
    crate::limits::check_permutation_work(
        "--permutations and --replicates",
        2.0 * config.replicates as f64 * permuted.len() as f64 * methods.permutations as f64,
        n,
    )?;
    columns.extend(permuted);
    let coin = Coin::new(holdout);
    let k = config.replicates;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let perm_config =
        |seed, intervals| PermutationConfig { resamples: methods.permutations, alpha: config.alpha, seed, intervals };
    // The first (lowest-numbered) degenerate replicate's error: the message
    // when every replicate is degenerate, the same whatever the threads.
    let first_degenerate: std::sync::Mutex<Option<(usize, Error)>> = std::sync::Mutex::new(None);
    let degenerate = |r: usize, e: Error| -> Result<Outcome> {
        match e {
            Error::Degenerate { .. } | Error::EmptyArm { .. } => {
                let mut first = first_degenerate.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if first.as_ref().is_none_or(|(r0, _)| r < *r0) {
                    *first = Some((r, e));
                }
                Ok(Outcome::DEGENERATE)
            }
            other => Err(other),
        }
    };
    // One replicate: its control sums, column after column from its stream.
    // An analysis that is impossible in this replicate (an arm under 2 units,
    // no variance) is a degenerate outcome, counted and left out of the rates.
    let replicate = |r: usize, draws: &[(Sums, Option<Assignment>)]| -> Result<Vec<Outcome>> {
        let mut out = Vec::new();
        for (j, (col, (sc, assignment))) in columns.iter().zip(draws).enumerate() {
            let st: Sums = std::array::from_fn(|i| col.total[i] - sc[i]);
            let arms = || -> Result<(Moments, Moments)> {
                for (arm, n) in [("control", sc[0]), ("treatment", st[0])] {
                    if n < 2.0 {
                        return Err(Error::EmptyArm { arm: arm.into(), segment: None, n: n as u64 });
                    }
                }
                Ok((moments(sc, col.center)?, moments(&st, col.center)?))
            };
            let (mc, mt) = match arms() {
                Ok(m) => m,
                Err(e) => {
                    let d = degenerate(r, e)?;
                    out.extend(std::iter::repeat_n(d, col.methods.len()));
                    continue;
                }
            };
            let mt_ab = mt.scaled_y(1.0 + lift);
            // A split can leave an arm without a single non-zero value when
            // the file has few: say so, with what would help.
            let context = |e: Error| match e {
                Error::Degenerate { message, .. } => Error::Degenerate {
                    metric: format!("{} in re-randomization {r}", col.methods[0].0),
                    message: format!(
                        "{message}; the file has too few non-zero values for a {} control share: use a larger \
                         --holdout, more rows, or a metric with more non-zero values",
                        crate::report::format::pct_short(holdout)
                    ),
                },
                other => other,
            };
            for &(_, method) in &col.methods {
                let analysed = || -> Result<Outcome> {
                    let aa = test(&mc, &mt, method, config.alpha).map_err(context)?;
                    // With no lift the A/B twin is the A/A test itself.
                    let ab = if lift == 0.0 { aa } else { test(&mc, &mt_ab, method, config.alpha).map_err(context)? };
                    let (ab, aa) = match (method, assignment) {
                        (Method::Permutation { .. }, Some(a)) => {
                            let seed = permutation_seed(config.seed, r as u64, j as u64);
                            let p_aa = permutation_test_grouped(&col.arms(a, 1.0), &perm_config(seed, false))?;
                            let aa = with_permutation(&aa, &p_aa, config.alpha, false);
                            let ab = if lift == 0.0 {
                                aa
                            } else {
                                let p_ab =
                                    permutation_test_grouped(&col.arms(a, 1.0 + lift), &perm_config(seed, true))?;
                                with_permutation(&ab, &p_ab, config.alpha, true)
                            };
                            (ab, aa)
                        }
                        _ => (ab, aa),
                    };
                    Ok(outcome(&ab, &aa, lift, lift, config.alpha))
                };
                out.push(analysed().or_else(|e| degenerate(r, e))?);
            }
        }
        progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, k);
        Ok(out)
    };
    let outcomes: Vec<Vec<Outcome>> = (0..k.div_ceil(BATCH))
        .into_par_iter()
        .map(|b| -> Result<Vec<Vec<Outcome>>> {
            let reps = b * BATCH..k.min((b + 1) * BATCH);
            let mut rngs: Vec<LiftRng> =
                reps.clone().map(|r| stream(config.seed, domain::REPLICATE, r as u64)).collect();
            // draws[i][j]: replicate i of the batch, column j; a column at a
            // time, so its values stay in cache over the batch.
            let mut draws: Vec<Vec<(Sums, Option<Assignment>)>> =
                (0..rngs.len()).map(|_| Vec::with_capacity(columns.len())).collect();
            for col in &columns {
                for (s, c) in draws.iter_mut().zip(col.draw(&coin, &mut rngs)) {
                    s.push(c);
                }
            }
            reps.zip(&draws).map(|(r, d)| replicate(r, d)).collect()
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let rows = columns.iter().flat_map(|c| c.methods.iter().map(move |m| (c.metric, m.0.clone())));
    let mut metrics: Vec<(usize, MetricPower)> = rows
        .enumerate()
        .map(|(m, (metric, name))| {
            let col: Vec<Outcome> = outcomes.iter().map(|o| o[m]).collect();
            // The truth is `lift` in every replicate, exactly.
            (metric, MetricPower { true_lift: lift, ..summarize_outcomes(&name, &col, config.alpha) })
        })
        .collect();
    if metrics.iter().all(|m| m.1.degenerate == k) {
        let first = first_degenerate.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        return Err(first.map(|(_, e)| e).expect("every replicate degenerate: one error recorded"));
    }
    // A metric's rows together (stable: its permutation row last).
    metrics.sort_by_key(|m| m.0);
    Ok(DataPowerReport {
        file: table.path.display().to_string(),
        units: table.n_rows() as u64,
        holdout,
        lift,
        config: config.clone(),
        methods: *methods,
        default_tests,
        metrics: metrics.into_iter().map(|m| m.1).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::MethodChoice;
    use crate::io::{ColumnSpec, read_units};

    fn table(dir: &tempfile::TempDir) -> UnitTable {
        table_with(dir, Some("pre"))
    }

    fn table_with(dir: &tempfile::TempDir, covariate: Option<&str>) -> UnitTable {
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
            covariate: covariate.map(Into::into),
            segment: None,
        };
        read_units(&path, &spec).unwrap()
    }

    /// The A/A rejection rate of each metric, the plain way: one 64-bit
    /// draw per row shared by all metrics, arms' statistics straight from
    /// the rows ([`Moments::from_slices`]).
    fn brute_force_aa_rates(t: &UnitTable, holdout: f64, k: u64, alpha: f64) -> Vec<f64> {
        let threshold = (holdout * 2f64.powi(64)) as u64;
        let mut rejections = Vec::new();
        for r in 0..k {
            let mut rng = stream(99, 999, r);
            let control: Vec<bool> = (0..t.n_rows()).map(|_| rng.next_u64() < threshold).collect();
            let mut m = 0;
            for j in 0..t.metrics.len() {
                let y = t.metrics[j].as_slice().unwrap();
                let x = t.denominators[j].as_ref().or(t.covariate.as_ref()).map(|x| x.as_slice().unwrap());
                let methods: &[Method] = match (&t.denominators[j], &t.covariate) {
                    (Some(_), _) => &[Method::Ratio],
                    (None, Some(_)) => &[Method::Mean, Method::Cuped],
                    (None, None) => &[Method::Mean],
                };
                let arm = |c: bool| {
                    let pick = |v: &[f64]| -> Vec<f64> {
                        v.iter().zip(&control).filter(|p| *p.1 == c).map(|p| *p.0).collect()
                    };
                    let xs = x.map(pick);
                    Moments::from_slices(&pick(y), xs.as_deref())
                };
                let (mc, mt) = (arm(true), arm(false));
                for &method in methods {
                    if rejections.len() == m {
                        rejections.push(0u64);
                    }
                    rejections[m] += u64::from(test(&mc, &mt, method, alpha).unwrap().pvalue < alpha);
                    m += 1;
                }
            }
        }
        rejections.iter().map(|&n| n as f64 / k as f64).collect()
    }

    #[test]
    fn grouped_sampler_matches_brute_force_within_mc_error() {
        let dir = tempfile::tempdir().unwrap();
        for covariate in [Some("pre"), None] {
            let t = table_with(&dir, covariate);
            let k = 2000;
            let cfg = PowerConfig { replicates: k, alpha: 0.05, seed: 5 };
            let grouped = data_power(&t, 0.3, 0.0, &cfg, &PowerMethods::normal_only(), &|_, _| {}).unwrap();
            let brute = brute_force_aa_rates(&t, 0.3, k as u64, 0.05);
            assert_eq!(grouped.metrics.len(), brute.len());
            for (g, &b) in grouped.metrics.iter().zip(&brute) {
                let se = (g.aa_false_positive_rate_se.powi(2) + (b * (1.0 - b) / k as f64)).sqrt();
                assert!((g.aa_false_positive_rate - b).abs() < 4.0 * se, "{g:?} vs brute force {b}");
                let tails = g.aa_false_positive_rate_upper + g.aa_false_positive_rate_lower;
                assert!((tails - g.aa_false_positive_rate).abs() < 1e-12, "{g:?}");
            }
        }
    }

    #[test]
    fn grouped_control_sums_have_the_brute_force_mean_and_variance() {
        // Each control sum S = Σ_i c_i v_i over independent c_i ~ Bernoulli(h):
        // E S = h Σ v_i and Var S = h(1 − h) Σ v_i², however the rows are grouped.
        let dir = tempfile::tempdir().unwrap();
        let t = table(&dir);
        let (h, k) = (0.3, 4000);
        let coin = Coin::new(h);
        for j in 0..2 {
            let y = t.metrics[j].as_slice().unwrap();
            let x = t.denominators[j].as_ref().or(t.covariate.as_ref()).unwrap().as_slice().unwrap();
            let col = Column::new(y, Some(x), h, false);
            assert!(!col.groups.is_empty() && !col.rows.is_empty(), "both paths exercised");
            let mut rngs: Vec<LiftRng> = (0..k).map(|r| stream(5, domain::REPLICATE, r)).collect();
            let draws = col.control_sums(&coin, &mut rngs);
            let (cy, cx) = col.center;
            let all: Vec<Sums> = y.iter().zip(x).map(|(y, x)| unit_sums(y - cy, x - cx)).collect();
            for c in 0..6 {
                let (s1, s2) = all.iter().fold((0.0, 0.0), |(a, b), v| (a + v[c], b + v[c] * v[c]));
                let (mean, var) = (h * s1, h * (1.0 - h) * s2);
                let m = draws.iter().map(|d| d[c]).sum::<f64>() / k as f64;
                let v = draws.iter().map(|d| (d[c] - m).powi(2)).sum::<f64>() / (k - 1) as f64;
                assert!((m - mean).abs() < 4.0 * (var / k as f64).sqrt() + 1e-9 * s2.sqrt(), "sum {c}: {m} vs {mean}");
                // The sample variance of a near-normal sum: relative SE √(2/K) ≈ 2.2%.
                assert!((v / var - 1.0).abs() < 4.0 * (2.0 / k as f64).sqrt(), "sum {c}: var {v} vs {var}");
            }
        }
    }

    #[test]
    fn replicates_swept_together_draw_as_if_alone_and_the_coin_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let t = table(&dir);
        let y = t.metrics[0].as_slice().unwrap();
        let col = Column::new(y, t.covariate.as_ref().and_then(|x| x.as_slice()), 0.5, false);
        let coin = Coin::new(0.5);
        let mut together: Vec<LiftRng> = (0..5).map(|r| stream(1, domain::REPLICATE, r)).collect();
        let sums = col.control_sums(&coin, &mut together);
        for (r, s) in sums.iter().enumerate() {
            let mut alone = [stream(1, domain::REPLICATE, r as u64)];
            assert_eq!(col.control_sums(&coin, &mut alone)[0], *s);
            assert_eq!(alone[0], together[r], "the generator advanced alike");
        }
        // The carry-free byte comparison equals the byte-at-a-time one,
        // ties included (holdouts with a top byte hit often).
        for h in [0.5, 0.3, 0.001, 0.999, 1.0 / 3.0, 0.1234567] {
            let coin = Coin::new(h);
            let (mut a, mut b) = (stream(2, 7, 0), stream(2, 7, 0));
            for _ in 0..20_000 {
                assert_eq!(coin.flip8(&mut a), coin.flip8_bytewise(&mut b), "holdout {h}");
            }
        }
    }

    #[test]
    fn aa_rate_near_alpha_power_rises_and_threads_do_not_matter() {
        let dir = tempfile::tempdir().unwrap();
        let t = table(&dir);
        let cfg = PowerConfig { replicates: 400, alpha: 0.05, seed: 3 };
        let on = |threads, f: &(dyn Fn() -> DataPowerReport + Sync)| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
        };
        let run = |lift, threads| {
            on(threads, &|| data_power(&t, 0.5, lift, &cfg, &PowerMethods::normal_only(), &|_, _| {}).unwrap())
        };
        let (small, big) = (run(0.02, 1), run(0.30, 2));
        assert_eq!(small, run(0.02, 3));
        // The permutation rows too: their tests are seeded from (seed, replicate, column).
        let perm = PowerMethods { method: MethodChoice::Permutation, permutations: 40 };
        let few = PowerConfig { replicates: 30, ..cfg.clone() };
        let permuted = |threads| on(threads, &|| data_power(&t, 0.3, 0.1, &few, &perm, &|_, _| {}).unwrap());
        let one = permuted(1);
        assert_eq!(one, permuted(3));
        assert_eq!(one.metrics.iter().filter(|m| m.metric.ends_with("(permutation)")).count(), 2);
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
        let m = PowerMethods::default();
        assert!(data_power(&t, 1.0, 0.0, &cfg, &m, &|_, _| {}).is_err());
        assert!(data_power(&t, 0.5, -1.0, &cfg, &m, &|_, _| {}).is_err());
        assert!(data_power(&t, 0.5, f64::NAN, &cfg, &m, &|_, _| {}).is_err());
        // Every replicate degenerate (no control unit at all): an error.
        assert!(matches!(data_power(&t, 1e-6, 0.0, &cfg, &m, &|_, _| {}), Err(Error::EmptyArm { .. })));
        // Some degenerate (about 2 control units of 4,000): counted, the rates over the others.
        let r = data_power(&t, 0.0005, 0.0, &cfg, &PowerMethods::normal_only(), &|_, _| {}).unwrap();
        assert!(r.metrics.iter().any(|m| m.degenerate > 0), "{:?}", r.metrics);
        for m in r.metrics.iter().filter(|m| m.degenerate < 50) {
            let valid = (50 - m.degenerate) as f64;
            let fpr = m.aa_false_positive_rate * valid;
            assert!((fpr - fpr.round()).abs() < 1e-9, "{m:?}");
        }
        let few = PowerConfig { replicates: 3, ..cfg.clone() };
        assert!(data_power(&t, 0.5, 0.0, &few, &m, &|_, _| {}).is_err());
        let none = PowerMethods { permutations: 0, ..m };
        assert!(matches!(data_power(&t, 0.5, 0.0, &cfg, &none, &|_, _| {}), Err(Error::InvalidParameter { .. })));
    }

    #[test]
    fn auto_adds_the_permutation_row_where_analyze_would_use_it_and_it_holds_each_tail() {
        // A zero-inflated, skewed metric (γ ≈ 3.4 for revenue, 355·γ² ≈ 4,000)
        // with a 10% holdout of 4,000 rows: control expects 400 units, so
        // `analyze` would use the permutation test.
        let dir = tempfile::tempdir().unwrap();
        let t = table_with(&dir, None);
        let k = 1000;
        let cfg = PowerConfig { replicates: k, alpha: 0.05, seed: 8 };
        let r = data_power(&t, 0.1, 0.0, &cfg, &PowerMethods::default(), &|_, _| {}).unwrap();
        let names: Vec<&str> = r.metrics.iter().map(|m| m.metric.as_str()).collect();
        assert_eq!(
            names,
            ["revenue (Welch)", "revenue (permutation)", "revenue/sessions (delta)", "revenue/sessions (permutation)"]
        );
        for d in &r.default_tests {
            assert_eq!(d.method, crate::experiment::TestMethod::Permutation, "{d:?}");
            assert!((d.n_control - 400.0).abs() < 1e-9 && d.min_n_control > 400.0, "{d:?}");
        }
        // Each tail at α/2 within 4 Monte Carlo SEs (K = 1000: SE ≈ 0.49%).
        let se = (0.025f64 * 0.975 / k as f64).sqrt();
        for m in r.metrics.iter().filter(|m| m.metric.ends_with("(permutation)")) {
            for tail in [m.aa_false_positive_rate_upper, m.aa_false_positive_rate_lower] {
                assert!((tail - 0.025).abs() < 4.0 * se, "{m:?}");
            }
            // With no lift, coverage of 0 is the share of A/A tests not rejected.
            assert!((m.coverage + m.aa_false_positive_rate - 1.0).abs() < 1e-12, "{m:?}");
        }
    }

    #[test]
    fn welch_leaves_the_permutation_rows_out_and_permutation_forces_them() {
        let dir = tempfile::tempdir().unwrap();
        let t = table_with(&dir, Some("pre"));
        let cfg = PowerConfig { replicates: 20, alpha: 0.05, seed: 8 };
        let names = |method| {
            let m = PowerMethods { method, permutations: 40 };
            let r = data_power(&t, 0.1, 0.05, &cfg, &m, &|_, _| {}).unwrap();
            r.metrics.into_iter().map(|m| m.metric).collect::<Vec<_>>()
        };
        assert_eq!(names(MethodChoice::Welch), ["revenue (Welch)", "revenue (CUPED)", "revenue/sessions (delta)"]);
        let all = names(MethodChoice::Permutation);
        assert_eq!(all.len(), 5, "{all:?}");
        assert_eq!(all[2], "revenue (permutation)");
        // Auto runs the permutation row exactly where the default test is the permutation.
        let r = data_power(&t, 0.5, 0.0, &cfg, &PowerMethods::default(), &|_, _| {}).unwrap();
        let permuted = r.metrics.iter().filter(|m| m.metric.ends_with("(permutation)")).count();
        let expected =
            r.default_tests.iter().filter(|d| d.method == crate::experiment::TestMethod::Permutation).count();
        assert_eq!(permuted, expected);
    }

    #[test]
    fn the_arms_handed_to_the_permutation_test_are_the_replicates_arms() {
        // The groups' control counts and the mask rebuild exactly the arms
        // whose sums the replicate drew.
        let dir = tempfile::tempdir().unwrap();
        let t = table(&dir);
        let (y, d) = (t.metrics[1].as_slice().unwrap(), t.denominators[1].as_ref().unwrap().as_slice().unwrap());
        let col = Column::new(y, Some(d), 0.3, true);
        assert!(!col.groups.is_empty() && !col.rows.is_empty(), "both paths exercised");
        let mut rngs: Vec<LiftRng> = (0..4).map(|r| stream(6, domain::REPLICATE, r)).collect();
        for (sums, a) in col.draw(&Coin::new(0.3), &mut rngs) {
            let arms = col.arms(a.as_ref().unwrap(), 1.0);
            let n_c = arms.control.len() as u64 + arms.groups.iter().map(|g| g.2).sum::<u64>();
            let sy_c = arms.control.iter().map(|u| u.0).sum::<f64>()
                + arms.groups.iter().map(|g| g.0 * g.2 as f64).sum::<f64>();
            assert_eq!(n_c as f64, sums[0]);
            // Centered sums: Σ(y − ȳ) over control = Σy − n·ȳ.
            assert!((sy_c - n_c as f64 * col.center.0 - sums[1]).abs() < 1e-6 * sy_c.abs().max(1.0));
            let n_t = arms.treatment.len() as u64 + arms.groups.iter().map(|g| g.3).sum::<u64>();
            assert_eq!(n_c + n_t, y.len() as u64);
            // The A/B twin: the treated part of each group on its own, numerators scaled.
            let ab = col.arms(a.as_ref().unwrap(), 1.5);
            assert_eq!(ab.groups.len(), 2 * arms.groups.len());
            assert!(ab.treatment.iter().zip(&arms.treatment).all(|(b, a)| b.0 == 1.5 * a.0 && b.1 == a.1));
        }
    }
}
