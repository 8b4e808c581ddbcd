"""The sales on a regular grid of buckets: revenue (and order counts) per bucket and channel, gaps found.

Money is in the sales currency. Missing buckets mean no sales; a day or more without any sale in
hours that normally sell is missing data (NaN), left out of every baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.downtime_sales.baseline import bucket_slots, bucket_step
from helpers.inputs.quality import QualityNote

__all__ = ["DUST", "SalesGrid", "sales_grid"]

_GAP = pd.Timedelta(days=1)
#: Bucket totals closer to zero than this (currency) are zero. Refunds that cancel a sale leave float
#: dust (1e-13 one way, -1e-13 or 0.0 another) whose value depends on the order in which DuckDB, Spark
#: or pandas add up a bucket; a figure must not depend on it.
DUST = 0.005


@dataclass(frozen=True, eq=False)
class SalesGrid:
    """Sales per bucket and channel on a regular grid.

    Attributes
    ----------
    grid : pandas.DatetimeIndex
        Bucket starts, ``[span start, span end)``.
    step : pandas.Timedelta
        Bucket size.
    revenue : pandas.DataFrame
        Revenue per bucket (rows) and channel (columns), currency; NaN in data gaps.
    orders : pandas.DataFrame or None
        Orders per bucket and channel (order-level sales only); NaN in data gaps.
    gap : numpy.ndarray of bool
        Buckets in a data gap.
    """

    grid: pd.DatetimeIndex
    step: pd.Timedelta
    revenue: pd.DataFrame
    orders: pd.DataFrame | None
    gap: np.ndarray

    @property
    def channels(self) -> list[str]:
        """Channels found in the sales, sorted."""
        return list(self.revenue.columns)


def sales_grid(
    buckets: pd.DataFrame, *, freq: str, span: tuple[pd.Timestamp, pd.Timestamp] | None, with_orders: bool,
    notes: list[QualityNote],
) -> SalesGrid:
    """Pivot ``bucket, channel, revenue[, orders]`` rows onto the grid of ``span`` (default: the buckets').

    Gaps found are appended to ``notes``.
    """
    step = bucket_step(freq)
    if span is None:
        span = (buckets["bucket"].min().floor(freq), buckets["bucket"].max().floor(freq) + step)
    grid = pd.date_range(span[0], span[1], freq=step, inclusive="left")
    channels = sorted(buckets["channel"].unique().tolist())
    revenue = _wide(buckets, "revenue", grid, channels)
    revenue = revenue.where(revenue.abs() >= DUST, 0.0)
    gap = _data_gaps(revenue, freq, notes)
    revenue[gap] = np.nan
    orders = None
    if with_orders:
        orders = _wide(buckets, "orders", grid, channels)
        orders[gap] = np.nan
    return SalesGrid(grid, step, revenue, orders, gap)


def _wide(buckets: pd.DataFrame, column: str, grid: pd.DatetimeIndex, channels: list[str]) -> pd.DataFrame:
    return (
        buckets.pivot_table(index="bucket", columns="channel", values=column, aggfunc="sum")
        .reindex(index=grid, columns=channels)
        .fillna(0.0)
        .astype(float)
    )


def _silent_runs(revenue: np.ndarray, slots: np.ndarray, step: pd.Timedelta) -> np.ndarray:
    """Buckets inside a day or more without any sale where sales were normally expected.

    A store closed on Sundays goes a day and a half without sales every week: that is
    its pattern, not a gap. A run counts when the hours it covers usually have sales
    (the share of weeks with a sale in that hour of the week adds up to at least
    three buckets' worth).
    """
    empty = revenue == 0
    silent = np.zeros(len(revenue), bool)
    if not empty.any():
        return silent
    share = pd.Series(~empty).groupby(slots).mean()
    expected_sales = share.reindex(slots).to_numpy()
    run_starts = np.flatnonzero(empty & ~np.r_[False, empty[:-1]])
    run_ends = np.flatnonzero(empty & ~np.r_[empty[1:], False]) + 1
    for a, b in zip(run_starts, run_ends):
        if (b - a) * step >= _GAP and expected_sales[a:b].sum() >= 3:
            silent[a:b] = True
    return silent


def _data_gaps(wide: pd.DataFrame, freq: str, notes: list[QualityNote]) -> np.ndarray:
    """Missing data: a day or more in which no channel sold anything in hours that normally sell.

    A single channel silent while the others sell is more likely closed (a store on a
    holiday) than missing: its baseline treats such days as closed; the note says so.
    """
    step = bucket_step(freq)
    slots = bucket_slots(wide.index, freq)
    gap = _silent_runs(wide.sum(axis=1).to_numpy(), slots, step)
    if gap.any():
        notes.append(
            _runs_note(
                wide.index,
                gap,
                "sales",
                "periods of a day or more with no sales at all in hours that normally "
                "have sales (treated as missing data, left out of the baseline)",
            )
        )
    if wide.shape[1] > 1:
        for channel in wide.columns:
            quiet = _silent_runs(wide[channel].to_numpy(), slots, step) & ~gap
            if quiet.any():
                notes.append(
                    _runs_note(
                        wide.index,
                        quiet,
                        "sales",
                        f"periods of a day or more without {channel} sales in hours "
                        f"that normally have them, while other channels sold (treated as {channel} closed)",
                    )
                )
    return gap


def _runs_note(grid: pd.DatetimeIndex, mask: np.ndarray, source: str, issue: str) -> QualityNote:
    starts = np.flatnonzero(mask & ~np.r_[False, mask[:-1]])
    ends = np.flatnonzero(mask & ~np.r_[mask[1:], False])
    examples = "; ".join(
        f"{grid[a]:%Y-%m-%d %H:%M} .. {grid[b]:%Y-%m-%d %H:%M}" for a, b in list(zip(starts, ends))[:3]
    )
    return QualityNote(source, issue, len(starts), examples, unit="periods")
