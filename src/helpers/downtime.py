"""Campaign downtime to sales: what each outage cost in revenue, net of demand that came back.

For ``notebooks/downtime_sales.ipynb``. The notebook reads as::

    params = downtime.DowntimeParameters.from_notebook(globals())
    data = downtime.load_inputs(params)        # sales aggregated to buckets in DuckDB
    costs = downtime.analyse(data, params)     # baselines, counterfactual draws, figures
    report.headline(*downtime.headline_sentences(costs, currency=params.currency))
    downtime.timeline_plot(costs.timeline, outages=costs.incidents, currency=params.currency)
    ...
    report.publish_results(downtime.results(costs, params))

Where the pieces live: the aggregation of order rows in :mod:`helpers.downtime_queries`;
the baseline model in :mod:`helpers.sales_baseline`; the per-incident figures in
:mod:`helpers.outage_cost`; charts in :mod:`helpers.downtime_plots`; the headline,
tables and ``results.json`` in :mod:`helpers.downtime_report`. The CausalImpact-style
estimator :func:`estimate_impact` (in :mod:`helpers.impact`) is re-exported here for
analyses of a single series around one intervention.

All money is in the sales currency (the ``currency`` parameter only labels it);
durations are in minutes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Self

import pandas as pd
from pydantic import Field

from . import inputs
from .downtime_plots import campaign_plot, campaign_share_plot, costliest_plot, incidents_plot, timeline_plot
from .downtime_queries import sales_buckets, sales_range
from .downtime_report import (
    campaign_table,
    headline_sentences,
    incident_table,
    incident_table_caption,
    method_notes,
    results,
)
from .exceptions import ParameterError
from .impact import ImpactResult, estimate_impact
from .inputs import QualityNote
from .outage_cost import OutageCosts, measure_outages
from .sales_baseline import TooFewSales
from .parameters import InputPath, NotebookParameters, OptionalInputPath, TimeZone

__all__ = [
    "DowntimeParameters",
    "DowntimeInputs",
    "OutageCosts",
    "load_inputs",
    "analyse",
    "measure_outages",
    "estimate_impact",
    "ImpactResult",
    # charts
    "timeline_plot",
    "incidents_plot",
    "costliest_plot",
    "campaign_plot",
    "campaign_share_plot",
    # report text, tables and results.json
    "headline_sentences",
    "incident_table",
    "incident_table_caption",
    "campaign_table",
    "method_notes",
    "results",
]

#: Counterfactual paths drawn per channel; enough for stable 95 % intervals.
DRAWS = 1000
#: The baseline learns from up to this much history before the window ...
HISTORY = pd.Timedelta(weeks=26)
#: ... and this much after it (a campaign's effect is clearer with its aftermath).
AFTERMATH = pd.Timedelta(weeks=4)
#: Less history than this for the weekly pattern earns a data-quality note.
MIN_HISTORY = pd.Timedelta(weeks=8)


class DowntimeParameters(NotebookParameters):
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
    channels: list[str] = Field([], description="Sales channels to measure (empty = all); the others act as controls")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="Level of every interval")
    currency: str = Field("EUR", min_length=1, description="Currency of the revenue, as a label")
    timezone: TimeZone = Field("UTC", description="Time zone of naive timestamps and of days")
    holidays: list[dt.date] = Field(
        [], description="Extra special days for the baseline (days a channel was closed are found in the data)"
    )

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], *, check_inputs: bool = True) -> Self:
        """Validate as the base class does, then the rules between parameters (one sentence each)."""
        params = super().validate_values(values, check_inputs=check_inputs)
        if params.start and params.last_days:
            raise ParameterError("Give either 'start' or 'last_days', not both.")
        return params


@dataclass(frozen=True, eq=False)
class DowntimeInputs:
    """The inputs, ready for :func:`analyse`.

    Attributes
    ----------
    buckets : pandas.DataFrame
        ``bucket, channel, revenue, orders, rows`` per bucket with sales, over ``span``.
    outages, campaigns : pandas.DataFrame
        As loaded (validated); ``campaigns`` may be empty.
    span : (Timestamp, Timestamp)
        The buckets the baseline is fitted on, ``[first, end)``.
    start, end : Timestamp
        Incidents starting in ``[start, end)`` are reported.
    channels : list of str
        Channels found in the sales.
    notes : list of QualityNote
    """

    buckets: pd.DataFrame
    outages: pd.DataFrame
    campaigns: pd.DataFrame
    span: tuple[pd.Timestamp, pd.Timestamp]
    start: pd.Timestamp
    end: pd.Timestamp
    channels: list[str]
    notes: list[QualityNote] = field(default_factory=list)


def load_inputs(params: DowntimeParameters) -> DowntimeInputs:
    """Validate the inputs and aggregate the sales to ``params.freq`` buckets in DuckDB.

    Raises
    ------
    helpers.exceptions.InputDataError
        An input breaks its schema (one sentence naming file, column and rows).
    helpers.exceptions.ParameterError
        The window holds no sales.
    """
    con = inputs.connect(params.timezone)
    try:
        sales = inputs.open_input(params.sales_path, "sales", con=con, timezone=params.timezone)
        first, last, channels = sales_range(sales)
        if first is None:
            raise ParameterError(f"Parameter 'sales_path': {params.sales_path} holds no sales.")
        data_start, data_end = first.floor("D"), last.floor("D") + pd.Timedelta(days=1)
        data_range = f"the sales run from {data_start:%Y-%m-%d} to {data_end - pd.Timedelta(days=1):%Y-%m-%d}"
        unknown = [c for c in params.channels if c not in channels]
        if unknown:
            raise ParameterError(
                f"Parameter 'channels': no sales on {_quoted(unknown)}; the sales have "
                f"{'channel' if len(channels) == 1 else 'channels'} {_quoted(channels)}."
            )
        end = pd.Timestamp(params.end) + pd.Timedelta(days=1) if params.end else data_end
        if params.last_days:
            start = end - pd.Timedelta(days=params.last_days)
        else:
            start = pd.Timestamp(params.start) if params.start else data_start
        if params.start and start >= data_end:
            raise ParameterError(f"Parameter 'start' ({params.start}) is after the last sale; {data_range}.")
        if params.end and end <= data_start:
            raise ParameterError(f"Parameter 'end' ({params.end}) is before the first sale; {data_range}.")
        if start >= data_end or end <= data_start:
            raise ParameterError(
                f"The window {start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d} holds no sales; {data_range}."
            )
        span = (max(data_start, start - HISTORY), min(data_end, end + AFTERMATH))
        buckets = sales_buckets(sales, start=span[0], end=span[1], freq=params.freq)
        measured = buckets[buckets["channel"].isin(params.channels or channels)]
        if measured.empty:
            raise ParameterError(
                f"The window {start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d} and the weeks around it "
                f"hold no sales of {_quoted(params.channels or channels)}; {data_range}."
            )
        # Gaps in the sales are found on the buckets (see measure_outages), where a store's
        # closed Sundays can be told from missing data.
        notes: list[QualityNote] = []
        outages = inputs.load_input(params.outages_path, "outages", timezone=params.timezone, con=con)
        if params.campaigns_path:
            campaigns = inputs.load_input(params.campaigns_path, "campaigns", timezone=params.timezone, con=con)
        else:
            campaigns = pd.DataFrame(columns=["campaign_id", "name", "start", "end", "channel", "spend"])
    finally:
        con.disconnect()
    if span[1] - span[0] < MIN_HISTORY:
        notes.append(
            QualityNote(
                "sales", "less than 8 weeks of sales to learn the weekly pattern from (intervals are wider)",
                len(buckets), f"{span[0]:%Y-%m-%d} to {span[1] - pd.Timedelta(days=1):%Y-%m-%d}", unit="buckets",
            )
        )
    outside = (outages["end"] <= data_start) | (outages["start"] >= data_end)
    if outside.any():
        notes.append(
            QualityNote(
                "outages", "incidents outside the period the sales cover (not measured)",
                int(outside.sum()), ", ".join(outages.loc[outside, "incident_id"].astype(str).head(3)), unit="incidents",
            )
        )
    return DowntimeInputs(buckets, outages, campaigns, span, start, end, channels, notes)


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def analyse(data: DowntimeInputs, params: DowntimeParameters, *, draws: int = DRAWS, seed: int = 0) -> OutageCosts:
    """Measure every incident in the window: see :func:`helpers.outage_cost.measure_outages`.

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
    return dataclasses.replace(costs, notes=[*data.notes, *costs.notes])


def _measure(data: DowntimeInputs, params: DowntimeParameters, *, draws: int, seed: int) -> OutageCosts:
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
    )
