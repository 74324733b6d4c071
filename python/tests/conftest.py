"""Fixtures: the repository, the shared datasets and the `liftlab` binary
the Python results are compared with."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "datasets"


def _binary() -> Path:
    path = Path(os.environ.get("LIFTLAB_BIN", REPO / "target" / "debug" / "liftlab"))
    if not path.exists():
        raise RuntimeError(f"no liftlab binary at {path}: run `cargo build` or set LIFTLAB_BIN (python/test.sh does)")
    return path


@pytest.fixture(scope="session")
def cli():
    """Runs the `liftlab` binary and returns its parsed JSON (stdout)."""
    binary = _binary()

    def run(*args: Any) -> Dict[str, Any]:
        done = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run


@pytest.fixture(scope="session")
def cli_error():
    """Runs the `liftlab` binary expecting failure; returns its error message."""
    binary = _binary()

    def run(*args: Any) -> str:
        done = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=600)
        assert done.returncode != 0, done.stdout
        line = done.stderr.strip()
        assert line.startswith("error: "), line
        return line[len("error: "):]

    return run


def shared(path: str) -> Path:
    """A file of ../shared/datasets (beside the checkout, as in CI)."""
    p = SHARED / path
    if not p.exists():
        pytest.skip(f"{p} is not there (the shared datasets sit beside the checkout in CI)")
    return p


@pytest.fixture(scope="session")
def hillstrom() -> Path:
    return shared("hillstrom/hillstrom.csv")


def read_pandas(path: Path) -> Any:
    """A CSV as pandas reads it, floats parsed exactly (pandas 3's default
    parser is correctly rounded; earlier versions need ``round_trip``)."""
    import pandas as pd

    if int(pd.__version__.split(".")[0]) >= 3:
        return pd.read_csv(path)
    return pd.read_csv(path, float_precision="round_trip")


def same_report(python: Dict[str, Any], cli: Dict[str, Any], ignore: List[str] = ()) -> None:
    """Python's JSON equals the CLI's exactly, but for the command line
    and the name of the input (`file`), and fields listed in `ignore`."""
    for d in (python, cli):
        d.pop("command", None)
        d.pop("file", None)
        for key in ignore:
            d.pop(key, None)
    assert python == cli
