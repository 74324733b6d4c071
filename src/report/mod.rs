//! Rendering results: a text table for people, JSON and CSV for scripts,
//! and one HTML page for a store owner.
//!
//! JSON and CSV field names are a public interface: they follow the
//! contract in the README and change only with a CHANGELOG entry.

pub mod audit;
pub mod audit_plot;
mod chart;
pub mod compare;
pub mod csv;
pub mod format;
pub mod frontier_plot;
pub mod html;
pub mod json;
pub mod looks;
pub mod owner;
pub mod owner_plots;
pub mod plot;
pub mod store_plan;
pub mod table;
pub mod weekly;

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Table,
    /// Pretty-printed JSON.
    Json,
    /// CSV, one row per result.
    Csv,
}
