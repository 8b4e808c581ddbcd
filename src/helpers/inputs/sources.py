"""What an input source string means: a file, a glob of files, or a DuckDB table.

Forms (documented in ``data/README.md``):

- ``data/sample/sales.parquet`` or ``exports/sales.csv``: one CSV or Parquet file;
- ``data/raw/sales/2025-*.parquet``: a glob of files of one format;
- ``duckdb:data/warehouse.duckdb?table=sales``: a table in a DuckDB database file.

Relative paths are resolved against the working directory, then the project root.
"""

from __future__ import annotations

import glob as _glob
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from helpers.paths import resolve_path

__all__ = ["Source", "parse_source", "require_file", "source_name"]

_GLOB_CHARS = "*?["


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
        The table name, for a DuckDB database; None for files.
    """

    spec: str
    paths: tuple[Path, ...]
    table: str | None = None

    @property
    def name(self) -> str:
        """Short name for messages: the file name, the glob, or ``db.duckdb:table``."""
        if self.table is not None:
            return f"{self.paths[0].name}:{self.table}"
        if len(self.paths) == 1 and not any(c in self.spec for c in _GLOB_CHARS):
            return self.paths[0].name
        return self.spec

    @property
    def is_duckdb(self) -> bool:
        return self.table is not None

    @property
    def format(self) -> str:
        """``duckdb``, ``parquet`` or ``csv`` (anything else is read as CSV and fails there if it is not)."""
        if self.is_duckdb:
            return "duckdb"
        suffixes = {p.suffix.lower() for p in self.paths}
        return "parquet" if suffixes <= {".parquet", ".pq"} else "csv"


def parse_source(spec: str | Path) -> Source:
    """Parse a source string; raise ``FileNotFoundError`` (with a one-line message) if nothing is there.

    Examples
    --------
    >>> parse_source("duckdb:data/sample/warehouse.duckdb?table=sales")  # doctest: +SKIP
    """
    text = str(spec).strip()
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
