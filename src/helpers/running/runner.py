"""Run one notebook with one parameter set: validate, execute (papermill), report (nbconvert).

Layout of what a run writes under ``<out>/<notebook>/<param_set>/``::

    report.html  notebook.ipynb  results.json  run.json   # the latest good run
    history/<run_id>/{report.html, notebook.ipynb, results.json, run.json}   # every run
    history.html                                          # the list of runs

A run is built in ``history/.<run_id>.partial`` and renamed when complete, so a
reader never sees half a run. Only an ``ok`` run is promoted to the top level,
under a file lock, so a failed run never replaces the last good report and two
runs started together cannot interleave their files.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from helpers.contract import RESULTS_MIMETYPE
from helpers.exceptions import ParameterError
from helpers.paths import find_project_root, resolve_path
from helpers.running import provenance
from helpers.running.catalog import Notebook, read_params_file
from helpers.running.export import Failure, find_failure, notebook_to_html
from helpers.running.files import locked, replace_atomically, write_json

__all__ = ["RunOutcome", "prepare_parameters", "run_notebook", "RUN_FILES"]

RUN_FILES = ("report.html", "notebook.ipynb", "results.json", "run.json")

# Raised inside a notebook, these are the user's parameters or data at fault (exit 2), not the analysis.
_KIT_ERRORS = {"ParameterError", "InputDataError"}
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
# ipykernel's own spec, which Jupyter launches with the running Python (sys.executable): the notebooks'
# saved kernel name ('itvalue') exists only where the Makefile registered it.
OWN_KERNEL = "python3"


@dataclass(frozen=True)
class RunOutcome:
    """What a run did: ``status`` is ``ok`` or ``failed``; ``exit_status`` 0 or 1."""

    status: str
    run_dir: Path
    report: Path
    message: str = ""
    #: 0 ok; 1 a cell failed; 2 the notebook itself rejected a parameter or the data.
    exit_status: int = 0


def prepare_parameters(
    notebook: Notebook,
    *,
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    """Merge the params file and ``-p`` overrides, validate them, and check the input data.

    Returns the values to inject and the input sources ``{parameter: (kind, source)}``.
    Raises ParameterError or InputDataError (one sentence each) before any kernel starts.
    """
    values: dict[str, Any] = {}
    if params_file is not None:
        values.update(read_params_file(params_file))
    values.update(overrides or {})
    injected = notebook.validate(values)
    inputs = {name: (kind, _portable_source(spec)) for name, (kind, spec) in notebook.inputs(injected).items()}
    injected.update({name: spec for name, (_kind, spec) in inputs.items()})
    if inputs:
        from helpers.inputs import loading as data_inputs  # the data layer pulls in DuckDB; only runs that read data need it

        timezone = injected.get("timezone", "UTC")
        columns = {name: data_inputs.check_input(spec, kind, timezone=timezone) for name, (kind, spec) in inputs.items()}
        notebook.parameters_class.model_validate(injected).check_input_columns(columns)
    return injected, inputs


def _portable_source(spec: str) -> str:
    """The source as the kernel (working in ``notebooks/``) will find it.

    A path given relative to where ``itvalue`` was started is made absolute; one
    inside the project stays relative to the project root, so reports read
    ``data/sample/sales.parquet`` rather than a home directory.
    """
    prefix, sep, rest = spec.partition(":") if spec.startswith("duckdb:") else ("", "", spec)
    path_part, qmark, query = rest.partition("?") if prefix else (rest, "", "")
    resolved = resolve_path(path_part)
    root = find_project_root()
    shown = str(resolved.relative_to(root)) if root is not None and resolved.is_relative_to(root) else str(resolved)
    return f"{prefix}{sep}{shown}{qmark}{query}"


def run_notebook(
    notebook: Notebook,
    *,
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    out_dir: str | Path,
    name: str | None = None,
    show_code: bool = False,
    quiet: bool = False,
    kernel: str | None = None,
) -> RunOutcome:
    """Validate, execute and report one notebook with one parameter set.

    ``kernel`` names a Jupyter kernelspec; by default the notebook runs on this Python environment.

    Raises
    ------
    ParameterError, InputDataError
        Bad parameters or input data (exit status 2): raised before any kernel starts
        and before anything is written.
    """
    injected, inputs = prepare_parameters(notebook, params_file=params_file, overrides=overrides)
    param_set = parameter_set_name(params_file, overrides, name)
    # Fingerprint the inputs before the run: a file replaced mid-run must not be recorded as read.
    fingerprints = provenance.input_fingerprints(inputs)
    set_dir = Path(out_dir) / notebook.name / param_set
    history = set_dir / "history"
    history.mkdir(parents=True, exist_ok=True)

    started = dt.datetime.now(dt.UTC)
    run_id = started.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)
    partial = history / f".{run_id}.partial"
    partial.mkdir()
    executed_path = partial / "notebook.ipynb"
    clock = time.perf_counter()

    logging.getLogger("papermill").setLevel(logging.WARNING)
    error_text = ""
    kit_error = False
    try:
        papermill.execute_notebook(
            str(notebook.path),
            str(executed_path),
            parameters=injected,
            kernel_name=kernel or OWN_KERNEL,
            # The kit's notebooks run in notebooks/ (as in JupyterLab); another notebook in its own folder.
            cwd=str(notebook.path.parent),
            progress_bar=not quiet,
            request_save_on_cell_execute=False,
            # The kernel's own log (ipykernel's notice that local TCP is unencrypted, the interrupt
            # it logs when shut down after a failed cell) is not the user's business; a cell's
            # errors reach the report and the exit status through papermill, unaffected.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except PapermillExecutionError as exc:
        error_text = f"{exc.ename}: {exc.evalue}"
        kit_error = exc.ename in _KIT_ERRORS
    except Exception as exc:  # a dead kernel or a broken notebook file still gets a failed run record
        error_text = f"{type(exc).__name__}: {exc}"
    duration = time.perf_counter() - clock
    finished = dt.datetime.now(dt.UTC)

    nb = nbformat.read(executed_path, as_version=4) if executed_path.exists() else _unexecuted(notebook)
    if not executed_path.exists():
        nbformat.write(nb, executed_path)
    failure = find_failure(nb) if error_text else None
    if error_text and failure is None:
        failure = Failure(where="the notebook could not be executed", error=error_text)
    status = "failed" if failure else "ok"

    results = extract_results(nb)
    run_record = {
        "status": status,
        "notebook": notebook.name,
        "title": notebook.title,
        "param_set": param_set,
        "run_id": run_id,
        "parameters": injected,
        "params_file": str(params_file) if params_file is not None else None,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "duration_seconds": round(duration, 3),
        "error": {"where": failure.where, "error": failure.error} if failure else None,
        "headline_fields": notebook.headline_fields,
        "kit_version": provenance.kit_version(),
        "git": provenance.git_commit(),
        "inputs": fingerprints,
        "packages": provenance.package_versions(),
    }
    footer = (
        f"{notebook.title} · parameter set '{param_set}' · run {started:%Y-%m-%d %H:%M} UTC "
        f"in {duration:.1f} s · itvalue {run_record['kit_version']}"
    )
    (partial / "report.html").write_text(
        notebook_to_html(nb, show_code=show_code, failure=failure, footer=footer), encoding="utf-8"
    )
    write_json(partial / "results.json", results if results is not None else {})
    write_json(partial / "run.json", run_record)

    run_dir = history / run_id
    partial.rename(run_dir)
    report = run_dir / "report.html"
    if status == "ok":
        with locked(set_dir / ".lock"):
            for name in RUN_FILES:
                replace_atomically(run_dir / name, set_dir / name)
        report = set_dir / "report.html"

    from helpers.running.index import write_index  # the index reads every run; import late to keep startup light

    write_index(Path(out_dir))
    message = f"{notebook.name}/{param_set}: {status} in {duration:.1f} s -> {report}"
    if failure:
        message += f" ({failure.where}: {failure.error})"
    exit_status = 0 if status == "ok" else (2 if kit_error else 1)
    return RunOutcome(status=status, run_dir=run_dir, report=report, message=message, exit_status=exit_status)


def parameter_set_name(
    params_file: str | Path | None, overrides: Mapping[str, Any] | None, name: str | None = None
) -> str:
    """The folder a run's reports go to: ``--name``, else the params file's stem (``default``),
    ``custom`` for ``-p`` alone, and ``default-custom`` when ``-p`` changes a params file, so an
    ad-hoc variation never replaces the scheduled report of that set."""
    if name is not None:
        if not _SAFE_NAME.fullmatch(name):
            raise ParameterError(f"--name must be letters, digits, '.', '_' or '-'; got {name!r}.")
        return name
    if params_file is None:
        return "custom"
    stem = Path(params_file).stem
    return f"{stem}-custom" if overrides else stem


def extract_results(nb: nbformat.NotebookNode) -> dict[str, Any] | None:
    """The key figures a notebook published with ``report.publish_results`` (the last one wins)."""
    found = None
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = output.get("data", {})
            if RESULTS_MIMETYPE in data:
                found = data[RESULTS_MIMETYPE]
    return found


def _unexecuted(notebook: Notebook) -> nbformat.NotebookNode:
    return nbformat.read(notebook.path, as_version=4)
