"""Type stubs of the native module ``liftlab._liftlab`` (Rust, PyO3)."""

from typing import Any, Callable, Dict, List, Optional, Sequence, Union

def run(
    args: Sequence[str],
    data: Optional[Any] = None,
    data_name: Optional[str] = None,
    threads: Optional[int] = None,
    progress: Optional[Callable[[int, int], Any]] = None,
) -> Dict[str, Union[Optional[str], List[str]]]:
    """Runs ``liftlab ARGS...`` in this process (the GIL released).

    ``data``: an Arrow table (anything with ``__arrow_c_stream__``) that
    replaces ``analyze``'s FILE. Returns ``{"json": str | None, "table":
    str | None, "stdout": str, "notes": list[str]}``. Raises
    ``liftlab.LiftlabError`` / ``liftlab.LiftlabFileNotFoundError`` with the
    CLI's message."""

def version() -> str:
    """The version of the liftlab library the extension was built from."""
