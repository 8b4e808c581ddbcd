"""NPS charts: seaborn-style helpers that take a frame first and return the Axes.

Every chart shows NPS in points (-100 to +100) with its interval. Periods and groups
under ``min_n`` responses are left out as gaps or marked "too few responses", never drawn
as a number. Interval bands are clipped to the -100..100 scale for display only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.patches import Patch, Rectangle

from helpers.report import theme
from helpers.report.plotting import date_axis, describe, new_axes, plain_text

__all__ = ["trend_plot", "distribution_plot", "interval_plot", "segment_heatmap", "event_plot"]

NPS_LABEL = "NPS (points, -100 to +100)"
_CATEGORY_COLOURS = {"detractors": 3, "passives": 7, "promoters": 2}  # positions in the kit's palette




def _event_items(events: Any) -> list[tuple[pd.Timestamp, str]]:
    """Events from a frame (``date``, ``label``), Event models or mappings, as (date, label)."""
    if events is None:
        return []
    if isinstance(events, pd.DataFrame):
        return [(pd.Timestamp(d), str(lbl)) for d, lbl in zip(events["date"], events["label"])]
    items = []
    for event in events:
        if isinstance(event, Mapping):
            items.append((pd.Timestamp(event["date"]), str(event["label"])))
        else:
            items.append((pd.Timestamp(event.date), str(event.label)))
    return items


def _mark_events(ax: Axes, events: Any) -> None:
    for date, label in _event_items(events):
        ax.axvline(date, color="0.25", linestyle=":", linewidth=1.3)
        ax.annotate(
            plain_text(label), xy=(date, 1), xycoords=("data", "axes fraction"), xytext=(4, -4),
            textcoords="offset points", va="top", ha="left", fontsize=9, color="0.2", rotation=0,
        )


def trend_plot(
    data: pd.DataFrame,
    *,
    x: str = "period_mid",
    y: str = "nps",
    low: str = "nps_low",
    high: str = "nps_high",
    events: Iterable[Any] | pd.DataFrame | None = None,
    suppressed: str | None = "suppressed",
    significant: str | None = "significant",
    partial: str | None = "partial",
    confidence: float = 0.95,
    min_n: int | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """NPS per period with its interval band, events marked and small periods left as gaps.

    Parameters
    ----------
    data : DataFrame
        One row per period, e.g. ``Result.periods``; ``y``, ``low`` and ``high`` are NaN
        where the period had too few responses, which breaks the line and the band there.
    x, y, low, high : str
        Columns of the period's date (middle of the period), NPS and interval bounds (points).
    events : DataFrame or iterable, optional
        Dated events (``date``, ``label``) drawn as vertical lines.
    suppressed : str or None
        Boolean column of periods under ``min_n``; they are shaded and named in the legend.
    significant : str or None
        Column flagging a significant change on the period before; those points are ringed.
    partial : str or None
        Boolean column of periods the window covers only in part; drawn as hollow points.
    confidence : float
        Only for the legend text.
    min_n : int, optional
        Only for the legend text.
    **kwargs
        Passed to the line (``Axes.plot``).
    """
    ax = new_axes(ax)
    frame = data.sort_values(x)
    dates = pd.to_datetime(frame[x])
    values = frame[y].astype(float).to_numpy()
    lower = frame[low].astype(float).clip(-100, 100).to_numpy()
    upper = frame[high].astype(float).clip(-100, 100).to_numpy()
    shown = ~np.isnan(values)
    colour = kwargs.pop("color", theme.colours()[0])
    ax.fill_between(dates, lower, upper, where=shown, color=colour, alpha=0.2, linewidth=0,
                    label=f"{confidence:.0%} interval")
    ax.plot(dates, values, marker="o", markersize=4, color=colour, label="NPS", **kwargs)
    if partial and partial in frame and frame[partial].any():
        part = frame[partial].to_numpy(dtype=bool) & shown
        if part.any():
            ax.scatter(dates[part], values[part], s=40, facecolors="white", edgecolors=colour, linewidths=1.5,
                       zorder=4, label="partial period (window covers only part of it)")
    if significant and significant in frame:
        flagged = frame[significant].eq(True).to_numpy()
        if flagged.any():
            ax.scatter(dates[flagged], values[flagged], s=110, facecolors="none", edgecolors="0.1",
                       linewidths=1.4, zorder=5, label="significant change on the period before")
    if suppressed and suppressed in frame and frame[suppressed].any():
        small = frame[frame[suppressed]]
        for start, end in zip(small["period_start"], small["period_end"]):
            ax.axvspan(pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1), color="0.85", alpha=0.6, linewidth=0)
    _mark_events(ax, events)
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set_ylabel(NPS_LABEL)
    ax.set_xlabel("")
    ax.set_title("Net Promoter Score by period")
    _period_axis(ax, frame)
    handles, labels = ax.get_legend_handles_labels()
    if suppressed and suppressed in frame and frame[suppressed].any():
        handles.append(Patch(color="0.85", alpha=0.6))
        labels.append(f"{'fewer than ' + str(min_n) if min_n else 'too few'} responses (not shown)")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    describe(ax, _trend_alt(frame, y=y))
    return ax


def _period_axis(ax: Axes, periods: pd.DataFrame) -> None:
    """The date axis from the first period's start to the last period's end (day-level ticks on short spans)."""
    if {"period_start", "period_end"} <= set(periods.columns) and len(periods):
        start = pd.to_datetime(periods["period_start"]).min()
        end = pd.to_datetime(periods["period_end"]).max() + pd.Timedelta(days=1)
    elif len(periods):
        start, end = pd.to_datetime(periods["period_mid"]).min(), pd.to_datetime(periods["period_mid"]).max()
    else:
        return
    date_axis(ax, start, end)


def _trend_alt(periods: pd.DataFrame, *, y: str = "nps") -> str:
    shown = periods[periods[y].notna()]
    if shown.empty:
        return "Line chart of NPS by period; no period had enough responses to show."
    first, last = shown.iloc[0], shown.iloc[-1]
    when = "period_start" if "period_start" in shown else "period_mid"
    return (
        f"Line chart of NPS by period with its interval band, from {pd.Timestamp(first[when]):%B %Y} "
        f"({first[y]:.0f} points) to {pd.Timestamp(last[when]):%B %Y} ({last[y]:.0f} points); "
        f"lowest {shown[y].min():.0f}, highest {shown[y].max():.0f}."
    )


def distribution_plot(
    data: pd.DataFrame,
    *,
    x: str = "period",
    ax: Axes | None = None,
    max_labels: int = 24,
    **kwargs: Any,
) -> Axes:
    """Stacked shares of detractors, passives and promoters per period (percent of responses).

    Parameters
    ----------
    data : DataFrame
        With ``detractors``, ``passives``, ``promoters`` (null where suppressed), ``n`` and ``x``.
    x : str
        Column of period labels.
    max_labels : int
        At most this many tick labels are written (every k-th period).
    **kwargs
        Passed to ``Axes.bar``.
    """
    ax = new_axes(ax)
    palette = theme.colours()
    positions = np.arange(len(data))
    counts = data[["detractors", "passives", "promoters"]].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.nan_to_num(100 * counts / totals)
    bottom = np.zeros(len(data))
    for k, name in enumerate(("detractors", "passives", "promoters")):
        ax.bar(positions, shares[:, k], bottom=bottom, color=palette[_CATEGORY_COLOURS[name]], width=0.85,
               label=f"{name} ({'0-6' if k == 0 else '7-8' if k == 1 else '9-10'})", **kwargs)
        bottom += shares[:, k]
    hidden = np.isnan(counts).any(axis=1) | (data["n"].to_numpy() == 0)
    for position in positions[hidden]:
        ax.text(position, 50, "too few", rotation=90, ha="center", va="center", fontsize=8, color="0.35")
    step = max(1, int(np.ceil(len(data) / max_labels)))
    ax.set_xticks(positions[::step])
    ax.set_xticklabels([plain_text(v) for v in data[x].iloc[::step]], rotation=45, ha="right")
    ax.set_ylim(0, 100)
    ax.set_xlim(-0.6, len(data) - 0.4)
    ax.set_ylabel("Share of responses (%)")
    ax.set_xlabel("Period")
    ax.set_title("Detractors, passives and promoters by period")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return ax


def interval_plot(
    data: pd.DataFrame,
    *,
    y: str = "value",
    x: str = "nps",
    low: str = "nps_low",
    high: str = "nps_high",
    group: str | None = "segment",
    confidence: float = 0.95,
    reference: float | None = None,
    title: str = "NPS by segment",
    min_n: int | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """NPS of each group as a dot with its interval; groups under ``min_n`` say "too few responses".

    Parameters
    ----------
    data : DataFrame
        One row per group with ``x``, ``low``, ``high``, ``n`` and ``suppressed``.
    y : str
        Column naming the group (a segment value, a resolution-time bucket...).
    group : str or None
        Column prefixed to the label (the segment column), when present.
    reference : float, optional
        A vertical reference line, e.g. the overall NPS (points).
    min_n : int, optional
        Only for the text on suppressed groups ("fewer than <min_n> responses"); their exact
        count is never written.
    **kwargs
        Passed to ``Axes.errorbar``.
    """
    frame = data.reset_index(drop=True)
    ax = new_axes(ax, figsize=(9, max(2.2, 0.42 * len(frame) + 1.2)))
    labels = [
        plain_text(f"{g}: {v}" if group and group in frame else v)
        for g, v in zip(frame[group] if group and group in frame else frame[y], frame[y])
    ]
    positions = np.arange(len(frame))[::-1]
    values = frame[x].astype(float).to_numpy()
    lower = frame[low].astype(float).clip(-100, 100).to_numpy()
    upper = frame[high].astype(float).clip(-100, 100).to_numpy()
    shown = ~np.isnan(values)
    colour = kwargs.pop("color", theme.colours()[0])
    ax.errorbar(values[shown], positions[shown], xerr=[values[shown] - lower[shown], upper[shown] - values[shown]],
                fmt="o", color=colour, capsize=3, label=f"NPS with {confidence:.0%} interval", **kwargs)
    too_few = f"too few responses (fewer than {min_n})" if min_n else "too few responses"
    for position in positions[~shown]:
        ax.annotate(too_few, xy=(0.02, position), xycoords=("axes fraction", "data"),
                    va="center", fontsize=8, color="0.35")
    if reference is not None and not np.isnan(reference):
        ax.axvline(reference, color="0.4", linestyle="--", linewidth=1, label=f"overall NPS ({reference:.0f})")
    ax.set_yticks(positions)
    ax.set_yticklabels(labels)
    ax.set_ylim(-0.7, len(frame) - 0.3)
    ax.set_xlabel(NPS_LABEL)
    ax.set_title(title)
    finite = np.concatenate([lower[shown], upper[shown]])
    if finite.size:
        pad = max(5.0, 0.1 * (finite.max() - finite.min()))
        ax.set_xlim(max(-100, finite.min() - pad), min(100, finite.max() + pad))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return ax


def segment_heatmap(
    data: pd.DataFrame,
    *,
    row: str = "value",
    column: str = "period",
    value: str = "nps",
    low: str = "nps_low",
    high: str = "nps_high",
    segment: str | None = "segment",
    center: float | None = None,
    max_half_width: float = 10.0,
    confidence: float = 0.95,
    min_n: int | None = None,
    max_rows: int = 30,
    annotate: bool | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """NPS per segment value and period, with its uncertainty shown.

    The colour is the NPS. A cell's number is written only where its interval is at most
    ``max_half_width`` points either side; cells with a wider interval are hatched and carry
    no number, and cells under ``min_n`` responses are grey. The legend says so.

    Parameters
    ----------
    data : DataFrame
        Long format, e.g. ``Result.segment_periods``: ``row``, ``column``, ``value``,
        ``low``, ``high`` (NaN where suppressed), ``n``, ``period_start``.
    center : float, optional
        NPS (points) at the middle of the diverging colours, e.g. the overall NPS.
    max_half_width : float
        Widest interval half-width (points) at which a cell's number is written.
    confidence, min_n : float, int
        Only for the legend text.
    max_rows : int
        Rows kept per segment column: the values with the most responses.
    annotate : bool, optional
        Write numbers at all; default when there are at most 24 periods.
    **kwargs
        Passed to ``seaborn.heatmap``.
    """
    frame = data.copy()
    frame["row"] = [
        plain_text(f"{s}: {v}" if segment and segment in frame else v)
        for s, v in zip(frame[segment] if segment and segment in frame else frame[row], frame[row])
    ]
    frame["half_width"] = (frame[high].astype(float) - frame[low].astype(float)) / 2
    sizes = frame.groupby([segment, "row"] if segment and segment in frame else ["row"])["n"].sum().reset_index()
    if segment and segment in frame:
        sizes = sizes.sort_values("n", ascending=False).groupby(segment).head(max_rows)
    else:
        sizes = sizes.nlargest(max_rows, "n")
    keep_rows = sizes.sort_values([c for c in (segment,) if c and c in sizes] + ["n"],
                                  ascending=[True] * (1 if segment and segment in sizes else 0) + [False])["row"]
    order = frame.sort_values("period_start")[column].drop_duplicates().tolist()

    def wide(name: str) -> pd.DataFrame:
        table = frame.pivot_table(index="row", columns=column, values=name, aggfunc="first", dropna=False)
        return table.reindex(index=list(keep_rows), columns=order).astype(float)

    table, half_width = wide(value), wide("half_width")
    precise = (half_width <= max_half_width).to_numpy()
    uncertain = table.notna().to_numpy() & ~precise
    annotate = len(order) <= 24 if annotate is None else annotate
    labels = np.where(precise & annotate, table.map(lambda v: "" if np.isnan(v) else f"{v:.0f}").to_numpy(), "")
    ax = new_axes(ax, figsize=(min(16, 2.5 + 0.55 * len(order)), max(3.0, 0.4 * len(table) + 2.2)))
    ax.set_facecolor("0.88")
    ax.grid(False)
    sns.heatmap(
        table, ax=ax, cmap=theme.DIVERGING_MAP, center=center, annot=labels, fmt="",
        annot_kws={"fontsize": 7}, linewidths=0.5, linecolor="white",
        cbar_kws={"label": _colour_scale_label(center)}, **kwargs,
    )
    for i, j in zip(*np.nonzero(uncertain)):
        ax.add_patch(Rectangle((j, i), 1, 1, fill=False, hatch="///", edgecolor="0.35", linewidth=0))
    handles = [
        Patch(facecolor="white", edgecolor="0.6",
              label=f"number: NPS (points), {confidence:.0%} interval within ±{max_half_width:g} points"),
        Patch(facecolor="white", edgecolor="0.35", hatch="///",
              label=f"hatched: interval wider than ±{max_half_width:g} points, no number"),
        Patch(facecolor="0.88", edgecolor="0.6",
              label=f"grey: {'fewer than ' + str(min_n) if min_n else 'too few'} responses, not shown"),
    ]
    # Above the cells: below them it would collide with rotated period labels of any length.
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, fontsize=8, frameon=False)
    ax.set_xlabel("Period")
    ax.set_ylabel("")
    ax.set_title("NPS by segment and period", pad=24)
    return ax


def _colour_scale_label(center: float | None) -> str:
    """What the heatmap's colours mean: its centre and its two ends."""
    if center is None or np.isnan(center):
        return "NPS (points)\nred = low, blue = high"
    return f"NPS (points)\nwhite = overall NPS {center:.0f}\nblue above, red below"


def event_plot(
    periods: pd.DataFrame,
    lines: pd.DataFrame,
    *,
    events: Iterable[Any] | pd.DataFrame | None = None,
    confidence: float = 0.95,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Period NPS with intervals, the segmented-regression fit, and the prior trend after each event.

    Parameters
    ----------
    periods : DataFrame
        ``period_mid``, ``nps``, ``nps_low``, ``nps_high`` (NaN where too few responses).
    lines : DataFrame
        ``day``, ``line``, ``nps``: the fitted line ("fitted") and each "prior trend without ..." line,
        e.g. ``Result.event_lines``.
    **kwargs
        Passed to the period markers (``Axes.errorbar``).
    """
    ax = new_axes(ax)
    palette = theme.colours()
    shown = periods[periods["nps"].notna()]
    ax.errorbar(
        pd.to_datetime(shown["period_mid"]), shown["nps"],
        yerr=[shown["nps"] - shown["nps_low"].clip(-100, 100), shown["nps_high"].clip(-100, 100) - shown["nps"]],
        fmt="o", color=palette[0], alpha=0.75, capsize=2, markersize=4,
        label=f"NPS per period ({confidence:.0%} interval)", **kwargs,
    )
    for name, line in lines.groupby("line", sort=False):
        fitted = name == "fitted"
        ax.plot(
            pd.to_datetime(line["day"]), line["nps"], color=palette[1] if fitted else "0.3",
            linestyle="-" if fitted else "--", linewidth=2 if fitted else 1.5,
            label="fitted: trend with a step at each event" if fitted else plain_text(name),
        )
    _mark_events(ax, events)
    ax.set_ylabel(NPS_LABEL)
    ax.set_xlabel("")
    ax.set_title("NPS against the trend it was on before each event")
    _period_axis(ax, periods)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    describe(ax, "Chart of NPS per period with intervals, the fitted line with a step at each event, and "
                 "dashed lines where the earlier trend would have gone without the event.")
    return ax
