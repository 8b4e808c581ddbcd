"""Where things are: every path of the kit hangs off the project root.

Notebooks and the runner never hard-code paths, so they behave the same whether
Jupyter was started in ``notebooks/`` or at the project root.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "DATA_DIR",
    "SAMPLE_DATA_DIR",
    "NOTEBOOKS_DIR",
    "PARAMS_DIR",
    "REPORTS_DIR",
    "resolve_path",
]

# src/helpers/paths.py -> parents[2] is the project root.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DATA_DIR = DATA_DIR / "sample"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
REPORTS_DIR = PROJECT_ROOT / "reports"


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
    return (PROJECT_ROOT / path).resolve()


def _is_glob(path: Path) -> bool:
    return any(ch in str(path) for ch in "*?[")
