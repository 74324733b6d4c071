//! liftlab's integration tests: one binary, one module per feature.

mod calibration;
mod cli;
mod hillstrom;
mod reference;
mod util;
