//! JSON output, with provenance.
//!
//! Every JSON object liftlab prints starts with two provenance fields:
//! `liftlab_version` (this crate's version) and `command` (the command line
//! that produced it, shell-quoted, the program's directory dropped). They are
//! inserted here, once, so every command gets them.

use std::sync::OnceLock;

use serde::Serialize;

static COMMAND: OnceLock<String> = OnceLock::new();

/// Records the command line that provenance fields report (the binary calls
/// this once with `std::env::args_os()`). Later calls are ignored. Without
/// it, [`command_line`] reads the process's own arguments.
pub fn set_command<I, S>(args: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let _ = COMMAND.set(join_command(args));
}

/// The recorded command line ([`set_command`]), or this process's arguments.
pub fn command_line() -> String {
    COMMAND.get().cloned().unwrap_or_else(|| join_command(std::env::args_os()))
}

/// Joins arguments into one shell-quoted line; the program (first argument)
/// is reduced to its file name (`/usr/local/bin/liftlab` → `liftlab`).
fn join_command<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    args.into_iter()
        .enumerate()
        .map(|(i, a)| {
            let a = a.as_ref().to_string_lossy();
            if i == 0 {
                let name = std::path::Path::new(a.as_ref()).file_name().map(|n| n.to_string_lossy().into_owned());
                shell_quote(&name.unwrap_or_else(|| a.into_owned()))
            } else {
                shell_quote(&a)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `arg` quoted for a POSIX shell: as is when it holds only safe characters,
/// otherwise in single quotes (a `'` inside becomes `'\''`).
///
/// ```
/// use liftlab::report::json::shell_quote;
/// assert_eq!(shell_quote("--days"), "--days");
/// assert_eq!(shell_quote("No E-Mail"), "'No E-Mail'");
/// assert_eq!(shell_quote("it's"), "'it'\\''s'");
/// ```
pub fn shell_quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) { arg.to_string() } else { format!("'{}'", arg.replace('\'', r"'\''")) }
}

/// The provenance fields every JSON output carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// The liftlab version that wrote the output.
    pub liftlab_version: &'static str,
    /// The command line ([`command_line`]).
    pub command: String,
}

impl Provenance {
    /// This process's provenance.
    pub fn current() -> Self {
        Self { liftlab_version: env!("CARGO_PKG_VERSION"), command: command_line() }
    }
}

/// Pretty-printed JSON of any result, with the provenance fields
/// `liftlab_version` and `command` first when the result is an object (an
/// array or a scalar is printed as is). Non-finite numbers become `null`.
///
/// ```
/// let text = liftlab::report::json::to_json(&serde_json::json!({"a": 1})).unwrap();
/// let v: serde_json::Value = serde_json::from_str(&text).unwrap();
/// assert_eq!(v["a"], 1);
/// assert_eq!(v["liftlab_version"], env!("CARGO_PKG_VERSION"));
/// assert!(text.starts_with("{\n  \"liftlab_version\""));
/// ```
///
/// # Errors
/// Only if serialization itself fails, which the result types rule out.
pub fn to_json<T: Serialize>(value: &T) -> serde_json::Result<String> {
    let body = serde_json::to_string_pretty(value)?;
    let p = Provenance::current();
    let fields = format!(
        "  \"liftlab_version\": {},\n  \"command\": {}",
        serde_json::to_string(p.liftlab_version)?,
        serde_json::to_string(&p.command)?
    );
    // serde_json's pretty printer opens a non-empty object with "{\n" and an
    // empty one as "{}"; the fields go first, the result's own after them.
    Ok(if let Some(rest) = body.strip_prefix("{\n") {
        format!("{{\n{fields},\n{rest}")
    } else if body == "{}" {
        format!("{{\n{fields}\n}}")
    } else {
        body
    })
}

/// The sidecar of a CSV file: `FILE.meta.json` beside `FILE.csv`.
pub fn sidecar_path(csv: &std::path::Path) -> std::path::PathBuf {
    let mut name = csv.as_os_str().to_owned();
    name.push(".meta.json");
    std::path::PathBuf::from(name)
}

/// Writes the provenance of a CSV file liftlab wrote to its sidecar
/// ([`sidecar_path`]): `liftlab_version`, `command`, `file` (the CSV's
/// name) and `rows`. CSV files carry no comment line, which naive readers
/// (`pandas.read_csv` without `comment="#"`, spreadsheets) would take for
/// data; CSV written to standard output has no sidecar (use `--format json`
/// for provenance there).
///
/// # Errors
/// [`crate::Error::Write`] if the sidecar cannot be written (atomically, as
/// every output).
pub fn write_csv_sidecar(csv: &std::path::Path, rows: u64) -> crate::Result<std::path::PathBuf> {
    let p = Provenance::current();
    let file = csv.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let meta = serde_json::json!({
        "liftlab_version": p.liftlab_version,
        "command": p.command,
        "file": file,
        "rows": rows,
    });
    let path = sidecar_path(csv);
    let text = serde_json::to_string_pretty(&meta).expect("a JSON value serializes") + "\n";
    crate::io::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_goes_first_and_keeps_the_rest() {
        #[derive(Serialize)]
        struct R {
            b: f64,
            a: Vec<u8>,
        }
        let text = to_json(&R { b: f64::NAN, a: vec![1] }).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v["b"].is_null() && v["a"][0] == 1 && v["command"].is_string(), "{text}");
        let keys: Vec<&str> = text.lines().skip(1).map(|l| l.trim_start().split('"').nth(1).unwrap_or("")).collect();
        assert_eq!(&keys[..3], ["liftlab_version", "command", "b"]);
        let empty: serde_json::Value = serde_json::from_str(&to_json(&serde_json::json!({})).unwrap()).unwrap();
        assert_eq!(empty.as_object().unwrap().len(), 2);
        assert_eq!(to_json(&[1, 2]).unwrap(), serde_json::to_string_pretty(&[1, 2]).unwrap());
    }

    #[test]
    fn commands_are_quoted_for_a_shell() {
        let line = join_command(["/x/target/debug/liftlab", "analyze", "a b.csv", "--control", "No E-Mail"]);
        assert_eq!(line, "liftlab analyze 'a b.csv' --control 'No E-Mail'");
        assert_eq!(shell_quote(""), "''");
    }
}
