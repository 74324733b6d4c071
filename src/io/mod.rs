//! Reading experiment data from files.

pub mod dated;
pub mod summary;
pub mod units;

pub use dated::{DateFormat, DatedSpec, DatedTable, read_dated};
pub use summary::{SumCol, SummarySpec, SummaryTable, Sums, read_summary};
pub use units::{ColumnSpec, UnitTable, parse_number, read_units};
