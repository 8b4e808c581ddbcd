"""Where things are: every path of a project hangs off its root.

The project root is found as git finds its repository: the working directory or
the nearest folder above it that holds an ``itvalue.toml`` or both ``notebooks/``
and ``params/``. ``ITVALUE_PROJECT`` names it explicitly (for cron). So notebooks,
the runner and the command line behave the same whether Jupyter was started in
``notebooks/`` or at the root, in this repository or in a folder made by
``itvalue init``.

``PROJECT_ROOT``, ``DATA_DIR``, ``SAMPLE_DATA_DIR``, ``NOTEBOOKS_DIR``,
``PARAMS_DIR`` and ``REPORTS_DIR`` are computed when first read; outside a
project reading them raises :class:`NotInProject`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from helpers.exceptions import KitError

# Also public, computed when read (module __getattr__): PROJECT_ROOT, DATA_DIR, SAMPLE_DATA_DIR,
# NOTEBOOKS_DIR, PARAMS_DIR, REPORTS_DIR.
__all__ = [
    "MARKER_FILE",
    "NotInProject",
    "find_project_root",
    "is_project_root",
    "project_root",
    "project_settings",
    "resolve_path",
]

MARKER_FILE = "itvalue.toml"
_UNDER_ROOT = {
    "PROJECT_ROOT": (),
    "DATA_DIR": ("data",),
    "SAMPLE_DATA_DIR": ("data", "sample"),
    "NOTEBOOKS_DIR": ("notebooks",),
    "PARAMS_DIR": ("params",),
    "REPORTS_DIR": ("reports",),
}


class NotInProject(KitError):
    """The working directory is not inside an itvalue project."""


def is_project_root(folder: Path) -> bool:
    """Whether ``folder`` is a project root: an ``itvalue.toml``, or ``notebooks/`` and ``params/`` side by side."""
    return (folder / MARKER_FILE).is_file() or ((folder / "notebooks").is_dir() and (folder / "params").is_dir())


def find_project_root(start: str | Path | None = None) -> Path | None:
    """The project holding ``start`` (default: ``ITVALUE_PROJECT``, else the working directory); None outside one."""
    if start is None and os.environ.get("ITVALUE_PROJECT"):
        explicit = Path(os.environ["ITVALUE_PROJECT"]).expanduser().resolve()
        return explicit if is_project_root(explicit) else None
    here = Path(start if start is not None else Path.cwd()).expanduser().resolve()
    return next((folder for folder in (here, *here.parents) if is_project_root(folder)), None)


def project_root() -> Path:
    """The current project's root; raises NotInProject (one sentence, exit 2) outside one."""
    root = find_project_root()
    if root is None:
        where = os.environ.get("ITVALUE_PROJECT") or Path.cwd()
        raise NotInProject(
            f"{where} is not inside an itvalue project (no notebooks/ and params/ in it or above it); "
            "create one with 'itvalue init DIR' and run from there."
        )
    return root


def project_settings(table: str, root: Path | None = None) -> dict[str, Any]:
    """The ``[table]`` of the project's ``itvalue.toml`` (default: the current project's); empty where absent.

    The one reader of the file: the runner's ``[run]`` and the privacy rules' ``[privacy]`` both come
    through here, so a broken file is the same sentence (naming it) wherever it is read.
    """
    import tomllib

    from helpers.exceptions import ParameterError

    root = root if root is not None else find_project_root()
    path = root / MARKER_FILE if root is not None else None
    if path is None or not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ParameterError(f"{path}: not valid TOML ({exc}).") from None
    found = data.get(table, {})
    if not isinstance(found, dict):
        raise ParameterError(f"{path}: '{table}' must be a table ([{table}]).")
    return found


def __getattr__(name: str) -> Path:
    if name in _UNDER_ROOT:
        return project_root().joinpath(*_UNDER_ROOT[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def resolve_path(path: str | Path) -> Path:
    """Resolve a user-given relative path: the working directory first, then the project root.

    Parameter files say ``data/sample/sales.parquet``; that must work from the
    project root, from ``notebooks/`` (where the kernel runs) and from cron.
    """
    path = Path(path).expanduser()
    if path.is_absolute():
        return path
    here = Path.cwd() / path
    if here.exists() or (_is_glob(path) and next(Path.cwd().glob(str(path)), None)):
        return here.resolve()
    root = find_project_root()
    return (root / path).resolve() if root is not None else here.resolve()


def _is_glob(path: Path) -> bool:
    return any(ch in str(path) for ch in "*?[")
