"""Inputs already checked in this run: the runner scans each input once, the kernel trusts it.

The runner validates every input before any kernel starts (so bad data stops with one
sentence and nothing written). It then writes what it checked, with a cheap stamp of each
file (path, size, modification time), to a file named by :data:`ENVIRONMENT_VARIABLE` in the
kernel's environment. When the notebook opens the same input in the same time zone and the
stamps still match, :func:`helpers.inputs.loading.open_input` skips the rule scan. A file
replaced in between, a notebook run by hand in JupyterLab (no variable), or a different time
zone all validate again, so trust never outlives what was checked.

A table in a database has no file to stamp: its entry holds the facts ``run.json`` records as
the table's identity (row count and newest timestamp, which the runner's rule scan counted on
the way). The kernel asks the database for them again, one count instead of the rule scan,
and checks the table again when they differ.

Standard library only: the runner writes the record without loading DuckDB.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from helpers.inputs.sources import Source

__all__ = ["ENVIRONMENT_VARIABLE", "checked_entry", "groupings_checked", "groupings_entry", "was_checked", "write_record"]

#: Names the file in which the runner lists the inputs it has checked for this run.
ENVIRONMENT_VARIABLE = "ITVALUE_CHECKED_INPUTS"


def _stamp(source: Source) -> list[list[Any]]:
    # Size and nanosecond mtime: cheap, and any rewrite of the file changes them.
    stamps = []
    for path in source.paths:
        status = path.stat()
        stamps.append([str(path.resolve()), status.st_size, status.st_mtime_ns])
    return stamps


def checked_entry(source: Source, kind: str, timezone: str, facts: dict[str, Any] | None = None) -> dict[str, Any]:
    """What identifies one checked input: its kind, time zone, table, column map and the stamps of its files.

    ``facts``: for a table in a database, its row count and newest timestamp when checked.
    """
    column_map = source.column_map.record() if source.column_map is not None else {}
    entry = {"kind": kind, "timezone": timezone, "table": source.table, "map": column_map, "files": _stamp(source)}
    if source.is_engine:
        entry |= {"location": source.location, "facts": facts}
    return entry


def write_record(path: Path, entries: Iterable[dict[str, Any]]) -> None:
    """Write the runner's list of checked inputs (see :func:`checked_entry`) to ``path``."""
    path.write_text(json.dumps(list(entries)), encoding="utf-8")


def was_checked(
    source: Source, kind: str, timezone: str, *, facts: Callable[[], dict[str, Any]] | None = None
) -> bool:
    """True when this run's runner has checked this input, in this time zone, as it is now.

    ``facts`` gives a database table's facts now (:func:`helpers.inputs.tables.table_fingerprint`); it is
    asked only when the runner's record names this table.
    """
    record = os.environ.get(ENVIRONMENT_VARIABLE)
    if not record:
        return False
    try:
        entries = json.loads(Path(record).read_text(encoding="utf-8"))
        if not source.is_engine:
            return checked_entry(source, kind, timezone) in entries
        named = checked_entry(source, kind, timezone)
        recorded = [e.get("facts") for e in entries if isinstance(e, dict) and e | {"facts": None} == named]
        return facts is not None and any(f is not None for f in recorded) and facts() in recorded
    except (OSError, ValueError, TypeError):
        return False


def groupings_entry(params: Any) -> dict[str, Any]:
    """What identifies a run's check of its grouping columns (``params.grouping_columns()``) on its inputs as they are.

    The columns chosen, the smallest group, the groupings the project declares (``[privacy] groupings``
    in the ``itvalue.toml`` this process reads) and the stamps of the inputs they are columns of: the
    same parameters on the same files under the same declaration need no second check (and no second
    scan of the grouping column). A kernel that reads another project's declaration than the runner's
    (another ``ITVALUE_PROJECT``, a file edited in between) checks again, under its own.
    """
    from helpers.inputs.sources import parse_source
    from helpers.privacy import project_groupings

    sources = params.inputs()
    groupings = params.grouping_columns()
    stamps = {key: _stamp(parse_source(sources[key][1])) for key in sorted(groupings) if key in sources}
    return {
        "groupings": {key: [value[0], list(value[1])] for key, value in sorted(groupings.items())},
        "smallest_group": params.smallest_group(),
        "declared": sorted(project_groupings()),
        "files": stamps,
    }


def groupings_checked(params: Any) -> bool:
    """True when this run's runner has checked these groupings of these inputs, as they are now."""
    record = os.environ.get(ENVIRONMENT_VARIABLE)
    if not record:
        return False
    try:
        entries = json.loads(Path(record).read_text(encoding="utf-8"))
        return groupings_entry(params) in entries
    except (OSError, ValueError, TypeError, FileNotFoundError):
        return False
