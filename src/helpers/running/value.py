"""The reports index's page "IT value beside IT cost" (``<out>/value.html``, and ``value`` in ``index.json``).

For a budget meeting: every installed analysis's money figures (its
:attr:`~helpers.analysis.Analysis.money_fields`) on one page, read from the latest good run of its
default parameter set: what outages cost in sales, what unread configuration data costs to keep, what
unused licence seats cost, what IT's services cost in all and per unit of business. Each figure keeps
its unit, its interval where it is an estimate, the period it covers and a link to its report.

Two rules keep the page honest. A figure whose analysis has not run, or has no good run of its default
set, is *missing* (with the reason), never zero. And no figure is added to another: they cover
different periods, some are rates (a month, a year), and an interval does not add like a sum.
A new analysis's money appears here by declaring its fields; this module names no analysis.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from helpers.analysis.contract import Analysis, MoneyField
from helpers.analysis.results import lookup

__all__ = ["PAGE", "DefaultRuns", "money_text", "value_figures", "value_page"]

#: The page's file name beside index.html.
PAGE = "value.html"
#: The parameter set whose latest good run the page reads.
DEFAULT_SET = "default"

_SECTIONS = (
    ("at_stake", "At stake: money lost, or paid for and not used",
     "What the business loses to IT's shortfalls, or pays for and does not use."),
    ("cost", "What IT costs", "What IT spends, in all, per service and per unit of business, and what is bought outside it."),
)
_PER = {"month": " a month", "year": " a year", "period": ""}


@dataclass(frozen=True)
class DefaultRuns:
    """An analysis's default set as the index found it on disk.

    Attributes
    ----------
    runs : sequence of RunRecord
        Its runs, newest first (empty: never run).
    good : RunRecord or None
        The run the set's report shows (:func:`helpers.running.index.good_run`), None if there is none.
    """

    runs: Sequence[Any] = ()
    good: Any = None


def value_figures(analyses: Mapping[str, Analysis], defaults: Mapping[str, DefaultRuns]) -> list[dict[str, Any]]:
    """Every money figure of every analysis, as ``index.json``'s ``value.figures`` lists them.

    Each is ``{"analysis", "title", "side", "label", "row", "status", "reason", "value", "low", "high",
    "level", "estimate", "unit", "per", "start", "end", "report", "run", "history"}``: ``status`` is ``ok`` or ``missing``
    (``value`` then null and ``reason`` one sentence); ``row`` names the row of a per-row field
    (a service); ``estimate`` says whether the analysis gives an interval for it (``level``: its level,
    0-1, when the analysis names it); ``start`` and
    ``end`` are the run's period (ISO dates; a rate of ``per`` month or year is the one at ``end``).
    """
    figures = []
    for name, analysis in analyses.items():
        found = defaults.get(name, DefaultRuns())
        for field in analysis.money_fields:
            figures += _read(name, analysis, field, found)
    return figures


def _read(name: str, analysis: Analysis, field: MoneyField, found: DefaultRuns) -> list[dict[str, Any]]:
    base = {"analysis": name, "title": analysis.title, "side": field.side, "label": field.label, "row": None,
            "status": "missing", "reason": None, "value": None, "low": None, "high": None, "level": None,
            "estimate": field.low is not None and field.high is not None, "unit": None, "per": field.per,
            "start": None, "end": None, "report": None, "run": None,
            "history": f"{quote(name)}/{DEFAULT_SET}/history.html" if found.runs else None}
    if found.good is None:
        return [{**base, "reason": _why_no_run(name, found.runs)}]
    results = found.good.results()
    spec = field.as_dict()
    period = results.get("period") if isinstance(results.get("period"), Mapping) else {}
    base.update(unit=str(lookup(results, spec.get("unit_from")) or spec.get("unit") or ""),
                level=_number(lookup(results, field.level_from)),
                start=period.get("start"), end=period.get("end"), run=found.good.info.get("started"),
                report=f"{quote(name)}/{DEFAULT_SET}/report.html")
    if field.rows is None:
        rows: list[tuple[str | None, Any]] = [(None, results)]
    else:
        listed = lookup(results, field.rows)
        rows = [(_row_label(field.row_label or "", row), row) for row in listed if isinstance(row, Mapping)] \
            if isinstance(listed, list) else []
    out = []
    for label, row in rows:
        value = _number(lookup(row, field.value))
        if value is not None:
            out.append({**base, "row": label, "status": "ok", "value": value,
                        "low": _number(lookup(row, field.low)), "high": _number(lookup(row, field.high))})
    if not out:
        when = _when(found.good.info.get("started"))
        out.append({**base, "reason": f"its latest good run ({when}) has no value for it: an input it needs was not "
                                      "given, or the figure could not be computed; its report says why"})
    return out


def _why_no_run(name: str, runs: Sequence[Any]) -> str:
    if not runs:
        return f"not run yet: its {DEFAULT_SET} set has no run (itvalue run {name} runs it)"
    latest = runs[0].info
    status = "was refused" if latest.get("status") == "bad-input" else "failed"
    return f"no good run of its {DEFAULT_SET} set: the latest, {_when(latest.get('started'))}, {status}"


class _RowValues(dict):
    """A row's values for a label template; a key the row lacks reads as a dash."""

    def __missing__(self, key: str) -> str:
        return "—"


def _row_label(template: str, row: Mapping[str, Any]) -> str:
    return template.format_map(_RowValues({k: "—" if v is None else str(v) for k, v in row.items()}))


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _when(started: Any) -> str:
    return str(started or "")[:16].replace("T", " ") + " UTC" if started else "an unknown time"


def money_text(value: float | None) -> str:
    """An amount as a budget reads it: ``1,552,345`` above 100, ``12.40`` and ``0.83`` below, ``0.0042`` under a cent."""
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if value == 0 or abs(value) >= 0.01:
        return f"{value:,.2f}"
    return f"{value:.2g}"


def _amount(figure: dict[str, Any]) -> str:
    """The amount with its unit (``a year`` for a yearly rate), or "missing" and why."""
    if figure["status"] != "ok":
        return f"<span class='missing'>missing</span><div class='reason'>{html.escape(figure['reason'] or '')}</div>"
    unit = f" {figure['unit']}" if figure["unit"] else ""
    return f"<b>{money_text(figure['value'])}{html.escape(unit)}</b>{_PER[figure['per']]}"


def _interval(figure: dict[str, Any]) -> str:
    if not figure["estimate"]:
        return "—"
    if figure["low"] is None or figure["high"] is None:
        return "could not be estimated"
    level = f" ({figure['level']:.0%})" if figure["level"] is not None else ""
    return f"{money_text(figure['low'])} to {money_text(figure['high'])}{level}"


def _covers(figure: dict[str, Any]) -> str:
    start, end = (_date(figure[key]) for key in ("start", "end"))
    if figure["per"] == "period":
        return f"{start} to {end}" if start and end else "period not stated in its results.json"
    rate = f"a {figure['per']}"
    return f"{rate}, the rate at {end}" if end else f"{rate} (date not stated in its results.json)"


def _date(value: Any) -> str:
    return f"<span class='date'>{html.escape(str(value))}</span>" if value else ""


def _source(figure: dict[str, Any]) -> str:
    title = html.escape(figure["title"])
    if figure["report"]:
        return (f"<a href='{html.escape(figure['report'])}'>{title}</a><br>"
                f"<span class='muted'>{DEFAULT_SET} set, {html.escape(_when(figure['run']))}</span>")
    runs = f"<br><a href='{html.escape(figure['history'])}'>its runs</a>" if figure["history"] else ""
    return f"{title}{runs}"


def _rows(figures: list[dict[str, Any]]) -> str:
    """One row per figure; a per-row field as a header row (its period and source) over its rows."""
    out, seen = [], set()
    for figure in figures:
        key = (figure["analysis"], figure["label"])
        if figure["status"] != "ok":  # the reason spans amount, interval and period: there are none
            out.append(f"<tr><td>{html.escape(figure['label'])}</td><td colspan='3'>{_amount(figure)}</td>"
                       f"<td>{_source(figure)}</td></tr>")
            continue
        if figure["row"] is None:
            out.append(f"<tr><td>{html.escape(figure['label'])}</td><td>{_amount(figure)}</td><td>{_interval(figure)}</td>"
                       f"<td>{_covers(figure)}</td><td>{_source(figure)}</td></tr>")
            continue
        if key not in seen:
            seen.add(key)
            out.append(f"<tr><td>{html.escape(figure['label'])}</td><td></td><td></td>"
                       f"<td>{_covers(figure)}</td><td>{_source(figure)}</td></tr>")
        out.append(f"<tr class='sub'><td>{html.escape(figure['row'])}</td><td>{_amount(figure)}</td>"
                   f"<td>{_interval(figure)}</td><td></td><td></td></tr>")
    return "".join(out)


def value_page(figures: list[dict[str, Any]]) -> str:
    """The page's body (``index.py`` wraps it): the two sides, each a table, and what the dashes mean."""
    missing = sum(1 for f in figures if f["status"] != "ok")
    analyses = len({f["analysis"] for f in figures})
    body = [
        "<p><a href='index.html'>all reports</a></p>",
        "<p class='lead'>The money figures of each analysis, from the latest good run of its default set, each with its "
        "unit, its interval where it is an estimate, the period it covers and a link to its report. They are "
        "<b>never added up</b>: they cover different periods, some are rates (a month, a year), and an interval does "
        "not add like a sum. A figure whose analysis has not run, or has no good run, is <b>missing</b>: missing is "
        "not zero.</p>",
        f"<p class='muted'>{len(figures)} figures from {analyses} analyses: {len(figures) - missing} shown, "
        f"{missing} missing.</p>",
    ]
    if not figures:
        body.append("<p>No installed analysis declares money figures.</p>")
    for side, heading, explain in _SECTIONS:
        mine = [f for f in figures if f["side"] == side]
        if not mine:
            continue
        body.append(
            f"<h2>{html.escape(heading)}</h2><p class='muted'>{html.escape(explain)}</p>"
            "<table class='value'><tr><th>figure</th><th>amount</th><th>interval</th><th>covers</th><th>from</th></tr>"
            f"{_rows(mine)}</table>"
        )
    body.append(
        "<p class='muted'>Interval —: the analysis gives none, because the figure is a sum or a rate of recorded "
        "amounts, not a statistical estimate. A rate (a month, a year) is the one at the end of the run's period. "
        "Machine-readable: <code>value</code> in <a href='index.json'>index.json</a>.</p>"
    )
    return "".join(body)
