"""Result objects: the JSON contract of each command, as Python objects."""

from __future__ import annotations

import copy
import html
import json
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple


class Result:
    """The result of a liftlab command.

    ``to_dict()`` is the object ``liftlab COMMAND --format json`` prints
    (the README's "For scripts" section documents its fields); top-level
    fields are also attributes (``result.verdict``) and items
    (``result["verdict"]``). ``to_pandas()`` is the command's main list as a
    DataFrame, one row per element, nested objects flattened into columns
    named by their JSON path (``test.pvalue``, ``cuped.effect_size``).
    ``repr()`` is the command line's text report; in a notebook the report
    shows as preformatted text.

    Attributes:
        command: the subcommand that produced it (``"analyze"``, ``"plan"``, ...).
        text: the report as ``--format table`` prints it.
        notes: the notes and warnings the command line prints on standard
            error, one per line (warnings are also issued as
            :class:`liftlab.LiftlabWarning`).
    """

    #: Paths of the main list, and of lists inside its elements to explode
    #: (``("metrics", "rows")``: one row per metric x duration).
    _rows: Tuple[str, ...] = ()

    def __init__(self, command: str, json_text: str, text: str, notes: Sequence[str]) -> None:
        self.command = command
        self._data: Dict[str, Any] = json.loads(json_text)
        self._json_text = json_text
        self.text = text
        self.notes: List[str] = list(notes)

    def to_dict(self) -> Dict[str, Any]:
        """The JSON report as a dict (a deep copy): the same fields and
        values as ``--format json`` (floats round-trip exactly; ``null``
        is ``None``)."""
        return copy.deepcopy(self._data)

    def to_json(self) -> str:
        """The JSON report, byte for byte as ``--format json`` prints it."""
        return self._json_text

    def records(self) -> List[Dict[str, Any]]:
        """The rows ``to_pandas()`` is built from: one dict per element of
        the main list (exploded as described in :class:`Result`)."""
        if not self._rows:
            return [self._data]
        rows: List[Dict[str, Any]] = list(_dig(self._data, self._rows[0]))
        for inner in self._rows[1:]:
            exploded = []
            for outer in rows:
                outer_fields = {k: v for k, v in outer.items() if k != inner}
                for row in outer.get(inner) or []:
                    exploded.append({**outer_fields, **row})
            rows = exploded
        return rows

    def to_pandas(self) -> "Any":
        """The main list as a pandas DataFrame (requires pandas): one row
        per element, nested objects flattened to columns named by JSON path
        (``test.pvalue``); lists stay as Python lists in their cell."""
        import pandas as pd

        return pd.json_normalize(self.records(), sep=".")

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def keys(self) -> Any:
        """The top-level fields of the JSON report."""
        return self._data.keys()

    def __getattr__(self, name: str) -> Any:
        data = self.__dict__.get("_data")
        if data is not None and name in data:
            return data[name]
        raise AttributeError(f"{type(self).__name__} has no attribute or field {name!r}")

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | set(self._data))

    def __repr__(self) -> str:
        return self.text.rstrip("\n")

    def _repr_html_(self) -> str:
        return "<pre style='white-space: pre; line-height: 1.25'>" + html.escape(self.text.rstrip("\n")) + "</pre>"


def _dig(data: Dict[str, Any], path: str) -> List[Dict[str, Any]]:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return list(value or [])


class Analysis(Result):
    """``analyze``: SRM check and one result per metric x treatment arm
    (then per segment). ``to_pandas()``: one row per metric x arm x
    segment, the JSON contract's fields (``metric``, ``variant``,
    ``segment``, ``effect_size``, ``rel_effect_size``, ``test.pvalue``,
    ``cuped.effect_size``, ...). Weekly reads (``date_col=``): one row per
    metric x arm x look."""

    _rows = ("results",)

    def __init__(self, command: str, json_text: str, text: str, notes: Sequence[str]) -> None:
        super().__init__(command, json_text, text, notes)
        if "results" not in self._data and "rows" in self._data:
            self._rows = ("rows",)


class Plan(Result):
    """``plan``: MDE per test duration and the days a target lift needs.
    ``to_pandas()``: one row per duration (per metric x duration for a
    store's plan)."""

    _rows = ("rows",)

    def __init__(self, command: str, json_text: str, text: str, notes: Sequence[str]) -> None:
        super().__init__(command, json_text, text, notes)
        if "rows" not in self._data and "metrics" in self._data:
            self._rows = ("metrics", "rows")


class Power(Result):
    """``power``: Monte Carlo power, A/A false-positive rate per tail,
    coverage and bias per metric and method. ``to_pandas()``: one row per
    metric (per look with ``looks=``)."""

    _rows = ("metrics",)

    def __init__(self, command: str, json_text: str, text: str, notes: Sequence[str]) -> None:
        super().__init__(command, json_text, text, notes)
        if "metrics" not in self._data and "looks" in self._data:
            self._rows = ("looks",)


class Frontier(Result):
    """``frontier``: the relative MDE by store size, duration and holdout.
    ``to_pandas()``: one row per (revenue, days, holdout); ``checks``,
    ``verdicts`` and ``power_curve`` stay in ``to_dict()``."""

    _rows = ("rows",)


class Comparison(Result):
    """``compare``: rules vs a paid model after fees. ``to_pandas()``: the
    revenue x fee sweep with each point's margin difference."""

    _rows = ("sweep",)


class Audit(Result):
    """``audit``: how often each decision rule keeps a module, how often
    wrongly, at what cost. ``to_pandas()``: one row per rule x true lift."""

    _rows = ("rows",)


class Simulation(Result):
    """``simulate``: the simulated test's aggregate summary, ground truth
    (``truth``) and what a vendor dashboard would claim (``vendor``), with
    the simulated rows.

    Attributes:
        data: the rows as a ``pyarrow.Table`` (one per visitor with
            ``level="unit"``, readable by :func:`liftlab.analyze`; one per
            session with ``level="session"``), or None with ``level=None``.
    """

    def __init__(self, command: str, json_text: str, text: str, notes: Sequence[str], data: Optional[Any]) -> None:
        super().__init__(command, json_text, text, notes)
        self.data = data

    def to_arrow(self) -> Any:
        """The simulated rows as a ``pyarrow.Table``."""
        if self.data is None:
            raise ValueError("simulate(level=None) keeps no rows: pass level='unit' or 'session'")
        return self.data

    def to_pandas(self) -> Any:
        """The simulated rows as a pandas DataFrame (the summary is
        ``to_dict()``)."""
        return self.to_arrow().to_pandas()
