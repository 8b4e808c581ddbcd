"""Inputs an engine holds (a database table, a Spark table, files Spark reads), typed and checked as Ibis expressions.

The same rules as for local files (declared once in the analyses' schemas (:mod:`helpers.analysis.schemas`)) are
evaluated where the data lives: one aggregate query counts the rows breaking each rule,
and only for a broken rule does a second query fetch its first rows. An engine table has
no file row numbers, so messages name the failing rows by their key column
(``response_id 'R-1042'``): the schema's unique column, else its first column.

Local files keep their own reader (:mod:`helpers.inputs.reading`, DuckDB SQL), whose
messages quote row numbers and cells as written.

Connections: a database source is opened with ``ibis.connect`` on its URL, whose
password comes from the backend's own mechanism (``PGPASSWORD``, ``~/.pgpass``...), once
per process and time zone. A table on another backend than the analysis engine is
checked where it lives and then either handed to the engine as Arrow (only its rows, once)
or, when the analysis asks for push-down, left in its database: the analysis's queries then
run there (:func:`is_database`), and a small local table it joins to is copied to a temporary
table beside it (:func:`push_small_side`), so only aggregates come back.
"""

from __future__ import annotations

import functools
import os
import re
import uuid
from typing import Any

import ibis
import ibis.expr.datatypes as dt

from helpers.analysis.schemas import Column, Schema
from helpers.exceptions import InputDataError, KitError
from helpers.inputs.checking import EXAMPLES, _quote, _rows, _verb
from helpers.inputs.mapping import map_table
from helpers.inputs.maps import resolve
from helpers.inputs.quality import remember_columns
from helpers.inputs.sources import Source, redacted
from helpers.inputs.trust import was_checked

__all__ = [
    "open_engine_input", "engine_backend", "raw_table", "table_fingerprint", "hand_over", "is_database",
    "push_small_side", "stream_once", "check_table", "checked_facts",
]

_RAW = "__itv_raw_"
_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")
_BACKENDS: dict[tuple[str, str], Any] = {}


# --- connections --------------------------------------------------------------------------

def engine_backend(source: Source, *, con: Any, timezone: str) -> Any:
    """The Ibis backend that holds ``source``: ``con`` for Spark sources, a connection to its URL otherwise."""
    if source.location == "spark" or source.format in ("parquet", "csv"):
        if con is None or con.name != "pyspark":
            raise InputDataError(f"{source.spec}: Spark tables and s3a:// or hdfs:// files need engine 'pyspark'.")
        return con
    key = (source.location, timezone)
    if key not in _BACKENDS:
        _BACKENDS[key] = _connect_url(source, timezone)
    return _BACKENDS[key]


def _connect_url(source: Source, timezone: str) -> Any:
    url = re.sub(r"^postgresql(\+\w+)?://", "postgres://", source.location)
    scheme = url.split("://", 1)[0].lower()
    options = {"connect_timeout": 10} if scheme == "postgres" and "connect_timeout" not in url else {}
    try:
        backend = ibis.connect(url, **options)
    except ImportError:
        package = "itvalue[postgres]" if scheme == "postgres" else f"ibis-framework[{scheme}]"
        raise InputDataError(
            f"{_shown(source)}: reading {scheme} tables needs its Ibis backend; install it with pip install '{package}'."
        ) from None
    except Exception as exc:  # the drivers' own error classes differ: psycopg, pymysql, google...
        if "don't know how to connect" in str(exc).lower():
            raise InputDataError(f"{_shown(source)}: no Ibis backend connects to '{scheme}://' URLs.") from None
        raise InputDataError(_connection_problem(source, exc)) from None
    if scheme == "postgres":
        # timestamptz values come back as wall-clock times in the analysis zone
        backend.raw_sql(f"SET TIME ZONE '{timezone.replace(chr(39), '')}'")
    return backend


def _connection_problem(source: Source, exc: Exception) -> str:
    text = _secret_free(str(exc))
    lowered = text.lower()
    where = _shown(source)
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return (
            f"{where}: the database refused the login ({_first(text)}); the password comes from PGPASSWORD or "
            "~/.pgpass (or the database's own credentials), never from the parameters."
        )
    if any(s in lowered for s in ("connection refused", "could not translate host", "timeout expired", "name or service")):
        return f"{where}: cannot reach the database ({_first(text)}); is it running, and are the host and port right?"
    return f"{where}: could not connect to the database: {_first(text)}."


def _secret_free(text: str) -> str:
    for name in ("PGPASSWORD",):
        secret = os.environ.get(name)
        if secret:
            text = text.replace(secret, "***")
    return text


def _first(text: str) -> str:
    """The driver's reason in a few words: ``Connection refused``, ``password authentication failed for user "x"``."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else "unknown error"
    if "failed: " in line:
        line = line.rsplit("failed: ", 1)[1]
    line = re.sub(r"^(FATAL|ERROR):\s+", "", line)
    return re.sub(r"^[A-Za-z.]*(Error|Exception): ", "", line).rstrip(".")


def _reason(exc: Exception) -> str:
    """Why an engine failed, in a few words: for Spark, the innermost Java exception's message.

    Spark's own is "An error occurred while calling o30.csv", whatever happened; the cause it
    wraps ("Connection refused", "No FileSystem for scheme ...") is what the reader can act on.
    """
    text = str(exc)
    java = getattr(exc, "java_exception", None)  # py4j's Py4JJavaError (classic Spark, not Spark Connect)
    if java is not None:
        try:
            while java.getCause() is not None:
                java = java.getCause()
            text = str(java.getMessage() or java.getClass().getSimpleName())
        except Exception:  # noqa: BLE001 - a gateway already gone: Spark's own sentence then
            pass
    return _first(_secret_free(text))


def _shown(source: Source) -> str:
    return redacted(source.spec)


# --- opening ------------------------------------------------------------------------------

def raw_table(source: Source, backend: Any) -> ibis.Table:
    """The source as the engine holds it; InputDataError naming the tables there if it is missing."""
    try:
        if source.location == "spark" or source.table is not None:
            database, _, table = source.table.rpartition(".")
            return backend.table(table, database=database or None)
        if source.format == "parquet":
            return backend.read_parquet(source.location)
        return backend.read_csv(source.location, header=True)
    except KitError:  # a lost Spark engine's own sentence (helpers.inputs.spark_waits)
        raise
    except Exception as exc:  # noqa: BLE001 - each backend names a missing table in its own way
        if source.table is None:
            raise InputDataError(f"{_shown(source)} could not be read: {_reason(exc)}.") from None
        database = source.table.rpartition(".")[0] or None
        names = []
        # Ibis 12's DuckDB list_tables leaves DuckDB 2's connection unusable: not asked there.
        if backend.name != "duckdb":
            try:
                names = sorted(backend.list_tables(database=database))
            except Exception:  # noqa: BLE001
                names = []
        found = ", ".join(names[:20]) if names else "none"
        raise InputDataError(f"{_shown(source)}: the database has no table '{source.table}' (tables found: {found}).") from None


def open_engine_input(source: Source, schema: Schema, *, con: Any, timezone: str) -> ibis.Table:
    """Check an engine table against its schema where it lives; return it on ``con``.

    Raises
    ------
    InputDataError
        One sentence per problem: unreachable database, refused login, missing table or
        column, rows breaking a rule (named by their key).
    """
    backend = engine_backend(source, con=con, timezone=timezone)
    raw = raw_table(source, backend)
    kind, mapped = schema.kind, source.column_map is not None and not source.column_map.is_empty
    stamp = None if mapped else _stamp_column(schema, raw)
    if mapped:
        resolved = resolve(source.column_map, schema, list(raw.columns), source.name)
        raw = map_table(raw, schema, resolved, backend=backend.name, name=source.name)
        schema = resolved.schema(schema)
    missing = [c for c in schema.required if c not in raw.columns]
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        noun = "column" if len(missing) == 1 else "columns"
        raise InputDataError(
            f"{source.name}: missing required {noun} {names} (columns found: {', '.join(raw.columns) or 'none'})."
        )
    typed = typed_table(schema, raw)
    # The runner checked this table moments ago and it still has the rows and newest time it had: one
    # count instead of the rule scan (the facts run.json records as the table's identity).
    fresh = functools.partial(table_fingerprint, source, kind, con=con, timezone=timezone, fresh=True)
    if not was_checked(source, kind, timezone, facts=fresh):
        try:
            problems, facts = check_table(schema, typed, source.name, stamp=stamp)
        except KitError:  # a lost Spark engine's own sentence (helpers.inputs.spark_waits)
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. PostgreSQL refusing to cast a text cell (it has no TRY_CAST)
            raise InputDataError(f"{_shown(source)} could not be checked: {_reason(exc)}.") from None
        if problems:
            raise InputDataError("\n".join(problems))
        if not mapped:
            _CHECKED_FACTS[_facts_key(source, kind, timezone)] = facts
    output = output_table(schema, typed, list(raw.columns))
    remember_columns(source.name, schema)
    if con is None or backend is con:
        return output
    return hand_over(output, con)


def hand_over(table: ibis.Table, con: Any) -> ibis.Table:
    """Bring a (checked) table from its backend to the analysis engine ``con``, through Arrow."""
    name = f"input_{uuid.uuid4().hex[:12]}"
    if con.name == "duckdb":
        # Streamed in batches into a DuckDB temporary table. (Ibis 12 cannot register
        # in-memory tables on DuckDB 2: it emits "DROP VIEW IF EXISTS" with no name.)
        # (Ibis 12's batches from DuckDB 2 fail: a DuckDB-held table comes whole.)
        source_is_duckdb = table.get_backend().name == "duckdb"
        # Batches of 100,000 rows: psycopg builds each as Python tuples before Arrow has them.
        batches = table.to_pyarrow() if source_is_duckdb else table.to_pyarrow_batches(chunk_size=_BATCH_ROWS)
        con.con.register(f"{name}_arrow", batches)
        con.con.execute(f'CREATE TEMP TABLE "{name}" AS SELECT * FROM "{name}_arrow"')
        con.con.unregister(f"{name}_arrow")
        return con.table(name)
    rows = table.to_pyarrow()
    if con.name == "pyspark":
        # Straight from Arrow: Ibis's memtable goes through pandas, where an empty text cell
        # becomes NaN and Spark then stores the text 'NaN'.
        con._session.createDataFrame(rows).createOrReplaceTempView(name)
        return con.table(name)
    return con.create_view(name, ibis.memtable(rows), overwrite=True)


#: Rows per batch when a table crosses from a database to the local engine.
_BATCH_ROWS = 100_000


def stream_once(table: ibis.Table, con: Any) -> ibis.Table:
    """The rows of a database query as a table of a DuckDB ``con`` that reads them as they arrive, once.

    For one query that scans them a single time (the comment words of NPS): unlike :func:`hand_over`,
    no copy of the rows is held, only a batch at a time. A second query over it finds no rows.
    """
    name = f"stream_{uuid.uuid4().hex[:12]}"
    con.con.register(name, table.to_pyarrow_batches(chunk_size=_BATCH_ROWS))
    return con.table(name)


def is_database(table: ibis.Table) -> bool:
    """True when ``table`` lives in a database the kit connected to by URL (PostgreSQL...), not in DuckDB or Spark.

    Its queries then run in that database; a join with a local table needs :func:`push_small_side`.
    """
    try:
        backend = table.get_backend()
    except Exception:  # noqa: BLE001 - an in-memory table, or tables of two backends: none of the kit's databases
        return False
    return any(backend is known for known in _BACKENDS.values())


def push_small_side(big: ibis.Table, small: ibis.Table) -> ibis.Table:
    """``small`` on the backend of ``big``, so that a join of the two runs where the big one is.

    When ``big`` is in a database and ``small`` is not (a ticket file beside a responses table), the small
    side's rows go to a temporary table of the database session (gone when the session ends): only the
    small side crosses the network, never the big one. Otherwise ``small`` is handed
    to ``big``'s engine (:func:`hand_over`), or returned as it is when both already share a backend.
    """
    backend = big.get_backend()
    if small.get_backend() is backend:
        return small
    if not is_database(big):
        return hand_over(small, backend)
    name = f"itvalue_{uuid.uuid4().hex[:12]}"
    if backend.name != "postgres":
        return backend.create_table(name, small.to_pyarrow(), schema=small.schema(), temp=True)
    rows = small.to_pyarrow()
    try:
        pushed = backend.create_table(name, schema=small.schema(), temp=True)
    except Exception as exc:  # noqa: BLE001 - psycopg's InsufficientPrivilege, or a read-only replica
        raise InputDataError(
            "The database refused a temporary table for joining a local input to one of its tables "
            f"({_reason(exc)}); its login needs the TEMPORARY privilege (GRANT TEMPORARY ON DATABASE ... TO ...), "
            "or the other input can be given as a table of the same database."
        ) from None
    # COPY, not Ibis's INSERT of one parameter set per row: about ten times faster.
    columns = ", ".join(f'"{column}"' for column in small.columns)
    with backend.con.cursor() as cursor, backend.con.transaction(), cursor.copy(f'COPY "{name}" ({columns}) FROM STDIN') as copy:
        for batch in rows.to_batches(max_chunksize=_BATCH_ROWS):
            for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                copy.write_row(row)
    return pushed


# --- types --------------------------------------------------------------------------------

def typed_table(schema: Schema, raw: ibis.Table) -> ibis.Table:
    """Each schema column converted (null where empty or not convertible), beside its raw value, plus extra columns."""
    values = {}
    for column in schema.columns:
        if column.name in raw.columns:
            cell = raw[column.name]
            if cell.type().is_string():
                for word in schema.empty_words:
                    cell = cell.nullif(word)
                cell = cell.strip().nullif("")
            values[column.name] = _convert(column, cell).name(column.name)
            values[_RAW + column.name] = cell.name(_RAW + column.name)
    names = {c.name for c in schema.columns}
    extras = {name: raw[name] for name in raw.columns if name not in names}
    return raw.select(**values, **extras)


def _convert(column: Column, cell: ibis.Value) -> ibis.Value:
    dtype = cell.type()
    target = {"text": dt.string, "number": dt.float64, "integer": dt.int64, "timestamp": dt.Timestamp(), "boolean": dt.boolean}
    if column.type == "text":
        return cell if dtype.is_string() else cell.cast("string")
    if column.type == "boolean":
        if dtype.is_boolean():
            return cell
        if dtype.is_integer():
            return ibis.cases((cell == 1, True), (cell == 0, False), else_=ibis.null(dt.boolean))
        if dtype.is_string():
            word = cell.lower()
            return ibis.cases((word.isin(_TRUE), True), (word.isin(_FALSE), False), else_=ibis.null(dt.boolean))
    if column.type == "timestamp":
        if dtype.is_timestamp():
            return cell.cast(dt.Timestamp()) if dtype.timezone else cell
        if dtype.is_date() or dtype.is_string():
            return cell.try_cast(dt.Timestamp()) if dtype.is_string() else cell.cast(dt.Timestamp())
    if column.type in ("number", "integer"):
        if dtype.is_integer():
            return cell.cast(target[column.type])
        if dtype.is_numeric() or dtype.is_string():
            number = cell.try_cast(dt.float64) if dtype.is_string() else cell.cast(dt.float64)
            if column.type == "number":
                return number
            return ibis.ifelse(number == number.floor(), number.cast(dt.int64), ibis.null(dt.int64))
    return ibis.null(target[column.type])


def output_table(schema: Schema, typed: ibis.Table, raw_columns: list[str]) -> ibis.Table:
    """The loaded input: schema columns (filled, absent optional ones added), then extra columns."""
    target = {"text": dt.string, "number": dt.float64, "integer": dt.int64, "timestamp": dt.Timestamp(), "boolean": dt.boolean}
    out = {}
    for column in schema.columns:
        if column.name not in raw_columns:
            out[column.name] = ibis.literal(column.fill, type=target[column.type])
        elif column.fill is not None:
            out[column.name] = typed[column.name].fill_null(ibis.literal(column.fill, type=target[column.type]))
        else:
            out[column.name] = typed[column.name]
    names = {c.name for c in schema.columns}
    extras = {name: typed[name] for name in raw_columns if name not in names}
    return typed.select(**out, **extras)


# --- rules --------------------------------------------------------------------------------

def _rules(schema: Schema, typed: ibis.Table) -> list[tuple[str, ibis.Value, list[tuple[str, str]]]]:
    """(what the rule says, when a row breaks it, what to quote: (label, column)) for each rule that applies."""
    rules = []
    for column in schema.columns:
        if column.name not in typed.columns:
            continue
        value, cell = typed[column.name], typed[_RAW + column.name]
        conditions = [] if column.nullable else [cell.isnull()]
        if column.type == "text":
            if column.allowed:
                filled = value.fill_null(column.fill) if column.fill is not None else value
                conditions.append(~filled.isin(list(column.allowed)))
        else:
            conditions.append(cell.notnull() & value.isnull())
            if column.minimum is not None:
                conditions.append(value < column.minimum)
            if column.maximum is not None:
                conditions.append(value > column.maximum)
        if conditions:
            breaks = conditions[0]
            for condition in conditions[1:]:
                breaks = breaks | condition
            rules.append((f"{column.shown} {column.rule}", breaks, [("", _RAW + column.name)]))
    for order in schema.order:
        if order.later in typed.columns and order.earlier in typed.columns:
            later, earlier = typed[order.later], typed[order.earlier]
            breaks = (later <= earlier) if order.strict else (later < earlier)
            rules.append((schema.order_rule(order), breaks, [(schema.column(order.earlier).short, order.earlier),
                                                             (schema.column(order.later).short, order.later)]))
    return rules


def key_column(schema: Schema) -> str:
    """The column that names a row in messages: the schema's unique column, else its first column."""
    return schema.unique[0] if schema.unique else schema.columns[0].name


def table_problems(schema: Schema, typed: ibis.Table, name: str) -> list[str]:
    """One sentence per rule broken (empty when the table is valid), rows named by their key column."""
    return check_table(schema, typed, name)[0]


def check_table(
    schema: Schema, typed: ibis.Table, name: str, *, stamp: str | None = None
) -> tuple[list[str], dict[str, Any]]:
    """The rule sentences (as :func:`table_problems`) and the table's fingerprint (see :func:`table_fingerprint`).

    One aggregate counts the rows, the rows breaking each rule, a single-column key's repeats and the
    newest ``stamp``: one scan of the table for a valid one. Only a broken rule costs more queries,
    for the rows it quotes.
    """
    rules = _rules(schema, typed)
    counts = {"total": typed.count()}
    for n, (_, breaks, _) in enumerate(rules):
        counts[f"rule_{n}"] = ibis.ifelse(breaks.fill_null(False), 1, 0).sum()
    keys = [k for k in schema.unique if k in typed.columns]
    if len(keys) == 1:
        counts["repeats"] = typed[keys[0]].count() - typed[keys[0]].nunique()
    newest = stamp is not None and typed[_RAW + stamp].type().is_timestamp()
    if newest:
        counts["newest"] = typed[_RAW + stamp].max()
    tally = typed.aggregate(**counts).to_pyarrow().to_pylist()[0]
    facts = {"rows": int(tally["total"]), "newest": _isoformat(tally.get("newest")), "newest_column": stamp}
    if not tally["total"]:
        return ([] if schema.may_be_empty else [f"{name} has no rows; a {schema.kind} input needs at least one row."]), facts
    key = key_column(schema)
    key_value = typed[_RAW + key] if _RAW + key in typed.columns else typed[key]
    problems = []
    for n, (says, breaks, quotes) in enumerate(rules):
        count = tally[f"rule_{n}"] or 0
        if not count:
            continue
        examples = (
            typed.filter(breaks.fill_null(False))
            .select(key_value.name("key"), *[typed[c].name(f"q{i}") for i, (_, c) in enumerate(quotes)])
            .order_by("key")
            .limit(EXAMPLES)
            .to_pyarrow()
            .to_pylist()
        )
        shown = ", ".join(f"{schema.column(key).short} {_quote(row['key'])}: {_quoted(quotes, row)}" for row in examples)
        problems.append(f"{name}: {says}; {_rows(count)} {_verb(count)} this ({shown}).")
    if tally.get("repeats", 1):
        problems += _duplicates(schema, typed, name)
    return problems, facts


def _quoted(quotes: list[tuple[str, str]], row: dict[str, Any]) -> str:
    values = [row[f"q{i}"] for i in range(len(quotes))]
    return ", ".join(_quote(v) if not label else f"{label} {_quote(v)}" for (label, _), v in zip(quotes, values))


def _duplicates(schema: Schema, typed: ibis.Table, name: str) -> list[str]:
    keys = [k for k in schema.unique if k in typed.columns]
    if not keys:
        return []
    present = typed
    for k in keys:
        present = present.filter(typed[k].notnull())
    repeated = present.group_by(keys).aggregate(times=present.count()).filter(lambda t: t.times > 1)
    tally = repeated.aggregate(rows=(repeated.times - 1).sum()).to_pyarrow().to_pylist()[0]
    count = tally["rows"] or 0
    if not count:
        return []
    examples = repeated.order_by(keys).limit(EXAMPLES).to_pyarrow().to_pylist()
    shown = ", ".join(
        " and ".join(f"{schema.column(k).short} {_quote(row[k])}" for k in keys) + f" appears {row['times']} times"
        for row in examples
    )
    if len(keys) == 1:
        says, what = f"{schema.column(keys[0]).shown} must be unique", "an earlier value"
    else:
        says = "columns " + " and ".join(schema.column(k).label for k in keys) + " must be unique together"
        what = "an earlier combination"
    return [f"{name}: {says}; {_rows(count)} {'repeats' if count == 1 else 'repeat'} {what} ({shown})."]


# --- provenance ---------------------------------------------------------------------------

def table_fingerprint(
    source: Source, kind: str, *, con: Any = None, timezone: str = "UTC", fresh: bool = False
) -> dict[str, Any]:
    """What can be known cheaply about an engine table: its row count and, where it has one, its newest timestamp.

    A table this process has just checked is not scanned again: the check's one aggregate counted
    the same facts (unless ``fresh``, to see whether the table changed since).
    """
    from helpers.analysis.registry import get_schema

    key = _facts_key(source, kind, timezone)
    if not fresh and key in _CHECKED_FACTS:
        return dict(_CHECKED_FACTS[key])
    schema = get_schema(kind)
    backend = engine_backend(source, con=con, timezone=timezone)
    raw = raw_table(source, backend)
    stamp = _stamp_column(schema, raw)
    facts = {"rows": raw.count()}
    if stamp is not None and raw[stamp].type().is_timestamp():
        facts["newest"] = raw[stamp].max()
    row = raw.aggregate(**facts).to_pyarrow().to_pylist()[0]
    return {"rows": int(row["rows"]), "newest": _isoformat(row.get("newest")), "newest_column": stamp}


def checked_facts(source: Source, kind: str, timezone: str) -> dict[str, Any] | None:
    """The fingerprint this process's check of the table found (None if it did not check it, or it is mapped)."""
    facts = _CHECKED_FACTS.get(_facts_key(source, kind, timezone))
    return dict(facts) if facts is not None else None


#: Fingerprints of the tables this process checked, by (location, table, kind, time zone).
_CHECKED_FACTS: dict[tuple[str | None, str | None, str, str], dict[str, Any]] = {}


def _facts_key(source: Source, kind: str, timezone: str) -> tuple[str | None, str | None, str, str]:
    return (source.location, source.table, kind, timezone)


def _stamp_column(schema: Schema, raw: ibis.Table) -> str | None:
    """The schema's first timestamp column the table has: whose newest value tells a grown table."""
    return next((c.name for c in schema.columns if c.type == "timestamp" and c.name in raw.columns), None)


def _isoformat(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
