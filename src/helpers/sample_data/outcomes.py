"""Service-outcome sample data with planted truth: a mid-sized company's ServiceNow export.

Writes, in ``out_dir`` (Parquet throughout when ``scale > 1``, streamed one slice at a time):

- ``incidents.csv``: the incident list as ServiceNow exports it (``number``, ``opened_at``,
  ``resolved_at``, ``closed_at``, ``state``, ``caller_id``, ``contact_type``, ``assignment_group``,
  ``category``, ``priority``, ``business_service``, ``cmdb_ci``, ``reopen_count``,
  ``reassignment_count``, ``made_sla``, ``close_code``), taken at :data:`EXPORTED_AT`;
- ``incident_events.parquet``: the audit history of state and assignment-group changes
  (``number``, ``sys_updated_on``, ``field``, ``old_value``, ``new_value``);
- ``incident_log.parquet``: the same history as a process-mining event log
  (``case:concept:name``, ``concept:name``, ``time:timestamp`` with a UTC zone, ``org:group``);
- ``incident_responses.csv``: NPS survey answers about resolved tickets (``ticket_id``).

About 20,000 tickets opened over six months (:data:`FIRST_DAY` to :data:`EXPORTED_AT`) for ten
services. Every ticket is logged by the Service Desk. Each ticket's way of failing the one job is
drawn independently, with planted probabilities per service (:data:`SERVICES`): reopened, asked
again (a *repeat*: a new ticket of the same caller on the same service and item, opened within
6.5 days of the resolution), slow (resolved after its priority's quick target, or not yet),
closed as "Not Solved", bounced between teams (per resolver team, :data:`TEAMS`: two or three
hand-offs; of those, :data:`PING_PONG_SHARE` go back to a team they had left). So a ticket meets
the one job with a planted probability per service, the product of the five. Planted on top:
one service with many repeats (Access), two teams that bounce tickets (Network, Business
Applications), one team with an on-hold habit (Workplace: tickets wait on the user for many
hours), two contact types too small to show (Walk-in, Letter), an SLA clock that pauses while
waiting on the user (the tool's own figure stays green), NPS answers that depend on whether the
one job was done, comments in several languages and some hostile strings.

Everything happens before :data:`EXPORTED_AT`: later changes are not in the export, open tickets
have no ``resolved_at``. A ticket opened at the very moment of the export makes it the export's
latest time, so the truth's counts (for tickets the analysis can judge, with the default
parameters) are exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "generate",
    "ticket_tables",
    "Service",
    "SERVICES",
    "TEAMS",
    "FIRST_DAY",
    "EXPORTED_AT",
    "QUICK_HOURS",
    "REPEAT_DAYS",
    "DESK",
    "PING_PONG_SHARE",
    "NPS_SHARES",
    "HOSTILE_COMMENTS",
]

FIRST_DAY = dt.date(2025, 1, 1)
#: The moment the export was taken: nothing later is in it.
EXPORTED_AT = dt.datetime(2025, 6, 30, 18, 0)
#: Original tickets per slice (one slice at scale 1; repeats come on top).
ORIGINALS = 19_000
DESK = "Service Desk"
#: The quick target per priority in hours (the analysis's default ``quick_hours``) and the priority mix.
QUICK_HOURS = {"1 - Critical": 4.0, "2 - High": 8.0, "3 - Moderate": 24.0, "4 - Low": 72.0}
PRIORITY_SHARES = {"1 - Critical": 0.01, "2 - High": 0.08, "3 - Moderate": 0.61, "4 - Low": 0.30}
REPEAT_DAYS = 7
#: Contact types and their shares; Walk-in and Letter hold fewer than 30 tickets at scale 1.
CONTACT_SHARES = {"Phone": 0.34, "Email": 0.24, "Self-service": 0.31, "Chat": 0.108, "Walk-in": 0.0011,
                  "Letter": 0.0009}
#: Of bounced tickets, the share that goes back to a team it had left (desk, A, W, A).
PING_PONG_SHARE = 0.4
#: Of tickets fixed first time, the share the Service Desk resolves itself (no hand-off).
DESK_RESOLVES = 0.35
NOT_SOLVED_PROBABILITY = 0.01
#: The SLA clock stops while a ticket waits on the user and allows this multiple of the quick target.
SLA_MULTIPLE = 1.5
CLOSE_AFTER_DAYS = 5.0
SURVEY_SHARE = 0.25
#: Detractor, passive and promoter shares of answers about tickets that met the one job, and that did not.
NPS_SHARES = {"met": (0.10, 0.30, 0.60), "not met": (0.45, 0.30, 0.25)}
WAITING_STATE = "Awaiting User Info"


@dataclass(frozen=True)
class Service:
    """A business service and what is planted for it (probabilities per ticket)."""

    name: str
    share: float
    team: str
    category: str
    reopen: float
    repeat: float
    slow: float
    ci_prefix: str
    ci_count: int

    def one_job_probability(self, bounce: float) -> float:
        """The planted chance that a ticket of this service meets the one job."""
        failures = (self.reopen, self.repeat, self.slow, bounce, NOT_SOLVED_PROBABILITY)
        return float(np.prod([1 - p for p in failures]))


#: name: (share of original tickets, resolver team, category, reopen, repeat, slow, CI prefix, CIs).
SERVICES = (
    Service("Email", 0.16, "Messaging", "Software", 0.04, 0.05, 0.22, "EXCH-", 4),
    Service("Access", 0.15, "Identity & Access", "Account", 0.03, 0.20, 0.10, "IAM-", 3),
    Service("VPN", 0.10, "Network", "Network", 0.05, 0.06, 0.15, "VPN-GW-", 3),
    Service("Laptop", 0.14, "Workplace", "Hardware", 0.05, 0.04, 0.30, "LT-", 0),
    Service("ERP", 0.08, "Business Applications", "Software", 0.06, 0.04, 0.20, "ERP-", 2),
    Service("Printing", 0.08, "Workplace", "Hardware", 0.03, 0.05, 0.28, "PRN-", 12),
    Service("Wi-Fi", 0.07, "Network", "Network", 0.04, 0.05, 0.12, "AP-", 20),
    Service("Collaboration", 0.09, "Messaging", "Software", 0.03, 0.03, 0.12, "TEAMS-", 1),
    Service("HR portal", 0.07, "Business Applications", "Software", 0.05, 0.04, 0.18, "HRP-", 1),
    Service("Telephony", 0.06, "Network", "Network", 0.03, 0.03, 0.10, "PBX-", 2),
)
#: Resolver team: (probability a ticket bounces between teams, share put on hold, median hold in hours).
TEAMS = {
    "Messaging": (0.06, 0.08, 3.0),
    "Identity & Access": (0.05, 0.08, 2.0),
    "Network": (0.22, 0.08, 3.0),
    "Workplace": (0.08, 0.55, 18.0),
    "Business Applications": (0.25, 0.10, 4.0),
}

#: Hostile comment text: must show as text (it is never shown at all: comments stay in the inputs).
HOSTILE_COMMENTS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "=HYPERLINK(\"http://evil.example\",\"invoice\")",
    "'; DROP TABLE incidents; --",
)
_COMMENTS = {
    "met": ("fixed in minutes, thanks", "quick and friendly", "schnell gelöst, danke", "résolu rapidement",
            "solved the first time"),
    "not met": ("I had to call three times", "passed from team to team", "it broke again the next day",
                "waited a week for a reply", "ticket closed but still broken", "sehr langsam"),
}
_HOUR = 3600.0
_DAY = 86400.0


# --- drawing tickets ----------------------------------------------------------------------------


def _draws(rng: np.random.Generator, services: tuple[Service, ...], service: np.ndarray) -> dict[str, np.ndarray]:
    """Everything drawn independently for each ticket: its priority, channel and ways of failing."""
    n = len(service)
    teams = np.array([s.team for s in services], dtype=object)[service]
    bounce_p = np.array([TEAMS[t][0] for t in teams]) if n else np.zeros(0)
    hold_p = np.array([TEAMS[t][1] for t in teams]) if n else np.zeros(0)
    hold_median = np.array([TEAMS[t][2] for t in teams]) if n else np.zeros(0)
    field = {name: np.array([getattr(s, name) for s in services])[service] for name in ("reopen", "repeat", "slow")}
    priority = rng.choice(len(PRIORITY_SHARES), size=n, p=list(PRIORITY_SHARES.values()))
    target = np.array(list(QUICK_HOURS.values()))[priority]
    slow = rng.random(n) < field["slow"]
    hours = np.where(slow, target * (1 + rng.exponential(1.2, n)), target * rng.uniform(0.05, 0.95, n))
    bounced = rng.random(n) < bounce_p
    on_hold = rng.random(n) < hold_p
    return {
        "priority": priority,
        "contact": rng.choice(len(CONTACT_SHARES), size=n, p=np.array(list(CONTACT_SHARES.values())) / 1.0),
        "reopened": rng.random(n) < field["reopen"],
        "repeat": rng.random(n) < field["repeat"],
        "slow": slow,
        "hours": hours,
        "target": target,
        "bounced": bounced,
        "ping_pong": bounced & (rng.random(n) < PING_PONG_SHARE),
        "desk_resolves": ~bounced & (rng.random(n) < DESK_RESOLVES),
        "not_solved": rng.random(n) < NOT_SOLVED_PROBABILITY,
        "hold_hours": np.where(on_hold, np.minimum(hold_median * rng.lognormal(0, 0.5, n), 0.4 * hours), 0.0),
        "wrong_team": rng.integers(1, len(TEAMS), n),  # an offset into the other teams
        "delay_days": rng.uniform(0.05, 6.5, n),  # when a repeat comes, after the resolution
    }


def _opening_times(rng: np.random.Generator, n: int, first_day: dt.date, exported_at: dt.datetime) -> np.ndarray:
    """Seconds since 1970 of ``n`` openings: weekdays four times as busy as weekends, mostly office hours."""
    start = dt.datetime.combine(first_day, dt.time()).replace(tzinfo=dt.UTC).timestamp()
    days = int((exported_at.date() - first_day).days)
    weights = np.array([4.0 if (first_day + dt.timedelta(days=d)).weekday() < 5 else 1.0 for d in range(days)])
    day = rng.choice(days, size=n, p=weights / weights.sum())
    seconds = np.clip(rng.normal(11.5 * _HOUR, 3.0 * _HOUR, n), 6 * _HOUR, 21 * _HOUR)
    return np.sort(start + day * _DAY + np.round(seconds))


def _chains(rng: np.random.Generator, services: tuple[Service, ...], originals: dict[str, np.ndarray],
            exported: float) -> dict[str, np.ndarray]:
    """The original tickets and every repeat they planted (repeats of repeats too), up to the export."""
    parts = [originals | _draws(rng, services, originals["service"])]
    parts[0]["parent"] = np.full(len(originals["service"]), -1)
    offset = 0
    while True:
        last = parts[-1]
        resolved = last["opened"] + last["hours"] * _HOUR
        follow = last["repeat"] & (resolved + last["delay_days"] * _DAY <= exported)
        if not follow.any():
            break
        child = {key: last[key][follow] for key in ("service", "caller", "ci")}
        child["opened"] = np.round(resolved[follow] + last["delay_days"][follow] * _DAY)
        child["parent"] = offset + np.flatnonzero(follow)
        offset += len(last["service"])
        parts.append(child | _draws(rng, services, child["service"]))
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def ticket_tables(
    rng: np.random.Generator,
    services: tuple[Service, ...] = SERVICES,
    *,
    originals: int = ORIGINALS,
    first_day: dt.date = FIRST_DAY,
    exported_at: dt.datetime = EXPORTED_AT,
    first_number: int = 1,
    first_caller: int = 1,
    callers: int | None = None,
) -> dict[str, pd.DataFrame]:
    """One export: incidents, audit events, event log, survey responses, and each ticket's planted facts.

    Parameters
    ----------
    rng : numpy.random.Generator
    services : tuple of Service
        The services and their planted probabilities (a test may plant hundreds).
    originals : int
        Tickets that are not repeats.
    first_number, first_caller : int
        Ticket numbers and caller ids start here (slices of a large export do not overlap).
    callers : int, optional
        How many people call (default: three times the busiest service's tickets, which is few for
        hundreds of services: a test planting them gives as many callers as an organisation that size has).

    Returns
    -------
    dict of DataFrame
        ``incidents``, ``events`` (audit shape), ``log`` (event-log shape), ``responses``, and
        ``facts``: per ticket in the export, its number, service, opening, quick target and planted
        failures as realised by the export time (not an input: the truth is computed from it).
    """
    exported = exported_at.replace(tzinfo=dt.UTC).timestamp()
    shares = np.array([s.share for s in services])
    service = np.sort(rng.choice(len(services), size=originals, p=shares / shares.sum()))
    opened = _opening_times(rng, originals, first_day, exported_at)
    rng.shuffle(opened)
    opened[np.argmax(opened)] = exported  # a ticket opened as the export was taken: its latest moment
    # One original ticket per caller and service: any later ticket of a caller on a service is a planted repeat.
    pool = max(3 * max(int(np.bincount(service, minlength=len(services)).max()), 1), callers or 0)
    caller = np.empty(originals, dtype=np.int64)
    for index in range(len(services)):
        mine = np.flatnonzero(service == index)
        caller[mine] = rng.permutation(pool)[: len(mine)]
    ci_counts = np.array([s.ci_count for s in services])[service]
    ci = np.where(ci_counts > 0, rng.integers(0, np.maximum(ci_counts, 1)), caller)
    ci = np.where(rng.random(originals) < 0.25, -1, ci)  # a quarter name no item
    tickets = _chains(rng, services, {"service": service, "caller": caller, "ci": ci, "opened": opened}, exported)
    tickets["followed"] = np.zeros(len(tickets["parent"]), dtype=bool)
    tickets["followed"][tickets["parent"][tickets["parent"] >= 0]] = True
    order = np.argsort(tickets["opened"], kind="stable")
    tickets = {key: value[order] for key, value in tickets.items()}
    tickets["number"] = first_number + np.arange(len(order))
    tickets["caller"] = tickets["caller"] + first_caller
    timeline = _timeline(tickets, services, exported)
    return {
        "incidents": _incidents(tickets, timeline, services, exported),
        "events": _audit(tickets, timeline, exported),
        "log": _log(tickets, timeline, exported),
        "responses": _responses(rng, tickets, timeline, exported),
        "facts": _facts(tickets, timeline, services, exported),
    }


# --- each ticket's history -----------------------------------------------------------------------


def _timeline(tickets: dict[str, np.ndarray], services: tuple[Service, ...], exported: float) -> dict[str, Any]:
    """When each change happens, as shares of the time to resolve ``D`` (ordered by construction).

    New and the Service Desk at opening; In Progress at 0.02 D; hand-offs at 0.05, 0.12 and 0.20 D;
    waiting on the user from 0.25 D; a first resolution at 0.70 D and the reopening at 0.80 D; the
    resolution at D, the closure five days later.
    """
    opened, hours = tickets["opened"], tickets["hours"]
    span = hours * _HOUR
    team_names = list(TEAMS)
    resolver = np.array([team_names.index(s.team) for s in services])[tickets["service"]]
    wrong = (resolver + tickets["wrong_team"]) % len(team_names)
    handoffs = np.select([tickets["ping_pong"], tickets["bounced"], tickets["desk_resolves"]], [3, 2, 0], 1)
    desk = len(team_names)  # the Service Desk's index after the teams
    # The groups after each hand-off: desk -> A; desk -> W -> A; desk -> A -> W -> A.
    first = np.where(handoffs == 2, wrong, resolver)
    second = np.where(handoffs == 3, wrong, resolver)
    final = np.where(handoffs == 0, desk, resolver)
    hold = tickets["hold_hours"] > 0
    return {
        "opened": opened,
        "progress": opened + np.round(0.02 * span),
        "handoff": [opened + np.round(f * span) for f in (0.05, 0.12, 0.20)],
        "hold_start": opened + np.round(0.25 * span),
        "hold_end": opened + np.round(0.25 * span + tickets["hold_hours"] * _HOUR),
        "first_resolved": opened + np.round(0.70 * span),
        "reopened_at": opened + np.round(0.80 * span),
        "resolved": opened + np.round(span),
        "closed": opened + np.round(span + CLOSE_AFTER_DAYS * _DAY),
        "handoffs": handoffs,
        "groups": [first, second, resolver],
        "final_group": final,
        "names": np.array([*team_names, DESK], dtype=object),
        "hold": hold,
        "exported": exported,
    }


def _state_at(tickets: dict[str, np.ndarray], t: dict[str, Any], moment: Any) -> np.ndarray:
    """Each ticket's state just after ``moment`` (one moment for all, or one per ticket)."""
    reopened = tickets["reopened"]
    conditions = [
        t["closed"] <= moment,
        t["resolved"] <= moment,
        reopened & (t["reopened_at"] <= moment),
        reopened & (t["first_resolved"] <= moment),
        t["hold"] & (t["hold_end"] <= moment),
        t["hold"] & (t["hold_start"] <= moment),
        t["progress"] <= moment,
    ]
    choices = ["Closed", "Resolved", "In Progress", "Resolved", "In Progress", WAITING_STATE, "In Progress"]
    return np.select(conditions, choices, "New").astype(object)


def _group_at(t: dict[str, Any], moment: Any) -> np.ndarray:
    """Each ticket's assignment group (an index into ``t["names"]``) just after ``moment``."""
    group = np.full(len(t["opened"]), len(t["names"]) - 1)  # the Service Desk
    for k in range(3):
        group = np.where((t["handoffs"] > k) & (t["handoff"][k] <= moment), t["groups"][k], group)
    return group


def _numbers(tickets: dict[str, np.ndarray]) -> np.ndarray:
    return np.char.add("INC", np.char.zfill(tickets["number"].astype(str), 7)).astype(object)


def _moments(seconds: np.ndarray) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(seconds, dtype="int64"), unit="s")


def _incidents(tickets: dict[str, np.ndarray], t: dict[str, Any], services: tuple[Service, ...],
               exported: float) -> pd.DataFrame:
    """The incident list at the export: each ticket's state, latest resolution and counts then."""
    state = _state_at(tickets, t, exported)
    resolved_now = np.isin(state, ["Resolved", "Closed"])
    # Resolved once and not reopened yet at the export: the first resolution is the one it shows.
    shown = np.where(tickets["reopened"] & (t["reopened_at"] > exported), t["first_resolved"], t["resolved"])
    made = sum(((t["handoffs"] > k) & (t["handoff"][k] <= exported)).astype("int64") for k in range(3))
    sla = (tickets["hours"] - tickets["hold_hours"]) <= SLA_MULTIPLE * tickets["target"]
    prefix = np.array([s.ci_prefix for s in services], dtype=object)[tickets["service"]]
    ci = np.where(tickets["ci"] < 0, None, prefix + tickets["ci"].astype(str).astype(object))
    code = np.where(tickets["not_solved"], "Not Solved (Not Reproducible)", "Solved (Permanently)")
    return pd.DataFrame({
        "number": _numbers(tickets),
        "opened_at": _moments(tickets["opened"]),
        "resolved_at": _moments(shown).where(resolved_now),
        "closed_at": _moments(t["closed"]).where(state == "Closed"),
        "state": state,
        "caller_id": np.char.add("USR-", np.char.zfill(tickets["caller"].astype(str), 7)).astype(object),
        "contact_type": np.array(list(CONTACT_SHARES), dtype=object)[tickets["contact"]],
        "assignment_group": t["names"][_group_at(t, exported)],
        "category": np.array([s.category for s in services], dtype=object)[tickets["service"]],
        "priority": np.array(list(QUICK_HOURS), dtype=object)[tickets["priority"]],
        "business_service": np.array([s.name for s in services], dtype=object)[tickets["service"]],
        "cmdb_ci": ci,
        "reopen_count": (tickets["reopened"] & (t["reopened_at"] <= exported)).astype("int64"),
        "reassignment_count": made,
        "made_sla": pd.Series(sla, dtype="boolean").where(resolved_now),
        "close_code": np.where(resolved_now, code, None),
    })


def _changes(tickets: dict[str, np.ndarray], t: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray, str, Any, Any]]:
    """Every change as (which tickets, when, field, old value, new value), in each ticket's order."""
    names = t["names"]
    desk = names[-1]
    g = [names[group] for group in t["groups"]]
    everyone = np.ones(len(t["opened"]), dtype=bool)
    return [
        (everyone, t["opened"], "assignment_group", None, desk),
        (everyone, t["opened"], "state", None, "New"),
        (everyone, t["progress"], "state", "New", "In Progress"),
        (t["handoffs"] >= 1, t["handoff"][0], "assignment_group", desk, g[0]),
        (t["handoffs"] >= 2, t["handoff"][1], "assignment_group", g[0], g[1]),
        (t["handoffs"] >= 3, t["handoff"][2], "assignment_group", g[1], g[2]),
        (t["hold"], t["hold_start"], "state", "In Progress", WAITING_STATE),
        (t["hold"], t["hold_end"], "state", WAITING_STATE, "In Progress"),
        (tickets["reopened"], t["first_resolved"], "state", "In Progress", "Resolved"),
        (tickets["reopened"], t["reopened_at"], "state", "Resolved", "In Progress"),
        (everyone, t["resolved"], "state", "In Progress", "Resolved"),
        (everyone, t["closed"], "state", "Resolved", "Closed"),
    ]


def _pick(value: Any, mask: np.ndarray) -> Any:
    return value[mask] if isinstance(value, np.ndarray) else value


def _audit(tickets: dict[str, np.ndarray], t: dict[str, Any], exported: float) -> pd.DataFrame:
    """The audit history up to the export: one row per change of state or assignment group."""
    numbers = _numbers(tickets)
    parts = []
    for slot, (who, when, field, old, new) in enumerate(_changes(tickets, t)):
        keep = who & (when <= exported)
        parts.append(pd.DataFrame({
            "number": numbers[keep], "sys_updated_on": _moments(when[keep]), "field": field,
            "old_value": _pick(old, keep), "new_value": _pick(new, keep), "slot": slot,
        }))
    frame = pd.concat(parts, ignore_index=True).sort_values(["sys_updated_on", "number", "slot"], kind="stable")
    return frame.drop(columns="slot").reset_index(drop=True)


def _subset(t: dict[str, Any], keep: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in t.items():
        if key in ("names", "exported"):
            out[key] = value
        elif isinstance(value, list):
            out[key] = [v[keep] for v in value]
        else:
            out[key] = value[keep]
    return out


def _log(tickets: dict[str, np.ndarray], t: dict[str, Any], exported: float) -> pd.DataFrame:
    """The same history as an event log: one event per change, with the state and group just after it.

    The opening's two audit rows (group and state) are one event.
    """
    numbers = _numbers(tickets)
    parts = []
    for slot, (who, when, _field, _old, _new) in enumerate(_changes(tickets, t)):
        if slot == 0:
            continue  # the opening's group rides on the opening's state event
        keep = who & (when <= exported)
        mine = {key: value[keep] for key, value in tickets.items()}
        sub = _subset(t, keep)
        parts.append(pd.DataFrame({
            "case:concept:name": numbers[keep],
            "concept:name": _state_at(mine, sub, when[keep]),
            "time:timestamp": _moments(when[keep]).tz_localize("UTC"),
            "org:group": sub["names"][_group_at(sub, when[keep])],
            "slot": slot,
        }))
    frame = pd.concat(parts, ignore_index=True).sort_values(["time:timestamp", "case:concept:name", "slot"], kind="stable")
    return frame.drop(columns="slot").reset_index(drop=True)


def _one_job(tickets: dict[str, np.ndarray]) -> np.ndarray:
    """The planted verdict: none of the ways of failing was drawn."""
    return ~(tickets["reopened"] | tickets["repeat"] | tickets["slow"] | tickets["bounced"] | tickets["not_solved"])


def _responses(rng: np.random.Generator, tickets: dict[str, np.ndarray], t: dict[str, Any],
               exported: float) -> pd.DataFrame:
    """NPS answers about a quarter of the resolved tickets, up to three days after the resolution."""
    answered_at = np.round(t["resolved"] + rng.uniform(0.1, 3.0, len(t["resolved"])) * _DAY)
    asked = (rng.random(len(answered_at)) < SURVEY_SHARE) & (answered_at <= exported)
    met = _one_job(tickets)[asked]
    n = int(asked.sum())
    shares = np.where(met[:, None], NPS_SHARES["met"], NPS_SHARES["not met"])
    kind = (rng.random(n)[:, None] >= np.cumsum(shares, axis=1)[:, :2]).sum(axis=1)  # 0 detractor .. 2 promoter
    score = np.select([kind == 0, kind == 1], [rng.integers(0, 7, n), rng.integers(7, 9, n)], rng.integers(9, 11, n))
    comment = np.full(n, None, dtype=object)
    writes = rng.random(n) < 0.3
    for flag, texts in ((True, _COMMENTS["met"]), (False, _COMMENTS["not met"])):
        chosen = writes & (met == flag)
        comment[chosen] = np.array(texts, dtype=object)[rng.integers(0, len(texts), int(chosen.sum()))]
    if n > len(HOSTILE_COMMENTS):
        comment[rng.choice(n, size=len(HOSTILE_COMMENTS), replace=False)] = HOSTILE_COMMENTS
    numbers = _numbers(tickets)[asked]
    odd = rng.random(n)  # a few answers name no ticket, a few a request item of another table
    numbers[odd < 0.004] = None
    other = (odd >= 0.004) & (odd < 0.008)
    numbers[other] = np.char.add("RITM", np.char.zfill(tickets["number"][asked][other].astype(str), 7))
    first = int(tickets["number"][0]) if len(tickets["number"]) else 0
    return pd.DataFrame({
        "response_id": np.char.add("SR-", np.char.zfill((first + np.arange(n)).astype(str), 7)),
        "timestamp": _moments(answered_at[asked]),
        "score": score.astype("int64"),
        "comment": comment,
        "ticket_id": numbers,
    }).sort_values(["timestamp", "response_id"], kind="stable", ignore_index=True)


def _facts(tickets: dict[str, np.ndarray], t: dict[str, Any], services: tuple[Service, ...],
           exported: float) -> pd.DataFrame:
    """Per ticket, what was planted as far as the export shows it: the truth is counted from this."""
    resolved = np.where(tickets["reopened"] & (t["reopened_at"] > exported), t["first_resolved"], t["resolved"])
    waited = np.where(resolved <= exported, resolved - tickets["opened"], exported - tickets["opened"]) / _HOUR
    return pd.DataFrame({
        "number": _numbers(tickets),
        "service": np.array([s.name for s in services], dtype=object)[tickets["service"]],
        "contact_type": np.array(list(CONTACT_SHARES), dtype=object)[tickets["contact"]],
        "opened": tickets["opened"],
        "target": tickets["target"],
        "one_job": _one_job(tickets),
        "one_job_probability": np.array([s.one_job_probability(TEAMS[s.team][0]) for s in services])[tickets["service"]],
        "reopened": tickets["reopened"] & (t["reopened_at"] <= exported),
        "repeat": tickets["followed"],
        "ping_pong": tickets["ping_pong"] & (t["handoff"][2] <= exported),
        "bounced": tickets["bounced"] & (t["handoff"][1] <= exported),
        "lost_hours": np.maximum(waited - tickets["target"], 0.0),
        "waiting_hours": np.where(t["hold"] & (t["hold_end"] <= exported), (t["hold_end"] - t["hold_start"]) / _HOUR, 0.0),
    })


# --- writing the files and the truth --------------------------------------------------------------

#: Slices of a large export get ticket numbers and caller ids this far apart, so none repeats.
_NUMBER_STRIDE = 100_000
_CALLER_STRIDE = 200_000
_CSV_TIME = "%Y-%m-%d %H:%M:%S"
_FILES = {"incidents": "incidents", "events": "incident_events", "log": "incident_log", "responses": "incident_responses"}


def _slice(seed: int, index: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng([seed, 26, index])
    return ticket_tables(rng, first_number=index * _NUMBER_STRIDE + 1, first_caller=index * _CALLER_STRIDE + 1)


class _ParquetFiles:
    """One Parquet writer per output, each file renamed into place only when complete."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.writers: dict[str, pq.ParquetWriter] = {}

    def write(self, name: str, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if name not in self.writers:
            self.schema = table.schema
            self.writers[name] = pq.ParquetWriter(self._partial(name), table.schema.remove_metadata(), compression="zstd")
        writer = self.writers[name]
        writer.write_table(table.cast(writer.schema, safe=False) if table.schema != writer.schema else table)

    def _partial(self, name: str) -> Path:
        return self.out_dir / f"{name}.parquet.partial"

    def close(self, *, keep: bool) -> None:
        for name, writer in self.writers.items():
            writer.close()
            if keep:
                self._partial(name).replace(self.out_dir / f"{name}.parquet")
            else:
                self._partial(name).unlink(missing_ok=True)


def _arrow_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Arrow strings even where a slice happens to hold only empty cells."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].astype("string")
    return frame


def generate(out_dir: Path, *, scale: int = 1, seed: int = 42) -> dict[str, Any]:
    """Write the service-outcome sample into ``out_dir`` and return its planted truth.

    ``scale`` slices of about 20,000 tickets each, every slice its own six months of callers and
    tickets (so repeats stay exact); above scale 1 every file is Parquet, one slice in memory at a time.
    """
    tally = _Tally()
    if scale == 1:
        tables = _slice(seed, 0)
        tables["incidents"].to_csv(out_dir / "incidents.csv", index=False, date_format=_CSV_TIME)
        tables["responses"].to_csv(out_dir / "incident_responses.csv", index=False, date_format=_CSV_TIME)
        for key in ("events", "log"):
            table = pa.Table.from_pandas(_arrow_ready(tables[key]), preserve_index=False)
            pq.write_table(table, out_dir / f"{_FILES[key]}.parquet", compression="zstd")
        tally.add(tables)
    else:
        files = _ParquetFiles(out_dir)
        try:
            for index in range(scale):
                tables = _slice(seed, index)
                for key, name in _FILES.items():
                    files.write(name, _arrow_ready(tables[key]))
                tally.add(tables)
        except BaseException:
            files.close(keep=False)
            raise
        files.close(keep=True)
    return tally.truth(scale=scale)


class _Tally:
    """The truth, added up slice by slice: planted probabilities and the exact counts of judged tickets."""

    def __init__(self) -> None:
        self.services: pd.DataFrame | None = None
        self.contacts: pd.Series | None = None
        self.rows = {key: 0 for key in _FILES}
        self.nps = np.zeros((2, 3))

    def add(self, tables: dict[str, pd.DataFrame]) -> None:
        for key in _FILES:
            self.rows[key] += len(tables[key])
        facts = tables["facts"]
        exported = EXPORTED_AT.replace(tzinfo=dt.UTC).timestamp()
        judged = facts[facts["opened"] + facts["target"] * _HOUR + REPEAT_DAYS * _DAY <= exported]
        counts = judged.groupby("service").agg(
            judged_tickets=("one_job", "size"), one_job_tickets=("one_job", "sum"), repeat_tickets=("repeat", "sum"),
            reopened_tickets=("reopened", "sum"), ping_pong_tickets=("ping_pong", "sum"),
            bounced_tickets=("bounced", "sum"), lost_hours=("lost_hours", "sum"), waiting_hours=("waiting_hours", "sum"),
        )
        self.services = counts if self.services is None else self.services.add(counts, fill_value=0)
        contacts = judged.groupby("contact_type").size()
        self.contacts = contacts if self.contacts is None else self.contacts.add(contacts, fill_value=0)
        answers = tables["responses"].merge(judged[["number", "one_job"]], left_on="ticket_id", right_on="number")
        for row, met in enumerate((True, False)):
            scores = answers.loc[answers["one_job"] == met, "score"]
            self.nps[row] += [(scores <= 6).sum(), scores.between(7, 8).sum(), (scores >= 9).sum()]

    def truth(self, *, scale: int) -> dict[str, Any]:
        services = self.services.reset_index()
        planted = {s.name: s for s in SERVICES}
        rows = []
        for _, row in services.iterrows():
            service = planted[row["service"]]
            bounce = TEAMS[service.team][0]
            rows.append({
                "service": service.name, "team": service.team,
                "one_job_probability": service.one_job_probability(bounce),
                "reopen_probability": service.reopen, "repeat_probability": service.repeat,
                "slow_probability": service.slow, "bounce_probability": bounce,
                "not_solved_probability": NOT_SOLVED_PROBABILITY,
                **{key: (float(row[key]) if key.endswith("hours") else int(row[key])) for key in services.columns
                   if key != "service"},
            })
        totals = services.drop(columns="service").sum()
        expected = sum(r["one_job_probability"] * r["judged_tickets"] for r in rows) / totals["judged_tickets"]
        nps = 100 * (self.nps[:, 2] - self.nps[:, 0]) / self.nps.sum(axis=1)
        return {
            "first_day": FIRST_DAY, "exported_at": EXPORTED_AT, "scale": scale,
            "quick_hours": QUICK_HOURS, "repeat_days": REPEAT_DAYS, "service_desk": DESK,
            "services": rows,
            "overall": {
                "one_job_probability": expected,
                **{key: (float(v) if key.endswith("hours") else int(v)) for key, v in totals.items()},
            },
            "repeat_service": "Access",
            "bouncing_teams": sorted(team for team, (bounce, _, _) in TEAMS.items() if bounce >= 0.2),
            "on_hold_team": "Workplace",
            "small_contact_types": {k: int(v) for k, v in self.contacts.items() if v < 30},
            "nps": {
                "planted_met_points": 100 * (NPS_SHARES["met"][2] - NPS_SHARES["met"][0]),
                "planted_not_met_points": 100 * (NPS_SHARES["not met"][2] - NPS_SHARES["not met"][0]),
                "met_responses": int(self.nps[0].sum()), "not_met_responses": int(self.nps[1].sum()),
                "met_points": float(nps[0]), "not_met_points": float(nps[1]),
            },
            "rows": dict(self.rows),
        }
