"""Small pieces every chart helper shares: literal text, axes, date axes, spans, alt text."""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["plain_text", "new_axes", "date_axis", "visible_span", "describe", "alt_text"]

#: A shaded span is drawn at least this share of the axis wide, so a 5-minute outage on a year-long
#: chart is a visible stripe, not a hairline.
MIN_SPAN_SHARE = 1 / 300


def plain_text(text: Any) -> str:
    """Text that matplotlib draws literally: ``$`` in data (``budget $ (USD)``) would start math mode."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def new_axes(ax: Axes | None = None, figsize: tuple[float, float] | None = None) -> Axes:
    """The Axes to draw on: the caller's, or a new figure's (seaborn's ``ax=`` convention)."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize)
    return ax


class _DayFormatter(mticker.Formatter):
    """``3 Mar``, with the year on the first tick and where the year changes (``3 Mar 2024``)."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        day = mdates.num2date(x).date()
        return f"{day.day} {day:%b %Y}"

    def format_ticks(self, values: Any) -> list[str]:
        labels, year = [], None
        for value in values:
            day = mdates.num2date(value).date()
            labels.append(f"{day.day} {day:%b}" + (f" {day.year}" if day.year != year else ""))
            year = day.year
        return labels


class _MonthFormatter(mticker.Formatter):
    """``Mar``, with the year on the first tick and on every January (``Jan 2025``)."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{mdates.num2date(x):%b %Y}"

    def format_ticks(self, values: Any) -> list[str]:
        labels, year = [], None
        for value in values:
            month = mdates.num2date(value)
            labels.append(f"{month:%b}" + (f" {month.year}" if month.year != year else ""))
            year = month.year
        return labels


def date_axis(ax: Axes, start: Any, end: Any, *, axis: str = "x") -> Axes:
    """A date axis from ``start`` to ``end`` whose every tick names its month and year unambiguously.

    Up to two days: hours (``06:00``), the day named in the axis label. Up to about two months:
    days (``18 Mar 2024``, ``25 Mar``; the year on the first tick and where it changes). Longer:
    months (``Nov 2024``, ``Dec``, ``Jan 2025``; the year on the first tick and where it changes),
    every second, third or sixth month on long spans. Matplotlib's concise
    formatter names the month of the last tick in its corner, which misleads on short windows.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end <= start:
        end = start + pd.Timedelta(days=1)
    days = (end - start) / pd.Timedelta(days=1)
    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xlim if axis == "x" else ax.set_ylim)(start, end)
    if days <= 2:
        target.set_major_locator(mdates.HourLocator(interval=max(1, int(days * 24 // 8))))
        target.set_major_formatter(mdates.DateFormatter("%H:%M"))
        first, last = start.strftime("%-d %b %Y"), end.strftime("%-d %b %Y")
        label = first if first == last or end == end.normalize() and days <= 1 else f"{first} to {last}"
        (ax.set_xlabel if axis == "x" else ax.set_ylabel)(f"Time of day, {label}")
        return ax
    if days <= 62:
        step = next(s for s in (1, 2, 3, 4, 7, 14) if days / s <= 10)
        target.set_major_locator(mdates.DayLocator(interval=step) if step < 7 else mdates.WeekdayLocator(interval=step // 7))
        target.set_major_formatter(_DayFormatter())
        return ax
    months = days / 30.4
    step = next(s for s in (1, 2, 3, 6, 12) if months / s <= 12)
    target.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, step)))
    target.set_major_formatter(_MonthFormatter())
    return ax


def visible_span(ax: Axes, start: Any, end: Any, **kwargs: Any) -> Any:
    """``ax.axvspan`` at least :data:`MIN_SPAN_SHARE` of the visible range wide, centred on the span."""
    low, high = ax.get_xlim()
    x0, x1 = mdates.date2num(pd.Timestamp(start)), mdates.date2num(pd.Timestamp(end))
    least = (high - low) * MIN_SPAN_SHARE
    if x1 - x0 < least:
        middle = (x0 + x1) / 2
        x0, x1 = middle - least / 2, middle + least / 2
    return ax.axvspan(x0, x1, **kwargs)


def describe(target: Axes | Figure, text: str) -> None:
    """Give a chart its alt text: one or two sentences saying what it shows (the report's ``alt``)."""
    figure = target if isinstance(target, Figure) else target.figure
    figure.itvalue_alt_text = str(text)


def alt_text(figure: Figure) -> str:
    """A chart's alt text: what :func:`describe` set, else made from its titles and axis labels."""
    given = getattr(figure, "itvalue_alt_text", None)
    if given:
        return given
    parts = []
    suptitle = getattr(figure, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        parts.append(suptitle.get_text().rstrip(".") + ".")
    for ax in figure.axes:
        title = ax.get_title() or ax.get_title(loc="left")
        if not title and not ax.get_xlabel() and not ax.get_ylabel():
            continue  # a colour bar or an inset without words of its own
        axes_words = [title.rstrip(".")] if title else []
        if ax.get_xlabel():
            axes_words.append(f"across: {ax.get_xlabel()}")
        if ax.get_ylabel():
            axes_words.append(f"up: {ax.get_ylabel()}")
        parts.append("; ".join(axes_words) + ".")
    text = "Chart. " + " ".join(parts) if parts else "Chart; the text above it says what it shows."
    return text.replace("\\$", "$").replace("\n", " ")
