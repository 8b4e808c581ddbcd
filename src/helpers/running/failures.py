"""Why a run failed, in a sentence, with what to do about it and the command that runs it again.

A failed run's ``run.json`` holds ``error``: ``where`` it failed, the ``error`` itself, its
``cause`` (one of :data:`CAUSES`) and ``advice``; the report's banner, the index, ``index.json``,
the ``--all`` log and notifications all say it the same way, from here.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CAUSES", "Failure", "explain", "find_failure", "parts", "rerun_command"]

#: Each cause: what it is called, and what the reader can do about it.
CAUSES: dict[str, tuple[str, str]] = {
    "cell": (
        "a step of the analysis raised an error",
        "the failed report shows the step and its traceback; if the error names your data or parameters, fix them, "
        "otherwise report it with the report attached",
    ),
    "kernel-start": (
        "the Jupyter kernel did not start",
        "check that the kernel runs on this machine ('jupyter kernelspec list'; --kernel NAME picks another); "
        "its own output is kept as kernel.log beside the failed report",
    ),
    "kernel-died": (
        "the Jupyter kernel stopped in the middle of the run",
        "a kernel ended by the system is most often out of memory: run fewer sets at once (-j) or give the machine "
        "more memory; its own output is kept as kernel.log beside the failed report",
    ),
    "timeout": (
        "the run took longer than its time limit",
        "give it more time with --timeout SECONDS, or a smaller window of data",
    ),
    "bad-input": (
        "its parameters or input data were refused before the run",
        "fix what the sentence names; nothing was written for this attempt and the last good report stands",
    ),
    "notebook": (
        "the notebook could not be executed",
        "check that the notebook file opens in JupyterLab; the failed report keeps what was executed",
    ),
    "worker": (
        "the process running the set ended",
        "it was most likely stopped from outside or ran out of memory; run the set again on its own",
    ),
}


@dataclass(frozen=True)
class Failure:
    """Where a run failed (``"cell 7 of 21 raised an error"``), the error, and its cause (a key of :data:`CAUSES`)."""

    where: str
    error: str
    cause: str = "cell"

    def as_record(self) -> dict[str, str]:
        """What ``run.json`` holds under ``error``."""
        return {"where": self.where, "error": self.error, "cause": self.cause, "advice": CAUSES[self.cause][1]}


def find_failure(nb: Any) -> Failure | None:
    """The first code cell whose output is an error, if any (``nb``: an executed notebook)."""
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return Failure(
                    where=f"cell {number} of {len(code_cells)} raised an error",
                    error=f"{output.get('ename', 'Error')}: {output.get('evalue', '')}",
                )
    return None


def explain(error: Mapping[str, Any] | None, *, rerun: str | None = None) -> str:
    """One sentence (or two) for a failed run's ``error`` record: cause, error, advice, and the command to rerun.

    Records written before causes were recorded read as "a step of the analysis raised an error" when they
    name a cell, else as "the notebook could not be executed".
    """
    if not error:
        return ""
    what, advice = parts(error)
    sentence = f"{what}. What to do: {advice}."
    return f"{sentence} Run it again: {rerun}" if rerun else sentence


def parts(error: Mapping[str, Any]) -> tuple[str, str]:
    """A failure record as (what happened, what to do), each a sentence without its final full stop."""
    cause = error.get("cause") or ("cell" if str(error.get("where", "")).startswith("cell ") else "notebook")
    what, advice = CAUSES.get(cause, CAUSES["notebook"])
    where = str(error.get("where") or "")
    detail = str(error.get("error") or "").strip()
    sentence = what[:1].upper() + what[1:]
    if cause == "cell" and where:
        sentence += f" ({where.removesuffix(' raised an error')})"
    if detail:
        sentence += f": {detail}"
    return sentence.rstrip("."), str(error.get("advice") or advice)


def rerun_command(
    notebook: str,
    *,
    params_file: str | None,
    overrides: Mapping[str, Any] | None = None,
    name: str | None = None,
    kernel: str | None = None,
    out_dir: Path | None = None,
    default_out: Path | None = None,
) -> str:
    """The ``itvalue run`` command line that runs this set again, as a user would type it."""
    import yaml  # the CLI reads -p values as YAML: written back the same way

    words = ["itvalue", "run", notebook]
    if params_file:
        words += ["-f", params_file]
    for key, value in (overrides or {}).items():
        text = value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True, width=10_000)
        words += ["-p", f"{key}={str(text).strip().removesuffix('...').strip()}"]
    if name:
        words += ["--name", name]
    if kernel:
        words += ["--kernel", kernel]
    if out_dir is not None and (default_out is None or Path(out_dir).resolve() != Path(default_out).resolve()):
        words += ["--out", str(out_dir)]
    return shlex.join(words)
