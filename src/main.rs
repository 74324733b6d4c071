//! The `liftlab` command line: a thin clap layer over the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    match liftlab::cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
