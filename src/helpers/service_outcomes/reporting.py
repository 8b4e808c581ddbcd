"""What the service-outcome report says: the headline, its tables and the figures for ``results.json``.

Tables come back as :class:`helpers.report.Table` for :func:`helpers.report.table`, which escapes
every cell: service and team names are data, never markup. Nothing here names a caller, a
ticket or a comment; groups of fewer than ``min_n`` people (distinct callers) are left out and counted in a note.
Shares are 0-1 in ``results.json`` and percentages in the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from helpers.analysis.results import results_layout
from helpers.report.display import Table
from helpers.report.results import to_jsonable

if TYPE_CHECKING:
    from helpers.service_outcomes.result import Result

__all__ = [
    "percent",
    "share_interval",
    "rate_words",
    "headline",
    "comparisons_note",
    "satisfaction_note",
    "cost_note",
    "period_table",
    "failure_table",
    "group_table",
    "satisfaction_table",
    "results",
    "UNITS",
]


def percent(value: Any, *, digits: int = 0) -> str:
    """``63%`` (``62.5%`` with ``digits=1``); an em dash when missing."""
    return "—" if value is None or pd.isna(value) else f"{value:.{digits}%}"


def share_interval(low: Any, high: Any, *, digits: int = 0) -> str:
    """``62–64%``; an em dash when missing."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return "—"
    return f"{low * 100:.{digits}f}–{high * 100:.{digits}f}%"


def _digits(low: Any, high: Any) -> int:
    """One decimal where whole percentages would print an interval of one or two equal numbers (62–63%)."""
    return 1 if low is not None and high is not None and not pd.isna(low) and (high - low) < 0.02 else 0


def rate_words(value: Any, low: Any, high: Any) -> str:
    """``63% (62–64%)``, or ``62.5% (61.9–63.2%)`` for a narrow interval."""
    digits = _digits(low, high)
    return f"{percent(value, digits=digits)} ({share_interval(low, high, digits=digits)})"


def _points(value: float) -> str:
    text = f"{value:+.0f}"
    return text[1:] if float(text) == 0 else text


def _percentage_points(change: float) -> str:
    points = change * 100
    if round(points) == 0:
        return "level with"
    return f"{'up' if points > 0 else 'down'} {abs(points):.0f} {'point' if round(abs(points)) == 1 else 'points'} on"


def _day(value: Any) -> str:
    day = pd.Timestamp(value)
    return f"{day.day} {day:%B %Y}"


def _span(start: Any, end: Any) -> str:
    """``January to June 2025`` for whole months, ``3 January to 20 June 2025`` otherwise."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if first.day == 1 and (last + pd.Timedelta(days=1)).day == 1:
        left = f"{first:%B}" + ("" if first.year == last.year else f" {first.year}")
        return left + (f" to {last:%B %Y}" if (first.year, first.month) != (last.year, last.month) else f" {first.year}")
    return f"{_day(first)} to {_day(last)}"


def _period_words(row: pd.Series, code: str) -> str:
    start = pd.Timestamp(row["period_start"])
    name = {"M": f"{start:%B %Y}", "W": f"the week of {start.day} {start:%B %Y}", "Q": f"{start.year} Q{start.quarter}"}[code]
    if bool(row.get("partial", False)):
        name += f" (to {pd.Timestamp(row['covered_end']):%-d %B})" if pd.Timestamp(row["covered_start"]) == start \
            else f" (from {pd.Timestamp(row['covered_start']):%-d %B})"
    return name


def _names(frame: pd.DataFrame, column: str) -> str:
    names = [str(v) for v in frame[column]]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def headline(result: Result) -> list[str]:
    """The report's first paragraph, one sentence per key finding (plain text; the report escapes it)."""
    params, overall = result.params, result.overall
    span = _span(result.window_start, result.window_end)
    if overall["suppressed"]:
        return [f"The tickets opened from {span} that can be judged come from fewer than {params.min_n} people, "
                "too few to report a rate."]
    failures = result.failures.set_index("failure")["share"]
    text = (
        f"Of {overall['tickets']:,} tickets opened from {span} whose outcome is known, "
        f"{rate_words(overall['one_job_rate'], overall['one_job_rate_low'], overall['one_job_rate_high'])} were solved "
        f"quickly the first time; {percent(failures['came_back'])} came back (reopened or asked again), "
        f"{percent(failures['reassigned'])} bounced between teams; users waited {overall['lost_user_hours']:,.0f} "
        "hours beyond the quick target"
    )
    worst = result.services.nlargest(2, "lost_user_hours")
    sentences = [text + (f", most on {_names(worst, 'service')}." if len(worst) else ".")]
    if overall["sla_met_share"] is not None:
        sentences.append(
            f"For the same tickets the tool's own figure says {percent(overall['sla_met_share'])} met their SLA."
        )
    sentences.extend(_latest_sentence(result))
    below = result.services[result.services["below_overall"].astype(bool)]
    if len(below):
        shown = [f"{row['service']} {rate_words(row['one_job_rate'], row['one_job_rate_low'], row['one_job_rate_high'])}"
                 for _, row in below.iterrows()]
        sentences.append("Below the overall rate with their whole interval: " + "; ".join(shown) + ".")
    elif len(result.services) > 1:
        sentences.append("No service lies below the overall rate with its whole interval.")
    satisfaction = result.satisfaction
    if satisfaction is not None and satisfaction.difference is not None:
        sentences.append(satisfaction_sentence(result))
    return sentences


def _latest_sentence(result: Result) -> list[str]:
    latest = result.latest
    code = result.params.period
    if latest is None or len(result.periods) < 2:
        return []
    word = {"M": "month", "W": "week", "Q": "quarter"}[code]
    text = (
        f"In {_period_words(latest, code)} the rate was "
        f"{rate_words(latest['one_job_rate'], latest['one_job_rate_low'], latest['one_job_rate_high'])}"
    )
    position = result.periods.index.get_loc(latest.name)
    if position == 0:
        return [text + "."]
    previous = result.periods.iloc[position - 1]
    if pd.isna(latest["change"]):
        return [text + f"; the {word} before had too few tickets to compare."]
    verdict = ("a real change, beyond the usual ups and downs" if latest["significant"]
               else f"within the usual ups and downs from one {word} to the next")
    return [text + f", {_percentage_points(latest['change'])} {_period_words(previous, code)}: {verdict}."]


def satisfaction_sentence(result: Result) -> str:
    """NPS where the one job was done against where it was not, and the difference with its interval."""
    s = result.satisfaction
    return (
        f"Where the one job was done, NPS was {_points(s.met.value)} points ({_points(s.met.low)} to "
        f"{_points(s.met.high)}); where it was not, {_points(s.not_met.value)} ({_points(s.not_met.low)} to "
        f"{_points(s.not_met.high)}): {abs(s.difference.value):.0f} points apart ({abs(s.difference.low):.0f} to "
        f"{abs(s.difference.high):.0f})."
        if s.difference.low * s.difference.high > 0 else
        f"NPS where the one job was done ({_points(s.met.value)}) and where it was not ({_points(s.not_met.value)}) "
        f"differ by {_points(s.difference.value)} points, an interval ({_points(s.difference.low)} to "
        f"{_points(s.difference.high)}) that includes no difference at all."
    )


def comparisons_note(result: Result) -> str:
    """How many period-over-period tests were made and how they were corrected."""
    significant = int(result.periods["significant"].eq(True).sum())
    word = {"M": "month", "W": "week", "Q": "quarter"}[result.params.period]
    return (
        f"Of {result.comparisons} changes from one {word} to the next, {significant} "
        f"{'is' if significant == 1 else 'are'} flagged as real (ringed in the chart); the others are within the "
        f"noise. The check allows for how many changes were looked at (Holm), so a steady rate is flagged by mistake "
        f"in at most {1 - result.params.confidence:.0%} of reports. {word.capitalize()}s whose judged tickets "
        f"come from fewer than {result.params.min_n} people are shown as gaps."
    )


def satisfaction_note(result: Result) -> str:
    """Which survey answers were linked to a judged ticket, and what they show."""
    s = result.satisfaction
    if s is None:
        return "No survey responses were given (parameter responses_path), so satisfaction is not linked to outcomes."
    text = (
        f"{s.analysed:,} survey responses are about a ticket analysed here ({s.linked:,} named a ticket in the export, "
        f"{s.not_found:,} one that is not in it, {s.without_ticket:,} none)."
    )
    if s.difference is None:
        return text + f" One of the two groups has fewer than {result.params.min_n} responses, so they are not compared."
    return text + " " + satisfaction_sentence(result) + (
        " This is a comparison, not an experiment: harder problems are both likelier to fail the one job and to "
        "leave users unhappy."
    )


def cost_note(result: Result) -> str:
    """The waiting beyond the quick target in hours and, with an hourly cost, in money, with the assumption and
    the noise they carry (:func:`helpers.cell_key.perturb_amounts`)."""
    overall, params = result.overall, result.params
    hours = overall["lost_user_hours"]
    if hours is None:
        return "Too few tickets to report the time users waited."
    text = (
        f"Users waited {hours:,.0f} hours of the clock beyond the quick target of their ticket's priority (tickets "
        f"still open count until the export, {result.as_of:%Y-%m-%d %H:%M})."
    )
    if overall["lost_user_cost"] is not None:
        text += (
            f" At {params.hourly_cost:,.2f} {params.currency} an hour, the assumption of parameter hourly_cost, that is "
            f"{overall['lost_user_cost']:,.0f} {params.currency}; nights and weekends count as hours, so set the cost "
            "of an hour of the clock, not of a working hour."
        )
    if overall["waiting_hours"]:
        text += (
            f" Separately, tickets spent {overall['waiting_hours']:,.0f} hours waiting on the user (states "
            f"{', '.join(params.waiting_states)}); that time is inside the resolution time the user sees."
        )
    return text + (
        " Hours and cost carry a noise proportional to the largest single ticket's hours, so that two reports "
        "cannot be subtracted to give one ticket's hours back; totals may therefore differ slightly between tables."
    )


# --- tables -------------------------------------------------------------------------------------


def _tickets_cell(n: Any, min_n: int, *, hidden: str = "") -> str:
    return (hidden or f"fewer than {min_n}") if n is None or pd.isna(n) else f"{int(n):,}"


def period_table(periods: pd.DataFrame, *, confidence: float = 0.95, min_n: int = 30) -> Table:
    """Per period: judged tickets, the one-job rate with its interval, the change, and the tool's SLA figure."""
    level = f"{confidence:.0%}"
    rows = pd.DataFrame({
        "Period": [row["period"] + (" (part)" if row["partial"] else "") for _, row in periods.iterrows()],
        "Tickets": ["none" if e else _tickets_cell(n, min_n, hidden=f"not shown (under {min_n} people)")
                    for n, e in zip(periods["tickets"], periods["empty"])],
        "Solved quickly first time": [percent(v) for v in periods["one_job_rate"]],
        f"{level} interval": [share_interval(lo, hi) for lo, hi in zip(periods["one_job_rate_low"],
                                                                       periods["one_job_rate_high"])],
        "Change (points)": ["—" if pd.isna(c) else _points(c * 100) + (" significant" if flag else "")
                            for c, flag in zip(periods["change"], periods["significant"].eq(True))],
        "Within SLA (the tool's figure)": [percent(v) for v in periods["sla_met_share"]],
    })
    caption = "The one-job rate by period of opening (% of judged tickets); a change marked \"significant\" is beyond the noise"
    return Table(rows, caption=caption, max_rows=None)


def failure_table(failures: pd.DataFrame, *, confidence: float = 0.95) -> Table:
    """Each way of failing the one job: tickets and share with its interval (a ticket may fail in several)."""
    rows = pd.DataFrame({
        "Way of failing": failures["label"],
        "Tickets": [f"{int(n):,}" for n in failures["tickets"]],
        # one decimal: whole percentages print most of these intervals as 11–11%
        "Share": [percent(v, digits=1) for v in failures["share"]],
        f"{confidence:.0%} interval": [share_interval(lo, hi, digits=1)
                                       for lo, hi in zip(failures["share_low"], failures["share_high"])],
    })
    return Table(rows, caption="Where the one job fails (% of judged tickets; a ticket may fail in more than one way)",
                 max_rows=None)


def group_table(groups: pd.DataFrame, *, label: str, column: str = "value", confidence: float = 0.95) -> Table:
    """Per group shown: tickets, the one-job rate with its interval, the ways of failing, the hours lost."""
    rows = pd.DataFrame({
        label: groups[column].astype(str),
        "Tickets": [f"{int(n):,}" for n in groups["tickets"]],
        "Solved quickly first time": [percent(v) for v in groups["one_job_rate"]],
        f"{confidence:.0%} interval": [share_interval(lo, hi) for lo, hi in zip(groups["one_job_rate_low"],
                                                                               groups["one_job_rate_high"])],
        "Below overall": ["below" if b else "" for b in groups["below_overall"].astype(bool)],
        "Came back": [percent(v) for v in groups["came_back_share"]],
        "Bounced": [percent(v) for v in groups["reassigned_share"]],
        "Slow": [percent(v) for v in groups["slow_share"]],
        "Hours beyond target": [f"{v:,.0f}" for v in groups["lost_user_hours"]],
        "Waiting on user (h per ticket)": [f"{v:.1f}" for v in groups["waiting_hours_per_ticket"]],
    })
    caption = (f"By {label.lower()}: \"below\" marks a group whose whole interval lies below the overall rate; shares "
               "are % of the group's judged tickets, hours are hours of the clock")
    return Table(rows, caption=caption, max_rows=None)


def satisfaction_table(result: Result) -> Table:
    """NPS of the surveyed tickets that met the one job and of those that did not (points)."""
    s = result.satisfaction
    level = f"{result.params.confidence:.0%}"
    rows = []
    for name, estimate, n in (("met the one job", s.met, s.met_responses), ("did not", s.not_met, s.not_met_responses)):
        rows.append({
            "Tickets that": name,
            "Responses": _tickets_cell(n, result.params.min_n),
            "NPS (points)": "too few responses" if estimate is None else _points(estimate.value),
            f"{level} interval (points)": "—" if estimate is None else f"{_points(estimate.low)} to {_points(estimate.high)}",
        })
    return Table(pd.DataFrame(rows), caption="NPS by outcome of the ticket the response is about (points)")


# --- results.json -------------------------------------------------------------------------------

#: The unit of each figure in ``results.json`` by its key, wherever the key appears (in a list of rows, for
#: every row): ``share`` is a fraction from 0 to 1; the currency of ``lost_user_cost`` is added per run.
UNITS = {
    "tickets": "tickets",
    **{key: "share" for key in (
        "one_job_rate", "one_job_rate_low", "one_job_rate_high", "sla_met_share", "sla_met_share_low",
        "sla_met_share_high", "share", "share_low", "share_high", "reopened_share", "repeat_share", "came_back_share",
        "reassigned_share", "slow_share", "ping_pong_share",
    )},
    "change": "share difference",
    "lost_user_hours": "hours",
    "waiting_hours": "hours",
    "waiting_hours_per_ticket": "hours per ticket",
}
_NPS_UNITS = {f"nps_{name}{end}": "points" for name in ("met", "not_met", "difference") for end in ("", "_low", "_high")}


_GROUP_FIELDS = ("tickets", "one_job_rate", "one_job_rate_low", "one_job_rate_high", "reopened_share", "repeat_share",
                 "came_back_share", "reassigned_share", "slow_share", "ping_pong_share", "lost_user_hours",
                 "waiting_hours_per_ticket", "below_overall")
_PERIOD_FIELDS = ("period", "tickets", "one_job_rate", "one_job_rate_low", "one_job_rate_high", "sla_met_share",
                  "change", "change_p_value", "significant", "partial", "suppressed")


def _date(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()


def _records(frame: pd.DataFrame, key: str, source: str) -> list[dict[str, Any]]:
    return [{key: row[source], **{f: to_jsonable(row[f]) for f in _GROUP_FIELDS}} for _, row in frame.iterrows()]


def _failure_records(result: Result) -> dict[str, Any]:
    return {
        row["failure"]: {"tickets": int(row["tickets"]), "share": to_jsonable(row["share"]),
                         "share_low": to_jsonable(row["share_low"]), "share_high": to_jsonable(row["share_high"])}
        for _, row in result.failures.iterrows()
    }


def _nps_fields(result: Result) -> dict[str, Any]:
    s = result.satisfaction
    if s is None:
        return {}
    fields: dict[str, Any] = {}
    for name, estimate in (("nps_met", s.met), ("nps_not_met", s.not_met), ("nps_difference", s.difference)):
        fields[name] = None if estimate is None else estimate.value
        fields[f"{name}_low"] = None if estimate is None else estimate.low
        fields[f"{name}_high"] = None if estimate is None else estimate.high
    fields["responses"] = {"met": s.met_responses, "not_met": s.not_met_responses, "analysed": s.analysed,
                           "linked": s.linked, "not_found": s.not_found, "without_ticket": s.without_ticket}
    return fields


def results(result: Result) -> dict[str, Any]:
    """The run's figures for ``results.json``: shares 0-1 with Wilson intervals, hours, NPS in points.

    Top-level keys: ``analysis``, ``parameters``, ``period`` (``start``, ``end``: the days of opening
    analysed), ``units`` (figure -> unit), then ``tickets``, ``one_job_rate`` (``_low``, ``_high``),
    ``sla_met_share`` (``_low``, ``_high``; null without ``made_sla``), ``lost_user_hours``,
    ``lost_user_cost``, ``waiting_hours``, ``failures`` (``came_back``, ``reopened``, ``repeat``,
    ``not_resolved``, ``not_solved_code``, ``slow``, ``reassigned``, ``ping_pong``: each ``tickets``,
    ``share``, ``share_low``, ``share_high``), ``periods`` (time order; ``change_p_value`` is
    Holm-adjusted), ``comparisons``, ``services``, ``groups`` (a row per value of each column the
    parameter ``breakdowns`` names), ``hidden_groups`` (counted, never named), ``as_of``, and where
    responses were given ``nps_met``, ``nps_not_met``, ``nps_difference`` (each with ``_low``,
    ``_high``) and ``responses``. Hidden periods keep their keys with null figures.
    """
    overall = result.overall
    periods = []
    for _, row in result.periods.iterrows():
        record = {f: to_jsonable(row[f]) for f in _PERIOD_FIELDS}
        record.update(period_start=_date(row["period_start"]), period_end=_date(row["period_end"]))
        periods.append(record)
    groups = [{"column": row["column"], "value": row["value"], **{f: to_jsonable(row[f]) for f in _GROUP_FIELDS}}
              for _, row in result.breakdowns.iterrows()]
    figures = {
        "tickets": overall["tickets"],
        **{key: overall[key] for key in ("one_job_rate", "one_job_rate_low", "one_job_rate_high", "sla_met_share",
                                         "sla_met_share_low", "sla_met_share_high", "lost_user_hours", "lost_user_cost",
                                         "waiting_hours")},
        "failures": _failure_records(result),
        "periods": periods,
        "comparisons": {"count": result.comparisons, "correction": "Holm"},
        "services": _records(result.services, "service", "service"),
        "groups": groups,  # not "breakdowns": that is the parameter, and parameters are not repeated at the top
        "hidden_groups": list(result.hidden_groups),
        "as_of": result.as_of.isoformat(sep=" "),
        **_nps_fields(result),
    }
    units = {**UNITS, "lost_user_cost": result.params.currency, **(_NPS_UNITS if result.satisfaction is not None else {})}
    present = set(_keys(figures))  # a unit only for a figure this run has (no services shown: no service shares)
    return results_layout("service_outcomes", result.params, period=(result.window_start, result.window_end),
                          units={key: unit for key, unit in units.items() if key in present}, figures=figures)


def _keys(value: Any) -> list[str]:
    """Every key at any depth of the figures' mappings and lists."""
    if isinstance(value, dict):
        return [key for name, item in value.items() for key in (name, *_keys(item))]
    if isinstance(value, list):
        return [key for item in value for key in _keys(item)]
    return []
