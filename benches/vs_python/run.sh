#!/usr/bin/env bash
# Side-by-side speed of liftlab and the same job in Python.
#
# Usage: benches/vs_python/run.sh [hillstrom|bootstrap|aa|pandas] [RUNS]   (no name: all; RUNS default 5)
#   hillstrom: `liftlab analyze` on the Hillstrom data (64,000 units, 3 arms). Every contender
#              is timed as a whole process (start-up, imports, CSV parsing included), median of
#              RUNS after one untimed warm-up run. The Python script also reports its
#              in-process time without interpreter start-up and imports.
#   bootstrap: bootstrap_1m.py, liftlab's bootstrap against scipy and numpy bootstraps of the
#              difference in means on 1,000,000 synthetic units, all in one run (see its docstring).
#   aa:        aa_tea_tasting.py, `liftlab power --from` against tea-tasting's Experiment.simulate:
#              1,000 A/A splits of 100,000 synthetic users, speed and false-positive rates
#              (liftlab median of RUNS, tea-tasting one run; see its docstring).
#   pandas:    analyze_pandas_1m.py, the Python package's liftlab.analyze against tea-tasting's
#              Experiment.analyze on one in-memory pandas DataFrame of 1,000,000 users, in-process
#              (median of RUNS after a warm-up; installs the package from ./python into the venv).
# Env:   RUNS, BOOTSTRAP (resamples, default 2000), PYTHON (to make the venv, default python3)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
DATA="$REPO/../shared/datasets/hillstrom/hillstrom.csv"
WHAT=all
case "${1:-}" in
    hillstrom | bootstrap | aa | pandas) WHAT="$1"; shift ;;
esac
RUNS="${1:-${RUNS:-5}}"
B="${BOOTSTRAP:-2000}"
VENV="$HERE/.venv"
PY="$VENV/bin/python"
TEA_PIN="tea-tasting==1.14.0"

if [[ $WHAT == hillstrom && ! -f "$DATA" ]]; then
    echo "Hillstrom dataset not found at $DATA: nothing to compare, skipping." >&2
    exit 0
fi

# --- Python venv ------------------------------------------------------------
# (re)made when the marker is missing or the venv's Python cannot import the core packages,
# e.g. a venv copied without its interpreter link
if [[ ! -f "$VENV/.core-installed" ]] || ! "$PY" -c "import numpy, scipy, pandas" 2>/dev/null; then
    echo ">> creating $VENV" >&2
    "${PYTHON:-python3}" -m venv --clear "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check \
        numpy==2.4.6 scipy==1.17.1 pandas==3.1.1
    touch "$VENV/.core-installed"
fi

# --- liftlab ------------------------------------------------------------------
echo ">> cargo build --release" >&2
(cd "$REPO" && cargo build --release --quiet)
LIFTLAB="$REPO/target/release/liftlab"

# --- A/A simulation against tea-tasting (needs it) --------------------------------
if [[ $WHAT == all || $WHAT == aa ]]; then
    if ! "$PY" -c "import tea_tasting" 2>/dev/null && [[ ! -f "$VENV/.tea-tasting-failed" ]]; then
        echo ">> installing $TEA_PIN (needed by aa_tea_tasting.py)" >&2
        "$PY" -m pip install --quiet --disable-pip-version-check "$TEA_PIN" || touch "$VENV/.tea-tasting-failed"
    fi
    if "$PY" -c "import tea_tasting" 2>/dev/null; then
        "$PY" "$HERE/aa_tea_tasting.py" --liftlab "$LIFTLAB" --runs "$RUNS"
    else
        echo "tea-tasting is not installed: skipping the A/A comparison." >&2
    fi
    if [[ $WHAT == aa ]]; then exit 0; fi
    echo
fi

# --- the Python package on a pandas DataFrame against tea-tasting --------------------
if [[ $WHAT == all || $WHAT == pandas ]]; then
    echo ">> pip install ./python (builds the package)" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check "$REPO/python" "$TEA_PIN"
    "$PY" "$HERE/analyze_pandas_1m.py" --runs "$RUNS"
    if [[ $WHAT == pandas ]]; then exit 0; fi
    echo
fi

# --- bootstrap on 1,000,000 units -----------------------------------------------
if [[ $WHAT != hillstrom ]]; then
    "$PY" "$HERE/bootstrap_1m.py" --liftlab "$LIFTLAB" --resamples "$B" --runs "$RUNS"
fi
if [[ $WHAT == bootstrap ]]; then exit 0; fi
if [[ ! -f "$DATA" ]]; then
    echo "Hillstrom dataset not found at $DATA: skipping the Hillstrom comparison." >&2
    exit 0
fi
if [[ $WHAT == all ]]; then echo; fi

# --- Hillstrom: optional tea-tasting contender -----------------------------------
if ! "$PY" -c "import tea_tasting" 2>/dev/null && [[ ! -f "$VENV/.tea-tasting-failed" ]]; then
    echo ">> installing $TEA_PIN (optional contender)" >&2
    if ! "$PY" -m pip install --quiet --disable-pip-version-check "$TEA_PIN"; then
        echo ">> tea-tasting did not install: skipping it" >&2
        touch "$VENV/.tea-tasting-failed"
    fi
fi
HAVE_TEA=0
if "$PY" -c "import tea_tasting" 2>/dev/null; then HAVE_TEA=1; fi

# --- Hillstrom: timing ------------------------------------------------------------
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
LL_ARGS=(analyze "$DATA" --variant-col segment --control "No E-Mail" --metric spend --covariate history)
PY_ARGS=("$HERE/analyze_hillstrom.py" "$DATA" --variant-col segment --control "No E-Mail" --metric spend --covariate history)

# time_it KEY COMMAND...: writes $OUT/KEY.time (timeit.py's lines) and $OUT/KEY.out (first run's output)
time_it() {
    local key="$1"
    shift
    echo ">> timing $key ($RUNS runs)" >&2
    "$PY" "$HERE/timeit.py" -n "$RUNS" --show-output -- "$@" >"$OUT/$key.time" 2>"$OUT/$key.out"
}
field() { sed -n "s/^$2=//p" "$OUT/$1.time"; }

time_it liftlab "$LIFTLAB" "${LL_ARGS[@]}"
time_it scipy "$PY" "${PY_ARGS[@]}"
if [[ $HAVE_TEA == 1 ]]; then time_it tea "$PY" "${PY_ARGS[@]}" --tea-tasting; fi
time_it liftlab_boot "$LIFTLAB" "${LL_ARGS[@]}" --bootstrap "$B"
time_it scipy_boot "$PY" "${PY_ARGS[@]}" --bootstrap "$B"
time_it numpy_boot "$PY" "${PY_ARGS[@]}" --bootstrap "$B" --numpy-bootstrap

# --- Hillstrom: report ------------------------------------------------------------
for key in liftlab scipy tea liftlab_boot scipy_boot numpy_boot; do
    [[ -f "$OUT/$key.out" ]] || continue
    echo "===== output of $key ====="
    cat "$OUT/$key.out"
    echo
done

# row KEY BASEKEY LABEL
row() {
    local wall base an
    wall="$(field "$1" median_seconds)"
    base="$(field "$2" median_seconds)"
    an="$(field "$1" median_analysis_seconds)"
    awk -v label="$3" -v w="$wall" -v b="$base" -v a="$an" 'BEGIN {
        if (a == "") col = "n/a"; else col = sprintf("%.3f (%.1fx)", a, a / b);
        printf "| %s | %.3f | %.1fx | %s |\n", label, w, w / b, col
    }'
}

PYV="$("$PY" -c 'import sys, numpy, scipy, pandas; print(f"Python {sys.version.split()[0]}, numpy {numpy.__version__}, scipy {scipy.__version__}, pandas {pandas.__version__}")')"
echo "Median wall-clock seconds of $RUNS runs (after 1 warm-up), whole process: start-up, imports, CSV parsing."
echo "Ratios are to liftlab in the same mode. $PYV; $(nproc) cores."
echo
echo "| contender | median seconds | ratio to liftlab | Python in-process analysis seconds (ratio to liftlab) |"
echo "| --- | ---: | ---: | ---: |"
row liftlab liftlab "liftlab analyze"
row scipy liftlab "python scipy"
if [[ $HAVE_TEA == 1 ]]; then
    row tea liftlab "python tea-tasting $("$PY" -c 'import tea_tasting; print(tea_tasting.__version__)')"
else
    echo "| python tea-tasting | not installed | | |"
fi
row liftlab_boot liftlab_boot "liftlab analyze --bootstrap $B"
row scipy_boot liftlab_boot "python scipy.stats.bootstrap $B"
row numpy_boot liftlab_boot "python numpy batched bootstrap $B"
