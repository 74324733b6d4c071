//! The library's error type.
//!
//! Every variant carries the offending value and says what to fix, so the
//! binary can print it as is (`error: {:#}`) and exit non-zero.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in liftlab's library code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is outside its domain (e.g. `alpha` not in (0, 1)).
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter {
        /// Parameter name as the user knows it (flag name where there is one).
        name: String,
        /// The value given, as text.
        value: String,
        /// What would have been accepted.
        expected: String,
    },
    /// A file could not be opened or read. The OS error is the source (the
    /// command line prints it after a colon, once).
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written (see [`crate::io::AtomicFile`]: nothing
    /// is left at the path). The OS error is the source.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file is malformed (unbalanced quotes, ragged rows, bad UTF-8).
    #[error("{path}: malformed CSV{}: {message}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number, when known.
        line: Option<u64>,
        /// What the CSV parser said.
        message: String,
    },
    /// A required column is not in the file's header.
    #[error("{path}: no column named {column:?} (columns found: {})", found.join(", "))]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// The header's columns.
        found: Vec<String>,
    },
    /// A cell could not be used as a number (non-numeric, empty, NaN or infinite).
    #[error("{path}: line {line}, column {column:?}: {reason}: {value:?}")]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based line number in the file (the header is line 1).
        line: u64,
        /// Column name.
        column: String,
        /// The cell as written.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An arm has too few units to estimate a variance.
    #[error("arm {arm:?} has {n} unit(s){}; at least 2 are needed to estimate a variance", segment.as_ref().map(|s| format!(" in segment {s:?}")).unwrap_or_default())]
    EmptyArm {
        /// Arm label.
        arm: String,
        /// Segment, when the check was per segment.
        segment: Option<String>,
        /// Units found.
        n: u64,
    },
    /// The control label is not among the arms in the data.
    #[error("control arm {control:?} is not in column {column:?} (labels found: {})", found.join(", "))]
    UnknownControl {
        /// Label asked for.
        control: String,
        /// The variant column.
        column: String,
        /// Labels found in the data.
        found: Vec<String>,
    },
    /// The expected split does not match the arms found.
    #[error("--expected-split {split} has {given} part(s) but the data has {found} arm(s): {}", arms.join(", "))]
    SplitMismatch {
        /// The split as given.
        split: String,
        /// Parts in the split.
        given: usize,
        /// Arms in the data.
        found: usize,
        /// Arm labels, in the order the split applies to them.
        arms: Vec<String>,
    },
    /// A plot could not be drawn or written.
    #[error("cannot draw {path}: {message}")]
    Plot {
        /// The output file.
        path: PathBuf,
        /// What the plotting backend said.
        message: String,
    },
    /// A Parquet file (or an Arrow table in memory) cannot be read, or a
    /// column of it has the wrong type or a null value.
    #[error("{path}: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the column when one is concerned.
        message: String,
    },
    /// The analysis was given per-arm sufficient statistics (streamed), but
    /// a test it must run needs the unit rows.
    #[error("metric {metric:?}: {reason} needs the unit rows, not only per-arm sums")]
    NeedsUnitRows {
        /// The metric concerned.
        metric: String,
        /// The test that needs rows.
        reason: String,
    },
    /// A statistic is undefined for this data (e.g. zero variance in both arms).
    #[error("{metric}: {message}")]
    Degenerate {
        /// Metric (and arm) concerned.
        metric: String,
        /// What is undefined and why.
        message: String,
    },
    /// A sweep's grid file, shard files or output directory is wrong:
    /// malformed (with the line and key), missing, or from another grid.
    #[error("{path}: {message}")]
    Sweep {
        /// The grid file, shard file or directory.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(name: &str, value: impl ToString, expected: &str) -> Self {
        // A huge or tiny float prints as 1e308, not 309 digits.
        let value = value.to_string();
        let value = match value.parse::<f64>() {
            Ok(x) if value.len() > 24 => format!("{x:e}"),
            _ => value,
        };
        Error::InvalidParameter { name: name.to_string(), value, expected: expected.to_string() }
    }
}

/// Checks that `value` lies strictly inside (0, 1).
pub fn check_open_unit(name: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(Error::invalid(name, value, "a number strictly between 0 and 1"))
    }
}

/// Smallest significance level accepted: below it no experiment of any
/// size rejects (a normal test at 1e-10 needs |z| > 6.5) and the t
/// quantiles lose their digits.
pub const MIN_ALPHA: f64 = 1e-10;

/// Checks a significance level (`--alpha`): `MIN_ALPHA ≤ alpha ≤ 0.5`.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `--alpha` otherwise (NaN included).
pub fn check_alpha(value: f64) -> Result<()> {
    if (MIN_ALPHA..=0.5).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid("--alpha", value, "a significance level from 1e-10 to 0.5 (0.05 is usual)"))
    }
}

/// Checks that `value` is finite and strictly positive.
pub fn check_positive(name: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(name, value, "a finite number greater than 0"))
    }
}

/// Checks that `value` is finite and not negative.
pub fn check_non_negative(name: &str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(name, value, "a finite number of at least 0"))
    }
}
