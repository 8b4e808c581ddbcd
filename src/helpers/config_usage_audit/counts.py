"""Counting configuration-data use in the query engine: the audit's heavy lifting.

The functions here take Ibis tables (the inventory and the access log, as
:func:`helpers.inputs.loading.open_input` returns them) and return either Ibis expressions
(the steps: the CI -> class map, the per-class and per-CI counts, the counted reads, the
tally) or small, aggregated pandas frames: one row per class x attribute, per class x
process or per month. The access log itself never comes back to Python, so logs of
hundreds of millions of events are counted by DuckDB (or whichever engine the tables
live in).

The log is scanned three times: once for its time span (which fixes ``as_of``), once by
:func:`log_by_class`, which joins it to the CI -> class map and counts its rows per
class x attribute x consumer x process x action x month, and once by
:func:`reads_per_ci`, which counts four of its columns per CI. Both passes do only cheap
work per row (no string is lowered or trimmed there: that is done on the few distinct
spellings afterwards), and their small, materialised results answer every question
after them (the tally, the distinct consumers, the distinct CIs read, the rows of CIs
the inventory does not hold), so their size, not the log's, sets the memory the audit
needs.

Definitions (the notebook's method notes repeat them):

- the *window* is ``[start, end)``: ``end`` is midnight after the ``as_of`` day and
  ``start`` is ``window_days`` days earlier, so a read at 00:00:00 on the first day
  counts and a read at 23:59:59 on ``as_of`` counts;
- a *counted read* is an access-log row whose action is ``read`` (case and spaces
  ignored; an empty action is a read), whose process is not excluded (compared
  case-insensitively) and whose ``ci_id`` is in the inventory;
- a read with an empty ``attribute`` opened the whole record: it counts for the class,
  never for an attribute;
- the age of a value is the whole days from its ``last_updated`` date to ``as_of``
  (a value written on ``as_of`` is 0 days old; values written after ``as_of`` count
  as 0 days old).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import ibis
import pandas as pd
from ibis import _

__all__ = [
    "UsageWindow",
    "attribute_inventory",
    "attribute_processes",
    "attribute_reads",
    "ci_classes",
    "class_process_reads",
    "class_reads",
    "class_sizes",
    "counted_reads",
    "log_by_class",
    "materialise",
    "monthly_attributes_read",
    "monthly_reads",
    "read_tally",
    "read_values",
    "reads_per_ci",
    "unknown_ci_rows",
    "usage_window",
]


@dataclass(frozen=True)
class UsageWindow:
    """The period whose reads count as use.

    Attributes
    ----------
    as_of : date
        The last day of the window; value ages are measured at this date.
    start : datetime
        The first instant of the window (inclusive), midnight ``window_days`` days before ``end``.
    end : datetime
        Midnight after ``as_of`` (exclusive).
    days : int
        The window's length in days.
    """

    as_of: dt.date
    start: dt.datetime
    end: dt.datetime
    days: int


def usage_window(as_of: dt.date, window_days: int) -> UsageWindow:
    """The ``window_days`` days that end with the end of the ``as_of`` day."""
    end = dt.datetime.combine(as_of, dt.time()) + dt.timedelta(days=1)
    return UsageWindow(as_of=as_of, start=end - dt.timedelta(days=window_days), end=end, days=window_days)



def ci_classes(inventory: ibis.Table) -> ibis.Table:
    """One row per CI with its class (``ci_id, ci_class, class_code``).

    A CI listed under two classes (a data error) is given the first class name in
    alphabetical order, so each of its reads counts once. ``class_code`` numbers the
    classes in name order: the log is grouped on it, which is cheaper than
    grouping on the name.
    """
    classes = inventory.group_by("ci_id").agg(ci_class=_.ci_class.min())
    return classes.mutate(class_code=ibis.dense_rank().over(order_by="ci_class"))


def class_sizes(classes: ibis.Table) -> pd.DataFrame:
    """CIs per class (``ci_class, cis``) from :func:`ci_classes`."""
    return classes.group_by("ci_class").agg(cis=_.count()).to_pandas()


def materialise(table: ibis.Table, name: str) -> ibis.Table:
    """Compute a small intermediate once, on the same engine, for the queries that follow.

    Several queries join the access log to the CI -> class map; computing that map once
    saves a pass over the inventory per query. The backend's own API does it: a
    temporary table where the backend has them (DuckDB, PostgreSQL), otherwise Ibis's
    ``cache()`` (Spark keeps the DataFrame in its own memory). ``cache()`` is not used on
    DuckDB because with DuckDB 2 it fails to drop its table at exit.
    """
    backend = table.get_backend()
    try:
        return backend.create_table(f"{name}_{uuid.uuid4().hex[:12]}", table, temp=True)
    except NotImplementedError:
        return table.cache()


def attribute_inventory(inventory: ibis.Table, as_of: dt.date) -> pd.DataFrame:
    """Per class x attribute: CIs populated, median value age at ``as_of`` and future-dated values.

    Returns
    -------
    DataFrame
        ``ci_class, attribute, populated, median_age_days, updated_after_as_of`` (ages in days).
        A CI with several rows for one attribute counts once, with its latest value.
    """
    values = inventory.group_by(["ci_class", "attribute", "ci_id"]).agg(last_updated=_.last_updated.max())
    age = ibis.literal(as_of).delta(values.last_updated.date(), unit="day")
    values = values.mutate(age_days=ibis.greatest(age, 0), future=age < 0)
    summary = values.group_by(["ci_class", "attribute"]).agg(
        populated=_.ci_id.count(),
        median_age_days=_.age_days.median(),
        updated_after_as_of=_.future.sum(),
    )
    return summary.to_pandas()


def log_by_class(access_log: ibis.Table, classes: ibis.Table, window: UsageWindow) -> ibis.Table:
    """The first pass over the access log: every row of an inventory CI before the window's end, per class.

    Only cheap work is done per row: the join to the class's number, a month and two
    comparisons of the timestamp. Action and process are grouped on as written, and
    normalised (case and spaces) afterwards on the few distinct values, by
    :func:`counted_reads` and :func:`read_values`; a whole log's rows are never lowered
    and trimmed one by one.

    Parameters
    ----------
    classes : ibis.Table
        From :func:`ci_classes`.

    Returns
    -------
    ibis.Table
        ``ci_class, attribute, consumer, process, action, month, in_window, rows, last_read``:
        ``rows`` log rows of each key, the latest at ``last_read``. Its size follows the
        class x attribute x consumer x process x month combinations in use, not the log's
        length (a few hundred thousand rows for hundreds of attributes and consumers).
        ``attribute`` is null for whole-record reads (an empty string is taken as empty
        too). Materialise it (:func:`materialise`): everything about classes and attributes
        reads it, never the log.
    """
    # reads after the window's end never count, so they are left in the file (Parquet
    # statistics skip whole row groups of them when as_of is before the log's end)
    log = access_log.filter(access_log.ci_id.notnull(), access_log.timestamp < ibis.literal(window.end))
    log = log.inner_join(classes.select("ci_id", "class_code"), "ci_id")
    stamp = log.timestamp
    counted = log.group_by(
        class_code=log.class_code,
        attribute=log.attribute.nullif(""),
        consumer=log.consumer,
        process=log.process,
        action=log.action,
        month=stamp.truncate("M"),
        in_window=stamp >= ibis.literal(window.start),
    ).agg(rows=_.count(), last_read=stamp.max())
    names = classes.select("class_code", "ci_class").distinct()
    named = counted.inner_join(names, "class_code")
    return named.select("ci_class", *[c for c in counted.columns if c != "class_code"])


def _is_read(action: ibis.Value) -> ibis.Value:
    # an empty action is a read; case and surrounding spaces are ignored
    return action.fill_null("read").strip().lower() == "read"


def _normalised(processes: Iterable[str]) -> list[str]:
    return sorted({p.strip().lower() for p in processes})


def counted_reads(by_class: ibis.Table, *, excluded_processes: Iterable[str]) -> ibis.Table:
    """Reads of inventory CIs before the window's end, per class, from :func:`log_by_class`.

    Parameters
    ----------
    excluded_processes : iterable of str
        Processes whose reads are not use (compared without case or surrounding spaces).

    Returns
    -------
    ibis.Table
        ``ci_class, attribute, consumer, process, month, in_window, counted, rows, last_read``:
        ``rows`` reads of each key; ``counted`` is false for excluded processes.
    """
    excluded = _normalised(excluded_processes)
    reads = by_class.filter(_is_read(by_class.action).fill_null(False))
    process = reads.process.strip().lower()
    counted = ~process.isin(excluded) if excluded else ibis.literal(True)
    # spellings of "read" that differ only in case or spaces fall into one row
    return reads.group_by(
        "ci_class", "attribute", "consumer", "process", "month", "in_window", counted=counted
    ).agg(rows=_.rows.sum(), last_read=_.last_read.max())


def read_values(by_class: ibis.Table, *, excluded_processes: Iterable[str]) -> tuple[list[str], list[str]]:
    """The actions, as written, that are reads and the processes, as written, that are excluded.

    Taken from :func:`log_by_class`, which holds every spelling the inventory's CIs were
    logged with before the window's end (later rows never count), so :func:`reads_per_ci`
    can compare raw values instead of normalising rows.
    """
    excluded = _normalised(excluded_processes)
    actions = by_class.filter(by_class.action.notnull()).select("action").distinct()
    actions = actions.filter(_is_read(actions.action)).to_pandas()["action"]
    if not excluded:
        return sorted(actions), []
    processes = by_class.select("process").distinct()
    processes = processes.filter(processes.process.strip().lower().isin(excluded)).to_pandas()["process"]
    return sorted(actions), sorted(processes)


def reads_per_ci(
    access_log: ibis.Table,
    classes: ibis.Table,
    window: UsageWindow,
    *,
    read_actions: Iterable[str],
    excluded_spellings: Iterable[str],
) -> ibis.Table:
    """The second pass over the access log: rows per CI, and whether counted work read it in the window.

    A lean scan of four columns grouped on one key, cheaper than carrying every row
    through the per-class aggregation twice.

    Parameters
    ----------
    classes : ibis.Table
        From :func:`ci_classes`.
    read_actions, excluded_spellings : iterable of str
        From :func:`read_values`: the actions that are reads and the excluded processes, as
        written in the log.

    Returns
    -------
    ibis.Table
        ``ci_id, ci_class, rows, counted``: one row per ``ci_id`` in the log (any action,
        any time); ``ci_class`` is null when the inventory does not hold the CI; ``counted``
        is true when a counted read of it falls in the window. Materialise it
        (:func:`materialise`).
    """
    log = access_log.filter(access_log.ci_id.notnull())
    actions, excluded = list(read_actions), list(excluded_spellings)
    read = log.action.isnull() | log.action.isin(actions) if actions else log.action.isnull()
    counted = read & (log.timestamp >= ibis.literal(window.start)) & (log.timestamp < ibis.literal(window.end))
    if excluded:
        counted = counted & ~log.process.isin(excluded)
    per_ci = log.group_by("ci_id").agg(rows=_.count(), counted_rows=_.count(where=counted))
    per_ci = per_ci.left_join(classes.select("ci_id", "ci_class"), "ci_id")
    return per_ci.select("ci_id", "ci_class", "rows", counted=per_ci.ci_class.notnull() & (per_ci.counted_rows > 0))


def read_tally(reads: ibis.Table) -> ibis.Table:
    """Reads per month x class x attribute x process, in or before the window.

    Parameters
    ----------
    reads : ibis.Table
        From :func:`counted_reads`.

    Returns
    -------
    ibis.Table
        ``month, in_window, ci_class, attribute, process, counted, reads, last_read``; a few
        thousand rows for a CMDB of hundreds of attributes, whatever the log's length.
        Materialise it (:func:`materialise`) and the per-attribute, per-class and per-month
        counts below read it instead of the log.
    """
    return reads.group_by(["month", "in_window", "ci_class", "attribute", "process", "counted"]).agg(
        reads=_.rows.sum(), last_read=_.last_read.max()
    )


def attribute_reads(tally: ibis.Table, reads: ibis.Table) -> pd.DataFrame:
    """Per class x attribute that was read: counted reads and consumers in the window, last read.

    Parameters
    ----------
    tally : ibis.Table
        From :func:`read_tally`.
    reads : ibis.Table
        From :func:`counted_reads` (for distinct consumers, which a tally cannot add up).

    Returns
    -------
    DataFrame
        ``ci_class, attribute, reads, consumers, last_read, excluded_reads``: counted reads and
        distinct counted consumers in the window; the latest counted read before the window's
        end (it may predate the window); reads in the window by excluded processes.
    """
    on_attribute = tally.filter(tally.attribute.notnull())
    counted_in_window = on_attribute.in_window & on_attribute.counted
    summary = on_attribute.group_by(["ci_class", "attribute"]).agg(
        reads=on_attribute.reads.sum(where=counted_in_window),
        last_read=on_attribute.last_read.max(where=on_attribute.counted),
        excluded_reads=on_attribute.reads.sum(where=on_attribute.in_window & ~on_attribute.counted),
    ).to_pandas()
    hits = reads.filter(reads.attribute.notnull(), reads.counted, reads.in_window)
    pairs = hits.select("ci_class", "attribute", "consumer").distinct()
    consumers = pairs.group_by(["ci_class", "attribute"]).agg(consumers=_.count()).to_pandas()
    frame = summary.merge(consumers, on=["ci_class", "attribute"], how="left")
    for column in ("reads", "excluded_reads", "consumers"):
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame[["ci_class", "attribute", "reads", "consumers", "last_read", "excluded_reads"]]


def attribute_processes(tally: ibis.Table) -> pd.DataFrame:
    """Counted reads in the window per class x attribute x process (``ci_class, attribute, process, reads``)."""
    hits = tally.filter(tally.attribute.notnull(), tally.counted, tally.in_window)
    return hits.group_by(["ci_class", "attribute", "process"]).agg(reads=_.reads.sum()).to_pandas()


def class_process_reads(tally: ibis.Table) -> pd.DataFrame:
    """Reads in the window per class x process, excluded processes too (``ci_class, process, counted, reads``).

    Whole-record reads and reads of attributes the inventory does not hold are included:
    they are reads of the class's CIs.
    """
    hits = tally.filter(tally.in_window)
    return hits.group_by(["ci_class", "process", "counted"]).agg(reads=_.reads.sum()).to_pandas()


def class_reads(tally: ibis.Table, per_ci: ibis.Table) -> pd.DataFrame:
    """Per class: CIs read, counted reads and whole-record reads in the window.

    Parameters
    ----------
    tally : ibis.Table
        From :func:`read_tally`.
    per_ci : ibis.Table
        From :func:`reads_per_ci`.

    Returns
    -------
    DataFrame
        ``ci_class, cis_read, reads, whole_record_reads`` (counted processes only).
    """
    hits = tally.filter(tally.counted, tally.in_window)
    totals = hits.group_by("ci_class").agg(
        reads=_.reads.sum(),
        whole_record_reads=_.reads.sum(where=_.attribute.isnull()),
    ).to_pandas()
    read = per_ci.filter(per_ci.counted)
    cis = read.group_by("ci_class").agg(cis_read=_.count()).to_pandas()
    frame = totals.merge(cis, on="ci_class", how="outer")
    for column in ("cis_read", "reads", "whole_record_reads"):
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame[["ci_class", "cis_read", "reads", "whole_record_reads"]]


def monthly_reads(tally: ibis.Table) -> pd.DataFrame:
    """Reads per calendar month and process over the whole log (``month, process, counted, reads``)."""
    frame = tally.group_by(["month", "process", "counted"]).agg(reads=_.reads.sum()).to_pandas()
    frame["month"] = pd.to_datetime(frame["month"])
    return frame.sort_values(["month", "process"], ignore_index=True)


def monthly_attributes_read(tally: ibis.Table) -> pd.DataFrame:
    """Distinct class x attribute pairs read by counted work per calendar month (``month, attributes_read``)."""
    counted = tally.filter(tally.counted, tally.attribute.notnull())
    pairs = counted.select("month", "ci_class", "attribute").distinct()
    frame = pairs.group_by("month").agg(attributes_read=_.count()).to_pandas()
    frame["month"] = pd.to_datetime(frame["month"])
    return frame.sort_values("month", ignore_index=True)


def unknown_ci_rows(per_ci: ibis.Table, *, examples: int = 3) -> tuple[int, pd.DataFrame]:
    """Access-log rows (any action, any time) whose ``ci_id`` is not in the inventory.

    Parameters
    ----------
    per_ci : ibis.Table
        From :func:`reads_per_ci`.

    Returns
    -------
    rows : int
        How many rows.
    top : DataFrame
        The ``examples`` most frequent unknown ids with their row counts (``ci_id, rows``).
    """
    by_id = materialise(per_ci.filter(per_ci.ci_class.isnull()).select("ci_id", "rows"), "unknown_ci")
    total = by_id.rows.sum().to_pandas()
    top = by_id.order_by([ibis.desc("rows"), "ci_id"]).limit(examples).to_pandas()
    return int(0 if total is None or pd.isna(total) else total), top
