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

from helpers.analysis import registry
from helpers.analysis.results import SHARE, lookup
from helpers.inputs.secrets import mask_secrets, masked_parameters
from helpers.running.attempts import read_refusals
from helpers.running.failures import explain, parts
from helpers.running.files import locked, write_text_atomically
from helpers.running.publishing import latest_run
from helpers.running.value import PAGE as VALUE_PAGE
from helpers.running.value import DefaultRuns, value_figures, value_page

__all__ = [
    "RunRecord",
    "good_run",
    "headline_figures",
    "headline_values",
    "index_summary",
    "read_runs",
    "sparkline",
    "write_index",
]


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

    @property
    def refused(self) -> bool:
        """A batch attempt refused before any kernel (no run folder, no report): see :mod:`.attempts`."""
        return self.info.get("status") == "bad-input"

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


def headline_values(results: dict[str, Any], fields: list[Any]) -> list[dict[str, Any]]:
    """The headline figures as data: ``label``, ``value``, ``low``, ``high``, ``unit`` and ``text``.

    Each field is a dotted path into results.json, or a mapping
    ``{"label", "value", "low", "high", "unit", "unit_from", "no_effect"}`` where ``low``/``high``
    are paths to the interval's bounds, ``unit_from`` a path to the unit (e.g. ``currency``) and
    ``no_effect`` the value that means "no effect" (0 for a change, 1 for a ratio): an interval
    that spans it is called inconclusive.
    """
    figures = []
    for field in fields:
        spec = field if isinstance(field, dict) else {"value": field}
        value = _number(lookup(results, spec["value"]))
        unit = lookup(results, spec.get("unit_from")) or spec.get("unit", "")
        low, high = _number(lookup(results, spec.get("low"))), _number(lookup(results, spec.get("high")))
        text = _figure_text(value, low, high, unit)
        if value is not None and low is not None and high is not None:
            no_effect = spec.get("no_effect")
            if isinstance(no_effect, (int, float)) and _spans(low, high, no_effect):
                text += ", inconclusive"
        label = spec.get("label") or _label(spec["value"])
        figures.append({"label": label, "value": value, "low": low, "high": high, "unit": unit, "text": text})
    return figures


def _figure_text(value: Any, low: Any, high: Any, unit: Any) -> str:
    """``37,539 EUR (26,487 to 51,913)``; a share (0-1 in results.json) as ``70.5% (69.9% to 71.1%)``."""
    form = _percent if unit == SHARE else _format
    text = form(value) + (f" {unit}" if unit and unit != SHARE and value is not None else "")
    if value is not None and low is not None and high is not None:
        text += f" ({form(low)} to {form(high)})"
    return text


def _spans(low: Any, high: Any, point: float) -> bool:
    try:
        return float(low) <= point <= float(high)
    except (TypeError, ValueError):
        return False


def _number(value: Any) -> Any:
    return value if value is None or isinstance(value, (int, float, str)) else str(value)


def headline_figures(results: dict[str, Any], fields: list[Any]) -> list[tuple[str, str]]:
    """The index's headline figures, as (label, text with unit and interval); see :func:`headline_values`."""
    return [(f["label"], f["text"]) for f in headline_values(results, fields)]


def _label(path: str) -> str:
    """``overall.nps`` -> ``overall nps``; ``events.0.level_change`` -> ``events level change``."""
    parts = [p for p in path.split(".") if not p.lstrip("-").isdigit()]
    return " ".join(parts).replace("_", " ")


def _percent(value: Any) -> str:
    """A share from 0 to 1 as a percentage, one decimal: ``70.5%``."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return _format(value)
    return f"{100 * value:.1f}%"


def _format(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) < 0.05:
            return "0.0"  # not "-0.0"
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"  # 217 beside 13,183, not 216.9
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
.failed, .bad-input { color: #b00020; font-weight: bold; }
.figures { font-size: 0.9em; color: #333; }
.muted { color: #777; font-size: 0.9em; }
.glance { display: grid; grid-template-columns: minmax(14em, 1.2fr) 3fr 150px; gap: 0.4em 1.2em; align-items: center;
          border: 1px solid #dde; background: #f7f9fc; padding: 0.8em 1.2em; margin: 0.5em 0 2em; }
.glance .figure { font-size: 1.05em; }
.glance b a { color: inherit; }
.reason { color: #5f0010; font-size: 0.85em; font-weight: normal; max-width: 30em; margin-top: 0.3em; }
.reason code { font-size: 0.95em; background: #fbeff1; padding: 0 0.2em; word-break: break-all; }
.params { font-size: 0.85em; color: #444; max-width: 18em; }
.missing { color: #b00020; font-weight: bold; }
.value td:nth-child(2), .value td:nth-child(3) { white-space: nowrap; }
.value tr.sub td:first-child { padding-left: 2em; color: #444; }
.value .date { white-space: nowrap; }
.value tr.sub td { border-bottom-color: #eee; }
.lead { max-width: 60em; }
.cio { border-left: 4px solid #0173b2; padding: 0.3em 0.8em; background: #f7f9fc; }
"""

#: What an em dash in the figures means, said once under every table that can show one.
DASH_NOTE = (
    "— : the figure does not apply to that run or could not be estimated from its data (for example no "
    "incident outside campaigns to compare with, or no event in the window); the report says why."
)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _when(info: dict[str, Any]) -> str:
    return info.get("started", "")[:16].replace("T", " ") + " UTC"


def _failure_html(info: dict[str, Any]) -> str:
    """Why the run failed (bold), what to do, and the command that runs it again (as code)."""
    error = info.get("error")
    if not isinstance(error, dict):
        return f"<div class='reason'>{html.escape(str(error or ''))}</div>"
    what, advice = parts(error)
    rerun = info.get("rerun")
    again = f"<br>Run it again: <code>{html.escape(rerun)}</code>" if rerun else ""
    return f"<div class='reason'><b>{html.escape(what)}.</b><br>What to do: {html.escape(advice)}.{again}</div>"


def _failure_reason(info: dict[str, Any]) -> str:
    """Why a run failed, what to do, and the command that runs it again (see :func:`failures.explain`)."""
    error = info.get("error") or {}
    if isinstance(error, dict):
        return explain(error, rerun=info.get("rerun"))
    return str(error)


def _figures(record: RunRecord) -> list[dict[str, Any]]:
    """A good run's headline figures: the fields its analysis declares now, else those its run.json recorded."""
    if not record.ok:
        return []
    fields = record.info.get("headline_fields", [])
    analysis = registry.analyses().get(str(record.info.get("analysis")))
    if analysis is not None:
        fields = [field.as_dict() for field in analysis.headline_fields]
    return headline_values(record.results(), fields)


def sparkline(points: list[tuple[float, float | None, float | None]], *, width: int = 140, height: int = 30) -> str:
    """A small inline SVG of a figure over runs (oldest first), its interval as a band; "" for fewer than 2."""
    values = [p for p in points if isinstance(p[0], (int, float))]
    if len(values) < 2:
        return ""
    lows = [lo if isinstance(lo, (int, float)) else v for v, lo, _ in values]
    highs = [hi if isinstance(hi, (int, float)) else v for v, _, hi in values]
    bottom, top = min(lows), max(highs)
    span = (top - bottom) or 1.0

    def xy(i: int, v: float) -> str:
        x = 2 + i * (width - 4) / (len(values) - 1)
        return f"{x:.1f},{height - 2 - (v - bottom) / span * (height - 4):.1f}"

    band = " ".join([xy(i, h) for i, h in enumerate(highs)] + [xy(i, lo) for i, lo in reversed(list(enumerate(lows)))])
    line = " ".join(xy(i, v) for i, (v, _, _) in enumerate(values))
    first, last = values[0][0], values[-1][0]
    label = f"Over the last {len(values)} good runs: from {_format(first)} to {_format(last)}"
    return (
        f"<svg role='img' aria-label='{html.escape(label)}' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}'><title>{html.escape(label)}</title>"
        f"<polygon points='{band}' fill='#0173b2' fill-opacity='0.15'/>"
        f"<polyline points='{line}' fill='none' stroke='#0173b2' stroke-width='1.5'/></svg>"
    )


def _trend_points(runs: list[RunRecord], position: int = 0) -> list[tuple[Any, Any, Any]]:
    """The ``position``-th headline figure of each good run, oldest first (at most 20 runs)."""
    points = []
    for record in reversed([r for r in runs if r.ok][:20]):
        figures = _figures(record)
        if len(figures) > position:
            f = figures[position]
            points.append((f["value"], f["low"], f["high"]))
    return points


def _parameter_changes(parameters: dict[str, Any], reference: dict[str, Any] | None) -> str:
    """``period: W; segments: region`` — what differs from ``reference`` (e.g. the default set's)."""
    if reference is None:
        return ""
    changed = [
        f"{key}: {_show(value)}" for key, value in parameters.items()
        if key in reference and reference[key] != value and not key.endswith("_path")
    ]
    changed += [f"{key}: {_show(value)}" for key, value in parameters.items() if key.endswith("_path") and
                key in reference and reference[key] != value]
    return "; ".join(changed) if changed else "as the default set"


def _file_changes(info: dict[str, Any]) -> str:
    """What a run's parameters changed from its set's file (``-p`` on top of ``-f``), as the file reads now."""
    path = info.get("params_file")
    if not path:
        return "no parameter file (-p only)"
    name = Path(path).name
    try:
        import yaml  # the standard library has no YAML; PyYAML is light and the CLI loads it anyway

        given = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, ValueError, ImportError, yaml.YAMLError):
        return f"{name} (unreadable now)"
    in_file = json.loads(json.dumps(given, default=str)) if isinstance(given, dict) else {}
    parameters = info.get("parameters") or {}
    changed = [f"{key}: {_show(parameters[key])}" for key in in_file if key in parameters and parameters[key] != in_file[key]]
    return f"{name} with {'; '.join(changed)}" if changed else f"as {name}"


def _show(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(_show(v) if isinstance(v, (dict, list)) else mask_secrets(str(v)) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{k} {mask_secrets(str(v))}" for k, v in masked_parameters(value).items())
    return mask_secrets(str(value))


def _glance(grouped: dict[tuple[str, str], list[RunRecord]]) -> str:
    """One line per analysis for a CIO: its default set's first headline figure, interval and trend."""
    by_notebook: dict[str, list[tuple[str, list[RunRecord]]]] = {}
    for (notebook, param_set), runs in grouped.items():
        by_notebook.setdefault(notebook, []).append((param_set, runs))
    lines = []
    for notebook, sets in by_notebook.items():
        param_set, runs = next(((n, r) for n, r in sets if n == "default"), sets[0])
        latest, good = runs[0], next((r for r in runs if r.ok), None)
        base = f"{quote(notebook)}/{quote(param_set)}"
        title = html.escape(latest.info.get("title", notebook))
        failed = next((r for r in runs if not r.refused), None)
        if good is not None:
            link = f"<b><a href='{html.escape(base)}/report.html'>{title}</a></b>"
        elif failed is not None:  # never succeeded: its latest failed report says how far it got
            link = f"<b><a href='{html.escape(base)}/history/{quote(failed.folder.name)}/report.html'>{title}</a></b>"
        else:
            link = f"<b>{title}</b>"
        reason = _failure_html(latest.info)
        if good is None:
            figure = f"<span class='failed'>no good run yet</span> {reason}"
        else:
            first = (_figures(good) or [{"label": "", "text": "ran"}])[0]
            figure = f"{html.escape(first['label'])}: <b>{html.escape(first['text'])}</b>"
            if not latest.ok:
                figure += f" <span class='failed'>latest run failed</span> {reason}"
        where = f"<span class='muted'>{html.escape(param_set)} set, {html.escape(_when((good or latest).info))}</span>"
        trend = sparkline(_trend_points(runs)) or "<span class='muted'>trend after two runs</span>"
        lines.append(f"<div>{link}<br>{where}</div><div class='figure'>{figure}</div><div>{trend}</div>")
    return "<h2>At a glance</h2><div class='glance'>" + "".join(lines) + "</div>"


def _index_row(
    key: tuple[str, str], runs: list[RunRecord], reference: dict[str, Any] | None, good: RunRecord | None
) -> str:
    notebook, param_set = key
    latest = runs[0]
    base = f"{quote(notebook)}/{quote(param_set)}"
    links = []
    if good is not None:
        links.append(f"<a href='{html.escape(base)}/report.html'>report</a>")
        links.append(f"<a href='{html.escape(base)}/notebook.ipynb'>notebook</a>")
    if not latest.ok and not latest.refused:
        failed = f"{base}/history/{quote(latest.folder.name)}/report.html"
        links.append(f"<a href='{html.escape(failed)}'>failed report</a>")
    runs_on_disk = [r for r in runs if not r.refused]
    if runs_on_disk:
        links.append(f"<a href='{html.escape(base)}/history.html'>history ({len(runs_on_disk)})</a>")
    figures = ""
    if good is not None:
        figures = "<br>".join(f"{html.escape(f['label'])}: {html.escape(f['text'])}" for f in _figures(good))
        if not latest.ok:
            figures += f"<br><span class='muted'>figures from the last good run, {html.escape(_when(good.info))}</span>"
    status = latest.info.get("status", "?")
    reason = "" if latest.ok else _failure_html(latest.info)
    changes = _parameter_changes(latest.info.get("parameters") or {}, reference)
    return (
        f"<tr><td><b>{html.escape(latest.info.get('title', notebook))}</b><br>"
        f"<span class='muted'>{html.escape(notebook)}</span></td>"
        f"<td>{html.escape(param_set)}<div class='params'>{html.escape(changes)}</div></td>"
        f"<td class='{html.escape(status)}'>{'refused' if latest.refused else html.escape(status)}{reason}</td>"
        f"<td>{html.escape(_when(latest.info))}</td>"
        f"<td>{latest.info.get('duration_seconds', 0):.0f} s</td>"
        f"<td class='figures'>{figures}</td>"
        f"<td>{' · '.join(links)}</td></tr>"
    )


def _history_page(key: tuple[str, str], runs: list[RunRecord]) -> str:
    runs = [r for r in runs if not r.refused]
    rows = []
    for position, r in enumerate(runs):
        earlier = next((o for o in runs[position + 1:]), None)
        changes = _parameter_changes(r.info.get("parameters") or {}, earlier.info.get("parameters") if earlier else None)
        changes = {"": "first run", "as the default set": "unchanged"}.get(changes, changes)
        changes = f"{_file_changes(r.info)}; from the run before: {changes}"
        figures = "<br>".join(f"{html.escape(f['label'])}: {html.escape(f['text'])}" for f in _figures(r))
        rows.append(
            f"<tr><td>{html.escape(_when(r.info))}</td>"
            f"<td class='{html.escape(r.info.get('status', ''))}'>{html.escape(r.info.get('status', ''))}</td>"
            f"<td>{r.info.get('duration_seconds', 0):.0f} s</td>"
            f"<td class='figures'>{figures or html.escape(_failure_reason(r.info))}</td>"
            f"<td class='params'>{html.escape(changes)}</td>"
            f"<td><a href='history/{html.escape(r.folder.name)}/report.html'>report</a> · "
            f"<a href='history/{html.escape(r.folder.name)}/notebook.ipynb'>notebook</a> · "
            f"<a href='history/{html.escape(r.folder.name)}/run.json'>run.json</a></td></tr>"
        )
    trend = sparkline(_trend_points(runs))
    body = (
        "<p><a href='../../index.html'>all reports</a></p>"
        + (f"<p>First headline figure over the good runs: {trend}</p>" if trend else "")
        + "<table><tr><th>started</th><th>status</th><th>duration</th><th>headline figures, or why it failed</th>"
        f"<th>parameters: against the set's file, and the run before</th><th>files</th></tr>{''.join(rows)}</table>"
        f"<p class='muted'>{html.escape(DASH_NOTE)}</p>"
    )
    return _page(f"Run history: {key[0]} / {key[1]}", body)


def index_summary(grouped: dict[tuple[str, str], list[RunRecord]]) -> dict[str, Any]:
    """What ``index.json`` holds for monitoring: per parameter set, status, when, headline figures."""
    sets = []
    for (notebook, param_set), runs in grouped.items():
        latest = runs[0]
        good = next((r for r in runs if r.ok), None)
        error = latest.info.get("error") if isinstance(latest.info.get("error"), dict) else {}
        failed = None if latest.ok or latest.refused else f"{notebook}/{param_set}/history/{latest.folder.name}/report.html"
        sets.append({
            "notebook": notebook,
            "title": latest.info.get("title", notebook),
            "param_set": param_set,
            "status": latest.info.get("status"),
            "started": latest.info.get("started"),
            "finished": latest.info.get("finished"),
            "duration_seconds": latest.info.get("duration_seconds"),
            "error": str(error.get("error") or "") or None if error else None,
            "sentence": _failure_reason(latest.info) or None,
            "cause": error.get("cause") if error else None,
            "rerun": latest.info.get("rerun") if not latest.ok else None,
            "failed_report": failed,
            "last_good_run": good.info.get("started") if good else None,
            "headline": [{k: v for k, v in f.items()} for f in _figures(good)] if good else [],
            "report": f"{notebook}/{param_set}/report.html" if good else None,
            "runs": len([r for r in runs if not r.refused]),
        })
    failed = sum(1 for s in sets if s["status"] != "ok")
    return {"format": 1, "status": "ok" if not failed else "failed", "failed_sets": failed, "sets": sets}


def _with_refusals(
    grouped: dict[tuple[str, str], list[RunRecord]], refusals: dict[str, dict[str, Any]]
) -> dict[tuple[str, str], list[RunRecord]]:
    """Each set's runs, led by its batch refusal when that is newer than its newest run."""
    from helpers.running.attempts import Refusal

    merged = {key: list(runs) for key, runs in grouped.items()}
    for label, refusal in refusals.items():
        notebook, _, param_set = label.partition("/")
        runs = merged.setdefault((notebook, param_set), [])
        finished = str(refusal.get("finished", ""))
        if runs and str(runs[0].info.get("finished") or runs[0].info.get("started") or "") >= finished:
            continue
        error = Refusal(label, str(refusal.get("sentence", "")), str(refusal.get("rerun", "")), finished).error()
        info = {
            "notebook": notebook, "param_set": param_set, "status": "bad-input", "started": finished,
            "finished": finished, "duration_seconds": 0, "error": error, "rerun": refusal.get("rerun"),
            "title": runs[0].info.get("title", notebook) if runs else notebook,
            "parameters": runs[0].info.get("parameters") if runs else {},
        }
        runs.insert(0, RunRecord(Path(), info))
    return dict(sorted(merged.items()))


def _value_link(figures: list[dict[str, Any]]) -> str:
    """The way to the page "IT value beside IT cost", saying how many of its figures are missing."""
    if not figures:
        return ""
    missing = sum(1 for f in figures if f["status"] != "ok")
    note = f" ({missing} of {len(figures)} figures missing)" if missing else ""
    return (f"<p class='cio'><b><a href='{VALUE_PAGE}'>IT value beside IT cost</a></b>: every analysis's money "
            f"figures, what is lost or paid for and not used beside what IT costs, on one page{html.escape(note)}.</p>")


def write_index(out_dir: Path) -> Path:
    """Rebuild ``out_dir/index.html``, ``index.json``, ``value.html`` and every ``history.html`` from the runs on disk."""
    out_dir = Path(out_dir)
    with locked(out_dir / ".index.lock"):
        grouped = _with_refusals(read_runs(out_dir), read_refusals(out_dir))
        for key, runs in grouped.items():
            if any(not r.refused for r in runs):
                write_text_atomically(out_dir / key[0] / key[1] / "history.html", _history_page(key, runs))
        defaults = {nb: runs[0].info.get("parameters") for (nb, ps), runs in grouped.items() if ps == "default"}
        rows = "".join(
            _index_row(key, runs, defaults.get(key[0]), good_run(out_dir / key[0] / key[1], runs))
            for key, runs in grouped.items()
        )
        figures = value_figures(registry.analyses(), {
            notebook: DefaultRuns(runs, good_run(out_dir / notebook / param_set, runs))
            for (notebook, param_set), runs in grouped.items() if param_set == "default"
        })
        write_text_atomically(out_dir / VALUE_PAGE, _page("IT value beside IT cost", value_page(figures)))
        body = (
            _value_link(figures)
            + _glance(grouped)
            + "<h2>Every parameter set</h2>"
            "<p class='muted'>Status, time and headline figures are those of the latest run; under each set's "
            "name, what its parameters change from the analysis's default set.</p>"
            "<table><tr><th>analysis</th><th>parameter set</th><th>status</th><th>last run</th>"
            f"<th>duration</th><th>headline figures</th><th>links</th></tr>{rows}</table>"
            f"<p class='muted'>{html.escape(DASH_NOTE)} Machine-readable: <a href='index.json'>index.json</a>.</p>"
        )
        if not grouped:
            body = "<p>No runs yet. Run <code>itvalue run --all</code>.</p>"
        summary = index_summary(grouped)
        summary["value"] = {"page": VALUE_PAGE, "figures": figures}
        summary["generated"] = max((r.info.get("finished") or "" for runs in grouped.values() for r in runs), default=None)
        write_text_atomically(out_dir / "index.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        target = out_dir / "index.html"
        write_text_atomically(target, _page("IT value reports", body))
    return target
