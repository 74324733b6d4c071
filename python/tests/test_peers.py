"""Published and independent reference values, the ones the Rust tests use:
scipy/statsmodels on Hillstrom (tests/reference/make_reference.py) and the
published O'Brien-Fleming bounds (gsDesign / rpact)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import liftlab
from conftest import REPO, read_pandas


def reference(name):
    return json.loads((REPO / "tests" / "data" / name).read_text())


def close(actual, expected, rel=1e-9):
    assert actual == pytest.approx(expected, rel=rel, abs=1e-12)


def test_hillstrom_matches_scipy_statsmodels(hillstrom):
    ref = reference("hillstrom_reference.json")
    frame = read_pandas(hillstrom)
    a = liftlab.analyze(frame, variant="segment", control="No E-Mail", metrics=["spend", "visit", "conversion"],
                        covariate="history")
    close(a.srm["chi2"], ref["srm"]["chi2"])
    close(a.srm["pvalue"], ref["srm"]["pvalue"])
    assert a.srm["counts"] == ref["srm"]["counts"]
    table = a.to_pandas().set_index(["metric", "variant"])
    assert len(table) == len(ref["results"])
    for e in ref["results"]:
        r = table.loc[(e["metric"], e["variant"])]
        for ours, theirs in [
            ("mean_control", "mean_control"), ("mean_treatment", "mean_treatment"), ("effect_size", "effect_size"),
            ("effect_size_se", "se"), ("df", "df"), ("statistic", "statistic"), ("pvalue", "pvalue"),
            ("effect_size_ci_lower", "ci_lower"), ("effect_size_ci_upper", "ci_upper"),
            ("rel_effect_size", "rel_effect_size"), ("rel_effect_size_se", "rel_se"),
            ("rel_effect_size_ci_lower", "rel_log_ci_lower"), ("rel_effect_size_ci_upper", "rel_log_ci_upper"),
            ("rel_pvalue", "rel_pvalue"), ("skewness.control.skewness", "skewness_control"),
            ("skewness.treatment.skewness", "skewness_treatment"),
            ("cuped.theta", None), ("cuped.effect_size", None), ("cuped.effect_size_se", None),
        ]:
            expected = e[theirs] if theirs else e["cuped"][ours.split(".")[1].replace("effect_size_se", "se")]
            close(r[ours], expected)
        assert r["test.method"] == e["test_method"]
        # Lin's adjusted difference: the coefficient on T in statsmodels' OLS.
        close(r["cuped.effect_size"], e["cuped"]["effect_size_statsmodels"])


def test_plan_matches_statsmodels(hillstrom):
    ref = reference("hillstrom_reference.json")["plan"]
    p = liftlab.plan(from_file=hillstrom, metric="spend", covariate="history", variant="segment",
                     control="No E-Mail", daily_units=ref["daily_units"])
    close(p.traffic["mean"], ref["control"]["mean"])
    close(p.traffic["sd"], ref["control"]["sd"])
    close(p.traffic["cuped_r2"], ref["control"]["r2"])
    rows = p.to_pandas().set_index("days")
    for e in ref["rows"]:
        r = rows.loc[e["days"]]
        close(r["n_control"], e["n_control"])
        close(r["mde"], e["mde_exact"])
        close(r["rel_mde"], e["rel_mde_exact"])
        close(r["rel_mde_cuped"], e["rel_mde_cuped_exact"])
    assert p.days_to_detect > 90


def test_obrien_fleming_bounds_match_gsdesign_rpact():
    published = reference("sequential_reference.json")["published"]
    design = liftlab.plan(looks=len(published["info"]), alpha=published["alpha"]).to_dict()["sequential"]["design"]
    assert design["info"] == published["info"]
    for ours, theirs in zip(design["bounds"], published["bounds"]):
        assert abs(ours - theirs) <= published["tolerance"]
