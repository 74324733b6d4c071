"""liftlab: can a holdout test see the lift a change is supposed to bring?

Experiment analysis (Welch's t-test, the delta method for ratio metrics and
relative lifts, CUPED, bootstrap, the studentized permutation test for small
skewed arms, SRM), planning (power and the minimum detectable effect per
duration), store simulation, Monte Carlo power, the measurability frontier,
rules vs a paid model and an audit of decision rules: the ``liftlab``
command line's engine (Rust), run in this process.

Each function takes the command line's flags as keyword arguments
(``--variant-col`` is ``variant``, ``--segment-col`` is ``segment``, other
flags keep their names with ``_`` for ``-``), returns a result object whose
``to_dict()`` is exactly the command's ``--format json`` output, and raises
:class:`LiftlabError` (a ``ValueError``) with the command line's message on
bad input. Same seed, same numbers as the command line, whatever ``threads``.
The GIL is released while liftlab computes; ``progress(done, total)`` is
called as long work advances.

    >>> import liftlab, pandas as pd
    >>> df = pd.read_csv("hillstrom.csv")
    >>> r = liftlab.analyze(df, variant="segment", control="No E-Mail",
    ...                     metrics=["spend"], covariate="history")
    >>> r.to_pandas()[["variant", "rel_effect_size", "test.pvalue"]]
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _liftlab
from ._results import Analysis, Audit, Comparison, Frontier, Plan, Power, Result, Simulation
from .errors import LiftlabError, LiftlabFileNotFoundError, LiftlabWarning

__all__ = [
    "analyze",
    "analyze_summary",
    "plan",
    "simulate",
    "power",
    "frontier",
    "compare",
    "audit",
    "run",
    "Result",
    "Analysis",
    "Plan",
    "Simulation",
    "Power",
    "Frontier",
    "Comparison",
    "Audit",
    "LiftlabError",
    "LiftlabFileNotFoundError",
    "LiftlabWarning",
]

__version__: str = _liftlab.version()

PathLike = Union[str, "os.PathLike[str]"]
Progress = Optional[Callable[[int, int], Any]]


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return os.fspath(v) if isinstance(v, os.PathLike) else str(v)


def _argv(command: Sequence[str], positional: Sequence[str] = (), **flags: Any) -> List[str]:
    """The command line for keyword arguments: ``None``/``False`` omitted,
    ``True`` a bare flag, a list or tuple comma-joined (``days=[14, 28]``
    is ``--days=14,28``), ``metric=[...]`` repeated."""
    argv = list(command) + [os.fspath(p) for p in positional]
    for name, value in flags.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif name == "metric":
            values = [value] if isinstance(value, str) else list(value)
            argv.extend(f"{flag}={m}" for m in values)
        elif isinstance(value, (list, tuple)):
            argv.append(f"{flag}=" + ",".join(_value(v) for v in value))
        else:
            argv.append(f"{flag}={_value(value)}")
    return argv


def _call(argv: List[str], data: Any = None, data_name: Optional[str] = None,
          threads: Optional[int] = None, progress: Progress = None) -> Dict[str, Any]:
    out = _liftlab.run(argv, data, data_name, threads, progress)
    for note in out["notes"]:
        if note.startswith("warning: "):
            warnings.warn(note[len("warning: "):], LiftlabWarning, stacklevel=3)
    return out


def run(*args: str, threads: Optional[int] = None, progress: Progress = None) -> Dict[str, Any]:
    """Runs any ``liftlab`` command line in this process, e.g.
    ``run("sql", "--dialect", "duckdb", ...)``.

    Returns a dict: ``json`` (the report as ``--format json`` would print
    it, or None for commands without one), ``table`` (as ``--format table``
    prints it), ``stdout`` (anything else printed: ``sql``'s query,
    ``sweep``'s report) and ``notes`` (standard error's lines).

    Raises:
        LiftlabError: the command line's error message.
    """
    return _call([str(a) for a in args], threads=threads, progress=progress)


def _result(cls: type, command: str, out: Dict[str, Any]) -> Any:
    return cls(command, out["json"], out["table"], out["notes"])


def _renamed(out: Dict[str, Any], path: str, name: str) -> Dict[str, Any]:
    """A run on a scratch file of the caller's table, reported under the
    table's name (``"pandas DataFrame"``) rather than the deleted file's."""
    for key in ("json", "table", "stdout"):
        if out.get(key):
            out[key] = out[key].replace(path, name)
    out["notes"] = [n.replace(path, name) for n in out["notes"]]
    return out


# ---------------------------------------------------------------- data


def _kind(data: Any) -> str:
    module = type(data).__module__.split(".")[0]
    name = type(data).__name__
    if module == "pandas" and name == "DataFrame":
        return "pandas DataFrame"
    if module == "polars" and name == "DataFrame":
        return "polars DataFrame"
    if module == "pyarrow" and name in ("Table", "RecordBatch"):
        return f"pyarrow {name}"
    if isinstance(data, dict):
        return "dict of arrays"
    if hasattr(data, "__arrow_c_stream__"):
        return f"{name} (Arrow stream)"
    raise TypeError(
        f"data must be a pandas or polars DataFrame, a pyarrow Table, a dict of arrays or a path "
        f"(CSV, .csv.gz, Parquet), not {type(data).__module__}.{name}"
    )


def _wanted(columns: Sequence[str], names: Sequence[Optional[str]], metrics: Sequence[str]) -> List[str]:
    """The columns a command reads, as the CLI resolves them: a metric that
    is not a column but splits at a ``/`` into two columns is a ratio
    metric. Any name not found is kept (the error then names it)."""
    have = set(columns)
    out: List[str] = [n for n in names if n]
    for m in metrics:
        if m in have:
            out.append(m)
            continue
        for i, ch in enumerate(m):
            if ch == "/" and m[:i].strip() in have and m[i + 1:].strip() in have:
                out += [m[:i].strip(), m[i + 1:].strip()]
                break
        else:
            out.append(m)
    return list(dict.fromkeys(out))


def _to_arrow(data: Any, names: Sequence[Optional[str]], metrics: Sequence[str]) -> Tuple[Any, str]:
    """``data`` as a pyarrow Table of the columns read (numeric columns are
    not copied: pandas and numpy buffers are wrapped, polars and pyarrow
    ones shared). With a column missing, every column (zero rows), so the
    error lists what there is."""
    import pyarrow as pa

    kind = _kind(data)
    if kind == "pandas DataFrame":
        columns = [str(c) for c in data.columns]
    elif kind == "polars DataFrame":
        columns = list(data.columns)
    elif kind == "dict of arrays":
        columns = [str(c) for c in data]
    elif kind.startswith("pyarrow"):
        columns = list(data.schema.names)
    else:
        data = pa.table(data)
        columns = list(data.schema.names)
    wanted = _wanted(columns, names, metrics)
    if not set(wanted) <= set(columns):
        wanted, empty = columns, True
    else:
        empty = False
    if kind == "pandas DataFrame":
        frame = data.loc[:, wanted]
        frame.columns = [str(c) for c in frame.columns]
        table = pa.Table.from_pandas(frame.head(0) if empty else frame, preserve_index=False)
    elif kind == "polars DataFrame":
        table = data.select(wanted).to_arrow()
    elif kind == "dict of arrays":
        table = pa.table({c: data[c] for c in wanted})
    elif kind == "pyarrow RecordBatch":
        table = pa.Table.from_batches([data]).select(wanted)
    else:
        table = data.select(wanted)
    if empty:
        table = table.slice(0, 0)
    return table, kind


def _is_path(data: Any) -> bool:
    return isinstance(data, (str, os.PathLike))


# ---------------------------------------------------------------- analyze


def analyze(
    data: Any,
    *,
    variant: str,
    control: str,
    metrics: Union[str, Sequence[str]],
    covariate: Optional[str] = None,
    segment: Optional[str] = None,
    alpha: float = 0.05,
    bootstrap: int = 0,
    bootstrap_ci: str = "percentile",
    poisson_bootstrap: bool = False,
    method: str = "auto",
    permutations: int = 2000,
    lift_ci: str = "log",
    seed: int = 0,
    expected_split: Optional[str] = None,
    date_col: Optional[str] = None,
    unit_col: Optional[str] = None,
    look_every: Optional[int] = None,
    cs_n_star: Optional[float] = None,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> Analysis:
    """Analyses a finished experiment from unit-level data (one row per
    randomized unit): SRM check, then per metric and treatment arm the
    decisive test, Welch's t-test, the relative lift, CUPED and bootstrap
    intervals, and per segment with Holm and BH adjusted p-values.

    Args:
        data: a pandas or polars DataFrame, a pyarrow Table or RecordBatch,
            a dict of equal-length numpy arrays or lists, or a path (CSV
            with a header, ``.csv.gz``, Parquet). Shape: n rows (units);
            metric and covariate columns numeric or boolean (read as 1/0),
            the variant and segment columns labels (strings, integers,
            categoricals). Numeric columns are read in place (no copy);
            a null, NaN or infinity is an error naming row and column.
        variant: column holding each unit's arm label (``--variant-col``).
        control: label of the control (holdout) arm.
        metrics: metric column(s), in the metric's units (USD, orders,
            0/1), or a ratio metric ``"NUM/DEN"`` (e.g.
            ``"margin/sessions"``: contribution margin per session, the
            visitor as unit), analysed with the delta method.
        covariate: pre-period covariate column for CUPED variance
            reduction (Deng et al. 2013).
        segment: column to break results down by (``--segment-col``).
        alpha: significance level of two-sided tests and (1 - alpha)
            intervals, in [1e-10, 0.5].
        bootstrap: bootstrap resamples (0 = off; 2000 is typical).
        bootstrap_ci: ``"percentile"`` or ``"bca"`` (Efron 1987).
        poisson_bootstrap: Poisson(1) weights instead of resampling n units.
        method: ``"auto"`` (Welch where every arm has n >= 355*skew^2,
            Kohavi et al. 2014; the studentized permutation test of Chung &
            Romano 2013 elsewhere), ``"welch"`` or ``"permutation"``.
        permutations: re-randomizations of the permutation test.
        lift_ci: relative-lift interval, ``"log"`` (asymmetric) or
            ``"delta"`` (symmetric delta method).
        seed: seed of the bootstrap and permutation draws.
        expected_split: planned split for the SRM check (``"1:9"``,
            ``"control=1,treatment=9"``); default equal.
        date_col, unit_col, look_every, cs_n_star: weekly reads (a path or
            table with a date column): the naive read and an always-valid
            confidence sequence at every look.
        threads: worker threads (default: all cores); results do not
            depend on it.
        progress: called as ``progress(done, total)`` during long work.

    Returns:
        :class:`Analysis`; ``to_dict()`` equals ``liftlab analyze
        --format json`` on the same data (``command`` aside).

    Raises:
        LiftlabError: a missing column, a bad value (row and column named),
            an unknown control label, an arm with under 2 units, a bad
            parameter (named by its flag, e.g. ``--alpha``).
        LiftlabFileNotFoundError: ``data`` is a path that does not exist.
        TypeError: ``data`` is none of the types above.
    """
    metric_list = [metrics] if isinstance(metrics, str) else list(metrics)
    flags = dict(
        variant_col=variant, control=control, metric=metric_list, covariate=covariate, segment_col=segment,
        alpha=alpha, bootstrap=bootstrap, bootstrap_ci=bootstrap_ci, poisson_bootstrap=poisson_bootstrap,
        method=method, permutations=permutations, lift_ci=lift_ci, seed=seed, expected_split=expected_split,
        date_col=date_col, unit_col=unit_col, look_every=look_every, cs_n_star=cs_n_star, format="json",
    )
    if _is_path(data):
        return _result(Analysis, "analyze", _call(_argv(["analyze"], [data], **flags), threads=threads,
                                                  progress=progress))
    if date_col is not None:
        # Weekly reads replay a CSV file by date: write the columns read as
        # CSV (Arrow writes the shortest decimal that round-trips a float).
        table, kind = _to_arrow(data, [variant, date_col, unit_col], metric_list)
        with _scratch() as tmp:
            path = os.path.join(tmp, "data.csv")
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, path)
            out = _call(_argv(["analyze"], [path], **flags), threads=threads, progress=progress)
            return _result(Analysis, "analyze", _renamed(out, path, kind))
    table, kind = _to_arrow(data, [variant, covariate, segment], metric_list)
    out = _call(_argv(["analyze"], [kind], **flags), data=table, data_name=kind, threads=threads, progress=progress)
    return _result(Analysis, "analyze", out)


def analyze_summary(
    summary: Any,
    *,
    variant: str,
    control: str,
    metrics: Union[None, str, Sequence[str]] = None,
    covariate: Optional[str] = None,
    segment: Optional[str] = None,
    alpha: float = 0.05,
    method: str = "auto",
    lift_ci: str = "log",
    expected_split: Optional[str] = None,
) -> Analysis:
    """Analyses an experiment from sufficient statistics: one row per arm x
    metric (x segment) with ``n`` and the sums ``liftlab sql`` computes in
    a warehouse (``sum_y``, ``sum_y2``, ``sum_y3``; ``sum_d``... for ratio
    metrics; ``sum_x``... for CUPED; columns in the README). Same numbers as
    :func:`analyze` on the unit rows; no bootstrap or permutation test
    (they need the rows).

    Args:
        summary: a path (CSV or Parquet), or a pandas/polars DataFrame or
            pyarrow Table of the same columns (written to a temporary
            Parquet file, exactly).
        variant: the arm column (``--variant-col``).
        control: label of the control arm.
        metrics: the ``metric`` values to read (default: every one).
        covariate: checked against the summary's ``covariate`` column.
        segment: the segment column (``--segment-col``).
        alpha, method, lift_ci, expected_split: as :func:`analyze`
            (``method`` ``"auto"`` or ``"welch"``).

    Returns:
        :class:`Analysis`, as ``liftlab analyze --summary FILE --format json``.

    Raises:
        LiftlabError: a bad cell (row and column named), a missing column,
            ``n < 2``, duplicates, inconsistent sums.
        LiftlabFileNotFoundError: the path does not exist.
    """
    metric_list = [] if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics)
    flags = dict(variant_col=variant, control=control, metric=metric_list, covariate=covariate,
                 segment_col=segment, alpha=alpha, method=method, lift_ci=lift_ci,
                 expected_split=expected_split, format="json")
    if _is_path(summary):
        return _result(Analysis, "analyze", _call(_argv(["analyze", "--summary", os.fspath(summary)], **flags)))
    import pyarrow as pa
    import pyarrow.parquet as pq

    kind = _kind(summary)
    if kind == "pandas DataFrame":
        table = pa.Table.from_pandas(summary, preserve_index=False)
    elif kind == "polars DataFrame":
        table = summary.to_arrow()
    elif kind == "pyarrow RecordBatch":
        table = pa.Table.from_batches([summary])
    else:
        table = pa.table(summary)
    with _scratch() as tmp:
        path = os.path.join(tmp, "summary.parquet")
        pq.write_table(table, path, compression="snappy")
        out = _call(_argv(["analyze", "--summary", path], **flags))
        return _result(Analysis, "analyze", _renamed(out, path, kind))


class _scratch:
    """A temporary directory, removed afterwards."""

    def __enter__(self) -> str:
        self.path = tempfile.mkdtemp(prefix="liftlab-")
        return self.path

    def __exit__(self, *exc: Any) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


# ---------------------------------------------------------------- plan


def plan(
    *,
    store: Optional[str] = None,
    holdout: float = 0.10,
    alpha: float = 0.05,
    power: float = 0.80,
    days: Sequence[int] = (7, 14, 30, 60, 90),
    target_lift: float = 0.03,
    cuped_r2: Optional[float] = None,
    daily_units: Optional[float] = None,
    baseline_mean: Optional[float] = None,
    baseline_sd: Optional[float] = None,
    seed: Optional[int] = None,
    looks: Optional[int] = None,
    annual_revenue: Optional[float] = None,
    aov: Optional[float] = None,
    aov_cv: Optional[float] = None,
    conversion_rate: Optional[float] = None,
    from_file: Optional[PathLike] = None,
    metric: Optional[str] = None,
    covariate: Optional[str] = None,
    date_col: Optional[str] = None,
    unit_col: Optional[str] = None,
    variant: Optional[str] = None,
    control: Optional[str] = None,
    plot: Optional[PathLike] = None,
    threads: Optional[int] = None,
) -> Plan:
    """Plans a holdout: the minimum detectable effect (MDE) per test
    duration and the days a target lift needs.

    Traffic comes from one of: a store (``store``, a preset ``"0.5m"``,
    ``"1.5m"``, ``"5m"``, ``"20m"``, ``"100m"`` or a profile JSON path; the
    default when nothing else is given), whose MDEs come from a simulated
    pilot of its visitors; store economics (``annual_revenue`` USD/year,
    ``aov`` USD, ``aov_cv``, ``conversion_rate`` per session); direct
    traffic (``daily_units`` per day, ``baseline_mean`` and
    ``baseline_sd`` of the metric per unit, in its units); or data
    (``from_file`` with ``metric``, optionally ``covariate``, ``date_col``,
    ``unit_col``, ``variant`` and ``control``).

    MDE = (z_{1-alpha/2} + z_{power}) * sd * sqrt(1/n_c + 1/n_t) (two-sided
    z-test, Chow et al. 2008; CUPED scales the variance by 1 - r^2, Deng et
    al. 2013); ``looks`` plans a group-sequential test (O'Brien-Fleming
    type alpha spending, Lan & DeMets 1983). ``holdout`` is the control's
    share in (0, 1); ``days`` durations in days; ``target_lift`` relative
    (0.03 = 3%). ``plot`` writes a .png or .svg.

    Returns:
        :class:`Plan`, as ``liftlab plan --format json``.

    Raises:
        LiftlabError: a parameter out of range (named by its flag), or
            flags that do not go together.
    """
    argv = _argv(
        ["plan"], store=store, holdout=holdout, alpha=alpha, power=power, days=list(days), target_lift=target_lift,
        cuped_r2=cuped_r2, daily_units=daily_units, baseline_mean=baseline_mean, baseline_sd=baseline_sd, seed=seed,
        looks=looks, annual_revenue=annual_revenue, aov=aov, aov_cv=aov_cv, conversion_rate=conversion_rate,
        **{"from": from_file}, metric=metric, covariate=covariate, date_col=date_col, unit_col=unit_col,
        variant_col=variant, control=control, plot=plot, format="json",
    )
    return _result(Plan, "plan", _call(argv, threads=threads))


# ---------------------------------------------------------------- simulate


def simulate(
    *,
    store: str = "1.5m",
    annual_revenue: Optional[float] = None,
    days: int = 30,
    holdout: float = 0.10,
    lift: Optional[float] = None,
    aov_lift: Optional[float] = None,
    cannibalization: Optional[float] = None,
    platform_fee: Optional[float] = None,
    arms: Optional[str] = None,
    seed: int = 1,
    salt: Optional[int] = None,
    level: Optional[str] = "unit",
    save_profile: Optional[PathLike] = None,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> Simulation:
    """Simulates a store's visitors and sessions under a randomized holdout.

    Args:
        store: a preset (``"0.5m"``, ``"1.5m"``, ``"5m"``, ``"20m"``,
            ``"100m"``) or a profile JSON path.
        annual_revenue: annual revenue, USD (traffic scales with it).
        days: test duration, days. holdout: control share in (0, 1).
        lift, aov_lift: the treatment's true relative lift of conversion and
            of AOV (0.02 = 2%). cannibalization, platform_fee (USD/month):
            as the profile's treatment fields.
        arms: several arms, ``"control=0.1,rules=0.45,model=0.45"``.
        seed, salt: the simulation's seed and assignment salt.
        level: ``"unit"`` (one row per visitor: ``visitor_id``, ``arm``,
            ``sessions``, ``orders``, ``revenue``, ``margin``,
            ``pre_revenue``, ...), ``"session"`` (one row per session) or
            None (the summary only).

    Returns:
        :class:`Simulation`: ``to_dict()`` as ``liftlab simulate --format
        json`` (``truth``, ``vendor``, per-arm summaries); ``data`` /
        ``to_pandas()`` the rows, as ``--out FILE --level LEVEL`` writes them.

    Raises:
        LiftlabError: a parameter out of range (named by its flag).
    """
    flags = dict(store=store, annual_revenue=annual_revenue, days=days, holdout=holdout, lift=lift,
                 aov_lift=aov_lift, cannibalization=cannibalization, platform_fee=platform_fee, arms=arms, seed=seed,
                 salt=salt, save_profile=save_profile, format="json")
    if level is None:
        out = _call(_argv(["simulate"], **flags), threads=threads, progress=progress)
        return Simulation("simulate", out["json"], out["table"], out["notes"], None)
    if level not in ("unit", "session"):
        raise LiftlabError(f"invalid level {level!r}: expected 'unit', 'session' or None")
    import pyarrow.csv as pacsv

    with _scratch() as tmp:
        path = os.path.join(tmp, f"{level}s.csv")
        out = _call(_argv(["simulate"], out=path, level=level, **flags), threads=threads, progress=progress)
        data = pacsv.read_csv(path)
    out["notes"] = [n for n in out["notes"] if not n.startswith("wrote ")]
    return Simulation("simulate", out["json"], out["table"], out["notes"], data)


# ---------------------------------------------------------------- power


def power(
    *,
    store: Optional[str] = None,
    annual_revenue: Optional[float] = None,
    days: Optional[int] = None,
    holdout: Optional[float] = None,
    lift: Optional[float] = None,
    replicates: Optional[int] = None,
    alpha: float = 0.05,
    seed: Optional[int] = None,
    method: str = "auto",
    permutations: Optional[int] = None,
    from_file: Optional[PathLike] = None,
    metrics: Union[None, str, Sequence[str]] = None,
    covariate: Optional[str] = None,
    looks: Optional[int] = None,
    mde: bool = False,
    mde_metric: Optional[str] = None,
    target_power: Optional[float] = None,
    mde_tolerance: Optional[float] = None,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> Power:
    """Monte Carlo power: simulates ``replicates`` holdout tests of a store
    (each with its A/A twin) and reports per metric and method the power,
    the A/A false-positive rate per tail, CI coverage and bias, each with
    its Monte Carlo standard error, beside the analytic power.

    ``from_file`` re-randomizes a unit-level file's rows instead (``metrics``
    and ``covariate`` name its columns). ``looks`` reads each test K times
    (naive peeking vs group-sequential vs always-valid). ``mde=True``
    searches the lift at which ``mde_metric`` (``"margin"``, ``"revenue"``,
    ``"revenue-cuped"``, ``"conversion"``, ``"margin-permutation"``,
    ``"revenue-permutation"``) reaches ``target_power`` (the ``--power``
    flag). ``lift`` is relative (0.03 = 3%); ``days`` days (default 30);
    ``holdout`` the control share (default 0.10, also with ``from_file``);
    ``store`` a preset or profile JSON path (default ``"1.5m"``). ``store``,
    ``annual_revenue`` and ``days`` describe the simulated store and do not
    go with ``from_file``.

    Returns:
        :class:`Power`, as ``liftlab power --format json``.

    Raises:
        LiftlabError: a parameter out of range (named by its flag); a run
            where every replicate is degenerate.
    """
    metric_list = None if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics)
    argv = _argv(
        ["power"], store=store, annual_revenue=annual_revenue, days=days, holdout=holdout, lift=lift,
        replicates=replicates, alpha=alpha, seed=seed, method=method, permutations=permutations,
        **{"from": from_file}, metric=metric_list, covariate=covariate, looks=looks, mde=mde,
        mde_metric=mde_metric, power=target_power, mde_tolerance=mde_tolerance, format="json",
    )
    return _result(Power, "power", _call(argv, threads=threads, progress=progress))


# ---------------------------------------------------------------- frontier


def frontier(
    *,
    store: str = "1.5m",
    annual_revenue: Optional[float] = None,
    revenues: Optional[Sequence[float]] = None,
    days: Optional[Sequence[int]] = None,
    holdout: Optional[Sequence[float]] = None,
    alpha: float = 0.05,
    power: float = 0.80,
    target_lift: Optional[float] = None,
    checks: Optional[int] = None,
    check_revenues: Optional[Sequence[float]] = None,
    seed: Optional[int] = None,
    plot: Optional[PathLike] = None,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> Frontier:
    """The measurability frontier: the smallest relative lift a holdout test
    can detect (MDE at ``power``, two-sided ``alpha``) by annual revenue
    (USD), duration (days) and holdout share, with and without CUPED,
    calibrated on a simulated pilot of the store; ``checks`` simulated
    replicates check the analytic power at ``check_revenues``; verdicts give
    the days to detect ``target_lift`` and the vendor's claim. ``plot``:
    a directory for the PNG/SVG figures.

    Returns:
        :class:`Frontier`, as ``liftlab frontier --format json``.

    Raises:
        LiftlabError: a parameter out of range (named by its flag).
    """
    argv = _argv(
        ["frontier"], store=store, annual_revenue=annual_revenue,
        revenues=None if revenues is None else list(revenues), days=None if days is None else list(days),
        holdout=None if holdout is None else list(holdout), alpha=alpha, power=power, target_lift=target_lift,
        checks=checks, check_revenues=None if check_revenues is None else list(check_revenues), seed=seed,
        plot=plot, format="json",
    )
    return _result(Frontier, "frontier", _call(argv, threads=threads, progress=progress))


# ---------------------------------------------------------------- compare


def compare(
    *,
    store: str = "1.5m",
    annual_revenue: Optional[float] = None,
    aov: Optional[float] = None,
    conversion_rate: Optional[float] = None,
    gross_margin: Optional[float] = None,
    skus: Optional[float] = None,
    fee: Optional[float] = None,
    rules_fee: Optional[float] = None,
    rpv_gap: Optional[float] = None,
    half_saturation_orders: Optional[float] = None,
    learning_steepness: Optional[float] = None,
    days: Optional[int] = None,
    shares: Optional[Sequence[float]] = None,
    fees: Optional[Sequence[float]] = None,
    revenues: Optional[Sequence[float]] = None,
    replicates: Optional[int] = None,
    sweep_replicates: Optional[int] = None,
    alpha: float = 0.05,
    power: float = 0.80,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> Comparison:
    """Rules vs a paid ML model: what each earns the store per month over
    no module after fees (simulated months; mean and 5th/95th
    percentiles, USD), the break-even annual revenue above which the model
    pays for its ``fee`` (USD/month), and whether a three-arm test of
    ``days`` days split ``shares`` (control, rules, model) could tell them
    apart. ``fees`` and ``revenues`` set the sweep's grid.

    Returns:
        :class:`Comparison`, as ``liftlab compare --format json``.

    Raises:
        LiftlabError: a parameter out of range (named by its flag).
    """
    argv = _argv(
        ["compare"], store=store, annual_revenue=annual_revenue, aov=aov, conversion_rate=conversion_rate,
        gross_margin=gross_margin, skus=skus, fee=fee, rules_fee=rules_fee, rpv_gap=rpv_gap,
        half_saturation_orders=half_saturation_orders, learning_steepness=learning_steepness, days=days,
        shares=None if shares is None else list(shares), fees=None if fees is None else list(fees),
        revenues=None if revenues is None else list(revenues), replicates=replicates,
        sweep_replicates=sweep_replicates, alpha=alpha, power=power, seed=seed, format="json",
    )
    return _result(Comparison, "compare", _call(argv, threads=threads, progress=progress))


# ---------------------------------------------------------------- audit


def audit(
    *,
    store: str = "1.5m",
    annual_revenue: Optional[float] = None,
    lift: Optional[Sequence[float]] = None,
    fee: Optional[float] = None,
    replicates: Optional[int] = None,
    seed: Optional[int] = None,
    plot: Optional[PathLike] = None,
    plot_replicates: Optional[int] = None,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> Audit:
    """Audits the field's decision rules (weekly peeking, two windows at
    +8%, a two-week off switch, AOV before/after) and liftlab's own by
    simulation at a store: for each true relative ``lift`` (list), how
    often each rule keeps the module, how often wrongly, and what that costs
    per month (USD) against a ``fee`` (USD/month).

    Returns:
        :class:`Audit`, as ``liftlab audit --format json``.

    Raises:
        LiftlabError: a parameter out of range (named by its flag).
    """
    argv = _argv(
        ["audit"], store=store, annual_revenue=annual_revenue, lift=None if lift is None else list(lift), fee=fee,
        replicates=replicates, seed=seed, plot=plot, plot_replicates=plot_replicates, format="json",
    )
    return _result(Audit, "audit", _call(argv, threads=threads, progress=progress))
