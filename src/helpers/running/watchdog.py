"""A limit on a run's wall-clock time, and the OS errors that mean "the disk cannot take the run"."""

from __future__ import annotations

import errno
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["DISK_ERRORS", "limit"]

#: Errors writing a run that no retry fixes: a full disk or quota, a read-only or failing device.
DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}

_GRACE_SECONDS = 5.0


@contextmanager
def limit(seconds: float | None, *, stop: Callable[[], list[int]] | None = None) -> Iterator[threading.Event]:
    """Stop the run's kernel if the block runs longer than ``seconds``.

    ``stop`` names the processes to stop (the pids of the kernels this run uses); by default every
    child process of this one. Yields an event that is set when the limit was reached. papermill
    then sees a dead kernel and returns; the caller records the run as failed. ``None`` or 0: no limit.
    """
    stopped = threading.Event()
    if not seconds:
        yield stopped
        return
    finished = threading.Event()

    def watch() -> None:
        if not finished.wait(seconds):
            stopped.set()
            _stop(stop() if stop is not None else _children(os.getpid()))

    thread = threading.Thread(target=watch, name="itvalue-timeout", daemon=True)
    thread.start()
    try:
        yield stopped
    finally:
        finished.set()
        thread.join(timeout=_GRACE_SECONDS * 3)


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (Linux /proc; psutil, which ipykernel brings, elsewhere)."""
    proc = Path("/proc")
    if not proc.is_dir():
        import psutil

        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    parents: dict[int, int] = {}
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def _stop(pids: list[int]) -> None:
    """SIGTERM, a grace period, then SIGKILL for ``pids`` and their descendants."""
    children = list(dict.fromkeys([*pids, *(child for pid in pids for child in _children(pid))]))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in children:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                continue
        if sig == signal.SIGTERM:
            finished = threading.Event()
            finished.wait(_GRACE_SECONDS)
