"""What the NPS analysis found: the result types, apart from the code that computes or formats them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from helpers.nps_trends.parameters import Parameters
    from helpers.nps_trends.stats import Estimate

__all__ = ["Result", "TicketLink", "Trend", "TrendStretch"]


@dataclass(frozen=True)
class TicketLink:
    """NPS of responses about a ticket, by resolution time and by first-time fix.

    Attributes
    ----------
    by_resolution_time, by_first_time_fix : DataFrame
        One row per group: ``group``, counts, ``n``, ``nps``, ``nps_low``, ``nps_high``, ``suppressed``.
    first_time_fix_difference : Estimate or None
        NPS with a first-time fix minus NPS without, in points (None if either group is too small).
    linked : int
        Responses whose ticket was found.
    not_found : int
        Responses naming a ticket that is not in the tickets input.
    without_ticket : int
        Responses about no ticket.
    """

    by_resolution_time: pd.DataFrame
    by_first_time_fix: pd.DataFrame
    first_time_fix_difference: Estimate | None
    linked: int
    not_found: int
    without_ticket: int


@dataclass(frozen=True)
class TrendStretch:
    """The slope of NPS over one stretch of days, in points per month (first and last day included)."""

    start: dt.date
    end: dt.date
    slope: Estimate


@dataclass(frozen=True)
class Trend:
    """The underlying trend of NPS in points per month.

    Attributes
    ----------
    basis : {"segmented", "straight line"}
        "segmented" when at least one event was measured: the slopes of the segmented
        regression, one per stretch between events, with the steps at the events taken out.
        "straight line" otherwise: one line through the whole window.
    stretches : list of TrendStretch
        In time order; ``headline`` is the first one (before the first event).
    unmeasured_events : list of (date, label)
        Events inside the window that could not be measured; a straight line includes any step
        they caused.
    """

    basis: str
    stretches: list[TrendStretch]
    unmeasured_events: list[tuple[dt.date, str]]

    @property
    def headline(self) -> TrendStretch:
        """The stretch ``results.json`` reports as ``trend``: the whole window, or before the first event."""
        return self.stretches[0]


@dataclass(frozen=True)
class Result:
    """Everything the report shows; built by :func:`analyse`.

    Attributes
    ----------
    params : Parameters
    window_start, window_end : date
        First and last day analysed.
    periods : DataFrame
        One row per calendar period in the window (see :func:`nps_table` for the NPS columns) plus
        ``period``, ``period_start``, ``period_end``, ``period_mid``, ``covered_start``,
        ``covered_end``, ``partial`` (the window covers only part of it), ``change`` (points),
        ``change_p_value`` (Holm-adjusted), ``change_p_value_unadjusted``, ``significant``.
    overall : dict
        The whole window: counts, NPS and interval.
    comparisons : int
        Period-over-period tests made (the Holm family size).
    trend : Trend or None
        The underlying trend in points per month (segmented when an event was measured).
    events : DataFrame
        ``date``, ``label``, ``level_change`` (points) with ``_low``/``_high``, ``trend_change``
        (points per month) with ``_low``/``_high``, ``note`` (why an event was not measured).
    event_lines : DataFrame
        Daily fitted NPS of the segmented regression and the prior-trend line after each event.
    segments, segment_periods : DataFrame
        NPS per segment value, overall and per period. Values too small to show are not in them.
    tickets : TicketLink or None
    terms : DataFrame
        Distinctive comment words of detractors and promoters (aggregates only).
    quality_notes : list of QualityNote
    hidden_segments : list of dict
        Per segment column with values not shown: ``segment``, ``groups`` and ``responses``
        (groups under ``min_n``, and those hidden so that they cannot be worked out from totals).
    """

    params: Parameters
    window_start: dt.date | None
    window_end: dt.date | None
    periods: pd.DataFrame
    overall: dict[str, Any]
    comparisons: int
    trend: Trend | None
    events: pd.DataFrame
    event_lines: pd.DataFrame
    segments: pd.DataFrame
    segment_periods: pd.DataFrame
    tickets: TicketLink | None
    terms: pd.DataFrame
    quality_notes: list[Any] = field(default_factory=list)
    hidden_segments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latest(self) -> pd.Series | None:
        """The last period with enough responses to report (None if none has)."""
        shown = self.periods[~self.periods["suppressed"]]
        return None if shown.empty else shown.iloc[-1]

