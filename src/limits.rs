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
