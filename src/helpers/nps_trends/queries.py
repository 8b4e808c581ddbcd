"""NPS aggregations that run inside the query engine (Ibis on DuckDB, Spark, or the database holding the responses).

Each function takes Ibis tables (responses with ``timestamp`` and ``score``; tickets with
``ticket_id``, ``opened``, ``resolved``, ``reopened``) and returns a small pandas frame of
counts: detractors (scores 0-6), passives (7-8) and promoters (9-10). Raw responses never
reach Python; the statistics in :mod:`helpers.nps_trends.stats` work on these counts.

Responses left in a database (PostgreSQL, see ``push_down`` in :func:`helpers.inputs.loading.open_input`)
are filtered, bucketed and counted there. Two steps leave it: a ticket file joined to them goes
to a temporary table beside them (:func:`helpers.inputs.tables.push_small_side`), and the
comments with their scores stream through a local DuckDB for the word counts, because PostgreSQL's
regular expressions have no class for "any letter" (``\\p{L}``) and its ``[[:alpha:]]``
depends on the database's locale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd
from ibis import _

from helpers import cell_key
from helpers.inputs.loading import connect, time_span
from helpers.inputs.tables import is_database, push_small_side, stream_once

__all__ = [
    "PERIOD_UNITS",
    "RESOLUTION_BUCKETS",
    "NOT_RESOLVED",
    "STOPWORDS",
    "KEY_COLUMNS",
    "response_key",
    "with_keys",
    "in_window",
    "window_bounds",
    "score_counts",
    "period_counts",
    "daily_counts",
    "segment_period_counts",
    "ticket_counts",
    "term_counts",
    "counts_array",
]

#: Ibis truncation unit of each period code (weeks start on Monday, as ISO weeks do).
PERIOD_UNITS = {"W": "W", "M": "M", "Q": "Q"}

#: Resolution-time buckets: (label, lower bound in hours, upper bound in hours).
RESOLUTION_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("under 4 hours", 0, 4),
    ("4-24 hours", 4, 24),
    ("1-3 days", 24, 72),
    ("3-7 days", 72, 168),
    ("over 7 days", 168, float("inf")),
)
#: Bucket of tickets still open when the data was exported.
NOT_RESOLVED = "not resolved"

#: Words too common to tell detractors from promoters (English; comments in other languages keep theirs).
STOPWORDS = frozenset(
    """
    a about above after again all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further get got had
    has have having he her here hers him his how i if in into is it its itself just me more most my
    no nor not now of off on once only or other our ours out over own same she should so some such
    than that the their theirs them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    """.split()
)

_COUNT_COLUMNS = ["detractors", "passives", "promoters"]

#: The cell keys that travel with the counts (:mod:`helpers.cell_key`): one per class of answer.
KEY_COLUMNS = cell_key.key_columns(_COUNT_COLUMNS)


def response_key(responses: ibis.Table) -> ibis.ir.IntegerValue:
    """Each response's record key, from its own day, second and score (the same on every engine).

    ``response_id`` is text and engines hash text differently, so the key uses the response's
    facts instead; two responses given in the same second with the same score share a key,
    which only makes their cells' noise alike, never reveals them.
    """
    return cell_key.record_key(
        cell_key.day_code(responses.timestamp), cell_key.time_code(responses.timestamp), responses.score
    )


def with_keys(responses: ibis.Table) -> ibis.Table:
    """The responses with their ``record_key`` (what :func:`score_counts` sums into cell keys)."""
    return responses if "record_key" in responses.columns else responses.mutate(record_key=response_key(responses))


def score_counts(keys: bool = True, key: ibis.Deferred | ibis.ir.IntegerValue | None = None) -> dict[str, ibis.Expr]:
    """Aggregations counting detractors, passives, promoters and all responses (use in ``aggregate``).

    With ``keys``, each class's cell key rides along (``detractors_key``...): the sum of the
    record keys ``key`` (by default the ``record_key`` column of :func:`with_keys`) of the
    responses counted, so the counts can be published with consistent noise.
    """
    counts = {
        "detractors": (_.score <= 6).sum(),
        "passives": _.score.between(7, 8).sum(),
        "promoters": (_.score >= 9).sum(),
        "n": _.count(),
    }
    if keys:
        key = _.record_key if key is None else key
        counts |= {
            "detractors_key": cell_key.key_sum(key, _.score <= 6),
            "passives_key": cell_key.key_sum(key, _.score.between(7, 8)),
            "promoters_key": cell_key.key_sum(key, _.score >= 9),
        }
    return counts


def _as_int(frame: pd.DataFrame) -> pd.DataFrame:
    for column in [*_COUNT_COLUMNS, "n", *KEY_COLUMNS]:
        if column in frame:
            frame[column] = frame[column].fillna(0).astype("int64")
    return frame


def window_bounds(responses: ibis.Table) -> tuple[dt.date | None, dt.date | None]:
    """First and last day with a response (None, None for an empty table)."""
    first, last = time_span(responses, "timestamp")
    return (None, None) if first is None else (first.date(), last.date())


def _window_filter(table: ibis.Table, start: dt.date, end: dt.date) -> ibis.ir.BooleanValue:
    first = dt.datetime.combine(start, dt.time())
    after_last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    return (table.timestamp >= first) & (table.timestamp < after_last)


def in_window(responses: ibis.Table, start: dt.date, end: dt.date) -> ibis.Table:
    """Responses from the first moment of ``start`` to the last moment of ``end`` (both days included)."""
    return responses.filter(_window_filter(responses, start, end))


def period_counts(responses: ibis.Table, *, period: str) -> pd.DataFrame:
    """Counts per period, computed in the query engine.

    Returns
    -------
    DataFrame
        ``period_start`` (Timestamp: first day of the week, month or quarter), ``detractors``,
        ``passives``, ``promoters``, ``n``; only periods with responses, in time order.
    """
    unit = PERIOD_UNITS[period]
    responses = with_keys(responses)
    query = (
        responses.group_by(period_start=_.timestamp.truncate(unit)).aggregate(**score_counts()).order_by("period_start")
    )
    frame = _as_int(query.to_pandas())
    frame["period_start"] = pd.to_datetime(frame["period_start"]).astype("datetime64[ns]")
    return frame


def daily_counts(responses: ibis.Table) -> pd.DataFrame:
    """Counts per calendar day (the grain of the trend and event regressions): ``day``, counts, ``n``."""
    responses = with_keys(responses)
    query = responses.group_by(day=_.timestamp.truncate("D")).aggregate(**score_counts()).order_by("day")
    frame = _as_int(query.to_pandas())
    frame["day"] = pd.to_datetime(frame["day"]).astype("datetime64[ns]")
    return frame


def segment_period_counts(responses: ibis.Table, column: str, *, period: str) -> pd.DataFrame:
    """Counts per value of a segment column and period (missing values become ``"(missing)"``).

    Returns
    -------
    DataFrame
        ``value`` (text), ``period_start``, counts, ``n``.
    """
    unit = PERIOD_UNITS[period]
    responses = with_keys(responses)
    value = responses[column].cast("string").fill_null("(missing)")
    query = responses.group_by(value=value, period_start=_.timestamp.truncate(unit)).aggregate(**score_counts())
    frame = _as_int(query.to_pandas())
    frame["period_start"] = pd.to_datetime(frame["period_start"]).astype("datetime64[ns]")
    frame["value"] = frame["value"].astype(str)
    return frame.sort_values(["value", "period_start"], ignore_index=True)


def ticket_counts(
    responses: ibis.Table,
    tickets: ibis.Table,
    *,
    buckets: Sequence[tuple[str, float, float]] = RESOLUTION_BUCKETS,
) -> pd.DataFrame:
    """Counts of responses linked to a ticket, by resolution-time bucket and first-time fix.

    The join on ``ticket_id`` runs in the query engine. First-time fix means the ticket was
    resolved and never reopened.

    Returns
    -------
    DataFrame
        ``linked`` ("no ticket", "ticket found", "ticket not found"), ``resolution_time``
        (a bucket label or ``"not resolved"``; null unless the ticket was found),
        ``first_time_fix`` (bool; null unless found), counts, ``n``.
    """
    tickets = push_small_side(responses, tickets)
    ticket_facts = tickets.select(
        linked_ticket_id=tickets.ticket_id,
        hours=(tickets.resolved.epoch_seconds() - tickets.opened.epoch_seconds()) / 3600,
        first_time_fix=tickets.resolved.notnull() & ~tickets.reopened.fill_null(False),
    )
    keyed = with_keys(responses)
    joined = keyed.left_join(ticket_facts, keyed.ticket_id == ticket_facts.linked_ticket_id)
    bucket = ibis.cases(
        *[((joined.hours >= low) & (joined.hours < high), label) for label, low, high in buckets],
        else_=NOT_RESOLVED,
    )
    linked = ibis.cases(
        (joined.ticket_id.isnull(), "no ticket"),
        (joined.linked_ticket_id.isnull(), "ticket not found"),
        else_="ticket found",
    )
    found = joined.linked_ticket_id.notnull()
    query = joined.group_by(
        linked=linked,
        resolution_time=ibis.ifelse(found, bucket, ibis.null("string")),
        first_time_fix=ibis.ifelse(found, joined.first_time_fix, ibis.null("boolean")),
    ).aggregate(**score_counts())
    return _as_int(query.to_pandas())


def term_counts(responses: ibis.Table, *, min_length: int = 3, limit: int = 2000) -> tuple[pd.DataFrame, pd.Series]:
    """How many comments of each kind use each word (each word counted once per comment).

    Comments are lower-cased and split on anything that is not a letter, so markup such as
    ``<script>`` can only ever yield plain words ("script").

    Returns
    -------
    terms : DataFrame
        ``term``, ``detractors``, ``passives``, ``promoters``, ``n`` (comments using the term);
        the ``limit`` most used terms of at least ``min_length`` letters, stopwords left out.
    totals : Series
        Words (once per comment) written by detractors, passives and promoters in all.
    """
    with_comment = responses.filter(responses.comment.notnull() & (responses.comment.length() > 0))
    if is_database(with_comment):
        # Only the comments and their scores come over (see the module's docstring), streamed through a
        # DuckDB of their own: the query below scans them once, so they are never all held at once.
        # Their record keys are computed in the database first, from the responses' own facts.
        local = connect()
        try:
            comments = stream_once(with_keys(with_comment).select("score", "record_key", "comment"), local)
            return term_counts(comments, min_length=min_length, limit=limit)
        finally:
            local.disconnect()
    # Split in an inner select so the de-duplication per comment works on a column, not on three
    # copies of the split expression; a global distinct over (response, word) would need a hash
    # table of every word of every comment (over 1 GB for 10 million responses).
    # The record key is computed here, in the engine, before anything leaves it: each term's cell
    # keys are sums over the responses using it.
    keyed = with_keys(with_comment)
    split = keyed.select("score", "record_key", words=keyed.comment.lower().re_split(r"[^\p{L}]+"))
    words = split.select("score", "record_key", term=split.words.unique().unnest())
    words = words.filter((words.term.length() >= min_length) & ~words.term.isin(sorted(STOPWORDS)))
    per_term = words.group_by("term").aggregate(**score_counts())
    # Totals over every word ride along as window sums, so one scan serves both.
    per_term = per_term.mutate(**{f"all_{k}": per_term[k].sum().over(ibis.window()) for k in _COUNT_COLUMNS})
    frame = per_term.order_by([ibis.desc("n"), "term"]).limit(limit).to_pandas()
    totals = pd.Series(
        {k: int(frame[f"all_{k}"].iloc[0]) if len(frame) else 0 for k in _COUNT_COLUMNS}, dtype="int64"
    )
    return _as_int(frame[["term", *_COUNT_COLUMNS, "n", *KEY_COLUMNS]].copy()), totals


def counts_array(frame: pd.DataFrame) -> np.ndarray:
    """The ``(rows, 3)`` array of detractors, passives, promoters the statistics functions take."""
    return frame[_COUNT_COLUMNS].to_numpy(dtype=float)
