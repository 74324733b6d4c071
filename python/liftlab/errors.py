"""Exceptions and warnings raised by liftlab.

Every error carries the message the ``liftlab`` command line prints for the
same input (without its ``error:`` prefix): it names the file, row, column
or parameter to fix. Parameters are named as the command line's flags
(``--holdout``), which are the keyword arguments with ``_`` for ``-``.
"""

from __future__ import annotations


class LiftlabError(ValueError):
    """A bad input or parameter: a malformed file, a missing column, a NaN,
    an empty arm, a nonsense value. The message says what to fix."""


class LiftlabFileNotFoundError(LiftlabError, FileNotFoundError):
    """A file named as input (data, summary, store profile) does not exist.

    Both a :class:`LiftlabError` (so a ``ValueError``) and a
    ``FileNotFoundError``."""


class LiftlabWarning(UserWarning):
    """A warning the command line prints on standard error: a sample ratio
    mismatch, degenerate simulated replicates, a number that cannot be
    computed."""
