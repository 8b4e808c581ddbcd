"""The schema's rules as DuckDB queries, and one sentence per rule broken.

Every rule is a SQL boolean over the checked relation (see ``_converting``). One
aggregate query counts the rows breaking each rule in a single scan, in DuckDB and in
parallel; only when a rule is broken does a second query fetch its first few rows,
with their row numbers and values, to quote in the message.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb

from helpers.analysis.schemas import Column, Schema
from helpers.inputs.converting import AWARE_PREFIX, NAIVE_PREFIX, RAW_PREFIX, reads_text_timestamps
from helpers.inputs.reading import FILE_COLUMN, ROW_COLUMN, RawRelation, quote_name, quote_text

#: How many example rows a message quotes.
EXAMPLES = 3
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class _Rule:
    """A rule over the checked relation: what it says, when a row breaks it, what to quote."""

    says: str
    breaks: str
    quotes: tuple[tuple[str, str], ...]  # (label, SQL); label "" quotes the raw cell alone


def missing_columns(schema: Schema, raw: RawRelation) -> str | None:
    """The sentence for required columns the source lacks, listing the columns found."""
    missing = [name for name in schema.required if name not in raw.columns]
    if not missing:
        return None
    # At most a screenful: a 10,000-column file must not make a 70,000-character message.
    shown = [name if len(name) <= 40 else name[:37] + "..." for name in list(raw.columns)[:20]]
    more = len(raw.columns) - len(shown)
    found = ", ".join(shown) + (f" and {more:,} more" if more > 0 else "") if raw.columns else "none"
    names = ", ".join(f"'{m}'" for m in missing)
    noun = "column" if len(missing) == 1 else "columns"
    lowered = {c.lower().strip(): c for c in raw.columns}
    near = [lowered[m.lower()] for m in missing if m.lower() in lowered]
    hint = f"; names are exact: rename {', '.join(repr(n) for n in near)}" if near else ""
    return f"{raw.name}: missing required {noun} {names} (columns found: {found}){hint}."


def find_problems(
    con: duckdb.DuckDBPyConnection,
    schema: Schema,
    raw: RawRelation,
    *,
    checked: str,
    numbered: str,
    timezone: str,
) -> list[str]:
    """Check the rules; one sentence per rule broken (empty list when the data is valid).

    Parameters
    ----------
    checked, numbered : str
        SQL (or a table name) of the checked relation, without and with row numbers.
    """
    rules = _rules(schema, raw)
    counts_sql = ", ".join(["count(*)"] + [f"count_if(coalesce({r.breaks}, false))" for r in rules])
    total, *broken = con.execute(f"SELECT {counts_sql} FROM ({checked})").fetchone()
    if total == 0:
        if schema.may_be_empty:
            return []
        header = " has a header but no rows" if raw.format == "csv" else " has no rows"
        return [f"{raw.name}{header}; a {schema.kind} input needs at least one row."]
    problems = []
    for rule, count in zip(rules, broken, strict=True):
        if count:
            rows = _examples(con, numbered, rule.breaks, [sql for _, sql in rule.quotes])
            shown = ", ".join(
                f"{_where(raw, file, row)}: {_quote_values(rule.quotes, values)}" for file, row, *values in rows
            )
            problems.append(f"{raw.name}: {rule.says}; {_rows(count)} {_verb(count)} this ({shown}).")
    if schema.unique:
        problems += _duplicates(con, schema, raw, checked=checked, numbered=numbered)
    problems += _mixed_offsets(con, schema, raw, checked=checked, numbered=numbered, timezone=timezone)
    return problems


# --- rules ---------------------------------------------------------------------------------

def _rules(schema: Schema, raw: RawRelation) -> list[_Rule]:
    rules = []
    for column in schema.columns:
        if column.name in raw.columns:
            rule = _value_rule(column)
            if rule is not None:
                rules.append(rule)
            if column.type == "timestamp":
                rules.append(_plausible_time_rule(column))
    for order in schema.order:
        if order.later in raw.columns and order.earlier in raw.columns:
            later, earlier = quote_name(order.later), quote_name(order.earlier)
            op = "<=" if order.strict else "<"
            rules.append(
                _Rule(
                    says=order.rule,
                    breaks=f"{later} {op} {earlier}",
                    quotes=((order.earlier, earlier), (order.later, later)),
                )
            )
    return rules


def _value_rule(column: Column) -> _Rule | None:
    value, cell = quote_name(column.name), quote_name(RAW_PREFIX + column.name)
    conditions = []
    if not column.nullable:
        conditions.append(f"{cell} IS NULL")
    if column.type == "text":
        if column.allowed:
            filled = f"coalesce({value}, {quote_text(column.fill)})" if column.fill is not None else value
            conditions.append(f"{filled} NOT IN ({', '.join(quote_text(a) for a in column.allowed)})")
    else:
        conditions.append(f"({cell} IS NOT NULL AND {value} IS NULL)")
        if column.minimum is not None:
            conditions.append(f"{value} < {column.minimum!r}")
        if column.maximum is not None:
            conditions.append(f"{value} > {column.maximum!r}")
    if not conditions:
        return None
    return _Rule(
        says=f"column '{column.name}' {column.rule}",
        breaks="(" + " OR ".join(conditions) + ")",
        quotes=(("", f"CAST({cell} AS VARCHAR)"),),
    )


def _plausible_time_rule(column: Column) -> _Rule:
    """Times before 1900 or from 2200 on are typing or export errors (year 0, 9999-12-31 placeholders)."""
    value, cell = quote_name(column.name), quote_name(RAW_PREFIX + column.name)
    return _Rule(
        says=f"column '{column.name}' must be a time between the years 1900 and 2199",
        breaks=f"(CAST({value} AS DATE) NOT BETWEEN DATE '1900-01-01' AND DATE '2199-12-31')",
        quotes=(("", f"CAST({cell} AS VARCHAR)"),),
    )


# --- duplicates and mixed offsets -----------------------------------------------------------

def _duplicates(con, schema: Schema, raw: RawRelation, *, checked: str, numbered: str) -> list[str]:
    keys = [k for k in schema.unique if k in raw.columns]
    if not keys:
        return []
    key_sql = ", ".join(quote_name(k) for k in keys)
    present = " AND ".join(f"{quote_name(k)} IS NOT NULL" for k in keys)
    # Distinct 64-bit hashes prove uniqueness with a fraction of the memory of distinct
    # strings; only if two hashes collide is the exact (costlier) count needed.
    (repeats,) = con.execute(f"SELECT count(*) - count(DISTINCT hash({key_sql})) FROM ({checked}) WHERE {present}").fetchone()
    if repeats:
        distinct = quote_name(keys[0]) if len(keys) == 1 else f"({key_sql})"
        (repeats,) = con.execute(
            f"SELECT count(*) - count(DISTINCT {distinct}) FROM ({checked}) WHERE {present}"
        ).fetchone()
    if not repeats:
        return []
    rows = con.execute(
        f"""
        SELECT {FILE_COLUMN}, {ROW_COLUMN}, first_file, first_row, {key_sql} FROM (
            SELECT *, row_number() OVER w AS nth,
                   first_value({FILE_COLUMN}) OVER w AS first_file,
                   first_value({ROW_COLUMN}) OVER w AS first_row
            FROM ({numbered}) WHERE {present}
            WINDOW w AS (PARTITION BY {key_sql} ORDER BY {FILE_COLUMN}, {ROW_COLUMN})
        ) WHERE nth > 1 ORDER BY {FILE_COLUMN}, {ROW_COLUMN} LIMIT {EXAMPLES}
        """
    ).fetchall()
    shown = ", ".join(
        f"{_where(raw, file, row)}: {', '.join(_quote(v) for v in values)} as in {_where(raw, first_file, first_row)}"
        for file, row, first_file, first_row, *values in rows
    )
    if len(keys) == 1:
        says = f"column '{keys[0]}' must be unique"
        what = "an earlier value"
    else:
        says = "columns " + " and ".join(f"'{k}'" for k in keys) + " must be unique together"
        what = "an earlier combination"
    verb = "repeats" if repeats == 1 else "repeat"
    return [f"{raw.name}: {says}; {_rows(repeats)} {verb} {what} ({shown})."]


def _mixed_offsets(con, schema: Schema, raw: RawRelation, *, checked: str, numbered: str, timezone: str) -> list[str]:
    """Naive values mean the analysis time zone, so one file must not mix them with offsets."""
    columns = reads_text_timestamps(schema, raw)
    if not columns:
        return []
    aware = " OR ".join(f"coalesce({quote_name(AWARE_PREFIX + c)}, false)" for c in columns)
    naive = " OR ".join(f"coalesce({quote_name(NAIVE_PREFIX + c)}, false)" for c in columns)
    mixed = con.execute(
        f"SELECT {FILE_COLUMN}, count_if({aware}), count_if({naive}) FROM ({checked}) "
        f"GROUP BY {FILE_COLUMN} HAVING count_if({aware}) > 0 AND count_if({naive}) > 0 ORDER BY {FILE_COLUMN}"
    ).fetchall()
    problems = []
    for file, with_offset, without_offset in mixed:
        # Quote the minority: those are the rows most likely written by mistake.
        report_naive = without_offset <= with_offset
        prefix = NAIVE_PREFIX if report_naive else AWARE_PREFIX
        flags = ", ".join(f"coalesce({quote_name(prefix + c)}, false)" for c in columns)
        cells = ", ".join(quote_name(RAW_PREFIX + c) for c in columns)
        rows = con.execute(
            f"SELECT {FILE_COLUMN}, {ROW_COLUMN}, {flags}, {cells} FROM ({numbered}) "
            f"WHERE {FILE_COLUMN} = {quote_text(file)} AND ({naive if report_naive else aware}) "
            f"ORDER BY {ROW_COLUMN} LIMIT {EXAMPLES}"
        ).fetchall()
        shown = []
        for row_file, row, *rest in rows:
            flagged, cells_ = rest[: len(columns)], rest[len(columns):]
            values = [
                (_quote(cell) if len(columns) == 1 else f"{name} {_quote(cell)}")
                for name, flag, cell in zip(columns, flagged, cells_, strict=True)
                if flag
            ]
            shown.append(f"{_where(raw, row_file, row)}: {', '.join(values)}")
        subject = (
            f"column '{columns[0]}' mixes them"
            if len(columns) == 1
            else "columns " + " and ".join(f"'{c}'" for c in columns) + " mix them"
        )
        if report_naive:
            counts = f"{_rows(without_offset)} {'has' if without_offset == 1 else 'have'} no offset while {with_offset} have one"
        else:
            counts = f"{_rows(with_offset)} {'has' if with_offset == 1 else 'have'} an offset while {without_offset} have none"
        name = file.rsplit("/", 1)[-1] if raw.multi_file else raw.name
        problems.append(
            f"{name}: timestamps must all have a UTC offset or all have none (naive ones are read as {timezone}), "
            f"but {subject}; {counts} ({', '.join(shown)})."
        )
    return problems


# --- examples and wording ----------------------------------------------------------------------

def _examples(con, numbered: str, breaks: str, values: list[str]) -> list[tuple]:
    return con.execute(
        f"SELECT {FILE_COLUMN}, {ROW_COLUMN}, {', '.join(values)} FROM ({numbered}) "
        f"WHERE coalesce({breaks}, false) ORDER BY {FILE_COLUMN}, {ROW_COLUMN} LIMIT {EXAMPLES}"
    ).fetchall()


def _where(raw: RawRelation, file: str, row: int) -> str:
    if raw.multi_file:
        return f"{str(file).replace(chr(92), '/').rsplit('/', 1)[-1]} row {row}"
    return f"row {row}"


def _quote_values(quotes: tuple[tuple[str, str], ...], values: list) -> str:
    return ", ".join(_quote(v) if not label else f"{label} {_quote(v)}" for (label, _), v in zip(quotes, values, strict=True))


def _quote(value: object) -> str:
    """A value as a message shows it: numbers and times plainly, text in quotes, empty as 'empty'."""
    if value is None:
        return "empty"
    if isinstance(value, dt.datetime):
        if value.microsecond:
            return value.isoformat(sep=" ")
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    text = str(value)
    if _NUMBER.fullmatch(text.strip()):
        return text.strip()
    if len(text) > 40:
        text = text[:37] + "..."
    return repr(text)


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def _verb(count: int) -> str:
    return "breaks" if count == 1 else "break"
