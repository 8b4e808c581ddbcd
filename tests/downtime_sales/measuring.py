"""Measure sales already in buckets, as the analysis does after its query: for tests' own frames."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from helpers.downtime_sales import Parameters
from helpers.downtime_sales.analysis import analyse
from helpers.downtime_sales.baseline import bucket_step
from helpers.downtime_sales.loading import Inputs
from helpers.downtime_sales.result import Result


def measure_buckets(
    buckets: pd.DataFrame, outages: pd.DataFrame, campaigns: pd.DataFrame | None = None, *, freq: str = "h",
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None, draws: int = 500, seed: int = 0,
    recovery_hours: float = 3.0, channels: Sequence[str] = (),
) -> Result:
    """The analysis of ``bucket, channel, revenue[, orders]`` rows (with ``orders``: order-level sales)."""
    if span is None:
        span = (buckets["bucket"].min().floor(freq), buckets["bucket"].max().floor(freq) + bucket_step(freq))
    params = Parameters.validate_values(
        {"freq": freq, "recovery_hours": recovery_hours, "channels": list(channels)}, check_inputs=False
    )
    return analyse(Inputs.from_buckets(buckets, outages, campaigns, span=span), params, draws=draws, seed=seed)


def measure_world(world, folder, *, draws: int = 500, seed: int = 0, **parameters: object) -> Result:
    """A simulated world (:mod:`worlds`) analysed as a user's files are: Parquet and CSV through the query engine."""
    from helpers.downtime_sales.loading import load_inputs

    params = Parameters.validate_values({**world.write(folder), **parameters})
    return analyse(load_inputs(params), params, draws=draws, seed=seed)
