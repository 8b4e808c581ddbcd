"""Outages on the bucket grid: which buckets each incident owns, as outage and as recovery.

For every channel an incident hits, it owns two windows of buckets: its outage (every bucket the
outage overlaps) and its recovery (buckets overlapping the ``recovery_hours`` after it ends, up to
the start of the channel's next incident). Those windows, for all incidents, are left out of the
channel's baseline.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.inputs.quality import QualityNote

__all__ = [
    "split_channels", "prepare_outages", "incident_windows", "covered", "overlapping", "minutes_in",
    "groups_sharing_buckets",
]


def split_channels(value: object, known: Sequence[str]) -> list[str]:
    """The channels an outage names (``"web;store"``); empty or missing means all ``known``."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip():
        return list(known)
    return [part.strip() for part in str(value).split(";") if part.strip()]


def prepare_outages(
    outages: pd.DataFrame, data_channels: list[str], first: pd.Timestamp, end: pd.Timestamp, notes: list[QualityNote]
) -> pd.DataFrame:
    """The outages that touch ``[first, end)``, by start, with ``affected``: the sales channels each one hit.

    Unknown channels and overlapping incidents become notes (appended to ``notes``).
    """
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


def incident_windows(outages: pd.DataFrame, channels: list[str], recovery: pd.Timedelta) -> pd.DataFrame:
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


def covered(grid: pd.DatetimeIndex, step: pd.Timedelta, windows: pd.DataFrame) -> np.ndarray:
    """Buckets overlapping any of the windows ``[start, recovery_end)``."""
    covered = np.zeros(len(grid), bool)
    for row in windows.itertuples():
        covered[overlapping(grid, step, row.start, row.recovery_end)] = True
    return covered


def overlapping(grid: pd.DatetimeIndex, step: pd.Timedelta, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Positions of the buckets that overlap ``[start, end)``."""
    first = grid.searchsorted(start - step, side="right")
    last = grid.searchsorted(end, side="left")
    return np.arange(first, last)


def groups_sharing_buckets(spans: list[np.ndarray]) -> list[list[int]]:
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


def minutes_in(grid: pd.DatetimeIndex, step: pd.Timedelta, positions: np.ndarray, start: pd.Timestamp,
               end: pd.Timestamp) -> np.ndarray:
    """Minutes of ``[start, end)`` inside each of the buckets at ``positions``."""
    if not len(positions):
        return np.zeros(0)
    # DatetimeIndex.where rather than np.maximum: pandas 2.2 cannot compare its index with a Timestamp
    # inside a NumPy ufunc ("'>=' not supported between 'int' and 'Timestamp'").
    first = grid[positions]
    last = first + step
    lo = first.where(first > start, start)
    hi = last.where(last < end, end)
    return np.clip(np.asarray((hi - lo) / pd.Timedelta(minutes=1), dtype=float), 0, None)
