"""Sales to time buckets, in the query engine: the only place the downtime analysis touches order rows.

Order-level sales (tens of millions of rows) stay in the engine (DuckDB or Spark); what comes back to pandas
is one row per bucket and channel (a year of hourly buckets for two channels is about
17,000 rows), plus the small outage and campaign tables.
"""

from __future__ import annotations

import ibis
import pandas as pd

from helpers.inputs.loading import time_span

__all__ = ["sales_range", "sales_buckets", "bucket_expression", "bucket_start"]


def bucket_expression(timestamp: ibis.expr.types.TimestampValue, freq: str) -> dict[str, ibis.Value]:
    """The keys of the ``freq`` bucket holding each timestamp (``"h"``, ``"15min"``, ``"D"``...).

    A bucket is named by the hour (or day) it falls in and, for buckets shorter than an
    hour, its slot within that hour (``minute // size``): plain truncation and integer
    arithmetic, which every engine compiles (Ibis's ``TimestampBucket`` does not compile
    on PySpark). :func:`bucket_start` turns the keys back into the bucket's start.

    Returns
    -------
    dict
        ``{"bucket_hour": timestamp, "bucket_slot": integer}``, to pass to ``group_by``.
    """
    minutes = _bucket_minutes(freq)
    if minutes == 24 * 60:
        return {"bucket_hour": timestamp.truncate("D"), "bucket_slot": ibis.literal(0)}
    return {"bucket_hour": timestamp.truncate("h"), "bucket_slot": timestamp.minute() // minutes}


def bucket_start(frame: pd.DataFrame, freq: str) -> pd.Series:
    """The start of each bucket of an aggregate grouped by :func:`bucket_expression` (naive timestamps)."""
    minutes = _bucket_minutes(freq) % (24 * 60)
    slots = pd.to_numeric(frame["bucket_slot"]).astype("int64")
    # Microseconds, as every engine's timestamps (Spark's pandas conversion would give nanoseconds).
    hours = pd.to_datetime(frame["bucket_hour"]).astype("datetime64[us]")
    return hours + pd.to_timedelta(slots * minutes, unit="min").astype("timedelta64[us]")


def _bucket_minutes(freq: str) -> int:
    step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    if step in (pd.Timedelta(days=1), pd.Timedelta(hours=1)):
        return int(step / pd.Timedelta(minutes=1))
    if pd.Timedelta(minutes=1) <= step < pd.Timedelta(hours=1) and pd.Timedelta(hours=1) % step == pd.Timedelta(0):
        return int(step / pd.Timedelta(minutes=1))
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
    grouped = window.group_by(**bucket_expression(window.timestamp, freq), channel=window.channel).aggregate(
        revenue=window.revenue.sum(),
        orders=window.orders.sum(),
        rows=window.count(),
    )
    frame = grouped.to_pandas()
    frame.insert(0, "bucket", bucket_start(frame, freq))
    frame = frame.drop(columns=["bucket_hour", "bucket_slot"]).sort_values(["bucket", "channel"], ignore_index=True)
    frame["channel"] = frame["channel"].astype(str)
    frame["revenue"] = frame["revenue"].astype(float)
    frame["orders"] = pd.to_numeric(frame["orders"]).fillna(frame["rows"]).astype("int64")
    return frame
