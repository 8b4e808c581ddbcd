"""Privacy by construction: reports show aggregates of at least ``min_n`` people, never a person.

Two guards, one before the kernel and one in the analysis:

- :func:`check_groupings` lets a column group a report (NPS ``segments``, service outcomes'
  ``breakdowns``, feature adoption's departments) only if it is declared a grouping: by its input's
  schema (a :class:`~helpers.analysis.schemas.Column` marked ``grouping``, or the schema's
  ``extra_groupings``) or by the project (``[privacy] groupings`` in ``itvalue.toml``). Declared or
  not, its values must not name people: no e-mail address anywhere in the text, no phone number, no
  id-like codes, not about one value per person, not mostly groups under ``min_n`` people, and at
  most :data:`MAX_GROUPS` values. Group sizes count people where the schema names a person key
  (``caller_id``, ``user_id``), rows otherwise. It is measured with one aggregate per column, in the
  runner's check, before any kernel; messages never quote a value.
- :func:`complementary_suppression` hides, in every line of a table whose total is shown
  (all values of a column; all values in one period; all periods of one value), enough
  further groups that the hidden part of the line holds either nothing or at least
  ``min_n`` responses, so no hidden group's figures can be worked out as a total minus the
  groups shown. This is the usual line-sum heuristic of statistical disclosure control; it
  does not solve the linear program an attacker with every table could set up.

``min_n`` itself has a floor, :data:`MIN_N_FLOOR`, that no parameter goes below
(:meth:`helpers.analysis.parameters.NotebookParameters.validate_values`).

Imports the standard library only at import time (DuckDB, numpy and pandas load on use).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from helpers.exceptions import KitError, ParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAX_GROUPS", "MIN_N_FLOOR", "GroupingProfile", "check_grouping_inputs", "check_groupings",
           "complementary_suppression", "declared_groupings", "hidden_groups_text", "mask_hidden", "profile_grouping",
           "project_groupings", "refuse_identifying_groups"]

#: No report shows a group of fewer people than this, whatever ``min_n`` a parameter asks for: with
#: three, a manager can tell who the three are (issue 24: an employee number passed at ``min_n`` 3).
MIN_N_FLOOR = 10
#: A grouping column with more values than this is refused before the kernel: 200,000 segment values
#: grew a kernel to 6.2 GB, and no reader reads a thousand groups.
MAX_GROUPS = 1_000

#: Column names that say "this identifies a person or a record".
_IDENTIFYING_NAME = re.compile(
    r"(^|[_\s.-])(e-?mail|mail|phone|mobile|msisdn|ssn|ip|ip_?address|password)($|[_\s.-])|^(id|uuid|guid)$",
    re.IGNORECASE,
)
#: An e-mail address anywhere in the text (``Name <a@b.c>``, ``ask a@b.c``): searched, not matched whole.
_EMAIL = r"[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+\.[A-Za-z]{2,}"
#: The shapes a phone number is written in, searched anywhere in the text (RE2 syntax: DuckDB's and the
#: engines' regular expressions have no look-around, so the digits either side are matched as a non-digit):
#: international ``+44 20 7946 0958``, ``+1 (555) 123-4567``; an area code in brackets ``(555) 123-4567``;
#: North American ``555.123.4567``, ``555-123-4567``; a national number with its trunk 0 ``0171 234 5600``,
#: ``020 7946 0958``. Dates (``2025-01-06``, ``06.01.2025``), ISO times, amounts (``1,234,567.89``,
#: ``1 234 567,89``), version numbers (``10.0.19045.2965``) and bare numbers (``20250106``) have none of
#: these shapes: a long bare number is an id, which the id rule judges by the size of its groups.
_PHONE_SHAPES = (
    r"\+[0-9]{1,3}[ .-]?(\([0-9]{1,4}\)[ .-]?)?[0-9]{1,4}([ .-]?[0-9]{2,4}){1,4}",
    r"\([0-9]{2,5}\)[ .-]?[0-9]{3,4}[ .-]?[0-9]{3,4}",
    r"[0-9]{3}[ .-][0-9]{3}[ .-][0-9]{4}",
    r"0[0-9]{2,4}[ ./-]?[0-9]{3,4}[ .-]?[0-9]{3,4}",
)
_PHONE = r"(^|[^0-9])(" + "|".join(_PHONE_SHAPES) + r")([^0-9]|$)"
#: A short code and a number, as employee, customer and account numbers are written (``EMP-00417``, ``C0042``).
_ID_LIKE = r"^[A-Za-z]{0,6}[-_#.]?[0-9]{4,}$"  # refused where its groups average fewer than min_n people
#: More distinct values than this share of the people (rows without a person key): about one value per person.
_MAX_DISTINCT_SHARE = 0.5
#: Groups under min_n holding more than this share of the people (or of the rows), or id-like values in more
#: than this share of the rows: the column mostly names individuals...
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
        People (rows, without a person key) in groups of fewer than ``min_n`` people.
    email_like_rows : int
        Rows whose value holds an e-mail address.
    phone_rows : int
        Rows whose value holds a phone number (one of the shapes of :data:`_PHONE_SHAPES`).
    id_like_rows : int
        Rows whose value is a code and a number (``EMP-00417``).
    grouped_people : int
        People summed over the groups (a person in two groups counts twice): what ``small_group_rows`` is a part of.
    people : int
        Distinct people among the rows (their person key's values; a row without one is a person of
        its own), or the rows when the input has no person key.
    person : str or None
        The person key counted, if any.
    """

    rows: int
    distinct: int
    small_group_rows: int
    email_like_rows: int
    phone_rows: int = 0
    id_like_rows: int = 0
    grouped_people: int = 0
    people: int = 0
    person: str | None = None


def _person_key(kind: str) -> str | None:
    from helpers.analysis.registry import get_schema

    try:
        return get_schema(kind).person
    except ValueError:  # a kind no registered analysis declares
        return None


def profile_grouping(spec: str, kind: str, column: str, *, min_n: int) -> GroupingProfile:
    """Measure a grouping column of an input source with one DuckDB aggregate (no rows reach Python)."""
    import duckdb

    from helpers.inputs.reading import quote_name, read_raw
    from helpers.inputs.sources import parse_source

    source = parse_source(spec)
    person = _person_key(kind)
    if source.is_engine:
        return _profile_engine_grouping(source, column, min_n=min_n, person=person)
    con = duckdb.connect()
    try:
        raw = read_raw(con, source, text_columns={column}, all_varchar=True)
        if column not in raw.columns:
            return GroupingProfile(0, 0, 0, 0)  # an optional column the file lacks groups no one
        person = person if person in raw.columns else None
        value = f"trim(CAST({quote_name(column)} AS VARCHAR))"
        who = f"CAST({quote_name(person)} AS VARCHAR)" if person else "NULL"
        # A row without a person key is a person of its own: unknown callers are never merged into one.
        people = "count(DISTINCT person) + count(*) FILTER (WHERE person IS NULL)"
        row = con.execute(
            f"WITH v AS (SELECT {value} AS value, {who} AS person FROM ({raw.select()}) "
            f"WHERE nullif({value}, '') IS NOT NULL), "
            f"g AS (SELECT value, count(*) AS n, {people} AS people, "
            f"count(*) FILTER (WHERE regexp_matches(value, $email)) AS emails, "
            f"count(*) FILTER (WHERE regexp_matches(value, $phone)) AS phones, "
            f"count(*) FILTER (WHERE regexp_matches(value, $id)) AS ids FROM v GROUP BY value) "
            f"SELECT coalesce(sum(n), 0), count(*), coalesce(sum(people) FILTER (WHERE people < $min_n), 0), "
            f"coalesce(sum(emails), 0), coalesce(sum(phones), 0), coalesce(sum(ids), 0), coalesce(sum(people), 0), "
            f"(SELECT {people} FROM v) FROM g",
            {"email": _EMAIL, "phone": _PHONE, "id": _ID_LIKE, "min_n": min_n},
        ).fetchone()
    finally:
        con.close()
    return GroupingProfile(*(int(x or 0) for x in row), person=person)


def _profile_engine_grouping(source: Any, column: str, *, min_n: int, person: str | None) -> GroupingProfile:
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
    person = person if person in table.columns else None
    who = table[person].cast("string") if person else table[column].cast("string").isnull()
    values = table.select(value=table[column].cast("string").strip(), person=who)
    values = values.filter(values.value.notnull() & (values.value != ""))

    def people(of: Any) -> Any:
        if person is None:
            return of.count()
        return of.person.nunique() + of.person.isnull().ifelse(1, 0).sum()

    groups = values.group_by("value").aggregate(
        n=values.count(), people=people(values),
        emails=values.value.re_search(_EMAIL).ifelse(1, 0).sum(),
        phones=values.value.re_search(_PHONE).ifelse(1, 0).sum(),
        ids=values.value.re_search(_ID_LIKE).ifelse(1, 0).sum(),
    )
    small = (groups.people < min_n).ifelse(groups.people, 0)
    summary = groups.aggregate(rows=groups.n.sum(), distinct=groups.count(), small=small.sum(),
                               emails=groups.emails.sum(), phones=groups.phones.sum(), ids=groups.ids.sum(),
                               grouped=groups.people.sum())
    try:
        row = summary.to_pyarrow().to_pylist()[0]
        everyone = values.aggregate(people=people(values)).to_pyarrow().to_pylist()[0]["people"]
    except KitError:  # a lost Spark engine's own sentence (helpers.inputs.spark_waits)
        raise
    except Exception as exc:  # noqa: BLE001 - each backend raises its own errors
        raise InputDataError(f"{source.name}: column '{column}' could not be measured: {str(exc).splitlines()[0]}") from None
    counts = (int(row[name] or 0) for name in ("rows", "distinct", "small", "emails", "phones", "ids", "grouped"))
    return GroupingProfile(*counts, people=int(everyone or 0), person=person)


def project_groupings() -> frozenset[str]:
    """The columns the project declares groupings: ``[privacy] groupings`` in its ``itvalue.toml`` (none outside one).

    ::

        [privacy]
        groupings = ["desk", "site"]   # columns that group people in this organisation's inputs
    """
    from helpers.paths import MARKER_FILE, find_project_root, project_settings

    root = find_project_root()
    settings = project_settings("privacy", root)
    path = root / MARKER_FILE if root is not None else MARKER_FILE
    unknown = sorted(set(settings) - {"groupings"})
    if unknown:
        raise ParameterError(f"{path}: [privacy] has no setting {unknown[0]!r}; it knows 'groupings'.")
    names = settings.get("groupings", [])
    if not isinstance(names, list) or not all(isinstance(name, str) and name.strip() for name in names):
        raise ParameterError(f'{path}: [privacy] groupings must be a list of column names, e.g. ["region", "desk"].')
    return frozenset(names)


def declared_groupings(kind: str) -> tuple[str, ...]:
    """The columns of an input kind its schema declares groupings (none for a kind no analysis declares)."""
    from helpers.analysis.registry import get_schema

    try:
        return get_schema(kind).groupings
    except ValueError:
        return ()


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
    """Raise ParameterError (one sentence) for the first grouping column that is not declared or identifies people.

    Parameters
    ----------
    parameter : str
        The parameter naming the columns (e.g. ``segments``), for the message.
    columns : sequence of str
        The grouping columns chosen.
    spec, kind : str
        The input source they are columns of, and its kind.
    min_n : int
        The smallest group the analysis shows (people).
    not_groups : iterable of str
        Columns the analysis declares as identifiers or free text (``response_id``, ``comment``).
    """
    refused = set(not_groups)
    where = input_name or spec
    declared = (*declared_groupings(kind), *sorted(project_groupings() - set(declared_groupings(kind))))
    for column in columns:
        if column in refused or _IDENTIFYING_NAME.search(column):
            raise ParameterError(
                f"Parameter '{parameter}': column '{column}' identifies people or holds free text, so it cannot "
                "group a report; choose a column that groups them, such as a region or a customer tier."
            )
        if column not in declared:
            raise ParameterError(
                f"Parameter '{parameter}': column '{column}' of {where} is not declared a grouping: a report is broken "
                f"down only by a column its input's schema or the project declares one "
                f"({', '.join(declared) if declared else 'none here'}); if it groups people, such as a region or a team, "
                f"and never names them, list it in itvalue.toml under [privacy] groupings."
            )
        profile = profile_grouping(spec, kind, column, min_n=min_n)
        reason, advice = _refusal(profile, min_n)
        if reason:
            raise ParameterError(f"Parameter '{parameter}': column '{column}' of {where} {reason}{advice}.")


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


_NAMES_PEOPLE = (", so it would name people rather than groups; choose a column that groups them, such as a region or "
                 "a customer tier")


def _refusal(profile: GroupingProfile, min_n: int) -> tuple[str, str]:
    """Why the column cannot group a report, and what to do (empty when it can); never a value of the column."""
    unit = "people" if profile.person else "rows"
    people = profile.people or profile.rows
    if profile.email_like_rows:
        return f"holds e-mail addresses ({profile.email_like_rows:,} rows)", _NAMES_PEOPLE
    if profile.phone_rows:
        return f"holds phone numbers ({profile.phone_rows:,} rows)", _NAMES_PEOPLE
    grouped = profile.grouped_people or profile.rows
    # Codes are ids of people when their groups are small (employee numbers); a service's code groups many.
    if (profile.distinct >= _MIN_VALUES_OF_AN_IDENTIFIER and profile.id_like_rows > _MAX_SMALL_GROUP_SHARE * profile.rows
            and grouped < min_n * profile.distinct):
        return (f"holds id-like values, a code and a number such as an employee number ({profile.id_like_rows:,} of "
                f"{profile.rows:,} rows)"), _NAMES_PEOPLE
    if profile.rows and profile.distinct > 1 and profile.distinct > _MAX_DISTINCT_SHARE * people:
        if profile.person:
            return (f"has {profile.distinct:,} different values for {people:,} people ({profile.person}), about one "
                    "value per person"), _NAMES_PEOPLE
        return f"has {profile.distinct:,} different values in {profile.rows:,} rows", _NAMES_PEOPLE
    if profile.distinct >= _MIN_VALUES_OF_AN_IDENTIFIER and profile.small_group_rows > _MAX_SMALL_GROUP_SHARE * grouped:
        return f"puts {profile.small_group_rows:,} of {grouped:,} {unit} in groups of fewer than {min_n}", _NAMES_PEOPLE
    if profile.distinct > MAX_GROUPS:
        return (f"has {profile.distinct:,} values but a report shows at most {MAX_GROUPS:,} groups",
                "; choose a coarser column, such as a region rather than a store")
    return "", ""


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
