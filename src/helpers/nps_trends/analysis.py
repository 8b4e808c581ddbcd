"""NPS trends: the analysis itself. Counts come from the query engine (:mod:`.queries`), the
statistics work on those counts (:mod:`.stats`); scores are in points from -100 to +100.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import numpy as np
import pandas as pd

from helpers import cell_key, privacy
from helpers.exceptions import ParameterError
from helpers.inputs import loading as inputs
from helpers.nps_trends import queries, stats
from helpers.nps_trends.loading import Inputs
from helpers.nps_trends.parameters import Parameters
from helpers.nps_trends.result import Result, TicketLink, Trend, TrendStretch
from helpers.nps_trends.window import analysis_window, empty_window

__all__ = ["analyse", "distinctive_terms", "nps_table", "period_calendar", "published_counts"]

_CLASSES = ["detractors", "passives", "promoters"]


def _keyed(frame: pd.DataFrame) -> bool:
    return set(queries.KEY_COLUMNS) <= set(frame.columns)


def published_counts(counts: pd.DataFrame, *, min_n: int = 0) -> pd.DataFrame:
    """The counts as published: each class perturbed by its cell key (:mod:`helpers.cell_key`), ``n`` their sum.

    Frames without key columns are returned as they are. ``n`` is the sum of the perturbed
    classes, so a row's counts add up; a row of at least ``min_n`` responses keeps at least
    ``min_n`` (the shortfall goes to the passives, which leave NPS's numerator alone), so no
    group shown looks smaller than the rule allows, and a row with responses keeps at least one
    (a period with responses never reads as one without).
    """
    if not _keyed(counts):
        return counts
    exact_n = counts["n"].fillna(0).to_numpy(dtype="int64")
    frame = cell_key.perturb_counts(counts, _CLASSES)
    floor = np.where(exact_n >= max(min_n, 1), max(min_n, 1), np.minimum(exact_n, 1))
    shortfall = np.maximum(floor - frame[_CLASSES].sum(axis=1).to_numpy(), 0)
    frame["passives"] = frame["passives"].to_numpy() + shortfall
    frame["n"] = frame[_CLASSES].sum(axis=1).astype("int64")
    return frame


def _sum_keys(frame: pd.DataFrame) -> list[str]:
    """The key columns to add up with the counts when regrouping (cell keys add modulo the key modulus)."""
    return list(queries.KEY_COLUMNS) if _keyed(frame) else []


def nps_table(
    counts: pd.DataFrame, *, min_n: int, confidence: float, hide: np.ndarray | None = None
) -> pd.DataFrame:
    """Add NPS and its adjusted-Wald interval to a frame of counts, suppressing small groups.

    Parameters
    ----------
    counts : DataFrame
        With ``detractors``, ``passives``, ``promoters`` and ``n``, and optionally their cell keys
        (``detractors_key``...): then the counts are published perturbed (:func:`published_counts`)
        and the interval includes the noise (variance :data:`helpers.cell_key.VARIANCE` per count).
    min_n : int
        Groups with fewer responses (exact, before any noise) get ``suppressed`` True and no NPS,
        interval or counts.
    hide : array of bool, optional
        Further groups to suppress (complementary suppression: see :mod:`helpers.privacy`).

    Returns
    -------
    DataFrame
        ``counts`` plus ``nps`` (plain, points), ``nps_low``/``nps_high`` (adjusted Wald),
        ``nps_se`` (adjusted Wald, points) and ``suppressed``.
    """
    suppressed = counts["n"].to_numpy() < min_n
    noise_variance = cell_key.VARIANCE if _keyed(counts) else 0.0
    frame = published_counts(counts, min_n=min_n).copy()
    array = queries.counts_array(frame)
    interval = stats.adjusted_wald_interval(array, confidence=confidence, noise_variance=noise_variance)
    if hide is not None:
        suppressed = suppressed | np.asarray(hide, dtype=bool)
    frame["nps"] = np.where(suppressed, np.nan, stats.nps_points(array))
    frame["nps_low"] = np.where(suppressed, np.nan, interval.low)
    frame["nps_high"] = np.where(suppressed, np.nan, interval.high)
    frame["nps_se"] = np.where(suppressed, np.nan, interval.se)
    frame["suppressed"] = suppressed
    for column in ("detractors", "passives", "promoters"):
        # Small groups show as "too few responses", never as a breakdown that could identify someone.
        frame[column] = frame[column].astype("Int64").mask(suppressed)
    return frame


#: pandas period frequency of each period code (weeks end on Sunday, so they start on Monday).
_PERIOD_FREQ = {"W": "W-SUN", "M": "M", "Q": "Q"}
_PERIOD_LABEL = {"W": "%Y-%m-%d", "M": "%Y-%m", "Q": "%Y-Q%q"}


def period_calendar(start: dt.date, end: dt.date, period: str) -> pd.DataFrame:
    """Every period touching the window, with its label, first, last and middle day.

    Weeks start on Monday and are labelled by that day (``2025-03-03``); months read
    ``2025-03``; quarters ``2025-Q1``. ``partial`` marks a period the window does not cover
    fully; ``covered_start`` and ``covered_end`` are the days of it that the window covers.
    """
    periods = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq=_PERIOD_FREQ[period])
    starts = periods.start_time.normalize().astype("datetime64[ns]")
    ends = periods.end_time.normalize().astype("datetime64[ns]")
    labels = periods.start_time.strftime(_PERIOD_LABEL["W"]) if period == "W" else periods.strftime(_PERIOD_LABEL[period])
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    return pd.DataFrame(
        {
            "period": list(labels),
            "period_start": starts,
            "period_end": ends,
            "period_mid": starts + (ends + pd.Timedelta(days=1) - starts) / 2,
            "covered_start": starts.where(starts >= first, first),
            "covered_end": ends.where(ends <= last, last),
            "partial": (starts < first) | (ends > last),
        }
    )


def analyse(data: Inputs, params: Parameters) -> Result:
    """Count in the query engine, then compute every figure of the report from the counts.

    Parameters
    ----------
    data : Inputs
        From :func:`load_inputs` (or Ibis tables with the same columns).
    params : Parameters
    """
    notes: list[Any] = []
    first, last, start, end = analysis_window(data, params)
    responses = queries.in_window(data.responses, start, end)
    periods = _periods(responses, params, start, end)
    if periods["n"].sum() == 0:
        raise ParameterError(empty_window(data.responses_name, params, start, end, first, last))
    if params.start or params.end:

        outside = inputs.outside_window(
            data.responses, "timestamp", start=start, end=end + dt.timedelta(days=1), input=data.responses_name,
            issue=f"responses outside the analysis window {start} to {end}, left out",
            key=queries.response_key(data.responses),
        )
        notes.extend([outside] if outside else [])

    suppressed = periods[periods["suppressed"] & (periods["n"] > 0)]
    if len(suppressed):
        # Counted in periods, not responses: a total of the small periods' responses could be
        # differenced back to one period's exact count.
        notes.append(
            _note(data.responses_name, f"periods shown as gaps: fewer than {params.min_n} responses, or hidden with "
                  "them so that no hidden period can be worked out from the total",
                  len(suppressed), ", ".join(suppressed["period"].head(5)), unit="periods")
        )
    empty = periods[periods["n"] == 0]
    if len(empty):
        notes.append(_note(data.responses_name, "periods without any response", len(empty),
                           ", ".join(empty["period"].head(5)), unit="periods"))

    daily = queries.daily_counts(responses)
    # From the daily counts: the period frame's counts are already blanked for small periods.
    overall_counts = daily[["detractors", "passives", "promoters", "n", *_sum_keys(daily)]].sum().to_frame().T
    overall_counts = overall_counts.astype("int64")
    overall_row = nps_table(overall_counts, min_n=params.min_n, confidence=params.confidence).iloc[0]
    overall = {
        "period": f"{start.isoformat()} to {end.isoformat()}",
        **{key: overall_row[key] for key in ("n", "promoters", "passives", "detractors", "nps", "nps_low", "nps_high")},
        "change": None,
        "change_p_value": None,
        "significant": None,
        "suppressed": bool(overall_row["suppressed"]),
    }

    day_numbers = (daily["day"] - pd.Timestamp(start)).dt.days.to_numpy() + 0.5
    # The lines are fitted to each day's published counts: fitted to exact ones, two windows' slopes
    # and levels would be functions of exact counts a day apart. What is measured is decided on the exact.
    fitted = queries.counts_array(published_counts(daily))
    noise_variance = cell_key.VARIANCE if _keyed(daily) else 0.0
    # An event that cannot be measured says why in the event table, not among data-quality notes.
    published = {"fitted": fitted, "noise_variance": noise_variance}
    events, event_lines, fit, measured = _events(daily, day_numbers, params, start, end, **published)
    trend = _trend(daily, day_numbers, params, start, end, events, fit, measured, **published)

    segments, segment_periods, segment_notes, hidden_segments = _segments(
        responses, params, periods, data.responses_name
    )
    notes.extend(segment_notes)
    ticket_link = None
    if data.tickets is not None:
        ticket_link = _tickets(responses, data.tickets, params)
        if ticket_link.not_found:
            notes.append(_note(data.responses_name, f"responses naming a ticket that is not in {data.tickets_name}",
                               ticket_link.not_found))
    terms = distinctive_terms(responses, min_comments=params.min_n) if "comment" in responses.columns else _no_terms()
    return Result(
        params=params,
        window_start=start,
        window_end=end,
        periods=periods,
        overall=overall,
        comparisons=int(periods["change_p_value_unadjusted"].notna().sum()),
        trend=trend,
        events=events,
        event_lines=event_lines,
        segments=segments,
        segment_periods=segment_periods,
        hidden_segments=hidden_segments,
        tickets=ticket_link,
        terms=terms,
        quality_notes=notes,
    )


def _note(input_name: str, issue: str, rows: int, examples: str = "", *, unit: str = "rows") -> Any:

    return inputs.QualityNote(input=input_name, issue=issue, rows=int(rows), examples=examples, unit=unit)


def _periods(responses: ibis.Table, params: Parameters, start: dt.date, end: dt.date) -> pd.DataFrame:
    calendar = period_calendar(start, end, params.period)
    counts = queries.period_counts(responses, period=params.period)
    frame = calendar.merge(counts, on="period_start", how="left", validate="one_to_one")
    for column in ("detractors", "passives", "promoters", "n", *_sum_keys(frame)):
        frame[column] = frame[column].fillna(0).astype("int64")
    # The overall figure is published: hidden periods must together hold at least min_n responses,
    # or overall minus the shown periods would give a small period's figure away.
    cells = pd.DataFrame({"line": 0, "n": frame["n"], "suppressed": frame["n"].to_numpy() < params.min_n})
    hidden = privacy.complementary_suppression(cells, lines=[["line"]], min_n=params.min_n)
    noise_variance = cell_key.VARIANCE if _keyed(frame) else 0.0
    frame = nps_table(frame, min_n=params.min_n, confidence=params.confidence, hide=hidden)
    # Tested on the published counts (hidden periods are not tested), with the noise in the variance.
    published = frame[_CLASSES].astype("float64").fillna(0).to_numpy()
    tests = stats.period_over_period(published, reportable=~hidden, confidence=params.confidence,
                                     noise_variance=noise_variance)
    frame["change"] = tests.change
    frame["change_p_value"] = tests.p_value_holm
    frame["change_p_value_unadjusted"] = tests.p_value
    frame["significant"] = np.where(np.isnan(tests.p_value), None, tests.significant)
    return frame


def _events(
    daily: pd.DataFrame, day_numbers: np.ndarray, params: Parameters, start: dt.date, end: dt.date, *,
    fitted: np.ndarray, noise_variance: float,
) -> tuple[pd.DataFrame, pd.DataFrame, stats.SegmentedFit | None, list[int]]:
    """Segmented regression over all measurable events at once; the reason for each one left out."""
    columns = ["date", "label", "level_change", "level_change_low", "level_change_high", "level_change_se",
               "trend_change", "trend_change_low", "trend_change_high", "note"]
    rows = {i: {"date": e.date, "label": e.label, "note": ""} for i, e in enumerate(params.events)}
    candidates = []
    seen: set[dt.date] = set()
    for i, event in sorted(enumerate(params.events), key=lambda item: item[1].date):
        if not start < event.date <= end:
            rows[i]["note"] = "outside the analysis window"
        elif event.date in seen:
            rows[i]["note"] = "same date as another event"
        else:
            candidates.append(i)
            seen.add(event.date)
    event_day = {i: (params.events[i].date - start).days for i in candidates}
    counts = queries.counts_array(daily)
    n_per_day = counts.sum(axis=1)
    # Drop events whose stretch before or after holds too little data to fit a line, until all fit.
    while True:
        bounds = [0.0] + [event_day[i] for i in candidates] + [np.inf]
        too_small = None
        for k, i in enumerate(candidates):
            for low, high in ((bounds[k], bounds[k + 1]), (bounds[k + 1], bounds[k + 2])):
                inside = (day_numbers >= low) & (day_numbers < high) & (n_per_day > 0)
                if n_per_day[inside].sum() < params.min_n or inside.sum() < 2:
                    too_small = i
                    break
            if too_small is not None:
                break
        if too_small is None:
            break
        rows[too_small]["note"] = f"fewer than {params.min_n} responses on two days before or after it"
        candidates.remove(too_small)
    lines = pd.DataFrame(columns=["day", "line", "nps"])
    fit = None
    if candidates:
        fit = stats.segmented_regression(
            day_numbers, fitted, [event_day[i] for i in candidates], confidence=params.confidence,
            noise_variance=noise_variance,
        )
        for k, i in enumerate(candidates):
            level, slope = fit.level_changes[k], fit.trend_changes[k]
            rows[i].update(
                level_change=level.value, level_change_low=level.low, level_change_high=level.high,
                level_change_se=level.se, trend_change=slope.value, trend_change_low=slope.low,
                trend_change_high=slope.high,
            )
        lines = _event_lines(fit.coef, [event_day[i] for i in candidates],
                             [params.events[i].label for i in candidates], start, end)
    events = pd.DataFrame([rows[i] for i in range(len(params.events))], columns=columns)
    return events, lines, fit, candidates


def _trend(
    daily: pd.DataFrame,
    day_numbers: np.ndarray,
    params: Parameters,
    start: dt.date,
    end: dt.date,
    events: pd.DataFrame,
    fit: stats.SegmentedFit | None,
    measured: list[int],
    *,
    fitted: np.ndarray,
    noise_variance: float,
) -> Trend | None:
    """The underlying trend: the segmented fit's slopes when an event was measured, else a straight line."""
    if daily["n"].sum() < params.min_n or len(daily) < 2:
        return None
    if fit is not None:
        slopes = stats.stretch_slopes(fit, confidence=params.confidence)
        dates = [params.events[i].date for i in measured]
        bounds = [start, *dates, end + dt.timedelta(days=1)]
        stretches = [
            TrendStretch(bounds[k], bounds[k + 1] - dt.timedelta(days=1), slope) for k, slope in enumerate(slopes)
        ]
        return Trend(basis="segmented", stretches=stretches, unmeasured_events=[])
    line = stats.linear_trend(day_numbers, fitted, confidence=params.confidence, noise_variance=noise_variance)
    # Events inside the window that could not be measured are part of this line; the report says so.
    inside = events[events["note"].ne("outside the analysis window")] if len(events) else events
    unmeasured = [(d, label) for d, label in zip(inside.get("date", []), inside.get("label", []))]
    return Trend(basis="straight line", stretches=[TrendStretch(start, end, line)], unmeasured_events=unmeasured)


def _event_lines(coef: np.ndarray, event_days: list[int], labels: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
    """Fitted NPS by day and, after each event, the line its prior trend was on (points)."""
    days = np.arange((end - start).days + 1) + 0.5
    design = stats.segmented_design(days, event_days)
    dates = pd.Timestamp(start) + pd.to_timedelta(np.floor(days), unit="D")
    parts = [pd.DataFrame({"day": dates, "line": "fitted", "nps": design @ coef})]
    for k, (event_day, label) in enumerate(zip(event_days, labels)):
        until = event_days[k + 1] if k + 1 < len(event_days) else np.inf
        after = (days >= event_day) & (days < until)
        without = coef.copy()
        without[2 + 2 * k:] = 0  # this event and later ones removed: the prior trend carried on
        prior = {"day": dates[after], "line": f"prior trend without {label}", "nps": (design @ without)[after]}
        parts.append(pd.DataFrame(prior))
    return pd.concat(parts, ignore_index=True)


def _segments(
    responses: ibis.Table, params: Parameters, periods: pd.DataFrame, input_name: str
) -> tuple[pd.DataFrame, pd.DataFrame, list[Any], list[dict[str, Any]]]:
    overall_parts, period_parts, notes, hidden_groups = [], [], [], []
    for column in params.segments:
        by_period = queries.segment_period_counts(responses, column, period=params.period)
        by_period.insert(0, "segment", column)
        overall_counts = by_period.groupby(["segment", "value"], as_index=False)[
            ["detractors", "passives", "promoters", "n", *_sum_keys(by_period)]
        ].sum()
        overall = nps_table(overall_counts, min_n=params.min_n, confidence=params.confidence)
        labelled = by_period.merge(periods[["period_start", "period"]], on="period_start", how="left")
        shown, by_period_shown, hidden = _unnamed_small_groups(
            overall, nps_table(labelled, min_n=params.min_n, confidence=params.confidence), params.min_n
        )
        overall_parts.append(shown)
        period_parts.append(by_period_shown)
        if hidden:
            hidden_groups.append(hidden)
            notes.append(_note(input_name, f"segment column '{column}': "
                                           f"{privacy.hidden_groups_text(hidden['groups'], hidden['responses'])}",
                               hidden["responses"], unit="responses"))
        missing = int(overall_counts.loc[overall_counts["value"] == "(missing)", "n"].sum())
        if missing >= params.min_n:
            published = int(overall.loc[overall["value"] == "(missing)", "n"].sum())
            notes.append(_note(input_name, f"responses without a value in segment column '{column}'", published))
        elif missing:
            # "(missing)" is then a suppressed segment value: its exact size is not told here either.
            notes.append(_note(input_name, f"fewer than {params.min_n} responses have no value in segment "
                                           f"column '{column}'", 1, unit="segment columns"))
    columns = ["segment", "value", "detractors", "passives", "promoters", "n", "nps", "nps_low", "nps_high",
               "nps_se", "suppressed"]
    if not overall_parts:
        empty = pd.DataFrame(columns=columns), pd.DataFrame(columns=[*columns, "period_start", "period"])
        return *empty, notes, hidden_groups
    segments = pd.concat(overall_parts, ignore_index=True).sort_values(["segment", "n"], ascending=[True, False])
    return segments.reset_index(drop=True), pd.concat(period_parts, ignore_index=True), notes, hidden_groups


_MASKED = {"detractors": pd.NA, "passives": pd.NA, "promoters": pd.NA, "n": pd.NA,
           "nps": np.nan, "nps_low": np.nan, "nps_high": np.nan, "nps_se": np.nan}


def _unnamed_small_groups(
    overall: pd.DataFrame, by_period: pd.DataFrame, min_n: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any] | None]:
    """Drop the values of one segment column that are too small to show, and what would give them away.

    A value under ``min_n`` responses is not named anywhere: its rows leave both tables and a
    note counts them ("3 smaller groups, 41 responses, not shown"). Complementary suppression
    then hides further values and period cells until no hidden figure is a total minus the
    figures shown (see :mod:`helpers.privacy`).
    """
    hidden = privacy.complementary_suppression(overall, lines=[["segment"]], min_n=min_n)
    hidden_values = set(overall.loc[hidden, "value"])
    cells = by_period.reset_index(drop=True)
    cells["suppressed"] = cells["suppressed"].to_numpy(dtype=bool) | cells["value"].isin(hidden_values).to_numpy()
    cells_hidden = privacy.complementary_suppression(cells, lines=[["period_start"], ["value"]], min_n=min_n)
    cells = privacy.mask_hidden(cells, cells_hidden, _MASKED)
    cells["suppressed"] = cells_hidden
    kept = cells[~cells["value"].isin(hidden_values)].reset_index(drop=True)
    shown = overall[~hidden].reset_index(drop=True)
    if not hidden_values:
        return shown, kept, None
    column = str(overall["segment"].iloc[0])
    return shown, kept, {"segment": column, "groups": len(hidden_values), "responses": int(overall.loc[hidden, "n"].sum())}


def _tickets(responses: ibis.Table, tickets: ibis.Table, params: Parameters) -> TicketLink:
    counts = queries.ticket_counts(responses, tickets)
    found = counts[counts["linked"] == "ticket found"]
    sums = ["detractors", "passives", "promoters", "n", *_sum_keys(counts)]
    order = [label for label, _, _ in queries.RESOLUTION_BUCKETS] + [queries.NOT_RESOLVED]
    by_time = found.groupby("resolution_time", as_index=False)[sums].sum().rename(columns={"resolution_time": "group"})
    by_time = by_time.set_index("group").reindex(order, fill_value=0).reset_index()
    by_fix = found.groupby("first_time_fix", as_index=False)[sums].sum()
    by_fix["group"] = by_fix["first_time_fix"].map({True: "first-time fix", False: "not fixed first time"})
    by_fix = (
        by_fix.drop(columns="first_time_fix").set_index("group")
        .reindex(["first-time fix", "not fixed first time"], fill_value=0).reset_index()
    )
    by_time = _hide_complements(nps_table(by_time, min_n=params.min_n, confidence=params.confidence), params.min_n)
    by_fix = _hide_complements(nps_table(by_fix, min_n=params.min_n, confidence=params.confidence), params.min_n)
    difference = None
    if not by_fix["suppressed"].any():
        # From the published (perturbed) counts the table shows, with their noise in the variance.
        shown = by_fix.set_index("group")[_CLASSES].astype("float64")
        difference = stats.difference_interval(
            shown.loc["not fixed first time"].to_numpy(), shown.loc["first-time fix"].to_numpy(),
            confidence=params.confidence, noise_variance=cell_key.VARIANCE if _keyed(counts) else 0.0,
        )
    totals = _link_totals(counts)
    return TicketLink(
        by_resolution_time=by_time,
        by_first_time_fix=by_fix,
        first_time_fix_difference=difference,
        linked=int(totals.get("ticket found", 0)),
        not_found=int(totals.get("ticket not found", 0)),
        without_ticket=int(totals.get("no ticket", 0)),
    )


def _link_totals(counts: pd.DataFrame) -> pd.Series:
    """Responses per kind of ticket link, as published (perturbed by the cell key of all their answers)."""
    if not _keyed(counts):
        return counts.groupby("linked")["n"].sum()
    totals = counts.assign(n_key=counts[list(queries.KEY_COLUMNS)].sum(axis=1)).groupby("linked")[["n", "n_key"]].sum()
    return cell_key.perturb_counts(totals, ["n"])["n"]


def _hide_complements(groups: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Hide further groups of a breakdown until no hidden group is the linked total minus the others."""
    hidden = privacy.complementary_suppression(groups.assign(_line=0), lines=[["_line"]], min_n=min_n)
    complements = hidden & ~groups["suppressed"].to_numpy(dtype=bool)
    groups = privacy.mask_hidden(groups, complements, _MASKED)
    groups["suppressed"] = hidden
    return groups


def _no_terms() -> pd.DataFrame:
    return pd.DataFrame(columns=["side", "term", "detractor_comments", "promoter_comments", "z"])


def distinctive_terms(
    responses: ibis.Table, *, min_comments: int = 30, top: int = 10, prior: float = 500.0
) -> pd.DataFrame:
    """Words that set detractors' comments apart from promoters', and the other way round.

    Scores each word by the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi
    and Quinn 2008, "Fightin' words") and its z-score. Only words used in at least
    ``min_comments`` comments are shown, so a rare word cannot point at one respondent.

    Parameters
    ----------
    responses : ibis.Table
        With ``score`` and ``comment``.
    min_comments : int
        Fewest comments a word must appear in.
    top : int
        Words per side, at most; only words with z above 1.96 are kept.
    prior : float
        Pseudo-words of the prior, spread in proportion to each word's overall frequency.

    Returns
    -------
    DataFrame
        ``side`` ("detractors" or "promoters"), ``term``, ``detractor_comments``,
        ``promoter_comments``, ``z`` (positive: typical of that side).
    """
    terms, totals = queries.term_counts(responses)
    # Shown or not by the exact number of comments; the counts shown carry the cell-key noise.
    terms = published_counts(terms[terms["n"] >= min_comments])
    if terms.empty or totals["detractors"] == 0 or totals["promoters"] == 0:
        return _no_terms()
    detractor_words, promoter_words = float(totals["detractors"]), float(totals["promoters"])
    alpha = prior * terms["n"].to_numpy() / terms["n"].sum()
    d = terms["detractors"].to_numpy(dtype=float)
    p = terms["promoters"].to_numpy(dtype=float)
    log_odds_d = np.log((d + alpha) / (detractor_words + prior - d - alpha))
    log_odds_p = np.log((p + alpha) / (promoter_words + prior - p - alpha))
    z = (log_odds_d - log_odds_p) / np.sqrt(1 / (d + alpha) + 1 / (p + alpha))
    scored = pd.DataFrame({"term": terms["term"].to_numpy(), "detractor_comments": d.astype(int),
                           "promoter_comments": p.astype(int), "z": z})
    critical = stats.z_value(0.95)
    detractor_side = scored[scored["z"] > critical].nlargest(top, "z").assign(side="detractors")
    promoter_side = scored[scored["z"] < -critical].nsmallest(top, "z").assign(side="promoters")
    promoter_side["z"] = -promoter_side["z"]
    return pd.concat([detractor_side, promoter_side], ignore_index=True)[
        ["side", "term", "detractor_comments", "promoter_comments", "z"]
    ]


