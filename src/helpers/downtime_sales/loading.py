"""Validate the downtime inputs and aggregate order-level sales to buckets in the query engine.

All money is in the sales currency (the ``currency`` parameter only labels it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from helpers.downtime_sales.parameters import Parameters
from helpers.downtime_sales.queries import sales_buckets, sales_range
from helpers.downtime_sales.sales_shape import check_grain
from helpers.exceptions import InputDataError, ParameterError
from helpers.inputs import loading as inputs
from helpers.inputs.quality import QualityNote

__all__ = ["Inputs", "load_inputs"]

#: The baseline learns from up to this much history before the window ...
HISTORY = pd.Timedelta(weeks=26)
#: ... and this much after it (a campaign's effect is clearer with its aftermath).
AFTERMATH = pd.Timedelta(weeks=4)
#: Less history than this for the weekly pattern earns a data-quality note.
MIN_HISTORY = pd.Timedelta(weeks=8)



@dataclass(frozen=True, eq=False)
class Inputs:
    """The inputs, ready for :func:`analyse`.

    Attributes
    ----------
    buckets : pandas.DataFrame
        ``bucket, channel, revenue, orders`` per bucket with sales, over ``span``, and the facts
        about the rows behind them that choose the model (see :func:`.queries.sales_buckets`).
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

    @classmethod
    def from_buckets(
        cls, buckets: pd.DataFrame, outages: pd.DataFrame, campaigns: pd.DataFrame | None = None, *,
        span: tuple[pd.Timestamp, pd.Timestamp], start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
    ) -> Inputs:
        """Inputs from sales already in buckets (``bucket, channel, revenue`` and, for orders, ``orders``).

        For a notebook's or a test's own frames: with ``orders`` the buckets are taken as order-level
        sales, without as revenue only. Incidents in ``[start, end)`` (default: the span) are reported.
        """
        empty = pd.DataFrame(columns=["campaign_id", "name", "start", "end", "channel", "spend"])
        span = (pd.Timestamp(span[0]), pd.Timestamp(span[1]))
        return cls(buckets, outages, campaigns if campaigns is not None else empty, span,
                   pd.Timestamp(start) if start is not None else span[0], pd.Timestamp(end) if end is not None else span[1],
                   sorted(buckets["channel"].unique().tolist()))


def load_inputs(params: Parameters, *, con: Any = None) -> Inputs:
    """Validate the inputs and aggregate the sales to ``params.freq`` buckets in the query engine.

    ``con`` is an Ibis backend (see :func:`helpers.inputs.loading.connect_engine`); by
    default the one ``params.engine`` names, closed when done.

    Raises
    ------
    helpers.exceptions.InputDataError
        An input breaks its schema (one sentence naming file, column and rows).
    helpers.exceptions.ParameterError
        The window holds no sales.
    """
    own = con is None
    con = con if con is not None else inputs.connect_engine(params.engine, params.timezone)
    try:
        sales = inputs.open_input(params.sales_path, "sales", con=con, timezone=params.timezone)
        window = _sales_window(sales, params)
        buckets, span, channels = window.buckets, window.span, window.channels
        start, end, data_start, data_end = window.start, window.end, window.data_start, window.data_end
        # Gaps in the sales are found on the buckets (see .buckets), where a store's
        # closed Sundays can be told from missing data.
        notes: list[QualityNote] = []
        outages = inputs.load_input(params.outages_path, "outages", timezone=params.timezone, con=con)
        if params.campaigns_path:
            campaigns = inputs.load_input(params.campaigns_path, "campaigns", timezone=params.timezone, con=con)
        else:
            campaigns = pd.DataFrame(columns=["campaign_id", "name", "start", "end", "channel", "spend"])
    finally:
        # A Spark session is shared by the whole process (and may be a cluster's): not stopped here.
        if own and con.name != "pyspark":
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
    return Inputs(buckets, outages, campaigns, span, start, end, channels, notes)


#: Fewest buckets with sales a channel's baseline can be fitted on (see baseline.fit_baseline).
_MIN_FIT_BUCKETS = 2


@dataclass(frozen=True)
class _Window:
    buckets: pd.DataFrame
    span: tuple[pd.Timestamp, pd.Timestamp]
    start: pd.Timestamp
    end: pd.Timestamp
    data_start: pd.Timestamp
    data_end: pd.Timestamp
    channels: list[str]


def check_sales_window(params: Parameters, *, con: Any = None) -> None:
    """Raise ParameterError or InputDataError if the channels or the window do not fit the sales.

    What :func:`load_inputs` checks first, for the runner to find before any kernel starts (on ``con``,
    the runner's DuckDB connection; a new one when None).
    """
    own = con is None
    con = inputs.connect(params.timezone) if own else con
    try:
        _sales_window(inputs.open_input(params.sales_path, "sales", con=con, timezone=params.timezone), params)
    finally:
        if own:
            con.disconnect()


def _sales_window(sales: Any, params: Parameters) -> _Window:
    """The window, the buckets around it and the channels; one sentence if they hold no sales."""
    first, last, channels = sales_range(sales)
    if first is None:
        raise InputDataError(f"Parameter 'sales_path': {params.sales_path} holds no sales.")
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
    check_grain(buckets, params.freq)
    if buckets[buckets["channel"].isin(params.channels or channels)].empty:
        raise ParameterError(
            f"The window {start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d} and the weeks around it "
            f"hold no sales of {_quoted(params.channels or channels)}; {data_range}."
        )
    per_channel = buckets[buckets["rows"] > 0].groupby("channel").size()
    thin = [c for c in params.channels or channels if per_channel.get(c, 0) < _MIN_FIT_BUCKETS]
    if thin:
        raise ParameterError(
            f"The window {start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d} is too short to measure: "
            f"channel '{thin[0]}' has {int(per_channel.get(thin[0], 0))} bucket(s) with sales in it and the weeks "
            f"around it, and a baseline needs at least {_MIN_FIT_BUCKETS}; widen it with 'start' and 'end'."
        )
    return _Window(buckets, span, start, end, data_start, data_end, channels)


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)
