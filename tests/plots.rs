//! Plots a store owner can read: PNGs that are PNGs, the store marked and
//! named, ticks at $250k/$1M and 1%/2%/5%, no line hidden under another, and
//! SVG text fit to inline in HTML.

use liftlab::frontier::{Frontier, FrontierConfig, frontier};
use liftlab::plan::PlanConfig;
use liftlab::plan::store::store_plan;
use liftlab::report::frontier_plot::{FrontierPlot, frontier_svg};
use liftlab::report::plot::{PLOT_SIZE, store_plan_svg, svg_to_png};
use liftlab::store::StoreProfile;

use crate::util::{fails_with, liftlab};

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], PNG_MAGIC, "PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// Every text element of an SVG, as it reads.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim().to_string()))
        .collect()
}

/// Polylines in `color`: a solid line is one, a dashed line one per dash.
fn dashes(svg: &str, color: &str) -> usize {
    svg.lines().filter(|l| l.starts_with("<polyline") && l.contains(&format!("stroke=\"{color}\""))).count()
}

fn store_frontier(revenue: f64) -> Frontier {
    let mut profile = StoreProfile::from_spec("1.5m").unwrap();
    profile.annual_revenue_usd = revenue;
    let config = FrontierConfig {
        revenues: vec![250_000.0, 2e6, 100e6],
        days: vec![14, 30, 90],
        check_replicates: 0,
        ..FrontierConfig::default()
    };
    frontier(&profile, &config, &|_, _| {}).unwrap()
}

#[test]
fn plan_plot_png_is_a_png_of_the_plot_size() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("mde.png");
    liftlab().args(["plan", "--plot"]).arg(&png).assert().success();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(png_size(&bytes), PLOT_SIZE);
    // Anti-aliased text and lines on white: far more than a handful of bytes.
    assert!(bytes.len() > 30_000, "{} bytes", bytes.len());
    let svg = dir.path().join("mde.svg");
    liftlab().args(["plan", "--plot"]).arg(&svg).assert().success();
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
}

#[test]
fn plan_plot_rejects_other_extensions_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let jpg = dir.path().join("mde.jpg");
    fails_with(&["plan", "--plot", jpg.to_str().unwrap()], &["--plot", "mde.jpg", ".png or .svg"]);
    assert!(!jpg.exists());
}

#[test]
fn store_plan_svg_names_metric_and_store_with_readable_ticks() {
    let config = PlanConfig {
        holdout: 0.1,
        alpha: 0.05,
        power: 0.8,
        days: vec![7.0, 14.0, 30.0, 60.0, 90.0],
        target_lift: Some(0.03),
    };
    let plan = store_plan(&StoreProfile::default(), &config, None, 1).unwrap();
    let svg = store_plan_svg(&plan).unwrap();
    let t = texts(&svg);
    assert!(t.iter().any(|s| s == "Contribution margin per session — $1.5M a year store, 10% holdout"), "{t:?}");
    for tick in ["1%", "2%", "5%", "10%", "20%", "50%"] {
        assert!(t.iter().any(|s| s == tick), "tick {tick} missing: {t:?}");
    }
    // CUPED barely moves this store's MDE: its line is dashed, and says so.
    assert!(t.iter().any(|s| s == "MDE with CUPED (dashed: coincides with MDE)"), "{t:?}");
    assert!(dashes(&svg, "#BE3CAA") > 20, "CUPED line drawn dashed");
    // The MDE line is one polyline, its legend sample three.
    assert_eq!(dashes(&svg, "#1F5AB4"), 4, "MDE line solid");
}

#[test]
fn svg_is_fit_to_inline_in_html() {
    let svg = frontier_svg(&store_frontier(1.5e6), FrontierPlot::PowerCurve).unwrap();
    assert!(svg.starts_with("<svg "), "no XML prolog or doctype");
    let root = svg.split_once('>').unwrap().0;
    assert!(root.contains("viewBox=\"0 0 1200 800\""), "{root}");
    assert!(root.contains("height:auto"), "{root}");
    assert!(svg.trim_end().ends_with("</svg>"));
    // And rasterizes to the plot size.
    let png = svg_to_png(&svg, std::path::Path::new("power.png")).unwrap();
    assert_eq!(png_size(&png), PLOT_SIZE);
}

#[test]
fn frontier_marks_and_names_the_store() {
    let f = store_frontier(1.2e6);
    let revenue = texts(&frontier_svg(&f, FrontierPlot::MdeByRevenue).unwrap());
    assert!(revenue.iter().any(|s| s == "your store: $1.2M"), "{revenue:?}");
    assert!(revenue.iter().any(|s| s.starts_with("90 days: ") && s.ends_with('%')), "MDE at the store: {revenue:?}");
    assert!(revenue.iter().any(|s| s.starts_with("Contribution margin per session — $1.2M a year store")));
    for tick in ["$250k", "$500k", "$1M", "$2M", "$5M", "$10M", "$100M", "2%", "5%", "10%", "20%", "50%"] {
        assert!(revenue.iter().any(|s| s == tick), "tick {tick} missing: {revenue:?}");
    }
    for plot in [FrontierPlot::PowerCurve, FrontierPlot::MdeByDays] {
        let t = texts(&frontier_svg(&f, plot).unwrap());
        assert!(t.iter().any(|s| s.contains("$1.2M a year store, 10% holdout")), "{plot:?} title: {t:?}");
    }
}

#[test]
fn frontier_cuped_lines_that_coincide_are_dashed() {
    let svg = frontier_svg(&store_frontier(1.5e6), FrontierPlot::MdeByDays).unwrap();
    let t = texts(&svg);
    assert!(t.iter().any(|s| s == "margin per session, CUPED (dashed: coincides with margin per session)"), "{t:?}");
    // The CUPED line of margin per session (light blue) is dashes.
    assert!(dashes(&svg, "#6EAAF0") > 20);
}

#[test]
fn frontier_cli_writes_png_and_svg_with_the_store() {
    let dir = tempfile::tempdir().unwrap();
    liftlab()
        .args(["frontier", "--checks", "0", "--annual-revenue", "3M", "--plot"])
        .arg(dir.path())
        .assert()
        .success();
    for plot in FrontierPlot::ALL {
        let png = std::fs::read(dir.path().join(format!("{}.png", plot.file_stem()))).unwrap();
        assert_eq!(png_size(&png), PLOT_SIZE);
    }
    let svg = std::fs::read_to_string(dir.path().join("frontier_mde_by_revenue.svg")).unwrap();
    assert!(texts(&svg).iter().any(|s| s == "your store: $3M"));
}
