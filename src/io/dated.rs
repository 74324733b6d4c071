//! Dated rows for weekly reads: a unit-level or event-level CSV with a date
//! column, and optionally a unit-id column that groups events into units.
//!
//! Dates are ISO `YYYY-MM-DD` or integer day numbers (`0`, `1`, … as
//! `liftlab simulate --level session` writes them); one parser reads both,
//! and one file must use one of the two. A bad cell is an error naming the
//! file, line, column and value, as for metric cells.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use super::units::{ColumnSpec, UnitTable, read_units_with};
use crate::error::{Error, Result};

/// How the dates of a file are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateFormat {
    /// ISO 8601 calendar dates `YYYY-MM-DD`; day numbers count days since
    /// 1970-01-01.
    Iso,
    /// Integer day numbers, as written.
    DayNumber,
}

/// The extra columns of a dated file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatedSpec {
    /// Date column (`--date-col`).
    pub date: String,
    /// Unit-id column (`--unit-col`): when given, rows are events of units
    /// and are aggregated per unit.
    pub unit: Option<String>,
}

/// Rows of a file with the day of each row and, for event-level data, the
/// unit of each row.
#[derive(Debug, Clone)]
pub struct DatedTable {
    /// Arms, metrics (and ratio denominators) of every row, as
    /// [`super::read_units`] reads them.
    pub table: UnitTable,
    /// Day number of each row (days since 1970-01-01 for ISO dates).
    pub day_of_row: Vec<i64>,
    /// How the file wrote its dates (for display).
    pub date_format: DateFormat,
    /// Unit of each row, an index into `0..n_units`; `None` when every row
    /// is a unit.
    pub unit_of_row: Option<Vec<u32>>,
    /// Number of distinct units (the number of rows without a unit column).
    pub n_units: usize,
    /// Date column name.
    pub date_column: String,
    /// Unit column name, if any.
    pub unit_column: Option<String>,
}

/// Largest day number accepted, so that look arithmetic cannot overflow.
const MAX_DAY_NUMBER: i64 = 1_000_000_000_000_000;

/// Parses one date cell: `YYYY-MM-DD` (a valid calendar date) or an integer
/// day number.
///
/// # Formula
/// An ISO date becomes its day number since 1970-01-01 in the proleptic
/// Gregorian calendar (Hinnant's `days_from_civil`), so differences of two
/// dates are days between them.
///
/// # Errors
/// A short reason for the caller to place in an [`Error::BadValue`].
///
/// ```
/// use liftlab::io::dated::{DateFormat, parse_date};
/// assert_eq!(parse_date("1970-01-02"), Ok((1, DateFormat::Iso)));
/// assert_eq!(parse_date("2024-03-01").unwrap().0 - parse_date("2024-02-28").unwrap().0, 2);
/// assert_eq!(parse_date(" 13 "), Ok((13, DateFormat::DayNumber)));
/// assert!(parse_date("2023-02-29").is_err());
/// assert!(parse_date("13.5").is_err());
/// assert!(parse_date("9223372036854775807").is_err());
/// ```
pub fn parse_date(cell: &str) -> std::result::Result<(i64, DateFormat), &'static str> {
    let s = cell.trim();
    if s.is_empty() {
        return Err("empty cell (missing date)");
    }
    let b = s.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let digits = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = &s[r];
            part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok()).flatten()
        };
        let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
            return Err("not a date (expected YYYY-MM-DD or an integer day number)");
        };
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return Err("not a valid calendar date");
        }
        return Ok((days_from_civil(y, m, d), DateFormat::Iso));
    }
    match s.parse::<i64>() {
        Ok(v) if v.abs() > MAX_DAY_NUMBER => Err("day number out of range (at most 10^15 in magnitude)"),
        Ok(v) => Ok((v, DateFormat::DayNumber)),
        Err(_) => Err("not a date (expected YYYY-MM-DD or an integer day number)"),
    }
}

/// A day number written the way the file wrote its dates.
///
/// ```
/// use liftlab::io::dated::{DateFormat, format_date};
/// assert_eq!(format_date(19_782, DateFormat::Iso), "2024-02-29");
/// assert_eq!(format_date(83, DateFormat::DayNumber), "83");
/// ```
pub fn format_date(day: i64, format: DateFormat) -> String {
    match format {
        DateFormat::DayNumber => day.to_string(),
        DateFormat::Iso => {
            let (y, m, d) = civil_from_days(day);
            format!("{y:04}-{m:02}-{d:02}")
        }
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant,
/// "chrono-Compatible Low-Level Date Algorithms").
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Reads the columns `spec` names plus the date (and unit) column of
/// `dated`.
///
/// # Errors
/// As [`super::read_units`], and:
/// - [`Error::MissingColumn`] if the date or unit column is not in the
///   header;
/// - [`Error::BadValue`] (file, line, column, value) for a date that is
///   neither `YYYY-MM-DD` nor an integer, an impossible calendar date, a
///   file mixing the two forms, an empty unit id, or a unit whose rows
///   carry two different arms.
pub fn read_dated(path: &Path, spec: &ColumnSpec, dated: &DatedSpec) -> Result<DatedTable> {
    let mut extra = vec![dated.date.as_str()];
    extra.extend(dated.unit.as_deref());
    let mut day_of_row = Vec::new();
    let mut format: Option<DateFormat> = None;
    let mut unit_ids: HashMap<String, u32> = HashMap::new();
    let mut unit_of_row = Vec::new();
    // Arm label of each unit's first row, to catch a unit in two arms.
    let mut unit_arm: Vec<String> = Vec::new();
    // The arm label again, to check that a unit's events share one arm.
    if dated.unit.is_some() {
        extra.extend(spec.variant.as_deref());
    }
    let bad = |line: u64, column: &str, value: &str, reason: String| Error::BadValue {
        path: path.to_path_buf(),
        line,
        column: column.to_string(),
        value: value.to_string(),
        reason,
    };
    let table = read_units_with(path, spec, &extra, &mut |cells, line| {
        let (day, f) = parse_date(cells[0]).map_err(|r| bad(line, &dated.date, cells[0], r.to_string()))?;
        match format {
            None => format = Some(f),
            Some(seen) if seen != f => {
                return Err(bad(
                    line,
                    &dated.date,
                    cells[0],
                    format!(
                        "the column mixes dates and day numbers (earlier rows are {})",
                        if seen == DateFormat::Iso { "YYYY-MM-DD dates" } else { "integer day numbers" }
                    ),
                ));
            }
            Some(_) => {}
        }
        day_of_row.push(day);
        if let Some(unit_col) = &dated.unit {
            let id = cells[1].trim();
            if id.is_empty() {
                return Err(bad(line, unit_col, "", "empty unit id".into()));
            }
            let next = unit_ids.len() as u32;
            let u = *unit_ids.entry(id.to_string()).or_insert(next);
            if let Some(arm) = cells.get(2).map(|c| c.trim()) {
                if u == next {
                    unit_arm.push(arm.to_string());
                } else if unit_arm[u as usize] != arm {
                    return Err(bad(
                        line,
                        spec.variant.as_deref().unwrap_or_default(),
                        arm,
                        format!("unit {id:?} ({unit_col}) appeared earlier in arm {:?}", unit_arm[u as usize]),
                    ));
                }
            }
            unit_of_row.push(u);
        }
        Ok(())
    })?;
    let n_units = if dated.unit.is_some() { unit_ids.len() } else { table.n_rows() };
    Ok(DatedTable {
        table,
        day_of_row,
        date_format: format.unwrap_or(DateFormat::DayNumber),
        unit_of_row: dated.unit.is_some().then_some(unit_of_row),
        n_units,
        date_column: dated.date.clone(),
        unit_column: dated.unit.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content).unwrap();
        f
    }

    fn spec() -> ColumnSpec {
        ColumnSpec { variant: Some("arm".into()), metrics: vec!["y".into()], ..Default::default() }
    }

    fn dated(unit: Option<&str>) -> DatedSpec {
        DatedSpec { date: "d".into(), unit: unit.map(str::to_string) }
    }

    #[test]
    fn dates_round_trip() {
        for day in [-700_000, -1, 0, 59, 10_957, 19_782, 2_932_896] {
            let text = format_date(day, DateFormat::Iso);
            assert_eq!(parse_date(&text), Ok((day, DateFormat::Iso)), "{text}");
        }
        assert_eq!(format_date(0, DateFormat::Iso), "1970-01-01");
        assert_eq!(parse_date("2000-02-29").unwrap().0, 11_016);
        for bad in ["2023-13-01", "2023-00-10", "2023-04-31", "2023-1-01", "x", "", "1e3", "2023/01/01"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_days_and_units() {
        let f = write(b"arm,d,u,y\nA,2024-01-02,a,1\nB,2024-01-01,b,2\nA,2024-01-09,a,3\n");
        let t = read_dated(f.path(), &spec(), &dated(Some("u"))).unwrap();
        assert_eq!(t.date_format, DateFormat::Iso);
        assert_eq!(t.day_of_row[2] - t.day_of_row[1], 8);
        assert_eq!(t.unit_of_row, Some(vec![0, 1, 0]));
        assert_eq!(t.n_units, 2);
        assert_eq!(t.table.metrics[0].to_vec(), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn bad_dates_name_line_column_and_value() {
        let f = write(b"arm,d,y\nA,3,1\nB,2024-13-01,2\n");
        let err = read_dated(f.path(), &spec(), &dated(None)).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("\"d\"") && err.contains("2024-13-01"), "{err}");
        let f = write(b"arm,d,y\nA,3,1\nB,2024-01-01,2\n");
        let err = read_dated(f.path(), &spec(), &dated(None)).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("mixes"), "{err}");
        let f = write(b"arm,d,y\nA,3,1\n");
        let err = read_dated(f.path(), &spec(), &DatedSpec { date: "day".into(), unit: None }).unwrap_err();
        assert!(matches!(err, Error::MissingColumn { ref column, .. } if column == "day"), "{err}");
    }

    #[test]
    fn a_unit_in_two_arms_is_an_error() {
        let f = write(b"arm,d,u,y\nA,1,a,1\nB,1,b,2\nB,2,a,3\n");
        let err = read_dated(f.path(), &spec(), &dated(Some("u"))).unwrap_err().to_string();
        assert!(err.contains("line 4") && err.contains("\"a\""), "{err}");
    }
}
