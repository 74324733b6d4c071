//! # liftlab
//!
//! Experimentation and incrementality analytics: can a holdout test see the
//! lift a change is supposed to bring, and if so after how many days?
//!
//! Data flows `io → experiment (stats) → report`; the `stats` module knows
//! nothing of files, flags or plots.
//!
//! - [`io`] reads unit-level CSV files, and summaries of sums per arm
//!   (`analyze --summary`), with clear errors.
//! - [`sql`] writes the warehouse query (DuckDB, PostgreSQL, BigQuery,
//!   Snowflake) that computes such a summary.
//! - [`stats`] holds Welch's test, the delta method, CUPED, the bootstrap,
//!   SRM, power and MDE, all on mergeable sufficient statistics.
//! - [`experiment`] analyses one experiment: metrics × arms × segments.
//! - [`plan`] turns a store's traffic into MDE per duration and a verdict.
//! - [`store`] and [`sim`] describe and simulate a store under a holdout;
//!   [`montecarlo`] runs many simulated tests for power.
//! - [`weekly`] replays a dated file look by look: what weekly peeking
//!   sees, next to an always-valid confidence sequence.
//! - [`audit`] measures the field's decision rules (weekly peeking, two
//!   windows, an off switch, AOV before/after) and liftlab's own by
//!   simulation: how often each keeps a module, wrongly, at what cost.
//! - [`report`] renders results as a text table, JSON or CSV.
//!
//! ```
//! use liftlab::stats::{Moments, welch, relative_lift};
//! let control = Moments::from_slices(&[0.0, 0.0, 80.0, 0.0, 40.0], None).estimate();
//! let treatment = Moments::from_slices(&[0.0, 90.0, 0.0, 60.0, 0.0, 30.0], None).estimate();
//! let diff = welch(&control, &treatment, 0.05)?;
//! let lift = relative_lift(&control, &treatment, 0.05)?;
//! assert!((diff.effect_size - 6.0).abs() < 1e-12);
//! assert!((lift.rel_effect_size - 0.25).abs() < 1e-12);
//! # Ok::<(), liftlab::Error>(())
//! ```
#![deny(missing_docs)]

// The command line (`cli`) names the library `liftlab::…`, as a user of it would.
extern crate self as liftlab;

pub mod assign;
pub mod audit;
#[doc(hidden)]
pub mod cli;
pub mod compare;
pub mod error;
pub mod experiment;
pub mod frontier;
pub mod io;
pub mod limits;
pub mod montecarlo;
pub mod plan;
pub mod report;
pub mod rng;
pub mod sim;
pub mod sql;
pub mod stats;
pub mod store;
pub mod sweep;
pub mod weekly;

pub use error::{Error, Result};
