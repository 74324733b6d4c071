//! `liftlab._liftlab`: the native half of the Python package.
//!
//! One entry point, [`run`]: a `liftlab` command line run in this process
//! by the same code as the binary (`liftlab::cli::run_captured`), so a
//! Python call gives the CLI's numbers and the CLI's error messages. The
//! Python half (`liftlab/__init__.py`) turns keyword arguments into that
//! command line and the captured JSON into result objects.
//!
//! The GIL is released while the command runs; a progress callback is
//! called (with the GIL) from whichever thread advances the work.

use std::ffi::OsString;
use std::sync::{Arc, Mutex};

use arrow_pyarrow::FromPyArrow;
use liftlab::io::{ArrowTable, Input};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Runs `liftlab ARGS...` in this process.
///
/// `args`: the command line without the program name, e.g.
/// `["plan", "--store", "5m", "--days", "14,28"]`. `data`: an Arrow table
/// (anything with `__arrow_c_stream__`: a pyarrow Table, a polars or pandas
/// DataFrame) that replaces `analyze`'s FILE, read in place; `data_name`
/// names it in messages. `threads`: worker threads (results do not depend
/// on it). `progress`: called as `progress(done, total)` at most every
/// 0.1 s.
///
/// Returns a dict: `json` (the report as `--format json` prints it, or
/// None), `table` (as `--format table` prints it), `stdout` (anything else
/// printed) and `notes` (warnings and notes, one per line).
///
/// Raises `liftlab.LiftlabError` (a `ValueError`) with the message the CLI
/// prints, `liftlab.LiftlabFileNotFoundError` (also a `FileNotFoundError`)
/// for a missing file, and re-raises an exception of the callback.
#[pyfunction]
#[pyo3(signature = (args, data=None, data_name=None, threads=None, progress=None))]
fn run<'py>(
    py: Python<'py>,
    args: Vec<String>,
    data: Option<Bound<'py, PyAny>>,
    data_name: Option<String>,
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let input = match data {
        None => None,
        Some(obj) => {
            let table = arrow_pyarrow::Table::from_pyarrow_bound(&obj)?;
            let (batches, schema) = table.into_inner();
            Some(Input::Arrow(ArrowTable {
                name: data_name.unwrap_or_else(|| "the table".to_string()),
                schema,
                batches: Arc::new(batches),
            }))
        }
    };
    let failed: Arc<Mutex<Option<PyErr>>> = Arc::new(Mutex::new(None));
    let hook = progress.map(|callback| {
        let failed = Arc::clone(&failed);
        Arc::new(move |done: u64, total: u64| {
            let mut slot = failed.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_some() {
                return;
            }
            Python::attach(|py| {
                if let Err(e) = callback.call1(py, (done, total)) {
                    *slot = Some(e);
                }
            });
        }) as Arc<dyn Fn(u64, u64) + Send + Sync>
    });
    let argv: Vec<OsString> = std::iter::once("liftlab".to_string()).chain(args).map(OsString::from).collect();
    let result = py.detach(move || liftlab::cli::run_captured(argv, input, threads, hook));
    if let Some(e) = failed.lock().unwrap_or_else(|e| e.into_inner()).take() {
        return Err(e);
    }
    let captured = result.map_err(|e| to_python_error(py, &e))?;
    let out = PyDict::new(py);
    out.set_item("json", captured.json)?;
    out.set_item("table", captured.table)?;
    out.set_item("stdout", captured.stdout)?;
    out.set_item("notes", captured.notes)?;
    Ok(out)
}

/// The Python exception for a command's error: `LiftlabFileNotFoundError`
/// when a file is missing, `LiftlabError` otherwise, with the CLI's message.
fn to_python_error(py: Python<'_>, error: &anyhow::Error) -> PyErr {
    let missing = error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
    });
    let message = format!("{error:#}");
    let class = if missing { "LiftlabFileNotFoundError" } else { "LiftlabError" };
    match py.import("liftlab.errors").and_then(|m| m.getattr(class)).and_then(|c| c.call1((message.clone(),))) {
        Ok(instance) => PyErr::from_value(instance),
        Err(_) => pyo3::exceptions::PyValueError::new_err(message),
    }
}

/// The version of the liftlab library this extension was built from.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The native module `liftlab._liftlab`.
#[pymodule]
fn _liftlab(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}
