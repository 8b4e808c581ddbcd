"""The last attempt at each parameter set: what a notification compares with, and the refusals the index shows.

A run that the runner refuses (bad parameters or data, exit status 2) writes nothing into the set's folder.
When ``--all`` meets one, the batch records the refusal here, in ``<out>/.attempts.json``, so the index and
``index.json`` can say that the scheduled set was refused and why; the next run of that set that gets as far
as a kernel clears it. Finished runs are read from the sets' own ``run.json`` files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.running.files import locked, write_text_atomically

__all__ = ["ATTEMPTS_FILE", "Refusal", "last_status", "read_refusals", "record"]

ATTEMPTS_FILE = ".attempts.json"


@dataclass(frozen=True)
class Refusal:
    """A set the runner refused before any kernel: its one sentence and the command to run it again."""

    label: str
    sentence: str
    rerun: str
    finished: str

    def error(self) -> dict[str, str]:
        """The refusal as a run record's ``error``."""
        from helpers.running.failures import CAUSES

        return {"where": "before the run", "error": self.sentence, "cause": "bad-input", "advice": CAUSES["bad-input"][1]}


def read_refusals(out_dir: Path) -> dict[str, dict[str, Any]]:
    """``{"notebook/set": {"sentence", "rerun", "finished"}}`` for sets whose last batch attempt was refused."""
    try:
        data = json.loads((Path(out_dir) / ATTEMPTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    refused = data.get("refused") if isinstance(data, dict) else None
    return {k: v for k, v in refused.items() if isinstance(v, dict)} if isinstance(refused, dict) else {}


def record(out_dir: Path, refused: Iterable[Refusal], ran: Iterable[str]) -> None:
    """Add this batch's refusals and clear the sets that ran (ok or failed), under the index's lock."""
    out_dir = Path(out_dir)
    refused, ran = list(refused), set(ran)
    if not refused and not (ran & set(read_refusals(out_dir))):
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    with locked(out_dir / ".index.lock"):
        current = {k: v for k, v in read_refusals(out_dir).items() if k not in ran}
        current.update({r.label: {"sentence": r.sentence, "rerun": r.rerun, "finished": r.finished} for r in refused})
        text = json.dumps({"format": 1, "refused": current}, indent=2, ensure_ascii=False) + "\n"
        write_text_atomically(out_dir / ATTEMPTS_FILE, text)


def last_status(out_dir: Path, notebook: str, param_set: str) -> str | None:
    """How the set's last attempt ended: ``ok``, ``failed``, ``bad-input``, or None if it was never tried."""
    newest: tuple[str, str] | None = None
    for run_json in (Path(out_dir) / notebook / param_set / "history").glob("*/run.json"):
        if run_json.parent.name.startswith("."):
            continue
        try:
            info = json.loads(run_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        finished = str(info.get("finished") or info.get("started") or "")
        if newest is None or finished > newest[0]:
            newest = (finished, str(info.get("status")))
    refusal = read_refusals(out_dir).get(f"{notebook}/{param_set}")
    if refusal is not None and (newest is None or str(refusal.get("finished", "")) > newest[0]):
        return "bad-input"
    return newest[1] if newest else None
