"""Privacy by construction: reports show aggregates of at least ``min_n`` people, never a person.

Two guards, one before the kernel and one in the analysis:

- :func:`check_groupings` refuses a grouping column (NPS ``segments``) that identifies
  people: an identifier or free-text column the analysis declares, a column whose name or
  values look like e-mail addresses, or one whose values are (nearly) unique per row. It is
  measured with one DuckDB aggregate per column, in the runner's check, before any kernel.
- :func:`complementary_suppression` hides, in every line of a table whose total is shown
  (all values of a column; all values in one period; all periods of one value), enough
  further groups that the hidden part of the line holds either nothing or at least
  ``min_n`` responses, so no hidden group's figures can be worked out as a total minus the
  groups shown. This is the usual line-sum heuristic of statistical disclosure control; it
  does not solve the linear program an attacker with every table could set up.

Imports the standard library only at import time (DuckDB, numpy and pandas load on use).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from helpers.exceptions import ParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GroupingProfile", "check_grouping_inputs", "check_groupings", "complementary_suppression", "hidden_groups_text",
           "mask_hidden", "profile_grouping", "refuse_identifying_groups"]

#: Column names that say "this identifies a person or a record".
_IDENTIFYING_NAME = re.compile(
    r"(^|[_\s.-])(e-?mail|mail|phone|mobile|msisdn|ssn|ip|ip_?address|password)($|[_\s.-])|^(id|uuid|guid)$",
    re.IGNORECASE,
)
_EMAIL_LIKE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
#: More distinct values than this share of the rows is a column of (nearly) one value per person.
_MAX_DISTINCT_SHARE = 0.5
#: Groups under min_n holding more than this share of the rows: the column mostly names individuals...
_MAX_SMALL_GROUP_SHARE = 0.5
#: ... when it has at least this many values (a region column of five values names no one, whatever min_n).
_MIN_VALUES_OF_AN_IDENTIFIER = 20


@dataclass(frozen=True)
class GroupingProfile:
    """What a grouping column looks like, measured in one scan.

    Attributes
    ----------
    rows : int
        Rows of the input with a value in the column (rows without one form no group of people).
    distinct : int
        Distinct values of the column.
    small_group_rows : int
        Rows in groups of fewer than ``min_n`` rows.
    email_like_rows : int
        Rows whose value looks like an e-mail address.
    """

    rows: int
    distinct: int
    small_group_rows: int
    email_like_rows: int


def profile_grouping(spec: str, kind: str, column: str, *, min_n: int) -> GroupingProfile:
    """Measure a grouping column of an input source with one DuckDB aggregate (no rows reach Python)."""
    import duckdb

    from helpers.inputs.reading import quote_name, read_raw
    from helpers.inputs.sources import parse_source

    source = parse_source(spec)
    if source.is_engine:
        return _profile_engine_grouping(source, column, min_n=min_n)
    con = duckdb.connect()
    try:
        raw = read_raw(con, source, text_columns={column}, all_varchar=True)
        if column not in raw.columns:
            return GroupingProfile(0, 0, 0, 0)  # an optional column the file lacks groups no one
        value = f"CAST({quote_name(column)} AS VARCHAR)"
        rows, distinct, small, emails = con.execute(
            f"SELECT coalesce(sum(n), 0), count(*), coalesce(sum(n) FILTER (WHERE n < ?), 0), coalesce(sum(emails), 0) "
            f"FROM (SELECT {value} AS value, count(*) AS n, "
            f"count(*) FILTER (WHERE regexp_matches(trim({value}), ?)) AS emails "
            f"FROM ({raw.select()}) WHERE nullif(trim({value}), '') IS NOT NULL GROUP BY 1)",
            [min_n, _EMAIL_LIKE],
        ).fetchone()
    finally:
        con.close()
    return GroupingProfile(int(rows), int(distinct), int(small), int(emails))


def _profile_engine_grouping(source: Any, column: str, *, min_n: int) -> GroupingProfile:
    """The same measure on a table an engine holds (a database, Spark), as one Ibis aggregate where it lives."""
    from helpers.exceptions import InputDataError
    from helpers.inputs.tables import engine_backend, raw_table

    con = None
    if source.in_spark:
        import ibis
        from pyspark.sql import SparkSession  # only a kernel with engine 'pyspark' reads Spark sources

        session = SparkSession.getActiveSession()
        con = ibis.pyspark.connect(session) if session is not None else None
    table = raw_table(source, engine_backend(source, con=con, timezone="UTC"))
    values = table.select(value=table[column].cast("string").strip())
    values = values.filter(values.value.notnull() & (values.value != ""))
    groups = values.group_by("value").aggregate(
        n=values.count(), emails=values.value.re_search(_EMAIL_LIKE).ifelse(1, 0).sum()
    )
    small = (groups.n < min_n).ifelse(groups.n, 0)
    summary = groups.aggregate(rows=groups.n.sum(), distinct=groups.count(), small=small.sum(), emails=groups.emails.sum())
    try:
        row = summary.to_pyarrow().to_pylist()[0]
    except Exception as exc:  # noqa: BLE001 - each backend raises its own errors
        raise InputDataError(f"{source.name}: column '{column}' could not be measured: {str(exc).splitlines()[0]}") from None
    return GroupingProfile(*(int(row[name] or 0) for name in ("rows", "distinct", "small", "emails")))


def check_groupings(
    parameter: str,
    columns: Sequence[str],
    *,
    spec: str,
    kind: str,
    min_n: int,
    not_groups: Iterable[str] = (),
    input_name: str = "",
) -> None:
    """Raise ParameterError (one sentence) for the first grouping column that identifies people.

    Parameters
    ----------
    parameter : str
        The parameter naming the columns (e.g. ``segments``), for the message.
    columns : sequence of str
        The grouping columns chosen.
    spec, kind : str
        The input source they are columns of, and its kind.
    min_n : int
        The smallest group the analysis shows (responses).
    not_groups : iterable of str
        Columns the analysis declares as identifiers or free text (``response_id``, ``comment``).
    """
    declared = set(not_groups)
    where = input_name or spec
    for column in columns:
        if column in declared or _IDENTIFYING_NAME.search(column):
            raise ParameterError(
                f"Parameter '{parameter}': column '{column}' identifies people or holds free text, so it cannot "
                "group a report; choose a column that groups them, such as a region or a customer tier."
            )
        profile = profile_grouping(spec, kind, column, min_n=min_n)
        reason = _identifying(profile, min_n)
        if reason:
            raise ParameterError(
                f"Parameter '{parameter}': column '{column}' of {where} {reason}, so it would name people rather "
                "than groups; choose a column that groups them, such as a region or a customer tier."
            )


def refuse_identifying_groups(params: Any) -> None:
    """Run :func:`check_groupings` on every grouping a run's parameters declare (``grouping_columns``).

    The runner calls it before the kernel starts; an analysis calls it when it loads, so a
    notebook run by hand in JupyterLab is held to the same rule.
    """
    from helpers.inputs.sources import source_name

    sources = params.inputs()
    for key, (parameter, columns, not_groups) in params.grouping_columns().items():
        if columns and key in sources:
            kind, spec = sources[key]
            check_groupings(
                parameter, columns, spec=spec, kind=kind, min_n=params.smallest_group(), not_groups=not_groups,
                input_name=source_name(spec) or "",
            )


def check_grouping_inputs(params: Any, columns: Mapping[str, list[str]]) -> None:
    """The grouping columns exist in their inputs (``check_input_columns``) and do not identify people: once per run.

    The runner checks before any kernel starts and records it (:mod:`helpers.inputs.trust`); an analysis's
    ``load_inputs`` calls this too, so a notebook run by hand is held to the same rule, and skips both checks
    when the runner has made them on these parameters and these files.
    """
    from helpers.inputs import trust

    if trust.groupings_checked(params):
        return
    params.check_input_columns(columns)
    refuse_identifying_groups(params)


def _identifying(profile: GroupingProfile, min_n: int) -> str:
    if profile.email_like_rows:
        return f"holds e-mail addresses ({profile.email_like_rows:,} rows)"
    if profile.rows and profile.distinct > 1 and profile.distinct > _MAX_DISTINCT_SHARE * profile.rows:
        return f"has {profile.distinct:,} different values in {profile.rows:,} rows"
    if (
        profile.distinct >= _MIN_VALUES_OF_AN_IDENTIFIER
        and profile.small_group_rows > _MAX_SMALL_GROUP_SHARE * profile.rows
    ):
        return f"puts {profile.small_group_rows:,} of {profile.rows:,} rows in groups of fewer than {min_n}"
    return ""


def complementary_suppression(
    frame: pd.DataFrame, *, lines: Sequence[Sequence[str]], min_n: int, n: str = "n", hidden: str = "suppressed"
) -> Any:
    """Which rows to hide so that no line's hidden part holds between 1 and ``min_n - 1`` responses.

    Parameters
    ----------
    frame : DataFrame
        One row per cell, with its size ``n`` (responses) and ``hidden`` (bool: already hidden).
    lines : sequence of column lists
        Each list groups the cells into lines whose totals are shown elsewhere, e.g.
        ``[["period_start"], ["value"]]`` for the periods and the values of one segment column.
    min_n : int
        The smallest group shown (responses).

    Returns
    -------
    numpy.ndarray of bool
        ``hidden`` with the complementary cells added: within a line the smallest cells shown
        are hidden first, until the hidden part is empty or holds at least ``min_n``.
    """
    import numpy as np

    result = frame[hidden].to_numpy(dtype=bool).copy()
    sizes = frame[n].astype("float64").fillna(0).to_numpy()
    groups = [list(frame.reset_index(drop=True).groupby(list(cols), sort=False).indices.values()) for cols in lines]
    changed = True
    while changed:
        changed = False
        for line in (positions for by in groups for positions in by):
            hidden_n = sizes[line][result[line]].sum()
            while 0 < hidden_n < min_n:
                shown = line[~result[line] & (sizes[line] > 0)]
                if not len(shown):
                    break
                pick = shown[np.argmin(sizes[shown])]
                result[pick] = True
                hidden_n += sizes[pick]
                changed = True
    return result


def hidden_groups_text(groups: int, responses: int, *, unit: str = "responses") -> str:
    """``3 smaller groups, 41 responses, not shown`` (``unit``: what the groups hold, plural)."""
    return f"{groups:,} smaller group{'s' if groups != 1 else ''}, {responses:,} {unit}, not shown"


def mask_hidden(frame: pd.DataFrame, hidden: Any, columns: Mapping[str, Any]) -> pd.DataFrame:
    """A copy of ``frame`` with ``columns`` set to their empty value (``{name: empty}``) where ``hidden``."""
    frame = frame.copy()
    for name, empty in columns.items():
        if name in frame:
            frame[name] = frame[name].mask(hidden, empty)
    return frame
