"""SQL that turns raw columns into the schema's types, keeping the raw text for messages.

For each schema column present in the file, the *checked* relation holds:

- the column itself, converted (NULL where the cell is empty or does not convert);
- ``__itv_raw_<name>``: the cell as written (text for CSV files), to quote back in
  messages and to tell an empty cell from one that did not convert;
- for timestamps read as text, ``__itv_aware_<name>`` / ``__itv_naive_<name>``: whether
  the value carries a UTC offset (to forbid mixing both in one file).

A column with ``missing`` markers (``?`` in ServiceNow data sets) reads a cell holding only a
marker as empty, before any rule sees it. A ``day_first`` timestamp column also reads
``29/2/2016 01:16`` (day, month, year; ``/``, ``-`` or ``.``; hours and seconds optional) as a
naive time.

Timestamps: ISO 8601 text with an offset (``Z``, ``+01:00``, ``+0100``, ``+01``) and
Parquet/DuckDB ``TIMESTAMP WITH TIME ZONE`` values are converted to the wall-clock time
in the analysis time zone; naive values are taken as already in it. Either way the
column is a naive ``TIMESTAMP``. DuckDB's own ``CAST(text AS TIMESTAMP)`` would silently
drop an offset, hence the explicit patterns.

The *output* relation applies the schema's fills (``channel`` -> 'all', ``reopened`` ->
false, ``action`` -> 'read'), adds absent optional columns and keeps extra columns.
"""

from __future__ import annotations

import re

from helpers.analysis.schemas import Column, Schema
from helpers.inputs.reading import FILE_COLUMN, ROW_COLUMN, RawRelation, quote_name, quote_text

RAW_PREFIX = "__itv_raw_"
AWARE_PREFIX = "__itv_aware_"
NAIVE_PREFIX = "__itv_naive_"

_SQL_TYPES = {"text": "VARCHAR", "number": "DOUBLE", "integer": "BIGINT", "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}
_NAIVE = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
_AWARE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)"
# Day first, one separator throughout (RE2 has no back-references, hence one pattern per separator).
_DAY_FIRST = "|".join(rf"\d{{1,2}}{sep}\d{{1,2}}{sep}\d{{4}}( \d{{1,2}}:\d{{2}}(:\d{{2}})?)?" for sep in ("/", "-", r"\."))
_DAY_FIRST_FORMATS = [f"%d{sep}%m{sep}%Y{time}" for sep in "/-." for time in (" %H:%M:%S", " %H:%M", "")]
# Largest integer a float64 holds exactly (2**53).
_EXACT_FLOAT_INT = 9007199254740992


def sql_type(column: Column) -> str:
    """The DuckDB type a schema column loads as."""
    return _SQL_TYPES[column.type]


def is_text_type(duckdb_type: str) -> bool:
    return duckdb_type.upper() == "VARCHAR"


def _is_number(duckdb_type: str) -> bool:
    return bool(re.match(r"(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|REAL|DECIMAL)", duckdb_type.upper()))


def _is_integer(duckdb_type: str) -> bool:
    return bool(re.match(r"U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?$", duckdb_type.upper()))


def _is_aware(duckdb_type: str) -> bool:
    return duckdb_type.upper() in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")


def _is_naive_time(duckdb_type: str) -> bool:
    return duckdb_type.upper().startswith("TIMESTAMP") or duckdb_type.upper() == "DATE"


def reads_text_timestamps(schema: Schema, raw: RawRelation) -> list[str]:
    """The schema's timestamp columns that are read from text (and may mix offsets)."""
    return [
        c.name
        for c in schema.columns
        if c.type == "timestamp" and c.name in raw.columns and is_text_type(raw.columns[c.name])
    ]


def convert(column: Column, name_sql: str, duckdb_type: str, *, timezone: str, decimal_comma: str) -> str:
    """SQL converting a raw column to the schema type; NULL where it is empty or does not convert.

    ``decimal_comma`` is SQL: whether a number in this row may be written ``12,50``.
    """
    trimmed = _trimmed(column, name_sql)
    tz = quote_text(timezone)
    text = is_text_type(duckdb_type)
    if column.type == "text":
        if text:
            return raw_text(name_sql, duckdb_type, missing=column.missing)
        if duckdb_type.upper() in ("FLOAT", "DOUBLE"):
            # Ids written from pandas float columns (int with gaps) read 123.0; show them as 123.
            return (
                f"CASE WHEN {name_sql} = trunc({name_sql}) AND abs({name_sql}) < {_EXACT_FLOAT_INT} "
                f"THEN CAST(CAST({name_sql} AS BIGINT) AS VARCHAR) ELSE CAST({name_sql} AS VARCHAR) END"
            )
        return f"CAST({name_sql} AS VARCHAR)"
    if column.type in ("number", "integer"):
        if text:
            number_text = (
                f"CASE WHEN {decimal_comma} AND regexp_full_match({trimmed}, '[+-]?[0-9]*,[0-9]+') "
                f"THEN replace({trimmed}, ',', '.') ELSE {trimmed} END"
                if decimal_comma != "false"
                else trimmed
            )
            as_double = f"TRY_CAST({number_text} AS DOUBLE)"
        elif _is_integer(duckdb_type) and column.type == "integer":
            return f"TRY_CAST({name_sql} AS BIGINT)"
        elif _is_number(duckdb_type):
            as_double = f"CAST({name_sql} AS DOUBLE)"
        else:
            return f"CAST(NULL AS {sql_type(column)})"
        if column.type == "number":
            return f"CASE WHEN isfinite({as_double}) THEN {as_double} END"
        return (
            f"CASE WHEN {as_double} = trunc({as_double}) AND abs({as_double}) <= {_EXACT_FLOAT_INT} "
            f"THEN CAST({as_double} AS BIGINT) END"
        )
    if column.type == "timestamp":
        if text:
            day_first = (
                f"WHEN regexp_full_match({trimmed}, {quote_text(_DAY_FIRST)}) "
                f"THEN try_strptime({trimmed}, [{', '.join(quote_text(f) for f in _DAY_FIRST_FORMATS)}]) "
                if column.day_first
                else ""
            )
            return (
                f"CASE WHEN regexp_full_match({trimmed}, {quote_text(_AWARE)}) "
                f"THEN timezone({tz}, TRY_CAST({trimmed} AS TIMESTAMPTZ)) "
                f"WHEN regexp_full_match({trimmed}, {quote_text(_NAIVE)}) THEN TRY_CAST({trimmed} AS TIMESTAMP) "
                f"{day_first}END"
            )
        if _is_aware(duckdb_type):
            return f"timezone({tz}, {name_sql})"
        if _is_naive_time(duckdb_type):
            return f"CAST({name_sql} AS TIMESTAMP)"
        return "CAST(NULL AS TIMESTAMP)"
    if column.type == "boolean":
        if text:
            return f"TRY_CAST({trimmed} AS BOOLEAN)"
        if duckdb_type.upper() == "BOOLEAN":
            return name_sql
        if _is_integer(duckdb_type):
            return f"CASE WHEN {name_sql} IN (0, 1) THEN {name_sql} = 1 END"
        return "CAST(NULL AS BOOLEAN)"
    raise ValueError(f"unknown column type {column.type!r}")


def _naive_pattern(column: Column) -> str:
    return f"{_NAIVE}|{_DAY_FIRST}" if column.day_first else _NAIVE


def _trimmed(column: Column, name_sql: str) -> str:
    """The cell trimmed, NULL when blank or a ``missing`` marker."""
    trimmed = f"nullif(trim({name_sql}), '')"
    for marker in column.missing:
        trimmed = f"nullif({trimmed}, {quote_text(marker)})"
    return trimmed


def raw_text(name_sql: str, duckdb_type: str, *, missing: tuple[str, ...] = ()) -> str:
    """The cell as the file holds it, NULL when empty (or a ``missing`` marker such as ``?``).

    Text stays text (blank = NULL); typed Parquet/DuckDB values keep their type, since
    formatting millions of them as text only to test for NULL would dominate the check
    (messages cast the few rows they quote).
    """
    if not is_text_type(duckdb_type):
        return name_sql
    # A cell starting with a printable ASCII character other than a space cannot be
    # blank: that cheap comparison spares trimming almost every cell of a large log.
    if not missing:
        return (f"CASE WHEN {name_sql} >= '!' AND {name_sql} < chr(127) THEN {name_sql} "
                f"WHEN trim({name_sql}) = '' THEN NULL ELSE {name_sql} END")
    # A marker written with a leading space takes the slow branch and is trimmed there.
    markers = ", ".join(quote_text(m) for m in missing)
    return (f"CASE WHEN {name_sql} >= '!' AND {name_sql} < chr(127) AND {name_sql} NOT IN ({markers}) THEN {name_sql} "
            f"WHEN trim({name_sql}) IN ('', {markers}) THEN NULL ELSE {name_sql} END")


def extras(schema: Schema, raw: RawRelation) -> list[str]:
    """The file's columns the schema does not name, in file order."""
    names = {c.name for c in schema.columns}
    return [c for c in raw.columns if c not in names and not c.startswith("__itv_")]


def checked_select(schema: Schema, raw: RawRelation, *, timezone: str, numbered: bool) -> str:
    """SQL of the checked relation (see the module docstring)."""
    parts = []
    for column in schema.columns:
        if column.name not in raw.columns:
            continue
        duckdb_type = raw.columns[column.name]
        name_sql = quote_name(column.name)
        converted = convert(column, name_sql, duckdb_type, timezone=timezone, decimal_comma=raw.decimal_comma)
        parts.append(f"{converted} AS {name_sql}")
        parts.append(f"{raw_text(name_sql, duckdb_type, missing=column.missing)} AS {quote_name(RAW_PREFIX + column.name)}")
        if column.type == "timestamp" and is_text_type(duckdb_type):
            trimmed = _trimmed(column, name_sql)
            naive = quote_text(_naive_pattern(column))
            parts.append(f"regexp_full_match({trimmed}, {quote_text(_AWARE)}) AS {quote_name(AWARE_PREFIX + column.name)}")
            parts.append(f"regexp_full_match({trimmed}, {naive}) AS {quote_name(NAIVE_PREFIX + column.name)}")
    for name in extras(schema, raw):
        name_sql = quote_name(name)
        if _is_aware(raw.columns[name]):
            parts.append(f"timezone({quote_text(timezone)}, {name_sql}) AS {name_sql}")
        else:
            parts.append(name_sql)
    parts.append(FILE_COLUMN)
    if numbered:
        parts.append(ROW_COLUMN)
    return f"SELECT {', '.join(parts)} FROM ({raw.select(numbered=numbered)})"


def output_select(schema: Schema, raw: RawRelation, checked_sql: str) -> str:
    """SQL of the loaded input: schema columns (filled), then extra columns, from the checked relation."""
    parts = []
    for column in schema.columns:
        name_sql = quote_name(column.name)
        fill = _literal(column)
        if column.name not in raw.columns:
            parts.append(f"{fill} AS {name_sql}")
        elif column.fill is not None:
            parts.append(f"coalesce({name_sql}, {fill}) AS {name_sql}")
        else:
            parts.append(name_sql)
    parts += [quote_name(name) for name in extras(schema, raw)]
    return f"SELECT {', '.join(parts)} FROM ({checked_sql})"


def _literal(column: Column) -> str:
    value = column.fill
    if value is None:
        return f"CAST(NULL AS {sql_type(column)})"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"CAST({value!r} AS {sql_type(column)})"
    return f"CAST({quote_text(value)} AS {sql_type(column)})"
