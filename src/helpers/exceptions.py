"""The kit's exceptions: callers can tell bad parameters and bad data from a failed analysis."""

from __future__ import annotations

__all__ = ["KitError", "ParameterError", "InputDataError", "NotebookFailed", "RunAborted"]


class KitError(Exception):
    """Base class: a problem the user can fix, with a one-sentence message."""

    #: Exit status of ``itvalue`` when this error stops a run.
    exit_status = 2


class ParameterError(KitError, ValueError):
    """A parameter is unknown, of the wrong type, or names a missing input."""


class InputDataError(KitError, ValueError):
    """An input file is missing, unreadable or breaks its schema."""


class NotebookFailed(KitError, RuntimeError):
    """A notebook cell raised while the runner executed it."""

    exit_status = 1


class RunAborted(KitError, RuntimeError):
    """A run could not be written (a full disk, an OS error); nothing of it was kept."""

    exit_status = 1
