"""What the report's charts show: daily actual against expected revenue, and the buckets around each incident."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.downtime_sales.baseline import Baseline

__all__ = ["timeline", "zoom"]

_ZOOM_PAD = pd.Timedelta(hours=6)


def timeline(
    baselines: dict[str, Baseline], analysed: list[str], start: pd.Timestamp, end: pd.Timestamp, level: float
) -> pd.DataFrame:
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


def zoom(
    reported: pd.DataFrame, draws: dict, baselines: dict[str, Baseline], level: float, step: pd.Timedelta,
    recovery: pd.Timedelta,
) -> pd.DataFrame:
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
