"""``itvalue init DIR``: a project of one's own, laid out like the kit's repository.

The notebooks, parameter sets and sample data ship inside the package
(``helpers/project_template/``, mapped from this repository's own ``notebooks/``,
``params/`` and ``data/`` by ``pyproject.toml``: one copy, no duplicate to drift).
In a development checkout they are read where they are.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from helpers.exceptions import KitError
from helpers.paths import MARKER_FILE, is_project_root

__all__ = ["PROJECT_PARTS", "init_project", "template_root"]

#: What a new project gets from the template: folders and files under the project root.
PROJECT_PARTS = ("notebooks", "params", "data/sample", "data/README.md")

_MARKER_TEXT = """\
# Marks this folder as an itvalue project: `itvalue list`, `describe` and `run` work anywhere below it.
# Reports go to reports/ (ignored by git); parameter sets are params/<notebook>/*.yml.

# Settings of scheduled runs (the command line's --keep and --notify win over these):
# [run]
# keep = 30                                  # runs kept in each set's history (always with its last good run)
# notify = ["mailto:it-reports@example.com"] # or a webhook https://...; on failure, and on recovery after one
"""
_GITIGNORE = "reports/\n.ipynb_checkpoints/\n__pycache__/\n"


def template_root() -> Path:
    """The folder holding the shipped ``notebooks/``, ``params/`` and ``data/``."""
    package = Path(__file__).resolve().parents[1]
    shipped = package / "project_template"
    if (shipped / "notebooks").is_dir():
        return shipped
    checkout = package.parents[1]  # src/helpers -> the repository, in an editable install
    if is_project_root(checkout):
        return checkout
    raise KitError(f"The project template is missing from this installation ({shipped}); reinstall itvalue.")


def init_project(target: str | Path) -> Path:
    """Lay out a new project in ``target`` (created; must not exist or be empty) and return its path.

    The project gets ``notebooks/``, ``params/``, ``data/`` with the sample data,
    an empty ``reports/`` that git ignores, and an ``itvalue.toml`` marker. It is laid out in a
    hidden sibling folder renamed to ``target`` at the end, so a copy that fails part way (a full
    disk) leaves nothing behind and ``itvalue init`` can simply be run again.

    Raises
    ------
    KitError
        ``target`` is taken, or the copy failed (one sentence; nothing is left of it).
    """
    target = Path(target).expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise KitError(f"{target} already exists and is not an empty folder; choose a new one.")
    source = template_root()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    except OSError as exc:
        raise KitError(f"Cannot create {target}: {_reason(exc)}.") from None
    try:
        _lay_out(source, staging)
        # rename(2) replaces an empty folder and nothing else: a target filled meanwhile is not overwritten.
        staging.replace(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise KitError(f"Cannot create the project in {target}: {_reason(exc)}; nothing was left behind.") from None
    return target


def _lay_out(source: Path, root: Path) -> None:
    for part in PROJECT_PARTS:
        origin = source / part
        if origin.is_dir():
            shutil.copytree(origin, root / part, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            (root / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, root / part)
    (root / "reports").mkdir()
    (root / MARKER_FILE).write_text(_MARKER_TEXT, encoding="utf-8")
    (root / ".gitignore").write_text(_GITIGNORE, encoding="utf-8")
    root.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a project folder is as any folder the user makes


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _reason(exc: OSError) -> str:
    """An OS error in words: copytree's collected errors (a list of tuples) become the first one's reason."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        first = exc.args[0][0]
        why = str(first[-1]) if isinstance(first, tuple) else str(first)
        # "[Errno 28] No space left on device: '/x/.demo.partial/data/...'": the reason, not the folder that is gone
        return re.sub(r"^\[Errno \d+\] ([^:]+).*$", r"\1", why).rstrip(".")
    return (exc.strerror or str(exc)).rstrip(".")
