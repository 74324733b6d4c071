//! Ceilings on the size of the work a command may ask for, each derived
//! from memory and time on an ordinary machine, so that a typo
//! (`--bootstrap 1000000000`, `--days 4294967295`) is a clear error naming
//! the flag, the value and the limit — not an abort on a failed allocation
//! or a run that would never finish. Legal requests large enough to take
//! a while print an estimate on standard error before they start
//! ([`announce`]).
//!
//! The throughput constants were measured with the release build on
//! 2 cores (`benches/`, and `power --store 5m --days 30 --replicates 40`:
//! 16M simulated sessions in 0.87 s); estimates scale them by the threads in
//! use and are approximate (±50%).

use crate::error::{Error, Result};

/// Longest test or simulation, days (10 years). `simulate --days
/// 4294967295` used to ask for 34 GB of per-day state.
pub const MAX_DAYS: u32 = 3650;

/// Largest annual revenue, USD ($1 trillion: above any single store); at
/// $80 orders and 2.5% conversion it is 1.4 billion sessions a day.
pub const MAX_ANNUAL_REVENUE_USD: f64 = 1e12;

/// Most Monte Carlo replicates of one scenario (`power --replicates`,
/// `frontier --checks`, `audit`, `compare`, sweeps): 100,000 already puts
/// the Monte Carlo SE of a 5% rate at 0.07 points.
pub const MAX_REPLICATES: usize = 100_000;

/// Most bootstrap resamples or permutation re-randomizations (each keeps
/// an 8-byte statistic per metric: 8 MB at the limit; 10,000 already makes
/// the resampling error of a 95% interval's end negligible).
pub const MAX_RESAMPLES: usize = 1_000_000;

/// Most worker threads (`--threads`): more than this only adds
/// scheduling overhead on any machine liftlab runs on.
pub const MAX_THREADS: usize = 1024;

/// Most simulated sessions one command may ask for in all (about 1.5 hours
/// at [`SESSIONS_PER_SECOND`] on 2 cores).
pub const MAX_SESSIONS: f64 = 1e11;

/// Most resampled units in all (`resamples × units`: about 3 hours at
/// [`UNITS_PER_SECOND`] on 2 cores).
pub const MAX_RESAMPLED_UNITS: f64 = 1e12;

/// Simulated sessions per second per core (release build; half of the
/// 2e7/s measured on 2 cores).
pub const SESSIONS_PER_SECOND: f64 = 1e7;

/// Resampled units per second per core (bootstrap and permutation draws).
pub const UNITS_PER_SECOND: f64 = 5e7;

/// Work above which [`announce`] prints its estimate, seconds.
pub const ANNOUNCE_SECONDS: f64 = 10.0;

/// Checks `value ≤ max` for a count flag.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flag`, the value, the limit and
/// `why` (what the limit protects).
pub fn check_at_most(flag: &str, value: usize, max: usize, why: &str) -> Result<()> {
    if value <= max {
        Ok(())
    } else {
        Err(Error::invalid(flag, value, &format!("at most {} ({why})", crate::report::format::count(max as f64))))
    }
}

/// Checks a replicate count against [`MAX_REPLICATES`].
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flag` (`--replicates`, `--checks`).
pub fn check_replicates(flag: &str, replicates: usize) -> Result<()> {
    check_at_most(flag, replicates, MAX_REPLICATES, "the Monte Carlo SE of a 5% rate is already 0.07 points")
}

/// Checks a number of permutation re-randomizations against [`MAX_RESAMPLES`].
///
/// # Errors
/// [`Error::InvalidParameter`] naming `--permutations`.
pub fn check_permutations(permutations: usize) -> Result<()> {
    check_at_most("--permutations", permutations, MAX_RESAMPLES, "more do not change the p-value")
}

/// Checks a duration in days against [`MAX_DAYS`].
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flag`.
pub fn check_days(flag: &str, days: f64) -> Result<()> {
    if days.is_finite() && days <= MAX_DAYS as f64 {
        Ok(())
    } else {
        Err(Error::invalid(flag, days, "durations up to 3650 days (10 years)"))
    }
}

/// Checks an annual revenue against [`MAX_ANNUAL_REVENUE_USD`].
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flag`.
pub fn check_revenue(flag: &str, usd: f64) -> Result<()> {
    if usd.is_finite() && usd > 0.0 && usd <= MAX_ANNUAL_REVENUE_USD {
        Ok(())
    } else {
        Err(Error::invalid(flag, usd, "an annual revenue in USD above 0 and up to 1e12 ($1 trillion)"))
    }
}

/// Largest average order value, USD ($1M: above any store's mean basket;
/// larger values only overflow the revenue they imply).
pub const MAX_AOV_USD: f64 = 1e6;

/// Checks an average order value: finite, above 0, at most [`MAX_AOV_USD`].
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flag`.
pub fn check_aov(flag: &str, usd: f64) -> Result<()> {
    if usd > 0.0 && usd <= MAX_AOV_USD {
        Ok(())
    } else {
        Err(Error::invalid(flag, usd, "an average order value in USD above 0 and up to 1e6"))
    }
}

/// Most scenarios one sweep grid may cross (`stores × days × holdouts ×
/// lifts × methods`). Counted before the scenarios are built: each is a
/// ~100-byte record, a pilot A/A test when a permutation row may run, and a
/// summary row per metric; a few thousand values per list used to ask for
/// billions of them (hundreds of GB). 10,000 is 400 times the issue-11
/// sweep's 24; larger studies are several grids.
pub const MAX_SCENARIOS: usize = 10_000;

/// Most simulated tests (`scenarios × replicates`, the sweep's addresses)
/// in one grid: each is a line of about 1 KB in the shard and
/// `results.jsonl` files and about 0.6 KB in memory when shards are merged,
/// so 1 GB of results and 0.6 GB of memory at the limit.
pub const MAX_SWEEP_TESTS: usize = 1_000_000;

/// Narrowest `power --mde-tolerance`: the bisection stops when the
/// bracket's `hi/lo ≤ 1 + tolerance`, and each halving of the tolerance
/// costs one more Monte Carlo evaluation of every replicate. At 1e-3 the
/// search runs about 13 evaluations ([`crate::montecarlo::mde_evaluations`]);
/// a narrower bracket is below the Monte Carlo noise of the power it
/// brackets (±0.13 points of power even at [`MAX_REPLICATES`], a few tenths
/// of a percent of the lift), and below 1.1e-16 `1 + tolerance` rounds to 1
/// and the bisection would never stop (`--mde-tolerance 1e-300` used to
/// run forever).
pub const MIN_MDE_TOLERANCE: f64 = 1e-3;

/// Checks a simulated-MDE bracket tolerance: in
/// [[`MIN_MDE_TOLERANCE`], 1).
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flag`, the value and the range.
pub fn check_mde_tolerance(flag: &str, tolerance: f64) -> Result<()> {
    if (MIN_MDE_TOLERANCE..1.0).contains(&tolerance) {
        Ok(())
    } else {
        Err(Error::invalid(
            flag,
            tolerance,
            "a relative bracket width from 0.001 to below 1, e.g. 0.05 (each halving costs one more \
             Monte Carlo evaluation; narrower is below the Monte Carlo noise)",
        ))
    }
}

/// Permuted units per second per core in the permutation tests of a Monte
/// Carlo power run. A re-randomization draws every listed unit (a buyer:
/// non-buyers with equal values move together as one group) plus a fixed
/// cost of about [`PERMUTATION_OVERHEAD_UNITS`]; measured on the default
/// 1.5m store, 30 days: `power --method permutation --replicates 20
/// --permutations 20000` is 1.6e6 re-randomizations of about 1,540 buyers
/// in 2.6 s on 2 cores.
pub const PERMUTED_UNITS_PER_SECOND: f64 = 1e9;

/// Fixed cost of one re-randomization, in permuted units (the grouped
/// non-buyers and the statistic), from the same measurement and a 5m store.
pub const PERMUTATION_OVERHEAD_UNITS: f64 = 1700.0;

/// Most permuted units in all in one command's simulated permutation tests
/// (`re-randomizations × (units + overhead)`): about 1.4 hours at
/// [`PERMUTED_UNITS_PER_SECOND`] on 2 cores, the time [`MAX_SESSIONS`]
/// allows the simulation itself. The re-randomizations' statistics are
/// not kept (only a count), so time, not memory, is the bound.
pub const MAX_PERMUTED_UNITS: f64 = 1e13;

/// Permuted units of `draws` re-randomizations of about `units` listed
/// units each: `draws × (units + PERMUTATION_OVERHEAD_UNITS)`.
pub fn permuted_units(draws: f64, units: f64) -> f64 {
    draws * (units + PERMUTATION_OVERHEAD_UNITS)
}

/// Checks the simulated permutation tests of a command: `draws`
/// re-randomizations (replicates × A/B and A/A × permuted metrics ×
/// `--permutations`) of about `units` listed units each, against
/// [`MAX_PERMUTED_UNITS`]; returns the estimated seconds.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flags` (what to lower) when above.
pub fn check_permutation_work(flags: &str, draws: f64, units: f64) -> Result<f64> {
    check_permuted_units(flags, permuted_units(draws, units))
}

/// Checks permuted units in all ([`permuted_units`], summed over a
/// command's scenarios) against [`MAX_PERMUTED_UNITS`]; returns the
/// estimated seconds.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flags` (what to lower) when above.
pub fn check_permuted_units(flags: &str, work: f64) -> Result<f64> {
    if !(work <= MAX_PERMUTED_UNITS) {
        return Err(Error::invalid(
            flags,
            format!("{work:.3e} permuted units"),
            &format!(
                "at most {MAX_PERMUTED_UNITS:.0e} permuted units per command (re-randomizations x units; about {} \
                 on 2 cores); lower them, or test with Welch only (--method welch; methods = [\"welch\"] in a grid)",
                duration(MAX_PERMUTED_UNITS / (2.0 * PERMUTED_UNITS_PER_SECOND))
            ),
        ));
    }
    Ok(work / (PERMUTED_UNITS_PER_SECOND * threads()))
}

/// The threads rayon will use.
fn threads() -> f64 {
    rayon::current_num_threads().max(1) as f64
}

/// Checks the simulated sessions a command asks for against
/// [`MAX_SESSIONS`] and returns the estimated seconds.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flags` (what to lower) when above.
pub fn check_sessions(flags: &str, sessions: f64) -> Result<f64> {
    if !(sessions <= MAX_SESSIONS) {
        return Err(Error::invalid(
            flags,
            format!("{sessions:.3e} simulated sessions"),
            &format!(
                "at most {MAX_SESSIONS:.0e} simulated sessions per command (about {} on 2 cores); lower them",
                duration(MAX_SESSIONS / (2.0 * SESSIONS_PER_SECOND))
            ),
        ));
    }
    Ok(sessions / (SESSIONS_PER_SECOND * threads()))
}

/// Checks resampling work (`resamples × units`) against
/// [`MAX_RESAMPLED_UNITS`]; returns the estimated seconds.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `flag` when above.
pub fn check_resampling(flag: &str, resamples: usize, units: usize) -> Result<f64> {
    check_at_most(flag, resamples, MAX_RESAMPLES, "resamples beyond this do not change the result")?;
    let work = resamples as f64 * units as f64;
    if work > MAX_RESAMPLED_UNITS {
        return Err(Error::invalid(
            flag,
            resamples,
            &format!(
                "at most {} resamples of these {} units (resamples x units up to {MAX_RESAMPLED_UNITS:.0e})",
                (MAX_RESAMPLED_UNITS / units as f64).floor(),
                units
            ),
        ));
    }
    Ok(work / (UNITS_PER_SECOND * threads()))
}

/// Prints "this will take about …" on standard error when `seconds`
/// exceeds [`ANNOUNCE_SECONDS`].
pub fn announce(what: &str, seconds: f64) {
    if seconds > ANNOUNCE_SECONDS {
        eprintln!(
            "note: {what}: about {} on {} thread(s) (an estimate; --threads, fewer replicates or days make it shorter)",
            duration(seconds),
            threads()
        );
    }
}

/// A duration for people: `45 s`, `12 min`, `3.5 h`, `2.1 days`.
pub fn duration(seconds: f64) -> String {
    match seconds {
        s if s < 90.0 => format!("{s:.0} s"),
        s if s < 5400.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.1} h", s / 3600.0),
        s => format!("{:.1} days", s / 86_400.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_the_flag_and_the_ceiling() {
        let e = check_at_most("--bootstrap", 1_000_000_000, MAX_RESAMPLES, "why").unwrap_err().to_string();
        assert!(e.contains("--bootstrap") && e.contains("1000000000") && e.contains("1,000,000"), "{e}");
        assert!(check_days("--days", 4_294_967_295.0).unwrap_err().to_string().contains("3650"));
        assert!(check_revenue("--annual-revenue", 1e308).is_err());
        assert!(check_revenue("--annual-revenue", f64::NAN).is_err());
        assert!(check_sessions("--replicates", 1e12).unwrap_err().to_string().contains("--replicates"));
        assert!(check_sessions("--replicates", f64::NAN).is_err());
        assert!(check_resampling("--bootstrap", 100_000, 100_000_000).is_err());
        assert!(check_resampling("--bootstrap", 2_000, 1_000_000).is_ok());
        assert_eq!(duration(30.0), "30 s");
        assert_eq!(duration(7200.0), "2.0 h");
    }
}
