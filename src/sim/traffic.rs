//! Traffic over a test: how many sessions each day brings, and how many
//! distinct visitors a test of `d` days reaches.
//!
//! # Daily volume
//! Day `i` of a test (0-based, starting on day of year `s₀`) gets a share of
//! the sessions proportional to
//! ```text
//! w_i = weekday[i mod 7]/mean(weekday) · ε_i · (1 + g)^{i/365} · (1 + A·cos(2π(s₀ + i − p)/365))
//! ```
//! with `ε_i` lognormal day-to-day noise of mean 1 and CV `daily_noise_cv`,
//! `g` the annual traffic trend, `A` the seasonal amplitude peaking on day of
//! year `p` (e.g. a Q4 peak). With no trend and no season, `E[w_i] = 1`: the
//! store's expected sessions per day `annual revenue / AOV / conversion / 365`
//! are unchanged, so a profile keeps its annual revenue. The test's *exposure*
//! is `W = Σ w_i` (`W = D` in expectation for `D` days).
//!
//! # The reach curve (NBD)
//! Each cohort `c` is an audience of `N_c` people, each visiting as a Poisson
//! process whose rate is Gamma-distributed across people with shape `k`
//! (`visit_rate_shape`): the negative binomial distribution (NBD) of
//! Ehrenberg (1959) and Goodhardt, Ehrenberg & Chatfield (1984), the standard
//! model of repeat visits and purchases (Morrison & Schmittlein 1988; for web
//! sites, Danaher 2007). A person's sessions over exposure `W` are then
//! `NB(k, mean a_c·W/30)`, where `a_c` is the cohort's mean sessions per person
//! in 30 days. Only people with at least one session are visitors, so
//! ```text
//! reach_c(W) = 1 − (1 + a_c·W/(30k))^{−k}          U(W) = Σ_c N_c · reach_c(W)
//! ```
//! grows sublinearly in `W` (returning people are not new visitors), while
//! the sessions `Σ_c N_c·a_c·W/30` grow linearly. A visitor's sessions are
//! zero-truncated NB, each session's day is drawn with probability
//! `w_i / W` (the Poisson process given its total), so new visitors keep
//! arriving over the test and returning ones come back.
//!
//! # Calibration
//! A cohort's `sessions_per_visitor` is the mean over a 30-day test (the
//! standard window) and its `share` the share of a 30-day test's visitors:
//! `a_c` solves `a/(1 − (1 + a/k)^{−k}) = sessions_per_visitor` and
//! `N_c = share_c · V₃₀ / reach_c(30)` with `V₃₀ = 30 · sessions/day /
//! sessions_per_visitor`. A 30-day test therefore sees the same visitors and
//! sessions as a profile always described; shorter tests see relatively more
//! visitors per session, longer ones fewer. A cohort with one session per
//! visitor (`sessions_per_visitor = 1`) is the limit `a_c → 0`: every
//! session is a new visitor and its reach is linear.
//!
//! # References
//! - Ehrenberg, A. S. C. (1959). The pattern of consumer purchases. *JRSS C* 8, 26–41.
//! - Goodhardt, G. J., Ehrenberg, A. S. C. & Chatfield, C. (1984). The Dirichlet: a
//!   comprehensive model of buying behaviour. *JRSS A* 147, 621–655.
//! - Morrison, D. G. & Schmittlein, D. C. (1988). Generalizing the NBD model for
//!   customer purchases. *J. Business & Economic Statistics* 6, 145–159.
//! - Danaher, P. J. (2007). Modeling page views across multiple websites with an
//!   application to internet reach and frequency prediction. *Marketing Science* 26, 422–437.

use rand_distr::{Distribution, StandardNormal};

use crate::rng::LiftRng;
use crate::store::StoreProfile;

/// The reference window, in days, in which cohort shares and sessions per
/// visitor are stated.
pub const REFERENCE_DAYS: f64 = 30.0;

/// Sessions per visitor at or below which a cohort is "one session per
/// visitor" (linear reach).
const SINGLE_SESSION: f64 = 1.0 + 1e-9;

/// The audience of one cohort.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CohortAudience {
    /// NBD shape `k` (heterogeneity of visit rates; smaller = more spread).
    pub shape: f64,
    /// Mean sessions per person in 30 days, `a_c` (0 for a single-session cohort).
    pub sessions_per_person_30: f64,
    /// People in the audience, `N_c` (for a single-session cohort: new
    /// visitors per 30 days of exposure).
    pub people: f64,
}

impl CohortAudience {
    /// Probability that a person of the audience visits at least once in
    /// exposure `w` (days): `1 − (1 + a·w/(30k))^{−k}`; for a single-session
    /// cohort, `w/30` (its `people` are per 30 days).
    pub fn reach(&self, w: f64) -> f64 {
        if self.sessions_per_person_30 == 0.0 {
            return w / REFERENCE_DAYS;
        }
        let m = self.sessions_per_person_30 * w / REFERENCE_DAYS;
        -(-self.shape * (m / self.shape).ln_1p()).exp_m1()
    }

    /// Expected visitors of this cohort in exposure `w` days, `N_c · reach(w)`.
    pub fn visitors(&self, w: f64) -> f64 {
        self.people * self.reach(w)
    }

    /// Draws a visitor's sessions over exposure `w`: zero-truncated
    /// `NB(k, mean a·w/30)` by inversion (one uniform), 1 for a
    /// single-session cohort. Capped at 100,000.
    pub fn sessions(&self, rng: &mut LiftRng, w: f64) -> u32 {
        use rand::RngExt;
        if self.sessions_per_person_30 == 0.0 {
            return 1;
        }
        let m = self.sessions_per_person_30 * w / REFERENCE_DAYS;
        let k = self.shape;
        let q = m / (m + k);
        let log_p0 = -k * (m / k).ln_1p();
        let reach = -log_p0.exp_m1();
        let u: f64 = rng.random();
        let target = u * reach;
        // P(n) = P(n−1)·(k + n − 1)/n·q, P(0) = p0.
        let mut p = log_p0.exp() * k * q;
        let mut acc = p;
        let mut n = 1u32;
        while acc < target && n < 100_000 {
            p *= (k + n as f64) / (n as f64 + 1.0) * q;
            n += 1;
            acc += p;
            if p == 0.0 {
                break;
            }
        }
        n
    }
}

/// Mean of a zero-truncated `NB(k, mean m)`: `m / (1 − (1 + m/k)^{−k})`.
fn zero_truncated_mean(m: f64, k: f64) -> f64 {
    m / -(-k * (m / k).ln_1p()).exp_m1()
}

/// Solves `a/(1 − (1 + a/k)^{−k}) = spv` for `a` (bisection on `ln a`).
fn solve_sessions_per_person(spv: f64, k: f64) -> f64 {
    let (mut lo, mut hi) = (1e-12_f64.ln(), (spv * 4.0 + 10.0).ln());
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if zero_truncated_mean(mid.exp(), k) < spv {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// The audiences of a profile's cohorts, calibrated as in the module docs.
pub fn audiences(p: &StoreProfile) -> Vec<CohortAudience> {
    let share_total: f64 = p.cohorts.iter().map(|c| c.share).sum();
    let visitors_30 = REFERENCE_DAYS * p.sessions_per_day() / p.sessions_per_visitor();
    p.cohorts
        .iter()
        .map(|c| {
            let visitors = c.share / share_total * visitors_30;
            if c.sessions_per_visitor <= SINGLE_SESSION {
                return CohortAudience { shape: p.visit_rate_shape, sessions_per_person_30: 0.0, people: visitors };
            }
            let a = solve_sessions_per_person(c.sessions_per_visitor, p.visit_rate_shape);
            let mut aud = CohortAudience { shape: p.visit_rate_shape, sessions_per_person_30: a, people: 1.0 };
            aud.people = visitors / aud.reach(REFERENCE_DAYS);
            aud
        })
        .collect()
}

/// Expected relative traffic of day `i` of a test without the day-to-day
/// noise: weekday · trend · season (see the module docs).
pub fn day_weight(p: &StoreProfile, start_day_of_year: u32, i: u32) -> f64 {
    let mean_w = p.weekday_weights.iter().sum::<f64>() / 7.0;
    let t = i as f64;
    let doy = start_day_of_year as f64 + t;
    let season = 1.0 + p.seasonal_amplitude * (2.0 * std::f64::consts::PI * (doy - p.seasonal_peak_day) / 365.0).cos();
    p.weekday_weights[i as usize % 7] / mean_w * (1.0 + p.traffic_trend_per_year).powf(t / 365.0) * season
}

/// The realized relative traffic of each day of a `days`-day test: the
/// expected weight times lognormal noise of mean 1 (one standard normal per
/// day from `rng`).
pub fn daily_weights(p: &StoreProfile, start_day_of_year: u32, days: u32, rng: &mut LiftRng) -> Vec<f64> {
    let s2 = (1.0 + p.daily_noise_cv * p.daily_noise_cv).ln();
    (0..days)
        .map(|i| {
            let z: f64 = StandardNormal.sample(rng);
            day_weight(p, start_day_of_year, i) * (s2.sqrt() * z - s2 / 2.0).exp()
        })
        .collect()
}

/// Expected unique visitors of a `days`-day test (all arms), `U(d) = Σ_c
/// N_c·reach_c(W(d))` with `W(d)` the expected exposure (noise averaged;
/// the reach curve is concave, so this is a slight upper bound of `E[U]`
/// when traffic is noisy).
pub fn expected_visitors(p: &StoreProfile, start_day_of_year: u32, days: f64) -> f64 {
    let whole = days.floor() as u32;
    let mut w: f64 = (0..whole).map(|i| day_weight(p, start_day_of_year, i)).sum();
    w += (days - whole as f64) * day_weight(p, start_day_of_year, whole);
    audiences(p).iter().map(|a| a.visitors(w)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{domain, stream};

    #[test]
    fn a_30_day_test_sees_the_profile_and_reach_is_sublinear() {
        let p = StoreProfile::default();
        let v30 = expected_visitors(&p, 0, 30.0);
        let want = 30.0 * p.sessions_per_day() / p.sessions_per_visitor();
        // Thirty days are not whole weeks: within the weekday pattern.
        assert!((v30 / want - 1.0).abs() < 0.005, "{v30} vs {want}");
        let v7 = expected_visitors(&p, 0, 7.0);
        let v90 = expected_visitors(&p, 0, 90.0);
        assert!(v7 > v30 * 7.0 / 30.0 * 1.05 && v90 < v30 * 3.0 * 0.9, "{v7} {v30} {v90}");
        for (c, a) in p.cohorts.iter().zip(audiences(&p)) {
            let m = a.sessions_per_person_30;
            assert!((zero_truncated_mean(m, a.shape) - c.sessions_per_visitor).abs() < 1e-9);
        }
    }

    #[test]
    fn sessions_are_zero_truncated_negative_binomial() {
        let a = CohortAudience { shape: 0.5, sessions_per_person_30: 1.2, people: 1.0 };
        let mut rng = stream(3, domain::SIM, 0);
        let n = 200_000;
        let draws: Vec<u32> = (0..n).map(|_| a.sessions(&mut rng, 30.0)).collect();
        let mean = draws.iter().map(|&d| d as f64).sum::<f64>() / n as f64;
        let want = zero_truncated_mean(1.2, 0.5);
        assert!(draws.iter().all(|&d| d >= 1));
        assert!((mean - want).abs() < 0.03 * want, "{mean} vs {want}");
        // P(1) of the zero-truncated NB.
        let p0 = (1.0f64 + 1.2 / 0.5).powf(-0.5);
        let p1 = p0 * 0.5 * (1.2 / 1.7) / (1.0 - p0);
        let ones = draws.iter().filter(|&&d| d == 1).count() as f64 / n as f64;
        assert!((ones - p1).abs() < 4.0 * (p1 * (1.0 - p1) / n as f64).sqrt(), "{ones} vs {p1}");
    }

    #[test]
    fn season_and_trend_shape_the_days() {
        let mut p = StoreProfile { daily_noise_cv: 0.0, ..StoreProfile::default() };
        let flat: f64 = (0..364).map(|i| day_weight(&p, 0, i)).sum::<f64>() / 364.0;
        assert!((flat - 1.0).abs() < 1e-12);
        p.seasonal_amplitude = 0.3;
        p.seasonal_peak_day = 330.0;
        assert!(day_weight(&p, 300, 30) > 1.25 && day_weight(&p, 100, 50) < 0.8);
        let year: f64 = (0..365).map(|i| day_weight(&p, 0, i)).sum::<f64>() / 365.0;
        assert!((year - 1.0).abs() < 0.01, "{year}");
    }
}
