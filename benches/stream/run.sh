#!/usr/bin/env bash
# `liftlab analyze` streaming 10M rows, as CSV, .csv.gz and Parquet, beside DuckDB computing the
# same per-arm sums on the same file. One run each, whole process, wall time and peak RSS from
# /usr/bin/time -v.
#
# Usage: benches/stream/run.sh [ROWS]        (default 10,000,000)
# Env:   PYTHON (to make the venv, default python3), KEEP=1 keeps the generated files,
#        LIFTLAB_BIN (a release binary; default: build this checkout's)
# Needs: /usr/bin/time; makes benches/stream/.venv with the `duckdb` package (pinned below).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
ROWS="${1:-10000000}"
VENV="$HERE/.venv"
PY="$VENV/bin/python"
DUCKDB_PIN="duckdb==2.0.0"

if ! "$PY" -c "import duckdb" 2>/dev/null; then
    echo ">> creating $VENV with $DUCKDB_PIN" >&2
    "${PYTHON:-python3}" -m venv --clear "$VENV"
    "$VENV/bin/pip" install -q "$DUCKDB_PIN"
fi
# LIFTLAB_BIN: a release binary already built (otherwise this checkout's is built).
BIN="${LIFTLAB_BIN:-$REPO/target/release/liftlab}"
[[ -n "${LIFTLAB_BIN:-}" ]] || (cd "$REPO" && cargo build --release -q)
WORK="$(mktemp -d)"
[[ "${KEEP:-}" == 1 ]] || trap 'rm -rf "$WORK"' EXIT

echo ">> generating $ROWS rows in $WORK" >&2
"$PY" - "$WORK" "$ROWS" <<'PY'
import sys, duckdb
work, rows = sys.argv[1], int(sys.argv[2])
con = duckdb.connect()
con.execute("select setseed(0.42)")
# 10% control; sessions >= 1; 30% of units buy (lognormal-ish revenue); a pre-period covariate.
con.execute(f"""
create table u as select
  case when random() < 0.1 then 'control' else 'treatment' end as arm,
  1 + floor(-ln(random()) * 2)::int as sessions,
  case when random() < 0.3 then round(exp(random() * 2) * 20, 2) else 0 end as revenue,
  round(-ln(random()) * 50) as x
from range({rows})""")
con.execute(f"copy u to '{work}/units.csv' (header)")
con.execute(f"copy u to '{work}/units.csv.gz' (header, compression gzip)")
con.execute(f"copy u to '{work}/units.parquet' (format parquet, compression snappy)")
PY

measure() {  # label, command...: prints "label seconds peak_MB"
    local label="$1"; shift
    local log="$WORK/time.log"
    /usr/bin/time -v "$@" >/dev/null 2>"$log"
    local secs mb
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
    mb=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$log")
    echo "$label $secs $mb"
}

ARGS=(--variant-col arm --control control --metric revenue --metric revenue/sessions --covariate x
      --method welch --format json)
SQL="select arm, count(*) n, sum(revenue) sy, sum(revenue*revenue) syy, sum(x) sx, sum(x*x) sxx,
       sum(revenue*x) sxy, sum(sessions) sd, sum(sessions*sessions) sdd, sum(revenue*sessions) syd,
       sum(revenue*revenue*revenue) syyy
     from {src} group by arm order by arm"
duck() {  # the same sums in DuckDB, one thread as liftlab's reader is one thread, and all threads
    "$PY" -c "
import duckdb, sys
con = duckdb.connect(config={'threads': int(sys.argv[2])})
print(con.execute('''$SQL'''.replace('{src}', sys.argv[1])).fetchall())" "$@"
}
export -f duck
export PY SQL

{
    measure "csv liftlab" "$BIN" analyze "$WORK/units.csv" "${ARGS[@]}"
    measure "csv duckdb-1-thread" bash -c "duck \"read_csv('$WORK/units.csv')\" 1"
    measure "csv duckdb-all-threads" bash -c "duck \"read_csv('$WORK/units.csv')\" $(nproc)"
    measure "csv.gz liftlab" "$BIN" analyze "$WORK/units.csv.gz" "${ARGS[@]}"
    measure "csv.gz duckdb-1-thread" bash -c "duck \"read_csv('$WORK/units.csv.gz')\" 1"
    measure "csv.gz duckdb-all-threads" bash -c "duck \"read_csv('$WORK/units.csv.gz')\" $(nproc)"
    measure "parquet liftlab" "$BIN" analyze "$WORK/units.parquet" "${ARGS[@]}"
    measure "parquet duckdb-1-thread" bash -c "duck \"'$WORK/units.parquet'\" 1"
    measure "parquet duckdb-all-threads" bash -c "duck \"'$WORK/units.parquet'\" $(nproc)"
} | tee "$WORK/results.txt" | awk '
    {split($1,f," "); fmt=$1; tool=$2; t[fmt" "tool]=$3; m[fmt" "tool]=$4; order[++k]=fmt" "tool}
    END {
        print "| format | tool | seconds | peak RSS (MB) | time vs liftlab | memory vs liftlab |"
        print "| --- | --- | ---: | ---: | ---: | ---: |"
        for (i=1;i<=k;i++) { split(order[i],p," "); base=p[1]" liftlab";
            printf "| %s | %s | %.2f | %.1f | %.2fx | %.2fx |\n", p[1], p[2], t[order[i]], m[order[i]], t[order[i]]/t[base], m[order[i]]/m[base] }
    }'
ls -l "$WORK" >&2
