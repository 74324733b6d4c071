"""Load data into DuckDB and PostgreSQL, run `liftlab sql` there, write the
summaries and OUTDIR/cases.json for the Rust test `summary::sql_engines`.

Usage: python sql_engines.py OUTDIR HILLSTROM_CSV LIFTLAB (PG* set by the .sh).
"""
import csv
import json
import os
import subprocess
import sys
import time

import duckdb

out, hillstrom, liftlab = sys.argv[1:4]
con = duckdb.connect()
cases = []
PG_TYPES = {"BIGINT": "bigint", "INTEGER": "bigint", "DOUBLE": "double precision", "VARCHAR": "text",
            "BOOLEAN": "boolean", "DATE": "date"}


def run(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw).stdout


def load(table, path):
    """Load a CSV into both engines (types inferred by DuckDB)."""
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}', header=true)")
    cols = con.execute(f"DESCRIBE {table}").fetchall()
    ddl = ", ".join(f'"{c[0]}" {PG_TYPES[c[1]]}' for c in cols)
    run("psql", "-q", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE TABLE {table} ({ddl})")
    run("psql", "-q", "-v", "ON_ERROR_STOP=1", "-c", f"\\copy {table} FROM '{path}' CSV HEADER")


def summarize(name, sql_flags):
    """Run the query of `liftlab sql` in both engines; return the two CSV paths."""
    paths = {}
    for dialect in ["duckdb", "postgres"]:
        sql = run(liftlab, "sql", "--dialect", dialect, *sql_flags).strip().rstrip(";")
        path = os.path.join(out, f"{name}.{dialect}.csv")
        t = time.time()
        if dialect == "duckdb":
            con.execute(f"COPY ({sql}) TO '{path}' (HEADER, DELIMITER ',')")
        else:
            with open(path, "w") as f:
                subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                                f"COPY ({sql}) TO STDOUT WITH CSV HEADER"], check=True, stdout=f)
        print(f"  {dialect:8} {name}: {time.time() - t:.2f} s", file=sys.stderr)
        paths[dialect] = path
    return paths


def case(name, units, sql_flags, flags):
    """`analyze UNITS FLAGS` must equal `analyze --summary S FLAGS` for both engines."""
    for dialect, path in summarize(name, sql_flags).items():
        cases.append({"name": f"{name} ({dialect})", "a": [units, *flags], "b": ["--summary", path, *flags]})


def metric_flags(metrics):
    return [a for m in metrics for a in ("--metric", m)]


# Hillstrom: one row per customer.
load("hillstrom", hillstrom)
h = ["--variant-col", "segment", "--control", "No E-Mail"]
m = ["spend", "visit", "spend/visit"]
case("hillstrom", hillstrom, ["--table", "hillstrom", "--variant-col", "segment", *metric_flags(m),
     "--covariate", "history"], [*h, *metric_flags(m), "--covariate", "history", "--method", "welch"])
case("hillstrom_by_channel", hillstrom, ["--table", "hillstrom", "--variant-col", "segment", *metric_flags(m),
     "--covariate", "history", "--segment-col", "channel"],
     [*h, *metric_flags(m), "--covariate", "history", "--segment-col", "channel", "--method", "welch"])
case("hillstrom_visit_auto", hillstrom, ["--table", "hillstrom", "--variant-col", "segment", "--metric", "visit",
     "--segment-col", "zip_code"], [*h, "--metric", "visit", "--segment-col", "zip_code"])

# Simulated visitors (one row each) and sessions (several rows per visitor).
sim = os.path.join(out, "sim_units.csv")
sessions = os.path.join(out, "sim_sessions.csv")
run(liftlab, "simulate", "--days", "21", "--seed", "11", "--out", sim)
run(liftlab, "simulate", "--days", "21", "--seed", "11", "--level", "session", "--out", sessions)
load("sim_units", sim)
load("sim_sessions", sessions)
s = ["--variant-col", "arm", "--control", "control"]
m = ["revenue", "margin", "margin/sessions"]
case("sim_units", sim, ["--table", "sim_units", "--variant-col", "arm", *metric_flags(m), "--covariate",
     "pre_revenue", "--segment-col", "cohort"],
     [*s, *metric_flags(m), "--covariate", "pre_revenue", "--segment-col", "cohort", "--method", "welch"])

# Sessions -> visitors: the unit-level truth is summed here in plain Python.
per_unit = {}
with open(sessions, newline="") as f:
    for r in csv.DictReader(f):
        u = per_unit.setdefault(r["visitor_id"], {"arm": r["arm"], "cohort": r["cohort"], "revenue": 0.0,
                                                  "margin": 0.0, "order": 0.0})
        for k in ("revenue", "margin", "order"):
            u[k] += float(r[k])
units = os.path.join(out, "sim_sessions_per_visitor.csv")
with open(units, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["visitor_id", "arm", "cohort", "revenue", "margin", "order"])
    for k, u in per_unit.items():
        w.writerow([k, u["arm"], u["cohort"], repr(u["revenue"]), repr(u["margin"]), repr(u["order"])])
m = ["revenue", "order", "margin/order"]
case("sim_sessions", units, ["--table", "sim_sessions", "--unit-col", "visitor_id", "--variant-col", "arm",
     *metric_flags(m), "--segment-col", "cohort"], [*s, *metric_flags(m), "--segment-col", "cohort", "--method", "welch"])

# Capping at the 99th percentile of non-zero values: both engines agree.
capped = summarize("sim_units_capped", ["--table", "sim_units", "--variant-col", "arm", "--metric", "revenue",
                                        "--metric", "margin/sessions", "--cap", "0.99"])
flags = [*s, "--metric", "revenue", "--metric", "margin/sessions", "--method", "welch"]
cases.append({"name": "capped: duckdb vs postgres", "a": ["--summary", capped["duckdb"], *flags],
              "b": ["--summary", capped["postgres"], *flags]})
# ...and the cap is the numpy-style interpolated percentile of the non-zero values.
rev = sorted(float(r["revenue"]) for r in csv.DictReader(open(sim)) if float(r["revenue"]) != 0)
pos = 0.99 * (len(rev) - 1)
cap = rev[int(pos)] + (rev[min(int(pos) + 1, len(rev) - 1)] - rev[int(pos)]) * (pos - int(pos))
rows = list(csv.DictReader(open(sim)))
capped_units = os.path.join(out, "sim_units_capped_by_python.csv")
with open(capped_units, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["arm", "revenue"])
    for r in rows:
        w.writerow([r["arm"], repr(min(float(r["revenue"]), cap))])
cases.append({"name": "capped revenue: duckdb vs capped in Python", "a": [capped_units, *s, "--metric", "revenue",
              "--method", "welch"], "b": ["--summary", capped["duckdb"], *s, "--metric", "revenue", "--method",
                                          "welch"]})

with open(os.path.join(out, "cases.json"), "w") as f:
    json.dump(cases, f, indent=1)
print(f"sql_engines: {len(cases)} cases, duckdb {duckdb.__version__}, "
      f"{run('psql', '-tAc', 'SHOW server_version').strip()} (PostgreSQL)", file=sys.stderr)
