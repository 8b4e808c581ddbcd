"""A real browser opens a report offline: no request leaves the page, no console error, charts drawn.

Uses Debian's headless ``chromium`` and ``chromedriver`` (``make browser`` installs them).
"""

from __future__ import annotations

import json
import os
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


# --- JupyterLab: after `itvalue init`, every notebook opens on a kernel that runs it ---------------------------

LAB_TOKEN = "itvalue-browser-test"


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1 over a project made by ``itvalue init`` (which registers the kernel), as a user starts it.

    A second kernel spec, ``nokit``, starts a Python that cannot import the kit (its import is blocked), in a
    Jupyter folder of this test only. Yields ``(base URL, project folder)``.
    """
    from conftest import free_port

    project = tmp_path / "project"
    done = subprocess.run([sys.executable, "-m", "helpers.running.cli", "init", str(project)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Jupyter kernel 'Python (itvalue)'" in done.stdout
    nokit = tmp_path / "jupyter" / "kernels" / "nokit"
    nokit.mkdir(parents=True)
    blocked = "import sys; sys.modules['helpers'] = None; from ipykernel.kernelapp import launch_new_instance; launch_new_instance()"
    (nokit / "kernel.json").write_text(json.dumps(
        {"argv": [sys.executable, "-c", blocked, "-f", "{connection_file}"], "display_name": "Python (no kit)",
         "language": "python"}), encoding="utf-8")
    port = free_port()
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--allow-root",
         f"--IdentityProvider.token={LAB_TOKEN}", f"--ServerApp.root_dir={project}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"), env=env,  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _api(base, "/api/status") is not None, 180, "JupyterLab did not start")
        yield base, project
    finally:
        server.terminate()
        server.wait(timeout=60)


def _api(base: str, path: str):
    import urllib.request

    try:
        with urllib.request.urlopen(f"{base}{path}?token={LAB_TOKEN}", timeout=10) as response:
            return json.loads(response.read())
    except OSError:
        return None


def _wait_for(condition, seconds: float, what: str):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(1)
    pytest.fail(what)


@pytest.fixture
def lab_browser(tmp_path):
    """Debian's headless chromium for JupyterLab (the network stays on: the page talks to the local server)."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("Debian's chromium and chromium-driver are required: run 'make browser'")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'lab-profile'}", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _run_all_in_lab(driver, base: str, notebook: str) -> dict:
    """Open ``notebook`` in JupyterLab, Run All Cells from the Run menu, wait; return the kernel and what the cells show."""
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/lab/tree/{notebook}?token={LAB_TOKEN}&reset")  # reset: only this notebook open
    session = _wait_for(
        lambda: next((s for s in _api(base, "/api/sessions") or [] if s["path"] == notebook
                      and s["kernel"]["execution_state"] == "idle"), None),
        300, f"JupyterLab started no kernel for {notebook}")
    cells = _wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell"), 60, "no cells shown")
    menu = _wait_for(lambda: driver.find_elements(By.XPATH, "//li[contains(@class, 'lm-MenuBar-item')][.//div[text()='Run']]"),
                     60, "no Run menu")
    menu[0].click()
    run_all = "//li[contains(@class, 'lm-Menu-item')][.//div[contains(@class, 'lm-Menu-itemLabel')][normalize-space(.)='Run All Cells']]"
    _wait_for(lambda: driver.find_elements(By.XPATH, run_all), 30, "no Run All Cells in the Run menu")[0].click()

    def finished():
        prompts = driver.execute_script(
            "return Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')).map(p => p.textContent);")
        busy = any("*" in p for p in prompts)
        state = next((s["kernel"]["execution_state"] for s in _api(base, "/api/sessions") or [] if s["path"] == notebook), "")
        return prompts if prompts and not busy and state == "idle" and any(any(c.isdigit() for c in p) for p in prompts) else None

    prompts = _wait_for(finished, 900, f"Run All did not finish in {notebook}")
    # textContent, not innerText: JupyterLab skips painting cells outside the viewport (content-visibility), whose
    # innerText then reads as empty, and Run All ends scrolled to the last cell.
    outputs = driver.execute_script(
        "return Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell')).map(c => "
        "Array.from(c.querySelectorAll('.jp-OutputArea-output')).map(o => o.textContent).join('\\n'));")
    return {"kernel": session["kernel"]["name"], "prompts": prompts, "outputs": outputs, "cells": len(cells)}


def test_jupyterlab_opens_every_notebook_on_a_kernel_that_runs_it(lab, lab_browser, tmp_path):
    base, project = lab
    notebooks = sorted(p.name for p in (project / "notebooks").glob("*.ipynb"))
    shipped = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
    assert notebooks == shipped, "itvalue init copied every notebook the kit ships"
    for name in notebooks:
        seen = _run_all_in_lab(lab_browser, base, f"notebooks/{name}")
        assert seen["kernel"] == "itvalue", f"{name} opened on {seen['kernel']}"
        executed = [p for p in seen["prompts"] if any(c.isdigit() for c in p)]
        assert len(executed) == len(seen["prompts"]), f"{name}: Run All stopped: {seen['outputs']}"
        assert not any("Traceback" in text for text in seen["outputs"]), seen["outputs"]
        lab_browser.save_screenshot(str(tmp_path / f"lab-{name}.png"))


def test_jupyterlab_on_a_kernel_without_the_kit_says_so_in_one_sentence(lab, lab_browser):
    base, project = lab
    nb = json.loads((project / "notebooks" / "nps_trends.ipynb").read_text(encoding="utf-8"))
    nb["metadata"]["kernelspec"] = {"name": "nokit", "display_name": "Python (no kit)", "language": "python"}
    (project / "notebooks" / "elsewhere.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    seen = _run_all_in_lab(lab_browser, base, "notebooks/elsewhere.ipynb")
    lab_browser.save_screenshot(str(project.parent / "lab-nokit.png"))  # kept beside the test's project to look at
    assert seen["kernel"] == "nokit"
    first, *rest = seen["outputs"]
    assert first.strip().startswith("This kernel's Python (") and first.strip().count("\n") == 0, seen
    assert "cannot import the itvalue kit: choose the kernel 'Python (itvalue)' (Kernel > Change Kernel)" in first
    # Run All sends every cell at once and the kernel aborts those queued behind an error; ipykernel 7 aborts only
    # the requests that reached it before the error, so a cell still in flight may run (seen: one of 18, at random).
    # Such a cell can only fail for want of the kit (its import, or a name it would have defined): none shows a figure.
    ran_after = [text for text in rest if text.strip()]
    assert all("ModuleNotFoundError" in text or "NameError" in text for text in ran_after), seen
