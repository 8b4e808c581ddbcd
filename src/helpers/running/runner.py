"""Run one notebook with one parameter set: validate, execute (papermill), report (nbconvert).

Layout of what a run writes under ``<out>/<notebook>/<param_set>/``::

    report.html  notebook.ipynb  results.json  run.json   # links through latest/ (see publishing)
    latest -> history/<run_id>                            # the latest good run
    history/<run_id>/{report.html, notebook.ipynb, results.json, run.json}   # every run
    history.html                                          # the list of runs

A run is built in ``history/.<run_id>.partial`` and renamed when complete, so a reader
never sees half a run; a run that cannot be written (a full disk) or that the notebook
rejects (the user's parameters or data) removes its partial folder and leaves no record.
Under the set's lock, the finished run is numbered, renamed into history and, if ``ok``,
published by switching ``latest`` in one rename: a failed run never replaces the last good
report, and no crash leaves files of two runs side by side. A run is bounded in time
(``timeout``): the kernel is then stopped and the run recorded as failed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpers.analysis.contract import RESULTS_MIMETYPE
from helpers.exceptions import InputDataError, KitError, ParameterError, RunAborted
from helpers.inputs import trust
from helpers.inputs.maps import carry
from helpers.inputs.secrets import mask_secrets, masked_parameters
from helpers.inputs.sources import parse_source
from helpers.paths import find_project_root, resolve_path
from helpers.running import kernels, provenance, publishing, watchdog
from helpers.running.catalog import SAFE_NAME, Notebook, read_params_file
from helpers.running.failures import Failure, explain, find_failure, rerun_command
from helpers.running.files import fsync_tree, locked, write_json
from helpers.running.publishing import RUN_FILES

if TYPE_CHECKING:
    import nbformat

__all__ = [
    "DEFAULT_TIMEOUT", "RUN_FILES", "PreparedRun", "RunOutcome", "prepare_run", "run_notebook",
]

# Raised inside a notebook, these are the user's parameters or data at fault (exit 2), not the analysis.
_KIT_ERRORS: dict[str, type[KitError]] = {"ParameterError": ParameterError, "InputDataError": InputDataError}
#: Seconds a run may take by default (``--timeout``): a scheduled job never hangs for ever.
DEFAULT_TIMEOUT = 1800.0
#: The kernel's own output, kept beside the report when it said anything (a dead kernel's last words).
KERNEL_LOG = "kernel.log"
# ipykernel's own spec, which Jupyter launches with the running Python (sys.executable): the notebooks'
# saved kernel name ('itvalue') exists only where the Makefile registered it.
OWN_KERNEL = "python3"


@dataclass(frozen=True)
class RunOutcome:
    """What a run did: ``status`` is ``ok`` or ``failed``; ``exit_status`` 0, 1 or 2."""

    status: str
    run_dir: Path
    report: Path
    message: str = ""
    #: 0 ok; 1 a cell failed; 2 the notebook itself rejected a parameter or the data.
    exit_status: int = 0
    #: Wall-clock seconds from validation to the published report.
    seconds: float = 0.0


@dataclass(frozen=True)
class PreparedRun:
    """A run whose parameters and inputs are checked: everything needed before a kernel starts.

    Attributes
    ----------
    values : dict
        The parameter values to inject (JSON types; input sources as the kernel will find them).
    inputs : dict
        ``{parameter: (kind, source)}`` of the input sources given.
    checked : list of dict
        What the input checks covered (see :mod:`helpers.inputs.trust`), for the kernel to trust.
    param_set : str
        The folder the run's reports go to.
    """

    notebook: Notebook
    values: dict[str, Any]
    inputs: dict[str, tuple[str, str]]
    checked: list[dict[str, Any]]
    param_set: str
    params_file: str | None


def prepare_run(
    notebook: Notebook,
    *,
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> PreparedRun:
    """Merge the params file and ``-p`` overrides, validate them once, and scan each input once.

    Raises
    ------
    ParameterError, InputDataError
        One sentence each, before any kernel starts and before anything is written.
    """
    from helpers.cell_key import secret

    secret()  # a cell-key secret too short to keep is a sentence here, not in the kernel
    values: dict[str, Any] = {}
    if params_file is not None:
        values.update(read_params_file(params_file))
    values.update(overrides or {})
    param_set = parameter_set_name(params_file, overrides, name)
    declaration = notebook.parameters_class
    if declaration is None:
        injected = notebook.validate(values)
        return PreparedRun(notebook, injected, {}, [], param_set, _shown(params_file))
    params = declaration.validate_values(values)
    # A notebook outside the project runs in its own folder, where the project's relative paths mean nothing.
    root = find_project_root()
    inside = root is not None and notebook.path.resolve().is_relative_to(root)
    inputs = {key: (kind, _portable_source(spec, relative=inside)) for key, (kind, spec) in params.inputs().items()}
    injected = params.as_dict() | {key: spec for key, (_kind, spec) in inputs.items()}
    if injected.get("engine") == "pyspark":
        check_spark_available()
    checked = _check_inputs(notebook, params, inputs, injected.get("timezone", "UTC")) if inputs else []
    return PreparedRun(notebook, injected, inputs, checked, param_set, _shown(params_file))


def _check_inputs(
    notebook: Notebook, params: Any, inputs: dict[str, tuple[str, str]], timezone: str
) -> list[dict[str, Any]]:
    """Scan each input once for rule violations, then the groupings and the analysis's own data check.

    Returns what was checked (:mod:`helpers.inputs.trust`), which the kernel then trusts, as the data
    check here does: no input is scanned twice and no grouping column profiled twice in a run. The data
    check runs on a DuckDB connection of its own, never on Spark (one Spark application per run: the kernel's).
    """
    from helpers import privacy  # one DuckDB aggregate per grouping column, if any
    from helpers.inputs import loading  # DuckDB loads only for runs that read data

    checked: list[dict[str, Any]] = []
    columns = {}
    for key, (kind, spec) in inputs.items():
        source = parse_source(spec)
        if source.in_spark:
            continue  # only the kernel's Spark session can read it; it checks it there
        columns[key] = loading.check_input(spec, kind, timezone=timezone)
        if not source.is_engine:
            checked.append(trust.checked_entry(source, kind, timezone))
            continue
        # A table may change between this check and the kernel's read: it is trusted only as long as it has
        # the rows and newest time the check counted (a mapped table, whose facts it did not count, is not).
        from helpers.inputs.tables import checked_facts

        facts = checked_facts(source, kind, timezone)
        if facts is not None:
            checked.append(trust.checked_entry(source, kind, timezone, facts))
    if len(columns) < len(inputs):
        return checked
    privacy.check_grouping_inputs(params, columns)
    if all(not parse_source(spec).is_engine for _kind, spec in inputs.values()):
        checked.append(trust.groupings_entry(params))
    analysis = notebook.analysis
    if analysis is not None and analysis.data_check is not None:
        # The inputs were just scanned: the analysis's own checks of values against data need no second scan.
        with tempfile.TemporaryDirectory(prefix="itvalue-") as scratch, _kernel_trusts(checked, Path(scratch)):
            con = loading.connect(timezone)
            try:
                analysis.data_check(params, con=con)
            finally:
                con.disconnect()
    return checked


def check_spark_available() -> None:
    """Raise ParameterError (exit 2, before any kernel) when ``engine: pyspark`` cannot start Spark here.

    Nothing here starts Spark: a session opened by the runner would be a second application beside the
    kernel's, and on a standalone cluster (no ``spark.cores.max``) it takes every core while the kernel's
    application waits for executors that never come. Spark inputs are checked in the kernel, by its session.
    """
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        raise ParameterError(
            "Parameter 'engine' is 'pyspark' but PySpark is not installed; install it with "
            "pip install 'itvalue[spark]' (Spark also needs Java 17 or later)."
        )
    from helpers.inputs.spark_waits import check_waits

    check_waits()  # ITVALUE_SPARK_EXECUTOR_WAIT / ITVALUE_SPARK_CONNECT_WAIT: a bad value is a sentence now, not in the kernel
    remote = os.environ.get("SPARK_REMOTE")
    if remote:
        # One TCP connection to the Connect server, no session: the kernel's is the run's one Spark application.
        from helpers.inputs.loading import check_spark_remote

        check_spark_remote(remote)
    local = not remote
    java_home = os.environ.get("JAVA_HOME")
    if local and java_home and not os.access(Path(java_home) / "bin" / "java", os.X_OK):
        # Spark's launcher takes JAVA_HOME's java over the one on PATH, and its gateway then dies in the kernel.
        raise ParameterError(
            f"Parameter 'engine' is 'pyspark' but JAVA_HOME ({java_home}) holds no Java runtime (no bin/java there); "
            "set JAVA_HOME to a Java 17 or later installation, or unset it to use the java on PATH."
        )
    if local and not java_home and shutil.which("java") is None:
        raise ParameterError(
            "Parameter 'engine' is 'pyspark' but no Java runtime was found for a local Spark session; install Java 17 "
            "or later (Debian: apt-get install default-jre-headless) or set SPARK_REMOTE to a Spark Connect server."
        )


def _in_project(path: str | Path | None) -> str | None:
    """A file as a command run at the project's root names it (relative inside the project)."""
    if path is None:
        return None
    resolved, root = Path(path).resolve(), find_project_root()
    return str(resolved.relative_to(root)) if root is not None and resolved.is_relative_to(root) else str(resolved)


def _default_reports() -> Path | None:
    root = find_project_root()
    return root / "reports" if root is not None else None


def _shown(params_file: str | Path | None) -> str | None:
    return str(params_file) if params_file is not None else None


def _portable_source(spec: str, *, relative: bool = True) -> str:
    """The source as the kernel (working in ``notebooks/``, or the notebook's own folder) will find it.

    A path given relative to where ``itvalue`` was started is made absolute; one inside the project
    stays relative to the project root (when ``relative``: the notebook is the project's), so reports
    read ``data/sample/sales.parquet`` rather than a home directory.
    """
    if parse_source(spec).is_engine:
        return spec  # a table or remote files: the same wherever the kernel runs
    return carry(spec, _portable_path(spec, relative=relative))  # the same source, with its column map


def _portable_path(spec: str, *, relative: bool) -> str:
    prefix, sep, rest = spec.partition(":") if spec.startswith("duckdb:") else ("", "", spec)
    path_part, qmark, query = rest.partition("?") if prefix else (rest, "", "")
    resolved = resolve_path(path_part)
    root = find_project_root()
    inside = relative and root is not None and resolved.is_relative_to(root)
    shown = str(resolved.relative_to(root)) if inside else str(resolved)
    return f"{prefix}{sep}{shown}{qmark}{query}"


@dataclass(frozen=True)
class _Execution:
    """What papermill's execution left: the executed notebook, why it failed (if it did) and its time."""

    notebook: nbformat.NotebookNode
    #: None when every cell ran; else where and why it failed.
    failure: Failure | None
    #: The kit's exception class name when the notebook rejected the parameters or data, else "".
    kit_error: str
    seconds: float


def run_notebook(
    notebook: Notebook,
    *,
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    out_dir: str | Path,
    name: str | None = None,
    show_code: bool = False,
    quiet: bool = False,
    update_index: bool = True,
    timeout: float | None = DEFAULT_TIMEOUT,
    kernel: str | None = None,
    keep: int | None = None,
) -> RunOutcome:
    """Validate, execute and report one notebook with one parameter set.

    ``update_index=False`` leaves ``index.html`` to the caller (``--all`` writes it once).
    ``kernel`` names a Jupyter kernelspec; by default the notebook runs on this Python environment.
    ``timeout`` bounds the whole run in seconds (and each cell): the kernel is then stopped and
    the run recorded as failed; None for no limit. ``keep``: prune the set's history to its newest
    ``keep`` runs (and the last good one) once this run is in it; None keeps every run.

    Raises
    ------
    ParameterError, InputDataError
        Bad parameters or input data (exit status 2): raised before any kernel starts and before
        anything is written, or raised by the notebook itself, in which case the run's folder is
        removed and the set's last good report and the index stay as they were.
    RunAborted
        The run could not be written (a full disk, any OS error): its partial folder is removed,
        the last good report and the index stay as they were (exit status 1).
    """
    clock = time.perf_counter()
    # While DuckDB checks the inputs, the kernel starts and imports the analytical stack (its output goes
    # nowhere, so bad input still ends with one sentence), told the run's project, found once from here
    # (papermill moves into the notebook's folder to run it).
    kernel_name, project = kernel or OWN_KERNEL, find_project_root()
    kernels.prepare(kernel_name, notebook.path.parent, kernels.imports_for(notebook.analysis), project=project)
    # papermill and nbconvert load meanwhile too (pure Python, mostly nbformat's schema validation): when
    # they loaded only after the checks, they were the run's longest wait (about 2 s, the kernel long warm).
    preloading = threading.Thread(target=_preload, args=(show_code,), name="itvalue-imports", daemon=True)
    preloading.start()
    prepared = prepare_run(notebook, params_file=params_file, overrides=overrides, name=name)
    # Fingerprint the inputs before the run: a file replaced mid-run must not be recorded as read.
    fingerprints = provenance.input_fingerprints(prepared.inputs, timezone=prepared.values.get("timezone", "UTC"))
    preloading.join()
    set_dir = Path(out_dir) / notebook.name / prepared.param_set
    history = set_dir / "history"
    history.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    run_id = started.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)
    _clear_abandoned(history)
    partial = _claim_partial(history, run_id)
    try:
        execution = _execute(prepared, partial, kernel_name=kernel_name, quiet=quiet, timeout=timeout, project=project)
        if execution.kit_error and execution.failure is not None:
            # The notebook rejected the user's parameters or data: that is no run, and no record.
            error = execution.failure.error
            raise _KIT_ERRORS[execution.kit_error](error.partition(": ")[2] or error)
        rerun = rerun_command(
            notebook.reference, params_file=_in_project(params_file), overrides=overrides, name=name, kernel=kernel,
            out_dir=Path(out_dir), default_out=_default_reports(),
        )
        record = _write_run(prepared, execution, partial, run_id=run_id, started=started, show_code=show_code,
                            fingerprints=fingerprints, rerun=rerun)
        run_dir, report = _finish(partial, set_dir, run_id, ok=record["status"] == "ok", keep=keep)
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, OSError):
            raise RunAborted(_aborted(exc, set_dir)) from None
        raise
    if update_index:
        _update_index(Path(out_dir))
    seconds = time.perf_counter() - clock
    status = record["status"]
    message = f"{notebook.name}/{prepared.param_set}: {status} in {seconds:.1f} s -> {report}"
    if record["error"]:
        message += f" ({explain(record['error'], rerun=record['rerun'])})"
    return RunOutcome(status, run_dir, report, message, 0 if status == "ok" else 1, seconds)


#: Inside a run being written: the host and process writing it, so an abandoned one can be told from a live one.
_OWNER = ".owner"
#: A partial run with no owner recorded (written before owners were) is abandoned after this many seconds.
_ABANDONED_AFTER = 24 * 3600


def _clear_abandoned(history: Path) -> None:
    """Remove partial runs whose writer is gone (a killed run): its process ended, on this host."""
    host = socket.gethostname()
    for partial in history.glob(".*.partial"):
        try:
            owner_host, _, pid = (partial / _OWNER).read_text(encoding="utf-8").partition(" ")
            abandoned = owner_host == host and not _alive(int(pid))
        except (OSError, ValueError):
            try:
                abandoned = time.time() - partial.stat().st_mtime > _ABANDONED_AFTER
            except OSError:
                continue
        if abandoned:
            shutil.rmtree(partial, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _update_index(out_dir: Path) -> None:
    from helpers.running.index import write_index  # reads every run; loaded only when needed

    try:
        write_index(out_dir)
    except OSError as exc:
        raise RunAborted(_aborted(exc, out_dir, what="the index")) from None


def _write_run(
    prepared: PreparedRun,
    execution: _Execution,
    partial: Path,
    *,
    run_id: str,
    started: dt.datetime,
    show_code: bool,
    fingerprints: dict[str, Any],
    rerun: str,
) -> dict[str, Any]:
    """Write report.html, results.json and run.json of a finished execution into its partial folder."""
    from helpers.running.export import notebook_to_html

    failure = execution.failure
    status = "failed" if failure else "ok"
    record = _run_record(prepared, status, failure, run_id=run_id, started=started, seconds=execution.seconds)
    record["inputs"] = fingerprints
    record["rerun"] = mask_secrets(rerun)
    footer = (
        f"{prepared.notebook.title} · parameter set '{prepared.param_set}' · run {started:%Y-%m-%d %H:%M} UTC "
        f"in {execution.seconds:.1f} s · itvalue {record['kit_version']}"
    )
    (partial / "report.html").write_text(
        notebook_to_html(execution.notebook, show_code=show_code, failure=failure, footer=footer), encoding="utf-8"
    )
    results = extract_results(execution.notebook)
    write_json(partial / "results.json", results if results is not None else {})
    write_json(partial / "run.json", record)
    return record


def _finish(partial: Path, set_dir: Path, run_id: str, *, ok: bool, keep: int | None = None) -> tuple[Path, Path]:
    """Number the run, move it into history and, if ok, publish it: one step under the set's lock (then prune)."""
    with locked(set_dir / ".lock"):
        shown = _finish_locked(partial, set_dir, run_id, ok=ok)
        if keep is not None:
            publishing.prune(set_dir, keep)
    return shown


def _finish_locked(partial: Path, set_dir: Path, run_id: str, *, ok: bool) -> tuple[Path, Path]:
    """The caller holds the set's lock."""
    record = json.loads((partial / "run.json").read_text(encoding="utf-8"))
    # Finishing order, not the clock, orders runs: a clock set back must not make a new run look old.
    record["sequence"] = publishing.next_sequence(set_dir)
    write_json(partial / "run.json", record)
    (partial / _OWNER).unlink(missing_ok=True)
    fsync_tree(partial)
    run_dir = set_dir / "history" / run_id
    partial.rename(run_dir)
    if not ok:
        return run_dir, run_dir / "report.html"
    try:
        publishing.publish(run_dir, set_dir)
    except BaseException:
        # Not published: an ok run the set does not show would read as the latest good one.
        if publishing.latest_run(set_dir) != run_dir.resolve():
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return run_dir, set_dir / "report.html"


def _aborted(exc: OSError, where: Path, what: str = "the run") -> str:
    reason = exc.strerror or str(exc) or type(exc).__name__
    if what == "the index":
        return f"The index could not be written to {where} ({reason}); the run is in its history, the index as it was."
    return (
        f"The run could not be written to {where} ({reason}); the last good report and the index are as they were."
    )


def _preload(show_code: bool) -> None:
    import sys

    # jsonschema loads rfc3987_syntax, when installed, for its "iri" format checks, and that module
    # builds a Lark grammar as it is imported (0.75 s of the runner's 2 s of imports). nbformat never
    # asks for format checks, so the runner leaves it out; a process that already loaded it keeps it.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    try:
        import helpers.running.engine  # noqa: F401
        from helpers.running import export

        export.prepare_exporter(show_code=show_code)
    except Exception:  # noqa: S110 - the run meets the same failure where it uses these, and reports it there
        pass


def _claim_partial(history: Path, run_id: str) -> Path:
    """The run's hidden folder, owned by this process (a later run removes it only when its owner is gone)."""
    partial = history / f".{run_id}.partial"
    partial.mkdir()
    (partial / _OWNER).write_text(f"{socket.gethostname()} {os.getpid()}", encoding="utf-8")
    return partial


def _execute(
    prepared: PreparedRun, partial: Path, *, kernel_name: str, quiet: bool, timeout: float | None,
    project: Path | None = None,
) -> _Execution:
    """Run the notebook with papermill on a warm kernel; a failure is recorded, never raised (except the disk's)."""
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    from helpers.running.engine import ENGINE_NAME

    # papermill hands its logger to nbclient, which logs a dead kernel or a late reply ("Kernel died while
    # waiting for execute reply.") before the kit's own sentence says the same with what to do.
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    notebook = prepared.notebook
    executed_path, kernel_log = partial / "notebook.ipynb", partial / KERNEL_LOG
    failure: Failure | None = None
    kit_error = ""
    executed = None
    clock = time.perf_counter()
    with watchdog.limit(timeout, stop=kernels.in_use) as stopped:
        try:
            executed = papermill.execute_notebook(
                str(notebook.path),
                str(executed_path),
                parameters=prepared.values,
                # The kit's notebooks run in notebooks/ (as in JupyterLab); another notebook in its own folder.
                cwd=str(notebook.path.parent),
                kernel_name=kernel_name,
                # A warm kernel of its own (helpers.running.kernels), told which inputs this run checked.
                engine_name=ENGINE_NAME,
                itvalue_checked=prepared.checked,
                itvalue_kernel_log=str(kernel_log),
                itvalue_project=str(project) if project is not None else None,
                progress_bar=not quiet,
                request_save_on_cell_execute=False,
                execution_timeout=int(timeout) if timeout else None,
            )
        except PapermillExecutionError as exc:
            failure = Failure("", f"{exc.ename}: {exc.evalue}", "cell")
            kit_error = exc.ename if exc.ename in _KIT_ERRORS else ""
        except kernels.KernelStartError as exc:
            failure = Failure("the kernel did not start", str(exc).partition(": ")[2] or str(exc), "kernel-start")
        except DeadKernelError as exc:
            words = kernels.last_lines(kernel_log)
            detail = f"{exc}; its last output: {words}" if words else str(exc)
            failure = Failure("the kernel stopped during the run", detail, "kernel-died")
        except OSError as exc:
            if exc.errno in watchdog.DISK_ERRORS:
                raise  # a full disk or a read-only folder: no run to record
            failure = Failure("the notebook could not be executed", f"{type(exc).__name__}: {exc}", "notebook")
        except Exception as exc:  # a broken notebook file still gets a failed run record
            failure = Failure("the notebook could not be executed", f"{type(exc).__name__}: {exc}", "notebook")
    executed = _masked_notebook(executed, executed_path)
    if stopped.is_set():
        failure = Failure(
            "the run was stopped", f"it took longer than {timeout:g} s (--timeout) and was stopped", "timeout"
        )
        kit_error = ""
    if executed is None or failure is not None:
        executed = _read_executed(executed_path, notebook.path)
    # else: the notebook papermill has just written, as it wrote it (not read and validated a second time)
    if failure is not None and failure.cause == "cell":
        failure = find_failure(executed) or Failure("the notebook could not be executed", failure.error, "notebook")
    return _Execution(executed, failure, kit_error, time.perf_counter() - clock)


def _masked_notebook(executed: Any, executed_path: Path) -> Any:
    """The executed notebook with every credential masked by rule (:mod:`helpers.inputs.secrets`) in its text.

    The kernel had the values it was given; what is kept and published (notebook.ipynb, report.html,
    results.json) shows none: the injected parameters, the outputs and the metadata are masked, images
    are left as they are. The file is rewritten only when something was masked.
    """
    import nbformat

    from helpers.inputs.secrets import mask_secrets

    if executed is None:
        return None
    changed = False

    def walk(node: Any, key: str = "") -> Any:
        nonlocal changed
        if isinstance(node, str):
            if key.startswith("image/") or "=" not in node and "://" not in node:
                return node
            masked = mask_secrets(node)
            changed = changed or masked != node
            return masked
        if isinstance(node, dict):
            for name in list(node):
                node[name] = walk(node[name], str(name))
            return node
        if isinstance(node, list):
            return [walk(item, key) for item in node]
        return node

    walk(executed)
    if changed and executed_path.exists():
        nbformat.write(executed, executed_path)
    return executed


def _read_executed(executed_path: Path, source: Path) -> nbformat.NotebookNode:
    """The executed notebook as papermill left it; the source notebook if it left none or half of one."""
    import nbformat
    try:
        return nbformat.read(executed_path, as_version=4)
    except OSError as exc:
        if exc.errno in watchdog.DISK_ERRORS:
            raise
    except Exception:  # noqa: S110 - a notebook cut short (a killed kernel, a full disk) is replaced below
        pass
    executed = nbformat.read(source, as_version=4)
    nbformat.write(executed, executed_path)
    return executed


@contextmanager
def _kernel_trusts(checked: list[dict[str, Any]], scratch: Path) -> Iterator[None]:
    """Tell the kernel (through its environment) which inputs this run has already scanned.

    The kernel inherits this process's environment when papermill starts it; the variable is
    restored afterwards, so nothing outlives the run. One run at a time per process (``--all``
    runs each set in a worker process of its own).
    """
    if not checked:
        yield
        return
    record = scratch / "checked-inputs.json"
    trust.write_record(record, checked)
    before = os.environ.get(trust.ENVIRONMENT_VARIABLE)
    os.environ[trust.ENVIRONMENT_VARIABLE] = str(record)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(trust.ENVIRONMENT_VARIABLE, None)
        else:
            os.environ[trust.ENVIRONMENT_VARIABLE] = before


def _run_record(
    prepared: PreparedRun, status: str, failure: Failure | None, *, run_id: str, started: dt.datetime, seconds: float
) -> dict[str, Any]:
    """The facts of ``run.json`` (inputs' fingerprints are added by the caller)."""
    notebook = prepared.notebook
    return {
        "status": status,
        "notebook": notebook.name,
        "title": notebook.title,
        "param_set": prepared.param_set,
        "run_id": run_id,
        "parameters": masked_parameters(prepared.values),
        "params_file": prepared.params_file,
        "started": started.isoformat(),
        "finished": dt.datetime.now(dt.UTC).isoformat(),
        "duration_seconds": round(seconds, 3),
        "error": failure.as_record() if failure else None,
        "analysis": notebook.analysis.name if notebook.analysis is not None else None,
        "headline_fields": notebook.headline_fields,
        "kit_version": provenance.kit_version(),
        "git": provenance.git_commit(),
        "inputs": {},
        "packages": provenance.package_versions(),
    }


def parameter_set_name(
    params_file: str | Path | None, overrides: Mapping[str, Any] | None, name: str | None = None
) -> str:
    """The folder a run's reports go to: ``--name``, else the params file's stem (``default``),
    ``custom`` for ``-p`` alone, and ``default-custom`` when ``-p`` changes a params file, so an
    ad-hoc variation never replaces the scheduled report of that set."""
    if name is not None:
        if not SAFE_NAME.fullmatch(name):
            raise ParameterError(
                "--name must be letters, digits, '.', '_' or '-', a plain folder name not starting with '.' "
                f"(at most 100 characters); got {name[:100]!r}."
            )
        return name
    if params_file is None:
        return "custom"
    stem = Path(params_file).stem
    if not SAFE_NAME.fullmatch(stem):
        raise ParameterError(
            f"The parameter file's name {stem[:100]!r} cannot name a report folder; rename the file or give --name."
        )
    # The engine changes where the queries run, not the figures: it does not make a set custom.
    changed = [key for key in overrides or {} if key != "engine"]
    return f"{stem}-custom" if changed else stem


def extract_results(nb: nbformat.NotebookNode) -> dict[str, Any] | None:
    """The key figures a notebook published with ``report.publish_results`` (the last one wins)."""
    found = None
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = output.get("data", {})
            if RESULTS_MIMETYPE in data:
                found = data[RESULTS_MIMETYPE]
    return found


