//! Sweeps: a grid of simulated scenarios, run in shards, merged exactly.
//!
//! A grid file (TOML) crosses stores, durations, holdouts, lifts and
//! methods into scenarios; each scenario runs `replicates` simulated
//! holdout tests, each with its A/A twin, analysed as `liftlab power` does
//! ([`PowerScenario::replicate`]). Every result is addressed by
//! `(scenario, replicate)` and seeded from that address: scenario `s` gets
//! the base seed drawn from [`stream`]`(seed, domain::SWEEP, s)` and its
//! replicate `r` is seeded from `(base, r)`. A shard `i/N` runs every
//! `N`-th of the `S·R` addresses from `i` (address `u = s·R + r` belongs to
//! shard `u mod N`), so every shard gets an equal share of the cheap small
//! stores and the costly large ones; the shards' rows, put back in address
//! order, are the rows of the unsharded run bit for bit, and so is
//! everything merged from them.
//!
//! # Files
//! - `shard-IIII-of-NNNN.jsonl`: a header object (`kind: "shard"`,
//!   `liftlab_version`, `command`, `grid_hash`, `grid`, `shard`, `shards`,
//!   `first` (its first address, `i`), `count`), then one [`ReplicateRow`]
//!   per line, addresses `i, i+N, i+2N, …`.
//! - after [`merge`]: `results.jsonl` (header, then every row in address
//!   order), `summary.jsonl` (header, then one [`SummaryRow`] per scenario
//!   and metric), `summary.csv` (the same rows) with its sidecar
//!   `summary.csv.meta.json`, and `merge.meta.json` (the commands that
//!   wrote the shards and merged them). The merged files' header names the
//!   path-free command that reproduces them (`liftlab sweep grid.toml`),
//!   not the shards' own, so they do not depend on how the sweep was split.
//!
//! # References
//! Morris, White & Crowther (2019), "Using simulation studies to evaluate
//! statistical methods", *Statistics in Medicine* 38 (Monte Carlo SEs).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::experiment::MethodChoice;
use crate::montecarlo::summarize_outcomes;
use crate::montecarlo::{MetricPower, Outcome, POWER_PERMUTATIONS, PowerConfig, PowerMethods, PowerScenario};
use crate::rng::{domain, stream};
use crate::sim::SimConfig;
use crate::store::StoreProfile;

/// The liftlab version written into every sweep file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One store of a grid: a preset's name, or `custom` and an annual revenue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridStore {
    /// Preset name (`0.5m` … `100m`) or `custom`.
    pub name: String,
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
}

/// A validated grid, in canonical form (what the grid hash is taken of).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// Base seed of the sweep.
    pub seed: u64,
    /// Simulated tests per scenario (each with its A/A twin).
    pub replicates: usize,
    /// Significance level α (two-sided).
    pub alpha: f64,
    /// Re-randomizations of each permutation test.
    pub permutations: usize,
    /// Stores.
    pub stores: Vec<GridStore>,
    /// Test durations, days.
    pub days: Vec<u32>,
    /// Holdout (control) shares, in (0, 1).
    pub holdouts: Vec<f64>,
    /// True conversion lifts (0 runs A/A only: its power is 0 by definition).
    pub lifts: Vec<f64>,
    /// Methods as `liftlab power --method`: `auto`, `welch`, `permutation`.
    pub methods: Vec<String>,
}

/// The grid file as written: every key but the lists is optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrid {
    seed: Option<u64>,
    replicates: Option<usize>,
    alpha: Option<f64>,
    permutations: Option<usize>,
    stores: Vec<RawStore>,
    days: Vec<u32>,
    holdouts: Option<Vec<f64>>,
    lifts: Vec<f64>,
    methods: Option<Vec<String>>,
}

/// A store as written: a preset name or an annual revenue in USD.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawStore {
    Preset(String),
    Revenue(f64),
}

/// One point of the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Index in the grid's order (stores × days × holdouts × lifts × methods,
    /// the last varying fastest).
    pub scenario: usize,
    /// Store name (preset or `custom`).
    pub store: String,
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Test duration, days.
    pub days: u32,
    /// Holdout share.
    pub holdout: f64,
    /// True conversion lift.
    pub lift: f64,
    /// Method (`auto`, `welch`, `permutation`).
    pub method: String,
}

fn method_choice(name: &str) -> Option<MethodChoice> {
    match name {
        "auto" => Some(MethodChoice::Auto),
        "welch" => Some(MethodChoice::Welch),
        "permutation" => Some(MethodChoice::Permutation),
        _ => None,
    }
}

impl Grid {
    /// Parses and validates a grid file's text; `path` names it in errors.
    ///
    /// # Format
    /// ```toml
    /// seed = 1              # optional, default 1
    /// replicates = 200      # optional, default 1000 (at least 10)
    /// alpha = 0.05          # optional
    /// permutations = 200    # optional, for the permutation rows
    /// stores = ["0.5m", "1.5m", 3000000]   # presets or annual revenues (USD)
    /// days = [14, 30, 60]
    /// holdouts = [0.1, 0.5] # optional, default [0.1]
    /// lifts = [0.03]
    /// methods = ["welch"]   # optional, default ["auto"]
    /// ```
    ///
    /// # Errors
    /// [`Error::Sweep`] naming the line and key of a syntax error, an
    /// unknown key or a value of the wrong type, or the key and entry of a
    /// value out of range.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let bad = |message: String| {
            // Name the line of the key a message starts with (`key `name[i]``).
            let key = message.strip_prefix("key `").and_then(|m| m.split(['`', '[']).next());
            let line = key.and_then(|k| {
                text.lines()
                    .position(|l| l.trim_start().strip_prefix(k).is_some_and(|r| r.trim_start().starts_with('=')))
            });
            let message = match line {
                Some(i) => format!("line {}, {message}", i + 1),
                None => message,
            };
            Error::Sweep { path: path.to_path_buf(), message }
        };
        let raw: RawGrid = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: ")
            });
            bad(format!("malformed grid: {}{}", at.unwrap_or_default(), e.message().trim_end()))
        })?;
        let nonempty = |key: &str, n: usize| {
            if n == 0 { Err(bad(format!("key `{key}`: the list is empty; give at least one value"))) } else { Ok(()) }
        };
        nonempty("stores", raw.stores.len())?;
        nonempty("days", raw.days.len())?;
        nonempty("lifts", raw.lifts.len())?;
        let mut stores = Vec::new();
        for (i, s) in raw.stores.iter().enumerate() {
            let store = match s {
                RawStore::Preset(name) => {
                    let p = StoreProfile::preset(name).map_err(|e| bad(format!("key `stores[{i}]`: {e}")))?;
                    GridStore { name: p.name, annual_revenue_usd: p.annual_revenue_usd }
                }
                RawStore::Revenue(usd)
                    if usd.is_finite() && *usd > 0.0 && *usd <= crate::limits::MAX_ANNUAL_REVENUE_USD =>
                {
                    GridStore { name: "custom".into(), annual_revenue_usd: *usd }
                }
                RawStore::Revenue(usd) => {
                    return Err(bad(format!(
                        "key `stores[{i}]` = {usd}: expected an annual revenue in USD above 0 and up to 1e12"
                    )));
                }
            };
            stores.push(store);
        }
        for (i, &d) in raw.days.iter().enumerate() {
            if d == 0 || d > crate::limits::MAX_DAYS {
                return Err(bad(format!("key `days[{i}]` = {d}: expected a duration from 1 to 3650 days")));
            }
        }
        let holdouts = raw.holdouts.unwrap_or_else(|| vec![0.1]);
        nonempty("holdouts", holdouts.len())?;
        for (i, &h) in holdouts.iter().enumerate() {
            if !(h > 0.0 && h < 1.0) {
                return Err(bad(format!("key `holdouts[{i}]` = {h}: expected a share strictly between 0 and 1")));
            }
        }
        for (i, &l) in raw.lifts.iter().enumerate() {
            if !(l.is_finite() && l > -1.0) {
                return Err(bad(format!("key `lifts[{i}]` = {l}: expected a relative lift above -1 (0.03 = +3%)")));
            }
        }
        let methods = raw.methods.unwrap_or_else(|| vec!["auto".into()]);
        nonempty("methods", methods.len())?;
        for (i, m) in methods.iter().enumerate() {
            if method_choice(m).is_none() {
                return Err(bad(format!(
                    "key `methods[{i}]` = {m:?}: expected \"auto\", \"welch\" or \"permutation\""
                )));
            }
        }
        let alpha = raw.alpha.unwrap_or(0.05);
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(bad(format!("key `alpha` = {alpha}: expected a level strictly between 0 and 1")));
        }
        let replicates = raw.replicates.unwrap_or(1000);
        if !(10..=crate::limits::MAX_REPLICATES).contains(&replicates) {
            return Err(bad(format!("key `replicates` = {replicates}: expected 10 to 100,000 simulated tests")));
        }
        // The cross product is counted before it is built: a grid of a few
        // thousand values per list would otherwise ask for billions of
        // scenarios (hundreds of GB) before any check.
        let lists = [stores.len(), raw.days.len(), holdouts.len(), raw.lifts.len(), methods.len()];
        let scenarios = lists.iter().try_fold(1usize, |n, &l| n.checked_mul(l)).unwrap_or(usize::MAX);
        if scenarios > crate::limits::MAX_SCENARIOS {
            return Err(bad(format!(
                "the grid crosses {} scenarios (stores x days x holdouts x lifts x methods = {}): at most {} \
                 (limits::MAX_SCENARIOS); split it into several grids or shorten the lists",
                crate::report::format::count(scenarios as f64),
                lists.map(|l| l.to_string()).join(" x "),
                crate::report::format::count(crate::limits::MAX_SCENARIOS as f64)
            )));
        }
        let tests = scenarios as f64 * replicates as f64;
        if tests > crate::limits::MAX_SWEEP_TESTS as f64 {
            return Err(bad(format!(
                "key `replicates` = {replicates}: {} scenarios x {replicates} replicates is {} simulated tests; \
                 at most {} per grid (limits::MAX_SWEEP_TESTS: each is a line of about 1 KB in results.jsonl); \
                 use at most {} replicates or fewer scenarios",
                scenarios,
                crate::report::format::count(tests),
                crate::report::format::count(crate::limits::MAX_SWEEP_TESTS as f64),
                crate::limits::MAX_SWEEP_TESTS / scenarios.max(1)
            )));
        }
        let permutations = raw.permutations.unwrap_or(POWER_PERMUTATIONS);
        if permutations == 0 || permutations > crate::limits::MAX_RESAMPLES {
            return Err(bad(format!("key `permutations` = {permutations}: expected 1 to 1,000,000 re-randomizations")));
        }
        Ok(Self {
            seed: raw.seed.unwrap_or(1),
            replicates,
            alpha,
            permutations,
            stores,
            days: raw.days,
            holdouts,
            lifts: raw.lifts,
            methods,
        })
    }

    /// Reads and parses a grid file.
    ///
    /// # Errors
    /// [`Error::Io`] if unreadable; as [`Grid::parse`].
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// The grid's hash: FNV-1a (64-bit) of its canonical JSON, as 16 hex
    /// digits. Comments, spacing and defaults written out or not do not
    /// change it; any value that changes results does.
    pub fn hash(&self) -> String {
        let text = serde_json::to_string(self).expect("a grid serializes");
        let h = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        format!("{h:016x}")
    }

    /// Every scenario, in the grid's order.
    pub fn scenarios(&self) -> Vec<Scenario> {
        let mut out = Vec::new();
        for store in &self.stores {
            for &days in &self.days {
                for &holdout in &self.holdouts {
                    for &lift in &self.lifts {
                        for method in &self.methods {
                            out.push(Scenario {
                                scenario: out.len(),
                                store: store.name.clone(),
                                annual_revenue_usd: store.annual_revenue_usd,
                                days,
                                holdout,
                                lift,
                                method: method.clone(),
                            });
                        }
                    }
                }
            }
        }
        out
    }

    /// Sessions the whole sweep simulates (each replicate is an A/B test and
    /// its A/A twin): for the work estimate of [`crate::limits`].
    pub fn simulated_sessions(&self) -> f64 {
        self.scenarios()
            .iter()
            .map(|sc| {
                let p = StoreProfile::preset(&sc.store)
                    .unwrap_or_else(|_| StoreProfile::with_annual_revenue(sc.annual_revenue_usd));
                let per_day = p.sessions_per_day() * sc.annual_revenue_usd / p.annual_revenue_usd;
                2.0 * per_day * f64::from(sc.days) * self.replicates as f64
            })
            .sum()
    }

    /// Permuted units of the grid's `permutation` scenarios (two permuted
    /// metrics, A/B and A/A, `permutations` each per replicate; see
    /// [`crate::limits::permuted_units`]), for the work estimate. `auto`
    /// scenarios run the permutation test only where a pilot A/A test says
    /// `analyze` would, which is not known before they start: not counted.
    pub fn permuted_units(&self) -> f64 {
        self.scenarios()
            .iter()
            .filter(|sc| sc.method == "permutation")
            .map(|sc| {
                let p = StoreProfile::preset(&sc.store)
                    .unwrap_or_else(|_| StoreProfile::with_annual_revenue(sc.annual_revenue_usd));
                let orders = p.sessions_per_day() * p.conversion_rate * sc.annual_revenue_usd / p.annual_revenue_usd
                    * f64::from(sc.days);
                let draws = 2.0 * 2.0 * self.replicates as f64 * self.permutations as f64;
                crate::limits::permuted_units(draws, orders)
            })
            .sum()
    }

    /// Addresses `(scenario, replicate)` in the sweep: scenarios × replicates.
    pub fn units(&self) -> u64 {
        self.scenarios().len() as u64 * self.replicates as u64
    }

    /// The base seed of scenario `s`: the first word of
    /// `stream(seed, domain::SWEEP, s)`.
    pub fn scenario_seed(&self, s: usize) -> u64 {
        stream(self.seed, domain::SWEEP, s as u64).random()
    }

    /// The Monte Carlo power run of scenario `s`, seeded from its address.
    ///
    /// # Errors
    /// As [`PowerScenario::new`].
    pub fn power_scenario(&self, sc: &Scenario) -> Result<PowerScenario> {
        let seed = self.scenario_seed(sc.scenario);
        let mut profile = StoreProfile::preset(&sc.store)
            .unwrap_or_else(|_| StoreProfile::with_annual_revenue(sc.annual_revenue_usd));
        profile.annual_revenue_usd = sc.annual_revenue_usd;
        let sim = SimConfig { days: sc.days, holdout: sc.holdout, seed, salt: seed ^ 1, ..SimConfig::default() };
        let config = PowerConfig { replicates: self.replicates, alpha: self.alpha, seed };
        let method = method_choice(&sc.method).expect("validated method");
        let methods = PowerMethods { method, permutations: self.permutations };
        PowerScenario::new(&profile, &sim, sc.lift, &config, &methods)
    }
}

/// A shard `index/count` of a sweep (0-based: `0/4` … `3/4`): the addresses
/// `u` with `u mod count = index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole sweep as one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// A checked shard.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `count ≥ 1` and `index < count`.
    pub fn new(index: u64, count: u64) -> Result<Self> {
        if count == 0 {
            return Err(Error::invalid("--shard", format!("{index}/{count}"), "at least 1 shard"));
        }
        if index >= count {
            return Err(Error::invalid(
                "--shard",
                format!("{index}/{count}"),
                &format!("a shard index from 0 to {} (shards are numbered from 0)", count - 1),
            ));
        }
        Ok(Self { index, count })
    }

    /// Parses `i/N`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for text not of the form `i/N` or an
    /// impossible shard ([`Shard::new`]).
    pub fn parse(text: &str) -> Result<Self> {
        let parts = text.split_once('/').and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        let (i, n) = parts.ok_or_else(|| Error::invalid("--shard", text, "i/N, e.g. 0/4 (shards numbered from 0)"))?;
        Self::new(i, n)
    }

    /// The addresses this shard runs out of `total`, in increasing order:
    /// `i, i+N, i+2N, … < T` (address `u` belongs to shard `u mod N`).
    pub fn addresses(&self, total: u64) -> impl Iterator<Item = u64> + use<> {
        (self.index..total).step_by(self.count as usize)
    }

    /// How many addresses this shard runs out of `total`: `⌈(T − i)/N⌉`.
    pub fn len(&self, total: u64) -> u64 {
        total.saturating_sub(self.index).div_ceil(self.count)
    }

    /// The shard's file name in the output directory.
    pub fn file_name(&self) -> String {
        format!("shard-{:04}-of-{:04}.jsonl", self.index, self.count)
    }
}

/// One metric row of one replicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricOutcome {
    /// Metric and method (as [`crate::montecarlo::METRICS`]).
    pub metric: String,
    /// What the replicate's A/B test and A/A twin found.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// One line of a shard: one replicate of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicateRow {
    /// Scenario index.
    pub scenario: usize,
    /// Replicate index within the scenario.
    pub replicate: u64,
    /// One entry per metric row.
    pub metrics: Vec<MetricOutcome>,
}

/// The first line of every sweep file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// `shard`, `results` or `summary`.
    pub kind: String,
    /// The liftlab version that wrote the file.
    pub liftlab_version: String,
    /// The command that wrote it (a shard), or the path-free command that
    /// reproduces it (merged files).
    pub command: String,
    /// [`Grid::hash`].
    pub grid_hash: String,
    /// The grid file's name (no directory).
    pub grid_file: String,
    /// The grid, in canonical form.
    pub grid: Grid,
    /// Shard index (shard files only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shard: Option<u64>,
    /// Number of shards (shard files only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shards: Option<u64>,
    /// First address in the file.
    pub first: u64,
    /// Addresses (rows) in the file; for a summary, its rows.
    pub count: u64,
}

/// Runs the replicates of one shard, in address order.
///
/// `progress(done, total)` is called as replicates finish (from worker
/// threads). Results do not depend on the number of threads.
///
/// # Errors
/// As [`PowerScenario::new`] and [`PowerScenario::replicate`], with the
/// scenario named.
pub fn run_shard(grid: &Grid, shard: Shard, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Vec<ReplicateRow>> {
    let scenarios = grid.scenarios();
    let r = grid.replicates as u64;
    let addresses: Vec<u64> = shard.addresses(grid.units()).collect();
    let named = |sc: &Scenario, e: Error| Error::Sweep {
        path: PathBuf::from(format!("scenario {}", sc.scenario)),
        message: format!(
            "{} ({}), {} days, holdout {}, lift {}, {}: {e}",
            sc.store, sc.annual_revenue_usd, sc.days, sc.holdout, sc.lift, sc.method
        ),
    };
    let mut touched: Vec<usize> = addresses.iter().map(|&u| (u / r) as usize).collect();
    touched.dedup();
    let runs: BTreeMap<usize, PowerScenario> = touched
        .par_iter()
        .map(|&s| grid.power_scenario(&scenarios[s]).map(|p| (s, p)).map_err(|e| named(&scenarios[s], e)))
        .collect::<Result<_>>()?;
    let total = addresses.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    addresses
        .into_par_iter()
        .map(|u| {
            let (s, rep) = ((u / r) as usize, u % r);
            let run = &runs[&s];
            let outcomes = run.replicate(rep).map_err(|e| named(&scenarios[s], e))?;
            let metrics = run
                .metrics()
                .into_iter()
                .zip(outcomes)
                .map(|(m, outcome)| MetricOutcome { metric: m.to_string(), outcome })
                .collect();
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total);
            Ok(ReplicateRow { scenario: s, replicate: rep, metrics })
        })
        .collect()
}

/// The file name of `path`, without its directory.
fn base_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Writes `text` to `path` atomically ([`crate::io::AtomicFile`]): a killed
/// job never leaves a half-written file under the final name.
fn write_atomic(path: &Path, text: &str) -> Result<()> {
    crate::io::write_atomic(path, text.as_bytes())
}

fn jsonl<T: Serialize>(header: &Header, rows: &[T]) -> String {
    let mut out = serde_json::to_string(header).expect("a header serializes");
    out.push('\n');
    for row in rows {
        out.push_str(&serde_json::to_string(row).expect("a row serializes"));
        out.push('\n');
    }
    out
}

/// Writes a shard's rows to `dir/shard-IIII-of-NNNN.jsonl` (creating
/// `dir`) with its header; returns the file's path.
///
/// # Errors
/// [`Error::Io`] if the directory or file cannot be written.
pub fn write_shard(
    dir: &Path,
    grid: &Grid,
    grid_file: &Path,
    shard: Shard,
    command: &str,
    rows: &[ReplicateRow],
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    let first = shard.index;
    let header = Header {
        kind: "shard".into(),
        liftlab_version: VERSION.into(),
        command: command.into(),
        grid_hash: grid.hash(),
        grid_file: base_name(grid_file),
        grid: grid.clone(),
        shard: Some(shard.index),
        shards: Some(shard.count),
        first,
        count: rows.len() as u64,
    };
    let path = dir.join(shard.file_name());
    write_atomic(&path, &jsonl(&header, rows))?;
    Ok(path)
}

/// One scenario × metric of a merged sweep: the scenario and the metric's
/// simulated operating characteristics ([`MetricPower`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Scenario index.
    pub scenario: usize,
    /// Store name.
    pub store: String,
    /// Annual revenue, USD.
    pub annual_revenue_usd: f64,
    /// Test duration, days.
    pub days: u32,
    /// Holdout share.
    pub holdout: f64,
    /// Configured conversion lift.
    pub lift: f64,
    /// Method choice of the scenario.
    pub method: String,
    /// Replicates summarized.
    pub replicates: usize,
    /// Metric and method.
    pub metric: String,
    /// Mean realized true relative lift.
    pub true_lift: f64,
    /// Share of A/B tests significant in the right direction.
    pub power: f64,
    /// Monte Carlo SE of `power`.
    pub power_se: f64,
    /// Share of A/A tests significant (target α).
    pub aa_false_positive_rate: f64,
    /// Monte Carlo SE of the A/A rate.
    pub aa_false_positive_rate_se: f64,
    /// A/A rejections with treatment above control (target α/2).
    pub aa_false_positive_rate_upper: f64,
    /// Monte Carlo SE of the upper-tail rate.
    pub aa_false_positive_rate_upper_se: f64,
    /// A/A rejections with treatment below control (target α/2).
    pub aa_false_positive_rate_lower: f64,
    /// Monte Carlo SE of the lower-tail rate.
    pub aa_false_positive_rate_lower_se: f64,
    /// Share of relative-lift CIs containing the realized true lift.
    pub coverage: f64,
    /// Monte Carlo SE of `coverage`.
    pub coverage_se: f64,
    /// Mean of (estimated − true) relative lift.
    pub bias: f64,
    /// Monte Carlo SE of `bias`.
    pub bias_se: f64,
    /// Normal-approximation power with the A/A-measured SE.
    pub analytic_power: f64,
    /// RMS of the A/A relative lift's SE.
    pub aa_se: f64,
    /// Replicates whose analysis was impossible, left out of the rates.
    pub degenerate: usize,
}

impl SummaryRow {
    fn new(sc: &Scenario, replicates: usize, m: MetricPower) -> Self {
        Self {
            scenario: sc.scenario,
            store: sc.store.clone(),
            annual_revenue_usd: sc.annual_revenue_usd,
            days: sc.days,
            holdout: sc.holdout,
            lift: sc.lift,
            method: sc.method.clone(),
            replicates,
            metric: m.metric,
            true_lift: m.true_lift,
            power: m.power,
            power_se: m.power_se,
            aa_false_positive_rate: m.aa_false_positive_rate,
            aa_false_positive_rate_se: m.aa_false_positive_rate_se,
            aa_false_positive_rate_upper: m.aa_false_positive_rate_upper,
            aa_false_positive_rate_upper_se: m.aa_false_positive_rate_upper_se,
            aa_false_positive_rate_lower: m.aa_false_positive_rate_lower,
            aa_false_positive_rate_lower_se: m.aa_false_positive_rate_lower_se,
            coverage: m.coverage,
            coverage_se: m.coverage_se,
            bias: m.bias,
            bias_se: m.bias_se,
            analytic_power: m.analytic_power,
            aa_se: m.aa_se,
            degenerate: m.degenerate,
        }
    }
}

/// What [`merge`] found and wrote.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The merged files' header (kind `results`).
    pub header: Header,
    /// Shard files merged, in shard order.
    pub shards: Vec<PathBuf>,
    /// The per-scenario, per-metric summary.
    pub summary: Vec<SummaryRow>,
    /// Files written.
    pub written: Vec<PathBuf>,
}

/// A shard file read back.
struct ShardFile {
    path: PathBuf,
    header: Header,
    rows: Vec<ReplicateRow>,
}

fn read_shard(path: &Path) -> Result<ShardFile> {
    let bad = |message: String| Error::Sweep { path: path.to_path_buf(), message };
    let file = std::fs::File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let mut lines = BufReader::new(file).lines();
    let first = lines
        .next()
        .transpose()
        .map_err(|source| Error::Io { path: path.to_path_buf(), source })?
        .ok_or_else(|| bad("empty file: not a sweep shard".into()))?;
    let header: Header =
        serde_json::from_str(&first).map_err(|e| bad(format!("line 1: not a sweep shard header ({e})")))?;
    if header.kind != "shard" {
        return Err(bad(format!("line 1: kind {:?}, expected \"shard\"", header.kind)));
    }
    if header.grid.hash() != header.grid_hash {
        return Err(bad(format!(
            "line 1: the grid in the header hashes to {}, not the recorded {} (edited by hand?)",
            header.grid.hash(),
            header.grid_hash
        )));
    }
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let line = line.map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let row: ReplicateRow =
            serde_json::from_str(&line).map_err(|e| bad(format!("line {}: not a replicate row ({e})", i + 2)))?;
        rows.push(row);
    }
    Ok(ShardFile { path: path.to_path_buf(), header, rows })
}

/// Merges the shard files `shard-*-of-*.jsonl` in `dir`: checks that they
/// come from one grid, one liftlab version and one split, that none is
/// missing and that every address appears once, in order; then writes
/// `results.jsonl`, `summary.jsonl`, `summary.csv` (+ `.meta.json`) and
/// `merge.meta.json`. `command` is the merge's own command line (recorded
/// in `merge.meta.json` only).
///
/// # Errors
/// [`Error::Sweep`] naming the directory or file: no shards, a malformed
/// file, shards of different grids (hash), versions or shard counts, a
/// missing shard, or rows out of place; [`Error::Io`] on reading or writing.
pub fn merge(dir: &Path, command: &str) -> Result<Merged> {
    let bad = |message: String| Error::Sweep { path: dir.to_path_buf(), message };
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = base_name(p);
            n.starts_with("shard-") && n.ends_with(".jsonl") && n.contains("-of-")
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(bad("no shard files (shard-IIII-of-NNNN.jsonl): run `liftlab sweep GRID --out DIR` first".into()));
    }
    let files: Vec<ShardFile> = paths.iter().map(|p| read_shard(p)).collect::<Result<_>>()?;
    let first = &files[0];
    for f in &files[1..] {
        let (a, b) = (&first.header, &f.header);
        let (pa, pb) = (base_name(&first.path), base_name(&f.path));
        if a.grid_hash != b.grid_hash {
            return Err(bad(format!(
                "{pa} and {pb} come from different grids (hash {} vs {}); merge shards of one grid only",
                a.grid_hash, b.grid_hash
            )));
        }
        if a.liftlab_version != b.liftlab_version {
            return Err(bad(format!(
                "{pa} was written by liftlab {}, {pb} by {}; rerun the shards with one version",
                a.liftlab_version, b.liftlab_version
            )));
        }
        if a.shards != b.shards {
            return Err(bad(format!(
                "{pa} is one of {} shards, {pb} one of {}; remove the files of the other split",
                a.shards.unwrap_or(0),
                b.shards.unwrap_or(0)
            )));
        }
    }
    let grid = first.header.grid.clone();
    let count = first.header.shards.unwrap_or(0);
    let mut by_index: BTreeMap<u64, &ShardFile> = BTreeMap::new();
    for f in &files {
        let i = f.header.shard.unwrap_or(u64::MAX);
        let shard = Shard::new(i, count).map_err(|e| bad(format!("{}: {e}", base_name(&f.path))))?;
        if base_name(&f.path) != shard.file_name() {
            return Err(bad(format!("{}: its header says shard {i}/{count}", base_name(&f.path))));
        }
        by_index.insert(i, f);
    }
    let missing: Vec<String> = (0..count).filter(|i| !by_index.contains_key(i)).map(|i| i.to_string()).collect();
    if !missing.is_empty() {
        return Err(bad(format!(
            "missing shard(s) {} of {count} (e.g. {}); run them with --shard i/{count}, then merge again",
            missing.join(", "),
            Shard { index: missing[0].parse().unwrap_or(0), count }.file_name()
        )));
    }
    let r = grid.replicates as u64;
    let mut rows: Vec<ReplicateRow> = Vec::with_capacity(grid.units() as usize);
    for (&i, f) in &by_index {
        let expected = Shard { index: i, count }.len(grid.units());
        if f.header.first != i || f.rows.len() as u64 != expected || f.header.count != expected {
            return Err(bad(format!(
                "{}: holds {} rows from address {}, expected {expected} from {i} (truncated?); rerun shard {i}/{count}",
                base_name(&f.path),
                f.rows.len(),
                f.header.first,
            )));
        }
        for (k, row) in f.rows.iter().enumerate() {
            let u = i + k as u64 * count;
            if row.scenario as u64 != u / r || row.replicate != u % r {
                return Err(bad(format!(
                    "{}: line {} holds scenario {} replicate {}, expected scenario {} replicate {}",
                    base_name(&f.path),
                    k + 2,
                    row.scenario,
                    row.replicate,
                    u / r,
                    u % r
                )));
            }
        }
        rows.extend(f.rows.iter().cloned());
    }
    // Interleaved shards back in address order, `s·R + r`.
    rows.sort_by_key(|row| (row.scenario, row.replicate));
    let scenarios = grid.scenarios();
    let mut summary = Vec::new();
    for (sc, reps) in scenarios.iter().zip(rows.chunks(grid.replicates)) {
        let names: Vec<&str> = reps[0].metrics.iter().map(|m| m.metric.as_str()).collect();
        for (i, name) in names.iter().enumerate() {
            let mut col = Vec::with_capacity(reps.len());
            for row in reps {
                match row.metrics.get(i) {
                    Some(m) if m.metric == *name => col.push(m.outcome),
                    _ => {
                        return Err(bad(format!(
                            "scenario {} replicate {}: its metrics differ from replicate 0's",
                            sc.scenario, row.replicate
                        )));
                    }
                }
            }
            summary.push(SummaryRow::new(sc, grid.replicates, summarize_outcomes(name, &col, grid.alpha)));
        }
    }
    let grid_file = first.header.grid_file.clone();
    let header = Header {
        kind: "results".into(),
        liftlab_version: first.header.liftlab_version.clone(),
        command: format!("liftlab sweep {}", crate::report::json::shell_quote(&grid_file)),
        grid_hash: grid.hash(),
        grid_file,
        grid,
        shard: None,
        shards: None,
        first: 0,
        count: rows.len() as u64,
    };
    let mut written = Vec::new();
    let path = dir.join("results.jsonl");
    write_atomic(&path, &jsonl(&header, &rows))?;
    written.push(path);
    let summary_header = Header { kind: "summary".into(), count: summary.len() as u64, ..header.clone() };
    let path = dir.join("summary.jsonl");
    write_atomic(&path, &jsonl(&summary_header, &summary))?;
    written.push(path);
    let path = dir.join("summary.csv");
    write_atomic(&path, &summary_csv(&summary)?)?;
    written.push(path.clone());
    let meta = serde_json::json!({
        "liftlab_version": header.liftlab_version,
        "command": header.command,
        "grid_hash": header.grid_hash,
        "grid_file": header.grid_file,
        "rows": summary.len(),
        "columns": "as summary.jsonl's rows",
    });
    let path = dir.join("summary.csv.meta.json");
    write_atomic(&path, &(serde_json::to_string_pretty(&meta).expect("json") + "\n"))?;
    written.push(path);
    let shard_meta: Vec<_> = by_index
        .values()
        .map(|f| serde_json::json!({"file": base_name(&f.path), "command": f.header.command}))
        .collect();
    let meta = serde_json::json!({
        "liftlab_version": VERSION,
        "command": command,
        "grid_hash": header.grid_hash,
        "shards": shard_meta,
    });
    let path = dir.join("merge.meta.json");
    write_atomic(&path, &(serde_json::to_string_pretty(&meta).expect("json") + "\n"))?;
    written.push(path);
    Ok(Merged { header, shards: by_index.values().map(|f| f.path.clone()).collect(), summary, written })
}

/// The summary as CSV, one row per scenario and metric.
///
/// # Errors
/// Only if the CSV writer fails, which writing to memory rules out.
pub fn summary_csv(rows: &[SummaryRow]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row).map_err(|e| Error::invalid("summary.csv", e, "a writable CSV row"))?;
    }
    let bytes = w.into_inner().map_err(|e| Error::invalid("summary.csv", e, "a writable CSV"))?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings"))
}

/// A short text table of the summary: power and A/A false-positive rate
/// with their Monte Carlo SEs.
pub fn summary_table(rows: &[SummaryRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>4}  {:<7} {:>5} {:>7} {:>7} {:<12} {:<34} {:>16} {:>16}",
        "#", "store", "days", "holdout", "lift", "method", "metric", "power", "A/A false pos."
    );
    let pm = |p: f64, se: f64| format!("{:.1}% ± {:.1}%", 100.0 * p, 100.0 * se);
    for r in rows {
        let _ = writeln!(
            out,
            "{:>4}  {:<7} {:>5} {:>6.0}% {:>+6.1}% {:<12} {:<34} {:>16} {:>16}",
            r.scenario,
            r.store,
            r.days,
            100.0 * r.holdout,
            100.0 * r.lift,
            r.method,
            r.metric,
            pm(r.power, r.power_se),
            pm(r.aa_false_positive_rate, r.aa_false_positive_rate_se)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(text: &str) -> Result<Grid> {
        Grid::parse(text, Path::new("grid.toml"))
    }

    #[test]
    fn a_grid_parses_with_defaults_and_expands_in_order() {
        let g = grid("stores = [\"0.5m\", 3e6]\ndays = [7, 14]\nlifts = [0.05]\nreplicates = 10\n").unwrap();
        assert_eq!(g.holdouts, vec![0.1]);
        assert_eq!(g.methods, vec!["auto".to_string()]);
        let s = g.scenarios();
        assert_eq!(s.len(), 4);
        assert_eq!((s[1].store.as_str(), s[1].days), ("0.5m", 14));
        assert_eq!((s[2].store.as_str(), s[2].annual_revenue_usd), ("custom", 3e6));
        assert_eq!(g.units(), 40);
        // Comments and spelled-out defaults do not change the hash; values do.
        let same = grid(
            "# c\nstores = [\"0.5M\", 3000000]\ndays = [7, 14]\nlifts = [0.05]\nreplicates = 10\nholdouts = [0.1]\n",
        );
        assert_eq!(g.hash(), same.unwrap().hash());
        let other = grid("stores = [\"0.5m\", 3e6]\ndays = [7, 15]\nlifts = [0.05]\nreplicates = 10\n").unwrap();
        assert_ne!(g.hash(), other.hash());
    }

    #[test]
    fn bad_grids_name_the_line_and_key() {
        let e = grid("stores = [\"0.5m\"]\ndays = [7]\nlifts = [0.05]\nholdout = [0.1]\n").unwrap_err().to_string();
        assert!(e.contains("line 4") && e.contains("holdout"), "{e}");
        let e = grid("stores = [\"0.5m\"]\ndays = [7,\nlifts = [0.05]\n").unwrap_err().to_string();
        assert!(e.contains("grid.toml: malformed grid: line"), "{e}");
        let e = grid("stores = [\"0.5m\"]\ndays = [\"x\"]\nlifts = [0.05]\n").unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        let e = grid("stores = [\"7m\"]\ndays = [7]\nlifts = [0.05]\n").unwrap_err().to_string();
        assert!(e.contains("stores[0]") && e.contains("7m"), "{e}");
        let e =
            grid("stores = [\"1.5m\"]\ndays = [7]\nlifts = [0.05]\nholdouts = [0.1, 1.5]\n").unwrap_err().to_string();
        assert!(e.contains("line 4, key `holdouts[1]` = 1.5"), "{e}");
        let e = grid("stores = [\"1.5m\"]\ndays = []\nlifts = [0.05]\n").unwrap_err().to_string();
        assert!(e.contains("`days`") && e.contains("empty"), "{e}");
        let e = grid("stores = [\"1.5m\"]\ndays = [7]\nlifts = [0.05]\nmethods = [\"bootstrap\"]\n").unwrap_err();
        assert!(e.to_string().contains("methods[0]"), "{e}");
        let e = grid("stores = [\"1.5m\"]\ndays = [7]\n").unwrap_err().to_string();
        assert!(e.contains("lifts"), "{e}");
    }

    #[test]
    fn shards_partition_the_addresses() {
        assert!(Shard::parse("5/4").is_err());
        assert!(Shard::parse("4/4").is_err());
        assert!(Shard::parse("0/0").is_err());
        assert!(Shard::parse("x").is_err());
        assert_eq!(Shard::parse("3/4").unwrap(), Shard { index: 3, count: 4 });
        for n in [1, 3, 4, 7, 50] {
            let mut all: Vec<u64> = Vec::new();
            for i in 0..n {
                let shard = Shard::new(i, n).unwrap();
                let mine: Vec<u64> = shard.addresses(43).collect();
                assert_eq!(mine.len() as u64, shard.len(43));
                assert!(mine.iter().all(|u| u % n == i));
                all.extend(mine);
            }
            all.sort_unstable();
            assert_eq!(all, (0..43).collect::<Vec<u64>>());
        }
    }

    #[test]
    fn shards_give_the_rows_of_the_whole_run_whatever_the_threads() {
        let g = grid("stores = [\"0.5m\"]\ndays = [7]\nholdouts = [0.2, 0.5]\nlifts = [0.1]\nreplicates = 10\nmethods = [\"welch\", \"auto\"]\npermutations = 20\n").unwrap();
        let on = |t: usize, shard: Shard| {
            rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap().install(|| run_shard(&g, shard, &|_, _| {}))
        };
        let all = on(1, Shard::ALL).unwrap();
        assert_eq!(all.len(), 40);
        assert_eq!(all, on(3, Shard::ALL).unwrap());
        let mut joined = Vec::new();
        for i in 0..3 {
            joined.extend(on(2, Shard::new(i, 3).unwrap()).unwrap());
        }
        joined.sort_by_key(|row| (row.scenario, row.replicate));
        assert_eq!(all, joined);
        // Replicates differ, scenarios differ.
        assert_ne!(all[0].metrics, all[1].metrics);
        assert_ne!(all[0].metrics[0], all[10].metrics[0]);
    }
}
