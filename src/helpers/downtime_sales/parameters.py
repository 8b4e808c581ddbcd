"""The parameters of ``notebooks/downtime_sales.ipynb``: types, defaults and help, declared once.

Imports pydantic and the standard library only, so ``itvalue list`` and ``describe`` stay fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal, Self

from pydantic import Field

from helpers.analysis.parameters import ENGINE_HELP, Engine, InputPath, NotebookParameters, OptionalInputPath, TimeZone
from helpers.exceptions import ParameterError

__all__ = ["Parameters"]


class Parameters(NotebookParameters):
    """Parameters of ``notebooks/downtime_sales.ipynb``."""

    ordered = (("start", "end"),)

    sales_path: InputPath("sales") = Field(  # type: ignore[valid-type]
        "data/sample/sales.parquet", description="Sales: orders or pre-aggregated buckets with revenue"
    )
    outages_path: InputPath("outages") = Field(  # type: ignore[valid-type]
        "data/sample/outages.csv", description="Outages: incident id, start, end, channels affected"
    )
    campaigns_path: OptionalInputPath("campaigns") = Field(  # type: ignore[valid-type]
        "data/sample/campaigns.csv", description="Marketing campaigns (empty = none)"
    )
    start: dt.date | None = Field(None, description="First day whose incidents are reported (empty = first sale)")
    end: dt.date | None = Field(None, description="Last day whose incidents are reported (empty = last sale)")
    last_days: int | None = Field(
        None, ge=1, description="Report only the last N days of data (instead of start), for scheduled runs"
    )
    freq: Literal["h", "15min", "D"] = Field("h", description="Bucket size: hour, 15 minutes or day")
    recovery_hours: float = Field(
        3.0, ge=0, le=48, description="Hours after an outage in which displaced demand may come back"
    )
    channels: list[str] = Field(
        [], description="Sales channels to measure (empty = all); the others act as controls", examples=["[web]"]
    )
    confidence: float = Field(0.95, gt=0.5, lt=1, description="Level of every interval")
    currency: str = Field("EUR", min_length=1, max_length=12, description="Currency of the revenue, as a label")
    timezone: TimeZone = Field("UTC", description="Time zone of naive timestamps and of days")
    holidays: list[dt.date] = Field(
        [],
        description="Extra special days for the baseline (days a channel was closed are found in the data)",
        examples=["[2024-12-24, 2024-12-31]"],
    )
    engine: Engine = Field("duckdb", description=ENGINE_HELP)

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], *, check_inputs: bool = True) -> Self:
        """Validate as the base class does, then the rules between parameters (one sentence each)."""
        params = super().validate_values(values, check_inputs=check_inputs)
        if params.start and params.last_days:
            raise ParameterError("Give either 'start' or 'last_days', not both.")
        return params
