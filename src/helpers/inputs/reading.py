"""Reading a source into DuckDB as raw columns: CSV dialects, Parquet files, DuckDB tables.

The result is SQL for a relation holding the file's own columns plus the file each row
came from and, when asked for, its 1-based row number within that file. Nothing is
loaded into Python: DuckDB scans the files whenever the relation is queried.

CSV files are read with DuckDB's ``read_csv``, each file of a glob with its own dialect:
the delimiter is taken from its header line (``,``, ``;`` or tab; Excel in many
European locales writes ``;``), quotes are RFC 4180 (``"``, doubled to escape), a UTF-8
byte-order mark is skipped, and quoted fields may hold newlines. The schema's columns
are read as text so that a bad value can be quoted back to the user as written; DuckDB
infers the types of extra columns. Parquet globs are read with ``union_by_name``, CSV
globs combined with ``UNION ALL BY NAME``.

Database files, however they are named (``duckdb:PATH``, ``duckdb:///PATH``, ``sqlite:///PATH``),
go through one sandbox: the file must exist (nothing is ever created at an input path), it is
opened read-only, and a DuckDB table is first bound on a connection of its own that can reach
nothing else (``enable_external_access`` off, no extension loaded or installed), so a view over
another file or a URL is refused. A SQLite file is opened by Python's ``sqlite3`` in read-only
mode (``mode=ro``: it never creates or changes the file; SQLite's views cannot read other files)
and its table is handed to DuckDB as Arrow.
"""

from __future__ import annotations

import codecs
import csv
import re
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from helpers.exceptions import InputDataError
from helpers.inputs.sources import Source

FILE_COLUMN = "__itv_file"
ROW_COLUMN = "__itv_row"
DECIMAL_COMMA_COLUMN = "__itv_decimal_comma"

_SNIFF_BYTES = 1 << 16
_NUL_CHUNK_BYTES = 1 << 20
#: The longest header line read to find the delimiter and the column names, in bytes.
_MAX_HEADER_BYTES = 1 << 20
#: The longest CSV record DuckDB reads (its ``max_line_size``, 2 MB by default, refused a 3 MB quoted comment), in bytes.
#: Raising it costs nothing measurable (the same time and memory on the sample data); a longer record is named by its row.
_MAX_RECORD_BYTES = 64 << 20
_DELIMITERS = (",", ";", "\t")
# Magic numbers of formats people save by mistake, to say what the file looks like.
_LOOKS_LIKE = (
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3", "a SQLite database"),
)


@dataclass(frozen=True)
class RawRelation:
    """A source as DuckDB reads it, before any type conversion.

    Attributes
    ----------
    name : str
        The source's short name, for messages.
    format : {"csv", "parquet", "duckdb"}
        How it is read.
    columns : dict of str to str
        The file's own columns and their DuckDB types, in file order.
    multi_file : bool
        The source is several files (messages then name the file of each row).
    decimal_comma : str
        SQL truth of "numbers in this row may use a decimal comma" (rows of
        semicolon-separated CSV files): ``true``, ``false`` or a column.
    delimiters : dict of Path to str
        Each CSV file's delimiter; empty for other formats.
    plain_sql, numbered_sql : str
        The relation's SQL without and with the row-number column (see :meth:`select`).
    """

    name: str
    format: str
    columns: dict[str, str]
    multi_file: bool
    decimal_comma: str
    delimiters: dict[Path, str]
    plain_sql: str
    numbered_sql: str

    def select(self, *, numbered: bool = False) -> str:
        """SQL of the raw relation: its columns, the file column and, if ``numbered``, the row column."""
        return self.numbered_sql if numbered else self.plain_sql


def quote_name(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def read_raw(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    *,
    text_columns: set[str],
    all_varchar: bool = False,
    missing: tuple[str, ...] = (),
    repeated_names: bool = False,
) -> RawRelation:
    """Describe how DuckDB reads ``source``; raise InputDataError if it is not a readable CSV, Parquet or DuckDB table.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection the relation will be queried on (DuckDB databases are attached to it).
    source : Source
        The parsed source.
    text_columns : set of str
        Columns to read as text from CSV files (the schema's columns).
    all_varchar : bool
        Read every CSV column as text (when DuckDB's type inference for an extra column,
        made on a sample, fails further down the file).
    missing : tuple of str
        Cell texts a CSV file writes for an empty cell (``?``, ``NULL``; a profile's ``missing``),
        read as empty by the CSV reader, so that they do not stop a column being read as numbers.
    repeated_names : bool
        A CSV header may name a column more than once (Jira writes one ``Labels`` per label): the
        copies are read as ``Labels_1``, ``Labels_2``. Without a column map, a repeated name is refused,
        since the kit could not tell which column is meant.
    """
    if source.is_duckdb and source.database == "sqlite":
        return _read_sqlite(con, source)
    if source.is_duckdb:
        return _read_duckdb(con, source)
    formats = {path: _file_format(path) for path in source.paths}
    kinds = set(formats.values())
    if len(kinds) > 1:
        raise InputDataError(f"{source.name}: mixes CSV and Parquet files; use one format per input.")
    if kinds == {"parquet"}:
        return _read_parquet(con, source)
    return _read_csv(con, source, text_columns, all_varchar, missing, repeated_names)


# --- file format -------------------------------------------------------------------------

def _file_format(path: Path) -> str:
    """``parquet`` or ``csv`` from the file's first bytes (not its name); InputDataError otherwise."""
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return "parquet"
    if path.suffix.lower() in (".parquet", ".pq"):
        raise InputDataError(f"{path.name} is not a Parquet file (it does not start with the Parquet signature).")
    if not head:
        raise InputDataError(f"{path.name} is empty: it has no header row.")
    for magic, looks_like in _LOOKS_LIKE:
        if head.startswith(magic):
            raise InputDataError(f"{path.name} is not a CSV or Parquet file; it looks like {looks_like}.")
    if head[8:12] == b"DUCK":
        raise InputDataError(
            f"{path.name} is a DuckDB database, not a CSV or Parquet file; name a table as duckdb:{path.name}?table=NAME."
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" and some exports: text, but UTF-16.
        raise InputDataError(f"{path.name} is UTF-16 text, not UTF-8; save it as 'CSV UTF-8'.")
    if b"\x00" in head:
        raise InputDataError(f"{path.name} is not a CSV or Parquet file; it holds binary data.")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        raise InputDataError(f"{path.name} is not UTF-8 text; save it as 'CSV UTF-8'.") from None
    _refuse_nul_bytes(path)
    return "csv"


def _refuse_nul_bytes(path: Path) -> None:
    """Raise InputDataError if a NUL byte is anywhere in the file (read in chunks, never whole).

    DuckDB reads a NUL inside a CSV field as part of the text; no CSV a person or a tool
    writes holds one, so it is binary data or a damaged file, wherever it is.
    """
    offset = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_NUL_CHUNK_BYTES):
            at = chunk.find(b"\x00")
            if at >= 0:
                raise InputDataError(
                    f"{path.name} is not a CSV file: it holds a NUL byte (binary data) at byte {offset + at + 1:,}."
                )
            offset += len(chunk)


# --- CSV -----------------------------------------------------------------------------------

@contextmanager
def csv_fields_of_any_length() -> Iterator[None]:
    """Lift Python's csv field limit (131,072 characters) for the ``with`` block; DuckDB has none."""
    before = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _header(path: Path) -> tuple[str, list[str]]:
    """The delimiter and the column names, from the header line."""
    with path.open("r", encoding="utf-8-sig", newline="", errors="replace") as fh:
        first_line = fh.readline(_MAX_HEADER_BYTES + 1)
    if len(first_line) > _MAX_HEADER_BYTES:
        raise InputDataError(f"{path.name}: the header line is longer than 1 MB; is this a CSV file with a header row?")
    with csv_fields_of_any_length():
        best = max(_DELIMITERS, key=lambda d: len(next(csv.reader([first_line], delimiter=d), [])))
        names = next(csv.reader([first_line], delimiter=best), [])
    # DuckDB trims spaces around header names; so must the names given to it.
    return best, [name.strip() for name in names]


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    text_columns: set[str],
    all_varchar: bool,
    missing: tuple[str, ...] = (),
    repeated_names: bool = False,
) -> RawRelation:
    # Each file is read with its own dialect (monthly exports may come from different
    # locales) and numbered on its own, then the files are combined by column name.
    delimiters = {}
    plain, numbered = [], []
    for path in source.paths:
        delimiter, names = _header(path)
        delimiters[path] = delimiter
        # Blank names may repeat (a survey tool's multi-answer question): DuckDB numbers them column1, column2...
        repeated = sorted({name for name in names if name and names.count(name) > 1})
        if repeated and not repeated_names:
            raise InputDataError(
                f"{path.name}: the header names column '{repeated[0]}' more than once; each column needs its own name."
            )
        options = [
            "header = true",
            f"delim = {quote_text(delimiter)}",
            "quote = '\"'",
            "escape = '\"'",
            f"max_line_size = {_MAX_RECORD_BYTES}",
            # DuckDB's buffer would otherwise be 16 records long (1 GiB), more than an analysis that holds DuckDB
            # to 1 GB can allocate (DuckDB 1.5.0 refused the service-outcome sample so).
            f"buffer_size = {2 * _MAX_RECORD_BYTES}",
            f"filename = {quote_text(FILE_COLUMN)}",
        ]
        if missing:
            options.append("nullstr = [" + ", ".join(quote_text(w) for w in ("", *missing)) + "]")
        text = [c for c in names if c in text_columns]
        if all_varchar:
            options.append("all_varchar = true")
        elif text:
            options.append("types = {" + ", ".join(f"{quote_text(c)}: 'VARCHAR'" for c in text) + "}")
        relation = f"read_csv({quote_text(path)}, {', '.join(options)})"
        try:
            con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        except duckdb.Error as exc:
            raise InputDataError(csv_problem({path: delimiter}, str(exc))) from None
        comma = f", {'true' if delimiter == ';' else 'false'} AS {DECIMAL_COMMA_COLUMN}"
        plain.append(f"SELECT *{comma} FROM {relation}")
        # A streaming row_number() over one file's scan follows the file's record order.
        numbered.append(f"SELECT *{comma}, row_number() OVER () AS {ROW_COLUMN} FROM {relation}")
    union_plain = " UNION ALL BY NAME ".join(f"({q})" for q in plain)
    union_numbered = " UNION ALL BY NAME ".join(f"({q})" for q in numbered)
    described = con.execute(f"DESCRIBE {union_plain}").fetchall()
    columns = {name: typ for name, typ, *_ in described if not name.startswith("__itv_")}
    semicolons = {d == ";" for d in delimiters.values()}
    decimal_comma = quote_name(DECIMAL_COMMA_COLUMN) if len(semicolons) > 1 else ("true" if True in semicolons else "false")
    return RawRelation(
        name=source.name,
        format="csv",
        columns=columns,
        multi_file=len(source.paths) > 1,
        decimal_comma=decimal_comma,
        delimiters=delimiters,
        plain_sql=union_plain,
        numbered_sql=union_numbered,
    )


def csv_problem(delimiters: dict[Path, str], duckdb_message: str) -> str:
    """One sentence for a CSV file DuckDB could not read.

    ``delimiters`` maps each file of the source to its delimiter; the message names the
    file DuckDB complained about (or the first file).
    """
    named = [p for p in delimiters if str(p) in duckdb_message or p.name in duckdb_message]
    path = named[0] if named else next(iter(delimiters))
    if "invalid unicode" in duckdb_message.lower():
        return f"{path.name} is not UTF-8 text; save it as 'CSV UTF-8'."
    delimiter = delimiters[path]
    ragged = _first_ragged_row(path, delimiter)
    if ragged:
        row, fields, expected = ragged
        shown = "tab" if delimiter == "\t" else repr(delimiter)
        return (
            f"{path.name}: row {row} has {fields} fields but the header has {expected} "
            f"(fields are separated by {shown}); is a quote missing?"
        )
    if "maximum line size" in duckdb_message.lower():
        # DuckDB numbers the line within its buffer (a long record in row 5 was "line 1"): found here by record.
        row, size = _longest_record(path, delimiter)
        return (
            f"{path.name}: row {row} is {size / (1 << 20):,.1f} MB long, more than the {_MAX_RECORD_BYTES >> 20} MB "
            "a record may hold; shorten its longest field."
        )
    return f"{path.name} is not a readable CSV file: {_duckdb_csv_reason(duckdb_message)}"


def _duckdb_csv_reason(message: str) -> str:
    """DuckDB's CSV error in one line: where, the line as written, and why."""
    lines = [line.strip() for line in message.strip().splitlines()]
    where = re.search(r"CSV Error on Line: (\d+)", message)
    original = next((line[len("Original Line: "):] for line in lines if line.startswith("Original Line: ")), None)
    if where and original is not None:
        after = lines[lines.index(f"Original Line: {original}") + 1:]
        reason = next((line for line in after if line and not line.startswith("Possible")), "")
        shown = original if len(original) <= 60 else original[:57] + "..."
        reason = reason[:1].lower() + reason[1:].rstrip(".")
        return f"line {where.group(1)} ({shown}): {reason}."
    first = lines[0] if lines else "unknown error"
    return re.sub(r"^[A-Za-z ]*Error: ", "", first)


def _error_file(source: Source, message: str) -> str:
    for path in source.paths:
        if path.name in message:
            return path.name
    return source.name


def _longest_record(path: Path, delimiter: str) -> tuple[int, int]:
    """The first data row longer than a record may be, else the longest: (row, its size in bytes as written)."""
    longest = (0, 0)
    with path.open("r", encoding="utf-8-sig", newline="", errors="replace") as fh, csv_fields_of_any_length():
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
        next(reader, None)
        for row_number, record in enumerate(reader, start=1):
            # the fields and their delimiters: the quotes around them are left out (a few bytes)
            size = sum(len(field.encode("utf-8")) for field in record) + max(len(record) - 1, 0)
            if size > _MAX_RECORD_BYTES:
                return row_number, size
            longest = max(longest, (size, row_number))
    return longest[1], longest[0]


def _first_ragged_row(path: Path, delimiter: str) -> tuple[int, int, int] | None:
    """The first data row whose field count differs from the header's: (row, fields, header fields)."""
    with path.open("r", encoding="utf-8-sig", newline="", errors="replace") as fh, csv_fields_of_any_length():
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
        header = next(reader, [])
        for row_number, record in enumerate(reader, start=1):
            if record and len(record) != len(header):
                return row_number, len(record), len(header)
    return None


# --- Parquet -------------------------------------------------------------------------------

def _read_parquet(con: duckdb.DuckDBPyConnection, source: Source) -> RawRelation:
    files = "[" + ", ".join(quote_text(p) for p in source.paths) + "]"
    relation = f"read_parquet({files}, union_by_name = true, filename = {quote_text(FILE_COLUMN)})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputDataError(
            f"{_error_file(source, str(exc))} is not a readable Parquet file: {re.sub(r'^[A-Za-z ]*Error: ', '', first)}"
        ) from None
    columns = {name: typ for name, typ, *_ in described if name != FILE_COLUMN}
    return RawRelation(
        name=source.name,
        format="parquet",
        columns=columns,
        multi_file=len(source.paths) > 1,
        decimal_comma="false",
        delimiters={},
        plain_sql=f"SELECT * FROM {relation}",
        numbered_sql=f"SELECT *, file_row_number + 1 AS {ROW_COLUMN} FROM {relation}",
    )


# --- DuckDB --------------------------------------------------------------------------------

def _read_duckdb(con: duckdb.DuckDBPyConnection, source: Source) -> RawRelation:
    path = source.paths[0]
    alias = _attach(con, path)
    schema, _, table = source.table.rpartition(".")
    schema = schema or "main"
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
        "UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal",
        [alias, alias],
    ).fetchall()
    if (schema, table) not in tables:
        names = sorted(t if s == "main" else f"{s}.{t}" for s, t in tables)
        found = ", ".join(names) if names else "none"
        raise InputDataError(f"{path.name} has no table '{source.table}' (tables found: {found}).")
    _refuse_outside_reads(path, schema, table)
    relation = f"{quote_name(alias)}.{quote_name(schema)}.{quote_name(table)}"
    columns = {
        name: typ
        for name, typ, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    }
    label = quote_text(source.name)
    return RawRelation(
        name=source.name,
        format="duckdb",
        columns=columns,
        multi_file=False,
        decimal_comma="false",
        delimiters={},
        plain_sql=f"SELECT *, {label} AS {FILE_COLUMN} FROM {relation}",
        numbered_sql=f"SELECT *, {label} AS {FILE_COLUMN}, row_number() OVER () AS {ROW_COLUMN} FROM {relation}",
    )


def _refuse_outside_reads(path: Path, schema: str, table: str) -> None:
    """Raise InputDataError if reading the table reaches beyond its database file.

    A view can read any local file or URL (``read_text('/etc/passwd')``). The table is bound
    once on a connection of its own that may open nothing but this database (external access
    off, the file attached read-only): a view that reads anything else fails there.
    """
    sandbox = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        sandbox.execute(f"ATTACH {quote_text(path)} AS sandboxed (READ_ONLY)")
    except duckdb.Error:
        sandbox.close()
        raise InputDataError(f"{path.name} is not a readable DuckDB database.") from None
    try:
        sandbox.execute("SET enable_external_access = false")
        sandbox.execute("SET lock_configuration = true")
        sandbox.execute(f"DESCRIBE SELECT * FROM sandboxed.{quote_name(schema)}.{quote_name(table)}").fetchall()
    except duckdb.Error:
        raise InputDataError(
            f"{path.name}: '{table}' is a view that reads outside the database (another file, database or URL); "
            "give a table, or a view over tables of this database."
        ) from None
    finally:
        sandbox.close()


def _attach(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Attach a database file read-only (once per connection) and return its alias."""
    for alias, attached in con.execute("SELECT database_name, path FROM duckdb_databases()").fetchall():
        if attached and Path(attached).resolve() == path.resolve():
            return alias
    taken = {row[0] for row in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    alias = next(f"itv_db_{n}" for n in range(1, len(taken) + 2) if f"itv_db_{n}" not in taken)
    try:
        con.execute(f"ATTACH {quote_text(path)} AS {quote_name(alias)} (READ_ONLY)")
    except duckdb.Error as exc:
        message = str(exc)
        if "lock" in message.lower():
            raise InputDataError(f"{path.name} is open for writing in another program; close it and retry.") from None
        raise InputDataError(f"{path.name} is not a readable DuckDB database.") from None
    return alias


# --- SQLite ----------------------------------------------------------------------------------

def _read_sqlite(con: duckdb.DuckDBPyConnection, source: Source) -> RawRelation:
    """A SQLite table read read-only by Python's sqlite3 and registered in DuckDB as Arrow (SQLite inputs are small)."""
    import pyarrow as pa

    path = source.paths[0]
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        raise InputDataError(f"{path.name} is not a readable SQLite database.") from None
    try:
        try:
            names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        except sqlite3.DatabaseError:
            raise InputDataError(f"{path.name} is not a readable SQLite database.") from None
        if source.table not in names:
            found = ", ".join(sorted(names)) or "none"
            raise InputDataError(f"{path.name} has no table '{source.table}' (tables found: {found}).")
        try:
            cursor = db.execute(f"SELECT * FROM {quote_name(source.table)}")
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise InputDataError(f"{source.name} could not be read: {exc}.") from None
    finally:
        db.close()
    # Every cell as text: SQLite's columns have no fixed type; the schema converts them as it does CSV cells.
    table = pa.table({name: pa.array([None if r[i] is None else str(r[i]) for r in rows], pa.string())
                      for i, name in enumerate(columns)})
    name = f"itv_sqlite_{uuid.uuid4().hex[:12]}"
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE TEMP TABLE {quote_name(name)} AS SELECT * FROM {quote_name(name + '_arrow')}")
    con.unregister(f"{name}_arrow")
    relation = quote_name(name)
    label = quote_text(source.name)
    return RawRelation(
        name=source.name,
        format="duckdb",
        columns={c: "VARCHAR" for c in columns},
        multi_file=False,
        decimal_comma="false",
        delimiters={},
        plain_sql=f"SELECT *, {label} AS {FILE_COLUMN} FROM {relation}",
        numbered_sql=f"SELECT *, {label} AS {FILE_COLUMN}, row_number() OVER () AS {ROW_COLUMN} FROM {relation}",
    )
