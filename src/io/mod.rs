//! Reading experiment data from files.

pub mod units;

pub use units::{ColumnSpec, UnitTable, parse_number, read_units};
