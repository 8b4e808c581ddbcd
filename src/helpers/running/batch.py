"""``itvalue run --all``: every parameter set, N at a time, in a pool of worker processes.

Each set runs through :func:`helpers.running.runner.run_notebook` in a worker process (its
own kernel, too), so one crashing run cannot take the others down; workers are reused, so
the runner's imports are paid once per worker, not once per set. Each run is reported from
its ``run.json`` as it ends, the index is written once at the end, and the exit status is
the worst of the runs (0 ok, 1 a notebook failed, 2 bad parameters or data).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from helpers.exceptions import KitError, ParameterError

__all__ = ["Job", "JobOutcome", "run_jobs"]

_LABELS = {0: "ok", 1: "FAILED", 2: "BAD INPUT"}


@dataclass(frozen=True)
class Job:
    """One parameter set of one notebook."""

    notebook: str
    params_file: str
    #: ``--engine``: where the set's queries run instead of its own ``engine`` (None: as the set says).
    engine: str | None = None

    @property
    def label(self) -> str:
        """``notebook/set``, as the output folders name it."""
        return f"{self.notebook}/{Path(self.params_file).stem}"


@dataclass(frozen=True)
class JobOutcome:
    """How one job ended: exit status, what to print, its wall-clock seconds and where its report is.

    ``cause`` is a key of :data:`helpers.running.failures.CAUSES` ("" for a good run); ``report`` the
    run's report (the failed one for a failed run; "" when the set was refused before any kernel).
    """

    job: Job
    exit_status: int
    message: str
    seconds: float
    report: str = ""
    cause: str = ""
    rerun: str = ""
    finished: str = ""

    @property
    def status(self) -> str:
        """``ok``, ``failed`` or ``bad-input``."""
        return {0: "ok", 2: "bad-input"}.get(self.exit_status, "failed")


#: The thread pools of the numerical libraries, sized by the environment variables they read at import.
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _keep_kernels_warm(workers: int = 1) -> None:
    """In a worker: each run starts on a kernel that warmed up during the previous run.

    The worker's kernels inherit its environment, so here each is given its share of the cores
    for BLAS: by default every kernel starts one BLAS thread per core, and OpenBLAS threads wait
    by spinning, so two workers (each with a kernel warming beside it) on two cores measured the
    downtime analysis 4x slower than alone (8.9 s against 2.1 s with one thread each; the whole
    ``--all -j 2`` 27.9 s against 21.6 s). A value the user set is kept.
    """
    from helpers.running import kernels

    share = str(max(1, (os.cpu_count() or 1) // workers))
    for variable in _THREAD_VARIABLES:
        os.environ.setdefault(variable, share)
    kernels.keep_warm(True)


def _run_one(
    job: Job,
    out_dir: str,
    show_code: bool,
    kernel: str | None,
    timeout: float | None = None,
    warm_next: bool = True,
    keep: int | None = None,
) -> tuple[int, str, str | None]:
    """In a worker: run one set; return (exit status, message, run folder or None).

    ``warm_next``: warm a kernel for a set after this one (False when no set will be left for this worker).
    """
    from helpers.running import kernels
    from helpers.running.catalog import find_notebook
    from helpers.running.runner import run_notebook

    kernels.keep_warm(warm_next, keep_spare=True)

    try:
        notebook = find_notebook(job.notebook)
        outcome = run_notebook(
            notebook,
            params_file=job.params_file,
            overrides={"engine": job.engine} if job.engine else None,
            out_dir=out_dir,
            show_code=show_code,
            quiet=True,
            update_index=False,
            kernel=kernel,
            timeout=timeout,
            keep=keep,
        )
    except KitError as exc:
        return exc.exit_status, str(exc), None
    except Exception as exc:  # one set's unexpected failure must not stop the others
        return 1, f"{type(exc).__name__}: {exc}", None
    return outcome.exit_status, str(outcome.report), str(outcome.run_dir)


def _outcome(job: Job, status: int, message: str, run_dir: str | None, seconds: float, out_dir: Path) -> JobOutcome:
    """A job's outcome, its sentence from the run's own ``run.json`` when there is one."""
    from helpers.running.failures import Failure, explain, rerun_command

    finished = dt.datetime.now(dt.UTC).isoformat()
    if run_dir is None:
        rerun = rerun_command(
            job.notebook, params_file=_in_project(job.params_file), overrides={"engine": job.engine} if job.engine else None,
            out_dir=out_dir, default_out=_default_reports(),
        )
        if status == 2:
            return JobOutcome(job, 2, message, seconds, "", "bad-input", rerun, finished)
        failure = Failure("the set's process", message, "worker")
        return JobOutcome(job, status, explain(failure.as_record(), rerun=rerun), seconds, "", "worker", rerun, finished)
    record = json.loads((Path(run_dir) / "run.json").read_text(encoding="utf-8"))
    rerun = record.get("rerun") or ""
    finished = record.get("finished") or finished
    if record.get("error"):
        sentence = explain(record["error"], rerun=rerun)
        report = str(Path(run_dir) / "report.html")
        return JobOutcome(job, status, sentence, seconds, report, record["error"].get("cause", ""), rerun, finished)
    return JobOutcome(job, status, message, seconds, message, "", rerun, finished)


def _in_project(path: str) -> str:
    from helpers.paths import find_project_root

    resolved, root = Path(path).resolve(), find_project_root()
    return str(resolved.relative_to(root)) if root is not None and resolved.is_relative_to(root) else str(resolved)


def _default_reports() -> Path | None:
    from helpers.paths import find_project_root

    root = find_project_root()
    return root / "reports" if root is not None else None


def run_jobs(
    jobs: Sequence[Job],
    *,
    out_dir: Path,
    workers: int,
    show_code: bool = False,
    kernel: str | None = None,
    say: Callable[[str], None] = print,
    timeout: float | None = None,
    keep: int | None = None,
    quiet: bool = False,
    ended: Callable[[JobOutcome], None] | None = None,
) -> list[JobOutcome]:
    """Run every job, ``workers`` at a time; say a line when each starts (unless ``quiet``) and when it ends.

    Lines read ``[3/8] started nps_trends/weekly`` and ``[3/8] ok nps_trends/weekly in 9.1 s
    -> report``; a failed set's line gives the cause, what to do and the command to run it again.
    ``ended`` is called with each outcome as it comes (notifications). The index is not written here
    (the caller writes it once).
    """
    if workers < 1:
        raise ParameterError(f"-j must be at least 1; got {workers}.")
    todo: queue.Queue[tuple[int, Job]] = queue.Queue()
    for number, job in enumerate(jobs, start=1):
        todo.put((number, job))
    outcomes: list[JobOutcome] = []
    lock = threading.Lock()
    total = len(jobs)
    # spawn: a clean interpreter per worker, whatever threads this process holds.
    context = multiprocessing.get_context("spawn")

    def feed(pool: concurrent.futures.ProcessPoolExecutor) -> None:
        # One feeding thread per worker: a job is handed over only when a worker is free,
        # so "started" is printed when it really starts.
        while True:
            try:
                number, job = todo.get_nowait()
            except queue.Empty:
                return
            # A kernel warmed for a set that never comes costs two seconds of CPU while the last sets run.
            # Each feeder keeps its worker busy, so a worker runs another set only if one is left for each.
            warm_next = todo.qsize() >= workers
            if not quiet:
                with lock:
                    say(f"[{number}/{total}] started {job.label}")
            clock = time.perf_counter()
            try:
                arguments = (job, str(out_dir), show_code, kernel, timeout, warm_next, keep)
                status, message, run_dir = pool.submit(_run_one, *arguments).result()
                outcome = _outcome(job, status, message, run_dir, time.perf_counter() - clock, Path(out_dir))
            except Exception as exc:  # a worker that died (killed, out of memory)
                message = f"the worker process ended: {type(exc).__name__}: {exc}"
                outcome = _outcome(job, 1, message, None, time.perf_counter() - clock, Path(out_dir))
            with lock:
                outcomes.append(outcome)
                label = _LABELS.get(outcome.exit_status, f"exit {outcome.exit_status}")
                say(f"[{number}/{total}] {label} {job.label} in {outcome.seconds:.1f} s -> {outcome.message}")
            if ended is not None:
                ended(outcome)

    pool_options = {
        "max_workers": workers, "mp_context": context, "initializer": _keep_kernels_warm, "initargs": (workers,)
    }
    with concurrent.futures.ProcessPoolExecutor(**pool_options) as pool:
        feeders = [threading.Thread(target=feed, args=(pool,), daemon=True) for _ in range(min(workers, total))]
        for feeder in feeders:
            feeder.start()
        for feeder in feeders:
            feeder.join()
    return outcomes
