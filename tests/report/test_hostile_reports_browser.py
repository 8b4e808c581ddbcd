"""Hostile text in every field a report shows, opened in a real headless Chromium (issue 24, High 3).

Each analysis runs on its own generated sample with markup planted in every free-text field it shows: ids,
names, services, teams, departments, products, a label parameter. Each planted value keeps its original text
in front, so ids still join and groups keep their sizes. The report is then opened with the network off:
no injected element or attribute may exist in the DOM, no ``javascript:`` link, and no dialog may fire; the
payloads must show as text, proving they reached the page.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import sample_parameters

from helpers.analysis import registry

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

# The browser fixture and the page check of the report tests, shared rather than copied.
_SPEC = importlib.util.spec_from_file_location(
    "report_browser_support", Path(__file__).resolve().parent / "test_report_browser.py"
)
_SUPPORT = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_SUPPORT)
browser = _SUPPORT.browser
check_report_in_browser = _SUPPORT.check_report_in_browser

ROOT = Path(__file__).resolve().parents[2]
SEED = 24

#: What the red team planted: markup breaking out of a text node, of a double- and a single-quoted
#: attribute, a script element, and a URL that runs script.
PAYLOADS = (
    '"><img src=x onerror=alert(1)>',
    '" onload="alert(2)" x="',
    "<script>alert(3)</script>",
    "javascript:alert(4)",
    "' onmouseover='alert(5)' y='",
)

#: Per analysis: ``{file: {column: domain}}``, the free-text columns it shows. Columns of one domain (an id and
#: the columns that refer to it) get the same payload, so references still match.
PLANTED: dict[str, dict[str, dict[str, str]]] = {
    "nps_trends": {"responses.csv": {"region": "region", "tier": "tier"}, "tickets.csv": {"service": "service"}},
    "service_outcomes": {"incidents.csv": {"business_service": "service", "assignment_group": "team",
                                           "contact_type": "contact", "category": "category"}},
    "feature_adoption": {
        "features.csv": {"feature_id": "feature", "replaces": "feature", "name": "name", "application": "application",
                         "audience": "department"},
        "feature_usage.parquet": {"feature_id": "feature"},
        "users.csv": {"department": "department"},
    },
    "downtime_sales": {"outages.csv": {"incident_id": "incident", "service": "service"},
                       "campaigns.csv": {"campaign_id": "campaign", "name": "name"}},
    "it_costs": {"licences.csv": {"product": "product", "vendor": "vendor"}, "last_active.csv": {"product": "product"},
                 "volumes.csv": {"service": "service"}, "allocation.csv": {"service": "service"},
                 "users.csv": {"department": "department"}},
    "config_usage_audit": {
        "inventory.csv": {"ci_class": "class", "attribute": "attribute"},
        "access_log.parquet": {"attribute": "attribute", "consumer": "consumer", "process": "process"},
        "collection_cost.csv": {"ci_class": "class", "attribute": "attribute"},
    },
}

#: Label parameters that reach the page, where the analysis has one (a currency label is at most 12 characters).
HOSTILE_PARAMETERS = {
    "nps_trends": ["-p", "segments=[region, tier]",
                   "-p", 'events=[{date: "2025-02-03", label: "<img src=x onerror=alert(6)>"}]'],
    "service_outcomes": ["-p", "breakdowns=[assignment_group, contact_type, category]"],
    "downtime_sales": ["-p", 'currency=" onload="x'],
}


def _plant(folder: Path, columns: dict[str, dict[str, str]]) -> None:
    """Append a payload to every value of the planted columns, the same payload for every column of one domain."""
    domains = sorted({domain for mapping in columns.values() for domain in mapping.values()})
    payload = {domain: PAYLOADS[number % len(PAYLOADS)] for number, domain in enumerate(domains)}
    for name, mapping in columns.items():
        path = folder / name
        parquet = path.suffix == ".parquet"
        frame = pd.read_parquet(path) if parquet else pd.read_csv(path, dtype=str, keep_default_na=False)
        for column, domain in mapping.items():
            assert column in frame, f"{name} has no column {column}"
            values = frame[column]
            filled = values.notna() & (values.astype(str) != "")
            frame[column] = values.where(~filled, values.astype(str) + payload[domain])
        frame.to_parquet(path, index=False) if parquet else frame.to_csv(path, index=False)


_INJECTED = """
const attributes = [];
for (const element of document.querySelectorAll('*')) {
  for (const attribute of element.attributes) {
    const name = attribute.name.toLowerCase();
    // A payload inside a value (an alt text holding it whole) is text; a new attribute is an injection.
    if (name.startsWith('on') || name === 'x' || name === 'y' || name.includes('"') || name.includes("'")) {
      attributes.push(element.tagName + ' ' + attribute.name + '=' + attribute.value.slice(0, 60));
    }
  }
}
return {
  attributes: attributes,
  images: Array.from(document.querySelectorAll('img')).map(i => i.getAttribute('src') || '')
    .filter(src => !src.startsWith('data:image/')),
  scripts: Array.from(document.scripts).map(s => s.textContent).filter(text => text.includes('alert(')),
  links: Array.from(document.querySelectorAll('[href], [src], [action], [formaction]'))
    .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || e.getAttribute('formaction'))
    .filter(url => /^\\s*javascript:/i.test(url)),
};
"""


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_hostile_text_in_every_field_stays_text_in_the_report(name, browser, tmp_path):
    assert set(PLANTED) == set(registry.analyses()), "every analysis is tried"
    folder = tmp_path / "sample"
    folder.mkdir()
    registry.analyses()[name].sample(folder, scale=1, seed=SEED)
    _plant(folder, PLANTED[name])
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", name, *sample_parameters(name, folder),
         *HOSTILE_PARAMETERS.get(name, []), "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    report = next((tmp_path / "out" / name).glob("*/report.html"))
    seen = check_report_in_browser(browser, report, tmp_path / f"{name}.png")
    injected = browser.execute_script(_INJECTED)

    assert seen["alerts"] == 0, "no planted script ran"
    assert injected == {"attributes": [], "images": [], "scripts": [], "links": []}
    assert seen["remote_requests"] == [] and seen["console_errors"] == []
    shown = [payload for payload in PAYLOADS if payload in seen["text"]]
    assert shown, "the planted text reached the page, as text"


def test_the_dom_check_sees_an_injected_attribute_image_and_link(browser, tmp_path):
    # The check must be able to fail: what an unescaped alt text and an unchecked link would make.
    page = tmp_path / "injected.html"
    page.write_text(
        '<html><body><img alt="INC-1" onload="alert(2)" x="" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<img src=x onerror=alert(1)><a href=" javascript:alert(4)">go</a></body></html>',
        encoding="utf-8",
    )
    seen = check_report_in_browser(browser, page, tmp_path / "injected.png")
    injected = browser.execute_script(_INJECTED)
    assert seen["alerts"] >= 1
    assert len(injected["attributes"]) == 3 and injected["images"] == ["x"] and injected["links"] == [" javascript:alert(4)"]
