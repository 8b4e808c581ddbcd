"""The page "IT value beside IT cost" in a real headless Chromium: offline, no console error, it fits the page,
hostile names stay text, missing figures read "missing", and every report link it gives leads to a report."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from helpers.analysis import registry
from helpers.running.index import write_index

pytestmark = pytest.mark.browser

# The browser fixture and the page check of the report tests, shared rather than copied.
_HERE = Path(__file__).resolve().parent
_SUPPORT = {}
for _name, _path in (("report_browser_support", _HERE.parent / "report" / "test_report_browser.py"),
                     ("value_support", _HERE / "test_value.py")):
    _spec = importlib.util.spec_from_file_location(_name, _path)
    _SUPPORT[_name] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_SUPPORT[_name])
browser = _SUPPORT["report_browser_support"].browser
check_report_in_browser = _SUPPORT["report_browser_support"].check_report_in_browser
_value = _SUPPORT["value_support"]


def test_the_value_page_opens_offline_and_says_what_is_missing(browser, tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "analyses", lambda: _value.ANALYSES)
    _value._run(tmp_path, "costs", "default", "2025-03-01T10:00:00",
                results=_value._costs(3954233.57, services=((_value.HOSTILE, 706056.0), ("ERP", 700343.78))))
    _value._run(tmp_path, "outages", "default", "2025-03-01T10:00:00", results={
        "analysis": "outages", "parameters": {"currency": "EUR", "confidence": 0.95},
        "period": {"start": "2025-01-01", "end": "2025-06-30"}, "units": {},
        "totals": {"net": 40794.1, "low": 31811.7, "high": 50318.2}})
    for folder in tmp_path.glob("*/default/history/*"):  # the page links to each set's report
        (folder.parents[1] / "report.html").write_text("<!DOCTYPE html><title>report</title><p>report</p>")
    write_index(tmp_path)

    browser.set_window_size(1280, 1200)
    seen = check_report_in_browser(browser, tmp_path / "value.html", tmp_path / "value.png")
    assert seen["console_errors"] == [] and seen["remote_requests"] == [] and seen["alerts"] == 0
    assert seen["layout"]["overflow"] <= 0
    assert seen["layout"]["headings"] == ["At stake: money lost, or paid for and not used", "What IT costs"]
    text = seen["text"]
    assert _value.HOSTILE in text, "a service named like a script shows as text"
    assert "40,794 EUR" in text and "31,812 to 50,318 (95%)" in text and "2025-01-01 to 2025-06-30" in text
    missing = browser.execute_script("return Array.from(document.querySelectorAll('.missing')).map(m => m.textContent)")
    assert missing == ["missing", "missing"], "upkeep has no good run, never_run no run: neither is a zero"
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
    reports = [href for href in links if href.endswith("report.html")]
    assert reports and all((tmp_path / href).is_file() for href in reports)
    assert (tmp_path / "value.png").stat().st_size > 10_000
