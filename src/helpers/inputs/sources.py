"""What an input source string means: a file, a glob of files, a DuckDB table, or a table an engine holds.

Forms (documented in ``data/README.md``):

- ``data/sample/sales.parquet`` or ``exports/sales.csv``: one CSV or Parquet file;
- ``data/raw/sales/2025-*.parquet``: a glob of files of one format;
- ``duckdb:data/warehouse.duckdb?table=sales``: a table in a DuckDB database file;
- ``postgres://reporting@db.internal:5432/itsm?table=tickets``: a table in any database
  Ibis connects to by URL. The URL holds no password: the backend's own mechanisms supply it
  (``PGPASSWORD``, ``~/.pgpass``, cloud credentials);
- ``spark:db.table``: a table in the Spark catalog (with ``engine: pyspark``);
- ``s3a://bucket/sales/*.parquet``, ``hdfs://...``: files Spark reads (with ``engine: pyspark``).

Relative paths are resolved against the working directory, then the project root.
"""

from __future__ import annotations

import glob as _glob
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from helpers.paths import resolve_path

__all__ = ["Source", "parse_source", "source_name", "redacted", "require_file"]

_GLOB_CHARS = "*?["
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
#: URL schemes that name files Spark reads, not a database.
SPARK_FILE_SCHEMES = ("s3a", "s3", "s3n", "hdfs", "gs", "abfs", "abfss", "wasbs", "dbfs")


@dataclass(frozen=True)
class Source:
    """A parsed input source.

    Attributes
    ----------
    spec : str
        The source as the user wrote it (used in messages).
    paths : tuple of Path
        The files it covers (one for a file or a DuckDB database; the matches of a glob).
    table : str or None
        The table name, for a DuckDB database or an engine table; None for files.
    location : str or None
        Where an engine holds it: the connection URL without its ``table`` query (and
        without any secret), ``spark`` for the Spark catalog, or the URL of files Spark
        reads; None for local files and DuckDB databases.
    column_map : helpers.inputs.maps.ColumnMap or None
        How its columns are read (a column map or a profile), when the source string carried
        one (:class:`helpers.inputs.maps.MappedSource`, what an input parameter holds).
    """

    spec: str
    paths: tuple[Path, ...]
    table: str | None = None
    location: str | None = None
    column_map: Any = field(default=None, compare=False)

    @property
    def is_engine(self) -> bool:
        """The data is in an engine (a database, Spark), not in local files DuckDB reads."""
        return self.location is not None

    @property
    def in_spark(self) -> bool:
        """Only a Spark session can read it: a Spark catalog table or files at an s3a://, hdfs://... URL."""
        return self.location == "spark" or (self.is_engine and self.table is None)

    @property
    def name(self) -> str:
        """Short name for messages: the file name, the glob, ``db.duckdb:table``, the table or the URL."""
        if self.is_engine:
            return self.table or self.spec
        if self.table is not None:
            return f"{self.paths[0].name}:{self.table}"
        if len(self.paths) == 1 and not any(c in self.spec for c in _GLOB_CHARS):
            return self.paths[0].name
        return self.spec

    @property
    def is_duckdb(self) -> bool:
        return self.table is not None and not self.is_engine

    @property
    def format(self) -> str:
        """``duckdb``, ``table``, ``parquet`` or ``csv`` (anything else is read as CSV and fails there if it is not)."""
        if self.is_duckdb:
            return "duckdb"
        if self.is_engine and self.table is not None:
            return "table"
        if self.is_engine:
            return "parquet" if self.location.lower().rstrip("/").endswith((".parquet", ".pq")) else "csv"
        suffixes = {p.suffix.lower() for p in self.paths}
        return "parquet" if suffixes <= {".parquet", ".pq"} else "csv"


def parse_source(spec: str | Path) -> Source:
    """Parse a source string; raise ``FileNotFoundError`` (with a one-line message) if nothing is there.

    Examples
    --------
    >>> parse_source("duckdb:data/sample/warehouse.duckdb?table=sales")  # doctest: +SKIP
    """
    column_map = getattr(spec, "column_map", None)
    source = _parse(str(spec).strip())
    return replace(source, column_map=column_map) if column_map is not None else source


def _parse(text: str) -> Source:
    if text.startswith("spark:") and not text.startswith("spark://"):
        table = text[len("spark:"):]
        if not table:
            raise FileNotFoundError(f"{text}: a Spark source names a catalog table, e.g. spark:sales_db.orders")
        return Source(text, (), table, location="spark")
    if _URL.match(text) and not text.lower().startswith("file://"):
        return _engine_source(text)
    if text.startswith("duckdb:"):
        rest = text[len("duckdb:"):]
        file_part, _, query = rest.partition("?")
        table = parse_qs(query).get("table", [""])[0]
        if not table:
            raise FileNotFoundError(f"{text}: a DuckDB source needs '?table=NAME'")
        path = resolve_path(file_part)
        require_file(path, file_part, "database file")
        return Source(text, (path,), table)
    if any(c in text for c in _GLOB_CHARS):
        pattern = resolve_path(text)
        matches = tuple(sorted(Path(p) for p in _glob.glob(str(pattern)) if Path(p).is_file()))
        if not matches:
            raise FileNotFoundError(f"no file matches {text}")
        return Source(text, matches)
    path = resolve_path(text)
    require_file(path, text)
    return Source(text, (path,))


def _engine_source(text: str) -> Source:
    parts = urlsplit(text)
    if parts.password:
        raise FileNotFoundError(
            f"{redacted(text)}: the URL must not hold a password; give it through the database's own "
            "mechanism (PGPASSWORD, ~/.pgpass, cloud credentials)"
        )
    scheme = parts.scheme.lower()
    query = parse_qs(parts.query)
    table = query.pop("table", [""])[0]
    if scheme in SPARK_FILE_SCHEMES:
        return Source(text, (), None, location=text)
    if not table:
        raise FileNotFoundError(f"{text}: a database source needs '?table=NAME'")
    rest = "&".join(f"{key}={value}" for key, values in query.items() for value in values)
    return Source(text, (), table, location=urlunsplit((parts.scheme, parts.netloc, parts.path, rest, "")))


def redacted(spec: str) -> str:
    """The source with any password in a URL replaced by ``***`` (what run.json and messages show)."""
    parts = urlsplit(spec) if _URL.match(spec) else None
    if parts is None or parts.password is None:
        return spec
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def require_file(path: Path, shown: str, what: str = "file") -> None:
    """Raise FileNotFoundError saying what ``path`` is when it is not a regular file.

    Only ``stat`` is used: opening a named pipe to look at it would wait for a writer forever.
    """
    if not shown.strip():
        raise FileNotFoundError(f"no {what} given (the path is empty)")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} not found: {shown}") from None
    except OSError as exc:
        raise FileNotFoundError(f"{shown} cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        kind = "a folder"
    elif stat.S_ISFIFO(mode):
        kind = "a named pipe"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    else:
        kind = "a device or other special file"
    raise FileNotFoundError(f"{shown} is {kind}, not a {what}")


def source_name(spec: str | Path | None) -> str | None:
    """The input's name as every data message gives it (file name, glob, or ``db.duckdb:table``); None for none."""
    return parse_source(spec).name if spec else None
