"""The index's page "IT value beside IT cost": every analysis's money figures from its default set's latest good
run, with unit, interval, period and report; missing is said, never zero; nothing is added up."""

from __future__ import annotations

import json
import re

import pytest

from helpers.analysis import registry
from helpers.analysis.contract import Analysis, MoneyField
from helpers.analysis.parameters import NotebookParameters
from helpers.running import value
from helpers.running.index import write_index

HOSTILE = "<script>alert(1)</script>"


def _analysis(name: str, *fields: MoneyField) -> Analysis:
    return Analysis(name=name, package=f"tests.{name}", title=name.replace("_", " ").title(), question="?",
                    Parameters=NotebookParameters, money_fields=fields)


ANALYSES = {
    "costs": _analysis(
        "costs",
        MoneyField("IT cost", "total_cost", unit_from="units.total_cost"),
        MoneyField("cost of each service", "cost", rows="services", row_label="{service}", unit_from="units.total_cost"),
        MoneyField("unused seats", "seats.unused_cost", unit="EUR", per="year", side="at_stake"),
    ),
    "outages": _analysis(
        "outages",
        MoneyField("sales lost to outages", "totals.net", low="totals.low", high="totals.high",
                   unit_from="parameters.currency", level_from="parameters.confidence", side="at_stake"),
    ),
    "upkeep": _analysis("upkeep", MoneyField("upkeep of unread data", "totals.money", unit="EUR", per="month",
                                             side="at_stake")),
    "never_run": _analysis("never_run", MoneyField("what it would say", "x", unit="EUR")),
    "no_money": _analysis("no_money"),
}


def _run(out, notebook, param_set, started, *, status="ok", results=None):
    folder = out / notebook / param_set / "history" / started.replace(":", "")
    folder.mkdir(parents=True)
    info = {"status": status, "notebook": notebook, "analysis": notebook, "title": notebook, "param_set": param_set,
            "parameters": {}, "started": started, "finished": started, "duration_seconds": 3.0,
            "error": None if status == "ok" else {"where": "cell 2", "error": "ValueError: no data"}}
    (folder / "run.json").write_text(json.dumps(info))
    if results is not None:
        (folder / "results.json").write_text(json.dumps(results))


def _costs(total, *, services=(("Web shop", 600.0), ("ERP", 400.0))):
    return {"analysis": "costs", "parameters": {"currency": "EUR"}, "period": {"start": "2025-10-01", "end": "2025-12-31"},
            "units": {"total_cost": "EUR"}, "total_cost": total,
            "services": [{"service": s, "cost": c} for s, c in services] + [{"service": "Idle", "cost": None}],
            "seats": {"unused_cost": 9000.0}}


@pytest.fixture
def reports(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "analyses", lambda: ANALYSES)
    _run(tmp_path, "costs", "default", "2025-03-01T10:00:00", results=_costs(1000.0))
    _run(tmp_path, "costs", "monthly", "2025-03-02T10:00:00", results=_costs(77.0))  # not the default set
    _run(tmp_path, "outages", "default", "2025-03-01T10:00:00", results={
        "analysis": "outages", "parameters": {"currency": "USD", "confidence": 0.9}, "period": {"start": "2025-01-01", "end": "2025-06-30"},
        "units": {}, "totals": {"net": 12500.0, "low": 8000.0, "high": 17100.0}})
    _run(tmp_path, "outages", "default", "2025-03-09T10:00:00", status="failed")  # the good run before it stands
    _run(tmp_path, "upkeep", "default", "2025-03-01T10:00:00", status="failed")
    write_index(tmp_path)
    return tmp_path


def _text(page: str) -> str:
    return re.sub(r"<[^>]+>", "", page)


def _figures(out):
    return json.loads((out / "index.json").read_text())["value"]["figures"]


def test_figures_come_from_the_default_sets_latest_good_run(reports):
    found = {(f["analysis"], f["label"], f["row"]): f for f in _figures(reports)}
    total = found[("costs", "IT cost", None)]
    assert (total["status"], total["value"], total["unit"], total["per"]) == ("ok", 1000.0, "EUR", "period")
    assert (total["start"], total["end"], total["report"]) == ("2025-10-01", "2025-12-31", "costs/default/report.html")
    assert total["estimate"] is False and total["low"] is None
    lost = found[("outages", "sales lost to outages", None)]
    assert (lost["value"], lost["low"], lost["high"], lost["level"], lost["unit"]) == (12500.0, 8000.0, 17100.0, 0.9, "USD")
    assert lost["run"] == "2025-03-01T10:00:00", "the latest run failed: the good one before it is shown"
    assert [f["row"] for f in _figures(reports) if f["label"] == "cost of each service"] == ["Web shop", "ERP"], \
        "a row whose figure is null does not apply; it is left out, not shown as 0"


def test_an_analysis_without_a_good_run_is_missing_not_zero(reports):
    found = {(f["analysis"], f["label"]): f for f in _figures(reports)}
    never = found[("never_run", "what it would say")]
    assert never["status"] == "missing" and never["value"] is None
    assert never["reason"] == "not run yet: its default set has no run (itvalue run never_run runs it)"
    failed = found[("upkeep", "upkeep of unread data")]
    assert failed["status"] == "missing" and failed["value"] is None and failed["history"] == "upkeep/default/history.html"
    assert failed["reason"] == "no good run of its default set: the latest, 2025-03-01 10:00 UTC, failed"
    assert "no_money" not in {f["analysis"] for f in _figures(reports)}

    page = (reports / "value.html").read_text()
    assert page.count("<span class='missing'>missing</span>") == 2
    assert "not run yet" in page and "href='upkeep/default/history.html'" in page
    assert "2 of 7 figures missing" in (reports / "index.html").read_text()
    assert "href='value.html'" in (reports / "index.html").read_text()


def test_the_page_shows_unit_interval_period_and_report_and_adds_nothing(reports):
    page = (reports / "value.html").read_text()
    assert "<b>12,500 USD</b>" in page and "8,000 to 17,100 (90%)" in page and "2025-01-01 to 2025-06-30" in _text(page)
    assert "<b>9,000 EUR</b> a year" in page and "a year, the rate at 2025-12-31" in _text(page)
    assert "7 figures from 4 analyses: 5 shown, 2 missing." in page
    assert "href='outages/default/report.html'" in page and "href='costs/default/report.html'" in page
    assert page.index("At stake") < page.index("What IT costs")
    assert "never added up" in page
    for total in ("1,000 + 12,500", "13,500", "21,500", "22,500", "10,000"):  # no sum of any two or more figures
        assert total not in page
    assert "77.00" not in page and "77 EUR" not in page, "another set's run is not the default set's"


def test_a_good_run_without_the_figure_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "analyses", lambda: ANALYSES)
    results = _costs(1000.0)
    results["seats"] = None  # no licences given
    results["services"] = []
    _run(tmp_path, "costs", "default", "2025-03-01T10:00:00", results=results)
    write_index(tmp_path)
    found = {f["label"]: f for f in _figures(tmp_path) if f["analysis"] == "costs"}
    for label in ("unused seats", "cost of each service"):
        assert found[label]["status"] == "missing" and found[label]["value"] is None
        assert found[label]["reason"].startswith("its latest good run (2025-03-01 10:00 UTC) has no value for it")
    assert found["IT cost"]["value"] == 1000.0


def test_hostile_names_stay_text_and_a_missing_period_is_said(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "analyses", lambda: ANALYSES)
    results = _costs(1000.0, services=((HOSTILE, 5.0),))
    del results["period"]
    _run(tmp_path, "costs", "default", "2025-03-01T10:00:00", results=results)
    write_index(tmp_path)
    page = (tmp_path / "value.html").read_text()
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "period not stated in its results.json" in page


def test_with_the_kit_s_analyses_a_missing_one_is_named(tmp_path):
    """Through the real registry: only downtime_sales has run; every other money figure is missing."""
    _run(tmp_path, "downtime_sales", "default", "2025-03-01T10:00:00", results={
        "analysis": "downtime_sales", "parameters": {"currency": "EUR", "confidence": 0.95}, "period": {"start": "2025-01-01", "end": "2025-06-30"},
        "units": {}, "totals": {"net_lost_revenue": 41000.0, "net_lost_revenue_low": 30000.0, "net_lost_revenue_high": 52000.0}})
    write_index(tmp_path)
    figures = _figures(tmp_path)
    lost = next(f for f in figures if f["analysis"] == "downtime_sales")
    assert (lost["value"], lost["low"], lost["high"], lost["unit"], lost["side"]) == (41000.0, 30000.0, 52000.0, "EUR", "at_stake")
    others = [f for f in figures if f["analysis"] != "downtime_sales"]
    assert {f["analysis"] for f in others} >= {"config_usage_audit", "it_costs"}
    assert all(f["status"] == "missing" and f["value"] is None for f in others)
    page = (tmp_path / "value.html").read_text()
    assert "41,000 EUR" in page and "30,000 to 52,000 (95%)" in page
    assert page.count("<span class='missing'>missing</span>") == len(others)


def test_money_text_keeps_cents_where_they_matter():
    assert [value.money_text(v) for v in (1552345.4, 99.5, 0.834, 0.0042, 0.0, None)] == \
        ["1,552,345", "99.50", "0.83", "0.0042", "0.00", "—"]


@pytest.mark.parametrize("bad, message", [
    ({"per": "week"}, "per must be one of"),
    ({"side": "value"}, "side must be one of"),
    ({"rows": "services"}, "rows and row_label go together"),
])
def test_a_money_field_says_what_it_covers(bad, message):
    with pytest.raises(ValueError, match=message):
        MoneyField("x", "x", **bad)
