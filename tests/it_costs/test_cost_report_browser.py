"""The IT-cost report in a real headless Chromium: offline, no console error, it fits the page, every chart has
alt text, and its first screen answers the question (the headline and the cost per service)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

# The browser fixture and the page check of the report tests, shared rather than copied.
_SPEC = importlib.util.spec_from_file_location(
    "report_browser_support", Path(__file__).resolve().parents[1] / "report" / "test_report_browser.py"
)
_SUPPORT = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_SUPPORT)
browser = _SUPPORT.browser
check_report_in_browser = _SUPPORT.check_report_in_browser


def test_the_cost_report_answers_in_its_first_screen(browser, tmp_path):
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "it_costs", "-f", "params/it_costs/default.yml",
         "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=900, cwd=root,
    )
    assert done.returncode == 0, done.stderr
    browser.set_window_size(1400, 1000)
    seen = check_report_in_browser(browser, tmp_path / "out" / "it_costs" / "default" / "report.html", tmp_path / "costs.png")
    layout = seen["layout"]
    assert seen["console_errors"] == [] and seen["remote_requests"] == [] and seen["alerts"] == 0
    assert layout["overflow"] <= 0 and layout["wide"] == []
    assert len(layout["alts"]) >= 5 and all(alt.strip() for alt in layout["alts"])
    assert all(found for _href, found in layout["contents"]) and len(layout["contents"]) >= 6
    assert layout["openDetails"] == []
    # the first screen: the summary and the chart of what each service cost
    first = browser.execute_script(
        "const s = document.querySelector('.itvalue-summary').getBoundingClientRect();"
        "const chart = document.images[0].getBoundingClientRect(); return [s.top, s.bottom, chart.top, chart.bottom];"
    )
    assert first[1] < 1000 and first[2] < 1000, first
    assert seen["text"].count("IT cost ") >= 1 and "paid seats" in seen["text"] and "not allocated" in seen["text"]
    assert layout["alts"][0].startswith("Horizontal bars: the cost of each service in 2025-Q4")
