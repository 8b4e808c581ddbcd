"""Safe file writes for runs that may overlap: atomic replacement and a lock per folder (portable: filelock)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock

__all__ = ["fsync_tree", "locked", "replace_atomically", "write_json", "write_text_atomically"]


@contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if needed) for the ``with`` block."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock_path):
        yield


def _temporary_beside(target: Path) -> Path:
    # Same folder, so os.replace is a rename on one file system: readers see old or new, never half.
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")


def replace_atomically(source: Path, target: Path) -> None:
    """Copy ``source`` over ``target`` so that readers never see a half-written file."""
    tmp = _temporary_beside(target)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written temporary file behind
        raise


def write_text_atomically(target: Path, text: str) -> None:
    tmp = _temporary_beside(target)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def fsync_tree(folder: Path) -> None:
    """Flush a folder's files and the folder itself to disk, so a rename after it never exposes lost data."""
    for path in [*folder.iterdir(), folder]:
        if path.is_symlink():
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
