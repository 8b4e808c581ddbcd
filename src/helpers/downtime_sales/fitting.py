"""The baselines of the measured channels, fitted on their clean buckets (see :mod:`.baseline`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.downtime_sales.baseline import Baseline, closed_days, day_deviation, fit_baseline, unusual_days
from helpers.downtime_sales.buckets import SalesGrid
from helpers.downtime_sales.campaigns import campaigns_for
from helpers.downtime_sales.order_model import fit_order_baseline

__all__ = ["fit_baselines"]


def fit_baselines(
    sales: SalesGrid, blanked: dict[str, np.ndarray], campaigns: pd.DataFrame, *, freq: str, analysed: list[str],
    with_incidents: set[str], holidays: Sequence[pd.Timestamp],
) -> tuple[dict[str, Baseline], list[pd.Timestamp]]:
    """Fit the baseline of every analysed channel; return them and the special days found.

    Every channel first gets a plain fit (no drift) to find the days it was closed and the days
    far off its pattern; the analysed channels are then fitted with those days as special days
    and the other channels' day-level deviations as controls. ``blanked`` holds, per channel,
    the buckets of every incident's outage and recovery; they and the data gaps are left out.
    Channels in ``with_incidents`` also get the drift and noise model their draws need. With
    order counts (order-level sales), the analysed channels get :class:`~.order_model.OrderBaseline`.
    """
    wide, gap, orders = sales.revenue, sales.gap, sales.orders
    channels = list(wide.columns)
    clean = {c: ~blanked[c] & ~gap for c in channels}
    first_pass = {
        c: fit_baseline(
            wide[c],
            clean=clean[c],
            freq=freq,
            channel=c,
            campaigns=campaigns_for(campaigns, c),
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
            campaigns=campaigns_for(campaigns, c),
            special_days=[d for d in special_days if d not in closed[c]],
            closed_on=closed[c],
            with_deviation=False,
        )
        for c in channels
    }
    deviations = {c: day_deviation(plain[c]) for c in channels}
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
            campaigns=campaigns_for(campaigns, c),
            special_days=[d for d in special_days if d not in closed[c]],
            closed_on=closed[c],
            controls=controls,
            with_deviation=c in with_incidents,
        )
    return baselines, special_days
