"""What the downtime analysis found: the result type, apart from the code that computes or formats it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from helpers.inputs.quality import QualityNote

if TYPE_CHECKING:
    from helpers.downtime_sales.baseline import Baseline
    from helpers.downtime_sales.parameters import Parameters

__all__ = ["Result", "Placebo"]


@dataclass(frozen=True, eq=False)
class Placebo:
    """Outage-free windows measured as if they were outages (see :mod:`helpers.downtime_sales.placebo`).

    Attributes
    ----------
    windows : pandas.DataFrame
        One row per placebo window: ``incident_id`` (the incident whose shape it copies, moved by
        whole weeks), ``start, end, channels, actual_revenue`` (over its outage and recovery
        buckets) and ``net_lost_revenue(_low, _high)``: what the method charged.
    net_lost_draws : numpy.ndarray
        ``(draws, windows)``: the joint draws behind the intervals.
    median_charge, median_revenue : float
        Median charged net lost revenue and median revenue of the windows (currency).
    charge_share : float
        ``median_charge / median_revenue``.
    zero_coverage : float
        Share of the windows whose interval covers zero.
    """

    windows: pd.DataFrame
    net_lost_draws: np.ndarray = field(repr=False)
    median_charge: float
    median_revenue: float
    charge_share: float
    zero_coverage: float


@dataclass(frozen=True, eq=False)
class Result:
    """The outage analysis, every amount in the sales currency.

    Attributes
    ----------
    incidents : pandas.DataFrame
        One row per incident starting in the window and hitting a measured channel, by
        start: ``incident_id, start, end, minutes, channels, in_campaign, campaign_id,
        campaign, actual_revenue, expected_revenue(_low, _high), lost_revenue(_low, _high),
        recovered_revenue(_low, _high), net_lost_revenue(_low, _high), lost_revenue_per_minute``
        (plus ``service`` and ``severity`` when the outages have them).
    totals : dict
        ``incidents, minutes, lost_revenue, recovered_revenue, net_lost_revenue(_low,
        _high), campaign_minute_cost_ratio(_low, _high)``.
    minute_costs : pandas.DataFrame
        Net lost revenue per minute of downtime in campaigns and outside, with intervals.
    campaigns : pandas.DataFrame
        Per campaign in the window: incremental revenue, revenue outages took from it
        and the share, with intervals.
    timeline : pandas.DataFrame
        Per day: ``actual, expected, expected_low, expected_high`` over the analysed channels.
    windows : pandas.DataFrame
        Per incident, the buckets around it: ``incident_id, timestamp, part, actual,
        expected, expected_low, expected_high``.
    baselines : dict of str to Baseline
        The fitted baseline of each analysed channel.
    special_days : list of pandas.Timestamp
        Days given their own effect (holidays and days far off the pattern).
    quality_notes : list of QualityNote
        Data-quality notes found on the way.
    net_lost_draws : numpy.ndarray
        ``(draws, incidents)``: the joint draws behind every interval.
    """

    incidents: pd.DataFrame
    totals: dict
    minute_costs: pd.DataFrame
    campaigns: pd.DataFrame
    timeline: pd.DataFrame
    windows: pd.DataFrame
    baselines: dict[str, Baseline] = field(repr=False)
    special_days: list[pd.Timestamp]
    quality_notes: list[QualityNote]
    net_lost_draws: np.ndarray = field(repr=False)
    confidence: float = 0.95
    freq: str = "h"
    recovery_hours: float = 3.0
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    channels: list[str] = field(default_factory=list)
    #: "median" (order-level sales: order counts and values) or "mean" (bucket totals) of the draws.
    point_estimate: str = "mean"
    #: The placebo check, when the analysis ran one.
    placebo: Placebo | None = None
    #: The run's parameters (set by :func:`helpers.downtime_sales.analyse`).
    params: Parameters | None = None
