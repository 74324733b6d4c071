//! Simulated stores and holdout tests.
//!
//! [`store`] generates visitors and sessions of a store described by a
//! [`crate::store::StoreProfile`], runs a randomized holdout on them, and
//! keeps the ground truth: the true incremental effect next to what a
//! personalization vendor's dashboard would report. [`traffic`] holds the
//! daily volume and the NBD reach curve of the store's audience.

pub mod store;
pub mod traffic;

pub use store::{
    ArmReport, ArmSpec, ArmStats, DayTotals, Level, MultiArmSummary, PooledStats, SimConfig, SimResult, SimSummary,
    Truth, VisitorStats, parse_arms, simulate, summarize, summarize_arms,
};
