"""Applying a resolved column map where the data is read: DuckDB SQL over a file, Ibis over an engine table.

Over a file (:func:`map_relation`), the map is one more ``SELECT`` between the raw relation
(:mod:`.reading`) and the typed, checked one (:mod:`.converting`): each of the kit's columns is
the user's column or the checked expression written as DuckDB SQL, the file's other columns stay
as extra columns, and the rows keep their file and record numbers, so every message still quotes
cells as written and rows as numbered in the file. The profile's parsing rules apply there too:
extra header rows are skipped (rows keep their numbers), one row per key is kept (``latest``).
Words that mean empty (``?``, ``NULL``) are read as empty by DuckDB's CSV reader itself
(``nullstr``), and by the ``SELECT`` for other formats.

Over an engine table (:func:`map_table`), a map of plain column names is an Ibis selection, and
expressions are written in the engine's own SQL dialect from their checked syntax tree and run
through Ibis (``Table.sql``), so one map works on DuckDB, PostgreSQL and Spark; what a dialect cannot
express, and the parsing rules that only files need (date formats, header rows, record numbers),
are refused there with a sentence.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import duckdb
import ibis
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from helpers.analysis.schemas import Schema
from helpers.exceptions import InputDataError
from helpers.inputs.expressions import ExpressionError
from helpers.inputs.maps import AUTO_HEADER_ROWS, Binding, Resolved
from helpers.inputs.reading import (
    DECIMAL_COMMA_COLUMN,
    FILE_COLUMN,
    ROW_COLUMN,
    RawRelation,
    csv_fields_of_any_length,
    quote_name,
    quote_text,
)

__all__ = ["map_relation", "map_table", "SQLGLOT_DIALECTS"]

#: The sqlglot dialect of each Ibis backend the kit reads tables from.
SQLGLOT_DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "pyspark": "spark", "mysql": "mysql", "snowflake": "snowflake",
                    "bigquery": "bigquery", "trino": "trino", "mssql": "tsql", "oracle": "oracle", "sqlite": "sqlite"}


# --- files (DuckDB SQL) ----------------------------------------------------------------------

def map_relation(con: duckdb.DuckDBPyConnection, raw: RawRelation, schema: Schema, resolved: Resolved) -> RawRelation:
    """The raw relation with the kit's column names, the file's other columns, and the profile's row rules applied.

    Raises
    ------
    InputDataError
        An expression the file's column types cannot evaluate (one sentence naming it).
    """
    kit_names = {c.name for c in schema.columns}
    renamed = {b.source for b in resolved.bindings.values() if b.how == "column"}
    parts = []
    for name, binding in resolved.bindings.items():
        parts.append(f"{_value_sql(binding, raw, resolved)} AS {quote_name(name)}")
    parts += [_kept_sql(c, raw, resolved) for c in raw.columns if c not in renamed and c not in kit_names]
    parts.append(FILE_COLUMN)
    if raw.format == "csv":
        parts.append(DECIMAL_COMMA_COLUMN)
    parts.append(ROW_COLUMN)
    conditions = [c for c in (_header_rows_filter(raw, schema, resolved), _keep_filter(resolved)) if c]
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    qualify = ""
    if resolved.one_row_per is not None:
        key, order = resolved.one_row_per
        ranked = f"{quote_name(order)} DESC NULLS LAST, {FILE_COLUMN} DESC, {ROW_COLUMN} DESC" if order else (
            f"{FILE_COLUMN}, {ROW_COLUMN}"
        )
        # Ordered again after the window, so that the rows kept stay in file order (the same figures every run).
        qualify = (f" QUALIFY row_number() OVER (PARTITION BY {quote_name(key)} ORDER BY {ranked}) = 1 "
                   f"ORDER BY {FILE_COLUMN}, {ROW_COLUMN}")
    numbered = f"SELECT {', '.join(parts)} FROM ({raw.select(numbered=True)}){where}{qualify}"
    try:
        described = con.execute(f"DESCRIBE {numbered}").fetchall()
    except duckdb.Error as exc:
        raise InputDataError(_unevaluable(con, raw, schema, resolved, exc)) from None
    return RawRelation(
        name=raw.name,
        format=raw.format,
        columns={name: typ for name, typ, *_ in described if not name.startswith("__itv_")},
        multi_file=raw.multi_file,
        decimal_comma=raw.decimal_comma,
        delimiters=raw.delimiters,
        plain_sql=f"SELECT * EXCLUDE ({ROW_COLUMN}) FROM ({numbered})",
        numbered_sql=numbered,
    )


def _value_sql(binding: Binding, raw: RawRelation, resolved: Resolved) -> str:
    if binding.how == "column":
        return _kept_sql(binding.source, raw, resolved, alias=False)
    if binding.how == "record_number":
        number = f"CAST({ROW_COLUMN} AS VARCHAR)"
        if raw.multi_file:
            # Numbers restart in each file of a glob: the file's name keeps them unique.
            return f"regexp_extract({FILE_COLUMN}, '[^/\\\\]+$') || ':' || {number}"
        return number
    return f"({binding.expression.sql('duckdb')})"


def _kept_sql(column: str, raw: RawRelation, resolved: Resolved, *, alias: bool = True) -> str:
    """A file column as it is; a word meaning empty is NULL (CSV files had it done by the reader)."""
    name = quote_name(column)
    if resolved.missing and raw.format != "csv" and raw.columns[column].upper() == "VARCHAR":
        words = ", ".join(quote_text(w) for w in resolved.missing)
        value = f"CASE WHEN trim({name}) IN ({words}) THEN NULL ELSE {name} END"
        return f"{value} AS {name}" if alias else value
    return name


def _keep_filter(resolved: Resolved) -> str:
    """The profile's ``keep_rows_where``: rows of the export that are not this input's are left out."""
    return f"coalesce(({resolved.keep.sql('duckdb')}), false)" if resolved.keep is not None else ""


def _header_rows_filter(raw: RawRelation, schema: Schema, resolved: Resolved) -> str:
    if raw.format != "csv" or not resolved.header_rows:
        return ""
    if resolved.header_rows != "auto":
        return f"{ROW_COLUMN} > {int(resolved.header_rows)}"
    numeric = [
        b.source for b in resolved.bindings.values()
        if b.how == "column" and schema.column(b.column).type in ("number", "integer")
    ]
    skipped = {path: _leading_header_rows(path, raw.delimiters[path], numeric) for path in raw.delimiters}
    if not any(skipped.values()):
        return ""
    cases = " ".join(f"WHEN {quote_text(path)} THEN {n}" for path, n in skipped.items() if n)
    return f"{ROW_COLUMN} > (CASE {FILE_COLUMN} {cases} ELSE 0 END)"


def _leading_header_rows(path: Path, delimiter: str, numeric: list[str]) -> int:
    """How many leading records hold text that is not a number in a numeric column (a survey tool's extra headers)."""
    if not numeric:
        return 0
    with path.open("r", encoding="utf-8-sig", newline="", errors="replace") as fh, csv_fields_of_any_length():
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
        header = [name.strip() for name in next(reader, [])]
        where = [header.index(c) for c in numeric if c in header]
        count = 0
        for record in reader:
            cells = [record[i].strip() if i < len(record) else "" for i in where]
            if count >= AUTO_HEADER_ROWS or not any(cell and not _is_number(cell) for cell in cells):
                break
            count += 1
    return count


def _is_number(text: str) -> bool:
    return re.fullmatch(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?", text) is not None


def _unevaluable(con: duckdb.DuckDBPyConnection, raw: RawRelation, schema: Schema, resolved: Resolved, error: Exception) -> str:
    """The sentence for a map DuckDB cannot bind: the first expression that fails alone, with DuckDB's reason."""
    labelled = resolved.schema(schema)
    for name, binding in resolved.bindings.items():
        if binding.how != "expression":
            continue
        try:
            con.execute(f"DESCRIBE SELECT ({binding.expression.sql('duckdb')}) FROM ({raw.select(numbered=True)})").fetchall()
        except duckdb.Error as exc:
            return f"{raw.name}: {labelled.column(name).shown} cannot be evaluated: {_reason(exc)}."
    return f"{raw.name}: the column map cannot be applied: {_reason(error)}."


def _reason(error: Exception) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    first = re.sub(r"^[A-Za-z ]*Error: ", "", lines[0]) if lines else "unknown error"
    first = first.rstrip(".")
    if "explicit cast" in first.lower():
        first += " (the columns an expression reads keep the types DuckDB finds in the file: CAST or TRY_CAST them)"
    return first


# --- engine tables (Ibis) ----------------------------------------------------------------------

def map_table(raw: ibis.Table, schema: Schema, resolved: Resolved, *, backend: str, name: str) -> ibis.Table:
    """An engine table with the kit's column names (expressions evaluated in the engine's dialect), then its other columns.

    Raises
    ------
    InputDataError
        A parsing rule that only files have, or an expression the engine's dialect cannot express.
    """
    kit_names = {c.name for c in schema.columns}
    renamed = {b.source for b in resolved.bindings.values() if b.how == "column"}
    for column_name, binding in resolved.bindings.items():
        column = schema.column(column_name)
        if binding.how == "record_number":
            raise InputDataError(
                f"{name}: the profile numbers records for '{column_name}', which a table has none of; "
                f"map '{column_name}' to a column instead."
            )
        if column.type == "timestamp" and binding.how == "column" and raw[binding.source].type().is_string() and (
            resolved.formats or resolved.zone
        ):
            raise InputDataError(
                f"{name}: {column.shown} holds text, and the profile's date formats and time zone are read from files only; "
                "in a database give it as a timestamp column (a view can convert it)."
            )
    dialect = SQLGLOT_DIALECTS.get(backend, backend)
    if resolved.one_row_per is not None:
        key, order = resolved.one_row_per
        if order is None:
            raise InputDataError(
                f"{name}: the profile keeps the first row of each '{key}', and a table has no order of rows; "
                "give the rows one per key (a view can pick them)."
            )
        rank = ibis.row_number().over(ibis.window(group_by=raw[key], order_by=ibis.desc(raw[order])))
        raw = raw.mutate(__itv_rank=rank).filter(ibis._.__itv_rank == 0).drop("__itv_rank")
    selected = []
    for column_name, binding in resolved.bindings.items():
        selected.append(exp.alias_(_tree(binding, raw, resolved), column_name, quoted=True))
    extras = [c for c in raw.columns if c not in renamed and c not in kit_names]
    selected += [exp.alias_(_tree(Binding(c, c, "column"), raw, resolved), c, quoted=True) for c in extras]
    query = exp.select(*selected).from_(exp.to_identifier("itv_source", quoted=True))
    if resolved.keep is not None:
        query = query.where(exp.func("coalesce", resolved.keep.tree.copy(), exp.false()))
    try:
        sql = query.sql(dialect=dialect, identify=True, comments=False, unsupported_level=ErrorLevel.RAISE)
    except Exception as exc:  # noqa: BLE001 - sqlglot's UnsupportedError names the construct
        culprit = _first_unsupported(resolved, dialect)
        what = schema.column(culprit).shown if culprit else "the column map"
        raise InputDataError(f"{name}: {what} cannot be evaluated on {backend}: {str(exc).splitlines()[0]}.") from None
    return raw.alias("itv_source").sql(sql, dialect=dialect)


def _tree(binding: Binding, raw: ibis.Table, resolved: Resolved) -> exp.Expression:
    if binding.how == "expression":
        return binding.expression.tree.copy()
    column = exp.column(binding.source, quoted=True)
    if resolved.missing and raw[binding.source].type().is_string():
        words = [exp.Literal.string(w) for w in resolved.missing]
        return exp.Case(ifs=[exp.If(this=exp.Trim(this=column.copy()).isin(*words), true=exp.Null())], default=column)
    return column


def _first_unsupported(resolved: Resolved, dialect: str) -> str | None:
    for name, binding in resolved.bindings.items():
        if binding.how == "expression":
            try:
                binding.expression.sql(dialect)
            except ExpressionError:
                return name
    return None


def engine_dialect(backend: Any) -> str:
    """The sqlglot dialect of an Ibis backend."""
    return SQLGLOT_DIALECTS.get(backend.name, backend.name)
