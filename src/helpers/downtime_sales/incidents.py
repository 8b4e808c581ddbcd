"""What each incident cost, from counterfactual draws over its outage and recovery windows.

The baseline draws counterfactual revenue paths over the windows, and every figure is a sum over them:

- gross lost revenue = expected minus actual revenue in the outage window;
- recovered revenue = actual minus expected revenue in the recovery window;
- net lost revenue = gross lost minus recovered revenue.

Incidents whose windows share a bucket (outages back to back) are measured together and their
figures split in proportion to the revenue each outage was expected to cover, so totals count every
bucket once. Intervals are quantiles over the draws, so they carry noise, autocorrelation and
parameter uncertainty, and the total's interval is that of the sum. Money is in the sales currency.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from helpers.downtime_sales.baseline import Baseline
from helpers.downtime_sales.campaigns import campaign_of
from helpers.downtime_sales.windows import groups_sharing_buckets, minutes_in, overlapping

__all__ = ["incident_draws", "incident_table", "totals_of", "minute_costs"]


def incident_draws(
    reported: pd.DataFrame, windows: pd.DataFrame, baselines: dict[str, Baseline], grid: pd.DatetimeIndex,
    step: pd.Timedelta, draws: int, rng: np.random.Generator,
) -> dict:
    """Draws of gross loss, recovered revenue and net loss per incident, plus per-bucket paths.

    Incidents whose windows share a bucket on a channel (back to back) cannot be told
    apart inside that bucket, so they are measured together and the group's figures are
    split between them in proportion to the revenue each one's outage was expected to
    cover. A lone incident keeps its own figures exactly.
    """
    n = len(reported)
    out = {
        "gross": np.zeros((draws, n)),
        "recovered": np.zeros((draws, n)),
        "net": np.zeros((draws, n)),
        "actual_outage": np.zeros(n),
        "expected_outage": np.zeros((draws, n)),
        "paths": {},
    }
    index = {incident: k for k, incident in enumerate(reported["incident_id"])}
    bucket_minutes = step / pd.Timedelta(minutes=1)
    for channel, baseline in baselines.items():
        mine = windows[windows["channel"] == channel].reset_index(drop=True)
        if not mine["incident_id"].isin(index).any():
            continue
        spans = [overlapping(grid, step, row.start, row.recovery_end) for row in mine.itertuples()]
        groups = groups_sharing_buckets(spans)
        wanted = [g for g in groups if any(mine["incident_id"].iloc[i] in index for i in g)]
        targets = np.unique(np.concatenate([spans[i] for g in wanted for i in g]))
        paths = baseline.simulate(targets, draws=draws, rng=rng)
        actual = np.nan_to_num(baseline.actual[targets])
        deficit = paths - actual
        for group in wanted:
            positions = np.unique(np.concatenate([spans[i] for i in group]))
            columns = np.searchsorted(targets, positions)
            outage = np.zeros(len(positions), bool)
            weights = np.zeros(len(group))
            for j, i in enumerate(group):
                row = mine.iloc[i]
                outage_minutes = minutes_in(grid, step, positions, row["start"], row["end"])
                outage |= outage_minutes > 0
                weights[j] = baseline.smoothed[positions] @ (outage_minutes / bucket_minutes)
            weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(group), 1 / len(group))
            group_deficit = deficit[:, columns]
            gross = group_deficit[:, outage].sum(axis=1)
            recovered = -group_deficit[:, ~outage].sum(axis=1)
            actual_outage = actual[columns][outage].sum()
            expected_outage = paths[:, columns][:, outage].sum(axis=1)
            for j, i in enumerate(group):
                k = index.get(mine["incident_id"].iloc[i])
                if k is None:
                    continue
                out["gross"][:, k] += weights[j] * gross
                out["recovered"][:, k] += weights[j] * recovered
                out["net"][:, k] += weights[j] * (gross - recovered)
                out["actual_outage"][k] += weights[j] * actual_outage
                out["expected_outage"][:, k] += weights[j] * expected_outage
        out["paths"][channel] = (targets, paths)
    return out


def incident_table(
    reported: pd.DataFrame, draws: dict, campaigns: pd.DataFrame, level: float, point: Callable = np.median
) -> pd.DataFrame:
    """Per-incident figures; ``point`` (mean or median over the draws) gives the point estimates.

    With medians, recovered revenue is lost minus net lost (a median of a difference is not
    the difference of the medians), so the three still add up.
    """
    minutes = ((reported["end"] - reported["start"]) / pd.Timedelta(minutes=1)).to_numpy()
    campaign_ids = [campaign_of(campaigns, row.start, row.end, row.affected) for row in reported.itertuples()]
    names = dict(zip(campaigns["campaign_id"], campaigns["name"]))
    gross, net = draws["gross"], draws["net"]
    table = pd.DataFrame(
        {
            "incident_id": reported["incident_id"],
            "start": reported["start"],
            "end": reported["end"],
            "minutes": minutes,
            "channels": [";".join(a) for a in reported["affected"]],
            "in_campaign": [c is not None for c in campaign_ids],
            "campaign_id": campaign_ids,
            "campaign": [names.get(c) if c is not None else None for c in campaign_ids],
            "actual_revenue": draws["actual_outage"],
            "expected_revenue": point(draws["expected_outage"], axis=0),
            "expected_revenue_low": _quantile(draws["expected_outage"], level),
            "expected_revenue_high": _quantile(draws["expected_outage"], 1 - level),
            "lost_revenue": point(gross, axis=0),
            "lost_revenue_low": _quantile(gross, level),
            "lost_revenue_high": _quantile(gross, 1 - level),
            "recovered_revenue": point(gross, axis=0) - point(net, axis=0),
            "recovered_revenue_low": _quantile(draws["recovered"], level),
            "recovered_revenue_high": _quantile(draws["recovered"], 1 - level),
            "net_lost_revenue": point(net, axis=0),
            "net_lost_revenue_low": _quantile(net, level),
            "net_lost_revenue_high": _quantile(net, 1 - level),
        }
    )
    table["lost_revenue_per_minute"] = table["lost_revenue"] / table["minutes"]
    for column in ("service", "severity"):
        if column in reported:
            table[column] = reported[column].to_numpy()
    return table


def _quantile(draws: np.ndarray, q: float) -> np.ndarray:
    """Per-incident quantile of ``(draws, incidents)``; empty when there are no incidents."""
    return np.quantile(draws, q, axis=0) if draws.shape[1] else np.zeros(0)


def totals_of(incidents: pd.DataFrame, net: np.ndarray, level: float, point: Callable = np.median) -> dict:
    """Incidents, minutes, lost, recovered and net lost revenue over all incidents; the net's interval is that of the sum."""
    total = net.sum(axis=1)
    return {
        "incidents": len(incidents),
        "minutes": float(incidents["minutes"].sum()),
        "lost_revenue": float(incidents["lost_revenue"].sum()),
        "recovered_revenue": float(incidents["recovered_revenue"].sum()),
        "net_lost_revenue": float(point(total)) if len(incidents) else 0.0,
        "net_lost_revenue_low": float(np.quantile(total, level)) if len(incidents) else 0.0,
        "net_lost_revenue_high": float(np.quantile(total, 1 - level)) if len(incidents) else 0.0,
    }


def minute_costs(
    incidents: pd.DataFrame, net: np.ndarray, level: float, rng: np.random.Generator, point: Callable = np.median
) -> tuple[pd.DataFrame, tuple[float | None, float | None, float | None]]:
    """Net lost revenue per minute of downtime, in campaigns and outside, and their ratio
    (campaign minute over other minute, with its interval; None where undefined).

    ``point`` (mean or median over the draws) is the one the totals use, so a group's net lost
    revenue is what the headline's total would be for its incidents.

    The intervals resample incidents (within each group) as well as drawing the
    counterfactual: with a handful of campaign incidents, which hours they happened to
    hit matters as much as the noise of the sales.
    """
    minutes = incidents["minutes"].to_numpy()
    in_campaign = incidents["in_campaign"].to_numpy(bool)
    groups = {"in campaigns": in_campaign, "outside campaigns": ~in_campaign}
    rows, rates = [], {}
    for label, mask in groups.items():
        members = np.flatnonzero(mask)
        if not len(members):
            rows.append(
                {
                    "group": label,
                    "incidents": 0,
                    "minutes": 0.0,
                    "net_lost_revenue": np.nan,
                    "per_minute": np.nan,
                    "per_minute_low": np.nan,
                    "per_minute_high": np.nan,
                }
            )
            continue
        picks = members[rng.integers(0, len(members), (len(net), len(members)))]
        resampled = np.take_along_axis(net, picks, axis=1).sum(axis=1) / minutes[picks].sum(axis=1)
        rates[label] = resampled
        group_net = float(point(net[:, members].sum(axis=1)))
        rows.append(
            {
                "group": label,
                "incidents": len(members),
                "minutes": float(minutes[members].sum()),
                "net_lost_revenue": group_net,
                "per_minute": group_net / float(minutes[members].sum()),
                "per_minute_low": float(np.quantile(resampled, level)),
                "per_minute_high": float(np.quantile(resampled, 1 - level)),
            }
        )
    table = pd.DataFrame(rows)
    ratio = ratio_low = ratio_high = None
    if len(rates) == 2:
        inside, outside = table.set_index("group").loc[["in campaigns", "outside campaigns"], "per_minute"]
        if outside > 0:
            ratio = float(inside / outside)
            denominator = rates["outside campaigns"]
            resampled = np.where(
                denominator > 0, rates["in campaigns"] / np.where(denominator > 0, denominator, 1), np.inf
            )
            # inverted_cdf: no interpolation, so an unbounded upper draw (inf) stays out of the lower bound.
            ratio_low = float(np.quantile(resampled, level, method="inverted_cdf"))
            high = np.quantile(resampled, 1 - level, method="inverted_cdf")
            ratio_high = float(high) if np.isfinite(high) else None
    return table, (ratio, ratio_low, ratio_high)
