//! Randomization: deterministic hash bucketing of units into arms.

use crate::rng::splitmix64;

/// Arm of a two-arm holdout test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// The holdout: no treatment.
    Control,
    /// Treated units.
    Treatment,
}

impl Arm {
    /// Label written to files.
    pub fn label(self) -> &'static str {
        match self {
            Arm::Control => "control",
            Arm::Treatment => "treatment",
        }
    }
}

/// Hashes `(salt, unit_id)` to a uniform number in [0, 1).
///
/// The same unit always gets the same number for a salt, so a visitor stays
/// in one arm across sessions; a new salt re-randomizes everyone.
pub fn bucket(salt: u64, unit_id: u64) -> f64 {
    let mut s = salt ^ 0x6A09_E667_F3BC_C909;
    let _ = splitmix64(&mut s);
    s ^= unit_id;
    (splitmix64(&mut s) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Assigns a unit to control with probability `holdout`, else treatment.
///
/// ```
/// use liftlab::assign::{assign, Arm};
/// let n = (0..100_000).filter(|&id| assign(7, id, 0.1) == Arm::Control).count();
/// assert!((n as f64 / 100_000.0 - 0.1).abs() < 0.005);
/// ```
pub fn assign(salt: u64, unit_id: u64, holdout: f64) -> Arm {
    if bucket(salt, unit_id) < holdout { Arm::Control } else { Arm::Treatment }
}
