"""Campaign downtime to sales: measure every outage in the window against its baseline.

The baseline model lives in :mod:`.baseline`, the per-incident figures and their intervals in
:mod:`.outage_cost`. All money is in the sales currency; durations are in minutes.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from helpers.downtime_sales.baseline import TooFewSales
from helpers.downtime_sales.loading import Inputs
from helpers.downtime_sales.outage_cost import measure_outages
from helpers.downtime_sales.parameters import Parameters
from helpers.downtime_sales.result import Result
from helpers.exceptions import ParameterError

__all__ = ["DRAWS", "PLACEBO_WINDOWS", "analyse"]

#: Counterfactual paths drawn per channel; enough for stable 95 % intervals.
DRAWS = 1000
#: Outage-free windows the report measures as a placebo check (see :mod:`.placebo`).
PLACEBO_WINDOWS = 200


def analyse(data: Inputs, params: Parameters, *, draws: int = DRAWS, seed: int = 0) -> Result:
    """Measure every incident in the window: see :func:`helpers.downtime_sales.outage_cost.measure_outages`.

    Raises
    ------
    helpers.exceptions.ParameterError
        A measured channel has too few sales in and around the window to fit its baseline.
    """
    try:
        costs = _measure(data, params, draws=draws, seed=seed)
    except TooFewSales as exc:
        raise ParameterError(
            f"The window {data.start:%Y-%m-%d} to {data.end - pd.Timedelta(days=1):%Y-%m-%d} is too short to "
            f"measure: {exc}; widen it with 'start' and 'end'."
        ) from None
    return dataclasses.replace(costs, params=params, quality_notes=[*data.notes, *costs.quality_notes])


def _measure(data: Inputs, params: Parameters, *, draws: int, seed: int) -> Result:
    return measure_outages(
        data.buckets,
        data.outages,
        data.campaigns,
        freq=params.freq,
        recovery_hours=params.recovery_hours,
        confidence=params.confidence,
        span=data.span,
        start=data.start,
        end=data.end,
        channels=params.channels,
        holidays=[pd.Timestamp(d) for d in params.holidays],
        draws=draws,
        seed=seed,
        placebo_windows=PLACEBO_WINDOWS,
    )
