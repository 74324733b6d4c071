//! Addressable random-number streams.
//!
//! Every random draw in liftlab comes from a stream addressed by
//! `(seed, domain, index)` — e.g. bootstrap resample `b` of a given seed —
//! never by thread. So results are bit-identical whatever the number of
//! threads, and work can be split into shards that merge exactly.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator liftlab uses: Xoshiro256++ (Blackman & Vigna 2021), fast,
/// 256-bit state, and passes BigCrush.
pub type LiftRng = Xoshiro256PlusPlus;

/// Stream domains, so that different uses of one seed never overlap.
pub mod domain {
    /// Bootstrap resamples (index = resample number).
    pub const BOOTSTRAP: u64 = 1;
    /// Store simulator visitors and sessions (index = shard number).
    pub const SIM: u64 = 3;
    /// Store simulator session days (index = shard; `u64::MAX` = daily traffic).
    pub const DAYS: u64 = 4;
    /// Re-randomizations of a table of units (index = replicate number).
    pub const REPLICATE: u64 = 5;
    /// Re-randomizations of a permutation test (index = draw number).
    pub const PERMUTATION: u64 = 6;
    /// Scenarios of a sweep (index = scenario number in the grid's order):
    /// each scenario's base seed, from which replicate `r` is seeded.
    pub const SWEEP: u64 = 7;
}

/// SplitMix64 step (Steele, Lea & Flood 2014): a bijective mixer that turns
/// structured inputs into well-spread 64-bit words.
#[inline]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream addressed by `(seed, domain, index)`.
///
/// The 256-bit Xoshiro state is filled by SplitMix64 from a mix of the three
/// words, so neighbouring indices give unrelated streams.
///
/// ```
/// use rand::RngExt;
/// use liftlab::rng::{stream, domain};
/// let a: u64 = stream(7, domain::BOOTSTRAP, 3).random();
/// let b: u64 = stream(7, domain::BOOTSTRAP, 3).random();
/// let c: u64 = stream(7, domain::BOOTSTRAP, 4).random();
/// assert_eq!(a, b);
/// assert_ne!(a, c);
/// ```
pub fn stream(seed: u64, domain: u64, index: u64) -> LiftRng {
    let mut s = seed;
    let mut mixed = splitmix64(&mut s);
    s = mixed ^ domain.wrapping_mul(0xD1B5_4A32_D192_ED03);
    mixed = splitmix64(&mut s);
    s = mixed ^ index.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7);
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut s).to_le_bytes());
    }
    LiftRng::from_seed(bytes)
}
