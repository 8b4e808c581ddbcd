"""Kernels started ahead of need, handed to papermill through its engine extension point.

A report's time is mostly a kernel starting and importing pandas, seaborn, statsmodels, DuckDB
and Ibis. The runner asks for a kernel before it validates the inputs (:func:`prepare`), so the
kernel starts and imports while DuckDB scans; ``--all`` workers keep one spare kernel warming
while the current run executes (:func:`keep_warm`).

Every run still gets a kernel no run has touched: a warm kernel has only imported modules
(``importlib.import_module``, so not a name is bound in its namespace), it is used by exactly
one run and shut down after it. Papermill sees a pre-started kernel manager, which nbclient
supports as is (:class:`helpers.running.engine.WarmKernelEngine`).

This module needs jupyter_client only, so the runner can start a kernel before it has even
imported papermill and nbconvert.

Each kernel is started with :data:`helpers.inputs.trust.ENVIRONMENT_VARIABLE` naming a file of
its own, which the run that takes the kernel fills with the inputs it has checked.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import functools
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpers.inputs import trust

if TYPE_CHECKING:
    from helpers.analysis.contract import Analysis

__all__ = [
    "STARTUP_SECONDS", "WARM_IMPORTS", "KernelStartError", "WarmKernel", "imports_for", "in_use", "keep_warm",
    "last_lines", "prepare", "take",
]

#: What a warm kernel imports for any notebook: what every kit notebook loads (tables, charts and
#: the inline backend that shows them, the report helpers, DuckDB). :func:`imports_for` adds the
#: analysis's own modules, which bring what that analysis uses of SciPy, statsmodels and Ibis.
WARM_IMPORTS = (
    "pandas",
    "numpy",
    "matplotlib.pyplot",
    "matplotlib_inline.backend_inline",
    "seaborn",
    "helpers.report",
    "helpers.report.plotting",
    "helpers.inputs.loading",
)

# The kernel's own log (the notice that local TCP is unencrypted, the interrupt it logs when shut
# down after a failed cell) is not the user's business; cell errors reach papermill unaffected.
_KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
#: Seconds a kernel may take from its start to its reply (a busy machine can take a minute).
STARTUP_SECONDS = 120
#: How many lines of a dead kernel's own log a failure sentence quotes.
LOG_LINES = 5


class KernelStartError(RuntimeError):
    """A kernel that could not be started (its process ended, or it never replied); ``log``: its own output."""

    def __init__(self, message: str, log: Path) -> None:
        super().__init__(message)
        self.log = log


def imports_for(analysis: Analysis | None) -> tuple[str, ...]:
    """What a kernel for this notebook imports while it waits: :data:`WARM_IMPORTS` and the modules of its
    analysis that the notebook uses (:meth:`Analysis.kernel_imports`, e.g. ``helpers.nps_trends.analysis``).

    Only what the notebook will itself import, so nothing it never uses (all of ``statsmodels.api``,
    say) costs CPU; a notebook without a registered analysis gets :data:`WARM_IMPORTS` alone.
    """
    return WARM_IMPORTS if analysis is None else (*WARM_IMPORTS, *analysis.kernel_imports())


@dataclass(eq=False)
class WarmKernel:
    """A started kernel that has imported modules (:func:`imports_for`) and run nothing else."""

    manager: Any  # jupyter_client.AsyncKernelManager
    kernel_name: str
    cwd: str
    #: The file this kernel reads as the list of inputs its run has checked (written by that run).
    checked_record: Path
    #: The kernel process's own stdout and stderr (a run keeps it as ``kernel.log`` when not empty).
    log: Path

    def shutdown(self, *, keep_log: bool = False) -> None:
        """Stop the kernel, close the run's connections to it, remove its scratch files (idempotent)."""
        _IN_USE.discard(self)
        try:
            if self.manager.has_kernel:
                _run(self.manager.shutdown_kernel(now=True))
        finally:
            self.checked_record.unlink(missing_ok=True)
            if not keep_log:
                self.log.unlink(missing_ok=True)
            # nbclient leaves a client it made on a kernel manager it was given open (its heartbeat thread
            # polling a dead kernel, its sockets holding up the process's exit for a second of linger).
            for client in getattr(self.manager, "clients", ()):
                client.stop_channels()
            self.manager.clients = []

    def is_alive(self) -> bool:
        """The kernel process is still running."""
        return _alive(self.manager)

    def death_sentence(self) -> str:
        """Why the kernel is gone, for a failure sentence: its exit status and the last lines of its log."""
        process = getattr(self.manager.provisioner, "process", None)
        code = process.poll() if process is not None else None
        ended = f"its process ended (exit status {code})" if code is not None else "its process ended"
        lines = last_lines(self.log)
        return f"{ended}; its last output: {lines}" if lines else f"{ended} without a word of output"

    def keep_log(self, where: Path) -> None:
        """Copy the kernel's own output to ``where`` if it said anything (a run's ``kernel.log``)."""
        try:
            if self.log.stat().st_size:
                shutil.copyfile(self.log, where)
        except OSError:
            pass


def last_lines(log: Path, count: int = LOG_LINES) -> str:
    """The last ``count`` non-blank lines of a kernel's log, joined with " | " ("" if none)."""
    try:
        text = log.read_bytes()[-8192:].decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-count:])


def _run(coroutine: Any) -> Any:
    """Run a kernel manager's coroutine to its end, also where an event loop already runs (JupyterLab)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as helper:
        return helper.submit(asyncio.run, coroutine).result()


def _start(kernel_name: str, cwd: str, imports: Sequence[str], project: str = "") -> WarmKernel:
    # Looking up the environment's own "python3" spec imports ipykernel here, and older ipykernels
    # import debugpy, which prints a notice about frozen modules to this process's stderr; the
    # runner's output must be its own sentence. This is debugpy's own switch for that notice.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    scratch = Path(tempfile.gettempdir()) / f"itvalue-kernel-{os.getpid()}-{secrets.token_hex(6)}"
    record, log = scratch.with_suffix(".checked.json"), scratch.with_suffix(".log")
    # nbclient's own kind of manager: with it, nbclient notices within a second when the kernel dies.
    manager = _manager_class()(kernel_name=kernel_name)
    env = {**os.environ, trust.ENVIRONMENT_VARIABLE: str(record)}
    if project:
        # The runner found its project from ITVALUE_PROJECT or its working directory; the kernel would
        # look from its own, the notebook's folder. Where those differ (``itvalue run /elsewhere/x.ipynb``)
        # the kernel would read another itvalue.toml, other declared groupings than the runner checked
        # the inputs under. Told the runner's, a run is one project from the command to the last cell.
        env["ITVALUE_PROJECT"] = project
    kernel = WarmKernel(manager, kernel_name, cwd, record, log)
    # The kernel may start before the inputs are known to be good: its own chatter (debugger notices,
    # library warnings at import) must never reach the user's one-sentence error, so it goes to a log
    # of its own, which the run keeps and quotes when the kernel dies. Cell output and errors travel
    # over the kernel's messaging channels, unaffected.
    try:
        with log.open("wb") as chatter:
            _run(manager.start_kernel(cwd=cwd, env=env, extra_arguments=_KERNEL_ARGUMENTS, stdout=chatter, stderr=chatter))
        _run(_warm_up(manager, imports))
    except Exception as exc:
        started = getattr(manager.provisioner, "process", None) is not None
        reason = kernel.death_sentence() if started and not _alive(manager) else f"{type(exc).__name__}: {exc}"
        kernel.shutdown(keep_log=True)
        raise KernelStartError(f"The Jupyter kernel '{kernel_name}' did not start: {reason}", log) from exc
    return kernel


async def _warm_up(manager: Any, imports: Sequence[str]) -> None:
    """Wait for the kernel's reply, then import ``imports`` in it without binding a name.

    Readiness is judged by the kernel's reply to ``kernel_info`` within :data:`STARTUP_SECONDS`, and
    life by its manager (is the process running?), never by the heartbeat: a client that is not the
    manager's own judges by heartbeat, and a kernel still importing on a busy machine misses its first
    one-second beat and is declared dead (the kit then shut down a live kernel).
    """
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=STARTUP_SECONDS)
        if imports:
            # A module that cannot load here (an optional engine's) is the notebook's to report, if it uses it.
            code = (
                f"import importlib as _i\nfor _m in {tuple(imports)!r}:\n    try:\n        _i.import_module(_m)\n"
                "    except Exception:\n        pass\ndel _i, _m"
            )
            reply = await client.execute_interactive(code, silent=True, store_history=False, timeout=STARTUP_SECONDS)
            if reply["content"].get("status") != "ok":
                raise RuntimeError(f"the warm-up imports failed: {reply['content'].get('evalue', '')}")
    finally:
        client.stop_channels()
        clients = getattr(manager, "clients", [])
        if client in clients:
            clients.remove(client)


def _alive(manager: Any) -> bool:
    try:
        return bool(_run(manager.is_alive()))
    except Exception:
        return False


@functools.cache
def _manager_class() -> type:
    """jupyter_client's AsyncKernelManager, remembering the clients it makes (:meth:`WarmKernel.shutdown` closes them)."""
    from jupyter_client import AsyncKernelManager

    class RunKernelManager(AsyncKernelManager):
        def client(self, **kwargs: Any) -> Any:
            client = super().client(**kwargs)
            if not hasattr(self, "clients"):
                self.clients = []
            self.clients.append(client)
            return client

    return RunKernelManager


class _Pool:
    """At most one spare kernel per process, for one (kernel name, working folder)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spare: tuple[tuple[str, ...], concurrent.futures.Future[WarmKernel]] | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="itvalue-kernel")
        self.refill = False
        # What the last run's notebook imports: the spare warms for a set of the same notebook (--all
        # runs a notebook's sets one after another); for another notebook it has imported a little extra.
        self._imports: tuple[str, ...] = WARM_IMPORTS

    def prepare(self, kernel_name: str, cwd: str, imports: Sequence[str] | None = None, project: str = "") -> None:
        key = _key(kernel_name, cwd, project)
        with self._lock:
            if imports is not None:
                self._imports = tuple(imports)
            if self._spare is not None and self._spare[0] == key:
                return
            self._discard_locked()
            self._spare = (key, self._executor.submit(_start, kernel_name, str(cwd), self._imports, project))

    def take(self, kernel_name: str, cwd: str, project: str = "") -> WarmKernel:
        key = _key(kernel_name, cwd, project)
        with self._lock:
            spare, self._spare = self._spare, None
        kernel = None
        if spare is not None and spare[0] != key:
            spare[1].add_done_callback(_shut_down_quietly)
        elif spare is not None:
            try:
                kernel = spare[1].result()
            except Exception:  # noqa: S110 - a spare that failed to start is replaced, never fatal to a run
                kernel = None
            if kernel is not None and not kernel.is_alive():  # stopped meanwhile (a time limit stops every child)
                kernel.shutdown()
                kernel = None
        if kernel is None:
            kernel = _start(kernel_name, str(cwd), self._imports, project)
        if self.refill:
            self.prepare(kernel_name, cwd, project=project)
        return kernel

    def discard(self) -> None:
        with self._lock:
            self._discard_locked()

    def _discard_locked(self) -> None:
        if self._spare is not None:
            self._spare[1].add_done_callback(_shut_down_quietly)
            self._spare = None

    def close(self) -> None:
        with self._lock:
            self._discard_locked()
        self._executor.shutdown(wait=True)


def _key(kernel_name: str, cwd: str, project: str) -> tuple[str, ...]:
    # A kernel inherits its environment when it starts: one warmed under another PYTHONPATH, working
    # folder or project is not the kernel this run would have started.
    return (kernel_name, str(cwd), os.environ.get("PYTHONPATH", ""), project)


def _shut_down_quietly(future: concurrent.futures.Future[WarmKernel]) -> None:
    if future.exception() is None:
        future.result().shutdown()
    elif isinstance(future.exception(), KernelStartError):
        future.exception().log.unlink(missing_ok=True)


_POOL = _Pool()
_IN_USE: set[WarmKernel] = set()
atexit.register(_POOL.close)


def prepare(
    kernel_name: str, cwd: str | Path, imports: Sequence[str] | None = None, *, project: str | Path | None = None
) -> None:
    """Start warming a kernel for the next run in ``cwd`` (returns at once).

    ``imports``: the modules it loads meanwhile (see :func:`imports_for`); by default those of the last
    :func:`prepare` in this process, else :data:`WARM_IMPORTS`. ``project``: the project the kernel
    belongs to (passed as ``ITVALUE_PROJECT``); None lets it find one from ``cwd``.
    """
    _POOL.prepare(kernel_name, str(cwd), imports, str(project or ""))


def take(kernel_name: str, cwd: str | Path, *, project: str | Path | None = None) -> WarmKernel:
    """A warm kernel for one run in ``project`` (see :func:`prepare`): the prepared one, or one started now.

    The caller shuts it down.
    """
    kernel = _POOL.take(kernel_name, str(cwd), str(project or ""))
    _IN_USE.add(kernel)
    return kernel


def in_use() -> list[int]:
    """The process ids of the kernels runs of this process are using (not the spare): what a time limit stops."""
    pids = []
    for kernel in list(_IN_USE):
        process = getattr(kernel.manager.provisioner, "process", None)
        if process is not None and process.pid:
            pids.append(process.pid)
    return pids


def keep_warm(enabled: bool = True, *, keep_spare: bool = False) -> None:
    """Keep a spare kernel warming after each :func:`take` (for processes that run many sets).

    ``keep_warm(False)`` also shuts down the spare, if any; ``keep_warm(False, keep_spare=True)``
    keeps it for the next run but warms none after it (that run is the process's last).
    """
    _POOL.refill = enabled
    if not enabled and not keep_spare:
        _POOL.discard()
