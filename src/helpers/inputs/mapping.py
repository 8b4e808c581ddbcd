"""Applying a resolved column map where the data is read: DuckDB SQL over a file, Ibis over an engine table.

Over a file (:func:`map_relation`), the map is one more ``SELECT`` between the raw relation
(:mod:`.reading`) and the typed, checked one (:mod:`.converting`): each of the kit's columns is
the user's column or the checked expression written as DuckDB SQL, the file's other columns stay
as extra columns, and the rows keep their file and record numbers, so every message still quotes
cells as written and rows as numbered in the file. The profile's parsing rules apply there too:
extra header rows are skipped (rows keep their numbers), one row per key is kept (``one_row_per``),
rows of the export that are not the input's are left out (``keep_rows_where``).
Words that mean empty (``?``, ``NULL``) are read as empty by DuckDB's CSV reader itself
(``nullstr``), and by the ``SELECT`` for other formats.

Over an engine table (:func:`map_table`), the map is an Ibis selection: each checked expression is
turned node by node into an Ibis expression (:func:`to_ibis`), which Ibis compiles for the engine,
so one map works on DuckDB, PostgreSQL and Spark. (Ibis's ``Table.sql`` would take the SQL text
instead, but Ibis 12 cannot run it on PostgreSQL: it emits ``DROP VIEW IF EXISTS`` with no name.)
What an engine cannot evaluate, and the parsing rules that only files need (date formats, header
rows, record numbers), are refused there with a sentence.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import ibis
from sqlglot import exp

from helpers.analysis.schemas import Schema
from helpers.exceptions import InputDataError, KitError
from helpers.inputs.expressions import ExpressionError, describe_node
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

__all__ = ["map_relation", "map_table", "to_ibis"]

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
    """An engine table with the kit's column names (expressions as Ibis expressions), then its other columns.

    Raises
    ------
    InputDataError
        A parsing rule that only files have, or an expression the engine cannot evaluate.
    """
    kit_names = {c.name for c in schema.columns}
    renamed = {b.source for b in resolved.bindings.values() if b.how == "column"}
    labelled = resolved.schema(schema)
    for column_name, binding in resolved.bindings.items():
        column = labelled.column(column_name)
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
    if resolved.one_row_per is not None:
        key, order = resolved.one_row_per
        if order is None:
            raise InputDataError(
                f"{name}: the profile keeps the first row of each '{key}', and a table has no order of rows; "
                "give the rows one per key (a view can pick them)."
            )
        rank = ibis.row_number().over(ibis.window(group_by=raw[key], order_by=ibis.desc(raw[order])))
        raw = raw.mutate(__itv_rank=rank).filter(ibis._.__itv_rank == 0).drop("__itv_rank")
    values = {}
    for column_name, binding in resolved.bindings.items():
        try:
            values[column_name] = _ibis_value(binding, raw, resolved).name(column_name)
        except KitError:  # a lost Spark engine's own sentence (helpers.inputs.spark_waits)
            raise
        except Exception as exc:  # noqa: BLE001 - ExpressionError, or Ibis refusing an operation in its own words
            raise InputDataError(
                f"{name}: {labelled.column(column_name).shown} cannot be evaluated on {backend}: {_engine_reason(exc)}."
            ) from None
    extras = {c: _ibis_value(Binding(c, c, "column"), raw, resolved).name(c) for c in raw.columns
              if c not in renamed and c not in kit_names}
    table = raw
    if resolved.keep is not None:
        table = table.filter(to_ibis(resolved.keep.tree, raw).fill_null(False))
    table = table.select(**values, **extras)
    try:
        ibis.to_sql(table)  # the engine's compiler says now what it cannot express, not mid-analysis
    except KitError:  # a lost Spark engine's own sentence (helpers.inputs.spark_waits)
        raise
    except Exception as exc:  # noqa: BLE001
        raise InputDataError(f"{name}: the column map cannot be evaluated on {backend}: {_engine_reason(exc)}.") from None
    return table


def _ibis_value(binding: Binding, raw: ibis.Table, resolved: Resolved) -> ibis.Value:
    if binding.how == "expression":
        return to_ibis(binding.expression.tree, raw)
    value = raw[binding.source]
    if resolved.missing and value.type().is_string():
        return ibis.cases((value.strip().isin(list(resolved.missing)), ibis.null(value.type())), else_=value)
    return value


def _engine_reason(error: Exception) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    first = lines[0] if lines else type(error).__name__
    first = re.sub(r"^[A-Za-z.]*(Error|Exception):\s*", "", first)
    return (first if len(first) <= 200 else first[:197] + "...").rstrip(".")


# --- checked expressions as Ibis expressions -----------------------------------------------------

_IBIS_TYPES = {
    "TEXT": "string", "VARCHAR": "string", "CHAR": "string", "TINYINT": "int8", "SMALLINT": "int16", "INT": "int32",
    "BIGINT": "int64", "FLOAT": "float32", "DOUBLE": "float64", "BOOLEAN": "boolean", "DATE": "date",
    "TIMESTAMP": "timestamp", "TIMESTAMPTZ": "timestamp('UTC')",
}


_EPOCH = ibis.literal(datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC))


def to_ibis(tree: exp.Expression, table: ibis.Table) -> ibis.Value:
    """A checked map expression (:mod:`.expressions`) as an Ibis expression over ``table``, which every engine compiles.

    Raises
    ------
    ExpressionError
        A construct with no Ibis equivalent (read from files only).
    """
    if isinstance(tree, exp.Column):
        return table[tree.name]

    def go(node: exp.Expression) -> ibis.Value:
        return to_ibis(node, table)

    for translate in (_ibis_constant, _ibis_operator, _ibis_condition, _ibis_function, _ibis_time):
        value = translate(tree, go)
        if value is not None:
            return value
    raise ExpressionError(f"{describe_node(tree)} works on files (DuckDB) only")


def _ibis_constant(tree: exp.Expression, go: Callable[[exp.Expression], ibis.Value]) -> ibis.Value | None:
    """A literal, or None for any other node."""
    if isinstance(tree, exp.Literal):
        if tree.is_string:
            return ibis.literal(tree.this)
        number = float(tree.this)
        return ibis.literal(int(number) if number.is_integer() and "." not in tree.this else number)
    if isinstance(tree, exp.Boolean):
        return ibis.literal(bool(tree.this))
    if isinstance(tree, exp.Null):
        return ibis.null()
    return None


def _ibis_operator(tree: exp.Expression, go: Callable[[exp.Expression], ibis.Value]) -> ibis.Value | None:
    """An arithmetic, comparison, logical or text operator, or None for any other node."""
    arg = tree.args.get
    if isinstance(tree, exp.Paren):
        return go(tree.this)
    if isinstance(tree, exp.Neg):
        return -go(tree.this)
    if isinstance(tree, exp.Not):
        return ~go(tree.this)
    binary = {exp.Add: "__add__", exp.Sub: "__sub__", exp.Mul: "__mul__", exp.Div: "__truediv__", exp.Mod: "__mod__",
              exp.EQ: "__eq__", exp.NEQ: "__ne__", exp.GT: "__gt__", exp.GTE: "__ge__",
              exp.LT: "__lt__", exp.LTE: "__le__", exp.And: "__and__", exp.Or: "__or__"}
    for kind, method in binary.items():
        if type(tree) is kind:
            return getattr(go(tree.this), method)(go(tree.expression))
    if isinstance(tree, exp.DPipe):
        return go(tree.this).cast("string").concat(go(tree.expression).cast("string"))
    if isinstance(tree, exp.Is):
        return go(tree.this).isnull()
    if isinstance(tree, (exp.Like, exp.ILike)):
        matched = go(tree.this).like(tree.expression.this) if isinstance(tree, exp.Like) else go(tree.this).ilike(
            tree.expression.this)
        return ~matched if arg("negate") else matched
    if isinstance(tree, exp.In):
        return go(tree.this).isin([go(e) for e in tree.expressions])
    if isinstance(tree, exp.Between):
        return go(tree.this).between(go(arg("low")), go(arg("high")))
    return None


def _ibis_condition(tree: exp.Expression, go: Callable[[exp.Expression], ibis.Value]) -> ibis.Value | None:
    """CASE, IF, COALESCE, NULLIF or a cast, or None for any other node."""
    arg = tree.args.get
    if isinstance(tree, exp.Case):
        subject = go(tree.this) if tree.this is not None else None
        branches = [((subject == go(b.this)) if subject is not None else go(b.this), go(b.args["true"])) for b in arg("ifs")]
        default = go(arg("default")) if arg("default") is not None else None
        return ibis.cases(*branches, else_=default)
    if isinstance(tree, exp.If):
        return ibis.ifelse(go(tree.this), go(arg("true")), go(arg("false")) if arg("false") is not None else ibis.null())
    if isinstance(tree, exp.Coalesce):
        return ibis.coalesce(go(tree.this), *[go(e) for e in tree.expressions])
    if isinstance(tree, exp.Nullif):
        return go(tree.this).nullif(go(tree.expression))
    if isinstance(tree, (exp.Cast, exp.TryCast)):
        target = _IBIS_TYPES.get(tree.to.this.name)
        if tree.to.this == exp.DataType.Type.DECIMAL:
            params = [int(p.this.this) for p in tree.to.expressions]
            target = f"decimal({params[0]}, {params[1]})" if len(params) == 2 else "decimal"
        if target is None:
            raise ExpressionError(f"no engine type for {tree.to.sql()}")
        value = go(tree.this)
        return value.try_cast(target) if isinstance(tree, exp.TryCast) else value.cast(target)
    return None


def _ibis_function(tree: exp.Expression, go: Callable[[exp.Expression], ibis.Value]) -> ibis.Value | None:
    """A function on numbers or text, or None for any other node."""
    arg = tree.args.get
    simple = {exp.Lower: "lower", exp.Upper: "upper", exp.Trim: "strip", exp.Length: "length", exp.Abs: "abs",
              exp.Ceil: "ceil", exp.Floor: "floor"}
    for kind, method in simple.items():
        if type(tree) is kind:
            return getattr(go(tree.this), method)()
    if isinstance(tree, exp.Round):
        digits = arg("decimals")
        return go(tree.this).round(int(digits.this) if digits is not None else None)
    if isinstance(tree, (exp.Greatest, exp.Least)):
        combine = ibis.greatest if isinstance(tree, exp.Greatest) else ibis.least
        return combine(go(tree.this), *[go(e) for e in tree.expressions])
    if isinstance(tree, exp.Concat):
        # concat() skips empty values (DuckDB, Spark through sqlglot), where || gives empty
        parts = [go(e).cast("string").fill_null("") for e in tree.expressions]
        return parts[0].concat(*parts[1:])
    if isinstance(tree, exp.Substring):
        start = go(arg("start")) - 1  # SQL counts from 1, Ibis from 0
        length = go(arg("length")) if arg("length") is not None else None
        return go(tree.this).substr(start, length)
    if isinstance(tree, exp.Replace):
        return go(tree.this).replace(tree.expression.this, arg("replacement").this)
    if isinstance(tree, exp.RegexpExtract):
        group = arg("group")
        return go(tree.this).re_extract(tree.expression.this, int(group.this) if group is not None else 0)
    if isinstance(tree, exp.RegexpLike):
        return go(tree.this).re_search(tree.expression.this)
    if isinstance(tree, exp.RegexpReplace):
        return go(tree.this).re_replace(tree.expression.this, arg("replacement").this)
    if isinstance(tree, exp.Left):
        return go(tree.this).left(int(tree.expression.this))
    if isinstance(tree, exp.Right):
        return go(tree.this).right(int(tree.expression.this))
    if isinstance(tree, exp.StartsWith):
        return go(tree.this).startswith(tree.expression.this)
    if isinstance(tree, exp.Contains):
        return go(tree.this).contains(tree.expression.this)
    return None


def _ibis_time(tree: exp.Expression, go: Callable[[exp.Expression], ibis.Value]) -> ibis.Value | None:
    """A function that makes a timestamp, or None for any other node."""
    arg = tree.args.get
    if isinstance(tree, exp.StrToTime):
        # A wall-clock time, as DuckDB's strptime gives it (Ibis types the parse as UTC).
        return go(tree.this).as_timestamp(arg("format").this).cast("timestamp")
    if isinstance(tree, exp.UnixToTime):
        scale = arg("scale")
        unit = {None: "s", "0": "s", "3": "ms", "6": "us"}.get(scale.this if scale is not None else None)
        if unit is None:
            raise ExpressionError("a time in that unit is read from files only")
        # An instant, as DuckDB's to_timestamp gives it: the epoch in UTC plus the count (to the microsecond).
        count = go(tree.this)
        if count.type().is_floating() or count.type().is_decimal():
            return _EPOCH + (count * 1_000_000).round().cast("int64").as_interval("us")
        return _EPOCH + count.as_interval(unit)
    return None
