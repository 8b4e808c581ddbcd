"""Service-outcome charts: seaborn-style helpers that take a frame first and return the Axes.

Shares are drawn as percentages with their interval. Periods and groups under ``min_n``
tickets are gaps, never a number. Group labels are data and drawn as plain text.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from helpers.report.plotting import date_axis, describe, new_axes, plain_text
from helpers.report.theme import colours

__all__ = ["rate_plot", "failure_plot", "group_plot", "breakdown_plot", "lost_hours_plot"]

_PERCENT = PercentFormatter(xmax=1, decimals=0)


def _period_axis(ax: Axes, periods: pd.DataFrame) -> None:
    if len(periods):
        start = pd.to_datetime(periods["period_start"]).min()
        end = pd.to_datetime(periods["period_end"]).max() + pd.Timedelta(days=1)
        date_axis(ax, start, end)


def rate_plot(
    data: pd.DataFrame,
    *,
    x: str = "period_mid",
    y: str = "one_job_rate",
    low: str = "one_job_rate_low",
    high: str = "one_job_rate_high",
    sla: str | None = "sla_met_share",
    confidence: float = 0.95,
    min_n: int | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """The one-job rate per period with its interval band, beside the tool's own SLA figure.

    Parameters
    ----------
    data : DataFrame
        One row per period (``Result.periods``): ``y``, ``low``, ``high`` as shares 0-1, NaN where
        the period is hidden; ``period_start``, ``period_end``, ``suppressed``, ``significant``.
    sla : str or None
        Column of the share of tickets the tool counts within its SLA (drawn dashed), if any.
    confidence, min_n : float, int
        Only for the legend text.
    **kwargs
        Passed to the line (``Axes.plot``).
    """
    ax = new_axes(ax, figsize=(9, 4))
    frame = data.sort_values(x)
    dates = pd.to_datetime(frame[x])
    values = frame[y].astype(float).to_numpy()
    palette = colours()
    colour = kwargs.pop("color", palette[3])
    shown = ~np.isnan(values)
    ax.fill_between(dates, frame[low].astype(float), frame[high].astype(float), where=shown, color=colour, alpha=0.2,
                    linewidth=0, label=f"{confidence:.0%} interval")
    ax.plot(dates, values, marker="o", markersize=4, color=colour, label="solved quickly the first time", **kwargs)
    if sla and sla in frame and frame[sla].notna().any():
        ax.plot(dates, frame[sla].astype(float), marker="s", markersize=3, linestyle="--", color=palette[2],
                label="the tool's own figure: within SLA")
    if "significant" in frame:
        flagged = frame["significant"].eq(True).to_numpy()
        if flagged.any():
            ax.scatter(dates[flagged], values[flagged], s=110, facecolors="none", edgecolors="0.1", linewidths=1.4,
                       zorder=5, label="significant change on the period before")
    handles, labels = ax.get_legend_handles_labels()
    if "suppressed" in frame and frame["suppressed"].astype(bool).any():
        for start, end in zip(frame.loc[frame["suppressed"].astype(bool), "period_start"],
                              frame.loc[frame["suppressed"].astype(bool), "period_end"]):
            ax.axvspan(pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1), color="0.85", alpha=0.6, linewidth=0)
        handles.append(Patch(color="0.85", alpha=0.6))
        labels.append(f"{'fewer than ' + str(min_n) if min_n else 'too few'} tickets (not shown)")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(_PERCENT)
    ax.set_ylabel("Share of tickets (%)")
    ax.set_xlabel("")
    ax.set_title("Solved quickly the first time, by month opened" if _monthly(frame) else
                 "Solved quickly the first time, by period opened")
    _period_axis(ax, frame)
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    describe(ax, _rate_alt(frame, y=y, sla=sla))
    return ax


def _monthly(periods: pd.DataFrame) -> bool:
    days = (pd.to_datetime(periods["period_end"]) - pd.to_datetime(periods["period_start"])).dt.days
    return bool(len(days)) and bool(days.between(27, 30).all())


def _rate_alt(periods: pd.DataFrame, *, y: str, sla: str | None) -> str:
    shown = periods[periods[y].notna()]
    if shown.empty:
        return "Line chart of the one-job rate by period; no period had enough tickets to show."
    first, last = shown.iloc[0], shown.iloc[-1]
    text = (
        f"Line chart of the share of tickets solved quickly the first time, by period, with its interval band: "
        f"{first[y]:.0%} in {first['period']}, {last[y]:.0%} in {last['period']}; lowest {shown[y].min():.0%}, "
        f"highest {shown[y].max():.0%}."
    )
    if sla and sla in shown and shown[sla].notna().any():
        text += f" The tool's own SLA figure, dashed, stays between {shown[sla].min():.0%} and {shown[sla].max():.0%}."
    return text


def failure_plot(
    data: pd.DataFrame,
    *,
    confidence: float = 0.95,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """The share of tickets failing in each way, as bars with their interval (a ticket may fail in several).

    Parameters
    ----------
    data : DataFrame
        ``Result.failures``: ``label``, ``share``, ``share_low``, ``share_high`` (0-1), ``tickets``.
    **kwargs
        Passed to ``Axes.barh``.
    """
    frame = data.reset_index(drop=True)
    ax = new_axes(ax, figsize=(9, 0.45 * len(frame) + 1.4))
    positions = np.arange(len(frame))[::-1]
    share = frame["share"].astype(float).to_numpy()
    error = [share - frame["share_low"].astype(float), frame["share_high"].astype(float) - share]
    colour = kwargs.pop("color", colours()[3])
    ax.barh(positions, share, xerr=error, color=colour, alpha=0.8, capsize=3, **kwargs)
    for position, value, count in zip(positions, share, frame["tickets"]):
        if not np.isnan(value):
            ax.annotate(f"{value:.0%} ({int(count):,} tickets)", xy=(value, position), xytext=(8, 0),
                        textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(positions)
    ax.set_yticklabels([plain_text(label) for label in frame["label"]])
    top = np.nanmax(frame["share_high"].astype(float).to_numpy()) if frame["share_high"].notna().any() else 0.1
    ax.set_xlim(0, min(1.0, top * 1.35 + 0.02))
    ax.xaxis.set_major_formatter(_PERCENT)
    ax.set_xlabel(f"Share of tickets (%), with {confidence:.0%} interval")
    ax.set_title("Where the one job fails")
    describe(ax, "Bar chart of the share of tickets failing in each way: " + "; ".join(
        f"{label} {value:.0%}" for label, value in zip(frame["label"], share) if not np.isnan(value)) + ".")
    return ax


def group_plot(
    data: pd.DataFrame,
    *,
    y: str = "value",
    reference: float | None = None,
    title: str = "Solved quickly the first time, by group",
    confidence: float = 0.95,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """The one-job rate of each group as a dot with its interval; groups whose whole interval lies below
    the overall rate stand out.

    Parameters
    ----------
    data : DataFrame
        One row per group shown: ``y``, ``one_job_rate`` with ``_low``/``_high`` (0-1), ``below_overall``.
    reference : float, optional
        The overall rate, drawn as a vertical line.
    **kwargs
        Passed to ``Axes.errorbar``.
    """
    frame = data.reset_index(drop=True)
    ax = new_axes(ax, figsize=(9, max(2.2, 0.42 * len(frame) + 1.3)))
    positions = np.arange(len(frame))[::-1]
    rate = frame["one_job_rate"].astype(float).to_numpy()
    low, high = frame["one_job_rate_low"].astype(float).to_numpy(), frame["one_job_rate_high"].astype(float).to_numpy()
    below = frame["below_overall"].astype(bool).to_numpy() if "below_overall" in frame else np.zeros(len(frame), bool)
    palette = colours()
    for mask, colour, label in ((~below, palette[0], f"one-job rate with {confidence:.0%} interval"),
                                (below, palette[3], "whole interval below the overall rate")):
        if mask.any():
            # A rate at its interval's end differs from it by rounding only (-1e-17), which errorbar refuses.
            errors = np.clip([rate[mask] - low[mask], high[mask] - rate[mask]], 0, None)
            ax.errorbar(rate[mask], positions[mask], xerr=errors, fmt="o",
                        color=colour, capsize=3, label=label, **kwargs)
    if reference is not None and not np.isnan(reference):
        ax.axvline(reference, color="0.4", linestyle="--", linewidth=1, label=f"overall ({reference:.0%})")
    ax.set_yticks(positions)
    ax.set_yticklabels([plain_text(v) for v in frame[y]])
    ax.set_ylim(-0.7, len(frame) - 0.3)
    if len(frame):
        pad = 0.05
        ax.set_xlim(max(0.0, np.nanmin(low) - pad), min(1.0, np.nanmax(high) + pad))
    ax.xaxis.set_major_formatter(_PERCENT)
    ax.set_xlabel("Solved quickly the first time (% of tickets)")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    lowest = frame.loc[np.nanargmin(rate)] if len(frame) else None
    describe(ax, f"{title}: {len(frame)} groups with their intervals"
             + (f"; lowest {plain_text(lowest[y])} at {lowest['one_job_rate']:.0%}" if lowest is not None else "")
             + (f"; {int(below.sum())} wholly below the overall rate." if below.any() else "."))
    return ax


def breakdown_plot(
    data: pd.DataFrame,
    *,
    columns: list[str],
    reference: float | None = None,
    confidence: float = 0.95,
    **kwargs: Any,
) -> Figure | None:
    """One :func:`group_plot` per breakdown column, stacked in one figure (None when nothing is shown).

    Parameters
    ----------
    data : DataFrame
        ``Result.breakdowns``: ``column``, ``value`` and the rate columns.
    columns : list of str
        The breakdown columns, in the order to draw them.
    **kwargs
        Passed to each :func:`group_plot`.
    """
    parts = [(column, data[data["column"] == column]) for column in columns]
    parts = [(column, rows) for column, rows in parts if len(rows)]
    if not parts:
        return None
    heights = [max(1.6, 0.42 * len(rows) + 1.1) for _, rows in parts]
    figure, axes = plt.subplots(len(parts), 1, figsize=(9, sum(heights)), gridspec_kw={"height_ratios": heights},
                                squeeze=False)
    alts = []
    for ax, (column, rows) in zip(axes[:, 0], parts):
        group_plot(rows, reference=reference, confidence=confidence, ax=ax,
                   title=f"Solved quickly the first time, by {column.replace('_', ' ')}", **kwargs)
        alts.append(figure.itvalue_alt_text)
    figure.tight_layout()
    describe(figure, " ".join(alts))
    return figure


def lost_hours_plot(
    data: pd.DataFrame,
    *,
    y: str = "service",
    hours: str = "lost_user_hours",
    top: int = 12,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Hours users waited beyond the quick target, per group, largest first (the top ``top``).

    Parameters
    ----------
    data : DataFrame
        One row per group shown, with ``y`` and ``hours`` (hours of the clock).
    **kwargs
        Passed to ``Axes.barh``.
    """
    frame = data.nlargest(top, hours).reset_index(drop=True)
    ax = new_axes(ax, figsize=(9, max(2.2, 0.4 * len(frame) + 1.2)))
    positions = np.arange(len(frame))[::-1]
    colour = kwargs.pop("color", colours()[1])
    ax.barh(positions, frame[hours].astype(float), color=colour, **kwargs)
    for position, value in zip(positions, frame[hours].astype(float)):
        ax.annotate(f"{value:,.0f} h", xy=(value, position), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=8)
    ax.set_yticks(positions)
    ax.set_yticklabels([plain_text(v) for v in frame[y]])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    if len(frame):
        ax.set_xlim(0, frame[hours].max() * 1.18)
    ax.set_xlabel("Hours users waited beyond the quick target")
    ax.set_title("What slow tickets cost users, by service")
    describe(ax, "Bar chart of the hours users waited beyond the quick target, by service: " + "; ".join(
        f"{plain_text(name)} {value:,.0f} hours" for name, value in zip(frame[y], frame[hours].astype(float))) + ".")
    return ax
