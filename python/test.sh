#!/usr/bin/env bash
# The Python package's tests: builds and installs the wheel (maturin, PyO3
# abi3) into a venv of its own, then runs pytest against it, comparing with
# the `liftlab` binary of the same checkout.
#
#   python/test.sh [pytest args...]     # from anywhere; venv in target/py-venv
#   python/test.sh --prepare            # only create the venv and install the packages the
#                                       # tests and the build need (.ci/run, while Rust compiles)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="${LIFTLAB_PY_VENV:-$root/target/py-venv}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    echo "python/test.sh: creating $venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi
if [ "${1:-}" = "--prepare" ]; then
    # The package's dependencies, its [test] extra and its build requirements, read from pyproject.toml
    # (tomllib: Python 3.11+; older ones skip this, and the install below fetches them instead).
    "$venv/bin/python" - <<'EOF' | xargs -r -d '\n' "$venv/bin/pip" install -q
import sys
try:
    import tomllib
except ImportError:
    sys.exit(0)
with open("python/pyproject.toml", "rb") as f:
    t = tomllib.load(f)
print("\n".join(t["project"]["dependencies"] + t["project"]["optional-dependencies"]["test"]
                + t["build-system"]["requires"]))
EOF
    echo "python/test.sh: $venv prepared"
    exit 0
fi
# The binary the results are compared with (dev profile, as cargo test builds it).
cargo build -q --bin liftlab
export LIFTLAB_BIN="$root/target/debug/liftlab"
start=$(date +%s)
# The dev profile (optimized dependencies, as Cargo.toml sets it) reuses what `cargo test` compiled;
# `pip install ./python` without it builds the release profile from scratch (clean-clone CI runs: 347 s with its downloads, against 27 s).
MATURIN_PEP517_ARGS="${MATURIN_PEP517_ARGS:---profile dev}" "$venv/bin/pip" install -q "./python[test]"
echo "python/test.sh: wheel built and installed in $(( $(date +%s) - start )) s"
cd "$root/python/tests"
exec "$venv/bin/python" -m pytest -q -rs "$@"
