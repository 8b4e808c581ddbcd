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
    from helpers.downtime_sales.sales_shape import SalesModel

__all__ = ["Result", "Placebo", "SelfCheck"]


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
class SelfCheck:
    """Planted outages in the user's own clean weeks, measured as incidents are (see :mod:`.self_check`).

    Attributes
    ----------
    windows : pandas.DataFrame
        One row per planted window: ``incident_id`` (whose shape it copies), ``start, end,
        channels``, ``removed_revenue`` (what the outage took), ``returned_revenue`` (moved into
        the recovery hours), ``planted_net`` (their difference) and ``found_net(_low, _high)``:
        what the method charged, with its interval.
    removed_share, returned_share : float
        Share of the revenue (orders) removed in the outage minutes, and share of that moved back.
    removed, returned : float
        Total removed and moved back over the windows (currency).
    planted : float
        ``removed - returned``: the net loss planted (currency).
    found, found_low, found_high : float
        The method's net loss over all windows and the interval of that sum (currency).
    found_gross, found_recovered : float
        Its lost revenue in the outage buckets and recovered revenue in the recovery buckets (currency).
    coverage : float
        Share of the windows whose interval covers the planted net loss.
    off_target : bool
        The planted net loss lies outside the central 99.9 % of the found one's draws.
    too_narrow : bool
        The intervals cover the planted loss far less often than their level says (binomial tail
        below 0.001, and 10 points short of the level).
    biased : bool
        ``off_target`` or ``too_narrow``: a bias beyond the check's own noise.
    """

    windows: pd.DataFrame
    removed_share: float
    returned_share: float
    removed: float
    returned: float
    planted: float
    found: float
    found_low: float
    found_high: float
    found_gross: float
    found_recovered: float
    coverage: float
    off_target: bool
    too_narrow: bool
    biased: bool

    @property
    def ratio(self) -> float:
        """Found over planted net loss (1 = exact)."""
        return self.found / self.planted if self.planted else float("nan")


@dataclass(frozen=True, eq=False)
class Result:
    """The outage analysis, every amount in the sales currency; built by :func:`helpers.downtime_sales.analyse`.

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
    net_lost_draws : numpy.ndarray
        ``(draws, incidents)``: the joint draws behind every interval.
    model : SalesModel
        What the sales are (order-level rows, bucket counts, revenue only) and so what the baseline models.
    placebo : Placebo or None
        Outage-free windows measured as outages (None when no incident's shape fits a clean week).
    self_check : SelfCheck or None
        Planted outages measured as incidents (None when no incident's shape fits a clean week).
    start, end : pandas.Timestamp
        Incidents starting in ``[start, end)`` are reported.
    channels : list of str
        The measured channels.
    params : Parameters
        The run's parameters.
    quality_notes : list of QualityNote
        Data-quality notes found on the way, the inputs' included.
    """

    incidents: pd.DataFrame
    totals: dict
    minute_costs: pd.DataFrame
    campaigns: pd.DataFrame
    timeline: pd.DataFrame
    windows: pd.DataFrame
    baselines: dict[str, Baseline] = field(repr=False)
    special_days: list[pd.Timestamp]
    net_lost_draws: np.ndarray = field(repr=False)
    model: SalesModel
    placebo: Placebo | None
    self_check: SelfCheck | None
    start: pd.Timestamp
    end: pd.Timestamp
    channels: list[str]
    params: Parameters
    quality_notes: list[QualityNote]

    @property
    def confidence(self) -> float:
        """Level of every interval."""
        return self.params.confidence

    @property
    def freq(self) -> str:
        """Bucket size."""
        return self.params.freq

    @property
    def recovery_hours(self) -> float:
        """Hours after an outage in which displaced demand may come back."""
        return self.params.recovery_hours

    @property
    def point_estimate(self) -> str:
        """How point estimates come from the draws: ``"median"`` (order-level rows) or ``"mean"`` (bucket totals)."""
        return "median" if self.model.uses_orders else "mean"
