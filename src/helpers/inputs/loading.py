"""Input data: validated loading through DuckDB, and notes on legal-but-suspicious data.

:class:`QualityNote` and the generic note helpers (:func:`time_gaps`,
:func:`unmatched_ids`, :func:`outside_window`) live in ``_quality`` and are part of
this module's public API.

Every analysis reads its inputs here::

    from helpers import inputs
    con = inputs.connect(timezone="Europe/Paris")       # one DuckDB connection per analysis
    sales = inputs.open_input(params.sales_path, "sales", con=con, timezone=params.timezone)
    hourly = sales.group_by(...).aggregate(...).to_pandas()   # heavy work stays in DuckDB
    campaigns = inputs.load_input(params.campaigns_path, "campaigns", timezone=params.timezone)

A source is a CSV or Parquet file, a glob of them, or ``duckdb:path.duckdb?table=NAME``
(see ``data/README.md``); the schemas are in the analyses' schemas (:mod:`helpers.analysis.schemas`).

Engines: the analysis queries run on the backend :func:`connect_engine` gives (DuckDB, or
Spark through Ibis's PySpark backend). A table an engine holds (a database URL with
``?table=``, ``spark:db.table``, files at an ``s3a://`` URL) is checked where it lives by the
same rules as Ibis expressions (:mod:`helpers.inputs.tables`, rows named by key). Local files
are always read and checked by the DuckDB reader below (dialects, row numbers, cells as
written); for Spark they are then handed over as a Parquet copy. An analysis that asks for
``push_down`` keeps a database table where it is, and its queries run there (which ones do,
and which do not, is listed in ``data/README.md``).

Why the rules are DuckDB queries and not pandera
------------------------------------------------
pandera (0.35) has an Ibis backend, and it would run a valid file's checks inside
DuckDB. But the messages this kit owes its users need three things that backend does not
give: the 1-based row number of each bad row (a DuckDB relation has no index, so pandera's
failure cases carry values only), the cell as the user wrote it (``'ten'``; after
pandera's type coercion it is gone), and a count of the rows breaking the rule. Worse,
when a check fails the backend materialises the check's whole boolean output in pandas
(``check_output.to_pandas()`` in ``pandera/backends/ibis/base.py``): one Python object
per row of a 100M-row access log. So the rules are declared once as data in
the analyses' schemas (:mod:`helpers.analysis.schemas`) and evaluated as SQL in DuckDB: one aggregate query counts the rows
breaking every rule in a single parallel scan, and only for a broken rule does a second
query fetch its first rows, numbered as in the file (``_checking``). Nothing row-level
reaches Python.

Memory: CSV inputs are parsed once into a DuckDB temporary table (DuckDB's memory, not
Python's). Parquet files and DuckDB tables stay where they are: the returned table is a
view, so every query streams them again and only its result reaches Python.
``benchmarks/bench_inputs.py`` measures it: validating 10M order-level sales rows from
Parquet and aggregating them to hourly buckets per channel peaks at about 260 MB for the
whole process (135 MB of it is Python and the imports), the same at 40M rows. The one
check whose memory grows with the rows is id uniqueness (one 64-bit hash per row, about
45 MB per million rows), which applies only to inputs with ids (responses, tickets,
outages, campaigns, collection costs), not to sales or the access log.
"""

from __future__ import annotations

import atexit
import difflib
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pandas as pd
import pyarrow as pa

from helpers.analysis.registry import get_schema
from helpers.analysis.schemas import Schema
from helpers.exceptions import InputDataError, KitError, ParameterError
from helpers.inputs.checking import find_problems, missing_columns
from helpers.inputs.converting import checked_select, output_select
from helpers.inputs.mapping import map_relation
from helpers.inputs.maps import MappedSource, Resolved, resolve
from helpers.inputs.quality import QualityNote, outside_window, remember_columns, time_gaps, time_span, unmatched_ids
from helpers.inputs.reading import RawRelation, csv_problem, quote_name, quote_text, read_raw
from helpers.inputs.sources import Source, parse_source
from helpers.inputs.spark_waits import bound_connect_retries, wait_for_executors
from helpers.inputs.tables import _reason as engine_reason
from helpers.inputs.tables import hand_over, open_engine_input
from helpers.inputs.trust import was_checked

__all__ = [
    "connect",
    "connect_engine",
    "ENGINES",
    "open_input",
    "load_input",
    "check_input",
    "source_columns",
    "QualityNote",
    "time_gaps",
    "unmatched_ids",
    "outside_window",
    "time_span",
]


# --- connection ------------------------------------------------------------------------------

def connect(timezone: str = "UTC") -> ibis.BaseBackend:
    """An in-memory DuckDB connection (Ibis backend) for one analysis.

    Parameters
    ----------
    timezone : str
        IANA time zone (e.g. ``Europe/Paris``) of the analysis: DuckDB's session time zone,
        and the zone naive timestamps are read in.

    Raises
    ------
    ParameterError
        If the time zone is unknown.
    """
    con = ibis.duckdb.connect()
    _check_timezone(con.con, timezone)
    con.raw_sql(f"SET TimeZone = {quote_text(timezone)}")
    return con


#: The engines an analysis can run its queries on (the ``engine`` parameter).
ENGINES = ("duckdb", "pyspark")


def connect_engine(engine: str = "duckdb", timezone: str = "UTC") -> Any:
    """The Ibis backend the analysis queries run on: DuckDB in this process, or Spark.

    Parameters
    ----------
    engine : {"duckdb", "pyspark"}
        ``duckdb`` is :func:`connect`. ``pyspark`` is the active Spark session, or a new one
        as Spark's own configuration says: ``SPARK_REMOTE`` for Spark Connect,
        ``spark-defaults.conf`` or ``PYSPARK_SUBMIT_ARGS`` for a cluster, local mode when
        nothing is configured. A session the kit starts itself is quiet on the console (no
        progress bars, errors only: the kit says what went wrong in a sentence of its own); a
        session already running keeps its settings.
    timezone : str
        IANA zone of the analysis (DuckDB's session zone; Spark works in UTC on naive times).

    Raises
    ------
    ParameterError
        An unknown engine, or ``pyspark`` without PySpark installed.
    """
    if engine == "duckdb":
        return connect(timezone)
    if engine != "pyspark":
        raise ParameterError(f"Parameter 'engine' must be one of {', '.join(repr(e) for e in ENGINES)}; got {engine!r}.")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ParameterError(
            "Parameter 'engine' is 'pyspark' but PySpark is not installed; install it with "
            "pip install 'itvalue[spark]' (Spark also needs Java 17 or later)."
        ) from None
    session = SparkSession.getActiveSession()
    if session is None:
        remote = os.environ.get("SPARK_REMOTE")
        if remote:
            check_spark_remote(remote)
        session = _start_spark(SparkSession)
    return ibis.pyspark.connect(session)


#: Spark Connect's port when ``SPARK_REMOTE`` names none.
CONNECT_PORT = 15002


def check_spark_remote(remote: str, *, seconds: float = 10.0) -> None:
    """Raise ParameterError unless ``SPARK_REMOTE`` names a Spark Connect server that answers, within ``seconds``.

    Spark Connect's client retries a refused or silent server for minutes; this is one TCP
    connection, holding nothing on the server, so a wrong URL or a stopped server is a sentence at once.
    """
    import importlib.util
    import socket
    from urllib.parse import urlsplit

    if importlib.util.find_spec("grpc") is None or importlib.util.find_spec("grpc_status") is None:
        raise ParameterError(
            "SPARK_REMOTE is set but Spark Connect's client libraries (grpcio, grpcio-status) are not installed; "
            "install them with pip install 'itvalue[spark]'."
        )
    shown = remote.split(";", 1)[0]  # what follows ';' may hold a token
    try:
        parts = urlsplit(shown)
        host, port = parts.hostname, parts.port or CONNECT_PORT
    except ValueError:
        host = None
    if not shown.startswith("sc://") or not host:
        raise ParameterError(f"SPARK_REMOTE ({shown}) is not a Spark Connect URL such as sc://spark.example.com:15002.")
    try:
        with socket.create_connection((host, port), timeout=seconds):
            pass
    except TimeoutError:
        raise ParameterError(f"SPARK_REMOTE ({shown}): no answer from {host}:{port} within {seconds:g} s.") from None
    except OSError as exc:
        reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else (exc.strerror or str(exc))
        raise ParameterError(
            f"SPARK_REMOTE ({shown}): no Spark Connect server reached at {host}:{port} ({reason})."
        ) from None


#: Settings for a session the kit starts, where Spark's configuration keeps Spark's own default (the key's
#: first value). The analyses' queries shuffle kilobytes to megabytes: 200 shuffle partitions cost 200 tasks a
#: query (the usage audit on the bundled sample: 127 s on local Spark against 27 s with 8). ``None``: as many as
#: the cores Spark has, at least 8, so that a cluster's cores all work; adaptive execution coalesces the rest.
SESSION_DEFAULTS: dict[str, tuple[str, str | None]] = {
    "spark.sql.shuffle.partitions": ("200", None),
    "spark.sql.adaptive.enabled": ("true", "true"),
    "spark.sql.adaptive.coalescePartitions.enabled": ("true", "true"),
}


def _tune(session: Any) -> None:
    """:data:`SESSION_DEFAULTS` on a session the kit started (not on Spark Connect: its server's settings are its admin's)."""
    for key, (spark_default, kit_default) in SESSION_DEFAULTS.items():
        if session.sparkContext.getConf().contains(key) or str(session.conf.get(key, spark_default)).lower() != spark_default:
            continue  # set by spark-defaults.conf, PYSPARK_SUBMIT_ARGS or the session's builder
        session.conf.set(key, kit_default or str(max(8, session.sparkContext.defaultParallelism)))


def _start_spark(spark_session: Any) -> Any:
    """A new Spark session as Spark's configuration says, without its console chatter.

    Spark's progress bars and its WARN lines (a 118-frame Java stack trace for a refused connection)
    went to the terminal of whoever started the kernel; under ``itvalue run`` they reach the run's
    kernel.log. The kit's settings come first on spark-submit's line, so PYSPARK_SUBMIT_ARGS still wins;
    :data:`SESSION_DEFAULTS` apply only where the configuration keeps Spark's own default.
    """
    remote = os.environ.get("SPARK_REMOTE")
    builder = spark_session.builder
    if not remote:
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - PySparkRuntimeError, whose class moved between PySpark versions
        if remote:
            raise ParameterError(
                f"SPARK_REMOTE ({remote.split(';', 1)[0]}): Spark Connect did not open a session ({engine_reason(exc)})."
            ) from None
        if "JAVA_GATEWAY_EXITED" not in str(exc):
            raise
        java_home = os.environ.get("JAVA_HOME")
        where = f"JAVA_HOME ({java_home})" if java_home else "the java on PATH"
        raise ParameterError(
            f"Parameter 'engine' is 'pyspark' but Spark's Java process did not start with {where}; "
            "set JAVA_HOME to a Java 17 or later installation (or unset it to use the java on PATH)."
        ) from None
    if remote:
        bound_connect_retries(session, remote)  # a server lost mid-run: one sentence, not ten minutes of retries
    else:  # Spark Connect logs on its server, and its settings are the server's
        session.sparkContext.setLogLevel("ERROR")
        wait_for_executors(session)  # a cluster that starts no executor: one sentence, not a job waiting for ever
        _tune(session)
    return session


def _check_timezone(db: duckdb.DuckDBPyConnection, timezone: str) -> None:
    names = [row[0] for row in db.execute("SELECT name FROM pg_timezone_names()").fetchall()]
    if timezone in names:
        return
    close = difflib.get_close_matches(str(timezone), names, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else "; use an IANA name such as 'Europe/Paris' or 'UTC'."
    raise ParameterError(f"Unknown time zone '{timezone}'{hint}")


# --- loading ---------------------------------------------------------------------------------

def open_input(
    source: str | Path,
    kind: str,
    *,
    con: ibis.BaseBackend | None = None,
    timezone: str | None = None,
    push_down: bool = False,
) -> ibis.Table:
    """Validate an input and return it as a lazy Ibis table on ``con`` (or in its database, with ``push_down``).

    Parameters
    ----------
    source : str or Path
        A CSV or Parquet file, a glob of them, or ``duckdb:path.duckdb?table=NAME``;
        relative paths resolve against the working directory, then the project root.
    kind : str
        The input kind (a kind an installed analysis declares), e.g. ``"sales"``.
    con : ibis DuckDB backend, optional
        The analysis connection from :func:`connect`; a new one if omitted.
    timezone : str, optional
        IANA zone of naive timestamps; all timestamps come back as naive wall-clock
        times in it. Default: the connection's zone (UTC for a new connection).
    push_down : bool
        For a table in a database (``postgres://...?table=``): return it on that database's own
        backend, so the analysis's queries run there and only their results come back, instead
        of copying every row into ``con``. Files and Spark sources are unaffected. A join with a
        local table then needs :func:`helpers.inputs.tables.push_small_side`.

    Returns
    -------
    ibis.Table
        The schema's columns (optional ones filled when absent), then any extra columns.

    Raises
    ------
    InputDataError
        One sentence per problem: a missing or unreadable file, a missing required column,
        or rows breaking a rule (with their count, row numbers and values).
    """
    schema = get_schema(kind)
    parsed = _parse(source, kind)
    if parsed.is_engine:
        stays = push_down and not parsed.in_spark  # a database table is queried where it is
        return open_engine_input(parsed, schema, con=None if stays else con, timezone=timezone or "UTC")
    if con is not None and con.name != "duckdb":
        return _open_local_elsewhere(parsed, kind, con=con, timezone=timezone or "UTC")
    if con is None:
        con = connect(timezone or "UTC")
    db = con.con
    if timezone is None:
        (timezone,) = db.execute("SELECT current_setting('TimeZone')").fetchone()
    _check_timezone(db, timezone)
    raw, schema, resolved = _read(db, parsed, schema)
    options = parsed.column_map.options if parsed.column_map is not None else None
    problem = missing_columns(schema, raw, options=options)
    if problem:
        raise InputDataError(problem)
    name = _free_name(db, f"input_{kind}")
    try:
        if raw.format == "csv":
            raw = _materialise_csv(db, schema, raw, parsed, name, timezone, resolved)
            checked = numbered = f"SELECT * FROM {quote_name(name + '_checked')}"
        else:
            checked = checked_select(schema, raw, timezone=timezone, numbered=False)
            numbered = checked_select(schema, raw, timezone=timezone, numbered=True)
        # The runner scanned this very input before the kernel started: no second scan.
        if not was_checked(parsed, kind, timezone):
            problems = find_problems(db, schema, raw, checked=checked, numbered=numbered, timezone=timezone)
            if problems:
                raise InputDataError("\n".join(problems))
        if raw.format == "csv":
            db.execute(f"CREATE TEMP TABLE {quote_name(name)} AS {output_select(schema, raw, checked)}")
        else:
            db.execute(f"CREATE TEMP VIEW {quote_name(name)} AS {output_select(schema, raw, checked)}")
    except duckdb.Error as exc:
        raise InputDataError(_read_failure(db, raw, schema, resolved, exc)) from None
    finally:
        db.execute(f"DROP TABLE IF EXISTS {quote_name(name + '_checked')}")
    remember_columns(raw.name, schema)
    return con.table(name)


def _read(
    db: duckdb.DuckDBPyConnection, source: Source, schema: Schema, *, all_varchar: bool = False
) -> tuple[RawRelation, Schema, Resolved | None]:
    """The source as DuckDB reads it, with the kit's column names when a column map or profile renames them.

    Returns the relation, the schema in the user's words and the resolved map (None without one).
    """
    text_columns = {c.name for c in schema.columns}
    column_map = source.column_map
    if column_map is None or column_map.is_empty:
        return read_raw(db, source, text_columns=text_columns, all_varchar=all_varchar), schema, None
    words = column_map.profile.missing if column_map.profile is not None else ()
    raw = read_raw(db, source, text_columns=text_columns, all_varchar=all_varchar, missing=words, repeated_names=True)
    resolved = resolve(column_map, schema, list(raw.columns), raw.name)
    if raw.format == "csv" and any(raw.columns.get(c, "VARCHAR") != "VARCHAR" for c in resolved.text_columns):
        # Columns read as they are stay text, so that messages quote their cells as written.
        raw = read_raw(db, source, text_columns=text_columns | resolved.text_columns, all_varchar=all_varchar, missing=words,
                       repeated_names=True)
    if resolved.is_identity:
        return raw, schema, resolved
    return map_relation(db, raw, schema, resolved), resolved.schema(schema), resolved


def _read_failure(
    db: duckdb.DuckDBPyConnection, raw: RawRelation, schema: Schema, resolved: Resolved | None, exc: Exception
) -> str:
    """The sentence for a DuckDB error while reading: an expression of the map that failed on a row, or the file."""
    failing = _failing_expression(db, raw, schema, resolved)
    if failing is not None:
        return failing
    return f"{raw.name} could not be read: {_first_line(exc)}"


def _failing_expression(
    db: duckdb.DuckDBPyConnection, raw: RawRelation, schema: Schema, resolved: Resolved | None
) -> str | None:
    """One sentence for the map's first expression that fails on some row of the file (a CAST of a bad cell), if any."""
    if resolved is None:
        return None
    for name, binding in resolved.bindings.items():
        if binding.how != "expression":
            continue
        try:
            db.execute(f"SELECT count({quote_name(name)}) FROM ({raw.select()})").fetchall()
        except duckdb.Error as exc:
            reason = _first_line(exc).split("Error: ", 1)[-1].rstrip(".")
            return (
                f"{raw.name}: {schema.column(name).shown} fails on a row of the file ({reason}); "
                "TRY_CAST(x AS type) gives an empty cell instead of an error."
            )
    return None


def load_input(
    source: str | Path,
    kind: str,
    *,
    timezone: str | None = None,
    con: ibis.BaseBackend | None = None,
) -> pd.DataFrame:
    """Validate a small input and return it as a pandas DataFrame (rows in file order).

    For inputs of thousands of rows (outages, campaigns, tickets, collection costs);
    aggregate large ones with :func:`open_input` instead. Parameters and errors are those
    of :func:`open_input`. Integer columns that may be empty load as pandas ``Int64``.
    """
    parsed = _parse(source, kind)
    if parsed.is_engine:
        on = con if parsed.in_spark else None  # a database table comes straight from its database
        table = open_engine_input(parsed, get_schema(kind), con=on, timezone=timezone or "UTC")
        return _to_pandas(table.to_pyarrow(), get_schema(kind))
    if con is not None and con.name != "duckdb":
        con = None  # a small local file comes straight from the DuckDB reader, not through Spark
    own = con is None
    con = con or connect(timezone or "UTC")
    try:
        table = open_input(source, kind, con=con, timezone=timezone)
        return _to_pandas(table.to_pyarrow(), get_schema(kind))
    finally:
        if own:
            con.disconnect()


def check_input(source: str | Path, kind: str, *, timezone: str = "UTC") -> list[str]:
    """Validate an input without loading it; return its column names.

    Raises
    ------
    InputDataError
        One sentence per problem, if the input is invalid.
    """
    parsed = _parse(source, kind)
    if parsed.is_engine:
        # checked where it lives; nothing is copied
        return list(open_engine_input(parsed, get_schema(kind), con=None, timezone=timezone).columns)
    con = connect(timezone)
    try:
        return list(open_input(source, kind, con=con, timezone=timezone).columns)
    finally:
        con.disconnect()


def source_columns(source: str | Path, kind: str, *, con: Any = None, timezone: str = "UTC") -> list[str]:
    """The columns the source itself holds, in its order: what the loaded table has before absent optional
    columns are added with their defaults (an analysis says which defaults it used).

    Reads only the header of a CSV file, the schema of a Parquet file or table. ``con`` is the
    Spark backend for Spark sources.
    """
    parsed = _parse(source, kind)
    if parsed.is_engine:
        from helpers.inputs.tables import engine_backend, raw_table

        return list(raw_table(parsed, engine_backend(parsed, con=con, timezone=timezone)).columns)
    db = duckdb.connect()
    try:
        return list(read_raw(db, parsed, text_columns={c.name for c in get_schema(kind).columns}).columns)
    finally:
        db.close()


def _open_local_elsewhere(source: Source, kind: str, *, con: Any, timezone: str) -> ibis.Table:
    """A local file for another engine (Spark): read and checked by the DuckDB reader, then staged.

    The CSV dialect handling and the row-numbered messages stay those of local files. The checked
    rows are written as Parquet (by DuckDB, streamed) to the staging folder, which Spark then reads
    itself, on a cluster from its executors: never through the driver's memory (``createDataFrame``
    of the rows, a ``LocalTableScan`` that a few million rows take past the driver's heap or
    ``spark.rpc.message.maxSize``). The staging folder is ``ITVALUE_SPARK_STAGING`` (a folder every
    executor reads, e.g. a shared mount) or a temporary folder on this machine.
    """
    local = connect(timezone)
    spec = MappedSource(source.spec, source.column_map) if source.column_map is not None else source.spec
    try:
        table = open_input(spec, kind, con=local, timezone=timezone)
        if con.name != "pyspark":
            return hand_over(table, con)
        path = staging_dir() / f"{kind}_{uuid.uuid4().hex[:12]}.parquet"
        table.to_parquet(path)
    finally:
        local.disconnect()
    try:
        return con.read_parquet(str(path))
    except KitError:  # a lost Spark engine's own sentence (helpers.inputs.spark_waits)
        raise
    except Exception as exc:  # noqa: BLE001 - Py4J's or Spark Connect's error: the kit's sentence instead
        raise InputDataError(
            f"{source.spec}: Spark could not read the staged copy at {path} ({engine_reason(exc)}); set "
            "ITVALUE_SPARK_STAGING to a folder that Spark's driver and executors can read."
        ) from None


#: Where local inputs are staged for Spark; the folder must be readable by every executor.
STAGING_VARIABLE = "ITVALUE_SPARK_STAGING"

_STAGING: list[Path] = []


def staging_dir() -> Path:
    """This process's staging folder for Spark (under ``ITVALUE_SPARK_STAGING`` if set), removed at exit."""
    if not _STAGING:
        parent = os.environ.get(STAGING_VARIABLE) or None
        if parent is not None:
            try:
                Path(parent).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputDataError(f"{STAGING_VARIABLE} ({parent}) cannot hold staged inputs: {exc.strerror}.") from None
        _STAGING.append(Path(tempfile.mkdtemp(prefix="itvalue-inputs-", dir=parent)))
        atexit.register(shutil.rmtree, _STAGING[0], True)
    return _STAGING[0]


def _parse(source: str | Path, kind: str) -> Source:
    try:
        return parse_source(source)
    except FileNotFoundError as exc:
        raise InputDataError(f"{kind} input: {exc}.".replace("..", ".")) from None


def _free_name(db: duckdb.DuckDBPyConnection, base: str) -> str:
    taken = {
        row[0]
        for row in db.execute(
            "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views()"
        ).fetchall()
    }
    n = 1
    name = base
    while name in taken or f"{name}_checked" in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def _materialise_csv(
    db: duckdb.DuckDBPyConnection, schema: Schema, raw: RawRelation, source: Source, name: str, timezone: str,
    resolved: Resolved | None = None,
) -> RawRelation:
    """Parse a CSV source once into a temporary table of checked columns; return how it was read."""
    table = quote_name(name + "_checked")
    try:
        db.execute(f"CREATE TEMP TABLE {table} AS {checked_select(schema, raw, timezone=timezone, numbered=True)}")
        return raw
    except duckdb.Error as exc:
        failing = _failing_expression(db, raw, schema, resolved)
        if failing is not None:
            raise InputDataError(failing) from None
        if "Could not convert" not in str(exc) or "_itv_" in str(exc):
            raise InputDataError(csv_problem(raw.delimiters, str(exc))) from None
    # DuckDB inferred an extra column's type from a sample that the rest of the file breaks.
    raw, schema, _ = _read(db, source, get_schema(schema.kind), all_varchar=True)
    try:
        db.execute(f"CREATE TEMP TABLE {table} AS {checked_select(schema, raw, timezone=timezone, numbered=True)}")
    except duckdb.Error as exc:
        raise InputDataError(csv_problem(raw.delimiters, str(exc))) from None
    return raw


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _to_pandas(table: pa.Table, schema: Schema) -> pd.DataFrame:
    """Arrow to pandas with dtypes fixed by the schema, not by whether this file has gaps."""
    frame = table.to_pandas()
    nullable_integers = {c.name for c in schema.columns if c.type == "integer" and c.nullable}
    for name in frame.columns:
        arrow_type = table.schema.field(name).type
        if pa.types.is_timestamp(arrow_type) and arrow_type.tz is not None:
            # Spark hands naive times over as UTC instants (its session zone is UTC): the wall clock is the UTC one.
            frame[name] = frame[name].dt.tz_convert("UTC").dt.tz_localize(None)
        elif pa.types.is_integer(arrow_type) and (name in nullable_integers or table[name].null_count):
            frame[name] = table[name].to_pandas(types_mapper={arrow_type: pd.Int64Dtype()}.get).astype("Int64")
    return frame
