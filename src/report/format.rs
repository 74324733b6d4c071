//! Number formatting for text reports.
//!
//! A value that is not defined (NaN: a ratio of zero to zero, a lift over a
//! control mean of 0) or not finite prints as [`NA`], never as `NaN`, `inf`
//! or a misleading `0`.

/// What a table shows for a value that is not defined or not finite.
pub const NA: &str = "n/a";

/// Formats `x` with `digits` significant digits, switching to scientific
/// notation for very small or very large magnitudes.
///
/// ```
/// use liftlab::report::format::sig;
/// assert_eq!(sig(0.652789355, 6), "0.652789");
/// assert_eq!(sig(36671.157, 6), "36671.2");
/// assert_eq!(sig(1.1638e-7, 4), "1.164e-7");
/// assert_eq!(sig(0.0, 6), "0");
/// assert_eq!(sig(f64::NAN, 6), "n/a");
/// ```
pub fn sig(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return NA.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-4..9).contains(&mag) {
        return format!("{:.*e}", digits.saturating_sub(1), x);
    }
    let decimals = (digits as i32 - 1 - mag).max(0) as usize;
    format!("{x:.decimals$}")
}

/// [`sig`] with an explicit `+` for positive values (effects, lifts).
pub fn signed(x: f64, digits: usize) -> String {
    let s = sig(x, digits);
    if x > 0.0 { format!("+{s}") } else { s }
}

/// A fraction as a signed percentage, 4 significant digits (`0.0312` → `+3.120%`).
pub fn pct(x: f64) -> String {
    if !x.is_finite() {
        return NA.to_string();
    }
    signed(x * 100.0, 4) + "%"
}

/// A fraction as an unsigned percentage, 3 significant digits.
pub fn pct_unsigned(x: f64) -> String {
    if !x.is_finite() {
        return NA.to_string();
    }
    sig(x * 100.0, 3) + "%"
}

/// A fraction as a short percentage for prose: at most 3 significant
/// digits, trailing zeros dropped (`0.10` → `10%`, `0.025` → `2.5%`).
///
/// ```
/// use liftlab::report::format::pct_short;
/// assert_eq!(pct_short(0.03), "3%");
/// assert_eq!(pct_short(0.0312), "3.12%");
/// assert_eq!(pct_short(0.125), "12.5%");
/// ```
pub fn pct_short(x: f64) -> String {
    if !x.is_finite() {
        return NA.to_string();
    }
    let s = sig(x * 100.0, 3);
    let s =
        if s.contains('.') && !s.contains('e') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    s + "%"
}

/// A p-value: 4 significant digits, scientific below 1e-4.
///
/// ```
/// use liftlab::report::format::pvalue;
/// assert_eq!(pvalue(0.0010912), "0.001091");
/// assert_eq!(pvalue(1.1638e-7), "1.164e-7");
/// assert_eq!(pvalue(0.9036929), "0.9037");
/// assert_eq!(pvalue(0.0), "0 (below 1e-300)");
/// ```
pub fn pvalue(p: f64) -> String {
    if !p.is_finite() {
        NA.to_string()
    } else if p < 1e-300 {
        "0 (below 1e-300)".to_string()
    } else if p < 1e-4 {
        format!("{p:.3e}")
    } else {
        sig(p, 4)
    }
}

/// An integer-valued count with thousands separators.
pub fn count(n: f64) -> String {
    if !n.is_finite() {
        return NA.to_string();
    }
    if n.abs() >= 1e15 {
        return sig(n, 4);
    }
    group_thousands(n.round() as i64)
}

/// A number of days: whole days with thousands separators (`3,725`), else one decimal.
pub fn days(d: f64) -> String {
    if !d.is_finite() {
        return NA.to_string();
    }
    if d.fract() == 0.0 && d.abs() < 1e15 { group_thousands(d as i64) } else { format!("{d:.1}") }
}

/// Groups an integer's digits by thousands.
///
/// ```
/// assert_eq!(liftlab::report::format::group_thousands(-1_234_567), "-1,234,567");
/// ```
pub fn group_thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// A money amount with cents and thousands separators (`1500000` →
/// `$1,500,000.00`), the sign in front (`-0.5` → `-$0.50`).
///
/// ```
/// use liftlab::report::format::usd;
/// assert_eq!(usd(1_500_000.0), "$1,500,000.00");
/// assert_eq!(usd(-6_135.344), "-$6,135.34");
/// assert_eq!(usd(-0.5), "-$0.50");
/// ```
pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        return NA.to_string();
    }
    if x.abs() >= 1e15 {
        return format!("{}${}", if x < 0.0 { "-" } else { "" }, sig(x.abs(), 4));
    }
    let cents = (x * 100.0).round() as i64;
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}${}.{:02}", group_thousands((cents / 100) as i64), cents % 100)
}

/// A money amount in short form (`250000` → `$250k`, `1500000` → `$1.5M`,
/// `100000000` → `$100M`): one decimal below 10 of the unit.
///
/// ```
/// use liftlab::report::format::usd_short;
/// assert_eq!(usd_short(250_000.0), "$250k");
/// assert_eq!(usd_short(1_500_000.0), "$1.5M");
/// assert_eq!(usd_short(2_000_000.0), "$2M");
/// assert_eq!(usd_short(-5_000.0), "-$5k");
/// ```
pub fn usd_short(x: f64) -> String {
    if !x.is_finite() {
        return NA.to_string();
    }
    if x < 0.0 {
        return format!("-{}", usd_short(-x));
    }
    let (value, unit) = match x {
        v if v >= 1e9 => (x / 1e9, "B"),
        v if v >= 1e6 => (x / 1e6, "M"),
        v if v >= 1e3 => (x / 1e3, "k"),
        _ => (x, ""),
    };
    let text = if value >= 10.0 { format!("{value:.0}") } else { format!("{value:.1}") };
    format!("${}{unit}", text.trim_end_matches(".0"))
}
