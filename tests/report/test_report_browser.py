"""A real browser opens a report offline: no request leaves the page, no console error, charts drawn.

Uses Debian's headless ``chromium`` and ``chromedriver`` (``make browser`` installs them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE_NOTEBOOKS

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("Debian's chromium and chromium-driver are required: run 'make browser'")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    # The network is cut for the page: anything it tries to fetch from a host fails and is logged.
    # Count alert() calls: a script smuggled into a report through data would call it.
    driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": "window.__alerted = 0; window.alert = () => { window.__alerted += 1; };"},
    )
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    yield driver
    driver.quit()


def _network_events(driver) -> tuple[list[str], list[str]]:
    requested, failed = [], []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.loadingFailed":
            failed.append(message["params"].get("errorText", "?"))
    return requested, failed


def check_report_in_browser(driver, report: Path, screenshot: Path) -> dict:
    """Open a report from disk with the network off; return what the page did."""
    driver.get_log("performance")  # drain what the blank start page did
    driver.get(report.resolve().as_uri())
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight]);"
    )
    driver.save_screenshot(str(screenshot))
    requested, failed = _network_events(driver)
    console_errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    layout = driver.execute_script(
        """
        const links = Array.from(document.querySelectorAll('nav.itvalue-contents a'));
        return {
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          wide: Array.from(document.querySelectorAll('.jp-OutputArea-output'))
            .filter(o => o.scrollWidth > o.clientWidth + 1).map(o => o.textContent.slice(0, 60)),
          alts: Array.from(document.images).map(i => i.getAttribute('alt') || ''),
          contents: links.map(a => [a.getAttribute('href'), !!document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)))]),
          openDetails: Array.from(document.querySelectorAll('details[open]')).map(d => d.className),
          headings: Array.from(document.querySelectorAll('h2')).map(h => h.textContent.replace('¶', '').trim()),
        };
        """
    )
    return {
        "layout": layout,
        "images": images,
        "remote_requests": [u for u in requested if u.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp")],
        "failed": failed,
        "console_errors": console_errors,
        "alerts": driver.execute_script("return window.__alerted || 0;"),
        "text": driver.find_element("tag name", "body").text,
    }


def test_fixture_report_opens_offline_with_charts(browser, tmp_path, fixture_env):
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", str(FIXTURE_NOTEBOOKS / "chart.ipynb"),
         "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = tmp_path / "out" / "chart" / "custom" / "report.html"
    seen = check_report_in_browser(browser, report, tmp_path / "report.png")

    assert seen["remote_requests"] == [] and seen["failed"] == []
    assert seen["console_errors"] == []
    assert seen["images"], "the chart is an embedded image"
    assert all(complete and width > 100 and height > 100 for complete, width, height in seen["images"])
    assert "<script>alert(1)</script>" in seen["text"], "hostile text shows as text"
    assert seen["alerts"] == 0, "and never runs"
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_failed_report_shows_the_banner(browser, tmp_path, fixture_env):
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", str(FIXTURE_NOTEBOOKS / "chart.ipynb"),
         "--out", str(tmp_path / "out"), "-p", "fail=true", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1
    report = next((tmp_path / "out" / "chart" / "custom" / "history").glob("*/report.html"))
    seen = check_report_in_browser(browser, report, tmp_path / "failed.png")
    assert "This run failed." in seen["text"]
    assert "RuntimeError: planted failure <b>bold</b>" in seen["text"]
    assert seen["console_errors"] == [] and seen["remote_requests"] == []
    assert seen["layout"]["openDetails"] == [], "the traceback is folded"
    assert "Traceback" not in seen["text"] and "Technical details" in seen["text"]


def test_a_kit_report_fits_1400_px_has_alt_text_and_working_contents(browser, tmp_path):
    # A real analysis on the sample data: long enough for a table of contents, with several charts.
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "nps_trends", "-f", "params/nps_trends/by_region.yml",
         "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=600, cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    browser.set_window_size(1400, 2000)
    report = tmp_path / "out" / "nps_trends" / "by_region" / "report.html"
    seen = check_report_in_browser(browser, report, tmp_path / "nps.png")
    layout = seen["layout"]
    assert seen["console_errors"] == [] and seen["remote_requests"] == []
    assert layout["overflow"] <= 0, "no horizontal scrolling at 1,400 px"
    assert layout["wide"] == [], "every table and chart fits the page's 1,100 px"
    assert len(layout["alts"]) >= 5 and all(alt.strip() for alt in layout["alts"]), "every chart has alt text"
    assert not any("No description" in alt for alt in layout["alts"])
    assert any(alt.startswith("Line chart of NPS by period") for alt in layout["alts"])
    assert len(layout["contents"]) >= 4 and all(found for _href, found in layout["contents"]), layout["contents"]
    assert layout["openDetails"] == [], "run parameters and long tables start folded"
    assert "In short" in seen["text"] and "By region, NPS ranged from" in seen["text"]
    index = check_report_in_browser(browser, tmp_path / "out" / "index.html", tmp_path / "index.png")
    assert index["console_errors"] == [] and index["remote_requests"] == []
    assert index["layout"]["overflow"] <= 0 and "At a glance" in index["text"]


def test_the_check_sees_a_page_that_fetches_from_a_cdn(browser, tmp_path):
    # The offline check must be able to fail: nbconvert's stock template loads require.js from a CDN.
    page = tmp_path / "cdn.html"
    page.write_text(
        "<html><head><script src='https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js'>"
        "</script></head><body>x</body></html>",
        encoding="utf-8",
    )
    seen = check_report_in_browser(browser, page, tmp_path / "cdn.png")
    assert any("cdnjs.cloudflare.com" in url for url in seen["remote_requests"])
    assert seen["failed"] and seen["console_errors"]


def test_the_check_sees_a_script_that_runs(browser, tmp_path):
    # ... and the alert counter must be able to fail too.
    page = tmp_path / "xss.html"
    page.write_text("<html><body><script>alert(1)</script>x</body></html>", encoding="utf-8")
    assert check_report_in_browser(browser, page, tmp_path / "xss.png")["alerts"] == 1


def test_the_service_outcomes_report_answers_its_question_on_the_first_screen(browser, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "service_outcomes", "-f", "params/service_outcomes/default.yml",
         "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=600, cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    browser.set_window_size(1280, 1000)
    seen = check_report_in_browser(browser, tmp_path / "out" / "service_outcomes" / "default" / "report.html",
                                   tmp_path / "outcomes.png")
    layout = seen["layout"]
    assert seen["console_errors"] == [] and seen["remote_requests"] == [] and seen["alerts"] == 0
    assert layout["overflow"] <= 0 and layout["wide"] == []
    assert len(layout["alts"]) >= 5 and all(alt.strip() and "No description" not in alt for alt in layout["alts"])
    assert any(alt.startswith("Line chart of the share of tickets solved quickly the first time") for alt in layout["alts"])
    assert all(found for _href, found in layout["contents"]) and layout["openDetails"] == []
    first_screen = browser.execute_script(
        "const box = document.querySelector('.itvalue-summary').getBoundingClientRect();"
        "const chart = document.images[0].getBoundingClientRect();"
        "return [box.top, box.bottom, chart.top, chart.bottom, window.innerHeight];"
    )
    box_top, box_bottom, chart_top, chart_bottom, height = first_screen
    assert 0 <= box_top and box_bottom <= height, "the headline is on the first screen"
    assert chart_bottom <= height * 1.1, "and so, nearly whole, is the chart of the one-job rate"
    text = seen["text"]
    assert "were solved quickly the first time" in text and "met their SLA" in text
    assert "USR-" not in text and "<script>" not in text, "no caller and no comment reaches the report"
