"""What a run records about itself in ``run.json``: versions, commit, input fingerprints.

A file is fingerprinted by its size and sha256. A table in an engine cannot be hashed
cheaply, so it is fingerprinted by what can be known cheaply (its row count and newest
timestamp); its source is recorded with any secret removed.
"""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from helpers.inputs.sources import parse_source, redacted
from helpers.paths import find_project_root

__all__ = ["kit_version", "package_versions", "git_commit", "input_fingerprints"]

_PACKAGES = (
    "itvalue", "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib",
    "papermill", "nbconvert", "duckdb", "ibis-framework", "pyarrow", "pydantic", "pyspark", "psycopg",
)


def kit_version() -> str:
    try:
        return metadata.version("itvalue")
    except metadata.PackageNotFoundError:
        return "unknown"


def package_versions() -> dict[str, str]:
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_commit() -> dict[str, Any] | None:
    """The project's commit and whether the tree had uncommitted changes; None outside a git checkout."""
    root = find_project_root()
    if root is None:
        return None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_fingerprints(inputs: dict[str, tuple[str, str]], *, timezone: str = "UTC") -> dict[str, Any]:
    """Size and sha256 of every file behind each input parameter; row count and newest timestamp of a table.

    Parameters
    ----------
    inputs : mapping
        ``{parameter: (kind, source)}`` as ``NotebookParameters.inputs()`` gives it.
    timezone : str
        The analysis time zone (a table's newest timestamp is given in it).
    """
    fingerprints = {}
    for name, (kind, spec) in inputs.items():
        source = parse_source(spec)
        # How its columns were read: the map and the profile (with its file's sha256), when one was given.
        column_map = source.column_map.record() if source.column_map is not None else {}
        if source.is_engine:
            fingerprints[name] = {"kind": kind, "source": redacted(spec), **column_map,
                                  "table": _table_facts(source, kind, timezone)}
            continue
        fingerprints[name] = {
            "kind": kind,
            "source": redacted(spec),
            **column_map,
            "files": [
                {"path": str(p), "bytes": p.stat().st_size, "sha256": _sha256(p)} for p in source.paths
            ],
        }
    return fingerprints


def _table_facts(source: Any, kind: str, timezone: str) -> dict[str, Any] | None:
    """Row count and newest timestamp of a database table; None for Spark sources (read only in the kernel)."""
    if source.in_spark:
        return None
    from helpers.inputs.tables import table_fingerprint  # Ibis loads only for runs that read tables

    return table_fingerprint(source, kind, timezone=timezone)
