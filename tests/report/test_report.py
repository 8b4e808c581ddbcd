"""Report helpers escape untrusted text and hand results over as plain JSON."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from helpers import report
from helpers.analysis.contract import RESULTS_MIMETYPE
from helpers.running.index import headline_figures

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def shown():
    """What the helpers display, captured by IPython itself, as MIME bundles (newest last)."""
    InteractiveShell.instance()  # display() publishes rich output only where a shell exists
    with capture_output(stdout=False, stderr=False) as captured:

        class Bundles:
            def __getitem__(self, index):
                return captured.outputs[index].data

        yield Bundles()


@pytest.mark.parametrize(
    "call",
    [
        lambda: report.headline(f"NPS for {HOSTILE} was 31."),
        lambda: report.note(HOSTILE),
        lambda: report.heading(HOSTILE),
        lambda: report.parameters_table({"segments": [HOSTILE], "title": HOSTILE}),
        lambda: report.table(pd.DataFrame({HOSTILE: [HOSTILE]}), caption=HOSTILE),
    ],
)
def test_untrusted_text_is_escaped(shown, call):
    call()
    html = shown[-1]["text/html"]
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_data_quality_lists_notes_with_counts(shown):
    from types import SimpleNamespace

    report.data_quality([SimpleNamespace(input="access_log", issue=f"ci_id not in inventory {HOSTILE}", rows=1234, examples="")])
    html = shown[-1]["text/html"]
    assert "1,234 rows" in html and HOSTILE not in html
    report.data_quality([])
    assert "No data-quality warnings" in shown[-1]["text/html"]


def test_table_formats_and_marks_missing(shown):
    report.table(pd.DataFrame({"loss": [1234.5, np.nan]}), formats={"loss": "{:,.0f}"})
    html = shown[-1]["text/html"]
    assert "1,234" in html and "—" in html


def test_publish_results_makes_plain_json(shown):
    report.publish_results(
        {
            "n": np.int64(3),
            "share": np.float64(0.5),
            "missing": float("nan"),
            "when": pd.Timestamp("2025-03-01 10:00"),
            "day": dt.date(2025, 3, 1),
            "flags": np.array([True, False]),
            "rows": pd.DataFrame({"a": [1, 2]}),
        }
    )
    payload = shown[-1][RESULTS_MIMETYPE]
    assert json.loads(json.dumps(payload, allow_nan=False)) == {
        "n": 3,
        "share": 0.5,
        "missing": None,
        "when": "2025-03-01T10:00:00",
        "day": "2025-03-01",
        "flags": [True, False],
        "rows": [{"a": 1}, {"a": 2}],
    }


def test_headline_figures_follow_dotted_paths_with_units_and_intervals():
    results = {"totals": {"net": 37539.2, "low": 26487.0, "high": 51913.0}, "currency": "EUR",
               "periods": [{"nps": 10}, {"nps": 31}]}
    fields = [
        {"label": "net lost revenue", "value": "totals.net", "low": "totals.low", "high": "totals.high",
         "unit_from": "currency"},
        {"label": "latest NPS", "value": "periods.-1.nps", "unit": "points"},
        "missing.x",
    ]
    assert headline_figures(results, fields) == [
        ("net lost revenue", "37,539 EUR (26,487 to 51,913)"),
        ("latest NPS", "31 points"),
        ("missing x", "—"),
    ]
    ratio = {"label": "campaign minute vs other", "value": "r", "low": "lo", "high": "hi", "unit": "x", "no_effect": 1}
    assert headline_figures({"r": 1.3, "lo": 0.3, "hi": 4.7}, [ratio]) == [
        ("campaign minute vs other", "1.3 x (0.3 to 4.7), inconclusive")
    ]
    assert headline_figures({"r": 2.0, "lo": 1.2, "hi": 4.7}, [ratio])[0][1] == "2.0 x (1.2 to 4.7)"
    share = {"label": "one job", "value": "r", "low": "lo", "high": "hi", "unit_from": "units.r"}
    assert headline_figures({"r": 0.7053, "lo": 0.6987, "hi": 0.7118, "units": {"r": "share"}}, [share]) == [
        ("one job", "70.5% (69.9% to 71.2%)")
    ]


@pytest.mark.parametrize(
    "args, options, text",
    [
        ((4922, 3137, 7065), {}, "4,922 (3,137–7,065)"),
        ((1903, -230, 4230), {}, "1,903 (-230 to 4,230)"),  # a dash beside a minus would read as one
        ((0.4, 0.12, 0.5), {"fmt": "{:+.2f}"}, "+0.40 (+0.12 to +0.50)"),
        ((-0.2, -0.4, 3.0), {"fmt": "{:.0f}"}, "0 (0–3)"),  # never a negative zero
        ((19, 18, np.nan), {"fmt": "{:.0f}", "unit": "days"}, "19 days (18 or more)"),
        ((31, -104.2, 100.5), {"fmt": "{:.0f}", "limits": (-100, 100)}, "31 (-100 to 100, clipped to the -100..100 scale)"),
        ((0.83, 0.821, 0.85), {"fmt": lambda s: f"{100 * s:.0f}%"}, "83% (82%–85%)"),
        ((np.nan, 1, 2), {}, "—"),
        ((5, np.nan, np.nan), {}, "5"),
        ((-0.04, -0.06, 0.05), {"fmt": "{:.1f}%"}, "0.0% (-0.1% to 0.1%)"),
    ],
)
def test_one_way_to_write_a_figure_with_its_interval(args, options, text):
    from helpers.report.display import interval, with_interval

    assert with_interval(*args, **options) == text
    if "(" in text:
        bounds = {key: value for key, value in options.items() if key != "unit"}
        assert interval(*args[1:], **bounds) == text[text.index("(") + 1:-1]
