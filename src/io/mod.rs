//! Reading experiment data from files.

pub mod atomic;
pub mod dated;
pub mod input;
mod labels;
mod parquet;
pub mod stream;
pub mod summary;
pub mod units;

pub use atomic::{AtomicFile, write_atomic};
pub use dated::{DateFormat, DatedSpec, DatedTable, read_dated};
pub use input::{ArrowTable, Input, Row, STDIN_NAME, for_each_row, read_input};
pub use stream::{UnitSums, stream_units};
pub use summary::{SumCol, SummarySpec, SummaryTable, Sums, read_summary};
pub use units::{ColumnSpec, UnitTable, parse_number, read_units};
