//! Unit-level CSV: one row per randomized unit (visitor, customer, player).
//!
//! RFC 4180 quoting, CRLF line endings and a UTF-8 byte-order mark are
//! handled by the `csv` crate. Metric cells may be numbers or booleans
//! (`true`/`false` in any case, as pandas and warehouses write them), read
//! as 1/0. Anything else — an empty cell, `NaN`, `inf`, text — is an error
//! naming the file, line, column and value: a number is never guessed.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use ndarray::Array1;

use crate::error::{Error, Result};

/// Which columns to read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnSpec {
    /// Arm label column; `None` reads every row as one group (for planning).
    pub variant: Option<String>,
    /// Metrics: a column (numbers or booleans), or a ratio metric
    /// `NUM/DEN` of two columns (e.g. `margin/sessions`: contribution margin
    /// per session, with the visitor as unit).
    pub metrics: Vec<String>,
    /// Pre-period covariate column for CUPED.
    pub covariate: Option<String>,
    /// Segment column for a per-segment breakdown.
    pub segment: Option<String>,
}

/// The columns of a unit-level file, as read.
#[derive(Debug, Clone)]
pub struct UnitTable {
    /// The file read.
    pub path: PathBuf,
    /// Arm labels, sorted (byte order); `["all"]` without a variant column.
    pub arms: Vec<String>,
    /// Arm of each row, an index into `arms`.
    pub arm_of_row: Vec<u32>,
    /// Metric names, in the order asked for.
    pub metric_names: Vec<String>,
    /// One column of values per metric (the numerator of a ratio metric),
    /// one value per row.
    pub metrics: Vec<Array1<f64>>,
    /// The denominator column of each ratio metric; `None` for plain metrics.
    pub denominators: Vec<Option<Array1<f64>>>,
    /// Covariate values, one per row.
    pub covariate: Option<Array1<f64>>,
    /// Segment labels, sorted, and the segment of each row.
    pub segments: Option<(Vec<String>, Vec<u32>)>,
}

impl UnitTable {
    /// Number of rows (units).
    pub fn n_rows(&self) -> usize {
        self.arm_of_row.len()
    }

    /// Units per arm, in the order of `arms`.
    pub fn arm_counts(&self) -> Vec<u64> {
        let mut counts = vec![0u64; self.arms.len()];
        for &a in &self.arm_of_row {
            counts[a as usize] += 1;
        }
        counts
    }
}

/// Parses one metric cell: a finite number, or a boolean read as 1/0.
///
/// # Errors
/// A short reason (`"empty cell"`, `"not a number"`, `"not a finite
/// number"`) for the caller to place in an [`Error::BadValue`].
///
/// ```
/// use liftlab::io::parse_number;
/// assert_eq!(parse_number(" 29.99 "), Ok(29.99));
/// assert_eq!(parse_number("True"), Ok(1.0));
/// assert_eq!(parse_number("false"), Ok(0.0));
/// assert!(parse_number("NaN").is_err());
/// assert!(parse_number("").is_err());
/// ```
pub fn parse_number(cell: &str) -> std::result::Result<f64, &'static str> {
    let s = cell.trim();
    if s.is_empty() {
        return Err("empty cell (missing value)");
    }
    if s.eq_ignore_ascii_case("true") {
        return Ok(1.0);
    }
    if s.eq_ignore_ascii_case("false") {
        return Ok(0.0);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err("not a finite number"),
        Err(_) => Err("not a number"),
    }
}

/// Checks that no column name appears twice in a header (a second `y`
/// was silently ignored).
///
/// # Errors
/// [`Error::Csv`] at line 1 naming the column and its positions.
pub(crate) fn check_unique_header(header: &[String], path: &Path) -> Result<()> {
    for (j, name) in header.iter().enumerate() {
        if let Some(k) = header[..j].iter().position(|h| h == name) {
            return Err(Error::Csv {
                path: path.to_path_buf(),
                line: Some(1),
                message: format!(
                    "the column {name:?} appears twice in the header (columns {} and {}): rename or drop one",
                    k + 1,
                    j + 1
                ),
            });
        }
    }
    Ok(())
}

fn csv_error_at(path: &Path, e: csv::Error, lines: &Lines) -> Error {
    let line = e.position().map(|p| lines.line_at(p.byte()));
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::Io { path: path.to_path_buf(), source },
        kind => Error::Csv { path: path.to_path_buf(), line, message: csv_kind_message(&kind) },
    }
}

fn csv_kind_message(kind: &csv::ErrorKind) -> String {
    match kind {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("row has {len} field(s) but the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        other => format!("{other:?}"),
    }
}

/// Reads the columns `spec` names from a unit-level CSV file with a header.
///
/// # Errors
/// - [`Error::Io`] if the file cannot be opened or read.
/// - [`Error::Csv`] if it is malformed (ragged rows, bad UTF-8) or empty.
/// - [`Error::MissingColumn`] naming the column and the columns found.
/// - [`Error::BadValue`] with line, column and value for a metric or
///   covariate cell that is not a finite number or boolean, or an empty
///   arm label.
pub fn read_units(path: &Path, spec: &ColumnSpec) -> Result<UnitTable> {
    read_units_with(path, spec, &[], &mut |_, _| Ok(()))
}

/// The cells of the extra columns of one row, and the byte offset where the
/// row starts (for [`line_at`]).
/// Called with a row's extra cells and its 1-based line number.
pub(crate) type ExtraHook<'a> = dyn FnMut(&[&str], u64) -> Result<()> + 'a;

/// [`read_units`], also handing the cells of the columns `extra` of every
/// row, in order, to `hook` (after the row's own cells have been read).
///
/// # Errors
/// As [`read_units`]; [`Error::MissingColumn`] for an extra column not in
/// the header; whatever `hook` returns.
pub(crate) fn read_units_with(
    path: &Path,
    spec: &ColumnSpec,
    extra: &[&str],
    hook: &mut ExtraHook<'_>,
) -> Result<UnitTable> {
    let file = File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let (tracked, lines) = LineTracker::new(std::io::BufReader::new(file));
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(tracked);
    let csv_error = |path: &Path, e: csv::Error| csv_error_at(path, e, &lines.borrow());
    let header: Vec<String> =
        reader.headers().map_err(|e| csv_error(path, e))?.iter().map(|h| h.trim().to_string()).collect();
    if header.is_empty() || header.iter().all(|h| h.is_empty()) {
        return Err(Error::Csv {
            path: path.to_path_buf(),
            line: Some(1),
            message: "the file is empty or has no header row".into(),
        });
    }
    check_unique_header(&header, path)?;
    let find = |name: &str| -> Result<usize> {
        header.iter().position(|h| h == name).ok_or_else(|| Error::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            found: header.clone(),
        })
    };
    let variant_idx = spec.variant.as_deref().map(find).transpose()?;
    let metric_idx: Vec<(usize, Option<usize>)> = spec
        .metrics
        .iter()
        .map(|m| {
            if let Ok(i) = find(m) {
                return Ok((i, None));
            }
            // A ratio metric NUM/DEN: any '/' whose two sides are both columns.
            for (pos, _) in m.match_indices('/') {
                if let (Ok(n), Ok(d)) = (find(m[..pos].trim()), find(m[pos + 1..].trim())) {
                    return Ok((n, Some(d)));
                }
            }
            find(m).map(|i| (i, None))
        })
        .collect::<Result<_>>()?;
    let covariate_idx = spec.covariate.as_deref().map(find).transpose()?;
    let segment_idx = spec.segment.as_deref().map(find).transpose()?;
    let extra_idx: Vec<usize> = extra.iter().map(|c| find(c)).collect::<Result<_>>()?;

    let mut arm_ids: HashMap<String, u32> = HashMap::new();
    let mut seg_ids: HashMap<String, u32> = HashMap::new();
    let mut arm_of_row: Vec<u32> = Vec::new();
    let mut seg_of_row: Vec<u32> = Vec::new();
    let mut metrics: Vec<Vec<f64>> = vec![Vec::new(); metric_idx.len()];
    let mut denominators: Vec<Vec<f64>> = vec![Vec::new(); metric_idx.len()];
    let mut covariate: Vec<f64> = Vec::new();

    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, e)),
        }
        let start = record.position().map(|p| p.byte()).unwrap_or(0);
        lines.borrow_mut().commit(start);
        let line = lines.borrow().line_at(start);
        let number = |idx: usize| -> Result<f64> {
            let cell = &record[idx];
            parse_number(cell).map_err(|reason| Error::BadValue {
                path: path.to_path_buf(),
                line,
                column: header[idx].clone(),
                value: cell.to_string(),
                reason: reason.to_string(),
            })
        };
        let label = |idx: usize, ids: &mut HashMap<String, u32>| -> Result<u32> {
            let cell = record[idx].trim();
            if cell.is_empty() {
                return Err(Error::BadValue {
                    path: path.to_path_buf(),
                    line,
                    column: header[idx].clone(),
                    value: String::new(),
                    reason: "empty label".into(),
                });
            }
            let next = ids.len() as u32;
            Ok(*ids.entry(cell.to_string()).or_insert(next))
        };
        arm_of_row.push(match variant_idx {
            Some(i) => label(i, &mut arm_ids)?,
            None => 0,
        });
        if let Some(i) = segment_idx {
            seg_of_row.push(label(i, &mut seg_ids)?);
        }
        for ((col, den), &(i, d)) in metrics.iter_mut().zip(denominators.iter_mut()).zip(&metric_idx) {
            col.push(number(i)?);
            if let Some(d) = d {
                den.push(number(d)?);
            }
        }
        if let Some(i) = covariate_idx {
            covariate.push(number(i)?);
        }
        if !extra_idx.is_empty() {
            let cells: Vec<&str> = extra_idx.iter().map(|&i| &record[i]).collect();
            hook(&cells, line)?;
        }
    }
    if arm_of_row.is_empty() {
        return Err(Error::Csv {
            path: path.to_path_buf(),
            line: None,
            message: "the file has a header but no data rows".into(),
        });
    }
    let arms = if variant_idx.is_some() { relabel_sorted(arm_ids, &mut arm_of_row) } else { vec!["all".to_string()] };
    let segments = segment_idx.map(|_| {
        let labels = relabel_sorted(seg_ids, &mut seg_of_row);
        (labels, seg_of_row)
    });
    Ok(UnitTable {
        path: path.to_path_buf(),
        arms,
        arm_of_row,
        metric_names: spec.metrics.clone(),
        metrics: metrics.into_iter().map(Array1::from).collect(),
        denominators: denominators
            .into_iter()
            .zip(&metric_idx)
            .map(|(d, &(_, di))| di.map(|_| Array1::from(d)))
            .collect(),
        covariate: covariate_idx.map(|_| Array1::from(covariate)),
        segments,
    })
}

/// Where the line breaks are in the bytes a CSV reader has consumed, so a
/// record's line number comes from its byte offset as the file is read,
/// without reading the file a second time (which grew the memory of an
/// error by the file's size). Only the breaks after the last record handed
/// on are kept: a few kilobytes, whatever the file.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    /// `\n` before `kept_from`.
    lines_before: u64,
    /// Offset from which breaks are kept.
    kept_from: u64,
    /// Offsets of `\r` and `\n` at or after `kept_from`, with whether it is `\n`.
    breaks: std::collections::VecDeque<(u64, bool)>,
    /// Bytes read so far.
    read: u64,
}

impl Lines {
    /// 1-based line of the record starting at byte `start` (breaks at the
    /// start belong before it, so CRLF and blank lines count right).
    pub(crate) fn line_at(&self, start: u64) -> u64 {
        let mut line = 1 + self.lines_before;
        let mut s = start;
        for &(at, newline) in &self.breaks {
            if at <= s {
                line += u64::from(newline);
                if at == s {
                    s += 1;
                }
            } else {
                break;
            }
        }
        line
    }

    /// Forgets the breaks before `start` (a record at `start` was read).
    pub(crate) fn commit(&mut self, start: u64) {
        while let Some(&(at, newline)) = self.breaks.front() {
            if at >= start {
                break;
            }
            self.lines_before += u64::from(newline);
            self.breaks.pop_front();
        }
        self.kept_from = self.kept_from.max(start);
    }
}

/// A reader that records where the line breaks are ([`Lines`]).
pub(crate) struct LineTracker<R> {
    inner: R,
    lines: std::rc::Rc<std::cell::RefCell<Lines>>,
}

impl<R: std::io::Read> LineTracker<R> {
    /// Wraps `inner`; the returned handle answers line numbers.
    pub(crate) fn new(inner: R) -> (Self, std::rc::Rc<std::cell::RefCell<Lines>>) {
        let lines = std::rc::Rc::new(std::cell::RefCell::new(Lines::default()));
        (LineTracker { inner, lines: lines.clone() }, lines)
    }
}

impl<R: std::io::Read> std::io::Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut lines = self.lines.borrow_mut();
        let base = lines.read;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                lines.breaks.push_back((base + i as u64, b == b'\n'));
            }
        }
        lines.read += n as u64;
        Ok(n)
    }
}

/// Sorts labels and rewrites row ids to index the sorted list, so output
/// order does not depend on row order.
pub(crate) fn relabel_sorted(ids: HashMap<String, u32>, rows: &mut [u32]) -> Vec<String> {
    let mut pairs: Vec<(String, u32)> = ids.into_iter().collect();
    pairs.sort();
    let mut remap = vec![0u32; pairs.len()];
    for (new, (_, old)) in pairs.iter().enumerate() {
        remap[*old as usize] = new as u32;
    }
    rows.iter_mut().for_each(|r| *r = remap[*r as usize]);
    pairs.into_iter().map(|(label, _)| label).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line numbers from the bytes as read, in one pass, equal those of the
    /// text: LF, CRLF, blank lines and a quoted line break.
    #[test]
    fn line_tracker_counts_lines_in_one_pass() {
        use std::io::Read;
        for text in ["a,y\nA,1\nB,x\n", "a,y\r\nA,1\r\n\r\nB,x\r\n", "a,y\nA,\"1\n2\"\nB,x\n"] {
            let (tracked, lines) = LineTracker::new(text.as_bytes());
            let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(tracked);
            let mut record = csv::StringRecord::new();
            let mut last = 0;
            while reader.read_record(&mut record).unwrap() {
                let start = record.position().unwrap().byte();
                lines.borrow_mut().commit(start);
                last = lines.borrow().line_at(start);
            }
            let expected = text.lines().position(|l| l.starts_with("B,")).unwrap() as u64 + 1;
            assert_eq!(last, expected, "{text:?}");
            let mut rest = Vec::new();
            assert_eq!(reader.into_inner().read_to_end(&mut rest).unwrap(), 0);
        }
    }
    use std::io::Write;

    fn write(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content).unwrap();
        f
    }

    fn spec() -> ColumnSpec {
        ColumnSpec { variant: Some("arm".into()), metrics: vec!["y".into()], ..Default::default() }
    }

    #[test]
    fn reads_quoted_crlf_and_booleans() {
        let f = write(b"arm,note,y\r\nB,\"a, b\",True\r\nA,\"x\",2.5\r\nB,,false\r\n");
        let t = read_units(f.path(), &spec()).unwrap();
        assert_eq!(t.arms, vec!["A", "B"]);
        assert_eq!(t.arm_of_row, vec![1, 0, 1]);
        assert_eq!(t.metrics[0].to_vec(), vec![1.0, 2.5, 0.0]);
    }

    #[test]
    fn ratio_metrics_read_both_columns() {
        let f = write(b"arm,rev,sessions\nA,10,2\nB,0,1\n");
        let spec = ColumnSpec { metrics: vec!["rev/sessions".into(), "rev".into()], ..spec() };
        let t = read_units(f.path(), &spec).unwrap();
        assert_eq!(t.metrics[0].to_vec(), vec![10.0, 0.0]);
        assert_eq!(t.denominators[0].as_ref().unwrap().to_vec(), vec![2.0, 1.0]);
        assert!(t.denominators[1].is_none());
        let bad = ColumnSpec { metrics: vec!["rev/visits".into()], ..spec };
        assert!(read_units(f.path(), &bad).unwrap_err().to_string().contains("rev/visits"));
    }

    #[test]
    fn bad_cell_names_line_column_and_value() {
        let f = write(b"arm,y\nA,1\nB,oops\n");
        let err = read_units(f.path(), &spec()).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("\"y\"") && err.contains("oops"), "{err}");
        let f = write(b"arm,y\nA,NaN\n");
        assert!(read_units(f.path(), &spec()).unwrap_err().to_string().contains("not a finite number"));
    }

    #[test]
    fn line_numbers_are_right_with_crlf() {
        for eol in ["\n", "\r\n"] {
            let f = write(format!("arm,y{eol}A,1{eol}A,2{eol}B,oops{eol}").as_bytes());
            let err = read_units(f.path(), &spec()).unwrap_err().to_string();
            assert!(err.contains("line 4"), "{eol:?}: {err}");
        }
    }

    #[test]
    fn missing_column_lists_the_header() {
        let f = write(b"arm,z\nA,1\n");
        let err = read_units(f.path(), &spec()).unwrap_err().to_string();
        assert!(err.contains("\"y\"") && err.contains("arm, z"), "{err}");
    }

    #[test]
    fn ragged_rows_and_empty_files_are_errors() {
        let f = write(b"arm,y\nA,1,3\n");
        assert!(matches!(read_units(f.path(), &spec()), Err(Error::Csv { .. })));
        let f = write(b"");
        assert!(matches!(read_units(f.path(), &spec()), Err(Error::Csv { .. })));
        let f = write(b"arm,y\n");
        assert!(matches!(read_units(f.path(), &spec()), Err(Error::Csv { .. })));
    }
}
