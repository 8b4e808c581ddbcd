"""The service-outcome queries that run inside the query engine (Ibis on DuckDB or Spark).

Every ticket-level step happens here, as Ibis expressions: the latest row of each ticket, the
hand-offs, ping-pong and time waiting on the user from the events, the repeat contacts (a
window over each caller's tickets), the one-job verdict of each ticket. Only
:func:`outcome_counts` brings anything back to Python: counts and sums of tickets per period,
service and breakdown value, a few thousand rows however many millions of tickets there are.
``caller_id`` is used inside the engine to link a person's tickets and to count the people of a
group (:func:`people_counts`), and is never selected into anything that leaves it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import pandas as pd
from ibis import _

from helpers import cell_key

if TYPE_CHECKING:
    from helpers.service_outcomes.parameters import Parameters

__all__ = [
    "PERIOD_UNITS",
    "NOT_RECORDED",
    "COUNT_COLUMNS",
    "COUNTED",
    "KEY_COLUMNS",
    "AMOUNTS",
    "TOP_COLUMNS",
    "ticket_key",
    "Bounds",
    "is_canceled",
    "ticket_bounds",
    "repeated_numbers",
    "latest_rows",
    "transitions",
    "event_facts",
    "came_back",
    "ticket_facts",
    "outcome_counts",
    "people_counts",
    "response_links",
]

#: Ibis truncation unit of each period code (weeks start on Monday, as ISO weeks do).
PERIOD_UNITS = {"W": "W", "M": "M", "Q": "Q"}

#: What an empty service or breakdown value reads as.
NOT_RECORDED = "(not recorded)"

#: The counts and sums :func:`outcome_counts` returns per cell (tickets, failures, hours, NPS answers).
COUNT_COLUMNS = (
    "tickets", "one_job", "reopened", "repeat", "came_back", "not_solved", "slow", "reassigned", "ping_pong",
    "not_resolved", "not_solved_code", "sla_known", "sla_met", "with_events", "lost_hours", "waiting_hours",
    "detractors_met", "passives_met", "promoters_met", "detractors_not_met", "passives_not_met", "promoters_not_met",
)
#: The counts among them (hours are sums of durations): published with the cell-key method's noise.
COUNTED = tuple(name for name in COUNT_COLUMNS if not name.endswith("hours"))
#: The cell key of each of :data:`COUNTED` (:mod:`helpers.cell_key`), summed in the engine with the counts.
KEY_COLUMNS = tuple(cell_key.key_columns(COUNTED))
#: The sums of durations among them: published with noise scaled to the cell's largest ticket
#: (:func:`helpers.cell_key.perturb_amounts`), by the cell key of its tickets.
AMOUNTS = ("lost_hours", "waiting_hours")
#: The largest single ticket's hours of each of :data:`AMOUNTS` per cell, which scales that noise: never published.
TOP_COLUMNS = tuple(f"{name}_top" for name in AMOUNTS)
_HOUR = 3600.0
_DAY = 86400.0


@dataclass(frozen=True)
class Bounds:
    """What one scan of the tickets says about them.

    Attributes
    ----------
    first, last : datetime or None
        Earliest and latest ``opened_at`` (None when there are no tickets).
    as_of : datetime or None
        The export's latest moment: the latest ``opened_at``, ``resolved_at`` or ``closed_at``.
    as_of_epoch : float
        ``as_of`` in seconds since 1970 (the engine's own epoch of a naive time).
    canceled : int
        Tickets in a canceled state (left out of the analysis).
    without_caller : int
        Tickets with no ``caller_id`` (their repeat contacts cannot be found).
    closed_unresolved : int
        Tickets closed with no ``resolved_at`` (counted as not resolved).
    """

    first: dt.datetime | None
    last: dt.datetime | None
    as_of: dt.datetime | None
    as_of_epoch: float
    canceled: int
    without_caller: int
    closed_unresolved: int = 0


def is_canceled(tickets: ibis.Table) -> ibis.Value:
    """A ticket in a canceled state (``Canceled`` or ``Cancelled``, any case): it asked for nothing to be solved."""
    return tickets.state.fill_null("").lower().strip().isin(["canceled", "cancelled"])


def ticket_bounds(tickets: ibis.Table) -> Bounds:
    """First and last opening, the export's latest moment, canceled tickets and those without a caller (one scan)."""
    latest = ibis.greatest(_.opened_at, _.resolved_at.fill_null(_.opened_at), _.closed_at.fill_null(_.opened_at))
    row = tickets.aggregate(
        first=_.opened_at.min(),
        last=_.opened_at.max(),
        as_of=latest.max(),
        as_of_epoch=latest.epoch_seconds().max(),
        canceled=_count(is_canceled(tickets)),
        without_caller=_count(_.caller_id.isnull()),
        closed_unresolved=_count(_.closed_at.notnull() & _.resolved_at.isnull() & ~is_canceled(tickets)),
    ).to_pyarrow().to_pylist()[0]
    return Bounds(
        first=row["first"], last=row["last"], as_of=row["as_of"], as_of_epoch=float(row["as_of_epoch"] or 0),
        canceled=int(row["canceled"] or 0), without_caller=int(row["without_caller"] or 0),
        closed_unresolved=int(row["closed_unresolved"] or 0),
    )


def repeated_numbers(incidents: ibis.Table) -> tuple[int, int]:
    """Rows and distinct ticket numbers of the incidents (more rows than numbers: an audit-enriched export)."""
    row = incidents.aggregate(rows=_.count(), tickets=_.number.nunique()).to_pyarrow().to_pylist()[0]
    return int(row["rows"]), int(row["tickets"] or 0)


def latest_rows(incidents: ibis.Table) -> ibis.Table:
    """One row per ticket: of a ticket's rows (an audit-enriched export), the one with the highest ``sys_mod_count``.

    Ties (the same count twice) are broken by the later resolution and closure, then the higher
    reopen and reassignment counts: the row that knows most about the ticket.
    """
    order = [ibis.desc(_.sys_mod_count), ibis.desc(_.resolved_at), ibis.desc(_.closed_at),
             ibis.desc(_.reopen_count), ibis.desc(_.reassignment_count)]
    ranked = incidents.mutate(row_rank=ibis.row_number().over(group_by=_.number, order_by=order))
    return ranked.filter(_.row_rank == 0).drop("row_rank")


# --- events: hand-offs, ping-pong, waiting on the user ------------------------------------------


def transitions(events: ibis.Table, shape: str) -> ibis.Table:
    """Every change of a ticket's assignment group or state: ``number``, ``at``, ``kind`` ("team" or
    "state"), ``old``, ``new``.

    The audit shape holds them as they are (rows of other fields left out). The event-log shape
    holds the state and group after each event; a change is an event whose state (or group) differs
    from the ticket's previous event's (one window each; events with no group are skipped for groups).
    """
    if shape == "audit":
        kind = ibis.cases((_.field == "assignment_group", "team"), (_.field.isin(["state", "incident_state"]), "state"),
                          else_=ibis.null("string"))
        return events.select(number=_.number, at=_.sys_updated_on, kind=kind, old=_.old_value, new=_.new_value).filter(
            _.kind.notnull()
        )
    log = events.select(number=_["case:concept:name"], at=_["time:timestamp"], state=_["concept:name"],
                        team=_["org:group"])
    ordered = ibis.window(group_by=_.number, order_by=_.at)
    states = log.select("number", "at", kind=ibis.literal("state"), old=_.state.lag().over(ordered), new=_.state)
    grouped = log.filter(_.team.notnull())
    teams = grouped.select("number", "at", kind=ibis.literal("team"), old=_.team.lag().over(ordered), new=_.team)
    changed = states.union(teams)
    return changed.filter(changed.old.isnull() | (changed.old != changed.new))


def event_facts(events: ibis.Table, shape: str, *, waiting_states: Sequence[str]) -> ibis.Table:
    """Per ticket with events: ``handoffs``, ``handoff_from``, ``ping_pong`` and ``waiting_hours``.

    From the changes (:func:`transitions`), with grouping alone, no window over the audit shape:

    - a hand-off is a change from one assignment group to another (the first assignment is not one);
    - ``handoff_from`` is the group of the first hand-off's start when there was exactly one (the
      first-time rule needs it only then);
    - ping-pong is a ticket that came back to a team it had left (A to B to A, or A to B to C to A):
      some team was entered after it was first left (only tickets with two hand-offs or more can);
    - waiting on the user is the time from entering a state of ``waiting_states`` to leaving them,
      summed over the ticket's completed waits (a wait still going on at the export adds nothing).
    """
    changes = transitions(events, shape)
    waiting = list(waiting_states)
    handoff = (changes.kind == "team") & changes.old.notnull() & changes.new.notnull() & (changes.old != changes.new)
    in_wait_before = changes.old.notnull() & changes.old.isin(waiting)
    in_wait_after = changes.new.notnull() & changes.new.isin(waiting)
    entering = (changes.kind == "state") & in_wait_after & ~in_wait_before
    leaving = (changes.kind == "state") & in_wait_before & ~in_wait_after
    # Most changes are neither a hand-off nor a wait: group the few that are, and list the tickets seen
    # straight from the events (sharing the changes between two consumers would buffer all of them).
    seen = events.select(number=_.number if shape == "audit" else _["case:concept:name"]).distinct()
    telling = changes.mutate(handoff=handoff, entering=entering, leaving=leaving).filter(
        _.handoff | _.entering | _.leaving
    )
    seconds = telling.at.epoch_seconds().cast("float64")
    counted = telling.group_by("number").aggregate(
        handoffs=_count(telling.handoff),
        handoff_from=telling.old.min(where=telling.handoff),
        entered=_count(telling.entering),
        left=_count(telling.leaving),
        entered_seconds=seconds.sum(where=telling.entering),
        left_seconds=seconds.sum(where=telling.leaving),
        last_entered=seconds.max(where=telling.entering),
    )
    joined = seen.left_join(counted, "number")
    per_ticket = joined.select(
        number=joined.number, handoffs=joined.handoffs.fill_null(0), handoff_from=joined.handoff_from,
        entered=joined.entered.fill_null(0), left=joined.left.fill_null(0), entered_seconds=joined.entered_seconds,
        left_seconds=joined.left_seconds, last_entered=joined.last_entered,
    )
    still_waiting = ibis.ifelse(per_ticket.entered > per_ticket.left, per_ticket.last_entered.fill_null(0.0), 0.0)
    waited = per_ticket.left_seconds.fill_null(0.0) - per_ticket.entered_seconds.fill_null(0.0) + still_waiting
    bounced = per_ticket.filter(per_ticket.handoffs >= 2).select("number")
    team_changes = telling.filter(_.handoff).semi_join(bounced, "number")
    visits = team_changes.select("number", "at", team=_.old, left=ibis.literal(True)).union(
        team_changes.select("number", "at", team=_.new, left=ibis.literal(False))
    )
    returns = (
        visits.group_by(["number", "team"])
        .aggregate(first_left=_.at.min(where=_.left), last_entered=_.at.max(where=~_.left))
        .filter(lambda t: t.last_entered > t.first_left)
        .select("number").distinct()
        .mutate(ping_pong=ibis.literal(True))
    )
    facts = per_ticket.select(
        "number", "handoffs", "handoff_from",
        waiting_hours=ibis.greatest(waited, 0.0) / _HOUR,
    )
    joined = facts.left_join(returns, facts.number == returns.number)
    return joined.select(
        number=joined.number, handoffs=joined.handoffs, handoff_from=joined.handoff_from,
        ping_pong=joined.ping_pong.fill_null(False), waiting_hours=joined.waiting_hours,
    )


# --- tickets ------------------------------------------------------------------------------------


def _quick_target(priority: ibis.Value, params: Parameters) -> ibis.Value:
    cases = [(priority == name, float(hours)) for name, hours in params.quick_hours.items()]
    if not cases:
        return ibis.literal(float(params.quick_hours_other))
    return ibis.cases(*cases, else_=float(params.quick_hours_other))


def came_back(tickets: ibis.Table, columns: Sequence[str]) -> ibis.Table:
    """The numbers of tickets whose caller opened their next ticket on the same value of any of ``columns``
    by the ticket's ``horizon`` (seconds since 1970).

    The next ticket in the caller's order of opening is the earliest that could have come back, so
    if it came after the horizon, no later one came before it: one window, no self-join. Only
    callers with two or more tickets on a value can have one, so the window sorts those alone, on
    narrow rows.
    """
    found = []
    for column in columns:
        base = tickets.filter(_.caller_id.notnull() & _[column].notnull()).select(
            "number", "caller_id", "opened_epoch", "horizon", value=_[column].cast("string")
        )
        several = base.group_by(["caller_id", "value"]).aggregate(tickets=_.count()).filter(_.tickets >= 2)
        candidates = base.semi_join(several, ["caller_id", "value"])
        same_problem = ibis.window(group_by=[_.caller_id, _.value], order_by=[_.opened_epoch, _.number])
        following = candidates.mutate(following=_.opened_epoch.lead().over(same_problem))
        found.append(following.filter(_.following.notnull() & (_.following <= _.horizon)).select("number"))
    return functools.reduce(lambda a, b: a.union(b), found).distinct()


def ticket_facts(
    incidents: ibis.Table, events: ibis.Table | None, params: Parameters, *, as_of_epoch: float
) -> ibis.Table:
    """Each ticket's outcome, computed in the engine (``caller_id`` stays in it: nothing groups by it).

    Canceled tickets are left out. A ticket is *judged* when it was opened at least its quick
    target plus ``repeat_days`` before the export: by then it was either resolved quickly, and
    had ``repeat_days`` to come back, or it was already slow. Judging by the time of opening, not
    by the outcome, keeps the recent weeks free of a bias towards quick tickets.

    Returns
    -------
    ibis.Table
        The incident columns plus ``judged``, the failures ``reopened``, ``repeat``,
        ``not_solved_code``, ``not_resolved``, ``slow``, ``reassigned``, ``ping_pong``,
        ``came_back``, ``not_solved``, the verdict ``one_job``, ``has_events``, and the hours
        ``lost_hours`` (waited beyond the quick target; to the export for open tickets) and
        ``waiting_hours`` (in a state waiting on the user).
    """
    as_of = ibis.literal(float(as_of_epoch), type="float64")
    repeat_window = float(params.repeat_days) * _DAY
    t = incidents.filter(~is_canceled(incidents)).mutate(
        target_hours=_quick_target(_.priority, params),
        opened_epoch=_.opened_at.epoch_seconds().cast("float64"),
        resolved_epoch=_.resolved_at.epoch_seconds().cast("float64"),
    )
    t = t.mutate(horizon=ibis.coalesce(t.resolved_epoch, as_of) + repeat_window)
    t = t.mutate(repeat=t.number.isin(came_back(t, params.repeat_match).number))
    if events is not None:
        t = t.left_join(events, t.number == events.number).drop("number_right")
        handoffs = ibis.coalesce(t.handoffs, t.reassignment_count)
        has_events = t.handoffs.notnull() | t.waiting_hours.notnull()
        first_team = t.handoff_from
        ping_pong = t.ping_pong.fill_null(False)
        waiting = t.waiting_hours.fill_null(0.0)
    else:
        handoffs, has_events, first_team = t.reassignment_count, ibis.literal(False), ibis.null("string")
        ping_pong, waiting = ibis.literal(False), ibis.literal(0.0)
    hours = (t.resolved_epoch - t.opened_epoch) / _HOUR
    waited = ibis.coalesce(hours, (as_of - t.opened_epoch) / _HOUR)
    first_line = first_team.isnull() | first_team.isin(list(params.service_desk_groups))
    facts = t.mutate(
        judged=(t.opened_epoch + t.target_hours * _HOUR + repeat_window) <= as_of,
        reopened=t.reopen_count.fill_null(0) > 0,
        not_solved_code=t.close_code.fill_null("").lower().startswith("not solved"),
        not_resolved=t.resolved_at.isnull(),
        slow=t.resolved_at.isnull() | (hours > t.target_hours),
        reassigned=~((handoffs.fill_null(0) == 0) | ((handoffs == 1) & first_line)),
        ping_pong=ping_pong,
        has_events=has_events,
        lost_hours=ibis.greatest(waited - t.target_hours, 0.0),
        waiting_hours=waiting,
    )
    facts = facts.mutate(
        came_back=facts.reopened | facts.repeat,
        not_solved=facts.not_resolved | facts.reopened | facts.repeat | facts.not_solved_code,
    )
    return facts.mutate(one_job=~facts.not_solved & ~facts.slow & ~facts.reassigned)


def _count(flag: ibis.Value) -> ibis.Value:
    return ibis.ifelse(flag, 1, 0).sum()


def ticket_key(tickets: ibis.Table) -> ibis.ir.IntegerValue:
    """Each ticket's record key, from the day and second it was opened (the same on every engine).

    The ticket number is text, which engines hash differently; the opening moment does not
    change when the ticket is worked on, so a ticket keeps its key in every export and window.
    """
    return cell_key.record_key(cell_key.day_code(tickets.opened_at), cell_key.time_code(tickets.opened_at))


def outcome_counts(
    facts: ibis.Table,
    *,
    period: str,
    start: dt.date,
    end: dt.date,
    columns: Sequence[str],
    responses: ibis.Table | None = None,
) -> pd.DataFrame:
    """Tickets opened from ``start`` to ``end`` (both days included), counted per cell, in the engine.

    A cell is a period, ``judged`` (True/False) and one value of each of ``columns`` (empty values
    read ``"(not recorded)"``). ``responses`` (ticket_id, score), when given, add the NPS answers
    about the cell's tickets, split by whether the ticket met the one job.

    Returns
    -------
    DataFrame
        ``period_start``, ``judged``, ``columns``..., then :data:`COUNT_COLUMNS` (hours as floats,
        counts as int64), the cell key of each count, :data:`KEY_COLUMNS` (sums of the
        tickets' record keys, modulo :data:`helpers.cell_key.MODULUS`), and the largest ticket's
        hours of each sum, :data:`TOP_COLUMNS` (floats). A few thousand rows.
    """
    first = dt.datetime.combine(start, dt.time())
    after_last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    window = facts.filter((facts.opened_at >= first) & (facts.opened_at < after_last))
    window = window.mutate(_record_key=ticket_key(window))
    if responses is not None:
        window = window.left_join(responses, window.number == responses.ticket_id).drop("ticket_id")
    cells = {"period_start": window.opened_at.truncate(PERIOD_UNITS[period]), "judged": window.judged}
    cells |= {name: window[name].cast("string").fill_null(NOT_RECORDED) for name in columns}
    sums = {
        "tickets": window.count(),
        **{name: _count(window[name]) for name in ("one_job", "reopened", "repeat", "came_back", "not_solved", "slow",
                                                   "reassigned", "ping_pong", "not_resolved", "not_solved_code")},
        "sla_known": _count(window.made_sla.notnull()),
        "sla_met": _count(window.made_sla.fill_null(False)),
        "with_events": _count(window.has_events),
        "lost_hours": window.lost_hours.sum(),
        "waiting_hours": window.waiting_hours.sum(),
        **{f"{name}_top": window[name].max() for name in AMOUNTS},
    }
    key = window._record_key
    flags = {name: window[name] for name in ("one_job", "reopened", "repeat", "came_back", "not_solved", "slow",
                                             "reassigned", "ping_pong", "not_resolved", "not_solved_code")}
    flags |= {"sla_known": window.made_sla.notnull(), "sla_met": window.made_sla.fill_null(False),
              "with_events": window.has_events}
    keys = {"tickets_key": cell_key.key_sum(key)}
    keys |= {f"{name}{cell_key.KEY_SUFFIX}": cell_key.key_sum(key, flag) for name, flag in flags.items()}
    for answer in ("detractors", "passives", "promoters"):
        if responses is None:
            sums[f"{answer}_met"] = sums[f"{answer}_not_met"] = ibis.literal(0)
            continue
        count = window[answer].fill_null(0)
        sums[f"{answer}_met"] = ibis.ifelse(window.one_job, count, 0).sum()
        sums[f"{answer}_not_met"] = ibis.ifelse(window.one_job, 0, count).sum()
        # Each answer about a ticket adds the ticket's key once (answers are few per ticket: no overflow).
        weighted = key * count.cast("int64")
        keys[f"{answer}_met_key"] = cell_key.key_sum(weighted, window.one_job)
        keys[f"{answer}_not_met_key"] = cell_key.key_sum(weighted, ~window.one_job)
    for answer in ("detractors", "passives", "promoters"):
        for part in ("met", "not_met"):
            keys.setdefault(f"{answer}_{part}_key", ibis.literal(0).cast("int64"))
    frame = window.group_by(**cells).aggregate(**sums, **keys).to_pandas()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).astype("datetime64[ns]")
    for name in COUNT_COLUMNS + TOP_COLUMNS:
        if name in AMOUNTS + TOP_COLUMNS:
            frame[name] = frame[name].astype("float64").fillna(0.0)
        else:
            frame[name] = frame[name].fillna(0).astype("int64")
    for name in KEY_COLUMNS:
        frame[name] = frame[name].fillna(0).astype("int64")
    frame["judged"] = frame["judged"].astype(bool)
    return frame.sort_values(["period_start", "judged", *columns], ignore_index=True)


def people_counts(
    facts: ibis.Table, *, period: str, start: dt.date, end: dt.date, columns: Sequence[str]
) -> dict[str, pd.DataFrame] | None:
    """The people behind the judged tickets opened from ``start`` to ``end``: overall, per period, per value.

    Group sizes count people, not tickets: forty tickets of one caller are one person's outcomes, and a
    service or team shown with them would show that person. A ticket without a ``caller_id`` is a person
    of its own (unknown callers are never merged into one). Distinct counts do not add up across cells,
    so each line of the report is counted on its own, in the engine.

    Returns
    -------
    dict of DataFrame, or None
        ``{"overall": one row with people, "period_start": period_start and people, column: value and
        people}``; None when the incidents have no ``caller_id`` (then tickets are what is counted).
    """
    if "caller_id" not in facts.columns:
        return None
    first = dt.datetime.combine(start, dt.time())
    after_last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    window = facts.filter((facts.opened_at >= first) & (facts.opened_at < after_last) & facts.judged)
    window = window.mutate(person=window.caller_id.cast("string"))

    def people(table: ibis.Table) -> ibis.Value:
        return table.person.nunique() + ibis.ifelse(table.person.isnull(), 1, 0).sum()

    counted = {"overall": window.aggregate(people=people(window)).to_pandas()}
    lines = {"period_start": window.opened_at.truncate(PERIOD_UNITS[period])}
    lines |= {name: window[name].cast("string").fill_null(NOT_RECORDED) for name in columns}
    for name, key in lines.items():
        keyed = window.mutate(key=key)
        frame = keyed.group_by("key").aggregate(people=people(keyed)).to_pandas()
        frame = frame.rename(columns={"key": "period_start" if name == "period_start" else "value"})
        if name == "period_start":
            frame["period_start"] = pd.to_datetime(frame["period_start"]).astype("datetime64[ns]")
        counted[name] = frame.astype({"people": "int64"})
    counted["overall"] = counted["overall"].fillna(0).astype({"people": "int64"})
    return counted


def response_links(responses: ibis.Table, incidents: ibis.Table) -> tuple[ibis.Table, dict[str, int]]:
    """The NPS answers per ticket (``ticket_id``, ``detractors``, ``passives``, ``promoters``) and how the
    responses link: ``linked`` (their ticket is in the incidents), ``not_found``, ``without_ticket``.
    """
    per_ticket = responses.filter(_.ticket_id.notnull()).group_by("ticket_id").aggregate(
        detractors=_count(_.score <= 6), passives=_count(_.score.between(7, 8)), promoters=_count(_.score >= 9),
        answers=_.count(),
    )
    numbers = incidents.select("number")  # one row per ticket (repeated rows were set aside when loading)
    found = per_ticket.left_join(numbers, per_ticket.ticket_id == numbers.number)
    tally = found.aggregate(
        linked=ibis.ifelse(found.number.notnull(), found.answers, 0).sum(),
        not_found=ibis.ifelse(found.number.isnull(), found.answers, 0).sum(),
    ).to_pyarrow().to_pylist()[0]
    (total,) = responses.aggregate(n=_.count()).to_pyarrow().to_pylist()[0].values()
    links = {"linked": int(tally["linked"] or 0), "not_found": int(tally["not_found"] or 0)}
    links["without_ticket"] = int(total) - links["linked"] - links["not_found"]
    return per_ticket.drop("answers"), links
