"""What each outage cost in revenue, net of demand that came back, with intervals.

:func:`measure_outages` works on sales already aggregated to buckets (see
:mod:`helpers.downtime_queries`), so it runs the same on a year of warehouse data
and on a small simulated frame in a test.

For every channel an incident hits, an incident owns two windows of buckets: its
outage (every bucket the outage overlaps) and its recovery (buckets overlapping the
``recovery_hours`` after it ends, up to the start of the channel's next incident).
Those windows, for all incidents, are left out of the channel's baseline (see
:mod:`helpers.downtime_sales.baseline`); data gaps are left out too. The baseline then draws
counterfactual revenue paths over the windows, and every figure is a sum over them:

- gross lost revenue = expected minus actual revenue in the outage window;
- recovered revenue = actual minus expected revenue in the recovery window;
- net lost revenue = gross lost minus recovered revenue.

Incidents whose windows share a bucket (outages back to back) are measured together
and their figures split in proportion to the revenue each outage was expected to
cover, so totals count every bucket once.
Intervals are quantiles over the draws, so they carry noise, autocorrelation and
parameter uncertainty, and the total's interval is that of the sum.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.downtime_sales.baseline import Baseline, bucket_slots, closed_days, day_deviation, fit_baseline, unusual_days
from helpers.downtime_sales.order_model import fit_order_baseline
from helpers.downtime_sales.placebo import placebo_check
from helpers.downtime_sales.result import Result
from helpers.inputs.quality import QualityNote

__all__ = ["measure_outages", "split_channels"]

_GAP = pd.Timedelta(days=1)
_ZOOM_PAD = pd.Timedelta(hours=6)


def split_channels(value: object, known: Sequence[str]) -> list[str]:
    """The channels an outage names (``"web;store"``); empty or missing means all ``known``."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip():
        return list(known)
    return [part.strip() for part in str(value).split(";") if part.strip()]


def measure_outages(
    buckets: pd.DataFrame,
    outages: pd.DataFrame,
    campaigns: pd.DataFrame | None = None,
    *,
    freq: str = "h",
    recovery_hours: float = 3.0,
    confidence: float = 0.95,
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    channels: Sequence[str] = (),
    holidays: Sequence[pd.Timestamp] = (),
    draws: int = 1000,
    seed: int = 0,
    placebo_windows: int = 0,
) -> Result:
    """Measure the revenue each outage cost.

    Parameters
    ----------
    buckets : pandas.DataFrame
        ``bucket, channel, revenue`` and optionally ``orders``: revenue (sales currency) and
        number of orders per bucket start and channel; missing buckets mean no sales. With
        ``orders``, the measured channels' baselines model order counts and order values
        (:mod:`.order_model`) and point estimates are medians of the draws; without, revenue
        (:mod:`.baseline`) and means.
    outages : pandas.DataFrame
        ``incident_id, start, end`` and optionally ``channels`` (``"web;store"``; empty = all).
    campaigns : pandas.DataFrame, optional
        ``campaign_id, name, start, end`` and optionally ``channel`` (empty = all), ``spend``.
    freq : str
        Bucket size of ``buckets``.
    recovery_hours : float
        Hours after an outage in which displaced demand may come back.
    confidence : float
        Level of every interval.
    span : (Timestamp, Timestamp), optional
        The buckets to build, ``[first, end)``; default: those of ``buckets``. The
        baseline is fitted on all of it.
    start, end : Timestamp, optional
        Incidents starting in ``[start, end)`` are reported (default: the span).
    channels : sequence of str
        Channels to measure (default: all); the others still serve as controls.
    holidays : sequence of Timestamp
        Extra special days for the baseline, beside the ones found in the data.
    draws : int
        Counterfactual paths per channel.
    seed : int
        Seed of the random generator.
    placebo_windows : int
        Outage-free windows to measure as if they were outages (see :mod:`.placebo`); 0 = none.
    """
    if buckets.empty:
        raise ValueError("there are no sales to measure outages against")
    rng = np.random.default_rng(seed)
    step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    notes: list[QualityNote] = []
    if span is None:
        span = (buckets["bucket"].min().floor(freq), buckets["bucket"].max().floor(freq) + step)
    grid = pd.date_range(span[0], span[1], freq=freq, inclusive="left")
    start = pd.Timestamp(start) if start is not None else grid[0]
    end = pd.Timestamp(end) if end is not None else grid[-1] + step
    data_channels = sorted(buckets["channel"].unique().tolist())
    wide = (
        buckets.pivot_table(index="bucket", columns="channel", values="revenue", aggfunc="sum")
        .reindex(index=grid, columns=data_channels)
        .fillna(0.0)
    )
    gap = _data_gaps(wide, freq, notes)
    wide[gap] = np.nan
    orders = None
    if "orders" in buckets:
        orders = (
            buckets.pivot_table(index="bucket", columns="channel", values="orders", aggfunc="sum")
            .reindex(index=grid, columns=data_channels)
            .fillna(0.0)
        )
        orders[gap] = np.nan
    analysed = [c for c in (channels or data_channels) if c in data_channels]
    missing = [c for c in channels if c not in data_channels]
    if missing:
        issue = "channels asked for but absent from the sales: " + ", ".join(missing)
        notes.append(QualityNote("sales", issue, len(missing), unit="channels"))

    outages = _prepare_outages(outages, data_channels, grid[0], grid[-1] + step, notes)
    campaigns = _prepare_campaigns(campaigns)
    windows = _incident_windows(outages, data_channels, pd.Timedelta(hours=recovery_hours))
    blanked = {c: _covered(grid, step, windows[windows["channel"] == c]) for c in data_channels}

    baselines, special_days = _fit_baselines(
        wide,
        blanked,
        gap,
        campaigns,
        freq=freq,
        analysed=analysed,
        outages=outages,
        start=start,
        end=end,
        holidays=holidays,
        orders=orders,
    )
    point = np.median if orders is not None else np.mean

    # Reported: incidents starting in the window that hit a measured channel.
    in_window = (outages["start"] >= start) & (outages["start"] < end)
    measured = np.array([bool(set(a) & set(analysed)) for a in outages["affected"]], dtype=bool)
    reported = outages[in_window.to_numpy() & measured].reset_index(drop=True)
    reported["affected"] = [[c for c in a if c in analysed] for a in reported["affected"]]
    level = (1 - confidence) / 2
    incident_draws = _incident_draws(reported, windows, baselines, grid, step, draws, rng)
    incidents = _incident_table(reported, incident_draws, campaigns, level, point)
    net = incident_draws["net"]
    totals = _totals(incidents, net, level, point)
    minute_costs, (ratio, ratio_low, ratio_high) = _minute_costs(incidents, net, level, rng, point)
    totals.update(
        campaign_minute_cost_ratio=ratio,
        campaign_minute_cost_ratio_low=ratio_low,
        campaign_minute_cost_ratio_high=ratio_high,
    )
    campaign_table = _campaign_table(
        campaigns, incidents, net, baselines=baselines, start=start, end=end, draws=draws, level=level, rng=rng,
        point=point,
    )
    timeline = _timeline(baselines, analysed, start, end, level)
    zoom = _zoom(reported, incident_draws, baselines, level, step, pd.Timedelta(hours=recovery_hours))
    placebo = None
    if placebo_windows:
        clean = {c: ~blanked[c] & ~gap for c in data_channels}
        placebo = placebo_check(
            baselines, windows[windows["incident_id"].isin(reported["incident_id"])], clean,
            grid=grid, step=step, n=placebo_windows, draws=draws, level=level, point=point, rng=rng,
        )
    return Result(
        incidents=incidents,
        totals=totals,
        minute_costs=minute_costs,
        campaigns=campaign_table,
        timeline=timeline,
        windows=zoom,
        baselines=baselines,
        special_days=special_days,
        quality_notes=notes,
        net_lost_draws=net,
        confidence=confidence,
        freq=freq,
        recovery_hours=recovery_hours,
        start=start,
        end=end,
        channels=analysed,
        point_estimate="median" if orders is not None else "mean",
        placebo=placebo,
    )


# --- inputs ------------------------------------------------------------------------------------


def _silent_runs(revenue: np.ndarray, slots: np.ndarray, step: pd.Timedelta) -> np.ndarray:
    """Buckets inside a day or more without any sale where sales were normally expected.

    A store closed on Sundays goes a day and a half without sales every week: that is
    its pattern, not a gap. A run counts when the hours it covers usually have sales
    (the share of weeks with a sale in that hour of the week adds up to at least
    three buckets' worth).
    """
    empty = revenue == 0
    silent = np.zeros(len(revenue), bool)
    if not empty.any():
        return silent
    share = pd.Series(~empty).groupby(slots).mean()
    expected_sales = share.reindex(slots).to_numpy()
    run_starts = np.flatnonzero(empty & ~np.r_[False, empty[:-1]])
    run_ends = np.flatnonzero(empty & ~np.r_[empty[1:], False]) + 1
    for a, b in zip(run_starts, run_ends):
        if (b - a) * step >= _GAP and expected_sales[a:b].sum() >= 3:
            silent[a:b] = True
    return silent


def _data_gaps(wide: pd.DataFrame, freq: str, notes: list[QualityNote]) -> np.ndarray:
    """Missing data: a day or more in which no channel sold anything in hours that normally sell.

    A single channel silent while the others sell is more likely closed (a store on a
    holiday) than missing: its baseline treats such days as closed; the note says so.
    """
    step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    slots = bucket_slots(wide.index, freq)
    gap = _silent_runs(wide.sum(axis=1).to_numpy(), slots, step)
    if gap.any():
        notes.append(
            _runs_note(
                wide.index,
                gap,
                "sales",
                "periods of a day or more with no sales at all in hours that normally "
                "have sales (treated as missing data, left out of the baseline)",
            )
        )
    if wide.shape[1] > 1:
        for channel in wide.columns:
            quiet = _silent_runs(wide[channel].to_numpy(), slots, step) & ~gap
            if quiet.any():
                notes.append(
                    _runs_note(
                        wide.index,
                        quiet,
                        "sales",
                        f"periods of a day or more without {channel} sales in hours "
                        f"that normally have them, while other channels sold (treated as {channel} closed)",
                    )
                )
    return gap


def _runs_note(grid: pd.DatetimeIndex, mask: np.ndarray, source: str, issue: str) -> QualityNote:
    starts = np.flatnonzero(mask & ~np.r_[False, mask[:-1]])
    ends = np.flatnonzero(mask & ~np.r_[mask[1:], False])
    examples = "; ".join(
        f"{grid[a]:%Y-%m-%d %H:%M} .. {grid[b]:%Y-%m-%d %H:%M}" for a, b in list(zip(starts, ends))[:3]
    )
    return QualityNote(source, issue, len(starts), examples, unit="periods")


def _prepare_outages(
    outages: pd.DataFrame, data_channels: list[str], first: pd.Timestamp, end: pd.Timestamp, notes: list[QualityNote]
) -> pd.DataFrame:
    frame = outages.copy()
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    if "channels" not in frame:
        frame["channels"] = None
    frame["incident_id"] = frame["incident_id"].astype(str)
    named = [split_channels(v, data_channels) for v in frame["channels"]]
    unknown = sorted({c for names in named for c in names if c not in data_channels})
    if unknown:
        rows = sum(any(c not in data_channels for c in names) for names in named)
        issue = "channels not found in the sales (ignored): " + ", ".join(unknown)
        notes.append(QualityNote("outages", issue, rows, unit="incidents"))
    frame["affected"] = [[c for c in names if c in data_channels] for names in named]
    # Incidents outside the span neither touch the baseline nor get reported.
    outside = (frame["end"] <= first) | (frame["start"] >= end)
    frame = (
        frame[~outside & frame["affected"].map(bool).astype(bool)]
        .sort_values("start", kind="stable")
        .reset_index(drop=True)
    )
    overlapping = (
        frame["start"].iloc[1:].to_numpy() < frame["end"].cummax().iloc[:-1].to_numpy() if len(frame) > 1 else []
    )
    if np.any(overlapping):
        ids = frame["incident_id"].iloc[1:][np.asarray(overlapping)]
        notes.append(
            QualityNote(
                "outages",
                "incidents overlapping an earlier one (measured together, then split between them)",
                int(np.sum(overlapping)),
                ", ".join(ids.head(3)),
                unit="incidents",
            )
        )
    return frame


def _prepare_campaigns(campaigns: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["campaign_id", "name", "start", "end", "channel", "spend"]
    if campaigns is None or not len(campaigns):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = campaigns.copy()
    for column in ("channel", "spend", "name"):
        if column not in frame:
            frame[column] = None
    frame["campaign_id"] = frame["campaign_id"].astype(str)
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    # object dtype: None must stay None ("every channel"), not turn into a missing string.
    frame["channel"] = pd.Series(
        [None if v is None or pd.isna(v) or not str(v).strip() else str(v).strip() for v in frame["channel"]],
        index=frame.index,
        dtype=object,
    )
    return frame[columns].reset_index(drop=True)


def _campaigns_for(campaigns: pd.DataFrame, channel: str) -> pd.DataFrame:
    applies = [c is None or c == channel for c in campaigns["channel"]]
    return campaigns[applies]


def _incident_windows(outages: pd.DataFrame, channels: list[str], recovery: pd.Timedelta) -> pd.DataFrame:
    """One row per incident and affected channel: its outage and recovery window on that channel."""
    rows = []
    for channel in channels:
        hit = outages.loc[np.array([channel in names for names in outages["affected"]], dtype=bool)]
        starts = hit["start"].to_numpy()
        for k, row in enumerate(hit.itertuples()):
            # Demand displaced by this incident can come back only until the channel's next incident starts.
            later = starts[k + 1 :]
            next_start = pd.Timestamp(later.min()) if len(later) else pd.Timestamp.max
            recovery_end = max(row.end, min(row.end + recovery, next_start))
            rows.append((row.incident_id, channel, row.start, row.end, recovery_end))
    return pd.DataFrame(rows, columns=["incident_id", "channel", "start", "end", "recovery_end"])


def _covered(grid: pd.DatetimeIndex, step: pd.Timedelta, windows: pd.DataFrame) -> np.ndarray:
    """Buckets overlapping any of the windows ``[start, recovery_end)``."""
    covered = np.zeros(len(grid), bool)
    for row in windows.itertuples():
        covered[_overlapping(grid, step, row.start, row.recovery_end)] = True
    return covered


def _overlapping(grid: pd.DatetimeIndex, step: pd.Timedelta, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    first = grid.searchsorted(start - step, side="right")
    last = grid.searchsorted(end, side="left")
    return np.arange(first, last)


def _minutes_in(grid: pd.DatetimeIndex, step: pd.Timedelta, positions: np.ndarray, start, end) -> np.ndarray:
    lo = np.maximum(grid[positions], start)
    hi = np.minimum(grid[positions] + step, end)
    return np.clip((hi - lo) / pd.Timedelta(minutes=1), 0, None).to_numpy() if len(positions) else np.zeros(0)


# --- baselines ---------------------------------------------------------------------------------


def _fit_baselines(wide, blanked, gap, campaigns, *, freq, analysed, outages, start, end, holidays, orders=None):
    channels = list(wide.columns)
    clean = {c: ~blanked[c] & ~gap for c in channels}
    first_pass = {
        c: fit_baseline(
            wide[c],
            clean=clean[c],
            freq=freq,
            channel=c,
            campaigns=_campaigns_for(campaigns, c),
            special_days=list(holidays),
            with_deviation=False,
        )
        for c in channels
    }
    closed = {c: closed_days(first_pass[c]) for c in channels}
    found = set(pd.DatetimeIndex(list(holidays)).normalize())
    for c in channels:
        found |= set(closed[c]) | set(unusual_days(first_pass[c]))
    special_days = sorted(found)
    plain = {
        c: fit_baseline(
            wide[c],
            clean=clean[c],
            freq=freq,
            channel=c,
            campaigns=_campaigns_for(campaigns, c),
            special_days=[d for d in special_days if d not in closed[c]],
            closed_on=closed[c],
            with_deviation=False,
        )
        for c in channels
    }
    deviations = {c: day_deviation(plain[c]) for c in channels}
    has_incident = set()
    for row in outages[(outages["start"] >= start) & (outages["start"] < end)].itertuples():
        has_incident |= set(row.affected) & set(analysed)
    baselines = {}
    for c in analysed:
        others = [k for k in channels if k != c]
        controls = pd.DataFrame({k: deviations[k] for k in others}) if others else None
        if controls is not None and controls.empty:
            controls = None
        fit, series = (fit_baseline, (wide[c],)) if orders is None else (fit_order_baseline, (wide[c], orders[c]))
        baselines[c] = fit(
            *series,
            clean=clean[c],
            freq=freq,
            channel=c,
            campaigns=_campaigns_for(campaigns, c),
            special_days=[d for d in special_days if d not in closed[c]],
            closed_on=closed[c],
            controls=controls,
            with_deviation=c in has_incident,
        )
    return baselines, special_days


# --- per incident ------------------------------------------------------------------------------


def _incident_draws(reported, windows, baselines, grid, step, draws, rng) -> dict:
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
        spans = [_overlapping(grid, step, row.start, row.recovery_end) for row in mine.itertuples()]
        groups = _groups_sharing_buckets(spans)
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
                outage_minutes = _minutes_in(grid, step, positions, row["start"], row["end"])
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


def _groups_sharing_buckets(spans: list[np.ndarray]) -> list[list[int]]:
    """Indices of windows linked by shared buckets (windows are sorted by start)."""
    groups: list[list[int]] = []
    reach = -1
    for i, span in enumerate(spans):
        if groups and len(span) and span[0] <= reach:
            groups[-1].append(i)
        else:
            groups.append([i])
        if len(span):
            reach = max(reach, span[-1])
    return groups


def _incident_table(reported: pd.DataFrame, draws: dict, campaigns: pd.DataFrame, level: float, point=np.mean) -> pd.DataFrame:
    """Per-incident figures; ``point`` (mean or median over the draws) gives the point estimates.

    With medians, recovered revenue is lost minus net lost (a median of a difference is not
    the difference of the medians), so the three still add up.
    """
    minutes = ((reported["end"] - reported["start"]) / pd.Timedelta(minutes=1)).to_numpy()
    campaign_ids = [_campaign_of(campaigns, row.start, row.end, row.affected) for row in reported.itertuples()]
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


def _campaign_of(campaigns: pd.DataFrame, start, end, affected) -> str | None:
    """The campaign on an affected channel that overlaps the outage most, if any."""
    best, best_overlap = None, pd.Timedelta(0)
    for row in campaigns.itertuples():
        if row.channel is not None and row.channel not in affected:
            continue
        overlap = min(end, row.end) - max(start, row.start)
        if overlap > best_overlap:
            best, best_overlap = row.campaign_id, overlap
    return best


# --- totals and campaigns ------------------------------------------------------------------------


def _totals(incidents: pd.DataFrame, net: np.ndarray, level: float, point=np.mean) -> dict:
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


def _minute_costs(
    incidents: pd.DataFrame, net: np.ndarray, level: float, rng: np.random.Generator, point=np.mean
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


def _campaign_table(campaigns, incidents, net, *, baselines, start, end, draws, level, rng, point=np.mean) -> pd.DataFrame:
    """Each campaign's incremental revenue (what its uplift added) and the share outages took.

    Point estimates use ``point`` (mean or median over the draws), as the incidents and totals do;
    the share is the ratio of the two figures shown beside it.
    """
    rows = []
    in_window = campaigns[(campaigns["end"] > start) & (campaigns["start"] < end)]
    for row in in_window.itertuples():
        incremental = np.zeros(draws)
        for channel, baseline in baselines.items():
            if row.channel is not None and row.channel != channel:
                continue
            column = baseline.campaign_columns.get(row.campaign_id)
            if column is None:
                continue
            inside = np.flatnonzero(
                (baseline.timestamps >= row.start) & (baseline.timestamps < row.end) & ~baseline.closed
            )
            coef = baseline.coefficient_draws(draws, rng)
            mu = np.exp(np.clip(baseline.log_expected(coef, inside), -50, 50))
            incremental += (mu * (1 - np.exp(-coef[:, [column]]))).sum(axis=1)
        members = np.flatnonzero((incidents["campaign_id"] == row.campaign_id).to_numpy())
        lost = net[:, members].sum(axis=1) if len(members) else np.zeros(draws)
        share = np.where(incremental > 0, lost / np.where(incremental > 0, incremental, 1), np.nan)
        rows.append(
            {
                "campaign_id": row.campaign_id,
                "name": row.name,
                "start": row.start,
                "end": row.end,
                "channel": row.channel or "all",
                "spend": row.spend,
                "incremental_revenue": float(point(incremental)),
                "incremental_revenue_low": float(np.quantile(incremental, level)),
                "incremental_revenue_high": float(np.quantile(incremental, 1 - level)),
                "incidents": len(members),
                "net_lost_revenue": float(point(lost)),
                "lost_share": float(point(lost) / point(incremental)) if point(incremental) > 0 else np.nan,
                "lost_share_low": float(np.nanquantile(share, level)) if np.isfinite(share).any() else np.nan,
                "lost_share_high": float(np.nanquantile(share, 1 - level)) if np.isfinite(share).any() else np.nan,
            }
        )
    columns = [
        "campaign_id",
        "name",
        "start",
        "end",
        "channel",
        "spend",
        "incremental_revenue",
        "incremental_revenue_low",
        "incremental_revenue_high",
        "incidents",
        "net_lost_revenue",
        "lost_share",
        "lost_share_low",
        "lost_share_high",
    ]
    return pd.DataFrame(rows, columns=columns)


# --- charts' data ------------------------------------------------------------------------------


def _timeline(baselines: dict[str, Baseline], analysed, start, end, level) -> pd.DataFrame:
    """Daily actual and expected revenue over the analysed channels, with an empirical band.

    The band is the spread of actual/expected over fully clean days (the baseline's own
    day-to-day error), applied to each day's expectation.
    """
    frames = []
    for channel in analysed:
        b = baselines[channel]
        frames.append(
            pd.DataFrame(
                {
                    "day": b.timestamps.normalize(),
                    "actual": b.actual,
                    "expected": b.expected,
                    "clean": b.clean | b.closed,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["day", "actual", "expected", "expected_low", "expected_high"])
    both = pd.concat(frames)
    daily = both.groupby("day").agg(
        actual=("actual", lambda v: v.sum(min_count=1)), expected=("expected", "sum"), clean=("clean", "all")
    )
    ratio = (daily["actual"] / daily["expected"])[daily["clean"] & (daily["expected"] > 0)].dropna()
    low, high = np.quantile(ratio, [level, 1 - level]) if len(ratio) >= 10 else (np.nan, np.nan)
    daily["expected_low"] = daily["expected"] * low
    daily["expected_high"] = daily["expected"] * high
    daily = daily[(daily.index >= start.normalize()) & (daily.index < end)]
    return daily.drop(columns="clean").reset_index()


def _zoom(reported, draws, baselines, level, step, recovery) -> pd.DataFrame:
    """Buckets around each incident, summed over its channels: actual, expected and a band.

    In the incident's windows the band comes from the counterfactual draws; around them,
    from the baseline's smoothed level and noise (a normal approximation).
    """
    frames = []
    n_draws = draws["net"].shape[0]
    noise_rng = np.random.default_rng(0)
    pad = max(_ZOOM_PAD, 3 * step)
    for row in reported.itertuples():
        pieces = []
        for channel in row.affected:
            if channel not in baselines:
                continue
            b = baselines[channel]
            targets, paths = draws["paths"].get(channel, (np.zeros(0, int), np.zeros((n_draws, 0))))
            lo = b.timestamps.searchsorted(row.start - pad)
            hi = b.timestamps.searchsorted(row.end + recovery + pad)
            positions = np.arange(lo, min(hi, len(b.timestamps)))
            sample = (
                b.smoothed[positions] + noise_rng.standard_normal((n_draws, len(positions))) * b.smoothed_sd[positions]
            )
            where = np.minimum(np.searchsorted(targets, positions), max(len(targets) - 1, 0))
            inside = (targets[where] == positions) if len(targets) else np.zeros(len(positions), bool)
            sample[:, inside] = paths[:, where[inside]]
            expected = b.smoothed[positions].copy()
            expected[inside] = paths[:, where[inside]].mean(axis=0)
            pieces.append((b.timestamps[positions], np.nan_to_num(b.actual[positions]), expected, sample, inside))
        if not pieces:
            continue
        stamps = pd.DatetimeIndex(np.unique(np.concatenate([p[0].to_numpy() for p in pieces])))
        actual, expected = np.zeros(len(stamps)), np.zeros(len(stamps))
        sample, inside = np.zeros((n_draws, len(stamps))), np.zeros(len(stamps), bool)
        for times, act, exp, smp, ins in pieces:
            at = stamps.get_indexer(times)
            actual[at] += act
            expected[at] += exp
            sample[:, at] += smp
            inside[at] |= ins
        frames.append(
            pd.DataFrame(
                {
                    "incident_id": row.incident_id,
                    "timestamp": stamps,
                    "actual": actual,
                    "expected": expected,
                    "in_window": inside,
                    "expected_low": np.quantile(sample, level, axis=0),
                    "expected_high": np.quantile(sample, 1 - level, axis=0),
                }
            )
        )
    columns = ["incident_id", "timestamp", "actual", "expected", "in_window", "expected_low", "expected_high"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
