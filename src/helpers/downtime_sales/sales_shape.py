"""Which model the sales call for: order-level rows, bucket totals with order counts, or revenue only.

The choice follows what the rows are, read from the per-bucket facts the query engine counted
(:func:`helpers.downtime_sales.queries.sales_buckets`):

- **order-level rows** (``orders`` filled, 0 or 1 in every row, timestamps of single orders):
  each row is one order, so revenue is a sum of order values. The baseline models order counts
  and draws the missing orders' values from the channel's own orders (:mod:`.order_model`).
- **bucket counts** (``orders`` filled with counts above 1: pre-aggregated rows): the counts
  say how many orders a bucket had but not what they were worth, and revenue per order moves
  from bucket to bucket for reasons the counts do not carry (basket mix, prices). A loss valued
  as missing orders times a typical order value would inherit that mismatch (per-incident 95 %
  coverage fell to 0.83 on simulated shops), so the loss is measured on revenue
  (:mod:`.baseline`); the counts are checked, not used.
- **revenue only** (``orders`` empty, or rows that are bucket totals with a count of 1 each):
  revenue per bucket is modelled directly (:mod:`.baseline`).

Rows count as bucket totals when at least 90 % of their timestamps fall on a quarter hour to
the second: a BI tool's hourly or quarter-hour export always does, order timestamps (to the
minute or the second) about one in fifteen times.

Imports pandas, NumPy and the standard library only, so the runner's check before the kernel stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from helpers.exceptions import ParameterError
from helpers.inputs.quality import QualityNote

__all__ = ["ORDER_LEVEL", "BUCKET_COUNTS", "REVENUE_ONLY", "SalesModel", "choose_model", "check_grain"]

ORDER_LEVEL, BUCKET_COUNTS, REVENUE_ONLY = "order-level rows", "bucket counts", "revenue only"
#: Share of rows on quarter-hour boundaries from which rows are taken for bucket totals.
_ON_GRID = 0.9
_GRAINS = (("D", "on_day", "daily"), ("h", "on_hour", "hourly"), ("15min", "on_quarter_hour", "quarter-hour"))
_FINENESS = {"15min": 0, "h": 1, "D": 2}


@dataclass(frozen=True)
class SalesModel:
    """The model the sales call for, and why.

    Attributes
    ----------
    kind : str
        :data:`ORDER_LEVEL`, :data:`BUCKET_COUNTS` or :data:`REVENUE_ONLY`.
    reason : str
        One sentence for the report: what the rows are and what the baseline therefore models.
    notes : list of QualityNote
        Combinations of columns that make no sense together (counts of zero with revenue,
        counts that never vary), said once.
    """

    kind: Literal["order-level rows", "bucket counts", "revenue only"]
    reason: str
    notes: list[QualityNote] = field(default_factory=list)

    @property
    def uses_orders(self) -> bool:
        """Whether the baseline models order counts and values (order-level rows only)."""
        return self.kind == ORDER_LEVEL

    @property
    def point_estimate(self) -> Callable:
        """How a figure's point estimate comes from its draws.

        The median for order-level rows: a window's missing orders are a few whole orders with
        skewed values, whose mean lies above what a typical window loses (placebo windows would be
        charged a loss). The mean for bucket totals, as the bucket model always did: figures then
        add up (the incidents to the total), and the expected loss is a mean.
        """
        return np.median if self.uses_orders else np.mean


def choose_model(buckets: pd.DataFrame) -> SalesModel:
    """The model for sales aggregated by :func:`~helpers.downtime_sales.queries.sales_buckets`.

    A frame without the query's row facts (a test's or a notebook's own buckets) is taken as it
    says: ``orders`` present means order-level rows, absent means revenue only.
    """
    if "rows" not in buckets:
        if "orders" in buckets:
            return SalesModel(ORDER_LEVEL, _ORDER_REASON)
        return SalesModel(REVENUE_ONLY, _REVENUE_REASON)
    rows = int(buckets["rows"].sum())
    counted = int(buckets["counted_rows"].sum())
    totals_like = rows > 0 and buckets["on_quarter_hour"].sum() >= _ON_GRID * rows
    if counted == 0:
        return SalesModel(REVENUE_ONLY, _REVENUE_REASON)
    notes = []
    if counted < rows:
        notes.append(QualityNote("sales", "rows without an order count (each taken as one order)", rows - counted,
                                 unit="rows"))
    most = int(buckets["most_orders"].max())
    if most <= 1 and totals_like:
        notes.append(QualityNote(
            "sales", "orders is 0 or 1 in every row, but the rows fall on the quarter hour like bucket totals: "
            "the counts cannot be orders and are not used (revenue only)", rows, unit="rows"))
        return SalesModel(REVENUE_ONLY, _REVENUE_REASON, notes)
    zero = buckets[(buckets["orders"] == 0) & (buckets["counted_rows"] == buckets["rows"]) & (buckets["revenue"] != 0)]
    if len(zero):
        examples = "; ".join(f"{b:%Y-%m-%d %H:%M} {c}" for b, c in zip(zero["bucket"].head(3), zero["channel"].head(3)))
        notes.append(QualityNote("sales", "buckets with revenue but an order count of zero (refunds or adjustments "
                                 "without an order)", len(zero), examples, unit="buckets"))
    if most <= 1:
        return SalesModel(ORDER_LEVEL, _ORDER_REASON, notes)
    if buckets["orders"].nunique() == 1:
        notes.append(QualityNote("sales", f"orders is {int(buckets['orders'].iloc[0])} in every bucket: not a count "
                                 "that says anything about demand (not used)", len(buckets), unit="buckets"))
    return SalesModel(BUCKET_COUNTS, _COUNTS_REASON, notes)


def check_grain(buckets: pd.DataFrame, freq: str) -> None:
    """Raise ParameterError when the rows are bucket totals coarser than the ``freq`` asked for.

    Hourly totals measured in quarter-hours would show three empty quarters an hour: one sentence
    instead, naming the size that fits.
    """
    rows = int(buckets["rows"].sum()) if "rows" in buckets else 0
    if not rows or buckets["on_quarter_hour"].sum() < _ON_GRID * rows:
        return
    for grain, column, words in _GRAINS:
        if buckets[column].sum() == rows and _FINENESS[freq] < _FINENESS[grain]:
            boundary = "midnight" if grain == "D" else "the hour"
            raise ParameterError(
                f"Parameter 'freq' ({freq}): the sales are {words} totals (every row at {boundary}), too coarse "
                f"for {freq} buckets; use freq: {grain}."
            )


_ORDER_REASON = (
    "The sales are order-level rows (an order count of 0 or 1 per row), so the baseline models the number of "
    "orders per bucket and values the missing ones with the channel's own orders."
)
_COUNTS_REASON = (
    "The sales are bucket totals with order counts, so the loss is measured on revenue per bucket: the counts say "
    "how many orders came but not what they were worth, and revenue per order varies from bucket to bucket."
)
_REVENUE_REASON = (
    "The sales are revenue totals without order counts, so the baseline models revenue per bucket directly."
)
