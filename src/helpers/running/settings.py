"""A project's own settings for scheduled runs, from the ``[run]`` table of its ``itvalue.toml``.

::

    [run]
    keep = 30                                   # runs kept per parameter set (and always the last good one)
    notify = ["https://hooks.example.com/T0/B0/XYZ", "mailto:it-reports@example.com"]

Command-line options win over the file: ``--keep`` replaces ``keep``, and ``--notify`` targets are used
instead of the file's. The file's ``[privacy]`` table (the columns the project declares groupings) is read by
:mod:`helpers.privacy`, through the same reader (:func:`helpers.paths.project_settings`), since a notebook run
by hand checks its groupings too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from helpers.exceptions import ParameterError
from helpers.paths import MARKER_FILE, find_project_root, project_settings

__all__ = ["RunSettings", "read_settings"]


@dataclass(frozen=True)
class RunSettings:
    """``keep``: runs kept per set (None: all); ``notify``: webhook URLs and ``mailto:`` addresses."""

    keep: int | None = None
    notify: list[str] = field(default_factory=list)


def read_settings(root: Path | None = None) -> RunSettings:
    """The ``[run]`` settings of the project at ``root`` (default: the current one); defaults where absent."""
    root = root if root is not None else find_project_root()
    run = project_settings("run", root)
    path = root / MARKER_FILE if root is not None else MARKER_FILE
    unknown = sorted(set(run) - {"keep", "notify"})
    if unknown:
        raise ParameterError(f"{path}: [run] has no setting {unknown[0]!r}; it knows 'keep' and 'notify'.")
    keep = run.get("keep")
    if keep is not None and (not isinstance(keep, int) or isinstance(keep, bool) or keep < 1):
        raise ParameterError(f"{path}: [run] keep must be a whole number of runs, at least 1; got {keep!r}.")
    notify = run.get("notify", [])
    if isinstance(notify, str):
        notify = [notify]
    if not isinstance(notify, list) or not all(isinstance(target, str) for target in notify):
        raise ParameterError(f"{path}: [run] notify must be a list of addresses (https://... or mailto:...).")
    return RunSettings(keep=keep, notify=notify)
