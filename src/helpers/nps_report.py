"""What the NPS report says: the headline, its tables and the figures for ``results.json``.

Tables come back as small pandas frames of display text for :func:`helpers.report.table`,
which escapes every cell: segment values and comment words are data, never markup. Nothing
here lists individual responses, ids or comment authors; groups under ``min_n`` read
"too few responses".
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .nps import NpsAnalysis

__all__ = [
    "TOO_FEW",
    "format_interval",
    "period_name",
    "headline_sentences",
    "comparisons_note",
    "ticket_note",
    "period_table",
    "segment_table",
    "event_table",
    "ticket_table",
    "terms_table",
    "results",
]

#: What a suppressed figure reads as.
TOO_FEW = "too few responses"


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def format_interval(low: float, high: float, *, digits: int = 0) -> str:
    """``"27 to 35"``; bounds beyond -100 or +100 are clipped for display and marked as clipped."""
    if _missing(low) or _missing(high):
        return "—"
    clipped = low < -100 or high > 100
    text = (
        f"{_no_negative_zero(f'{max(low, -100):.{digits}f}')} to {_no_negative_zero(f'{min(high, 100):.{digits}f}')}"
    )
    return text + " (clipped to the -100..100 scale)" if clipped else text


def period_name(period: str, period_start: pd.Timestamp, code: str) -> str:
    """A period in words: ``March 2025``, ``2025 Q1``, ``the week of 3 March 2025``."""
    start = pd.Timestamp(period_start)
    if code == "M":
        return start.strftime("%B %Y")
    if code == "W":
        return f"the week of {start.day} {start.strftime('%B %Y')}"
    return f"{start.year} Q{start.quarter}"


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


def headline_sentences(analysis: NpsAnalysis) -> list[str]:
    """The report's first paragraph, one sentence per key finding (plain text; the report escapes it)."""
    params = analysis.params
    level = f"{params.confidence:.0%}"
    sentences = []
    latest = analysis.latest
    if latest is None:
        return [
            f"No {_period_word(params.period)} had the {params.min_n} responses needed to report an NPS "
            f"({analysis.overall['n']:,} responses in all)."
        ]
    name = period_name(latest["period"], latest["period_start"], params.period)
    text = (
        f"NPS in {name} was {_points(latest['nps'])} ({level} interval "
        f"{format_interval(latest['nps_low'], latest['nps_high'])}, {int(latest['n']):,} responses)"
    )
    position = analysis.periods.index.get_loc(latest.name)
    previous = analysis.periods.iloc[position - 1] if position > 0 else None
    if not _missing(latest["change"]) and previous is not None:
        verdict = "significant" if latest["significant"] else "not significant"
        text += (
            f", {_change_words(latest['change'])} {period_name(previous['period'], previous['period_start'], params.period)}; "
            f"the change is {verdict} at {level} confidence after correcting for "
            f"{analysis.comparisons} period-to-period comparisons."
        )
    elif previous is None:
        text += "; it is the first period in the window."
    else:
        text += "; the period before had too few responses to compare."
    sentences.append(text)
    for _, event in analysis.events.iterrows():
        if _missing(event["level_change"]):
            continue
        direction = "up" if event["level_change"] >= 0 else "down"
        clear = (event["level_change_low"] > 0) or (event["level_change_high"] < 0)
        sentences.append(
            f"On {event['date']:%Y-%m-%d} ({event['label']}) NPS stepped {direction} "
            f"{abs(event['level_change']):.0f} points ({level} interval "
            f"{format_interval(event['level_change_low'], event['level_change_high'])}) beyond the trend it was "
            f"already on{'' if clear else '; a step this size cannot be told from noise'}."
        )
    if analysis.trend is not None:
        trend = analysis.trend
        sentences.append(
            f"Across {analysis.window_start:%Y-%m-%d} to {analysis.window_end:%Y-%m-%d} NPS moved "
            f"{_signed(trend.value, 1)} points a month ({level} interval {_signed(trend.low, 1)} to {_signed(trend.high, 1)})."
        )
    return sentences


def _period_word(code: str) -> str:
    return {"W": "week", "M": "month", "Q": "quarter"}[code]


def comparisons_note(analysis: NpsAnalysis) -> str:
    """One sentence on how many period-over-period tests were made and how they were corrected."""
    significant = int(analysis.periods["significant"].eq(True).sum())
    level = f"{analysis.params.confidence:.0%}"
    return (
        f"{analysis.comparisons} period-to-period changes were tested; with the Holm correction across all of "
        f"them, {significant} {'is' if significant == 1 else 'are'} significant at {level} confidence, so a steady "
        f"score raises a false alarm in at most {1 - analysis.params.confidence:.0%} of reports. Periods with fewer "
        f"than {analysis.params.min_n} responses are shown as gaps and not compared."
    )


def ticket_note(analysis: NpsAnalysis) -> str:
    """How many responses were linked to a ticket, and the first-time-fix difference with its interval."""
    link = analysis.tickets
    if link is None:
        return "No tickets were given (parameter tickets_path), so NPS is not linked to ticket handling."
    level = f"{analysis.params.confidence:.0%}"
    text = (
        f"{link.linked:,} responses were about a ticket found in the tickets input "
        f"({link.without_ticket:,} were about no ticket"
        + (f", {link.not_found:,} named a ticket that is missing)." if link.not_found else ").")
    )
    difference = link.first_time_fix_difference
    if difference is None:
        return text + f" One of the first-time-fix groups has fewer than {analysis.params.min_n} responses."
    direction = "higher" if difference.value >= 0 else "lower"
    return text + (
        f" Where the ticket was fixed first time (resolved and never reopened) NPS was {abs(difference.value):.0f} "
        f"points {direction} ({level} interval {_signed(difference.low)} to {_signed(difference.high)}) than where it was "
        f"reopened or is still open. This is a comparison, not an experiment: harder problems are both slower to "
        f"fix and more often reopened."
    )


def _nps_cells(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    nps = [TOO_FEW if s else _points(v) for s, v in zip(frame["suppressed"], frame["nps"])]
    interval = [
        "—" if s else format_interval(lo, hi) for s, lo, hi in zip(frame["suppressed"], frame["nps_low"], frame["nps_high"])
    ]
    return nps, interval


def period_table(periods: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Per period: responses, NPS, interval, change on the period before and its Holm-adjusted p-value."""
    nps, interval = _nps_cells(periods)
    return pd.DataFrame(
        {
            "Period": periods["period"],
            "Responses": [f"{n:,}" for n in periods["n"]],
            "NPS (points)": nps,
            f"{confidence:.0%} interval": interval,
            "Change (points)": ["—" if _missing(c) else _signed(c) for c in periods["change"]],
            "p (Holm)": ["—" if _missing(p) else "<0.001" if p < 0.001 else f"{p:.3f}" for p in periods["change_p_value"]],
            "Significant": ["—" if s is None else ("yes" if s else "no") for s in periods["significant"]],
        }
    )


def segment_table(segments: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Per segment value: responses, NPS and interval; values under ``min_n`` read "too few responses"."""
    nps, interval = _nps_cells(segments)
    return pd.DataFrame(
        {
            "Segment": segments["segment"],
            "Value": segments["value"],
            "Responses": [f"{n:,}" for n in segments["n"]],
            "NPS (points)": nps,
            f"{confidence:.0%} interval": interval,
        }
    )


def ticket_table(groups: pd.DataFrame, *, label: str, confidence: float = 0.95) -> pd.DataFrame:
    """Per ticket group (resolution-time bucket or first-time fix): responses, NPS and interval."""
    nps, interval = _nps_cells(groups)
    return pd.DataFrame(
        {
            label: groups["group"],
            "Responses": [f"{n:,}" for n in groups["n"]],
            "NPS (points)": nps,
            f"{confidence:.0%} interval": interval,
        }
    )


def event_table(events: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Per event: the level change beyond the prior trend (points) and the change of slope (points/month)."""
    level = f"{confidence:.0%}"
    table = pd.DataFrame(
        {
            "Event": events["label"],
            "Date": [f"{d:%Y-%m-%d}" for d in events["date"]],
            "Level change (points)": ["—" if _missing(v) else _signed(v, 1) for v in events["level_change"]],
            f"Level change {level} interval": [
                format_interval(lo, hi, digits=1) for lo, hi in zip(events["level_change_low"], events["level_change_high"])
            ],
            "Trend change (points/month)": ["—" if _missing(v) else _signed(v, 2) for v in events["trend_change"]],
            f"Trend change {level} interval": [
                "—" if _missing(lo) else f"{_signed(lo, 2)} to {_signed(hi, 2)}"
                for lo, hi in zip(events["trend_change_low"], events["trend_change_high"])
            ],
            "Not measured because": [n or "" for n in events["note"]],
        }
    )
    return table if events["note"].astype(bool).any() else table.drop(columns="Not measured because")


def terms_table(terms: pd.DataFrame) -> pd.DataFrame:
    """Distinctive comment words per side with how many comments used them (aggregates only)."""
    return pd.DataFrame(
        {
            "Typical of": terms["side"],
            "Word": terms["term"],
            "Detractor comments": [f"{n:,}" for n in terms["detractor_comments"]],
            "Promoter comments": [f"{n:,}" for n in terms["promoter_comments"]],
            "Distinctiveness (z)": [f"{z:.1f}" for z in terms["z"]],
        }
    )


# --- results.json -------------------------------------------------------------------------------

_PERIOD_FIELDS = ("period", "n", "promoters", "passives", "detractors", "nps", "nps_low", "nps_high",
                  "change", "change_p_value", "significant")


def _value(value: Any) -> Any:
    if _missing(value):
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _period_record(row: pd.Series) -> dict[str, Any]:
    record = {key: _value(row[key]) for key in _PERIOD_FIELDS}
    record["period_start"] = pd.Timestamp(row["period_start"]).date().isoformat()
    record["suppressed"] = bool(row["suppressed"])
    return record


def _group_records(frame: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    return [
        {
            key: row["group"],
            "n": int(row["n"]),
            "nps": _value(row["nps"]),
            "nps_low": _value(row["nps_low"]),
            "nps_high": _value(row["nps_high"]),
            "suppressed": bool(row["suppressed"]),
        }
        for _, row in frame.iterrows()
    ]


def results(analysis: NpsAnalysis) -> dict[str, Any]:
    """The run's figures for ``results.json`` (points; intervals adjusted Wald, not clipped).

    Keys: ``periods`` (time order), ``overall``, ``latest`` (the last period with enough
    responses), ``comparisons``, ``trend``, ``events``, ``segments``, ``tickets`` (None when no
    tickets were given), ``window``. ``change_p_value`` is Holm-adjusted, so ``significant`` is
    ``change_p_value < 1 - confidence``.
    """
    params = analysis.params
    periods = [_period_record(row) for _, row in analysis.periods.iterrows()]
    latest = analysis.latest
    trend = analysis.trend
    tickets = None
    if analysis.tickets is not None:
        link = analysis.tickets
        difference = link.first_time_fix_difference
        tickets = {
            "linked_responses": link.linked,
            "responses_with_unknown_ticket": link.not_found,
            "responses_without_ticket": link.without_ticket,
            "by_resolution_time": _group_records(link.by_resolution_time, "resolution_time"),
            "by_first_time_fix": _group_records(link.by_first_time_fix, "first_time_fix"),
            "first_time_fix_difference": None
            if difference is None
            else {"points": difference.value, "points_low": difference.low, "points_high": difference.high},
        }
    return {
        "window": {
            "start": analysis.window_start.isoformat() if analysis.window_start else None,
            "end": analysis.window_end.isoformat() if analysis.window_end else None,
            "period": params.period,
            "confidence": params.confidence,
            "min_n": params.min_n,
        },
        "periods": periods,
        "overall": {key: _value(value) for key, value in analysis.overall.items()},
        "latest": None if latest is None else _period_record(latest),
        "comparisons": {"count": analysis.comparisons, "correction": "Holm", "confidence": params.confidence},
        "trend": None
        if trend is None
        else {"points_per_month": trend.value, "points_per_month_low": trend.low, "points_per_month_high": trend.high},
        "events": [
            {
                "date": pd.Timestamp(row["date"]).date().isoformat(),
                "label": row["label"],
                **{key: _value(row[key]) for key in (
                    "level_change", "level_change_low", "level_change_high",
                    "trend_change", "trend_change_low", "trend_change_high",
                )},
                "note": row["note"] or None,
            }
            for _, row in analysis.events.iterrows()
        ],
        "segments": [
            {
                "segment": row["segment"],
                "value": row["value"],
                "n": int(row["n"]),
                "nps": _value(row["nps"]),
                "nps_low": _value(row["nps_low"]),
                "nps_high": _value(row["nps_high"]),
                "suppressed": bool(row["suppressed"]),
            }
            for _, row in analysis.segments.iterrows()
        ],
        "tickets": tickets,
    }
