"""A parameter set's latest good run, switched in one step.

Layout under ``<out>/<notebook>/<param_set>/``::

    latest -> history/<run_id>              # a relative symbolic link, swapped with rename
    report.html -> latest/report.html       # and notebook.ipynb, results.json, run.json
    history/<run_id>/...                    # every run, as written

The four top-level names are fixed links through ``latest``; publishing a run writes a new
link beside ``latest`` and renames it over it. A rename is atomic, so a reader (a browser, the
index, a crash at any instant) sees the four files of one run or of the next, never a mix.
Sets written before this layout hold four copied files; the first publish turns them into
links while ``latest`` still names the run they came from, and only then switches it.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
from pathlib import Path

from helpers.running.files import replace_atomically

__all__ = ["LATEST", "RUN_FILES", "latest_run", "next_sequence", "prune", "publish"]

RUN_FILES = ("report.html", "notebook.ipynb", "results.json", "run.json")
LATEST = "latest"


def publish(run_dir: Path, set_dir: Path) -> None:
    """Make ``run_dir`` (a folder under ``set_dir/history``) the set's latest good run.

    The caller holds the set's lock. Each step leaves the set whole: links are replaced by rename.
    Where the file system or the OS allows no symbolic links (Windows without developer mode),
    the four files are copied over one by one instead, as before ``latest`` existed.
    """
    if not _links_work(set_dir):
        for name in RUN_FILES:
            replace_atomically(run_dir / name, set_dir / name)
        return
    _adopt_copied_files(set_dir)
    _link(set_dir / LATEST, Path("history") / run_dir.name)
    for name in RUN_FILES:
        _ensure_link(set_dir / name, Path(LATEST) / name)
    _fsync_folder(set_dir)


def latest_run(set_dir: Path) -> Path | None:
    """The run folder ``latest`` names, if it holds a whole run; else None."""
    link = set_dir / LATEST
    if not link.is_symlink():
        return None
    target = (set_dir / os.readlink(link)).resolve()
    return target if all((target / name).is_file() for name in RUN_FILES) else None


def next_sequence(set_dir: Path) -> int:
    """One more than the highest ``sequence`` of the set's finished runs (1 for the first)."""
    highest = 0
    for run_json in (set_dir / "history").glob("*/run.json"):
        try:
            highest = max(highest, int(json.loads(run_json.read_text(encoding="utf-8")).get("sequence") or 0))
        except (OSError, ValueError, TypeError):
            continue
    return highest + 1


def prune(set_dir: Path, keep: int) -> list[str]:
    """Remove all but the newest ``keep`` runs of a set's history, never the last good one; return their names.

    The caller holds the set's lock. Runs are ordered as they finished (their ``sequence``); the run
    ``latest`` names, and the newest ok run, are always kept. Each removed run is first renamed to a
    hidden name (one atomic step: the index and the history page skip hidden folders), then deleted,
    so a crash leaves whole runs and hidden leftovers, which the next prune clears.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    history = set_dir / "history"
    runs = []
    for run_json in history.glob("*/run.json"):
        folder = run_json.parent
        if folder.name.startswith("."):
            continue
        try:
            info = json.loads(run_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not a whole run: left as it is
        runs.append((int(info.get("sequence") or 0), str(info.get("started", "")), info.get("status") == "ok", folder))
    runs.sort(key=lambda run: (run[0], run[1]), reverse=True)
    kept = {folder for *_, folder in runs[:keep]}
    published = latest_run(set_dir)
    if published is not None:
        kept.add(published)
    newest_ok = next((folder for _, _, ok, folder in runs if ok), None)
    if newest_ok is not None:
        kept.add(newest_ok.resolve())
    removed = []
    for *_, folder in runs:
        if folder in kept or folder.resolve() in kept:
            continue
        hidden = folder.with_name(f".pruned-{folder.name}")
        os.replace(folder, hidden)
        removed.append(folder.name)
    for leftover in history.glob(".pruned-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return removed


def _links_work(folder: Path) -> bool:
    """Whether symbolic links can be made in ``folder`` (a full disk is raised, not taken for a no)."""
    probe = folder / f".link-probe.{secrets.token_hex(4)}"
    try:
        os.symlink("latest", probe)
    except NotImplementedError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EINVAL, None):
            return False
        raise
    probe.unlink()
    return True


def _link(path: Path, target: Path) -> None:
    """Point ``path`` at ``target`` (relative) in one rename."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _ensure_link(path: Path, target: Path) -> None:
    if path.is_symlink() and os.readlink(path) == str(target):
        return
    _link(path, target)


def _adopt_copied_files(set_dir: Path) -> None:
    """Turn the copied top-level files of the older layout into links, without ever mixing two runs.

    ``latest`` is first pointed at the run the copies came from, and is switched to a new run
    only once every top-level name is a link: a crash half-way leaves copies and links of one run.
    """
    copied = [name for name in RUN_FILES if (set_dir / name).exists() and not (set_dir / name).is_symlink()]
    if not copied:
        return
    if not (set_dir / LATEST).is_symlink():
        try:
            run_id = str(json.loads((set_dir / "run.json").read_text(encoding="utf-8"))["run_id"])
        except (OSError, ValueError, KeyError, TypeError):
            return  # no record of which run they are: publishing replaces them, once
        if not all((set_dir / "history" / run_id / name).is_file() for name in RUN_FILES):
            return
        _link(set_dir / LATEST, Path("history") / run_id)
    for name in RUN_FILES:
        _ensure_link(set_dir / name, Path(LATEST) / name)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
