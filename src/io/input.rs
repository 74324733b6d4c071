//! Where unit rows come from: a CSV file, a gzip-compressed CSV file
//! (`.csv.gz`), a Parquet file (`.parquet`, `.pq`), or standard input (`-`,
//! CSV, optionally gzip-compressed).
//!
//! [`for_each_row`] hands the rows one at a time to a callback without
//! keeping them, so a caller can stream them into sufficient statistics
//! ([`crate::io::stream_units`]) or collect them ([`read_input`]). The
//! format is chosen from the file name; on standard input, from the first
//! two bytes (the gzip magic number `1f 8b`).
//!
//! Errors name the file (or "standard input"), the column and, for CSV,
//! the line; Parquet errors give the row.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use ndarray::Array1;

use super::labels::Ids;
use super::units::{ColumnSpec, LineTracker, UnitTable, parse_number, read_units, relabel_sorted};
use crate::error::{Error, Result};

/// Name used in messages for data read from standard input.
pub const STDIN_NAME: &str = "standard input";

/// A source of unit rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A CSV file.
    Csv(PathBuf),
    /// A gzip-compressed CSV file (`.gz`).
    CsvGz(PathBuf),
    /// A Parquet file (`.parquet`, `.pq`).
    Parquet(PathBuf),
    /// CSV on standard input (gzip-compressed or not).
    Stdin,
    /// An Arrow table in memory (from pandas, polars, pyarrow or numpy
    /// through the Python package), read in place.
    Arrow(ArrowTable),
}

/// Arrow record batches held in memory, with a name for messages.
///
/// Columns are read as Parquet columns are (see [`crate::io`]): numbers,
/// decimals or booleans for metrics and covariates, strings, integers or
/// booleans (plain or dictionary-encoded) for labels; a null or a
/// non-finite value is an error naming the row and the column. Float64
/// columns are read without a copy.
#[derive(Debug, Clone)]
pub struct ArrowTable {
    /// The name used in messages and reports (e.g. `pandas DataFrame`).
    pub name: String,
    /// The schema of every batch.
    pub schema: arrow_schema::SchemaRef,
    /// The rows, batch after batch.
    pub batches: std::sync::Arc<Vec<arrow_array::RecordBatch>>,
}

/// Two tables are the same input when they share their batches.
impl PartialEq for ArrowTable {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && std::sync::Arc::ptr_eq(&self.batches, &other.batches)
    }
}

impl Eq for ArrowTable {}

impl Input {
    /// The input a command-line argument names: `-` is standard input;
    /// otherwise the extension decides (`.gz`, `.parquet`/`.pq`, else CSV).
    ///
    /// ```
    /// use liftlab::io::Input;
    /// use std::path::Path;
    /// assert_eq!(Input::from_arg(Path::new("-")), Input::Stdin);
    /// assert!(matches!(Input::from_arg(Path::new("u.csv.gz")), Input::CsvGz(_)));
    /// assert!(matches!(Input::from_arg(Path::new("u.parquet")), Input::Parquet(_)));
    /// ```
    pub fn from_arg(path: &Path) -> Self {
        if path.as_os_str() == "-" {
            return Input::Stdin;
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "gz" => Input::CsvGz(path.to_path_buf()),
            "parquet" | "pq" => Input::Parquet(path.to_path_buf()),
            _ => Input::Csv(path.to_path_buf()),
        }
    }

    /// The path used in messages and reports ("standard input" for `-`).
    pub fn name(&self) -> PathBuf {
        match self {
            Input::Csv(p) | Input::CsvGz(p) | Input::Parquet(p) => p.clone(),
            Input::Stdin => PathBuf::from(STDIN_NAME),
            Input::Arrow(t) => PathBuf::from(&t.name),
        }
    }

    /// Whether the input can be read a second time (files can, standard input cannot).
    pub fn rereadable(&self) -> bool {
        !matches!(self, Input::Stdin)
    }
}

/// One unit row, as handed to the callback of [`for_each_row`].
#[derive(Debug)]
pub struct Row<'a> {
    /// Arm label (`"all"` without a variant column).
    pub arm: &'a str,
    /// Segment label, with a segment column.
    pub segment: Option<&'a str>,
    /// Metric values (numerators of ratio metrics), in the order of the spec.
    pub y: &'a [f64],
    /// Denominators of ratio metrics (0 for plain metrics).
    pub d: &'a [f64],
    /// Covariate value (0 without a covariate).
    pub x: f64,
    /// Which metrics are ratio metrics `NUM/DEN` (the same for every row).
    pub ratio: &'a [bool],
}

/// Positions of the columns a [`ColumnSpec`] names, in a header.
pub(crate) struct Columns {
    /// Arm label column.
    pub(crate) variant: Option<usize>,
    /// Metric column and, for a ratio metric, its denominator column.
    pub(crate) metrics: Vec<(usize, Option<usize>)>,
    /// Covariate column.
    pub(crate) covariate: Option<usize>,
    /// Segment column.
    pub(crate) segment: Option<usize>,
}

impl Columns {
    pub(crate) fn ratio_flags(&self) -> Vec<bool> {
        self.metrics.iter().map(|(_, d)| d.is_some()).collect()
    }

    pub(crate) fn resolve(header: &[String], spec: &ColumnSpec, path: &Path) -> Result<Self> {
        super::units::check_unique_header(header, path)?;
        let find = |name: &str| -> Result<usize> {
            header.iter().position(|h| h == name).ok_or_else(|| Error::MissingColumn {
                path: path.to_path_buf(),
                column: name.to_string(),
                found: header.to_vec(),
            })
        };
        let metrics = spec
            .metrics
            .iter()
            .map(|m| {
                if let Ok(i) = find(m) {
                    return Ok((i, None));
                }
                for (pos, _) in m.match_indices('/') {
                    if let (Ok(n), Ok(d)) = (find(m[..pos].trim()), find(m[pos + 1..].trim())) {
                        return Ok((n, Some(d)));
                    }
                }
                find(m).map(|i| (i, None))
            })
            .collect::<Result<_>>()?;
        Ok(Columns {
            variant: spec.variant.as_deref().map(find).transpose()?,
            metrics,
            covariate: spec.covariate.as_deref().map(find).transpose()?,
            segment: spec.segment.as_deref().map(find).transpose()?,
        })
    }
}

/// Reads every row of `input`, handing each to `sink` in file order; keeps
/// no row.
///
/// # Errors
/// [`Error::Io`] (a missing file, a malformed gzip stream), [`Error::Csv`],
/// [`Error::MissingColumn`], [`Error::BadValue`] as for
/// [`crate::io::read_units`]; [`Error::Parquet`] for an unreadable Parquet
/// file, a non-numeric metric column or a null; whatever `sink` returns.
pub fn for_each_row(input: &Input, spec: &ColumnSpec, sink: &mut dyn FnMut(&Row<'_>) -> Result<()>) -> Result<()> {
    let name = input.name();
    let io = |source| Error::Io { path: name.clone(), source };
    match input {
        Input::Csv(path) => {
            let file = File::open(path).map_err(io)?;
            csv_rows(BufReader::with_capacity(1 << 16, file), &name, spec, sink)
        }
        Input::CsvGz(path) => {
            let file = File::open(path).map_err(io)?;
            let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file));
            csv_rows(BufReader::with_capacity(1 << 16, gz), &name, spec, sink)
        }
        Input::Stdin => {
            let mut stdin = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
            let head = stdin.fill_buf().map_err(io)?;
            if head.is_empty() {
                return Err(Error::Csv {
                    path: name.clone(),
                    line: None,
                    message: "standard input is empty (no header row)".into(),
                });
            }
            if head.starts_with(&[0x1f, 0x8b]) {
                let gz = flate2::read::MultiGzDecoder::new(stdin);
                csv_rows(BufReader::with_capacity(1 << 16, gz), &name, spec, sink)
            } else {
                csv_rows(stdin, &name, spec, sink)
            }
        }
        Input::Parquet(path) => super::parquet::parquet_rows(path, spec, sink),
        Input::Arrow(table) => super::parquet::arrow_rows(table, spec, sink),
    }
}

/// Reads `input` into memory, as [`crate::io::read_units`] does for a CSV
/// file (which it calls for one).
///
/// # Errors
/// As [`for_each_row`]; [`Error::Csv`] for an input with no data rows.
pub fn read_input(input: &Input, spec: &ColumnSpec) -> Result<UnitTable> {
    if let Input::Csv(path) = input {
        return read_units(path, spec);
    }
    let k = spec.metrics.len();
    let mut arm_ids: Ids<String> = Ids::default();
    let mut seg_ids: Ids<String> = Ids::default();
    let (mut arm_of_row, mut seg_of_row) = (Vec::new(), Vec::new());
    let mut metrics: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut dens: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut covariate = Vec::new();
    let mut is_ratio = vec![false; k];
    for_each_row(input, spec, &mut |row| {
        arm_of_row.push(arm_ids.id(row.arm));
        if let Some(s) = row.segment {
            seg_of_row.push(seg_ids.id(s));
        }
        is_ratio.copy_from_slice(row.ratio);
        for j in 0..k {
            metrics[j].push(row.y[j]);
            if is_ratio[j] {
                dens[j].push(row.d[j]);
            }
        }
        if spec.covariate.is_some() {
            covariate.push(row.x);
        }
        Ok(())
    })?;
    if arm_of_row.is_empty() {
        return Err(Error::Csv {
            path: input.name(),
            line: None,
            message: "the input has a header but no data rows".into(),
        });
    }
    let arms = if spec.variant.is_some() {
        relabel_sorted(arm_ids.into_map(), &mut arm_of_row)
    } else {
        vec!["all".to_string()]
    };
    let segments = spec.segment.as_ref().map(|_| (relabel_sorted(seg_ids.into_map(), &mut seg_of_row), seg_of_row));
    Ok(UnitTable {
        path: input.name(),
        arms,
        arm_of_row,
        metric_names: spec.metrics.clone(),
        metrics: metrics.into_iter().map(Array1::from).collect(),
        denominators: dens.into_iter().zip(&is_ratio).map(|(d, &r)| r.then(|| Array1::from(d))).collect(),
        covariate: spec.covariate.as_ref().map(|_| Array1::from(covariate)),
        segments,
    })
}

/// The header and columns of a CSV stream, then its rows.
fn csv_rows(
    reader: impl Read,
    name: &Path,
    spec: &ColumnSpec,
    sink: &mut dyn FnMut(&Row<'_>) -> Result<()>,
) -> Result<()> {
    // Line numbers from the bytes as they pass (CRLF-exact, one pass).
    let (reader, lines) = LineTracker::new(reader);
    let line_of = |pos: &csv::Position| lines.borrow().line_at(pos.byte());
    let csv_err = |e: csv::Error| {
        let line = e.position().map(line_of);
        match e.into_kind() {
            csv::ErrorKind::Io(source) => Error::Io { path: name.to_path_buf(), source },
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => Error::Csv {
                path: name.to_path_buf(),
                line,
                message: format!("row has {len} field(s) but the header has {expected_len}"),
            },
            csv::ErrorKind::Utf8 { .. } => {
                Error::Csv { path: name.to_path_buf(), line, message: "invalid UTF-8".into() }
            }
            other => Error::Csv { path: name.to_path_buf(), line, message: format!("{other:?}") },
        }
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(reader);
    let header: Vec<String> = reader.headers().map_err(csv_err)?.iter().map(|h| h.trim().to_string()).collect();
    if header.is_empty() || header.iter().all(|h| h.is_empty()) {
        return Err(Error::Csv {
            path: name.to_path_buf(),
            line: Some(1),
            message: "the input is empty or has no header row".into(),
        });
    }
    let cols = Columns::resolve(&header, spec, name)?;
    let k = cols.metrics.len();
    let (mut y, mut d) = (vec![0.0; k], vec![0.0; k]);
    let ratio = cols.ratio_flags();
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    while reader.read_record(&mut record).map_err(csv_err)? {
        rows += 1;
        let pos = record.position().cloned().unwrap_or_else(csv::Position::new);
        lines.borrow_mut().commit(pos.byte());
        let bad = |idx: usize, value: &str, reason: &str| Error::BadValue {
            path: name.to_path_buf(),
            line: line_of(&pos),
            column: header[idx].clone(),
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let number = |idx: usize| parse_number(&record[idx]).map_err(|r| bad(idx, &record[idx], r));
        let label = |idx: usize| -> Result<&str> {
            let cell = record[idx].trim();
            if cell.is_empty() { Err(bad(idx, "", "empty label")) } else { Ok(cell) }
        };
        let arm = match cols.variant {
            Some(i) => label(i)?,
            None => "all",
        };
        let segment = cols.segment.map(label).transpose()?;
        for (j, &(i, di)) in cols.metrics.iter().enumerate() {
            y[j] = number(i)?;
            d[j] = match di {
                Some(di) => number(di)?,
                None => 0.0,
            };
        }
        let x = cols.covariate.map(number).transpose()?.unwrap_or(0.0);
        sink(&Row { arm, segment, y: &y, d: &d, x, ratio: &ratio })?;
    }
    if rows == 0 {
        return Err(Error::Csv {
            path: name.to_path_buf(),
            line: None,
            message: "the input has a header but no data rows".into(),
        });
    }
    Ok(())
}
