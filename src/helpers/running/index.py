"""The reports index (``<out>/index.html``) and each parameter set's run history page.

Both are rebuilt from the ``run.json`` files on disk after every run, so they
can never disagree with what is there; a lock keeps two runs that finish at the
same moment from writing them at once.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from helpers.running.files import locked, write_text_atomically
from helpers.running.publishing import latest_run

__all__ = ["RunRecord", "good_run", "read_runs", "write_index", "headline_figures"]


@dataclass(frozen=True)
class RunRecord:
    """One finished run as read back from its ``run.json``."""

    folder: Path
    info: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.info.get("notebook", "?"), self.info.get("param_set", "?")

    @property
    def ok(self) -> bool:
        return self.info.get("status") == "ok"

    def results(self) -> dict[str, Any]:
        try:
            return json.loads((self.folder / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}


def read_runs(out_dir: Path) -> dict[tuple[str, str], list[RunRecord]]:
    """Every complete run under ``out_dir``, grouped by (notebook, param set), newest first."""
    grouped: dict[tuple[str, str], list[RunRecord]] = {}
    for run_json in out_dir.glob("*/*/history/*/run.json"):
        if run_json.parent.name.startswith("."):
            continue  # a run still being written
        try:
            record = RunRecord(run_json.parent, json.loads(run_json.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
        grouped.setdefault(record.key, []).append(record)
    for runs in grouped.values():
        # The order runs finished in (numbered under the set's lock), not the clock: a clock set
        # back must not make the newest run look old. Runs from before numbering sort by time.
        runs.sort(key=lambda r: (_sequence(r), r.info.get("started", "")), reverse=True)
    return dict(sorted(grouped.items()))


def _sequence(record: RunRecord) -> int:
    try:
        return int(record.info.get("sequence") or 0)
    except (TypeError, ValueError):
        return 0


def good_run(set_dir: Path, runs: list[RunRecord]) -> RunRecord | None:
    """The run the set's top-level files show: the one ``latest`` names (else the newest ok run)."""
    published = latest_run(set_dir)
    if published is not None:
        return next((r for r in runs if r.folder.resolve() == published), None)
    return next((r for r in runs if r.ok), None)


def _lookup(results: Any, path: str | None) -> Any:
    """``totals.net_lost_revenue`` or ``periods.-1.nps`` in the results; None when absent."""
    if not path:
        return None
    value: Any = results
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.lstrip("-").isdigit() and value:
            index = int(part)
            value = value[index] if -len(value) <= index < len(value) else None
        else:
            return None
    return value


def headline_figures(results: dict[str, Any], fields: list[Any]) -> list[tuple[str, str]]:
    """The index's headline figures, as (label, text with unit and interval).

    Each field is a dotted path into results.json, or a mapping
    ``{"label", "value", "low", "high", "unit", "unit_from"}`` where ``low``/``high`` are
    paths to the interval's bounds and ``unit_from`` a path to the unit (e.g. ``currency``).
    """
    figures = []
    for field in fields:
        spec = field if isinstance(field, dict) else {"value": field}
        value = _lookup(results, spec["value"])
        unit = _lookup(results, spec.get("unit_from")) or spec.get("unit", "")
        text = _format(value) + (f" {unit}" if unit and value is not None else "")
        low, high = _lookup(results, spec.get("low")), _lookup(results, spec.get("high"))
        if value is not None and low is not None and high is not None:
            text += f" ({_format(low)} to {_format(high)})"
        figures.append((spec.get("label") or _label(spec["value"]), text))
    return figures


def _label(path: str) -> str:
    """``overall.nps`` -> ``overall nps``; ``events.0.level_change`` -> ``events level change``."""
    parts = [p for p in path.split(".") if not p.lstrip("-").isdigit()]
    return " ".join(parts).replace("_", " ")


def _format(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) < 0.05:
            return "0.0"  # not "-0.0"
        return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 1200px; margin: 2em auto;
       padding: 0 1.5em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.45em 0.7em; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f4f4f4; }
.ok { color: #1b7a3a; font-weight: bold; }
.failed { color: #b00020; font-weight: bold; }
.figures { font-size: 0.9em; color: #333; }
.muted { color: #777; font-size: 0.9em; }
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _index_row(key: tuple[str, str], runs: list[RunRecord], good: RunRecord | None) -> str:
    notebook, param_set = key
    latest = runs[0]
    base = f"{quote(notebook)}/{quote(param_set)}"
    links = []
    if good is not None:
        links.append(f"<a href='{html.escape(base)}/report.html'>report</a>")
        links.append(f"<a href='{html.escape(base)}/notebook.ipynb'>notebook</a>")
    if not latest.ok:
        failed = f"{base}/history/{quote(latest.folder.name)}/report.html"
        links.append(f"<a href='{html.escape(failed)}'>failed report</a>")
    links.append(f"<a href='{html.escape(base)}/history.html'>history ({len(runs)})</a>")
    figures = ""
    if good is not None:
        shown = headline_figures(good.results(), good.info.get("headline_fields", []))
        figures = "<br>".join(f"{html.escape(label)}: {html.escape(text)}" for label, text in shown)
        if not latest.ok:
            when = html.escape(good.info.get("started", "")[:16])
            figures += f"<br><span class='muted'>figures from the last good run, {when}</span>"
    status = latest.info.get("status", "?")
    return (
        f"<tr><td><b>{html.escape(latest.info.get('title', notebook))}</b><br>"
        f"<span class='muted'>{html.escape(notebook)}</span></td>"
        f"<td>{html.escape(param_set)}</td>"
        f"<td class='{html.escape(status)}'>{html.escape(status)}</td>"
        f"<td>{html.escape(latest.info.get('started', '')[:19].replace('T', ' '))} UTC</td>"
        f"<td>{latest.info.get('duration_seconds', 0):.1f} s</td>"
        f"<td class='figures'>{figures}</td>"
        f"<td>{' · '.join(links)}</td></tr>"
    )


def _history_page(key: tuple[str, str], runs: list[RunRecord]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(r.info.get('started', '')[:19].replace('T', ' '))} UTC</td>"
        f"<td class='{html.escape(r.info.get('status', ''))}'>{html.escape(r.info.get('status', ''))}</td>"
        f"<td>{r.info.get('duration_seconds', 0):.1f} s</td>"
        f"<td>{html.escape((r.info.get('error') or {}).get('error', ''))}</td>"
        f"<td><a href='history/{html.escape(r.folder.name)}/report.html'>report</a> · "
        f"<a href='history/{html.escape(r.folder.name)}/notebook.ipynb'>notebook</a> · "
        f"<a href='history/{html.escape(r.folder.name)}/run.json'>run.json</a></td></tr>"
        for r in runs
    )
    body = (
        "<p><a href='../../index.html'>all reports</a></p>"
        "<table><tr><th>started</th><th>status</th><th>duration</th><th>error</th><th>files</th></tr>"
        f"{rows}</table>"
    )
    return _page(f"Run history: {key[0]} / {key[1]}", body)


def write_index(out_dir: Path) -> Path:
    """Rebuild ``out_dir/index.html`` and every ``history.html`` from the runs on disk."""
    out_dir = Path(out_dir)
    with locked(out_dir / ".index.lock"):
        grouped = read_runs(out_dir)
        for key, runs in grouped.items():
            write_text_atomically(out_dir / key[0] / key[1] / "history.html", _history_page(key, runs))
        rows = "".join(
            _index_row(key, runs, good_run(out_dir / key[0] / key[1], runs)) for key, runs in grouped.items()
        )
        body = (
            "<p class='muted'>Every notebook and parameter set that has run into this folder; "
            "status, time and headline figures are those of the latest run.</p>"
            "<table><tr><th>analysis</th><th>parameter set</th><th>status</th><th>last run</th>"
            f"<th>duration</th><th>headline figures</th><th>links</th></tr>{rows}</table>"
        )
        if not grouped:
            body = "<p>No runs yet. Run <code>itvalue run --all</code>.</p>"
        target = out_dir / "index.html"
        write_text_atomically(target, _page("IT value reports", body))
    return target
