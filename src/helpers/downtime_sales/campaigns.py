"""Campaigns: which one an outage fell in, and the share of each campaign's extra revenue outages took.

Money is in the sales currency.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["prepare_campaigns", "campaigns_for", "campaign_of", "campaign_table"]


def prepare_campaigns(campaigns: pd.DataFrame | None) -> pd.DataFrame:
    """``campaign_id, name, start, end, channel, spend``; ``channel`` None means every channel."""
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


def campaigns_for(campaigns: pd.DataFrame, channel: str) -> pd.DataFrame:
    """The campaigns that apply to ``channel``."""
    applies = [c is None or c == channel for c in campaigns["channel"]]
    return campaigns[applies]


def campaign_of(campaigns: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, affected: list[str]) -> str | None:
    """The campaign on an affected channel that overlaps the outage most, if any."""
    best, best_overlap = None, pd.Timedelta(0)
    for row in campaigns.itertuples():
        if row.channel is not None and row.channel not in affected:
            continue
        overlap = min(end, row.end) - max(start, row.start)
        if overlap > best_overlap:
            best, best_overlap = row.campaign_id, overlap
    return best


def campaign_table(
    campaigns: pd.DataFrame, incidents: pd.DataFrame, net: np.ndarray, *, baselines: dict, start: pd.Timestamp,
    end: pd.Timestamp, draws: int, level: float, rng: np.random.Generator, point: Callable = np.median,
) -> pd.DataFrame:
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
