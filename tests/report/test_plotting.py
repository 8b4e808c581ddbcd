"""Chart pieces: date axes name the right day, month and year at every span; spans stay visible; alt text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.report.plotting import alt_text, date_axis, describe, visible_span  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _tick_dates(ax) -> list[dt.date]:
    """The dates the x tick labels name: "3 Mar 2024", "10 Mar", "Jan 2025", "Mar" (the year carried on)."""
    ax.figure.canvas.draw()
    dates, year = [], None
    for label in (t.get_text() for t in ax.get_xticklabels()):
        if not label:
            continue
        parts = label.split()
        if not parts[0].isdigit():  # "Jan 2025" or "Mar"
            year = int(parts[1]) if len(parts) == 2 else year
            assert year is not None, f"the first tick names no year: {label!r}"
            named = dt.date(year, dt.datetime.strptime(parts[0], "%b").month, 1)
        else:
            year = int(parts[2]) if len(parts) == 3 else year
            assert year is not None, f"the first tick names no year: {label!r}"
            named = dt.datetime.strptime(f"{parts[0]} {parts[1]} {year}", "%d %b %Y").date()
        year = named.year
        dates.append(named)
    return dates


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2025-01-06", "2025-01-13", {(2025, 1)}),  # one week
        ("2025-01-01", "2025-02-01", {(2025, 1), (2025, 2)}),  # one month (the last_30_days case)
        ("2024-03-18", "2024-04-01", {(2024, 3), (2024, 4)}),  # the spring campaign: March, not April
        ("2024-12-20", "2025-01-10", {(2024, 12), (2025, 1)}),  # across a new year
        ("2023-03-01", "2025-03-01", None),  # two years
    ],
)
def test_date_axis_names_the_datas_own_days_months_and_years(start, end, months):
    days = pd.date_range(start, end, freq="D", inclusive="left")
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(days, np.arange(len(days)))
    date_axis(ax, days.min(), days.max() + pd.Timedelta(days=1))
    named = _tick_dates(ax)
    assert len(named) >= 3, "enough ticks to read the axis"
    first, last = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    assert all(first <= d <= last for d in named), (named, start, end)
    if months is not None:
        assert {(d.year, d.month) for d in named} <= months
        assert (named[0].year, named[0].month) == (first.year, first.month)
    assert not ax.xaxis.get_offset_text().get_text(), "no corner label naming some other month"


def test_a_window_of_hours_names_its_day_in_the_axis_label():
    fig, ax = plt.subplots()
    date_axis(ax, "2025-01-10 12:00", "2025-01-11 06:00")
    ax.figure.canvas.draw()
    assert "10 Jan 2025" in ax.get_xlabel()
    assert all(":" in t.get_text() for t in ax.get_xticklabels() if t.get_text())


def test_a_short_outage_on_a_long_axis_is_a_visible_stripe():
    fig, ax = plt.subplots(figsize=(11, 4))
    date_axis(ax, "2024-01-01", "2025-02-01")
    span = visible_span(ax, pd.Timestamp("2024-06-01 10:00"), pd.Timestamp("2024-06-01 10:12"))
    ax.figure.canvas.draw()
    extent = span.get_window_extent()
    assert extent.width >= 2.5, "at least a few pixels wide"


def test_downtime_timeline_of_january_never_says_february():
    from helpers.downtime_sales.plots import timeline_plot

    days = pd.date_range("2025-01-03", "2025-02-01", freq="D", inclusive="left")
    data = pd.DataFrame({"day": days, "actual": 30_000.0, "expected": 31_000.0,
                         "expected_low": 28_000.0, "expected_high": 34_000.0})
    outages = pd.DataFrame({"start": [pd.Timestamp("2025-01-10 20:00")], "end": [pd.Timestamp("2025-01-10 20:20")]})
    ax = timeline_plot(data, outages=outages)
    named = _tick_dates(ax)
    assert {(d.year, d.month) for d in named} <= {(2025, 1), (2025, 2)} and named[0].month == 1
    assert all(d <= dt.date(2025, 2, 1) for d in named)
    legend = ax.get_legend()
    assert legend.get_bbox_to_anchor().y0 < ax.get_window_extent().y0, "the legend sits below the data"
    assert "1 outage shaded" in alt_text(ax.figure)


def test_alt_text_comes_from_describe_or_the_charts_words():
    fig, ax = plt.subplots()
    ax.set_title("Reads per month")
    ax.set_xlabel("Month")
    ax.set_ylabel("Reads")
    assert alt_text(fig) == "Chart. Reads per month; across: Month; up: Reads."
    describe(ax, "Line chart of reads per month.")
    assert alt_text(fig) == "Line chart of reads per month."


# --- one palette ----------------------------------------------------------------------------------

def _colour_choices(path) -> list[str]:
    """Where a module picks colours itself: palette calls, named palettes or colour maps, hex colours."""
    import ast
    import re

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "color_palette":
                found.append(f"line {node.lineno}: color_palette()")
            found += [f"line {node.lineno}: {k.arg}={k.value.value!r}" for k in node.keywords
                      if k.arg in ("cmap", "palette") and isinstance(k.value, ast.Constant)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", node.value):
            found.append(f"line {node.lineno}: {node.value}")
        elif isinstance(node, ast.Dict):
            found += [f"line {node.lineno}: {k.value}={v.value!r}" for k, v in zip(node.keys, node.values)
                      if isinstance(k, ast.Constant) and k.value in ("cmap", "palette") and isinstance(v, ast.Constant)]
    return found


def _plot_modules():
    import importlib.util

    from helpers.analysis import registry

    for name, analysis in registry.analyses().items():
        spec = importlib.util.find_spec(f"{analysis.package}.plots")
        if spec is not None and spec.origin:
            yield pytest.param(spec.origin, id=name)


@pytest.mark.parametrize("path", list(_plot_modules()))
def test_every_analysis_draws_with_the_kits_palette(path):
    # Colours come from helpers.report.theme (PALETTE and its colour maps), so one change recolours every report.
    assert _colour_choices(Path(path)) == []


def test_the_theme_is_where_colours_are_chosen():
    import seaborn as sns

    from helpers.report import theme

    assert theme.colours() == list(sns.color_palette(theme.PALETTE))
    # the check above sees a palette chosen in code: here, the theme's own
    assert [found.split(": ")[1] for found in _colour_choices(Path(theme.__file__))] == ["color_palette()"]
