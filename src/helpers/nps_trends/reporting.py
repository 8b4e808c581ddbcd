"""What the NPS report says: the headline, its tables and the figures for ``results.json``.

Tables come back as :class:`helpers.report.Table` (display text and caption) for :func:`helpers.report.table`,
which escapes every cell: segment values and comment words are data, never markup. Nothing
here lists individual responses, ids or comment authors. Groups under ``min_n`` read
"too few responses", and their size reads "fewer than <min_n>" (null in ``results.json``):
an exact small count, next to the overall count and NPS, could be differenced back to the
group's answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from helpers.analysis.results import results_layout, units_of
from helpers.report.display import Table, interval, with_interval
from helpers.report.results import to_jsonable

if TYPE_CHECKING:
    from helpers.nps_trends.result import Result

__all__ = [
    "TOO_FEW",
    "SCALE",
    "period_name",
    "coverage_words",
    "responses_cell",
    "headline",
    "comparisons_note",
    "ticket_note",
    "period_table",
    "segment_table",
    "segment_period_table",
    "event_table",
    "ticket_table",
    "terms_table",
    "trend_sentence",
    "TREND_BASIS",
    "UNITS",
    "results",
]

#: What a suppressed figure reads as.
TOO_FEW = "too few responses"
#: NPS's scale in points: interval bounds beyond it are shown at its ends, and said so.
SCALE = (-100, 100)
#: Scores and their bounds in whole points.
POINTS = "{:.0f}"


def period_name(period: str, period_start: pd.Timestamp, code: str) -> str:
    """A period in words: ``March 2025``, ``2025 Q1``, ``the week of 3 March 2025``."""
    start = pd.Timestamp(period_start)
    if code == "M":
        return start.strftime("%B %Y")
    if code == "W":
        return f"the week of {start.day} {start.strftime('%B %Y')}"
    return f"{start.year} Q{start.quarter}"


def coverage_words(row: pd.Series) -> str:
    """For a period the window covers only in part, which days it covers: ``"(to 2025-08-20)"``; else ``""``."""
    if not bool(row.get("partial", False)):
        return ""
    start, end = pd.Timestamp(row["covered_start"]), pd.Timestamp(row["covered_end"])
    from_start = start == pd.Timestamp(row["period_start"])
    to_end = end == pd.Timestamp(row["period_end"])
    if from_start:
        return f"(to {end:%Y-%m-%d})"
    if to_end:
        return f"(from {start:%Y-%m-%d})"
    return f"({start:%Y-%m-%d} to {end:%Y-%m-%d})"


def _period_words(row: pd.Series, code: str) -> str:
    return " ".join(filter(None, [period_name(row["period"], row["period_start"], code), coverage_words(row)]))


def responses_cell(n: Any, suppressed: bool, min_n: int | None = None) -> str:
    """How many responses, as a table shows it: ``"1,234"``, ``"none"`` or ``"fewer than 30"``."""
    if pd.isna(n) or (suppressed and int(n) > 0):
        return f"fewer than {min_n}" if min_n else "too few"
    return "none" if int(n) == 0 else f"{int(n):,}"


def _points(value: float) -> str:
    return _no_negative_zero(f"{value:.0f}")


def _signed(value: float, digits: int = 0) -> str:
    """``+5``, ``-3``, ``0``: a sign on changes, but never ``-0`` for a change that rounds to nothing."""
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def _no_negative_zero(text: str) -> str:
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _change_words(change: float) -> str:
    if round(change) == 0:
        return "level with"
    return f"{'up' if change > 0 else 'down'} {abs(change):.0f} points on"


def headline(result: Result) -> list[str]:
    """The report's first paragraph, one sentence per key finding (plain text; the report escapes it)."""
    params = result.params
    level = f"{params.confidence:.0%}"
    sentences = []
    latest = result.latest
    if latest is None:
        overall = result.overall
        text = f"No {_period_word(params.period)} had the {params.min_n} responses needed to report an NPS"
        if overall["suppressed"]:
            return [text + f" (fewer than {params.min_n} responses in all)."]
        return [
            text + f"; across {overall['period']} NPS was {_points(overall['nps'])} ({level} interval "
            f"{interval(overall['nps_low'], overall['nps_high'], POINTS, limits=SCALE)}, {int(overall['n']):,} responses)."
        ]
    text = (
        f"NPS in {_period_words(latest, params.period)} was {_points(latest['nps'])} ({level} interval "
        f"{interval(latest['nps_low'], latest['nps_high'], POINTS, limits=SCALE)}, {int(latest['n']):,} responses)"
    )
    position = result.periods.index.get_loc(latest.name)
    previous = result.periods.iloc[position - 1] if position > 0 else None
    if not pd.isna(latest["change"]) and previous is not None:
        if latest["significant"]:
            verdict = "a real change, beyond the usual ups and downs"
        else:
            verdict = f"within the usual ups and downs from one {_period_word(params.period)} to the next"
        text += f", {_change_words(latest['change'])} {_period_words(previous, params.period)}: {verdict}."
    elif previous is None:
        text += "; it is the first period in the window."
    else:
        text += "; the period before had too few responses to compare."
    sentences.append(text)
    for _, event in result.events.iterrows():
        if pd.isna(event["level_change"]):
            continue
        direction = "up" if event["level_change"] >= 0 else "down"
        clear = (event["level_change_low"] > 0) or (event["level_change_high"] < 0)
        sentences.append(
            f"On {_day(event['date'])} ({event['label']}) NPS stepped {direction} "
            f"{abs(event['level_change']):.0f} points ({level} interval "
            f"{interval(event['level_change_low'], event['level_change_high'], POINTS)}) beyond the trend it was "
            f"already on{'' if clear else ': inconclusive, the interval includes no step at all'}."
        )
    if result.trend is not None:
        sentences.append(trend_sentence(result))
    sentences.extend(segment_sentences(result))
    sentences.append(_coverage_sentence(result))
    return sentences


def segment_sentences(result: Result) -> list[str]:
    """Per segment column, its highest and lowest value over the window, and whether they clearly differ."""
    segments = result.segments
    if segments is None or segments.empty:
        return []
    level = f"{result.params.confidence:.0%}"
    sentences = []
    for column, rows in segments.groupby("segment", sort=False):
        shown = rows[~rows["suppressed"].astype(bool) & rows["nps"].notna()]
        if len(shown) < 2:
            continue
        top, bottom = shown.loc[shown["nps"].idxmax()], shown.loc[shown["nps"].idxmin()]
        apart = top["nps_low"] > bottom["nps_high"]
        sentences.append(
            f"By {column}, NPS ranged from {_points(bottom['nps'])} in {bottom['value']} ({level} interval "
            f"{interval(bottom['nps_low'], bottom['nps_high'], POINTS, limits=SCALE)}) to {_points(top['nps'])} "
            f"in {top['value']} "
            f"({interval(top['nps_low'], top['nps_high'], POINTS, limits=SCALE)})"
            + (": a clear gap." if apart else ": the intervals overlap, so the gap is inconclusive.")
        )
    return sentences


def _day(value: Any) -> str:
    """``3 February 2025``."""
    day = pd.Timestamp(value)
    return f"{day.day} {day:%B %Y}"


def _coverage_sentence(result: Result) -> str:
    """The period the report covers, with the number of responses in it."""
    if result.window_start is None or result.window_end is None:
        return "No responses fell in the window."
    overall = result.overall
    count = "" if overall["suppressed"] or pd.isna(overall["n"]) else f", {int(overall['n']):,} responses"
    return f"Period covered: {_day(result.window_start)} to {_day(result.window_end)}{count}."


def _slope_words(slope: Any, level: str) -> str:
    flat = "; no clear trend" if slope.low <= 0 <= slope.high else ""
    return (
        f"{_signed(slope.value, 1)} points a month ({level} interval {interval(slope.low, slope.high, '{:+.1f}')}{flat})"
    )


def trend_sentence(result: Result) -> str:
    """The underlying trend in points per month, saying whether steps at events are in it or not."""
    trend = result.trend
    level = f"{result.params.confidence:.0%}"
    if trend.basis == "segmented":
        parts = [f"{_slope_words(s.slope, level)} from {_day(s.start)} to {_day(s.end)}" for s in trend.stretches]
        return (
            "Apart from the step at each event, the underlying trend was "
            + (", then ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0])
            + "."
        )
    stretch = trend.headline
    text = (
        f"From {_day(stretch.start)} to {_day(stretch.end)} NPS moved {_slope_words(stretch.slope, level)}, "
        f"a straight line through the whole window"
    )
    if trend.unmeasured_events:
        named = ", ".join(f"{label} on {_day(date)}" for date, label in trend.unmeasured_events)
        return text + f" including any step at {named}, which could not be measured separately."
    return text + "."


def _period_word(code: str) -> str:
    return {"W": "week", "M": "month", "Q": "quarter"}[code]


def comparisons_note(result: Result) -> str:
    """One sentence on how many period-over-period tests were made and how they were corrected."""
    significant = int(result.periods["significant"].eq(True).sum())
    level = f"{result.params.confidence:.0%}"
    word = _period_word(result.params.period)
    return (
        f"Of {result.comparisons} changes from one {word} to the next, {significant} "
        f"{'is' if significant == 1 else 'are'} flagged as real (ringed in the chart, \"significant\" in the "
        f"table); the others are within the noise. The check allows for how many changes were looked at, so a "
        f"steady score is flagged by mistake in at most {1 - result.params.confidence:.0%} of reports "
        f"({level} confidence; see the method notes). Periods with fewer "
        f"than {result.params.min_n} responses are shown as gaps and not compared."
        + (
            " Periods the window covers only in part are marked with the days covered; their NPS is for those days."
            if result.periods["partial"].any()
            else ""
        )
    )


def ticket_note(result: Result) -> str:
    """How many responses were linked to a ticket, and the first-time-fix difference with its interval."""
    link = result.tickets
    if link is None:
        return "No tickets were given (parameter tickets_path), so NPS is not linked to ticket handling."
    level = f"{result.params.confidence:.0%}"
    text = (
        f"{link.linked:,} responses were about a ticket found in the tickets input "
        f"({link.without_ticket:,} were about no ticket"
        + (f", {link.not_found:,} named a ticket that is missing)." if link.not_found else ").")
    )
    difference = link.first_time_fix_difference
    if difference is None:
        small = f" One of the first-time-fix groups has fewer than {result.params.min_n} responses, so they are not compared."
        return text + small
    direction = "higher" if difference.value >= 0 else "lower"
    return text + (
        f" Where the ticket was fixed first time (resolved and never reopened) NPS was {abs(difference.value):.0f} "
        f"points {direction} (plain NPS, as in the table; {level} interval of the difference "
        f"{interval(difference.low, difference.high, '{:+.0f}')}) than where it was reopened or is still open. "
        "This is a comparison, not an experiment: harder problems are both slower to "
        f"fix and more often reopened."
    )


def _nps_cells(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    nps = [TOO_FEW if s else _points(v) for s, v in zip(frame["suppressed"], frame["nps"])]
    bounds = [
        "—" if s else interval(lo, hi, POINTS, limits=SCALE)
        for s, lo, hi in zip(frame["suppressed"], frame["nps_low"], frame["nps_high"])
    ]
    return nps, bounds


def period_table(periods: pd.DataFrame, *, confidence: float = 0.95, min_n: int | None = None) -> Table:
    """Per period: responses, NPS, interval, and the change on the period before, flagged where significant.

    A period the window covers only in part reads e.g. ``2025-08 (to 2025-08-20)``; a period
    under ``min_n`` responses reads "fewer than <min_n>", not its exact count.
    """
    nps, interval = _nps_cells(periods)
    labels = [
        " ".join(filter(None, [row["period"], coverage_words(row)])) for _, row in periods.iterrows()
    ]
    rows = pd.DataFrame(
        {
            "Period": labels,
            "Responses": [responses_cell(n, s, min_n) for n, s in zip(periods["n"], periods["suppressed"])],
            "NPS (points)": nps,
            f"{confidence:.0%} interval (points)": interval,
            "Change on the period before (points)": [
                "—" if pd.isna(c) else _signed(c) + (" significant" if flag else "")
                for c, flag in zip(periods["change"], periods["significant"].eq(True))
            ],
        }
    )
    caption = (
        "NPS by period (points); a change marked \"significant\" is beyond the noise, allowing for the "
        "number of changes looked at (p-values are in results.json)"
    )
    return Table(rows, caption=caption, max_rows=None)


def segment_table(segments: pd.DataFrame, *, confidence: float = 0.95, min_n: int | None = None) -> Table:
    """Per segment value: responses, NPS and interval; values under ``min_n`` read "too few responses"."""
    nps, interval = _nps_cells(segments)
    rows = pd.DataFrame(
        {
            "Segment": segments["segment"],
            "Value": segments["value"],
            "Responses": [responses_cell(n, s, min_n) for n, s in zip(segments["n"], segments["suppressed"])],
            "NPS (points)": nps,
            f"{confidence:.0%} interval (points)": interval,
        }
    )
    return Table(rows, caption="NPS by segment (points)", max_rows=None)


def segment_period_table(segment_periods: pd.DataFrame, *, segment: str, confidence: float = 0.95) -> Table:
    """NPS with its interval per period (rows) and value of one segment column (columns).

    Cells read ``"31 (27 to 35)"`` in points; a value with too few responses in a period reads
    "too few responses", one with none in it an em dash.
    """
    frame = segment_periods[segment_periods["segment"] == segment]
    cells = [
        TOO_FEW if (suppressed and n > 0) else "—" if suppressed else
        with_interval(nps, low, high, POINTS, limits=SCALE)
        for suppressed, n, nps, low, high in zip(
            frame["suppressed"], frame["n"], frame["nps"], frame["nps_low"], frame["nps_high"]
        )
    ]
    wide = frame.assign(cell=cells).pivot(index=["period_start", "period"], columns="value", values="cell")
    values = frame.groupby("value")["n"].sum().sort_values(ascending=False).index
    wide = wide.reindex(columns=list(values)).fillna("—").reset_index().drop(columns="period_start")
    wide.columns = ["Period", *[str(v) for v in values]]
    caption = f"NPS by {segment} and period (points, with {confidence:.0%} interval)"
    return Table(wide, caption=caption, max_rows=None)


def ticket_table(groups: pd.DataFrame, *, label: str, confidence: float = 0.95, min_n: int | None = None) -> Table:
    """Per ticket group (resolution-time bucket or first-time fix): responses, NPS and interval."""
    nps, interval = _nps_cells(groups)
    rows = pd.DataFrame(
        {
            label: groups["group"],
            "Responses": [responses_cell(n, s, min_n) for n, s in zip(groups["n"], groups["suppressed"])],
            "NPS (points)": nps,
            f"{confidence:.0%} interval (points)": interval,
        }
    )
    return Table(rows, caption=f"NPS by {label[0].lower() + label[1:]} (points)")


def event_table(events: pd.DataFrame, *, confidence: float = 0.95) -> Table:
    """Per event: the level change beyond the prior trend (points) and the change of slope (points/month)."""
    level = f"{confidence:.0%}"
    table = pd.DataFrame(
        {
            "Event": events["label"],
            "Date": [f"{d:%Y-%m-%d}" for d in events["date"]],
            "Level change (points)": ["—" if pd.isna(v) else _signed(v, 1) for v in events["level_change"]],
            f"Level change {level} interval": [
                interval(lo, hi, "{:+.1f}") for lo, hi in zip(events["level_change_low"], events["level_change_high"])
            ],
            "Trend change (points/month)": ["—" if pd.isna(v) else _signed(v, 2) for v in events["trend_change"]],
            f"Trend change {level} interval": [
                interval(lo, hi, "{:+.2f}") for lo, hi in zip(events["trend_change_low"], events["trend_change_high"])
            ],
            "Not measured because": [n or "" for n in events["note"]],
        }
    )
    if not events["note"].astype(bool).any():
        table = table.drop(columns="Not measured because")
    return Table(table, caption="Level change at each event beyond the prior trend")


def terms_table(terms: pd.DataFrame) -> Table:
    """Distinctive comment words per side with how many comments used them (aggregates only)."""
    rows = pd.DataFrame(
        {
            "Typical of": terms["side"],
            "Word": terms["term"],
            "Detractor comments": [f"{n:,}" for n in terms["detractor_comments"]],
            "Promoter comments": [f"{n:,}" for n in terms["promoter_comments"]],
            "Distinctiveness (z)": [f"{z:.1f}" for z in terms["z"]],
        }
    )
    return Table(rows, caption="Distinctive words (comments using each word)")


# --- results.json -------------------------------------------------------------------------------

_PERIOD_FIELDS = ("period", "n", "promoters", "passives", "detractors", "nps", "nps_low", "nps_high",
                  "change", "change_p_value", "significant")


def _counts_record(row: Any) -> dict[str, Any]:
    """``n`` and the three counts; null for a suppressed group, whose exact size is not published."""
    keys = ("n", "promoters", "passives", "detractors")
    suppressed = bool(row["suppressed"])
    return {key: None if suppressed else to_jsonable(row[key]) for key in keys}


def _period_record(row: pd.Series) -> dict[str, Any]:
    record = {key: to_jsonable(row[key]) for key in _PERIOD_FIELDS}
    record.update(_counts_record(row))
    record["period_start"] = pd.Timestamp(row["period_start"]).date().isoformat()
    record["period_end"] = pd.Timestamp(row["period_end"]).date().isoformat()
    record["partial"] = bool(row["partial"])
    record["covered_start"] = pd.Timestamp(row["covered_start"]).date().isoformat()
    record["covered_end"] = pd.Timestamp(row["covered_end"]).date().isoformat()
    record["suppressed"] = bool(row["suppressed"])
    return record


def _group_records(frame: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    return [
        {
            key: row["group"],
            "n": None if row["suppressed"] else int(row["n"]),
            "nps": to_jsonable(row["nps"]),
            "nps_low": to_jsonable(row["nps_low"]),
            "nps_high": to_jsonable(row["nps_high"]),
            "suppressed": bool(row["suppressed"]),
        }
        for _, row in frame.iterrows()
    ]


def _slope_record(stretch: Any) -> dict[str, Any]:
    return {
        "from": stretch.start.isoformat(),
        "to": stretch.end.isoformat(),
        "points_per_month": stretch.slope.value,
        "points_per_month_low": stretch.slope.low,
        "points_per_month_high": stretch.slope.high,
    }


#: What ``trend.points_per_month`` in results.json is, by the trend's basis.
TREND_BASIS = {
    "segmented": "slope before the first measured event, from the segmented regression (steps at events excluded)",
    "straight line": "slope of one straight line through the whole window (includes any step at an event)",
}


def _trend_record(result: Result) -> dict[str, Any] | None:
    trend = result.trend
    if trend is None:
        return None
    return {
        **_slope_record(trend.headline),
        "basis": TREND_BASIS[trend.basis],
        "stretches": [_slope_record(s) for s in trend.stretches],
    }


#: The unit of each figure of ``results.json``, by key (see :mod:`helpers.analysis.results`).
UNITS = {
    **dict.fromkeys(("n", "promoters", "passives", "detractors", "linked_responses", "responses_with_unknown_ticket",
                     "responses_without_ticket", "responses"), "responses"),
    **dict.fromkeys(("nps", "nps_low", "nps_high", "change", "level_change", "level_change_low", "level_change_high",
                     "points", "points_low", "points_high"), "points"),
    **dict.fromkeys(("points_per_month", "points_per_month_low", "points_per_month_high", "trend_change",
                     "trend_change_low", "trend_change_high"), "points a month"),
    "change_p_value": "probability",
    "count": "comparisons",
    "groups": "segment values",
}


def results(result: Result) -> dict[str, Any]:
    """The run's figures for ``results.json`` in the common layout (points; intervals adjusted Wald, not clipped).

    After ``analysis``, ``parameters``, ``period`` (the analysis window's first and last day) and
    ``units``: ``periods`` (time order), ``overall``, ``latest`` (the last period with enough
    responses), ``comparisons``, ``trend``, ``event_changes`` (one per event parameter),
    ``by_segment``, ``hidden_segments`` and ``tickets`` (None when no tickets were given).
    ``change_p_value`` is Holm-adjusted, so ``significant`` is ``change_p_value < 1 - confidence``.
    A period the window covers only in part has ``partial`` true and ``covered_start``/``covered_end``.
    Suppressed groups keep the ``n`` key, null. ``trend.points_per_month`` is the slope named in
    ``trend.basis``; ``trend.stretches`` gives the slope of every stretch between events.
    """
    periods = [_period_record(row) for _, row in result.periods.iterrows()]
    latest = result.latest
    tickets = None
    if result.tickets is not None:
        link = result.tickets
        difference = link.first_time_fix_difference
        tickets = {
            "linked_responses": link.linked,
            "responses_with_unknown_ticket": link.not_found,
            "responses_without_ticket": link.without_ticket,
            "by_resolution_time": _group_records(link.by_resolution_time, "resolution_time"),
            "by_first_time_fix": _group_records(link.by_first_time_fix, "first_time_fix"),
            "first_time_fix_difference": None
            if difference is None
            else {
                "points": difference.value,
                "points_low": difference.low,
                "points_high": difference.high,
                "basis": "plain NPS with a first-time fix minus plain NPS without",
            },
        }
    overall = {key: to_jsonable(value) for key, value in result.overall.items()}
    overall.update(_counts_record(result.overall))
    figures = {
        "periods": periods,
        "overall": overall,
        "latest": None if latest is None else _period_record(latest),
        "comparisons": {"count": result.comparisons, "correction": "Holm"},
        "trend": _trend_record(result),
        "event_changes": [
            {
                "date": pd.Timestamp(row["date"]).date().isoformat(),
                "label": row["label"],
                **{key: to_jsonable(row[key]) for key in (
                    "level_change", "level_change_low", "level_change_high",
                    "trend_change", "trend_change_low", "trend_change_high",
                )},
                "note": row["note"] or None,
            }
            for _, row in result.events.iterrows()
        ],
        "by_segment": [
            {
                "segment": row["segment"],
                "value": row["value"],
                "n": None if row["suppressed"] else int(row["n"]),
                "nps": to_jsonable(row["nps"]),
                "nps_low": to_jsonable(row["nps_low"]),
                "nps_high": to_jsonable(row["nps_high"]),
                "suppressed": bool(row["suppressed"]),
            }
            for _, row in result.segments.iterrows()
        ],
        # Values too small to show, counted, never named: {"segment", "groups", "responses"}.
        "hidden_segments": list(result.hidden_segments),
        "tickets": tickets,
    }
    return results_layout(
        "nps_trends", result.params, period=(result.window_start, result.window_end),
        units=units_of(UNITS, figures), figures=figures,
    )
