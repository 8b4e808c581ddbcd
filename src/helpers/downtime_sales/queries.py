"""Sales to time buckets, in the query engine: the only place the downtime analysis touches order rows.

Order-level sales (tens of millions of rows) stay in DuckDB; what comes back to pandas
is one row per bucket and channel (a year of hourly buckets for two channels is about
17,000 rows), plus the small outage and campaign tables.
"""

from __future__ import annotations

import ibis
import pandas as pd

from helpers.inputs.loading import time_span

__all__ = ["sales_range", "sales_buckets", "bucket_expression"]


def bucket_expression(timestamp: ibis.expr.types.TimestampValue, freq: str) -> ibis.expr.types.TimestampValue:
    """The start of the ``freq`` bucket holding each timestamp (``"h"``, ``"15min"``, ``"D"``...)."""
    step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    if step == pd.Timedelta(days=1):
        return timestamp.truncate("D")
    if step == pd.Timedelta(hours=1):
        return timestamp.truncate("h")
    if step < pd.Timedelta(hours=1) and pd.Timedelta(hours=1) % step == pd.Timedelta(0):
        return timestamp.bucket(minutes=int(step / pd.Timedelta(minutes=1)))
    raise ValueError(f"bucket size {freq!r} is not supported; use 'h', '15min' or 'D'")


def sales_range(sales: ibis.Table) -> tuple[pd.Timestamp | None, pd.Timestamp | None, list[str]]:
    """First and last sale timestamps and the channels found, in one query each."""
    first, last = time_span(sales, "timestamp")
    channels = sales.select("channel").distinct().order_by("channel").to_pandas()["channel"].tolist()
    return (
        first,
        last,
        [str(c) for c in channels],
    )


def sales_buckets(sales: ibis.Table, *, start: pd.Timestamp, end: pd.Timestamp, freq: str) -> pd.DataFrame:
    """Revenue and orders per bucket and channel for sales in ``[start, end)``.

    Returns
    -------
    pandas.DataFrame
        ``bucket, channel, revenue, orders, rows``: revenue in the sales currency;
        ``orders`` sums the orders column (rows where it is empty count as one order
        each only if the whole column is empty); ``rows`` is the number of sales rows.
        Buckets without any sale are absent.
    """
    window = sales.filter(
        (sales.timestamp >= ibis.literal(start.to_pydatetime()))
        & (sales.timestamp < ibis.literal(end.to_pydatetime()))
    )
    grouped = window.group_by(bucket=bucket_expression(window.timestamp, freq), channel=window.channel).aggregate(
        revenue=window.revenue.sum(),
        orders=window.orders.sum(),
        rows=window.count(),
    )
    frame = grouped.order_by(["bucket", "channel"]).to_pandas()
    frame["bucket"] = pd.to_datetime(frame["bucket"])
    frame["channel"] = frame["channel"].astype(str)
    frame["revenue"] = frame["revenue"].astype(float)
    frame["orders"] = pd.to_numeric(frame["orders"]).fillna(frame["rows"]).astype("int64")
    return frame
