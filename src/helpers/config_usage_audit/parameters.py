"""The parameters of ``notebooks/config_usage_audit.ipynb``: types, defaults and help, declared once.

Imports pydantic and the standard library only, so ``itvalue list`` and ``describe`` stay fast.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, field_validator

from helpers.analysis.parameters import (
    ENGINE_HELP,
    CurrencyCode,
    Engine,
    InputPath,
    NotebookParameters,
    OptionalInputPath,
    TimeZone,
    TypeName,
)

__all__ = ["Parameters"]


class Parameters(NotebookParameters):
    """Parameters of notebooks/config_usage_audit.ipynb."""

    window = ("as_of",)

    inventory_path: InputPath("inventory") = Field(
        "data/sample/inventory.csv", description="CMDB inventory: one row per populated attribute of a CI"
    )
    access_log_path: InputPath("access_log") = Field(
        "data/sample/access_log.parquet", description="Who read or wrote which configuration data, and when"
    )
    cost_path: OptionalInputPath("collection_cost") = Field(
        "data/sample/collection_cost.csv",
        description="Maintenance hours a month per attribute or class (empty = no cost figures)",
    )
    as_of: dt.date | None = Field(
        None, description="Last day of the window; value ages are measured here (empty = last day in the access log)"
    )
    window_days: int = Field(90, ge=1, description="Days of reads that count as use, ending with the as_of day")
    stale_after_days: int = Field(
        60, ge=0, description="A value is stale when its attribute's median age exceeds this many days"
    )
    stale_after_days_by_class: Annotated[
        dict[str, Annotated[int, Field(ge=0)]],
        TypeName("a mapping of class names to whole days >= 0"),
    ] = Field(
        {}, description="Staleness limit in days for particular classes, e.g. {laptop: 30}",
        examples=["{laptop: 30, mobile_device: 30}"],
    )
    excluded_processes: list[str] = Field(
        ["discovery", "audit"], description="Processes whose reads are upkeep, not use (case-insensitive)",
        examples=["[discovery, audit]"],
    )
    min_reads: int = Field(1, ge=1, description="Fewest reads in the window for an attribute to count as used")
    hourly_rate: float | None = Field(
        75.0, ge=0, description="What one hour of upkeep costs, in `currency` (empty = hours only, no money)"
    )
    currency: CurrencyCode = Field("EUR", description="Currency of hourly_rate")
    timezone: TimeZone = Field("UTC", description="Time zone of naive timestamps in the inputs")
    engine: Engine = Field("duckdb", description=ENGINE_HELP)

    @field_validator("as_of", mode="before")
    @classmethod
    def _empty_as_of_means_default(cls, value: Any) -> Any:
        # "as_of: ''" in a params file or `-p as_of ""` on the command line means "not given"
        return None if isinstance(value, str) and not value.strip() else value
