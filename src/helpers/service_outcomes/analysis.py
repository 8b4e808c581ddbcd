"""Service outcomes: the analysis itself. Ticket verdicts and counts come from the query engine
(:mod:`.queries`); the intervals and tests work on those counts (:mod:`.stats`). Shares are 0 to 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from helpers import cell_key, privacy
from helpers.exceptions import ParameterError
from helpers.inputs import loading as inputs
from helpers.nps_trends.analysis import period_calendar
from helpers.service_outcomes import queries, stats
from helpers.service_outcomes.loading import Inputs
from helpers.service_outcomes.parameters import Parameters
from helpers.service_outcomes.result import FAILURES, Result, Satisfaction
from helpers.service_outcomes.window import Window, analysis_window

__all__ = ["analyse", "group_table", "published", "ABSENT_COLUMN_EFFECTS"]

#: What an optional incident column's absence means for the figures, when the analysis uses it.
ABSENT_COLUMN_EFFECTS = {
    "reopen_count": "taken as 0, so no ticket counts as reopened",
    "reassignment_count": "taken as 0, so only tickets with events can count as bounced",
    "priority": "every ticket gets the quick_hours_other target",
    "state": "canceled tickets cannot be told apart and are analysed like the others",
    "close_code": "no ticket counts as closed without a solution",
    "made_sla": "the tool's own SLA figure cannot be shown beside the one-job rate",
}

_SHARES = ("reopened", "repeat", "came_back", "slow", "reassigned", "ping_pong")

#: Counts that are parts of another (part, whole): noise must not make a part larger than its whole.
_PARTS = (
    *[(name, "tickets") for name in ("one_job", "reopened", "repeat", "came_back", "not_solved", "slow", "reassigned",
                                     "ping_pong", "not_resolved", "not_solved_code", "sla_known", "with_events")],
    ("sla_met", "sla_known"),
)


def _keyed(counts: pd.DataFrame) -> bool:
    return set(queries.KEY_COLUMNS) <= set(counts.columns)


def published(counts: pd.DataFrame, params: Parameters) -> pd.DataFrame:
    """The counts as published: each perturbed by its cell key (:mod:`helpers.cell_key`), keys dropped.

    Tickets of a group with at least ``min_n`` stay at least ``min_n`` (no group shown looks
    smaller than the rule allows), and a part never exceeds its whole (one-job tickets, the
    tickets). The hours carry noise scaled to the cell's largest ticket's hours
    (:func:`helpers.cell_key.perturb_amounts`, by the tickets' cell key), and those largest hours
    are dropped. Decide suppression on the exact counts before calling this. Frames without key
    columns (already published, or counted without keys) come back as they are, less any largest hours.
    """
    tops = [name for name in queries.TOP_COLUMNS if name in counts]
    if not _keyed(counts):
        return counts.drop(columns=tops)
    frame = counts.copy()
    for amount, top in zip(queries.AMOUNTS, queries.TOP_COLUMNS):
        if amount in frame:
            frame[amount] = cell_key.perturb_amounts(frame[amount].fillna(0.0).to_numpy(dtype="float64"),
                                                     frame["tickets_key"].to_numpy(dtype="int64"),
                                                     frame[top].fillna(0.0).to_numpy(dtype="float64"))
    frame = frame.drop(columns=tops)
    frame = cell_key.perturb_counts(frame, ["tickets"], floor=params.min_n)
    frame = cell_key.perturb_counts(frame, [name for name in queries.COUNTED if name != "tickets"])
    for part, whole in _PARTS:
        frame[part] = np.minimum(frame[part].to_numpy(), frame[whole].to_numpy())
    return frame


def _noise(counts: pd.DataFrame) -> float:
    return cell_key.VARIANCE if _keyed(counts) else 0.0


def analyse(data: Inputs, params: Parameters) -> Result:
    """Judge every ticket in the query engine, then compute every figure of the report from the counts.

    Parameters
    ----------
    data : Inputs
        From :func:`load_inputs` (or Ibis tables with the same columns).
    params : Parameters
    """
    window = analysis_window(data, params)
    events = None
    if data.events is not None:
        events = queries.event_facts(data.events, data.events_shape, waiting_states=params.waiting_states)
    facts = queries.ticket_facts(data.incidents, events, params, as_of_epoch=window.bounds.as_of_epoch)
    per_ticket, links = (None, None)
    if data.responses is not None:
        per_ticket, links = queries.response_links(data.responses, data.incidents)
    columns = [params.service_column, *params.breakdowns]
    cells = queries.outcome_counts(
        facts, period=params.period, start=window.start, end=window.end, columns=columns, responses=per_ticket
    )
    judged = cells[cells["judged"]]
    if judged["tickets"].sum() == 0:
        raise ParameterError(_nothing_judged(data.incidents_name, params, window, int(cells["tickets"].sum())))
    people = queries.people_counts(facts, period=params.period, start=window.start, end=window.end, columns=columns)
    notes = _input_notes(data, params, window, cells)
    overall = _overall(judged, params, people=None if people is None else int(people["overall"]["people"].sum()))
    periods = _periods(judged, params, window, people=None if people is None else people["period_start"])
    groups, hidden, group_notes = {}, [], []
    for column in columns:
        shown, hidden_info = group_table(judged, column, params, overall_rate=overall["one_job_rate"],
                                         people=None if people is None else people[column])
        groups[column] = shown
        if hidden_info:
            hidden.append(hidden_info)
            # the note's count is the tickets; hidden_groups_text would say them twice ("33 tickets ... (33 tickets)")
            groups_hidden = hidden_info["groups"]
            counted = f"{groups_hidden:,} smaller group{'s' if groups_hidden != 1 else ''} not shown"
            group_notes.append(_note(data.incidents_name, f"column '{column}': {counted}", hidden_info["tickets"]))
    notes.extend(_period_notes(data.incidents_name, periods, params))
    notes.extend(group_notes)
    satisfaction = None
    if links is not None:
        satisfaction = _satisfaction(judged, links, params)
        if links["not_found"]:
            notes.append(_note(data.responses_name, f"responses naming a ticket that is not in {data.incidents_name}",
                               links["not_found"], unit="responses"))
    services = groups[params.service_column].rename(columns={"value": "service"})
    breakdowns = pd.concat(
        [groups[c].assign(column=c) for c in params.breakdowns] or [pd.DataFrame(columns=["column", "value"])],
        ignore_index=True,
    )
    return Result(
        params=params,
        window_start=window.start,
        window_end=window.end,
        as_of=window.bounds.as_of,
        overall=overall,
        failures=_failures(judged, params, suppressed=overall["suppressed"]),
        periods=periods,
        services=services,
        breakdowns=breakdowns,
        hidden_groups=hidden,
        comparisons=int(periods["change_p_value_unadjusted"].notna().sum()),
        satisfaction=satisfaction,
        quality_notes=notes,
    )


def _note(input_name: str | None, issue: str, rows: int, examples: str = "", *, unit: str = "tickets") -> Any:
    return inputs.QualityNote(input=input_name or "", issue=issue, rows=int(rows), examples=examples, unit=unit)


def _nothing_judged(name: str, params: Parameters, window: Window, opened: int) -> str:
    return (
        f"None of the {opened:,} tickets opened from {window.start} to {window.end} can be judged yet: each needs its "
        f"quick target plus repeat_days ({params.repeat_days}) to pass before the export's latest time in {name} "
        f"({window.bounds.as_of:%Y-%m-%d %H:%M}); choose an earlier 'end' or a smaller 'repeat_days'."
    )


# --- figures ------------------------------------------------------------------------------------


def _counted(frame: pd.DataFrame) -> dict[str, str]:
    """How each column of some cells makes their union's: counts, hours and, when present, cell keys add up
    (keys modulo the key modulus), and the largest ticket's hours is the largest of the cells'."""
    how = dict.fromkeys([*queries.COUNT_COLUMNS, *(queries.KEY_COLUMNS if _keyed(frame) else ())], "sum")
    return how | {name: "max" for name in queries.TOP_COLUMNS if name in frame}


def _is_hours(name: str) -> bool:
    return name in queries.AMOUNTS or name in queries.TOP_COLUMNS


def _sums(frame: pd.DataFrame, params: Parameters) -> pd.Series:
    """The published totals of some cells (added up exactly, then perturbed once)."""
    totals = frame.agg(_counted(frame)).to_frame().T.fillna(0)
    counts = [c for c in totals.columns if not _is_hours(c)]
    return published(totals.astype(dict.fromkeys(counts, "int64")), params).iloc[0]


def _sizes(counts: pd.DataFrame, people: pd.DataFrame | None, on: str) -> pd.Series:
    """The size of each row of ``counts`` that ``min_n`` is held to: its people (callers) where they are
    counted, its tickets otherwise."""
    if people is None:
        return counts["tickets"]
    sizes = counts[[on]].merge(people, on=on, how="left", validate="one_to_one")["people"]
    return pd.Series(sizes.fillna(0).astype("int64").to_numpy(), index=counts.index)


def _overall(judged: pd.DataFrame, params: Parameters, *, people: int | None = None) -> dict[str, Any]:
    """The overall figures; all hidden when they describe fewer than ``min_n`` people (callers), or tickets
    where no caller is known. Suppression is decided on the exact counts, the figures shown are published."""
    suppressed = bool((int(judged["tickets"].sum()) if people is None else people) < params.min_n)
    noise = _noise(judged)
    totals = _sums(judged, params)
    tickets = int(totals["tickets"])
    rate = stats.wilson_interval([totals["one_job"]], [tickets], confidence=params.confidence, noise_variance=noise)
    sla = stats.wilson_interval([totals["sla_met"]], [totals["sla_known"]], confidence=params.confidence,
                                noise_variance=noise)
    hours = float(totals["lost_hours"])

    def shown(value: float) -> float | None:
        return None if suppressed or np.isnan(value) else float(value)

    return {
        "tickets": tickets,
        "one_job": None if suppressed else int(totals["one_job"]),
        "one_job_rate": shown(rate.share[0]),
        "one_job_rate_low": shown(rate.low[0]),
        "one_job_rate_high": shown(rate.high[0]),
        "sla_met_share": shown(sla.share[0]),
        "sla_met_share_low": shown(sla.low[0]),
        "sla_met_share_high": shown(sla.high[0]),
        "sla_tickets": int(totals["sla_known"]),
        "lost_user_hours": None if suppressed else hours,
        "lost_user_cost": None if suppressed or params.hourly_cost is None else hours * params.hourly_cost,
        "waiting_hours": None if suppressed else float(totals["waiting_hours"]),
        "with_events": int(totals["with_events"]),
        "suppressed": suppressed,
    }


def _failures(judged: pd.DataFrame, params: Parameters, *, suppressed: bool) -> pd.DataFrame:
    totals = _sums(judged, params)
    names = [name for name, _ in FAILURES]
    counts = totals[names].to_numpy(dtype=float)
    interval = stats.wilson_interval(counts, np.full(len(names), float(totals["tickets"])), confidence=params.confidence,
                                     noise_variance=_noise(judged))
    frame = pd.DataFrame({
        "failure": names,
        "label": [label for _, label in FAILURES],
        "tickets": counts.astype("int64"),
        "share": interval.share,
        "share_low": interval.low,
        "share_high": interval.high,
    })
    if suppressed:
        frame[["share", "share_low", "share_high"]] = np.nan
    return frame


def _with_rates(counts: pd.DataFrame, params: Parameters, *, overall_rate: float | None) -> pd.DataFrame:
    """Shares with intervals, hours and the below-the-overall flag of each row of counts (published here)."""
    noise = _noise(counts)
    frame = published(counts, params).copy()
    rate = stats.wilson_interval(frame["one_job"], frame["tickets"], confidence=params.confidence, noise_variance=noise)
    frame["one_job_rate"], frame["one_job_rate_low"], frame["one_job_rate_high"] = rate
    tickets = frame["tickets"].where(frame["tickets"] > 0)
    for name in _SHARES:
        frame[f"{name}_share"] = frame[name] / tickets
    sla = stats.wilson_interval(frame["sla_met"], frame["sla_known"], confidence=params.confidence,
                                noise_variance=noise)
    frame["sla_met_share"] = sla.share
    frame["lost_user_hours"] = frame["lost_hours"]
    frame["waiting_hours_per_ticket"] = frame["waiting_hours"] / tickets
    frame["below_overall"] = (frame["one_job_rate_high"] < overall_rate) if overall_rate is not None else False
    return frame


def group_table(
    judged: pd.DataFrame, column: str, params: Parameters, *, overall_rate: float | None,
    people: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """The one-job rate per value of ``column``, groups too small to show left out and counted.

    A value with fewer than ``min_n`` people (``people``: ``value`` and ``people``, the distinct callers of
    :func:`queries.people_counts`; tickets when None) is not named anywhere; complementary suppression
    (:func:`helpers.privacy.complementary_suppression`) hides further values until the hidden ones
    hold none or at least ``min_n`` together, since the overall figures are shown.

    Returns
    -------
    shown : DataFrame
        ``value`` plus the columns of :func:`_with_rates`, largest groups first.
    hidden : dict or None
        ``column``, ``groups`` and ``tickets`` of the values not shown.
    """
    counts = judged.groupby(column, as_index=False).agg(_counted(judged)).rename(columns={column: "value"})
    sizes = _sizes(counts, people, "value")
    counts["suppressed"] = sizes < params.min_n
    hidden = privacy.complementary_suppression(counts.assign(line=0, size=sizes), lines=[["line"]], min_n=params.min_n,
                                               n="size")
    shown = _with_rates(counts[~hidden], params, overall_rate=overall_rate)
    shown = shown.sort_values(["tickets", "value"], ascending=[False, True], ignore_index=True)
    if not hidden.any():
        return shown, None
    # The hidden groups' total is published too: perturbed by their joint cell key, like any count.
    hidden_tickets = int(_sums(counts[hidden], params)["tickets"])
    return shown, {"column": column, "groups": int(hidden.sum()), "tickets": hidden_tickets}


def _periods(judged: pd.DataFrame, params: Parameters, window: Window, *, people: pd.DataFrame | None = None
             ) -> pd.DataFrame:
    calendar = period_calendar(window.start, window.end, params.period)
    counts = judged.groupby("period_start", as_index=False).agg(_counted(judged))
    frame = calendar.merge(counts, on="period_start", how="left", validate="one_to_one")
    for name in _counted(judged):
        frame[name] = frame[name].fillna(0).astype("float64" if _is_hours(name) else "int64")
    noise = _noise(frame)
    # The overall rate is published: hidden periods must hold none or at least min_n people together.
    sizes = _sizes(frame, people, "period_start")
    cells = pd.DataFrame({"line": 0, "size": sizes, "suppressed": sizes < params.min_n})
    hidden = privacy.complementary_suppression(cells, lines=[["line"]], min_n=params.min_n, n="size")
    empty = frame["tickets"].to_numpy() == 0
    frame = _with_rates(frame, params, overall_rate=None).drop(columns="below_overall")
    changes = stats.period_changes(frame["one_job"], frame["tickets"], reportable=~hidden, confidence=params.confidence,
                                   noise_variance=noise)
    frame["change"] = changes.change
    frame["change_p_value"] = changes.p_value_holm
    frame["change_p_value_unadjusted"] = changes.p_value
    frame["significant"] = np.where(np.isnan(changes.p_value), None, changes.significant)
    frame["suppressed"] = hidden
    frame["empty"] = empty
    figures = [c for c in frame.columns if c.endswith(("_rate", "_low", "_high", "_share", "_per_ticket", "hours"))]
    frame.loc[hidden, figures] = np.nan
    small = [c for c in queries.COUNT_COLUMNS if c not in queries.AMOUNTS]
    frame[small] = frame[small].astype("Int64")
    frame.loc[hidden, small] = pd.NA
    return frame


def _satisfaction(judged: pd.DataFrame, links: dict[str, int], params: Parameters) -> Satisfaction:
    met_columns = ["detractors_met", "passives_met", "promoters_met"]
    not_met_columns = ["detractors_not_met", "passives_not_met", "promoters_not_met"]
    # Both groups or neither (decided on the exact answers): the analysed total is shown, so one
    # group would give the other away.
    exact = judged[met_columns + not_met_columns].sum()
    shown = exact[met_columns].sum() >= params.min_n and exact[not_met_columns].sum() >= params.min_n
    noise = _noise(judged)
    totals = _sums(judged, params)
    met = totals[met_columns].to_numpy(dtype=float)
    not_met = totals[not_met_columns].to_numpy(dtype=float)
    n_met, n_not = int(met.sum()), int(not_met.sum())
    return Satisfaction(
        met=stats.nps_estimate(met, confidence=params.confidence, noise_variance=noise) if shown else None,
        not_met=stats.nps_estimate(not_met, confidence=params.confidence, noise_variance=noise) if shown else None,
        difference=stats.nps_difference(met, not_met, confidence=params.confidence, noise_variance=noise)
        if shown else None,
        met_responses=n_met if shown else None,
        not_met_responses=n_not if shown else None,
        linked=links["linked"],
        analysed=n_met + n_not,
        not_found=links["not_found"],
        without_ticket=links["without_ticket"],
    )


# --- data-quality notes -------------------------------------------------------------------------


def _input_notes(data: Inputs, params: Parameters, window: Window, cells: pd.DataFrame) -> list[Any]:
    name = data.incidents_name
    notes = []
    # Every count a note gives is published like the tables' (cell-key noise): notes of two windows differ too.
    opened = int(_sums(cells, params)["tickets"])
    used = {"reopen_count", "reassignment_count", "priority", "state", "close_code", "made_sla"}
    for column in data.absent_columns:
        if column in used:
            notes.append(_note(name, f"column '{column}' is not in the export: {ABSENT_COLUMN_EFFECTS[column]}",
                               opened))
        elif column in (params.service_column, *params.breakdowns):
            notes.append(_note(name, f"column '{column}' is not in the export: every ticket reads "
                                     f"'{queries.NOT_RECORDED}' there", opened))
        elif column in params.repeat_match:
            others = [c for c in params.repeat_match if c not in data.absent_columns]
            effect = f"repeat contacts are matched on {', '.join(others)} only" if others else \
                "no repeat contact can be found"
            notes.append(_note(name, f"column '{column}' is not in the export: {effect}", opened))
    if data.earlier_rows:
        notes.append(_note(name, "rows that are earlier versions of a ticket (an audit-enriched export): each ticket's "
                                 "row with the highest sys_mod_count is used", data.earlier_rows, unit="rows"))
    bounds = window.bounds
    if bounds.canceled:
        notes.append(_note(name, "canceled tickets, left out", bounds.canceled))
    if bounds.without_caller:
        notes.append(_note(name, "tickets without caller_id: whether their user asked again cannot be seen",
                           bounds.without_caller))
    if bounds.closed_unresolved:
        notes.append(_note(name, "tickets closed without a resolved_at: counted as not resolved (so not solved and "
                                 "slow)", bounds.closed_unresolved))
    recent = int(_sums(cells[~cells["judged"]], params)["tickets"])
    if recent:
        notes.append(_note(name, "tickets opened too recently to judge (less than their quick target plus "
                                 f"repeat_days before the export's latest time, {bounds.as_of:%Y-%m-%d %H:%M}), left out",
                           recent))
    if params.start or params.end:
        outside = inputs.outside_window(
            data.incidents, "opened_at", start=window.start, end=window.end + dt.timedelta(days=1), input=name,
            issue=f"tickets opened outside the analysis window {window.start} to {window.end}, left out",
            key=queries.ticket_key(data.incidents),
        )
        notes.extend([outside] if outside else [])
    judged = cells[cells["judged"]]
    judged_totals = _sums(judged, params)
    without_events = int(judged_totals["tickets"] - judged_totals["with_events"])
    if data.events is not None and without_events:
        notes.append(_note(data.events_name, "judged tickets without any event: their reassignment_count counts their "
                                             "hand-offs, and no ping-pong or waiting time can be seen", without_events))
    missing_service = int(_sums(judged[judged[params.service_column] == queries.NOT_RECORDED], params)["tickets"])
    if missing_service and params.service_column not in data.absent_columns:
        notes.append(_note(name, f"tickets without a value in '{params.service_column}' (shown as "
                                 f"'{queries.NOT_RECORDED}')", missing_service))
    return notes


def _period_notes(name: str, periods: pd.DataFrame, params: Parameters) -> list[Any]:
    notes = []
    hidden = periods[periods["suppressed"] & ~periods["empty"]]
    if len(hidden):
        # Counted in periods, not tickets: a total of the small periods' tickets could be differenced back.
        notes.append(_note(name, f"periods shown as gaps: judged tickets of fewer than {params.min_n} people, or hidden "
                                 "with them so that no hidden period can be worked out from the total", len(hidden),
                           ", ".join(hidden["period"].head(5)), unit="periods"))
    return notes
