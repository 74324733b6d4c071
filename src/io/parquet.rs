//! Unit-level Parquet, and Arrow tables in memory: the columns a
//! [`ColumnSpec`] names, read batch by batch (only those columns are
//! decoded) and handed on row by row.
//!
//! Metric, denominator and covariate columns may be floating-point,
//! integer, decimal or boolean (read as 1/0); label columns (arm, segment)
//! strings, integers or booleans, plain or dictionary-encoded. A null, a
//! NaN or an infinity is an error naming the file, the column and the row.

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;

use arrow_array::{Array, ArrayRef, RecordBatch, cast::AsArray, types};
use arrow_schema::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::input::{Columns, Row};
use super::labels::Ids;
use super::units::ColumnSpec;
use crate::error::{Error, Result};

/// Rows per decoded batch.
const BATCH_ROWS: usize = 8192;

fn err(path: &Path, message: String) -> Error {
    Error::Parquet { path: path.to_path_buf(), message }
}

/// Reads the columns `spec` names from a Parquet file, handing each row to
/// `sink` in file order.
pub(crate) fn parquet_rows(path: &Path, spec: &ColumnSpec, sink: &mut dyn FnMut(&Row<'_>) -> Result<()>) -> Result<()> {
    let file = File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| err(path, format!("not a readable Parquet file: {e}")))?;
    let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let cols = Columns::resolve(&header, spec, path)?;
    // Only top-level columns are supported; their leaf indices equal the
    // field indices when the schema is flat, so project by name instead.
    let wanted: Vec<&str> = [cols.variant, cols.segment, cols.covariate]
        .into_iter()
        .flatten()
        .chain(cols.metrics.iter().flat_map(|&(n, d)| [Some(n), d]).flatten())
        .map(|i| header[i].as_str())
        .collect();
    let mask = ProjectionMask::columns(builder.parquet_schema(), wanted.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| err(path, format!("cannot read: {e}")))?;
    let batches = reader.map(|batch| {
        batch.map_err(|e| {
            let hint = if e.to_string().contains("Disabled feature") {
                " (liftlab reads uncompressed and Snappy-compressed Parquet: rewrite the file with compression snappy)"
            } else {
                ""
            };
            format!("cannot decode rows: {e}{hint}")
        })
    });
    batch_rows(path, &header, &cols, batches, sink)
}

/// Reads the columns `spec` names from Arrow record batches held in
/// memory (an [`super::ArrowTable`]), handing each row to `sink` in order.
/// Float64 columns are read in place, without a copy.
pub(crate) fn arrow_rows(
    table: &super::ArrowTable,
    spec: &ColumnSpec,
    sink: &mut dyn FnMut(&Row<'_>) -> Result<()>,
) -> Result<()> {
    let path = Path::new(&table.name);
    let header: Vec<String> = table.schema.fields().iter().map(|f| f.name().clone()).collect();
    let cols = Columns::resolve(&header, spec, path)?;
    batch_rows(path, &header, &cols, table.batches.iter().map(|b| Ok(b.clone())), sink)
}

/// A numeric column of one batch, borrowed when it is Float64.
type Column<'a> = Cow<'a, [f64]>;

/// The rows of record batches whose schema is `header`.
fn batch_rows(
    path: &Path,
    header: &[String],
    cols: &Columns,
    batches: impl Iterator<Item = std::result::Result<RecordBatch, String>>,
    sink: &mut dyn FnMut(&Row<'_>) -> Result<()>,
) -> Result<()> {
    let ratio = cols.ratio_flags();
    let k = cols.metrics.len();
    let (mut y, mut d) = (vec![0.0; k], vec![0.0; k]);
    let mut offset = 0u64;
    for batch in batches {
        let batch = batch.map_err(|e| err(path, format!("after row {offset}: {e}")))?;
        let column = |i: usize| -> Result<&ArrayRef> {
            batch.column_by_name(&header[i]).ok_or_else(|| err(path, format!("column {:?} was not decoded", header[i])))
        };
        let numbers = |i: usize| -> Result<Cow<'_, [f64]>> { numeric(column(i)?, &header[i], offset, path) };
        let labels = |i: usize| -> Result<Labels<'_>> { Labels::new(column(i)?, &header[i], offset, path) };
        let arm = cols.variant.map(labels).transpose()?;
        let segment = cols.segment.map(labels).transpose()?;
        let metric_cols: Vec<(Column<'_>, Option<Column<'_>>)> = cols
            .metrics
            .iter()
            .map(|&(n, dn)| Ok((numbers(n)?, dn.map(numbers).transpose()?)))
            .collect::<Result<_>>()?;
        let cov = cols.covariate.map(numbers).transpose()?;
        for r in 0..batch.num_rows() {
            for (j, (yc, dc)) in metric_cols.iter().enumerate() {
                y[j] = yc[r];
                d[j] = dc.as_ref().map_or(0.0, |dc| dc[r]);
            }
            sink(&Row {
                arm: arm.as_ref().map_or("all", |a| a.get(r)),
                segment: segment.as_ref().map(|s| s.get(r)),
                y: &y,
                d: &d,
                x: cov.as_ref().map_or(0.0, |c| c[r]),
                ratio: &ratio,
            })?;
        }
        offset += batch.num_rows() as u64;
    }
    if offset == 0 {
        return Err(err(path, "the input has no rows".into()));
    }
    Ok(())
}

/// Every top-level column of a (small) Parquet file as text, for the
/// summary reader: numbers in Rust's shortest round-trip form, labels as
/// written, a null as an empty cell. Returns the header and the rows.
pub(crate) fn parquet_cells(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let file = File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| err(path, format!("not a readable Parquet file: {e}")))?;
    let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let reader = builder.with_batch_size(BATCH_ROWS).build().map_err(|e| err(path, format!("cannot read: {e}")))?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| err(path, format!("cannot decode rows after row {}: {e}", rows.len())))?;
        let first = rows.len();
        rows.resize(first + batch.num_rows(), Vec::with_capacity(header.len()));
        for (name, column) in header.iter().zip(batch.columns()) {
            for (r, row) in rows[first..].iter_mut().enumerate() {
                row.push(cell_text(column, r).ok_or_else(|| {
                    err(path, format!("column {name:?} has type {}, expected numbers or labels", column.data_type()))
                })?);
            }
        }
    }
    if rows.is_empty() {
        return Err(err(path, "the file has no rows".into()));
    }
    Ok((header, rows))
}

/// The text of cell `i` of a column ("" for a null); `None` for a type that
/// is neither a number nor a label.
fn cell_text(a: &ArrayRef, i: usize) -> Option<String> {
    if a.is_null(i) {
        return Some(String::new());
    }
    Some(match a.data_type() {
        DataType::Float64 => a.as_primitive::<types::Float64Type>().value(i).to_string(),
        DataType::Float32 => (a.as_primitive::<types::Float32Type>().value(i) as f64).to_string(),
        DataType::Decimal128(_, scale) => {
            (a.as_primitive::<types::Decimal128Type>().value(i) as f64 * 10f64.powi(-(*scale as i32))).to_string()
        }
        DataType::Boolean => a.as_boolean().value(i).to_string(),
        DataType::Utf8 => a.as_string::<i32>().value(i).to_string(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).to_string(),
        DataType::Utf8View => a.as_string_view().value(i).to_string(),
        DataType::Dictionary(_, _) => {
            let dict = a.as_any_dictionary();
            let key = dict.normalized_keys()[i];
            cell_text(dict.values(), key)?
        }
        t if t.is_integer() => integer_value(a, i).to_string(),
        _ => return None,
    })
}

/// A numeric column of one batch as `f64` (booleans as 1/0).
fn numeric<'a>(a: &'a ArrayRef, name: &str, offset: u64, path: &Path) -> Result<Cow<'a, [f64]>> {
    macro_rules! widen {
        ($t:ident) => {
            Cow::Owned(a.as_primitive::<types::$t>().values().iter().map(|&v| v as f64).collect())
        };
    }
    let values: Cow<'a, [f64]> = match a.data_type() {
        DataType::Float64 => Cow::Borrowed(a.as_primitive::<types::Float64Type>().values()),
        DataType::Float32 => widen!(Float32Type),
        DataType::Int64 => widen!(Int64Type),
        DataType::Int32 => widen!(Int32Type),
        DataType::Int16 => widen!(Int16Type),
        DataType::Int8 => widen!(Int8Type),
        DataType::UInt64 => widen!(UInt64Type),
        DataType::UInt32 => widen!(UInt32Type),
        DataType::UInt16 => widen!(UInt16Type),
        DataType::UInt8 => widen!(UInt8Type),
        DataType::Decimal128(_, scale) => {
            let f = 10f64.powi(-(*scale as i32));
            a.as_primitive::<types::Decimal128Type>()
                .values()
                .iter()
                .map(|&v| v as f64 * f)
                .collect::<Vec<f64>>()
                .into()
        }
        DataType::Boolean => {
            let b = a.as_boolean();
            (0..b.len()).map(|i| if b.value(i) { 1.0 } else { 0.0 }).collect::<Vec<f64>>().into()
        }
        other => {
            return Err(err(
                path,
                format!("column {name:?} has type {other}, expected numbers or booleans (a metric or covariate)"),
            ));
        }
    };
    if let Some(i) = (0..a.len()).find(|&i| a.is_null(i)) {
        return Err(err(path, format!("row {}, column {name:?}: missing value (null)", offset + i as u64 + 1)));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(err(
            path,
            format!("row {}, column {name:?}: not a finite number: {}", offset + i as u64 + 1, values[i]),
        ));
    }
    Ok(values)
}

/// A label column of one batch.
enum Labels<'a> {
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    /// Integer, boolean and dictionary labels: each row's index into the
    /// distinct labels' text (one string per label, not per row).
    Indexed {
        keys: Vec<u32>,
        texts: Vec<String>,
    },
}

impl<'a> Labels<'a> {
    fn new(a: &'a ArrayRef, name: &str, offset: u64, path: &Path) -> Result<Self> {
        let empty = |i: usize| {
            err(path, format!("row {}, column {name:?}: missing label (null or empty)", offset + i as u64 + 1))
        };
        if let Some(i) = (0..a.len()).find(|&i| a.is_null(i)) {
            return Err(empty(i));
        }
        let labels = match a.data_type() {
            DataType::Utf8 => Labels::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => Labels::LargeUtf8(a.as_string::<i64>()),
            DataType::Utf8View => Labels::View(a.as_string_view()),
            DataType::Dictionary(_, _) => {
                let dict = a.as_any_dictionary();
                let values = Labels::new(dict.values(), name, offset, path)?;
                let keys = dict.normalized_keys().into_iter().map(|k| k as u32).collect();
                Labels::Indexed { keys, texts: (0..dict.values().len()).map(|k| values.get(k).to_string()).collect() }
            }
            DataType::Boolean => {
                let b = a.as_boolean();
                let keys = (0..b.len()).map(|i| u32::from(b.value(i))).collect();
                Labels::Indexed { keys, texts: vec!["false".into(), "true".into()] }
            }
            t if t.is_integer() => {
                let mut ids: Ids<i128> = Ids::default();
                let keys = (0..a.len()).map(|i| ids.id(&integer_value(a, i))).collect();
                Labels::Indexed { keys, texts: ids.keys().iter().map(i128::to_string).collect() }
            }
            other => {
                return Err(err(
                    path,
                    format!("column {name:?} has type {other}, expected labels (strings or integers)"),
                ));
            }
        };
        if let Some(i) = (0..a.len()).find(|&i| labels.get(i).trim().is_empty()) {
            return Err(empty(i));
        }
        Ok(labels)
    }

    fn get(&self, i: usize) -> &str {
        match self {
            Labels::Utf8(a) => a.value(i).trim(),
            Labels::LargeUtf8(a) => a.value(i).trim(),
            Labels::View(a) => a.value(i).trim(),
            Labels::Indexed { keys, texts } => texts[keys[i] as usize].trim(),
        }
    }
}

/// Integer `a[i]`, widened (every Arrow integer type fits in an i128).
fn integer_value(a: &ArrayRef, i: usize) -> i128 {
    match a.data_type() {
        DataType::Int64 => a.as_primitive::<types::Int64Type>().value(i).into(),
        DataType::Int32 => a.as_primitive::<types::Int32Type>().value(i).into(),
        DataType::Int16 => a.as_primitive::<types::Int16Type>().value(i).into(),
        DataType::Int8 => a.as_primitive::<types::Int8Type>().value(i).into(),
        DataType::UInt64 => a.as_primitive::<types::UInt64Type>().value(i).into(),
        DataType::UInt32 => a.as_primitive::<types::UInt32Type>().value(i).into(),
        DataType::UInt16 => a.as_primitive::<types::UInt16Type>().value(i).into(),
        _ => a.as_primitive::<types::UInt8Type>().value(i).into(),
    }
}
