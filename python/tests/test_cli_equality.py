"""The package gives the command line's JSON, number for number."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import liftlab
from conftest import read_pandas, same_report

HILLSTROM = dict(variant="segment", control="No E-Mail", metrics=["spend", "visit", "conversion"],
                 covariate="history")
HILLSTROM_FLAGS = ["--variant-col", "segment", "--control", "No E-Mail", "--metric", "spend", "--metric", "visit",
                   "--metric", "conversion", "--covariate", "history", "--format", "json"]


def test_hillstrom_path_equals_cli(cli, hillstrom):
    python = liftlab.analyze(hillstrom, **HILLSTROM).to_dict()
    same_report(python, cli("analyze", hillstrom, *HILLSTROM_FLAGS))


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow", "dict"])
def test_hillstrom_frames_equal_cli(cli, hillstrom, kind):
    frame = read_pandas(hillstrom)
    data = {
        "pandas": frame,
        "polars": pl.read_csv(hillstrom, infer_schema_length=None),
        "pyarrow": pacsv.read_csv(hillstrom),
        "dict": {c: frame[c].to_numpy() for c in frame.columns},
    }[kind]
    python = liftlab.analyze(data, **HILLSTROM).to_dict()
    same_report(python, cli("analyze", hillstrom, *HILLSTROM_FLAGS))


def test_hillstrom_segments_bootstrap_and_threads(cli, hillstrom):
    frame = read_pandas(hillstrom)
    kwargs = dict(variant="segment", control="No E-Mail", metrics="spend", segment="channel", bootstrap=300,
                  seed=11, permutations=500)
    one = liftlab.analyze(frame, threads=1, **kwargs).to_dict()
    two = liftlab.analyze(frame, threads=2, **kwargs).to_dict()
    assert one == two
    expected = cli("analyze", hillstrom, "--variant-col", "segment", "--control", "No E-Mail", "--metric", "spend",
                   "--segment-col", "channel", "--bootstrap", "300", "--seed", "11", "--permutations", "500",
                   "--format", "json")
    same_report(one, expected)
    assert all("bootstrap" in r for r in one["results"])


def test_simulated_store_equals_cli(cli, tmp_path):
    sim = liftlab.simulate(store="0.5m", days=21, holdout=0.2, lift=0.05, seed=7)
    out = tmp_path / "units.csv"
    cli_summary = cli("simulate", "--store", "0.5m", "--days", "21", "--holdout", "0.2", "--lift", "0.05",
                      "--seed", "7", "--out", out, "--format", "json")
    same_report(sim.to_dict(), cli_summary)
    assert sim.data.num_rows == pacsv.read_csv(out).num_rows
    assert sim.data.equals(pacsv.read_csv(out))
    args = dict(variant="arm", control="control", metrics=["revenue", "margin/sessions", "orders"],
                covariate="pre_revenue", expected_split="control=1,treatment=4")
    python = liftlab.analyze(sim.to_pandas(), **args).to_dict()
    expected = cli("analyze", out, "--variant-col", "arm", "--control", "control", "--metric", "revenue",
                   "--metric", "margin/sessions", "--metric", "orders", "--covariate", "pre_revenue",
                   "--expected-split", "control=1,treatment=4", "--format", "json")
    same_report(python, expected)
    # The permutation test decides at this small, skewed store, as in the CLI.
    methods = {r["metric"]: r["test"]["method"] for r in python["results"]}
    assert methods["revenue"] == "permutation"


def test_sessions_level(cli, tmp_path):
    sim = liftlab.simulate(store="0.5m", days=7, seed=3, level="session")
    out = tmp_path / "sessions.csv"
    cli("simulate", "--store", "0.5m", "--days", "7", "--seed", "3", "--out", out, "--level", "session",
        "--format", "json")
    assert sim.data.equals(pacsv.read_csv(out))
    assert "visitor_id" in sim.to_pandas().columns


def test_plan_equals_cli(cli):
    same_report(liftlab.plan().to_dict(), cli("plan", "--format", "json"))
    same_report(liftlab.plan(store="5m", days=[14, 28], looks=4).to_dict(),
                cli("plan", "--store", "5m", "--days", "14,28", "--looks", "4", "--format", "json"))
    direct = liftlab.plan(daily_units=1000, baseline_mean=2.5, baseline_sd=20, holdout=0.5, days=[7, 14])
    same_report(direct.to_dict(), cli("plan", "--daily-units", "1000", "--baseline-mean", "2.5", "--baseline-sd",
                                      "20", "--holdout", "0.5", "--days", "7,14", "--format", "json"))


def test_power_frontier_compare_audit_equal_cli(cli):
    same_report(liftlab.power(store="0.5m", days=14, replicates=40, lift=0.05, method="welch").to_dict(),
                cli("power", "--store", "0.5m", "--days", "14", "--replicates", "40", "--lift", "0.05",
                    "--method", "welch", "--format", "json"))
    same_report(liftlab.frontier(store="0.5m", revenues=[5e5, 2e6], days=[14, 30], holdout=[0.1, 0.5], checks=20,
                                 check_revenues=[5e5]).to_dict(),
                cli("frontier", "--store", "0.5m", "--revenues", "500000,2000000", "--days", "14,30", "--holdout",
                    "0.1,0.5", "--checks", "20", "--check-revenues", "500000", "--format", "json"))
    same_report(liftlab.compare(store="0.5m", replicates=20, sweep_replicates=20, fees=[1500],
                                revenues=[5e5, 1e6]).to_dict(),
                cli("compare", "--store", "0.5m", "--replicates", "20", "--sweep-replicates", "20", "--fees", "1500",
                    "--revenues", "500000,1000000", "--format", "json"))
    same_report(liftlab.audit(replicates=20, lift=[0.0, 0.03]).to_dict(),
                cli("audit", "--replicates", "20", "--lift", "0,0.03", "--format", "json"))


def test_analyze_summary_equals_units(cli, hillstrom, tmp_path):
    sql = liftlab.run("sql", "--dialect", "duckdb", "--table", "t", "--variant-col", "segment", "--metric", "spend")
    assert "SELECT" in sql["stdout"]
    # A summary computed here (numpy), as a warehouse would, from the rows.
    frame = read_pandas(hillstrom)
    rows = []
    for arm, g in frame.groupby("segment"):
        y, x = g["spend"].to_numpy(), g["history"].to_numpy()
        rows.append(dict(segment=arm, metric="spend", covariate="history", n=len(y), sum_y=y.sum(),
                         sum_y2=(y * y).sum(), sum_y3=(y ** 3).sum(), sum_x=x.sum(), sum_x2=(x * x).sum(),
                         sum_xy=(x * y).sum()))
    summary = pd.DataFrame(rows)
    path = tmp_path / "summary.csv"
    summary.to_csv(path, index=False)
    kwargs = dict(variant="segment", control="No E-Mail", covariate="history", method="welch")
    from_frame = liftlab.analyze_summary(summary, **kwargs).to_dict()
    from_file = liftlab.analyze_summary(path, **kwargs).to_dict()
    same_report(from_frame, from_file)
    units = liftlab.analyze(frame, variant="segment", control="No E-Mail", metrics="spend", covariate="history",
                            method="welch").to_dict()
    for s, u in zip(from_frame["results"], units["results"]):
        assert s["effect_size"] == pytest.approx(u["effect_size"], rel=1e-9)
        assert s["pvalue"] == pytest.approx(u["pvalue"], rel=1e-6)
        assert s["cuped"]["effect_size"] == pytest.approx(u["cuped"]["effect_size"], rel=1e-9)


def test_power_from_a_file_equals_cli(cli, hillstrom):
    python = liftlab.power(from_file=hillstrom, metrics="spend", covariate="history", holdout=0.5, lift=0.1,
                           replicates=40, method="welch").to_dict()
    same_report(python, cli("power", "--from", hillstrom, "--metric", "spend", "--covariate", "history",
                            "--holdout", "0.5", "--lift", "0.1", "--replicates", "40", "--method", "welch",
                            "--format", "json"))


def test_defaults_are_the_cli_defaults(cli):
    same_report(liftlab.simulate(store="0.5m", days=7, level=None).to_dict(),
                cli("simulate", "--store", "0.5m", "--days", "7", "--format", "json"))
    same_report(liftlab.power(store="0.5m", days=7, replicates=20).to_dict(),
                cli("power", "--store", "0.5m", "--days", "7", "--replicates", "20", "--format", "json"))
