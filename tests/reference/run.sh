#!/usr/bin/env bash
# Regenerate the independent reference fixtures
#   tests/data/reference.json
#   tests/data/hillstrom_reference.json
# Usage (from anywhere):  bash tests/reference/run.sh
# Creates tests/reference/.venv on first use with pinned numpy/scipy/statsmodels.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating venv at $VENV" >&2
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet \
        "numpy==2.4.6" \
        "scipy==1.17.1" \
        "statsmodels==0.15.0"
fi

exec "$VENV/bin/python" "$HERE/make_reference.py" "$@"
