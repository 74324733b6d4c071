//! Sufficient-statistics input: one row per arm × metric (× segment) with
//! the sums a warehouse computes in one pass (`liftlab sql` writes the
//! query), instead of one row per unit.
//!
//! # Columns
//!
//! | column | when | meaning (over the units of the row's arm, metric and segment) |
//! |---|---|---|
//! | *variant* | always | arm label (the column `--variant-col` names) |
//! | `metric` | always | metric name as `--metric` writes it: `spend`, or `margin/sessions` for a ratio |
//! | *segment* | with `--segment-col` | segment label (the column `--segment-col` names) |
//! | `covariate` | optional | name of the CUPED covariate; checked against `--covariate` |
//! | `n` | always | units (a non-negative integer) |
//! | `sum_y`, `sum_y2` | always | `Σy`, `Σy²` (`y`: the metric, or a ratio's numerator) |
//! | `sum_y3` | for the skewness rule | `Σy³` |
//! | `sum_d`, `sum_d2`, `sum_yd` | ratio metrics | `Σd`, `Σd²`, `Σy·d` (`d`: the denominator) |
//! | `sum_d3`, `sum_y2d`, `sum_yd2` | ratio metrics, skewness rule | `Σd³`, `Σy²d`, `Σy·d²` |
//! | `sum_x`, `sum_x2`, `sum_xy` | CUPED | `Σx`, `Σx²`, `Σx·y` (`x`: the covariate) |
//! | `sum_dx` | CUPED of a ratio metric | `Σd·x` |
//!
//! A cell of a column that does not apply to the row (`sum_d` of a plain
//! metric) is empty. Other columns are ignored. Rows are unique by arm,
//! metric and (with `--segment-col`) segment; overall results add the
//! segments' sums, which is exact.
//!
//! The file is CSV or, with a `.parquet`/`.pq` extension, Parquet (sums of
//! any numeric type, labels as strings or integers, a null as an empty
//! cell). Every cell is checked when read: `n` must be a whole number (at least 2
//! on rows without a segment), sums finite, and squares consistent with a
//! non-negative variance (`Σy² ≥ (Σy)²/n` up to rounding). Errors name the
//! file, line, column and value.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::parse_number;

/// A sum column of the summary contract (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SumCol {
    /// `Σy`.
    Y,
    /// `Σy²`.
    Y2,
    /// `Σy³`.
    Y3,
    /// `Σd`.
    D,
    /// `Σd²`.
    D2,
    /// `Σy·d`.
    Yd,
    /// `Σd³`.
    D3,
    /// `Σy²·d`.
    Y2d,
    /// `Σy·d²`.
    Yd2,
    /// `Σx`.
    X,
    /// `Σx²`.
    X2,
    /// `Σx·y`.
    Xy,
    /// `Σd·x`.
    Dx,
}

impl SumCol {
    /// Every sum column, in the order of the contract.
    pub const ALL: [SumCol; 13] = [
        SumCol::Y,
        SumCol::Y2,
        SumCol::Y3,
        SumCol::D,
        SumCol::D2,
        SumCol::Yd,
        SumCol::D3,
        SumCol::Y2d,
        SumCol::Yd2,
        SumCol::X,
        SumCol::X2,
        SumCol::Xy,
        SumCol::Dx,
    ];

    /// The column's name in a summary file (`sum_y2`).
    pub fn name(self) -> &'static str {
        match self {
            SumCol::Y => "sum_y",
            SumCol::Y2 => "sum_y2",
            SumCol::Y3 => "sum_y3",
            SumCol::D => "sum_d",
            SumCol::D2 => "sum_d2",
            SumCol::Yd => "sum_yd",
            SumCol::D3 => "sum_d3",
            SumCol::Y2d => "sum_y2d",
            SumCol::Yd2 => "sum_yd2",
            SumCol::X => "sum_x",
            SumCol::X2 => "sum_x2",
            SumCol::Xy => "sum_xy",
            SumCol::Dx => "sum_dx",
        }
    }
}

/// The sums of one arm × metric (× segment): `n` and every sum column the
/// file has a value for.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sums {
    /// Units.
    pub n: u64,
    values: [Option<f64>; 13],
}

impl Sums {
    /// The value of a sum column, if the row has one.
    pub fn get(&self, col: SumCol) -> Option<f64> {
        self.values[col as usize]
    }

    /// The value of a sum column, 0 when absent (for covariate-free metrics).
    pub fn or_zero(&self, col: SumCol) -> f64 {
        self.get(col).unwrap_or(0.0)
    }

    /// Whether the row is a ratio metric's (it has `sum_d`).
    pub fn is_ratio(&self) -> bool {
        self.get(SumCol::D).is_some()
    }

    /// Adds `other`'s units: counts and sums add; a column absent from
    /// either side is absent from the total.
    pub fn add(&mut self, other: &Sums) {
        self.n += other.n;
        for (a, b) in self.values.iter_mut().zip(other.values) {
            *a = match (*a, b) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
        }
    }
}

/// Which columns of a summary to read (the flags of `analyze`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SummarySpec {
    /// Column holding the arm label.
    pub variant: String,
    /// Metrics to read (as written in the `metric` column); empty = all, in
    /// file order.
    pub metrics: Vec<String>,
    /// CUPED covariate: its sum columns become required.
    pub covariate: Option<String>,
    /// Column holding the segment label.
    pub segment: Option<String>,
}

/// A summary file, as read.
#[derive(Debug, Clone)]
pub struct SummaryTable {
    /// The file read.
    pub path: PathBuf,
    /// Arm labels, sorted (byte order).
    pub arms: Vec<String>,
    /// Metric names, in the order asked for (or of first appearance).
    pub metric_names: Vec<String>,
    /// Whether each metric is a ratio metric.
    pub is_ratio: Vec<bool>,
    /// Segment labels, sorted, with `--segment-col`.
    pub segments: Option<Vec<String>>,
    /// Whether every row carries the third-order sums the skewness rule needs.
    pub has_skew_sums: bool,
    /// Sums by (arm, metric, segment) indices.
    cells: BTreeMap<(usize, usize, Option<usize>), Sums>,
}

impl SummaryTable {
    /// Sums of arm `arm` and metric `metric` in segment `seg`, or over all
    /// segments (`None`); `None` when the file has no such row.
    pub fn sums(&self, arm: usize, metric: usize, seg: Option<usize>) -> Option<Sums> {
        match (seg, &self.segments) {
            (Some(s), _) => self.cells.get(&(arm, metric, Some(s))).copied(),
            (None, None) => self.cells.get(&(arm, metric, None)).copied(),
            (None, Some(labels)) => {
                let mut total: Option<Sums> = None;
                for s in 0..labels.len() {
                    if let Some(c) = self.cells.get(&(arm, metric, Some(s))) {
                        match &mut total {
                            Some(t) => t.add(c),
                            None => total = Some(*c),
                        }
                    }
                }
                total
            }
        }
    }

    /// Units per arm (from the first metric, over all segments).
    pub fn arm_counts(&self) -> Vec<u64> {
        (0..self.arms.len()).map(|a| self.sums(a, 0, None).map_or(0, |s| s.n)).collect()
    }
}

/// 1-based line of the record starting at byte `start` (CRLF-safe).
fn line_of(bytes: &[u8], start: u64) -> u64 {
    let mut s = (start as usize).min(bytes.len());
    while s < bytes.len() && (bytes[s] == b'\n' || bytes[s] == b'\r') {
        s += 1;
    }
    1 + bytes[..s].iter().filter(|&&b| b == b'\n').count() as u64
}

/// Reads a summary as CSV or, for a `.parquet`/`.pq` path, as Parquet (see
/// the module docs for the columns; in Parquet, sums may be any numeric type
/// and a null is an empty cell).
///
/// # Errors
/// - [`Error::Io`] if the file cannot be read; [`Error::Csv`] if it is
///   malformed or has no data rows; [`Error::Parquet`] if a Parquet file
///   cannot be decoded, and for the value errors below (naming the row).
/// - [`Error::MissingColumn`] for a required column (the variant, `metric`,
///   `n`, `sum_y`, `sum_y2`, the segment column, the covariate's sums).
/// - [`Error::BadValue`] naming line, column and value for: an empty
///   label; a negative or fractional `n`, or `n < 2` on a row without
///   segment; a non-finite sum; a missing sum the row needs; sums of squares
///   below `(Σ)²/n`; a duplicate row; a covariate other than `--covariate`;
///   a metric that is a ratio on one row and plain on another; an arm whose
///   metrics disagree on `n`; a metric asked for but absent.
pub fn read_summary(path: &Path, spec: &SummarySpec) -> Result<SummaryTable> {
    if matches!(super::Input::from_arg(path), super::Input::Parquet(_)) {
        let (header, rows) = super::parquet::parquet_cells(path)?;
        // Parquet has rows, not lines: record i (from 1) is given line i + 1
        // so that value errors can be restated as "row i".
        let records = rows.into_iter().enumerate().map(|(i, r)| Ok((i as u64 + 2, r)));
        return summary_from_records(path, spec, header, records, "row", 1).map_err(|e| match e {
            Error::BadValue { path, line, column, value, reason } => {
                Error::Parquet { path, message: format!("row {}, column {column:?}: {reason}: {value:?}", line - 1) }
            }
            other => other,
        });
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes.as_slice());
    let csv_err = |e: csv::Error| {
        let line = e.position().map(|p| line_of(&bytes, p.byte()));
        Error::Csv { path: path.to_path_buf(), line, message: e.to_string() }
    };
    let header: Vec<String> = reader.headers().map_err(csv_err)?.iter().map(|h| h.trim().to_string()).collect();
    let records = reader.into_records().map(|r| {
        let record = r.map_err(csv_err)?;
        let line = line_of(&bytes, record.position().map_or(0, |p| p.byte()));
        Ok((line, record.iter().map(str::to_string).collect()))
    });
    summary_from_records(path, spec, header, records, "line", 0)
}

/// The summary from a header and records `(line, cells)`; `pos` names a
/// record's position in messages ("line", or "row" for Parquet, whose
/// records are numbered from 2 with `pos_offset` 1 subtracted).
fn summary_from_records(
    path: &Path,
    spec: &SummarySpec,
    header: Vec<String>,
    records: impl Iterator<Item = Result<(u64, Vec<String>)>>,
    pos: &str,
    pos_offset: u64,
) -> Result<SummaryTable> {
    super::units::check_unique_header(&header, path)?;
    let find = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| {
        find(name).ok_or_else(|| Error::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            found: header.clone(),
        })
    };
    let variant_idx = need(&spec.variant)?;
    let metric_idx = need("metric")?;
    let n_idx = need("n")?;
    let segment_idx = spec.segment.as_deref().map(need).transpose()?;
    let covariate_idx = find("covariate");
    let sum_idx: Vec<Option<usize>> = SumCol::ALL.iter().map(|c| find(c.name())).collect();
    for c in [SumCol::Y, SumCol::Y2] {
        need(c.name())?;
    }
    if spec.covariate.is_some() {
        for c in [SumCol::X, SumCol::X2, SumCol::Xy] {
            need(c.name())?;
        }
    }

    let mut arm_ids: HashMap<String, usize> = HashMap::new();
    let mut seg_ids: HashMap<String, usize> = HashMap::new();
    let mut metric_names: Vec<String> = Vec::new();
    let mut is_ratio: Vec<bool> = Vec::new();
    let mut cells: BTreeMap<(usize, usize, Option<usize>), (Sums, u64)> = BTreeMap::new();
    let mut has_skew_sums = true;
    for item in records {
        let (line, record) = item?;
        let bad = |idx: usize, reason: String| Error::BadValue {
            path: path.to_path_buf(),
            line,
            column: header[idx].clone(),
            value: record[idx].to_string(),
            reason,
        };
        let label = |idx: usize| -> Result<String> {
            let cell = record[idx].trim();
            if cell.is_empty() { Err(bad(idx, "empty label".into())) } else { Ok(cell.to_string()) }
        };
        let metric = label(metric_idx)?;
        let wanted = spec.metrics.is_empty() || spec.metrics.contains(&metric);
        if !wanted {
            continue;
        }
        let arm = label(variant_idx)?;
        let seg = segment_idx.map(label).transpose()?;
        if let (Some(i), Some(cov)) = (covariate_idx, &spec.covariate) {
            let cell = record[i].trim();
            if !cell.is_empty() && cell != cov {
                return Err(bad(i, format!("the summary's covariate is not --covariate {cov:?}")));
            }
        }
        let n = parse_number(&record[n_idx]).map_err(|r| bad(n_idx, r.to_string()))?;
        if n < 0.0 || n.fract() != 0.0 || n > 9.0e15 {
            return Err(bad(n_idx, "n must be a whole number of units, 0 or more".into()));
        }
        let n = n as u64;
        if n < 2 && seg.is_none() {
            return Err(bad(n_idx, "an arm needs at least 2 units to estimate a variance".into()));
        }
        let mut sums = Sums { n, values: [None; 13] };
        for (k, idx) in sum_idx.iter().enumerate() {
            if let Some(i) = *idx
                && !record[i].trim().is_empty()
            {
                sums.values[k] = Some(parse_number(&record[i]).map_err(|r| bad(i, r.to_string()))?);
            }
        }
        let ratio = sums.is_ratio();
        let mut required = vec![SumCol::Y, SumCol::Y2];
        if ratio {
            required.extend([SumCol::D2, SumCol::Yd]);
        }
        if spec.covariate.is_some() {
            required.extend([SumCol::X, SumCol::X2, SumCol::Xy]);
            if ratio {
                required.push(SumCol::Dx);
            }
        }
        for c in required {
            if sums.get(c).is_none() {
                let what = if ratio { "a ratio metric's row (it has sum_d)" } else { "this row" };
                return Err(match sum_idx[c as usize] {
                    Some(i) => bad(i, format!("{} is required for {what}", c.name())),
                    None => Error::MissingColumn {
                        path: path.to_path_buf(),
                        column: c.name().to_string(),
                        found: header.clone(),
                    },
                });
            }
        }
        let skew_cols: &[SumCol] =
            if ratio { &[SumCol::Y3, SumCol::D3, SumCol::Y2d, SumCol::Yd2] } else { &[SumCol::Y3] };
        has_skew_sums &= skew_cols.iter().all(|&c| sums.get(c).is_some());
        for (s, s2) in [(SumCol::Y, SumCol::Y2), (SumCol::D, SumCol::D2), (SumCol::X, SumCol::X2)] {
            if let (Some(s1), Some(sq)) = (sums.get(s), sums.get(s2)) {
                let floor = if n == 0 { 0.0 } else { s1 * s1 / n as f64 };
                if sq < floor - 1e-9 * sq.abs().max(floor.abs()).max(1.0) || (n == 0 && s1 != 0.0) {
                    let i = sum_idx[s2 as usize].expect("read above");
                    return Err(bad(
                        i,
                        format!(
                            "inconsistent sums: {} = {sq} is below {}²/n = {floor} (a negative variance)",
                            s2.name(),
                            s.name()
                        ),
                    ));
                }
            }
        }
        let m = match metric_names.iter().position(|x| *x == metric) {
            Some(m) => {
                if is_ratio[m] != ratio {
                    return Err(bad(
                        metric_idx,
                        "this metric has sum_d (ratio) on some rows and not on others".to_string(),
                    ));
                }
                m
            }
            None => {
                metric_names.push(metric.clone());
                is_ratio.push(ratio);
                metric_names.len() - 1
            }
        };
        let next = arm_ids.len();
        let a = *arm_ids.entry(arm).or_insert(next);
        let s = seg.map(|label| {
            let next = seg_ids.len();
            *seg_ids.entry(label).or_insert(next)
        });
        if let Some((_, first)) = cells.get(&(a, m, s)) {
            return Err(bad(
                metric_idx,
                format!("duplicate row: the same arm, metric and segment as {pos} {}", first - pos_offset),
            ));
        }
        cells.insert((a, m, s), (sums, line));
    }
    if cells.is_empty() {
        return Err(Error::Csv {
            path: path.to_path_buf(),
            line: None,
            message: if spec.metrics.is_empty() {
                "the file has a header but no data rows".into()
            } else {
                format!("no rows for the metric(s) {}", spec.metrics.join(", "))
            },
        });
    }
    // Metrics in the order asked for.
    let order: Vec<usize> = if spec.metrics.is_empty() {
        (0..metric_names.len()).collect()
    } else {
        spec.metrics
            .iter()
            .map(|want| {
                metric_names.iter().position(|m| m == want).ok_or_else(|| Error::BadValue {
                    path: path.to_path_buf(),
                    line: 0,
                    column: "metric".into(),
                    value: want.clone(),
                    reason: format!("no row has this metric (metrics found: {})", metric_names.join(", ")),
                })
            })
            .collect::<Result<_>>()?
    };
    let sorted = |ids: HashMap<String, usize>| -> (Vec<String>, Vec<usize>) {
        let mut pairs: Vec<(String, usize)> = ids.into_iter().collect();
        pairs.sort();
        let mut remap = vec![0; pairs.len()];
        for (new, (_, old)) in pairs.iter().enumerate() {
            remap[*old] = new;
        }
        (pairs.into_iter().map(|p| p.0).collect(), remap)
    };
    let (arms, arm_map) = sorted(arm_ids);
    let segments = segment_idx.map(|_| sorted(seg_ids));
    let mut metric_map = vec![usize::MAX; metric_names.len()];
    for (new, &old) in order.iter().enumerate() {
        metric_map[old] = new;
    }
    let mut out = BTreeMap::new();
    let mut n_check: BTreeMap<(usize, Option<usize>), (u64, u64)> = BTreeMap::new();
    for ((a, m, s), (sums, line)) in cells {
        let key = (arm_map[a], metric_map[m], s.map(|s| segments.as_ref().expect("segment column").1[s]));
        if let Some(&(n, first)) = n_check.get(&(key.0, key.2))
            && n != sums.n
        {
            return Err(Error::BadValue {
                path: path.to_path_buf(),
                line,
                column: "n".into(),
                value: sums.n.to_string(),
                reason: format!(
                    "the same arm{} has n = {n} on {pos} {}: every metric must count the same units",
                    if key.2.is_some() { " and segment" } else { "" },
                    first - pos_offset
                ),
            });
        }
        n_check.entry((key.0, key.2)).or_insert((sums.n, line));
        out.insert(key, sums);
    }
    Ok(SummaryTable {
        path: path.to_path_buf(),
        arms,
        metric_names: order.iter().map(|&m| metric_names[m].clone()).collect(),
        is_ratio: order.iter().map(|&m| is_ratio[m]).collect(),
        segments: segments.map(|s| s.0),
        has_skew_sums,
        cells: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(content: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content.as_bytes()).unwrap();
        f
    }

    fn spec() -> SummarySpec {
        SummarySpec { variant: "arm".into(), ..Default::default() }
    }

    const HEAD: &str = "arm,metric,n,sum_y,sum_y2,sum_y3,sum_d,sum_d2,sum_yd\n";

    #[test]
    fn reads_plain_and_ratio_rows() {
        let f =
            write(&format!("{HEAD}B,y,3,6,14,36,,,\nA,y,2,1,1,1,,,\nA,y/d,2,1,1,1,4,8,2\r\nB,y/d,3,6,14,36,3,3,6\n"));
        let t = read_summary(f.path(), &spec()).unwrap();
        assert_eq!(t.arms, vec!["A", "B"]);
        assert_eq!(t.metric_names, vec!["y", "y/d"]);
        assert_eq!(t.is_ratio, vec![false, true]);
        assert_eq!(t.sums(1, 0, None).unwrap().get(SumCol::Y2), Some(14.0));
        assert!(!t.has_skew_sums, "ratio rows lack sum_d3");
        assert_eq!(t.arm_counts(), vec![2, 3]);
    }

    #[test]
    fn bad_rows_name_line_and_column() {
        let cases = [
            ("A,y,-3,1,1,1,,,", "\"n\""),
            ("A,y,2.5,1,1,1,,,", "whole number"),
            ("A,y,1,1,1,1,,,", "at least 2"),
            ("A,y,2,NaN,1,1,,,", "not a finite number"),
            ("A,y,2,4,1,1,,,", "inconsistent sums"),
            ("A,y,2,,1,1,,,", "sum_y is required"),
            ("A,y/d,2,1,1,1,4,,2", "sum_d2 is required"),
            ("A,y,2,1,1,1,,,\nA,y,2,1,1,1,,,", "duplicate row"),
            ("A,y,2,1,1,1,,,\nA,z,3,1,1,1,,,", "every metric must count the same units"),
        ];
        for (row, needle) in cases {
            let f = write(&format!("{HEAD}{row}\n"));
            let err = read_summary(f.path(), &spec()).unwrap_err().to_string();
            assert!(err.contains("line 2") || err.contains("line 3"), "{row}: {err}");
            assert!(err.contains(needle), "{row}: {err}");
        }
        let f = write("arm,metric,sum_y,sum_y2\nA,y,1,1\n");
        assert!(read_summary(f.path(), &spec()).unwrap_err().to_string().contains("no column named \"n\""));
    }

    #[test]
    fn segments_add_up_and_covariate_is_required() {
        let f = write(&format!("{}A,y,s1,1,1,1,1\nA,y,s2,2,3,5,9\n", "arm,metric,seg,n,sum_y,sum_y2,sum_y3\n"));
        let t = read_summary(f.path(), &SummarySpec { segment: Some("seg".into()), ..spec() }).unwrap();
        assert_eq!(t.segments.as_deref(), Some(&["s1".to_string(), "s2".to_string()][..]));
        let all = t.sums(0, 0, None).unwrap();
        assert_eq!((all.n, all.get(SumCol::Y), all.get(SumCol::Y3)), (3, Some(4.0), Some(10.0)));
        let cov = SummarySpec { covariate: Some("x".into()), ..spec() };
        let f = write(&format!("{HEAD}A,y,2,1,1,1,,,\n"));
        assert!(read_summary(f.path(), &cov).unwrap_err().to_string().contains("sum_x"));
    }
}
