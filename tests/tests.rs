//! liftlab's integration tests: one binary, one module per feature.

mod atomic;
mod audit;
mod calibration;
mod cli;
mod compare;
mod cookie_cats;
mod hillstrom;
mod hostile;
mod limits;
mod plan_store;
mod plots;
mod reference;
mod report;
mod sequential;
mod stream;
mod summary;
mod sweep;
mod util;
mod validate;
mod weekly;
