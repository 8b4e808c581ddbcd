"""The downtime report's words and numbers: headline, tables, method notes and ``results.json``.

Money is in the sales currency, rounded for reading (three significant figures in
sentences, whole units in tables); ``results.json`` keeps full precision.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from helpers.analysis.results import SHARE, results_layout
from helpers.downtime_sales.baseline import bucket_step
from helpers.report.display import Table, with_interval

if TYPE_CHECKING:
    from helpers.downtime_sales.result import Result

__all__ = [
    "headline", "incident_table", "incident_table_caption", "campaign_table", "method_notes", "model_sentence",
    "placebo_sentence", "self_check_sentence", "results",
]

#: Fields of each incident in results.json, in order (the issue's contract).
INCIDENT_FIELDS = [
    "incident_id", "start", "end", "minutes", "in_campaign", "campaign_id", "actual_revenue", "expected_revenue",
    "expected_revenue_low", "expected_revenue_high", "lost_revenue", "lost_revenue_low", "lost_revenue_high",
    "recovered_revenue", "recovered_revenue_low", "recovered_revenue_high", "net_lost_revenue",
    "net_lost_revenue_low", "net_lost_revenue_high", "lost_revenue_per_minute",
]
#: Fields of the totals in results.json.
TOTAL_FIELDS = [
    "net_lost_revenue", "net_lost_revenue_low", "net_lost_revenue_high",
    "campaign_minute_cost_ratio", "campaign_minute_cost_ratio_low", "campaign_minute_cost_ratio_high",
]


def _round(value: float, digits: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


def money(value: float) -> str:
    """An amount for a sentence: three significant figures, thousands separated (``184,000``)."""
    # Less than a cent is nothing: sums of draws that cancel leave float dust such as -1e-13.
    if abs(value) < 0.005:
        return "0"
    rounded = _round(float(value))
    return f"{rounded:,.0f}" if abs(rounded) >= 10 else f"{rounded:,.2g}"


def _times(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:.1f}x"


def headline(costs: Result) -> list[str]:
    """The report's first paragraph, figures included (money in the ``currency`` parameter's unit)."""
    currency = costs.params.currency
    incidents, totals = costs.incidents, costs.totals
    level = f"{costs.confidence:.0%}"
    if not len(incidents):
        return [f"No outage started between {costs.start:%d %B %Y} and {costs.end - pd.Timedelta(days=1):%d %B %Y}."]
    n = len(incidents)
    first = (
        f"From {_period(costs)}, {n} {'outage' if n == 1 else 'outages'} cost {money(totals['net_lost_revenue'])} "
        f"{currency} in net lost revenue ({level} interval {money(totals['net_lost_revenue_low'])} to "
        f"{money(totals['net_lost_revenue_high'])}"
        + ("; inconclusive: the outages may have cost nothing on balance)" if totals["net_lost_revenue_low"] <= 0 else ")")
    )
    inside = int(incidents["in_campaign"].sum())
    ratio = totals.get("campaign_minute_cost_ratio")
    if ratio is not None:
        low, high = totals["campaign_minute_cost_ratio_low"], totals["campaign_minute_cost_ratio_high"]
        first += (
            f"; a minute of downtime during a campaign cost {ratio:.1f}x one outside "
            f"({_times(low)} to {_times(high)})"
        )
        spans_one = low is not None and low <= 1 and (high is None or high >= 1)
        first += ", which is inconclusive: campaign minutes may cost no more than others." if spans_one else "."
    elif inside == 0:
        first += "; none fell in a campaign."
    elif inside == n:
        first += "; all fell in campaigns."
    else:
        k = n - inside
        first += (
            f"; the {k} incident{'s' if k > 1 else ''} outside campaigns show{'' if k > 1 else 's'} no net loss "
            f"on balance, so campaign and other minutes cannot be compared as a ratio."
        )
    sentences = [first]
    warning = _self_check_warning(costs)
    if warning:
        sentences.append(warning)
    hit = costs.campaigns[costs.campaigns["incidents"] > 0].dropna(subset=["lost_share"])
    if len(hit):
        worst = hit.loc[hit["lost_share"].idxmax()]
        sentences.append(
            f"Outages during the {worst['name']} took {worst['lost_share']:.1%} "
            f"({worst['lost_share_low']:.1%} to {worst['lost_share_high']:.1%}) of the revenue the campaign added."
        )
    costliest = incidents.loc[incidents["net_lost_revenue"].idxmax()]
    longest = incidents.loc[incidents["minutes"].idxmax()]
    if costliest["net_lost_revenue"] <= 0:
        sentences.append("No single incident shows a net loss on balance: sales made up for every outage afterwards.")
        return sentences
    text = (
        f"The costliest, {costliest['incident_id']} ({costliest['minutes']:.0f} minutes on "
        f"{costliest['start']:%d %b %Y}), cost {money(costliest['net_lost_revenue'])} {currency} "
        f"({money(costliest['net_lost_revenue_low'])} to {money(costliest['net_lost_revenue_high'])})"
    )
    if longest["incident_id"] != costliest["incident_id"]:
        text += (
            f"; the longest, {longest['incident_id']} ({longest['minutes']:.0f} minutes), cost "
            f"{money(longest['net_lost_revenue'])} {currency} "
            f"({money(longest['net_lost_revenue_low'])} to {money(longest['net_lost_revenue_high'])})"
        )
    sentences.append(text + ".")
    return sentences


def _period(costs: Result) -> str:
    """``3 January to 1 February 2025``: the window, end day included."""
    start, last = pd.Timestamp(costs.start), pd.Timestamp(costs.end) - pd.Timedelta(days=1)
    if start.year == last.year:
        return f"{start.day} {start:%B} to {last.day} {last:%B %Y}"
    return f"{start.day} {start:%B %Y} to {last.day} {last:%B %Y}"


def incident_table_caption(costs: Result) -> str:
    """The incident table's caption, with the caveat on recovered revenue for coarse buckets."""
    currency = costs.params.currency
    caption = f"Incidents, costliest first (money in {currency})."
    if bucket_step(costs.freq) > pd.Timedelta(minutes=15):
        caption += (
            f" *Recovered revenue is biased low with {_BUCKET_WORDS.get(costs.freq, costs.freq)} buckets: customers who "
            "come back within the bucket where an outage ends count against its lost revenue instead, so lost and "
            "recovered are both understated by that amount; the net loss is not affected."
        )
    else:
        caption += " *Recovered revenue: revenue above expectation in the recovery window."
    return caption


_BUCKET_WORDS = {"h": "hourly", "D": "daily", "15min": "quarter-hour"}


def incident_table(costs: Result) -> Table:
    """Per-incident figures for the report, costliest first; each estimate with its interval in one cell.

    The recovered columns are starred: the caption (:func:`incident_table_caption`) gives the caveat.
    """
    frame = costs.incidents.sort_values("net_lost_revenue", ascending=False)
    level = f"{costs.confidence:.0%}"

    def figures(name: str) -> list[str]:
        return [with_interval(v, lo, hi) for v, lo, hi in zip(frame[name], frame[f"{name}_low"], frame[f"{name}_high"])]

    rows = pd.DataFrame(
        {
            "Incident": frame["incident_id"],
            "Start": frame["start"].dt.strftime("%d %b %Y %H:%M"),
            "Minutes": frame["minutes"].round().astype(int),
            "Campaign": frame["campaign"].fillna("—"),
            f"Expected ({level} interval)": figures("expected_revenue"),
            f"Lost ({level} interval)": figures("lost_revenue"),
            "After the restore*": [_after_restore(v) for v in frame["recovered_revenue"]],
            f"Net lost ({level} interval)": figures("net_lost_revenue"),
            "Lost per minute": frame["lost_revenue_per_minute"],
        }
    )
    formats = {"Lost per minute": "{:,.1f}"}
    return Table(rows, caption=incident_table_caption(costs), formats=formats, max_rows=None)


def _after_restore(recovered: float) -> str:
    """Recovered revenue in words: sales that kept falling after the restore are further loss, not "-230 recovered"."""
    if not np.isfinite(recovered):
        return "—"
    if round(recovered) >= 0:
        return f"{recovered:,.0f} recovered"
    return f"{-recovered:,.0f} further loss"


def campaign_table(costs: Result) -> Table:
    """Per campaign: spend, incremental revenue, what outages took and the share, with intervals."""
    frame = costs.campaigns
    level = f"{costs.confidence:.0%}"
    currency = costs.params.currency
    rows = pd.DataFrame(
        {
            "Campaign": frame["name"],
            "Channel": frame["channel"],
            "From": pd.to_datetime(frame["start"]).dt.strftime("%Y-%m-%d"),
            "To": pd.to_datetime(frame["end"]).dt.strftime("%Y-%m-%d"),
            "Spend": frame["spend"],
            f"Incremental revenue ({level} interval)": [
                with_interval(v, a, b) for v, a, b in
                zip(frame["incremental_revenue"], frame["incremental_revenue_low"], frame["incremental_revenue_high"])
            ],
            "Incidents": frame["incidents"],
            "Net lost to outages": frame["net_lost_revenue"],
            f"Share lost, % ({level} interval)": [
                with_interval(100 * v, 100 * a, 100 * b, "{:.1f}")
                for v, a, b in zip(frame["lost_share"], frame["lost_share_low"], frame["lost_share_high"])
            ],
        }
    )
    formats = {"Spend": "{:,.0f}", "Net lost to outages": "{:,.0f}"}
    return Table(rows, caption=f"Campaigns (money in {currency})", formats=formats)


def placebo_sentence(costs: Result) -> str:
    """What the method charged on outage-free windows shaped like the incidents (money in the sales currency)."""
    placebo = costs.placebo
    if placebo is None:
        return "No placebo check: there is no incident whose shape could be copied to clean weeks."
    currency = costs.params.currency
    n = len(placebo.windows)
    share = placebo.charge_share if abs(placebo.median_charge) >= 0.005 else 0.0
    return (
        f"Placebo: on {n} windows where nothing happened (the incidents' outage and recovery hours moved by whole weeks "
        f"to clean weeks), the method charged a median of {money(placebo.median_charge)} {currency} "
        f"({share:.1%} of the median window's revenue of {money(placebo.median_revenue)} {currency}); "
        f"their {costs.confidence:.0%} intervals covered zero in {placebo.zero_coverage:.0%} of them."
    )


def model_sentence(costs: Result) -> str:
    """Which model the sales called for, and why, in one or two sentences."""
    reason, point = costs.model.reason, costs.point_estimate
    return (f"Model: {reason[0].lower()}{reason[1:]} Point estimates are {point}s of the counterfactual draws; "
            "intervals are their quantiles.")


def self_check_sentence(costs: Result) -> str:
    """What the method found where the check planted outages with a known loss (money in the sales currency)."""
    check = costs.self_check
    if check is None:
        return "No self-check: there is no incident whose shape could be copied to clean weeks."
    currency = costs.params.currency
    n = len(check.windows)
    what = "orders placed" if costs.model.uses_orders else "revenue"
    text = (
        f"Self-check: in {n} quiet windows shaped like the incidents, the check removed {check.removed_share:.0%} of "
        f"the {what} in the outage minutes and moved {check.returned_share:.0%} of that into the recovery hours, a "
        f"known net loss of {money(check.planted)} {currency}; the method found {money(check.found)} {currency} "
        f"({check.ratio:.0%} of it; {costs.confidence:.0%} interval {money(check.found_low)} to "
        f"{money(check.found_high)}), and its {costs.confidence:.0%} intervals covered the removed amount in "
        f"{check.coverage:.0%} of the windows."
    )
    return text + (" " + _self_check_warning(costs) if check.biased else "")


def _self_check_warning(costs: Result) -> str:
    """The summary's warning when the self-check finds a bias beyond its own noise ('' otherwise)."""
    check = costs.self_check
    if check is None or not check.biased:
        return ""
    # With intervals too narrow, an estimate within 5 % of the planted loss is off target only because
    # its interval is: the narrowness is the finding.
    if check.off_target and not (check.too_narrow and abs(check.ratio - 1) < 0.05) and check.planted < check.found:
        return (f"Caution: where the check removed a known amount of sales, the method found {check.ratio:.0%} of it, "
                "more than chance explains, so the losses above are probably overstated on these sales.")
    if check.off_target and not (check.too_narrow and abs(check.ratio - 1) < 0.05):
        return (f"Caution: where the check removed a known amount of sales, the method found only {check.ratio:.0%} "
                "of it, less than chance explains, so the losses above are probably understated on these sales.")
    return (f"Caution: the method's intervals covered a known planted loss in only {check.coverage:.0%} of the "
            f"check's windows, against {costs.confidence:.0%} promised, so the intervals above are too narrow on "
            "these sales.")


def _order_value_note(costs: Result) -> str:
    if costs.model.uses_orders:
        return (
            "The sales are order-level rows, so the baseline models the number of orders per bucket (hour of the "
            "week, trend, campaigns, special days, drift); an outage's loss is the orders missing against drawn "
            "counts times their value, drawn from the channel's own orders. Order values are assumed to be "
            "independent of the hour and of each other, with whatever heavy tail the data has (wholesale orders "
            "included); orders that did come in count at their own value, and orders above the expected count "
            "after an outage are taken to be customers coming back with the baskets they had lost. Point "
            "estimates (incidents, totals, minute costs and campaign shares) are medians of the draws, so that "
            "windows where nothing happened centre on zero; a total's median is not the sum of the incidents' "
            "medians."
        )
    counts = " (the order counts given are checked, not used: see the model note)" if costs.model.kind == "bucket counts" else ""
    return (
        f"The sales are bucket totals{counts}, so the baseline models revenue per bucket directly, its noise "
        "resampled from the channel's own residuals (heavy tails included). Point estimates are means of the "
        "draws, so the incidents add up to the total; with heavy-tailed order values a window's mean lies a "
        "little above what a typical window loses (see the placebo check)."
    )


def method_notes(costs: Result) -> list[str]:
    """Sentences on how this run's baseline came out: order values, special days, controls, noise, bucket size."""
    notes = [
        _order_value_note(costs),
        "The same incident can cost slightly different amounts in different parameter sets (for example the "
        "whole year against the last 30 days): each set fits its baseline on the weeks around its own window "
        "and bucket size, so the expected revenue differs a little; such differences lie well inside the intervals.",
    ]
    days = costs.special_days
    if days:
        listed = ", ".join(f"{d:%d %b %Y}" for d in days[:8]) + (" and others" if len(days) > 8 else "")
        notes.append(
            f"{len(days)} days were given their own level (public holidays, closures and days far off the "
            f"usual pattern): {listed}."
        )
    for channel, baseline in costs.baselines.items():
        controls = [n.removeprefix("control ") for n in baseline.names if n.startswith("control ")]
        trading = ~baseline.closed
        left_out = 1 - (baseline.clean & trading).sum() / max(trading.sum(), 1)
        text = (
            f"Channel {channel}: {trading.sum():,} {costs.freq} buckets when it trades, {left_out:.1%} of them "
            f"left out of the fit (outages, recoveries, gaps)"
            + (f"; {', '.join(controls)} as control{'s' if len(controls) > 1 else ''}" if controls else "")
        )
        if baseline.deviation_sd > 0:
            text += (
                f"; day-to-day swings of about {baseline.deviation_sd:.0%} around the baseline, "
                f"carried over from one bucket to the next at {baseline.autocorrelation:.2f}"
            )
        notes.append(text + ".")
    return notes


def results(costs: Result) -> dict[str, Any]:
    """The run's key figures for ``results.json``, in the common layout (money in the sales currency, minutes)."""
    params = costs.params
    incidents = costs.incidents.reindex(columns=INCIDENT_FIELDS)
    figures = {
        "incidents": incidents.to_dict(orient="records"),
        "totals": {key: costs.totals.get(key) for key in TOTAL_FIELDS},
        "campaigns": costs.campaigns.to_dict(orient="records"),
        "point_estimate": costs.point_estimate,
        "model": costs.model.kind,
        "placebo": _placebo_results(costs),
        "self_check": _self_check_results(costs),
    }
    period = (costs.start, costs.end - pd.Timedelta(days=1))
    return results_layout("downtime_sales", params, period=period, units=_units(params.currency, figures), figures=figures)


def _units(currency: str, figures: dict[str, Any]) -> dict[str, str]:
    """The unit of every figure results.json holds (those present in this run)."""
    money = [
        "actual_revenue", "expected_revenue", "lost_revenue", "recovered_revenue", "net_lost_revenue", "spend",
        "incremental_revenue", "median_net_lost_revenue", "median_window_revenue", "planted_net_lost_revenue",
        "found_net_lost_revenue",
    ]
    bounds = ("", "_low", "_high")
    units = {key + bound: currency for key in money for bound in bounds}
    units["lost_revenue_per_minute"] = f"{currency} a minute"
    units |= {key + bound: "x" for key in ("campaign_minute_cost_ratio", "found_share_of_planted") for bound in bounds}
    units |= {"lost_share" + bound: SHARE for bound in bounds}
    units |= dict.fromkeys(("median_share_of_revenue", "zero_coverage", "removed_share", "returned_share", "coverage"), SHARE)
    units |= {"minutes": "minutes", "windows": "windows"}
    present = set(_keys(figures))
    return {key: unit for key, unit in units.items() if key in present}


def _keys(value: Any) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _placebo_results(costs: Result) -> dict[str, Any] | None:
    placebo = costs.placebo
    if placebo is None:
        return None
    return {
        "windows": len(placebo.windows),
        "median_net_lost_revenue": placebo.median_charge,
        "median_window_revenue": placebo.median_revenue,
        "median_share_of_revenue": placebo.charge_share,
        "zero_coverage": placebo.zero_coverage,
    }


def _self_check_results(costs: Result) -> dict[str, Any] | None:
    check = costs.self_check
    if check is None:
        return None
    return {
        "windows": len(check.windows),
        "removed_share": check.removed_share,
        "returned_share": check.returned_share,
        "planted_net_lost_revenue": check.planted,
        "found_net_lost_revenue": check.found,
        "found_net_lost_revenue_low": check.found_low,
        "found_net_lost_revenue_high": check.found_high,
        "found_share_of_planted": check.ratio,
        "coverage": check.coverage,
        "off_target": check.off_target,
        "too_narrow": check.too_narrow,
        "biased": check.biased,
    }
