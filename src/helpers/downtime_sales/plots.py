"""Downtime charts: seaborn-style helpers that take a frame first and return the Axes.

Money is in the sales currency (pass ``currency`` for the axis label), durations in
minutes. Every estimate is drawn with its interval.
"""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from helpers.report import theme
from helpers.report.plotting import date_axis, describe, new_axes, plain_text, visible_span

__all__ = ["timeline_plot", "incidents_plot", "costliest_plot", "campaign_plot", "campaign_share_plot"]

#: Outages in the palette's vermilion; their recovery windows in the same colour, fainter.
_OUTAGE = theme.colours()[3]
_RECOVERY_ALPHA = 0.12




def _money_axis(ax: Axes, axis: str = "y") -> None:
    formatter = plt.FuncFormatter(lambda v, _pos: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def timeline_plot(
    data: pd.DataFrame,
    *,
    x: str = "day",
    outages: pd.DataFrame | None = None,
    currency: str = "EUR",
    confidence: float = 0.95,
    title: str | None = "Actual and expected revenue",
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Actual revenue against the baseline's expectation and band, outages shaded.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per time step: ``x``, ``actual``, ``expected``, ``expected_low``,
        ``expected_high`` (revenue per step, in ``currency``).
    x : str
        The time column (``day`` for :attr:`OutageCosts.timeline`, ``timestamp`` for buckets).
    outages : pandas.DataFrame, optional
        ``start``, ``end`` of the outages to shade.
    currency : str
        Unit label.
    confidence : float
        Level of the band, for the legend.
    ax : matplotlib.axes.Axes, optional
    **kwargs
        Passed to the actual-revenue line.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax, figsize=(11, 4.2))
    times = pd.to_datetime(data[x])
    if x == "day":
        # A day's total belongs to the whole day: draw it at noon, where its outages sit.
        times = times + pd.Timedelta(hours=12)
    ax.fill_between(times, data["expected_low"], data["expected_high"], color="0.75", alpha=0.5, linewidth=0,
                    label=f"expected, {confidence:.0%} band")
    ax.plot(times, data["expected"], color="0.35", linewidth=1.2, linestyle="--", label="expected")
    ax.plot(times, data["actual"], **{"color": theme.colours()[0], "linewidth": 1.3, "label": "actual", **kwargs})
    if len(data):
        # The axis spans the data's whole days, so every tick names the right day, month and year.
        days = pd.to_datetime(data[x])
        date_axis(ax, days.min().normalize(), days.max().normalize() + pd.Timedelta(days=1))
    if outages is not None and len(outages):
        for row in outages.itertuples():
            # at least a visible stripe wide: a 10-minute outage on a year-long axis is no hairline
            visible_span(ax, row.start, row.end, color=_OUTAGE, alpha=0.35, linewidth=0)
        ax.plot([], [], color=_OUTAGE, alpha=0.35, linewidth=6, label="outage")
        if x == "day":
            # On a daily chart an outage of minutes is a thin stripe: mark its day as well.
            hit = pd.DatetimeIndex(pd.to_datetime(outages["start"])).normalize().unique()
            marked = pd.to_datetime(data[x]).isin(hit).to_numpy()
            ax.scatter(times[marked], data.loc[marked, "actual"], color=_OUTAGE, s=18, zorder=3,
                       label="day with an outage")
    ax.set_ylim(bottom=min(0, float(np.nanmin(data["actual"])) if len(data) else 0))
    _money_axis(ax)
    step = "day" if x == "day" else "bucket"
    ax.set_ylabel(plain_text(f"Revenue per {step} ({currency})"))
    if title:
        ax.set_title(title)
    # below the plot, never over the data
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=5, frameon=False, fontsize=9)
    n_outages = 0 if outages is None else len(outages)
    describe(ax, (
        f"Line chart of revenue per {step} in {currency}: actual against the expected revenue and its "
        f"{confidence:.0%} band; {n_outages} outage{'s' if n_outages != 1 else ''} shaded in red."
    ))
    return ax


def incidents_plot(
    windows: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    top: int = 6,
    currency: str = "EUR",
    confidence: float = 0.95,
    recovery_hours: float = 3.0,
    ncols: int = 3,
) -> np.ndarray:
    """Small multiples of the costliest incidents: actual vs expected around each one.

    Parameters
    ----------
    windows : pandas.DataFrame
        :attr:`OutageCosts.windows`: ``incident_id, timestamp, actual, expected,
        expected_low, expected_high`` per bucket.
    incidents : pandas.DataFrame
        :attr:`OutageCosts.incidents` (``incident_id, start, end, minutes, net_lost_revenue``...).
    top : int
        How many incidents, by net lost revenue (those with a net loss only, when any has one).

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
    """
    ranked = incidents.sort_values("net_lost_revenue", ascending=False)
    # the costliest are those that lost revenue; only when none did are the others shown up close
    losses = ranked[ranked["net_lost_revenue"] > 0]
    chosen = (losses if len(losses) else ranked).head(top)
    n = max(len(chosen), 1)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.3 * nrows + 0.6), squeeze=False, layout="constrained")
    for ax, row in zip(axes.flat, chosen.itertuples()):
        frame = windows[windows["incident_id"] == row.incident_id]
        step = frame["timestamp"].diff().median() if len(frame) > 1 else pd.Timedelta(hours=1)
        # Bucket revenue drawn as steps: each value covers its whole bucket.
        edges = pd.concat([frame["timestamp"], frame["timestamp"].tail(1) + step])
        ax.stairs(frame["expected_high"], edges, baseline=frame["expected_low"], fill=True, color="0.75", alpha=0.6)
        ax.stairs(frame["expected"], edges, baseline=None, color="0.35", linestyle="--", linewidth=1.1)
        ax.stairs(frame["actual"], edges, baseline=None, color=theme.colours()[0], linewidth=1.4)
        ax.axvspan(row.start, row.end, color=_OUTAGE, alpha=0.3, linewidth=0)
        ax.axvspan(row.end, row.end + pd.Timedelta(hours=recovery_hours), color=_OUTAGE, alpha=_RECOVERY_ALPHA, linewidth=0)
        ax.set_title(
            plain_text(
                f"{row.incident_id}, {row.start:%d %b %Y}, {row.minutes:.0f} min\n{row.net_lost_revenue:,.0f} {currency} "
                f"net ({confidence:.0%}: {row.net_lost_revenue_low:,.0f} to {row.net_lost_revenue_high:,.0f})"
            ),
            fontsize=10,
        )
        _money_axis(ax)
        ax.set_ylim(bottom=min(0, float(frame["actual"].min())))
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=5))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
        ax.set_ylabel(plain_text(f"Revenue per bucket ({currency})"), fontsize=9)
    for ax in list(axes.flat)[len(chosen):]:
        ax.set_visible(False)
    handles = [
        plt.Line2D([], [], color=theme.colours()[0], linewidth=1.4, label="actual"),
        plt.Line2D([], [], color="0.35", linestyle="--", label="expected"),
        Patch(color="0.75", alpha=0.6, label=f"expected, {confidence:.0%} band"),
        Patch(color=_OUTAGE, alpha=0.3, label="outage"),
        Patch(color=_OUTAGE, alpha=_RECOVERY_ALPHA, label="recovery window"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=5, frameon=False, fontsize=9)
    fig.suptitle("The costliest incidents up close", fontweight="bold")
    return axes


def costliest_plot(
    incidents: pd.DataFrame,
    *,
    top: int = 12,
    currency: str = "EUR",
    confidence: float = 0.95,
    axes: tuple[Axes, Axes] | None = None,
) -> tuple[Axes, Axes]:
    """The costliest incidents by net lost revenue (with intervals), beside their duration.

    Parameters
    ----------
    incidents : pandas.DataFrame
        :attr:`OutageCosts.incidents`.
    top : int
        How many incidents to show.
    axes : (Axes, Axes), optional
        Where to draw the costs and the durations; by default a new figure.

    Returns
    -------
    (matplotlib.axes.Axes, matplotlib.axes.Axes)
        The net-loss axes and the duration axes.
    """
    losses = incidents[incidents["net_lost_revenue"] > 0]
    chosen = losses.sort_values("net_lost_revenue", ascending=False).head(top).iloc[::-1]
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 0.42 * max(len(chosen), 4) + 1.2), sharey=True,
                               gridspec_kw={"width_ratios": [2.2, 1]})
    cost_ax, minutes_ax = axes
    labels = [plain_text(i) for i in chosen["incident_id"]]
    y = np.arange(len(chosen))
    colours = [theme.colours()[1] if c else theme.colours()[0] for c in chosen["in_campaign"]]
    cost_ax.barh(y, chosen["net_lost_revenue"], color=colours, alpha=0.85)
    errors = np.vstack([chosen["net_lost_revenue"] - chosen["net_lost_revenue_low"],
                        chosen["net_lost_revenue_high"] - chosen["net_lost_revenue"]])
    cost_ax.errorbar(chosen["net_lost_revenue"], y, xerr=errors, fmt="none", ecolor="0.2", capsize=3, linewidth=1)
    cost_ax.axvline(0, color="0.3", linewidth=0.8)
    cost_ax.set_yticks(y, labels)
    cost_ax.set_xlabel(plain_text(f"Net lost revenue ({currency}), {confidence:.0%} interval"))
    _money_axis(cost_ax, "x")
    no_loss = len(incidents) - len(losses)
    cost_ax.set_title("Costliest incidents" + (f" ({no_loss} with no net loss not shown)" if no_loss else ""))
    describe(cost_ax, f"Bar chart of the {len(chosen)} costliest incidents by net lost revenue in {currency}, "
                      f"with {confidence:.0%} intervals, beside their duration in minutes.")
    minutes_ax.barh(y, chosen["minutes"], color="0.55")
    minutes_ax.set_xlabel("Duration (minutes)")
    minutes_ax.set_title("Their duration")
    # beside the charts, never over an interval
    minutes_ax.legend(handles=[Patch(color=theme.colours()[1], label="during a campaign"),
                               Patch(color=theme.colours()[0], label="outside campaigns")],
                      loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=9)
    return cost_ax, minutes_ax


def campaign_plot(
    minute_costs: pd.DataFrame,
    *,
    ratio: tuple[float | None, float | None, float | None] | None = None,
    currency: str = "EUR",
    confidence: float = 0.95,
    ax: Axes | None = None,
) -> Axes:
    """Net lost revenue per minute of downtime in campaigns and outside, with intervals.

    Parameters
    ----------
    minute_costs : pandas.DataFrame
        :attr:`OutageCosts.minute_costs`: ``group, incidents, minutes, per_minute,
        per_minute_low, per_minute_high``.
    ratio : (float, float, float), optional
        The campaign/outside ratio and its interval, for the title.
    """
    ax = new_axes(ax, figsize=(7, 3.6))
    shown = minute_costs.dropna(subset=["per_minute"])
    x = np.arange(len(shown))
    colours = [theme.colours()[1] if g == "in campaigns" else theme.colours()[0] for g in shown["group"]]
    ax.bar(x, shown["per_minute"], color=colours, alpha=0.85, width=0.55)
    errors = np.vstack([shown["per_minute"] - shown["per_minute_low"], shown["per_minute_high"] - shown["per_minute"]])
    ax.errorbar(x, shown["per_minute"], yerr=errors, fmt="none", ecolor="0.2", capsize=5)
    ax.set_xticks(x, [f"{g}\n({n} incident{'' if n == 1 else 's'}, {m:,.0f} min)" for g, n, m in
                      zip(shown["group"], shown["incidents"], shown["minutes"])])
    ax.set_ylabel(plain_text(f"Net lost revenue per minute ({currency})"))
    ax.axhline(0, color="0.3", linewidth=0.8)
    _money_axis(ax)
    title = "A minute of downtime, in campaigns and outside"
    if ratio is not None and ratio[0] is not None:
        high = f"{ratio[2]:.1f}x" if ratio[2] is not None else "unbounded"
        title += f"\nratio {ratio[0]:.1f}x ({confidence:.0%} interval {ratio[1]:.1f}x to {high})"
    ax.set_title(title)
    return ax


def campaign_share_plot(
    campaigns: pd.DataFrame,
    *,
    confidence: float = 0.95,
    ax: Axes | None = None,
) -> Axes:
    """Share of each campaign's incremental revenue that outages took, with intervals.

    Parameters
    ----------
    campaigns : pandas.DataFrame
        :attr:`OutageCosts.campaigns`: ``name, lost_share, lost_share_low, lost_share_high``.
    """
    ax = new_axes(ax, figsize=(7, 0.5 * max(len(campaigns), 3) + 1.2))
    shown = campaigns.dropna(subset=["lost_share"]).iloc[::-1]
    y = np.arange(len(shown))
    ax.barh(y, 100 * shown["lost_share"], color=theme.colours()[1], alpha=0.85)
    errors = 100 * np.vstack([shown["lost_share"] - shown["lost_share_low"], shown["lost_share_high"] - shown["lost_share"]])
    ax.errorbar(100 * shown["lost_share"], y, xerr=np.clip(errors, 0, None), fmt="none", ecolor="0.2", capsize=3)
    labels = [plain_text(f"{n} ({k} incident{'' if k == 1 else 's'})") for n, k in zip(shown["name"], shown["incidents"])]
    ax.set_yticks(y, labels)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel(f"Share of the campaign's incremental revenue lost to outages (%), {confidence:.0%} interval")
    ax.set_title("What outages took from each campaign")
    return ax
