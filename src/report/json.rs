//! JSON output.

use serde::Serialize;

/// Pretty-printed JSON of any result. Non-finite numbers become `null`.
///
/// # Errors
/// Only if serialization itself fails, which the result types rule out.
pub fn to_json<T: Serialize>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string_pretty(value)
}
