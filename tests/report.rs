//! `liftlab report`: the owner's page is self-contained (no script, no
//! external URL), says what it must, and renders in a real browser.

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Instant;

use crate::util::{fails_with, liftlab, repo};

/// Section headings every page has, in order.
const HEADINGS: [&str; 5] = [
    "Can a test measure it?",
    "Rules or a paid model, after fees",
    "What test can this store run?",
    "How good is the decision rule?",
    "Appendix: how each figure was made",
];

/// Flags for a quick rules-vs-model comparison.
const QUICK_COMPARE: [&str; 4] = ["--compare-replicates", "20", "--revenues", "1e6,3e6,1e7,3e7"];

/// Writes the report for the $1.2M store (with `extra` flags) into `dir`.
fn write_report(dir: &Path, extra: &[&str]) -> (PathBuf, String) {
    let out = dir.join("report.html");
    let started = Instant::now();
    let mut cmd = liftlab();
    // A small rules-vs-model sweep keeps the test fast.
    cmd.args(["report", "--annual-revenue", "1200000", "--out"]).arg(&out).args(QUICK_COMPARE).args(extra);
    let result = cmd.output().unwrap();
    assert!(result.status.success(), "liftlab report failed: {}", String::from_utf8_lossy(&result.stderr));
    eprintln!("liftlab report took {:.1} s", started.elapsed().as_secs_f64());
    let html = std::fs::read_to_string(&out).unwrap();
    (out, html)
}

/// Every URL in the page: only the SVG namespace is allowed.
fn external_urls(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for scheme in ["http://", "https://"] {
        for (i, _) in html.match_indices(scheme) {
            let before = &html[..i];
            if before.ends_with("xmlns=\"") && html[i..].starts_with("http://www.w3.org/2000/svg\"") {
                continue;
            }
            found.push(html[i..(i + 60).min(html.len())].to_string());
        }
    }
    found
}

fn check_page(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..100]);
    assert!(!html.to_ascii_lowercase().contains("<script"), "the page must not run scripts");
    assert_eq!(external_urls(html), Vec::<String>::new(), "the page must not load anything");
    assert!(!html.contains("<link") && !html.contains("<img") && !html.contains("<iframe"));
    assert!(html.contains("@media print"));
    assert!(html.contains("At $1.2M/year"), "no verdict");
    for h in HEADINGS {
        assert!(html.contains(&format!(">{h}</h2>")), "missing section {h:?}");
    }
    assert!(html.contains("Keep the rules."), "the rules-vs-model verdict");
    let figures = html.matches("<figure").count();
    assert_eq!(figures, 4, "frontier, vendor, break-even, audit");
    assert_eq!(html.matches("<figcaption>").count(), figures);
    assert_eq!(html.matches("<svg").count(), figures);
    assert_eq!(html.matches("viewBox=").count(), figures);
    for axis in ["annual revenue (USD, log scale)", "days of testing needed (log scale)", "USD over the 30-day test"] {
        assert!(html.contains(axis), "an axis without its unit: {axis}");
    }
    // Every figure and table is traceable to a command.
    for cmd in [
        "liftlab plan --store 1.5m --annual-revenue 1200000",
        "liftlab frontier --store",
        "liftlab simulate --store model.json",
        "liftlab audit --store",
        "liftlab compare --store 1.5m --annual-revenue 1200000 --fee 2500 --replicates 20 --revenues 1000000,3000000,10000000,30000000 --seed 1",
    ] {
        assert!(html.contains(cmd), "appendix lacks {cmd:?}");
    }
}

#[test]
fn report_writes_a_self_contained_page() {
    let dir = tempfile::tempdir().unwrap();
    let (_, html) = write_report(dir.path(), &["--replicates", "20", "--rule", "weekly_peeking"]);
    check_page(&html);
    assert!(html.contains("<tr class=\"mark\"><td>Weekly peeking</td>"), "the store's rule is marked");
    assert!(html.contains("Your rule: Weekly peeking"));
    // Numbers on the page match the commands it prints: the store's days
    // for an 18% lift are `plan --target-lift 0.18`'s.
    let plan = crate::util::json_of(liftlab().args([
        "plan",
        "--store",
        "1.5m",
        "--annual-revenue",
        "1200000",
        "--seed",
        "1",
        "--target-lift",
        "0.18",
        "--format",
        "json",
    ]));
    let days = plan["metrics"][0]["days_to_detect_cuped"].as_u64().expect("18% is detectable at $1.2M");
    assert!(html.contains(&format!(
        "<td class=\"num\">18%</td><td>vendors&#39; claims</td><td class=\"num\">{days} days</td>"
    )));
}

#[test]
fn report_rejects_bad_flags() {
    fails_with(&["report", "--out", "report.pdf"], &["HTML page", "FILE.html"]);
    fails_with(&["report", "--out", "r.html", "--fee", "-5"], &["--fee -5", "0 or more"]);
    fails_with(&["report", "--out", "r.html", "--replicates", "5"], &["--replicates"]);
    let out = liftlab().args(["report", "--out", "r.html", "--rule", "vibes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("weekly_peeking"));
}

/// The headless browser: `chromium` (Debian) or `chromium-browser`.
fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Process::new("which").arg(name).output()
            && out.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        }
    }
    panic!(
        "report_browser needs a headless Chromium on PATH (chromium, chromium-browser or google-chrome); \
         .ci/run installs Debian's with `apt-get install -y chromium`"
    );
}

fn browser(chrome: &Path, args: &[&str], page: &Path) -> String {
    let out = Process::new(chrome)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", chrome.display()));
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Appended to the test's copy only: measures every figure's SVG and the
/// page height, and writes the result into the DOM.
const CHECK_SCRIPT: &str = r#"<script>
(function () {
  var figures = document.querySelectorAll("figure");
  var ok = 0, notes = [];
  figures.forEach(function (f) {
    var svg = f.querySelector("svg");
    var box = svg ? svg.getBBox() : null, rect = svg ? svg.getBoundingClientRect() : null;
    var drawn = !!(box && box.width > 0 && box.height > 0 && rect.width > 0 && rect.height > 0
      && svg.querySelectorAll("text").length > 0);
    if (drawn) ok++;
    notes.push(f.id + "=" + (drawn ? "ok" : "EMPTY"));
  });
  var p = document.createElement("pre");
  p.id = "figure-check";
  p.textContent = "FIGURES " + ok + "/" + figures.length + " " + notes.join(" ")
    + " HEIGHT " + Math.ceil(document.documentElement.scrollHeight);
  document.body.appendChild(p);
})();
</script>"#;

#[test]
#[ignore = "needs a headless Chromium; .ci/run installs Debian's and runs it"]
fn report_browser() {
    let started = Instant::now();
    let chrome = chromium();
    let dir = repo().join("target/report_browser");
    std::fs::create_dir_all(&dir).unwrap();
    let (_, html) = write_report(&dir, &[]);
    check_page(&html);
    let checked = dir.join("report_checked.html");
    std::fs::write(&checked, html.replace("</body>", &format!("{CHECK_SCRIPT}\n</body>"))).unwrap();
    let dom = browser(&chrome, &["--dump-dom"], &checked);
    assert!(dom.contains("At $1.2M/year"), "the rendered page lacks the verdict");
    for h in HEADINGS {
        assert!(dom.contains(h), "the rendered page lacks {h:?}");
    }
    let line = dom
        .split_once("<pre id=\"figure-check\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(text, _)| text)
        .expect("the checking script ran");
    let figures = html.matches("<figure").count();
    assert!(line.starts_with(&format!("FIGURES {figures}/{figures} ")), "a figure did not render: {line}");
    let height: u32 = line.rsplit("HEIGHT ").next().and_then(|h| h.trim().parse().ok()).unwrap();
    assert!(height > 1000, "{line}");
    let shot = dir.join("report.png");
    let _ = std::fs::remove_file(&shot);
    browser(&chrome, &[&format!("--screenshot={}", shot.display()), &format!("--window-size=1200,{height}")], &checked);
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 50_000, "{} bytes", png.len());
    eprintln!("report_browser: {:.1} s; screenshot {}", started.elapsed().as_secs_f64(), shot.display());
}
