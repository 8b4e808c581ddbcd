"""What the service-outcome analysis found: the result types, apart from the code that computes or formats them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from helpers.nps_trends.stats import Estimate
    from helpers.service_outcomes.parameters import Parameters

__all__ = ["Result", "Satisfaction", "FAILURES"]

#: The ways a ticket fails the one job, in the order reports list them: (name, what it means).
FAILURES = (
    ("came_back", "came back: reopened, or the user asked again"),
    ("reopened", "reopened"),
    ("repeat", "asked again: a new ticket on the same service or item soon after"),
    ("not_resolved", "not resolved yet"),
    ("not_solved_code", "closed as not solved"),
    ("slow", "slow: not resolved within the quick target"),
    ("reassigned", "bounced between teams"),
    ("ping_pong", "ping-pong: came back to a team it had left"),
)


@dataclass(frozen=True)
class Satisfaction:
    """NPS of surveyed tickets that met the one job against those that did not (points, -100 to +100).

    Attributes
    ----------
    met, not_met : Estimate or None
        Plain NPS with its adjusted-Wald interval; None when that group has fewer than ``min_n``
        responses (then both are None, since the linked total would give the other away).
    difference : Estimate or None
        ``met`` minus ``not_met``.
    met_responses, not_met_responses : int or None
        Responses in each group (None when suppressed).
    linked : int
        Responses about a ticket in the incidents.
    analysed : int
        Of those, responses about a judged ticket opened in the window (the two groups together).
    not_found : int
        Responses naming a ticket that is not in the incidents.
    without_ticket : int
        Responses about no ticket.
    """

    met: Estimate | None
    not_met: Estimate | None
    difference: Estimate | None
    met_responses: int | None
    not_met_responses: int | None
    linked: int
    analysed: int
    not_found: int
    without_ticket: int


@dataclass(frozen=True)
class Result:
    """Everything the report shows; built by :func:`helpers.service_outcomes.analysis.analyse`.

    Shares are from 0 to 1, hours are hours of the clock, NPS in points.

    Attributes
    ----------
    params : Parameters
    window_start, window_end : date
        First and last day of opening analysed.
    as_of : datetime
        The export's latest moment; tickets opened less than their quick target plus
        ``repeat_days`` before it are too recent to judge and left out.
    overall : dict
        ``tickets`` (judged), ``one_job``, ``one_job_rate`` with ``_low``/``_high``, ``sla_met_share``
        with ``_low``/``_high`` (None without ``made_sla``), ``lost_user_hours``, ``lost_user_cost``
        (None without ``hourly_cost``), ``waiting_hours``, ``suppressed``.
    failures : DataFrame
        One row per way of failing (:data:`FAILURES`): ``failure``, ``label``, ``tickets``, ``share``,
        ``share_low``, ``share_high``.
    periods : DataFrame
        One row per calendar period of the window: ``period``, ``period_start``, ``period_end``,
        ``partial``, ``covered_start``, ``covered_end``, the counts, ``one_job_rate`` with
        ``_low``/``_high``, ``sla_met_share``, ``change``, ``change_p_value`` (Holm),
        ``change_p_value_unadjusted``, ``significant``, ``suppressed``.
    services, breakdowns : DataFrame
        Per service (``service``) and per value of each breakdown column (``column``, ``value``):
        ``tickets``, ``one_job_rate`` with ``_low``/``_high``, ``reopened_share``, ``repeat_share``,
        ``came_back_share``, ``slow_share``, ``reassigned_share``, ``ping_pong_share``,
        ``lost_user_hours``, ``waiting_hours_per_ticket``, ``below_overall`` (the whole interval
        below the overall rate). Groups under ``min_n`` tickets, and those hidden with them, are
        not in them.
    hidden_groups : list of dict
        Per column with groups not shown: ``column``, ``groups``, ``tickets``.
    comparisons : int
        Period-over-period tests made (the Holm family).
    satisfaction : Satisfaction or None
        None when no responses were given.
    quality_notes : list of QualityNote
    """

    params: Parameters
    window_start: dt.date
    window_end: dt.date
    as_of: dt.datetime
    overall: dict[str, Any]
    failures: pd.DataFrame
    periods: pd.DataFrame
    services: pd.DataFrame
    breakdowns: pd.DataFrame
    hidden_groups: list[dict[str, Any]] = field(default_factory=list)
    comparisons: int = 0
    satisfaction: Satisfaction | None = None
    quality_notes: list[Any] = field(default_factory=list)

    @property
    def latest(self) -> pd.Series | None:
        """The last period with enough tickets to report (None if none has)."""
        shown = self.periods[~self.periods["suppressed"].astype(bool)]
        return None if shown.empty else shown.iloc[-1]
