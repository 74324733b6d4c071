//! Errors name the flag the user typed (liftlab issue 12, item 4).

use crate::util::fails_with;

#[test]
fn frontier_checks_below_ten_names_checks_not_replicates() {
    fails_with(&["frontier", "--checks", "1"], &["--checks", "at least 10"]);
    let out = crate::util::liftlab().args(["frontier", "--checks", "1"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("--replicates"), "{stderr}");
}

#[test]
fn bad_money_flags_name_the_flag() {
    fails_with(&["simulate", "--annual-revenue", "-1"], &["--annual-revenue"]);
    fails_with(&["plan", "--aov", "1e308"], &["--aov", "1e308"]);
}
