"""The report's own placebo: windows in which nothing happened, measured as if they were outages.

A method that charges a loss where there was none cannot be believed where there was
one. :func:`placebo_check` takes the reported incidents' windows (outage and recovery, on
their channels), moves each by whole weeks, so that it keeps its length and its hours of the
week, to places where every bucket is clean (no outage, recovery or gap), draws ``n`` of
those placebo windows and measures them with the fitted baselines, exactly as an incident
is measured. Nothing was removed from them, so their net lost revenue should centre on zero
and their intervals cover zero about as often as their level says.

The placebo windows' buckets were part of the baseline's fit (they are clean), which makes
the check a little optimistic; with thousands of clean buckets per channel the effect is small.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from helpers.downtime_sales.baseline import Baseline
from helpers.downtime_sales.result import Placebo

__all__ = ["placebo_check", "candidate_windows"]


def placebo_check(
    baselines: dict[str, Baseline],
    windows: pd.DataFrame,
    clean: dict[str, np.ndarray],
    *,
    grid: pd.DatetimeIndex,
    step: pd.Timedelta,
    n: int,
    draws: int,
    level: float,
    point: Callable = np.median,
    rng: np.random.Generator,
) -> Placebo | None:
    """Measure ``n`` outage-free windows shaped like the incidents' (None when there are none to copy).

    Parameters
    ----------
    baselines : dict of str to Baseline
        The fitted baselines of the measured channels.
    windows : pandas.DataFrame
        ``incident_id, channel, start, end, recovery_end`` of the reported incidents.
    clean : dict of str to numpy.ndarray of bool
        Per channel, the buckets outside every outage, recovery and data gap.
    grid, step :
        The bucket starts and the bucket size.
    n, draws : int
        Placebo windows, and counterfactual draws of each.
    level : float
        Lower tail of the intervals (0.025 for 95 %).
    point : callable
        The point estimate over the draws, as for the incidents (the median).
    rng : numpy.random.Generator
    """
    candidates = candidate_windows(windows[windows["channel"].isin(baselines)], clean, grid, step)
    if not len(candidates) or n <= 0:
        return None
    chosen = candidates.iloc[np.sort(rng.choice(len(candidates), min(n, len(candidates)), replace=False))]
    chosen = chosen.reset_index(drop=True)
    net = np.zeros((draws, len(chosen)))
    revenue = np.zeros(len(chosen))
    for channel, baseline in baselines.items():
        mine = [(j, positions) for j, (channels, positions) in enumerate(zip(chosen["channels"], chosen["positions"]))
                if channel in channels]
        if not mine:
            continue
        targets = np.unique(np.concatenate([positions for _, positions in mine]))
        actual = np.nan_to_num(baseline.actual[targets])
        deficit = baseline.simulate(targets, draws=draws, rng=rng) - actual
        for j, positions in mine:
            columns = np.searchsorted(targets, positions)
            net[:, j] += deficit[:, columns].sum(axis=1)
            revenue[j] += actual[columns].sum()
    charged = point(net, axis=0)
    low, high = np.quantile(net, level, axis=0), np.quantile(net, 1 - level, axis=0)
    table = pd.DataFrame(
        {
            "incident_id": chosen["incident_id"],
            "start": chosen["start"],
            "end": chosen["end"],
            "channels": [";".join(c) for c in chosen["channels"]],
            "actual_revenue": revenue,
            "net_lost_revenue": charged,
            "net_lost_revenue_low": low,
            "net_lost_revenue_high": high,
        }
    )
    typical = float(np.median(revenue))
    return Placebo(
        windows=table,
        net_lost_draws=net,
        median_charge=float(np.median(charged)),
        median_revenue=typical,
        charge_share=float(np.median(charged) / typical) if typical > 0 else float("nan"),
        zero_coverage=float(np.mean((low <= 0) & (0 <= high))),
    )


def candidate_windows(
    windows: pd.DataFrame, clean: dict[str, np.ndarray], grid: pd.DatetimeIndex, step: pd.Timedelta
) -> pd.DataFrame:
    """Every whole-week shift of every incident's windows that lands on clean buckets only.

    One row per shift: ``incident_id`` (whose shape it copies), ``start, end`` (the outage, shifted),
    ``recovery_end``, ``channels`` and ``positions`` (the buckets of outage and recovery).
    """
    rows = []
    columns = ["incident_id", "start", "end", "recovery_end", "channels", "positions"]
    if not len(grid):
        return pd.DataFrame(rows, columns=columns)
    week = pd.Timedelta(weeks=1)
    weeks = int((grid[-1] - grid[0]) / week) + 1
    shifts = pd.to_timedelta(np.r_[-weeks:0, 1 : weeks + 1], unit="W")
    # Buckets that are not clean counted up to each position: a run is clean when none fall inside it
    # (one look-up per shift instead of a scan of its buckets).
    unclean_before = {channel: np.r_[0, np.cumsum(~mask)] for channel, mask in clean.items()}
    for incident, group in windows.groupby("incident_id", sort=False):
        channels = sorted(group["channel"])
        starts, ends = group["start"].min() + shifts, group["end"].max() + shifts
        stops = group["recovery_end"].max() + shifts
        first, last = grid.searchsorted(starts - step, side="right"), grid.searchsorted(stops, side="left")
        usable = np.asarray((starts >= grid[0]) & (stops <= grid[-1] + step)) & (last > first)
        for channel in channels:
            usable &= unclean_before[channel][last] == unclean_before[channel][first]
        for k in np.flatnonzero(usable):
            rows.append((incident, starts[k], ends[k], stops[k], channels, np.arange(first[k], last[k])))
    return pd.DataFrame(rows, columns=columns)
