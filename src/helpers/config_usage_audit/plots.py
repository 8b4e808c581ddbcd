"""Charts of the usage audit: the usage x freshness quadrant, the process x class heatmap, the trend.

Each helper takes the data first, everything else keyword-only, accepts ``ax=`` and
returns the Axes. Class and attribute names are untrusted text: they are drawn as
literal text (a ``$`` would otherwise start matplotlib's math mode).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from helpers.report import theme
from helpers.report.plotting import date_axis, plain_text

__all__ = ["QUADRANT_COLOURS", "process_class_heatmap", "usage_quadrant_plot", "usage_trend_plot"]

_PALETTE = theme.colours()
#: One colour per quadrant, the same in every chart.
QUADRANT_COLOURS = {"value": _PALETTE[2], "risk": _PALETTE[3], "waste": _PALETTE[1], "retire": _PALETTE[7]}


def _plain_numbers(axis) -> None:
    """Label a log-like axis 0, 1, 10, 1,000: the report theme turns off math text, which log labels use."""
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
    axis.set_minor_formatter(NullFormatter())


def _say_nothing_to_draw(ax: Axes, message: str) -> Axes:
    """An empty chart says why it is empty, in its middle, instead of failing or showing bare axes."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=12, color="0.3", wrap=True)
    return ax


#: What each quadrant means, for the legend (the chart itself carries no corner labels over the dots).
QUADRANT_MEANING = {"value": "read, fresh", "risk": "read, stale", "waste": "unread, fresh", "retire": "unread, stale"}


def _class_limits(by_class: Mapping[str, float] | None) -> dict[float, list[str]]:
    limits: dict[float, list[str]] = {}
    for ci_class, days in sorted((by_class or {}).items()):
        limits.setdefault(float(days), []).append(str(ci_class))
    return limits


def _label_points(ax: Axes, rows: pd.DataFrame, *, x: str, y: str) -> None:
    """Name a few dots in a column of labels at the top middle, each with a leader line to its dot."""
    rows = rows.sort_values(y, ascending=False)
    for rank, row in enumerate(rows.itertuples(index=False)):
        ax.annotate(
            plain_text(f"{row.ci_class}.{row.attribute}"),
            (getattr(row, x), getattr(row, y)),
            xytext=(0.19, 0.95 - 0.065 * rank), textcoords="axes fraction", fontsize=8, ha="left", va="center",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "0.8", "alpha": 0.9},
            arrowprops={"arrowstyle": "-", "color": "0.35", "linewidth": 0.7, "shrinkB": 3},
        )


def usage_quadrant_plot(
    data: pd.DataFrame,
    *,
    x: str = "reads",
    y: str = "median_age_days",
    size: str = "hours_per_month",
    hue: str = "quadrant",
    min_reads: int = 1,
    stale_after_days: float = 60,
    window_days: int = 90,
    stale_after_days_by_class: Mapping[str, float] | None = None,
    label_top: int = 5,
    ax: Axes | None = None,
    **kwargs,
) -> Axes:
    """Each attribute by reads in the window (x) and median value age (y), sized by cost.

    Parameters
    ----------
    data : DataFrame
        One row per class x attribute (``Result.attributes``).
    x, y, size, hue : str
        Columns: counted reads in the window, median value age in days, maintenance hours a
        month (NaN = unknown, drawn smallest) and the quadrant.
    min_reads, stale_after_days, window_days : int
        Where the used/unused and fresh/stale lines are drawn, and the window's length for
        the axis label. With per-class limits, the line is the common limit and the colours
        carry each class's own verdict.
    stale_after_days_by_class : mapping of class to days, optional
        Classes with their own staleness limit; each limit is drawn as a dotted line, labelled.
    label_top : int
        Label this many most-read risk attributes.
    **kwargs
        Passed to ``Axes.scatter``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 6))
    ax.set_xlabel(f"Reads in the last {window_days} days by counted processes (log scale; unread attributes at 0)")
    ax.set_ylabel("Median age of its values on the audit date (days)")
    ax.set_title("Usage against freshness, one dot per attribute (size = maintenance hours a month)")
    if data.empty:
        return _say_nothing_to_draw(ax, "No attributes in the inventory")
    hours = data[size].astype("float64")
    top_hours = float(np.nanmax(hours)) if hours.notna().any() else 0.0
    area = 15 + (385 * hours / top_hours if top_hours > 0 else 0 * hours)
    area = area.fillna(15)
    # unread attributes would sit on one vertical line; spread them a little so their number shows
    spread = np.random.default_rng(0).uniform(-0.2, 0.2, size=len(data))
    xs = data[x].astype("float64") + np.where(data[x] == 0, spread, 0.0)
    for name, colour in QUADRANT_COLOURS.items():
        mine = data[hue] == name
        if mine.any():
            ax.scatter(
                xs[mine], data.loc[mine, y], s=area[mine], color=colour, alpha=0.6,
                edgecolor="white", linewidth=0.5, label=f"{name}: {QUADRANT_MEANING[name]} ({int(mine.sum())})",
                **kwargs,
            )
    ax.set_xscale("symlog", linthresh=1)
    # room for the unread spread on the left; at least up to 10 reads, so a window nobody read still has a scale
    ax.set_xlim(-0.4, max(10.0, 1.5 * float(xs.max())))
    _plain_numbers(ax.xaxis)
    ax.axvline(max(min_reads - 0.5, 0.5), color="0.3", linestyle="--", linewidth=1)
    ax.axhline(stale_after_days, color="0.3", linestyle="--", linewidth=1)
    own_limits = []
    for limit, classes in _class_limits(stale_after_days_by_class).items():
        ax.axhline(limit, color="0.3", linestyle=":", linewidth=1)
        label = plain_text(f"{', '.join(classes)}: stale after {limit:g} days")
        own_limits.append(Line2D([], [], color="0.3", linestyle=":", label=label))
    _label_points(ax, data[data[hue] == "risk"].nlargest(label_top, x), x=x, y=y)
    handles, _labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="0.3", linestyle="--", label=f"stale after {stale_after_days:g} days"))
    handles += own_limits
    if top_hours > 0:
        handles.append(Line2D([], [], linestyle="", label="Hours a month:"))
        handles += [
            Line2D([], [], marker="o", linestyle="", markersize=np.sqrt(15 + 385 * v / top_hours),
                   color="0.6", label=f"{v:,.1f} h")
            for v in (top_hours / 10, top_hours / 2, top_hours)
        ]
    # one legend (a second one would be left out of the figure's layout and clipped)
    ax.legend(handles=handles, title="Quadrant (attributes)", loc="upper left", bbox_to_anchor=(1.01, 1),
              fontsize=9, title_fontsize=9, labelspacing=1.1)
    return ax


def process_class_heatmap(
    data: pd.DataFrame,
    *,
    x: str = "ci_class",
    y: str = "process",
    value: str = "reads",
    counted: str = "counted",
    window_days: int | None = None,
    ax: Axes | None = None,
    **kwargs,
) -> Axes:
    """Reads in the window per process (rows) and class (columns), counts written in the cells.

    Parameters
    ----------
    data : DataFrame
        Long format (``Result.process_reads``): class, process, whether the process
        counts, reads.
    x, y, value, counted : str
        Column names.
    window_days : int, optional
        For the colour-bar label.
    **kwargs
        Passed to ``seaborn.heatmap``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 5))
    period = f" in the last {window_days} days" if window_days else " in the window"
    ax.set_xlabel("CI class")
    ax.set_ylabel("Process")
    ax.set_title(f"Who reads which classes: reads{period} (blank = none)")
    if data.empty or not (data[value] > 0).any():
        return _say_nothing_to_draw(ax, f"No reads{period}, by any process")
    table = data.pivot_table(index=y, columns=x, values=value, aggfunc="sum", fill_value=0)
    is_counted = data.groupby(y)[counted].first().reindex(table.index).fillna(True).astype(bool)
    totals = table.sum(axis=1)
    order = sorted(table.index, key=lambda p: (not is_counted[p], -totals[p], str(p)))
    table = table.loc[order]
    labels = [plain_text(p) + ("" if is_counted[p] else " (excluded)") for p in table.index]
    options = {
        "annot": True, "fmt": ",.0f", "cmap": theme.SEQUENTIAL_MAP, "linewidths": 0.5, "linecolor": "white",
        "mask": table.to_numpy() == 0, "cbar_kws": {"label": f"Reads{period}, log scale\npale = few, dark = many, blank = none"},
        "annot_kws": {"fontsize": 8},
        "norm": LogNorm(vmin=1, vmax=max(float(table.to_numpy().max()), 10.0)),
    }
    options.update(kwargs)
    sns.heatmap(table, ax=ax, **options)
    colourbar = ax.collections[0].colorbar
    if colourbar is not None:
        _plain_numbers(colourbar.ax.yaxis)
    ax.set_yticks(np.arange(len(labels)) + 0.5, labels, rotation=0)
    ax.set_xticks(np.arange(table.shape[1]) + 0.5, [plain_text(c) for c in table.columns], rotation=30, ha="right")
    # seaborn resets the labels to the pivot's column names
    ax.set_xlabel("CI class")
    ax.set_ylabel("Process")
    return ax


def usage_trend_plot(
    data: pd.DataFrame,
    *,
    x: str = "month",
    y: str = "reads",
    hue: str = "process",
    counted: str = "counted",
    partial: str = "partial",
    window: tuple | None = None,
    ax: Axes | None = None,
    **kwargs,
) -> Axes:
    """Reads per month, one line per process; excluded processes dashed, partial months hollow.

    Parameters
    ----------
    data : DataFrame
        ``Result.trend``: month (first day), process, counted, reads, partial.
    window : (start, end), optional
        The audit window, shaded.
    **kwargs
        Passed to ``Axes.plot``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4.5))
    ax.set_xlabel("Month (hollow markers: month only partly covered)")
    ax.set_ylabel("Reads per month")
    ax.set_title("Reads of configuration data per month, by process")
    if data.empty:
        end = f" up to {pd.Timestamp(window[1]) - pd.Timedelta(seconds=1):%d %B %Y}" if window is not None else ""
        return _say_nothing_to_draw(ax, f"No reads in the access log{end}, by any process")
    totals = data.groupby(hue)[y].sum().sort_values(ascending=False)
    flags = data.groupby(hue)[counted].first()
    order = sorted(totals.index, key=lambda p: (not flags[p], -totals[p]))
    colours = dict(zip([p for p in order if flags[p]], theme.colours(max(1, len(order)))))
    greys = iter(["0.45", "0.65", "0.3", "0.55", "0.75"])
    for process in order:
        line = data[data[hue] == process].sort_values(x)
        colour = colours.get(process) if flags[process] else next(greys, "0.5")
        style = "-" if flags[process] else "--"
        label = plain_text(process) + ("" if flags[process] else " (excluded)")
        ax.plot(line[x], line[y], linestyle=style, color=colour, label=label, **kwargs)
        whole = ~line[partial].astype(bool)
        ax.plot(line.loc[whole, x], line.loc[whole, y], "o", color=colour, markersize=4)
        ax.plot(line.loc[~whole, x], line.loc[~whole, y], "o", markerfacecolor="white", color=colour, markersize=5)
    if window is not None:
        ax.axvspan(pd.Timestamp(window[0]), pd.Timestamp(window[1]), color="0.85", alpha=0.5, zorder=0,
                   label="audit window")
    ax.set_ylim(bottom=0)
    months = pd.to_datetime(data[x])
    date_axis(ax, months.min(), months.max() + pd.offsets.MonthBegin(1))
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9)
    return ax
