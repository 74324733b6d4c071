//! Synthetic experiment data.
//!
//! [`units`] generates a unit-level holdout test (one row per customer) with
//! zero-inflated revenue and a correlated pre-period covariate, for shipped
//! example datasets and calibration tests.

pub mod units;

pub use units::{UnitRow, UnitSimConfig, simulate_units};
