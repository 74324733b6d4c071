"""Errors, progress, the GIL, result objects and the typing files."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import liftlab
from liftlab import LiftlabError, LiftlabFileNotFoundError, LiftlabWarning


def small_frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "arm": np.where(rng.random(n) < 0.5, "control", "treatment"),
        "revenue": rng.exponential(50.0, n) * (rng.random(n) < 0.3),
        "sessions": rng.integers(1, 5, n).astype(float),
        "pre": rng.exponential(40.0, n),
    })


def test_missing_column_has_the_cli_message(cli_error, tmp_path):
    frame = small_frame()
    path = tmp_path / "units.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(LiftlabError) as python:
        liftlab.analyze(path, variant="arm", control="control", metrics="spend")
    assert str(python.value) == cli_error("analyze", path, "--variant-col", "arm", "--control", "control",
                                          "--metric", "spend")
    with pytest.raises(LiftlabError, match=r'pandas DataFrame: no column named "spend".*revenue'):
        liftlab.analyze(frame, variant="arm", control="control", metrics="spend")


def test_nan_names_row_and_column():
    frame = small_frame()
    frame.loc[17, "revenue"] = float("nan")
    with pytest.raises(LiftlabError, match=r'pandas DataFrame: row 18, column "revenue": missing value'):
        liftlab.analyze(frame, variant="arm", control="control", metrics="revenue")
    frame.loc[17, "revenue"] = float("inf")
    with pytest.raises(LiftlabError, match=r'row 18, column "revenue": not a finite number'):
        liftlab.analyze(frame, variant="arm", control="control", metrics="revenue")


def test_errors_are_value_errors_and_name_the_flag(cli_error):
    with pytest.raises(ValueError) as python:
        liftlab.plan(holdout=1.5)
    assert "--holdout" in str(python.value)
    assert str(python.value) == cli_error("plan", "--holdout", "1.5")
    with pytest.raises(LiftlabError, match="--alpha"):
        liftlab.analyze(small_frame(), variant="arm", control="control", metrics="revenue", alpha=0.9)
    with pytest.raises(LiftlabError, match='"holdout"'):
        liftlab.analyze(small_frame(), variant="arm", control="holdout", metrics="revenue")


def test_missing_file_is_file_not_found():
    with pytest.raises(FileNotFoundError) as e:
        liftlab.analyze("no/such/file.csv", variant="arm", control="control", metrics="revenue")
    assert isinstance(e.value, LiftlabFileNotFoundError) and isinstance(e.value, ValueError)
    assert "no/such/file.csv" in str(e.value)


def test_empty_arm_and_bad_types():
    frame = small_frame()
    frame["arm"] = "control"
    with pytest.raises(LiftlabError, match="at least 2 arms"):
        liftlab.analyze(frame, variant="arm", control="control", metrics="revenue")
    with pytest.raises(TypeError, match="pandas or polars DataFrame"):
        liftlab.analyze([1, 2, 3], variant="arm", control="control", metrics="revenue")
    with pytest.raises(LiftlabError, match="expected numbers or booleans"):
        liftlab.analyze(small_frame().assign(revenue="x"), variant="arm", control="control", metrics="revenue")


def test_ratio_metric_booleans_and_categoricals():
    frame = small_frame()
    frame["ordered"] = frame["revenue"] > 0
    frame["arm"] = frame["arm"].astype("category")
    r = liftlab.analyze(frame, variant="arm", control="control", metrics=["revenue/sessions", "ordered"])
    df = r.to_pandas()
    assert list(df["metric"]) == ["revenue/sessions", "ordered"]
    assert math.isclose(df["mean_treatment"][1], frame.loc[frame.arm == "treatment", "ordered"].mean(),
                        rel_tol=1e-12)


def test_progress_callback_and_its_errors():
    calls = []
    liftlab.power(store="0.5m", days=14, replicates=60, method="welch", progress=lambda d, t: calls.append((d, t)))
    assert calls, "progress was never called"
    assert calls[-1][0] == calls[-1][1] > 0
    assert all(0 <= d <= t for d, t in calls)

    def fail(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        liftlab.power(store="0.5m", days=14, replicates=20, method="welch", progress=fail)


def test_gil_is_released_during_work():
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    started = len(ticks)
    liftlab.power(store="0.5m", days=30, replicates=300, method="welch", threads=1)
    during = len(ticks) - started
    stop.set()
    t.join()
    # With the GIL held the counting thread could not run at all meanwhile.
    assert during > 10


def test_result_objects(hillstrom):
    r = liftlab.analyze(hillstrom, variant="segment", control="No E-Mail", metrics="spend", segment="channel",
                        method="welch")
    assert repr(r).startswith("liftlab analyze: ")
    assert "<pre" in r._repr_html_() and "SRM check" in r._repr_html_()
    d = r.to_dict()
    d["srm"]["pvalue"] = -1
    assert r.srm["pvalue"] > 0, "to_dict() is a copy"
    assert r["srm"] is r.srm and "results" in r and "results" in dir(r)
    df = r.to_pandas()
    # one row per metric x arm, then per metric x arm x segment
    assert len(df) == 2 + 2 * 3
    assert {"metric", "variant", "segment", "effect_size", "test.pvalue", "pvalue_holm"} <= set(df.columns)
    assert r.to_json().startswith("{")
    with pytest.raises(AttributeError):
        r.no_such_field


def test_warnings_become_python_warnings():
    frame = small_frame(n=4000)
    frame.loc[: 2999, "arm"] = "treatment"
    with pytest.warns(LiftlabWarning, match="sample ratio mismatch"):
        r = liftlab.analyze(frame, variant="arm", control="control", metrics="revenue")
    assert any("sample ratio mismatch" in n for n in r.notes)


def test_weekly_reads_from_a_frame():
    rng = np.random.default_rng(5)
    n = 3000
    frame = pd.DataFrame({"arm": np.where(rng.random(n) < 0.5, "control", "treatment"),
                          "day": rng.integers(1, 29, n), "orders": (rng.random(n) < 0.1).astype(float)})
    r = liftlab.analyze(frame, variant="arm", control="control", metrics="orders", date_col="day")
    df = r.to_pandas()
    assert len(df) == 4 and list(df["look"]) == [1, 2, 3, 4]
    assert "always" in r.text
    # reported under the table's name, not the scratch file's
    assert r.file == "pandas DataFrame" and "pandas DataFrame" in r.text


def test_typing_files_ship():
    package = Path(liftlab.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "_liftlab.pyi").exists()


def test_unknown_keyword_value_is_a_clear_error():
    with pytest.raises(LiftlabError) as e:
        liftlab.analyze(small_frame(), variant="arm", control="control", metrics="revenue", method="magic")
    message = str(e.value)
    assert not message.startswith("error:") and "--method" in message and "magic" in message


def test_readme_quickstart_runs():
    import subprocess
    import sys

    from conftest import REPO

    script = REPO / "python" / "examples" / "quickstart.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "permutation" in done.stdout and "margin_per_session" in done.stdout
    # the README pastes this output
    readme = (REPO / "README.md").read_text()
    assert done.stdout.splitlines()[1].strip() in readme
