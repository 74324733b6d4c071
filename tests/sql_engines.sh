#!/usr/bin/env bash
# Runs `liftlab sql` in real engines, DuckDB and PostgreSQL, on Hillstrom and
# on simulated data, and writes each engine's summary CSV plus cases.json
# (pairs of `analyze` argument lists whose JSON must agree) into OUTDIR.
# Driven by the ignored Rust test `summary::sql_engines` (see .ci/run).
#
# Usage: LIFTLAB=path/to/liftlab bash tests/sql_engines.sh OUTDIR HILLSTROM_CSV
#
# - DuckDB: the Python package, pinned, in a venv under target/sql-venv
#   (created on first use).
# - PostgreSQL: Debian's package (installed with apt-get when absent; needs
#   root), a throwaway cluster in OUTDIR started as the `postgres` user on a
#   Unix socket only (no TCP), bounded with timeout, stopped on exit.
set -euo pipefail

OUT="$(cd "$1" && pwd)"
HILLSTROM="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
: "${LIFTLAB:?set LIFTLAB to the liftlab binary}"
VENV="$ROOT/target/sql-venv"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import duckdb" 2>/dev/null; then
    echo "sql_engines: creating $VENV with duckdb" >&2
    "$PYTHON" -m venv "$VENV"
    timeout 300 "$VENV/bin/python" -m pip install --quiet "duckdb==2.0.0"
fi

PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    echo "sql_engines: installing PostgreSQL (apt-get)" >&2
    timeout 300 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq postgresql >/dev/null
    PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi

# A cluster of our own, as the postgres user (the server refuses root).
PG="$OUT/pg"
mkdir -p "$PG/sock"
chown -R postgres "$PG"
chmod 755 "$OUT"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() { as_pg "$PGBIN/pg_ctl" -D "$PG/data" -m immediate stop >/dev/null 2>&1 || true; }
trap stop_pg EXIT
timeout 120 bash -c "$(declare -f as_pg); as_pg '$PGBIN/initdb' -D '$PG/data' -A trust -U postgres >/dev/null"
timeout 60 bash -c "$(declare -f as_pg); as_pg '$PGBIN/pg_ctl' -D '$PG/data' -l '$PG/log' -w \
    -o \"-k $PG/sock -c listen_addresses=''\" start >/dev/null"

export PGHOST="$PG/sock" PGUSER=postgres PGDATABASE=postgres
timeout 600 "$VENV/bin/python" "$HERE/sql_engines.py" "$OUT" "$HILLSTROM" "$LIFTLAB"
