"""Notes on legal but suspicious input data, for the report's "Data quality" section.

The helpers are generic (gaps in a time column, ids missing from another table, rows
outside a window) and written in Ibis, so they run in the input's engine: only counts
and a few examples come back to Python. Analyses compute their own domain-specific notes
and report them with the same :class:`QualityNote`.

Notes speak of the user's columns: when an input was read through a column map, a column the
note quotes by the kit's name (``'timestamp'``) reads as the user's (``'Created at' (mapped to
'timestamp')``). :func:`helpers.inputs.loading.open_input` remembers, by the input's name, how each
of its columns was mapped (:func:`remember_columns`), and a note about that input is worded with
it when it is made, so no analysis needs to know about maps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd

from helpers import cell_key

__all__ = ["QualityNote", "time_gaps", "unmatched_ids", "outside_window", "remember_columns"]

# The input's name -> {the kit's column: its label in the user's words}, for inputs read through a map.
_LABELS: dict[str, dict[str, str]] = {}
# A quoted name, unless it is the kit's name inside a label already ("... (mapped to 'opened')").
_QUOTED = re.compile(r"(?<!mapped to )'([^'\n]{1,200})'")


def remember_columns(input_name: str, schema: Any) -> None:
    """Remember how an input's columns were mapped (``schema`` in the user's words), for the notes about it."""
    labels = {c.name: c.label for c in schema.columns if c.label != f"'{c.name}'"}
    if labels:
        _LABELS[input_name] = labels
    else:
        _LABELS.pop(input_name, None)


@dataclass(frozen=True)
class QualityNote:
    """A legal but suspicious fact about an input, for the report's "Data quality" section.

    Attributes
    ----------
    input : str
        The input it is about, in the user's words (e.g. ``"sales"``).
    issue : str
        What is suspicious, e.g. ``"gap longer than a day"``.
    rows : int
        How many of ``unit`` the issue covers.
    examples : str
        A few examples, e.g. ``"2025-02-01 00:00 .. 2025-02-03 00:00"``.
    unit : str
        What ``rows`` counts, plural: ``"rows"`` (default), ``"gaps"``, ``"attributes"``...
    """

    input: str
    issue: str
    rows: int
    examples: str = ""
    unit: str = "rows"

    def __post_init__(self) -> None:
        labels = _LABELS.get(self.input)
        if labels:
            worded = _QUOTED.sub(lambda m: labels.get(m.group(1), m.group(0)), self.issue)
            object.__setattr__(self, "issue", worded)


def time_gaps(
    table: ibis.Table,
    column: str = "timestamp",
    *,
    longer_than: str | pd.Timedelta = "1D",
    input: str,  # noqa: A002 - the QualityNote field it fills
    by: str | list[str] | None = None,
) -> QualityNote | None:
    """Gaps between consecutive timestamps longer than a threshold (e.g. days with no sales).

    Parameters
    ----------
    table : ibis.Table
        The input, e.g. from :func:`helpers.inputs.loading.open_input`; the work runs in its engine.
    column : str
        The timestamp column.
    longer_than : str or Timedelta
        The threshold, e.g. ``"1D"`` or ``"6h"``.
    input : str
        The input's name for the note.
    by : str or list of str, optional
        Look for gaps within each group (e.g. ``"channel"``).

    Returns
    -------
    QualityNote or None
        The number of gaps and the three longest, or None if there is none.
    """
    threshold = pd.Timedelta(longer_than)
    keys = [by] if isinstance(by, str) else list(by or [])
    moments = table.select(*keys, at=table[column]).filter(ibis._.at.notnull()).distinct()
    previous = moments.at.lag().over(ibis.window(group_by=keys, order_by=moments.at))
    moments = moments.mutate(previous=previous)
    gaps = moments.filter(
        moments.previous.notnull()
        & ((moments.at.epoch_seconds() - moments.previous.epoch_seconds()) > threshold.total_seconds())
    )
    count = int(gaps.count().execute())
    if not count:
        return None
    longest = gaps.order_by(ibis.desc(gaps.at.epoch_seconds() - gaps.previous.epoch_seconds())).limit(3).to_pandas()
    examples = "; ".join(
        "".join(f"{row[k]}: " for k in keys) + f"{_clock(row['previous'])} .. {_clock(row['at'])}"
        for _, row in longest.iterrows()
    )
    return QualityNote(
        input=input, issue=f"gaps longer than {_duration(threshold)} in '{column}'", rows=count, examples=examples, unit="gaps"
    )


def time_span(table: ibis.Table, column: str = "timestamp") -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The earliest and latest value of a timestamp column, in one query; ``(None, None)`` when it has none.

    E.g. what an access log or a sales file covers, or the range of inventory ``last_updated`` values.
    """
    span = table.aggregate(first=table[column].min(), last=table[column].max()).to_pandas().iloc[0]
    # Microseconds whatever the engine (Spark's pandas conversion gives nanoseconds), so that
    # ranges built from them match the buckets' resolution.
    return tuple(None if pd.isna(span[key]) else pd.Timestamp(span[key]).as_unit("us") for key in ("first", "last"))


def unmatched_ids(
    table: ibis.Table,
    column: str,
    reference: ibis.Table,
    reference_column: str | None = None,
    *,
    input: str,  # noqa: A002
    issue: str | None = None,
    names_people: bool = False,
) -> QualityNote | None:
    """Rows whose id is not found in another table (e.g. access-log ``ci_id`` not in the inventory).

    Both tables must live on the same connection. Empty ids are not counted. With ``names_people``
    (the ids are people's: a user id, an e-mail address) no id is shown, only how many there are:
    a report shows aggregates of people, never one of them, not even in its data-quality notes.

    Returns
    -------
    QualityNote or None
        The number of rows and the three most frequent unknown ids (their number, for people), or None.
    """
    keys = reference.select(key=reference[reference_column or column]).distinct()
    orphans = table.filter(table[column].notnull()).anti_join(keys, table[column] == keys.key)
    count = int(orphans.count().execute())
    if not count:
        return None
    issue = issue or f"'{column}' not found in {reference_column or column} of the reference input"
    if names_people:
        distinct = int(orphans[column].nunique().execute())
        ids = f"{distinct:,} {'id' if distinct == 1 else 'ids'}"
        return QualityNote(input=input, issue=f"{issue} ({ids}, not shown: they name people)", rows=count)
    top = (
        orphans.group_by(id=orphans[column])
        .aggregate(rows=ibis._.count())
        .order_by([ibis.desc("rows"), "id"])
        .limit(3)
        .to_pandas()
    )
    examples = ", ".join(f"{row.id!r} ({row.rows:,} {'row' if row.rows == 1 else 'rows'})" for row in top.itertuples())
    return QualityNote(input=input, issue=issue, rows=count, examples=examples)


def outside_window(
    table: ibis.Table,
    column: str,
    *,
    start: Any = None,
    end: Any = None,
    input: str,  # noqa: A002
    issue: str | None = None,
    key: ibis.Value | None = None,
) -> QualityNote | None:
    """Rows whose timestamp falls before ``start`` or at/after ``end`` (e.g. responses outside the analysis window).

    ``start`` and ``end`` are dates or timestamps in the analysis time zone; None = open. With
    ``key``, each row's record key (:mod:`helpers.cell_key`), the counts are published with the
    cell-key method's noise: two windows a day apart would otherwise give that day's rows away.

    Returns
    -------
    QualityNote or None
        How many rows fall outside and the earliest/latest of them, or None.
    """
    col = table[column]
    bounds = {}
    if start is not None:
        before = col < ibis.literal(pd.Timestamp(start).to_pydatetime())
        bounds.update(early=before.sum(), earliest=col.min(where=before))
        if key is not None:
            bounds.update(early_key=cell_key.key_sum(key, before))
    if end is not None:
        after = col >= ibis.literal(pd.Timestamp(end).to_pydatetime())
        bounds.update(late=after.sum(), latest=col.max(where=after))
        if key is not None:
            bounds.update(late_key=cell_key.key_sum(key, after))
    if not bounds:
        return None
    summary = table.aggregate(**bounds).to_pandas().iloc[0]
    early, late = int(summary.get("early") or 0), int(summary.get("late") or 0)
    if key is not None:
        early, late = (int(cell_key.perturb([count], [int(summary.get(f"{side}_key") or 0)])[0])
                       for side, count in (("early", early), ("late", late)))
    if not early + late:
        return None
    parts = []
    if early:
        parts.append(f"{early:,} before {_moment(pd.Timestamp(start))} (earliest {_moment(summary.earliest)})")
    if late:
        parts.append(f"{late:,} from {_moment(pd.Timestamp(end))} on (latest {_moment(summary.latest)})")
    return QualityNote(
        input=input, issue=issue or f"'{column}' outside the analysis window", rows=early + late, examples="; ".join(parts)
    )


def _moment(value: Any) -> str:
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.strftime("%Y-%m-%d %H:%M")


def _clock(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def _duration(delta: pd.Timedelta) -> str:
    for unit, seconds in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if delta.total_seconds() % seconds == 0:
            n = int(delta.total_seconds() // seconds)
            return f"a {unit}" if n == 1 else f"{n} {unit}s"
    return str(delta)
