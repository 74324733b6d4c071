//! Outputs are written atomically: concurrent writers leave one complete
//! file, a killed writer leaves nothing at the final path, and a path that
//! cannot be written is an error that says so, with nothing left behind.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::util::{fails_with, liftlab};

fn bin() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("liftlab"))
}

/// Hidden temporary files (`.NAME.XXXXXX.tmp`) left in `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.ends_with(".tmp"))
        .collect()
}

/// Two `simulate --out X` at once, three times: X is always exactly one
/// run's complete output, byte for byte, and no temporary file remains.
#[test]
fn concurrent_simulate_runs_leave_one_complete_file() {
    let dir = tempfile::tempdir().unwrap();
    let args = |seed: &str, out: &Path| {
        let mut c = bin();
        c.args(["simulate", "--store", "0.5m", "--days", "60", "--seed", seed, "--out"]).arg(out);
        c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        c
    };
    let solo: Vec<Vec<u8>> = ["1", "2"]
        .iter()
        .map(|seed| {
            let p = dir.path().join(format!("solo{seed}.csv"));
            assert!(args(seed, &p).status().unwrap().success());
            std::fs::read(&p).unwrap()
        })
        .collect();
    assert_ne!(solo[0], solo[1]);
    let shared = dir.path().join("shared.csv");
    for _ in 0..3 {
        let mut a = args("1", &shared).spawn().unwrap();
        let mut b = args("2", &shared).spawn().unwrap();
        assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
        let got = std::fs::read(&shared).unwrap();
        assert!(got == solo[0] || got == solo[1], "torn file: {} bytes, neither run's output", got.len());
    }
    assert!(temporaries(dir.path()).is_empty(), "{:?}", temporaries(dir.path()));
}

/// Two `frontier --plot DIR` at once: every PNG and SVG is a complete file
/// equal to a solo run's.
#[test]
fn concurrent_plot_runs_leave_complete_images() {
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &Path| {
        let mut c = bin();
        c.args(["frontier", "--revenues", "500000,1000000", "--days", "14", "--checks", "0", "--plot"]).arg(out);
        c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        c
    };
    let solo = dir.path().join("solo");
    assert!(run(&solo).status().unwrap().success());
    let shared = dir.path().join("shared");
    for _ in 0..2 {
        let mut a = run(&shared).spawn().unwrap();
        let mut b = run(&shared).spawn().unwrap();
        assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
        let mut files = 0;
        for entry in std::fs::read_dir(&solo).unwrap() {
            let name = entry.unwrap().file_name();
            assert_eq!(
                std::fs::read(solo.join(&name)).unwrap(),
                std::fs::read(shared.join(&name)).unwrap(),
                "{name:?}"
            );
            files += 1;
        }
        assert!(files >= 4);
    }
    assert!(temporaries(&shared).is_empty());
}

/// A `simulate --out` killed mid-write (SIGKILL) leaves no file at the
/// final path: `analyze` cannot mistake a truncated file for an experiment.
#[test]
fn a_killed_simulate_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.csv");
    let mut child = bin()
        .args(["simulate", "--store", "100m", "--days", "30", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until rows are being written (the temporary file grows), then kill.
    let mut grew = false;
    for _ in 0..600 {
        std::thread::sleep(Duration::from_millis(50));
        let size: u64 =
            temporaries(dir.path()).iter().map(|n| std::fs::metadata(dir.path().join(n)).unwrap().len()).sum();
        if size > 1 << 20 {
            grew = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(grew, "simulate finished or wrote nothing before it could be killed");
    assert!(!out.exists(), "a killed run left {} at the final path", out.display());
    assert!(!dir.path().join("big.csv.meta.json").exists());
    // What is left is one hidden temporary file, never read as data.
    assert_eq!(temporaries(dir.path()).len(), 1);
}

/// Unwritable destinations: a clear "cannot write" naming the path, the OS
/// error once, a non-zero exit, and nothing at the path. (A regular file in
/// the way of a directory fails even for root.)
#[test]
fn unwritable_outputs_say_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let target = blocker.join("out.csv");
    let t = target.to_str().unwrap();
    for args in [
        vec!["simulate", "--store", "0.5m", "--days", "3", "--out", t],
        vec!["simulate", "--store", "0.5m", "--days", "3", "--save-profile", t],
        vec!["report", "--store", "0.5m", "--out", &format!("{t}.html")],
        vec!["plan", "--plot", &format!("{t}.png")],
    ] {
        let stderr = String::from_utf8(liftlab().args(&args).output().unwrap().stderr).unwrap();
        assert!(stderr.contains("cannot write") && stderr.contains(t), "{args:?}: {stderr}");
        assert_eq!(stderr.matches("os error").count(), 1, "{args:?}: the OS error once: {stderr}");
        fails_with(&args, &["cannot write"]);
    }
    assert!(!target.exists());
    // A read error names the file once, with its OS error once.
    let missing = dir.path().join("missing.csv");
    let m = missing.to_str().unwrap();
    let stderr = String::from_utf8(
        liftlab()
            .args(["analyze", m, "--variant-col", "a", "--control", "b", "--metric", "y"])
            .output()
            .unwrap()
            .stderr,
    )
    .unwrap();
    assert_eq!(stderr.matches(m).count(), 1, "{stderr}");
    assert_eq!(stderr.matches("os error").count(), 1, "{stderr}");
}
