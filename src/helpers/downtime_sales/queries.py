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
    step = pd.to_timedelta(freq if freq[:1].isdigit() else f"1{freq}")
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
        ``bucket, channel, revenue, orders, rows, counted_rows, most_orders, on_quarter_hour,
        on_hour, on_day``: revenue in the sales currency; ``orders`` sums the orders column over
        the ``counted_rows`` rows where it is filled (0 where none is), ``most_orders`` is its
        largest value in one row; ``rows`` is the number of sales rows, of which ``on_*`` have a
        timestamp on a quarter-hour, hour or day boundary (how bucket totals look, what orders
        rarely do: see :mod:`.sales_shape`). Buckets without any sale are absent.
    """
    window = sales.filter(
        (sales.timestamp >= ibis.literal(start.to_pydatetime()))
        & (sales.timestamp < ibis.literal(end.to_pydatetime()))
    )
    stamp = window.timestamp
    on_minute = stamp.second() == 0
    on_hour = on_minute & (stamp.minute() == 0)
    grouped = window.group_by(**bucket_expression(stamp, freq), channel=window.channel).aggregate(
        revenue=window.revenue.sum(),
        orders=window.orders.sum(),
        rows=window.count(),
        counted_rows=window.orders.count(),
        most_orders=window.orders.max(),
        on_quarter_hour=ibis.ifelse(on_minute & (stamp.minute() % 15 == 0), 1, 0).sum(),
        on_hour=ibis.ifelse(on_hour, 1, 0).sum(),
        on_day=ibis.ifelse(on_hour & (stamp.hour() == 0), 1, 0).sum(),
    )
    frame = grouped.to_pandas()
    frame.insert(0, "bucket", bucket_start(frame, freq))
    frame = frame.drop(columns=["bucket_hour", "bucket_slot"]).sort_values(["bucket", "channel"], ignore_index=True)
    frame["channel"] = frame["channel"].astype(str)
    frame["revenue"] = frame["revenue"].astype(float)
    for column in ("orders", "most_orders", "rows", "counted_rows", "on_quarter_hour", "on_hour", "on_day"):
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype("int64")
    return frame
