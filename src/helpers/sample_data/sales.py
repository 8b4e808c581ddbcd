"""Sample sales with planted outage losses: order-level sales, outages and campaigns.

Writes, in ``out_dir``:

- ``sales.parquet``: one row per order (``timestamp, revenue, orders, channel``), web and
  store, 2024-01-01 to 2025-01-31, streamed a few weeks at a time;
- ``outages.csv``: 26 to 34 web incidents of 10 minutes to 6 hours (``incident_id, start,
  end, service, severity, channels``), several inside campaigns, three pairs back to back;
- ``campaigns.csv``: five campaigns (``campaign_id, name, start, end, channel, spend``);
  an empty ``channel`` means every channel.

How the orders are made (expected orders per hour, then Poisson counts):

- a growth trend (+18 % a year) and a yearly cycle (December +10 %, June -10 %);
- daily and weekly seasonality: the web shop sells round the clock with an evening peak
  and busy Sundays; the store opens 09:00-20:00 Monday to Saturday, so its nights,
  Sundays and public holidays have no sales at all;
- public holidays (a German-style calendar): web +25 % (Christmas and New Year's Day -30 %);
- campaigns lift orders on their channels by a planted factor (x1.3 to x1.7);
- a day-level demand shock per channel (partly shared between channels, so the store
  says something about the web shop's day);
- order values are log-normal, plus rare wholesale orders with a Pareto tail (up to
  10,000 EUR on the web, 15,000 in the store): revenue is heavy-tailed.

During an outage each web order is lost with the incident's loss share (1.0 for a
checkout outage, 0.4 for degraded search...). A share of the lost orders comes back
after the outage, at an exponentially distributed delay (mean 40 minutes), within the
3-hour recovery window and before the next incident starts. The returning customer
buys the same basket.

The truth, per incident, is what the analysis should estimate: expected gross lost
revenue (expected orders in the outage, given that day's demand, times the loss share
times the mean order value), expected recovered revenue and expected net loss, plus
the realized values of this sample's lost and returned orders. Per campaign: its
uplift, expected incremental revenue and the share of it that outages took. All
amounts in EUR; ``scale`` multiplies the orders (and every amount) by ``scale``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ._parquet import write_parquet_chunks

__all__ = [
    "generate", "seeded", "SalesPlan", "plan_sales", "draw_orders", "expected_truth", "mean_order_value", "public_holidays",
]

START = dt.datetime(2024, 1, 1)
END = dt.datetime(2025, 2, 1)
CURRENCY = "EUR"
RECOVERY_HOURS = 3
CHANNELS = ("web", "store")

# Expected orders per hour at the start, before seasonality (web: any hour; store: an open hour).
_BASE_ORDERS = {"web": 13.0, "store": 18.0}
_GROWTH_PER_YEAR = 0.18
_YEARLY_AMPLITUDE = 0.10

_WEB_HOURS = np.array(
    [0.35, 0.22, 0.15, 0.12, 0.12, 0.18, 0.35, 0.6, 0.85, 1.0, 1.1, 1.15,
     1.2, 1.15, 1.1, 1.1, 1.15, 1.25, 1.4, 1.6, 1.75, 1.6, 1.2, 0.7]
)
_WEB_WEEKDAYS = np.array([1.0, 0.97, 0.97, 1.0, 0.95, 0.9, 1.2])  # Monday first
_STORE_HOURS = np.zeros(24)
_STORE_HOURS[9:20] = [0.6, 0.8, 1.0, 1.2, 1.25, 1.1, 1.0, 1.05, 1.15, 1.2, 0.9]
_STORE_WEEKDAYS = np.array([1.0, 1.0, 1.0, 1.05, 1.1, 1.45, 0.0])

_HOLIDAY_WEB = 1.25
_QUIET_HOLIDAYS = {(12, 25), (12, 26), (1, 1)}  # web is quiet on these instead
_QUIET_WEB = 0.7

_SHOCK_COMMON_SD, _SHOCK_COMMON_AR, _SHOCK_OWN_SD = 0.07, 0.5, 0.04

# Order values (EUR): log-normal baskets plus rare wholesale orders with a Pareto tail.
_VALUES = {
    "web": {"median": 42.0, "sigma": 0.7, "wholesale": 0.002, "floor": 400.0, "tail": 1.7, "cap": 10_000.0},
    "store": {"median": 28.0, "sigma": 0.6, "wholesale": 0.002, "floor": 300.0, "tail": 1.8, "cap": 15_000.0},
}

_CAMPAIGNS = [
    # id, name, start, end, channel ("" = all), spend (EUR), planted uplift of orders
    ("C01", "Spring sale", dt.datetime(2024, 3, 18), dt.datetime(2024, 4, 1), "web", 18_000.0, 1.45),
    ("C02", "Summer clearance", dt.datetime(2024, 6, 24), dt.datetime(2024, 7, 8), "", 25_000.0, 1.3),
    ("C03", "Back to school", dt.datetime(2024, 8, 26), dt.datetime(2024, 9, 9), "web", 12_000.0, 1.35),
    ("C04", "Black Friday week", dt.datetime(2024, 11, 25), dt.datetime(2024, 12, 2), "", 40_000.0, 1.7),
    ("C05", "January sale", dt.datetime(2025, 1, 6), dt.datetime(2025, 1, 20), "web", 15_000.0, 1.4),
]

# Services that fail, the share of web orders an outage of each loses, and how often each fails.
_SERVICES = {"checkout": 1.0, "payments": 0.9, "web-frontend": 1.0, "search": 0.4, "login": 0.6}
_SERVICE_WEIGHTS = np.array([0.3, 0.2, 0.2, 0.15, 0.15])
_RETURN_DELAY_MINUTES = 40.0


@dataclass(frozen=True)
class SalesPlan:
    """Everything planted before any order is drawn.

    Attributes
    ----------
    start, end : datetime.datetime
        The sales period, ``[start, end)``.
    scale : int
        Multiplies every expected order count.
    hours : pandas.DatetimeIndex
        The hours of the period.
    orders_per_hour : dict of str to numpy.ndarray
        Expected orders per hour and channel, with campaigns, holidays and day shocks.
    uplift : dict of str to numpy.ndarray
        The campaign factor included in ``orders_per_hour`` (1 outside campaigns).
    holidays : list of datetime.date
    campaigns : pandas.DataFrame
        ``campaign_id, name, start, end, channel, spend, uplift``.
    outages : pandas.DataFrame
        ``incident_id, start, end, service, severity, channels`` plus the planted
        ``loss_share``, ``recovery_share`` and ``recovery_end`` (where returning orders stop).
    """

    start: dt.datetime
    end: dt.datetime
    scale: int
    hours: pd.DatetimeIndex
    orders_per_hour: dict[str, np.ndarray]
    uplift: dict[str, np.ndarray]
    holidays: list[dt.date]
    campaigns: pd.DataFrame
    outages: pd.DataFrame


def public_holidays(years: range | list[int]) -> list[dt.date]:
    """A German-style calendar of public holidays: fixed dates plus the Easter-based ones."""
    days = []
    for year in years:
        easter = _easter(year)
        days += [dt.date(year, 1, 1), dt.date(year, 5, 1), dt.date(year, 10, 3), dt.date(year, 12, 25),
                 dt.date(year, 12, 26)]
        days += [easter + dt.timedelta(days=offset) for offset in (-2, 1, 39, 50)]
    return sorted(days)


def _easter(year: int) -> dt.date:
    # Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def plan_sales(
    rng: np.random.Generator,
    *,
    start: dt.datetime = START,
    end: dt.datetime = END,
    scale: int = 1,
    n_outages: int | None = None,
    back_to_back: int = 3,
    in_campaigns: int = 7,
    campaigns: list[tuple] | None = None,
) -> SalesPlan:
    """Plant demand, campaigns and outages for ``[start, end)``.

    Parameters
    ----------
    rng : numpy.random.Generator
    start, end : datetime.datetime
    scale : int
        Multiplies the expected orders.
    n_outages : int, optional
        Number of web incidents (default: 26 to 34, drawn).
    back_to_back : int
        Pairs of incidents where the second starts 5-45 minutes after the first ends.
    in_campaigns : int
        Incidents placed inside campaigns that include the web channel.
    campaigns : list of tuple, optional
        ``(id, name, start, end, channel, spend, uplift)``; default: the five planted ones
        that fall in the period.
    """
    hours = pd.date_range(start, end, freq="h", inclusive="left")
    dates = hours.normalize()
    day_index = np.asarray((dates - dates[0]).days)
    n_days = int(day_index[-1]) + 1
    holidays = [d for d in public_holidays(range(start.year, end.year + 1)) if start.date() <= d < end.date()]

    specs = [c for c in (campaigns if campaigns is not None else _CAMPAIGNS) if c[2] < end and c[3] > start]
    campaign_table = pd.DataFrame(
        specs, columns=["campaign_id", "name", "start", "end", "channel", "spend", "uplift"]
    )
    # Uplifts are planted with a little jitter so that each seed tells a slightly different story.
    campaign_table["uplift"] = np.round(campaign_table["uplift"] * rng.uniform(0.95, 1.05, len(specs)), 3)

    common = _ar1(rng, n_days, _SHOCK_COMMON_SD, _SHOCK_COMMON_AR)
    years = np.asarray((hours - hours[0]) / pd.Timedelta(days=365.25))
    day_of_year = np.asarray(hours.day_of_year)
    trend = np.exp(_GROWTH_PER_YEAR * years) * (1 + _YEARLY_AMPLITUDE * np.cos(2 * np.pi * (day_of_year - 355) / 365.25))
    holiday_mask = np.isin(np.asarray(dates.date), np.array(holidays, dtype=object))
    quiet = np.array([(d.month, d.day) in _QUIET_HOLIDAYS for d in dates.date]) & holiday_mask
    hod, dow = np.asarray(hours.hour), np.asarray(hours.day_of_week)

    orders_per_hour, uplift = {}, {}
    for channel in CHANNELS:
        own = rng.normal(0, _SHOCK_OWN_SD, n_days)
        shock = np.exp(common + own - (_SHOCK_COMMON_SD**2 / (1 - _SHOCK_COMMON_AR**2) + _SHOCK_OWN_SD**2) / 2)
        if channel == "web":
            profile = _WEB_HOURS[hod] / _WEB_HOURS.mean() * _WEB_WEEKDAYS[dow]
            holiday = np.where(quiet, _QUIET_WEB, np.where(holiday_mask, _HOLIDAY_WEB, 1.0))
        else:
            profile = _STORE_HOURS[hod] / _STORE_HOURS[_STORE_HOURS > 0].mean() * _STORE_WEEKDAYS[dow]
            holiday = np.where(holiday_mask, 0.0, 1.0)  # the store is closed
        factor = np.ones(len(hours))
        for row in campaign_table.itertuples():
            if row.channel in ("", channel):
                factor[(hours >= row.start) & (hours < row.end)] *= row.uplift
        uplift[channel] = factor
        orders_per_hour[channel] = scale * _BASE_ORDERS[channel] * trend * profile * holiday * factor * shock[day_index]

    outages = _plan_outages(rng, hours, orders_per_hour["web"], campaign_table, n_outages, back_to_back, in_campaigns)
    return SalesPlan(start, end, int(scale), hours, orders_per_hour, uplift, holidays, campaign_table, outages)


def _ar1(rng: np.random.Generator, n: int, sd: float, phi: float) -> np.ndarray:
    shocks = rng.normal(0, sd, n)
    values = np.empty(n)
    values[0] = shocks[0] / np.sqrt(1 - phi**2)
    for i in range(1, n):
        values[i] = phi * values[i - 1] + shocks[i]
    return values


def _plan_outages(
    rng: np.random.Generator,
    hours: pd.DatetimeIndex,
    web_orders: np.ndarray,
    campaigns: pd.DataFrame,
    n_outages: int | None,
    back_to_back: int,
    in_campaigns: int,
) -> pd.DataFrame:
    n = int(n_outages if n_outages is not None else rng.integers(26, 35))
    first = hours[0] + pd.Timedelta(days=min(14, max(1, len(hours) // 24 // 10)))
    last = hours[-1] - pd.Timedelta(hours=8)
    # Incidents come more often when the shop is busy (load, deploys in working hours).
    busy = web_orders / web_orders.sum()
    # Campaigns on the web shop with room for an incident inside the period.
    room = campaigns["end"].clip(upper=last) - pd.Timedelta(hours=6) - campaigns["start"].clip(lower=first)
    web_campaigns = campaigns[campaigns["channel"].isin(["", "web"]) & (room > pd.Timedelta(days=1))]

    def duration() -> pd.Timedelta:
        return pd.Timedelta(minutes=int(round(np.exp(rng.uniform(np.log(10), np.log(360))))))

    def random_start(lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Timestamp:
        inside = np.flatnonzero((hours >= lo) & (hours < hi))
        hour = hours[rng.choice(inside, p=busy[inside] / busy[inside].sum())]
        return hour + pd.Timedelta(minutes=int(rng.integers(0, 60)))

    spans: list[tuple[pd.Timestamp, pd.Timestamp]] = []

    def free(s: pd.Timestamp, e: pd.Timestamp, margin: pd.Timedelta) -> bool:
        return all(e + margin <= s2 or s - margin >= e2 for s2, e2 in spans) and first <= s and e <= last

    roomy = pd.Timedelta(hours=RECOVERY_HOURS + 2)
    for k in range(n):
        for _attempt in range(1000):
            if k < min(in_campaigns, n) and len(web_campaigns):
                row = web_campaigns.iloc[k % len(web_campaigns)]
                s = random_start(max(pd.Timestamp(row["start"]), first), pd.Timestamp(row["end"]) - pd.Timedelta(hours=6))
            else:
                s = random_start(first, last)
            e = s + duration()
            pair = k >= n - 2 * back_to_back and (n - k) % 2 == 0
            if pair:
                gap = pd.Timedelta(minutes=int(rng.integers(5, 46)))
                s2 = e + gap
                e2 = s2 + duration()
                if free(s, e2, roomy):
                    spans += [(s, e), (s2, e2)]
                    break
            elif k >= n - 2 * back_to_back:
                break  # the second of a pair was placed with the first
            elif free(s, e, roomy):
                spans.append((s, e))
                break
        else:  # pragma: no cover - the period is far larger than the incidents need
            raise RuntimeError("could not place the planted outages")
    spans.sort()
    services = rng.choice(list(_SERVICES), size=len(spans), p=_SERVICE_WEIGHTS)
    table = pd.DataFrame(
        {
            "incident_id": [f"INC-{i + 1:04d}" for i in range(len(spans))],
            "start": pd.Series([s for s, _ in spans], dtype="datetime64[us]"),
            "end": pd.Series([e for _, e in spans], dtype="datetime64[us]"),
            "service": services,
            "severity": ["major" if _SERVICES[s] >= 0.9 else "minor" for s in services],
            "channels": "web",
            "loss_share": [_SERVICES[s] for s in services],
            "recovery_share": np.round(rng.uniform(0.15, 0.5, len(spans)), 3),
        }
    )
    # Customers come back until the recovery window closes or the next incident starts.
    window_end = table["end"] + pd.Timedelta(hours=RECOVERY_HOURS)
    next_start = table["start"].shift(-1)
    table["recovery_end"] = window_end.where(next_start.isna() | (next_start >= window_end), next_start)
    return table


# --- orders -------------------------------------------------------------------------------------

def _order_values(rng: np.random.Generator, channel: str, n: int) -> np.ndarray:
    spec = _VALUES[channel]
    values = spec["median"] * np.exp(rng.normal(0, spec["sigma"], n))
    wholesale = rng.random(n) < spec["wholesale"]
    tail = spec["floor"] * rng.random(np.count_nonzero(wholesale)) ** (-1 / spec["tail"])
    values[wholesale] = np.minimum(tail, spec["cap"])
    return np.round(values, 2)


def mean_order_value(channel: str) -> float:
    """Expected value of one order of the channel (EUR), wholesale orders included."""
    spec = _VALUES[channel]
    basket = spec["median"] * np.exp(spec["sigma"] ** 2 / 2)
    a, floor, cap = spec["tail"], spec["floor"], spec["cap"]
    wholesale = floor * a / (a - 1) - floor**a * cap ** (1 - a) / (a - 1)  # E[min(Pareto, cap)]
    return float((1 - spec["wholesale"]) * basket + spec["wholesale"] * wholesale)


def draw_orders(plan: SalesPlan, rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """All orders in memory (small plans only) and the realized lost/recovered revenue per incident."""
    realized = {"lost": np.zeros(len(plan.outages)), "recovered": np.zeros(len(plan.outages))}
    frames = list(_chunks(plan, rng, 28, realized))
    return pd.concat(frames, ignore_index=True), realized


def _chunks(plan: SalesPlan, rng: np.random.Generator, chunk_days: int, realized: dict[str, np.ndarray]):
    outages = plan.outages
    starts = outages["start"].to_numpy("datetime64[us]").astype(np.int64)
    ends = outages["end"].to_numpy("datetime64[us]").astype(np.int64)
    back_by = outages["recovery_end"].to_numpy("datetime64[us]").astype(np.int64)
    hour_us = 3_600_000_000
    hour_stamps = plan.hours.to_numpy("datetime64[us]").astype(np.int64)
    carried = pd.DataFrame({"timestamp": np.array([], "datetime64[us]"), "revenue": [], "channel": []})
    per_chunk = 24 * chunk_days
    for first in range(0, len(plan.hours), per_chunk):
        chunk_hours = slice(first, first + per_chunk)
        chunk_end = hour_stamps[chunk_hours][-1] + hour_us
        parts = [carried]
        for channel in CHANNELS:
            counts = rng.poisson(plan.orders_per_hour[channel][chunk_hours])
            # Whole seconds, like a shop system's export (and a smaller file).
            stamps = np.repeat(hour_stamps[chunk_hours], counts) + rng.integers(0, 3600, counts.sum()) * 1_000_000
            values = _order_values(rng, channel, int(counts.sum()))
            if channel == "web" and len(starts):
                keep = np.ones(len(stamps), bool)
                returned_stamps, returned_values = [], []
                incident = np.searchsorted(starts, stamps, side="right") - 1
                hit = (incident >= 0) & (stamps < ends[np.maximum(incident, 0)])
                for i in np.unique(incident[hit]):
                    orders_hit = np.flatnonzero(hit & (incident == i))
                    lost = orders_hit[rng.random(len(orders_hit)) < outages["loss_share"].iloc[i]]
                    keep[lost] = False
                    realized["lost"][i] += values[lost].sum()
                    back = lost[rng.random(len(lost)) < outages["recovery_share"].iloc[i]]
                    window = back_by[i] - ends[i]
                    # A truncated exponential delay: customers come back soon, within the window.
                    mean = _RETURN_DELAY_MINUTES * 60e6
                    u = rng.random(len(back))
                    delay = -mean * np.log1p(-u * (1 - np.exp(-window / mean)))
                    returned_stamps.append(ends[i] + (delay // 1_000_000).astype(np.int64) * 1_000_000)
                    returned_values.append(values[back])
                    realized["recovered"][i] += values[back].sum()
                stamps = np.concatenate([stamps[keep], *returned_stamps])
                values = np.concatenate([values[keep], *returned_values])
            parts.append(
                pd.DataFrame({"timestamp": stamps.astype("datetime64[us]"), "revenue": values, "channel": channel})
            )
        frame = pd.concat(parts, ignore_index=True).sort_values("timestamp", kind="stable", ignore_index=True)
        later = frame["timestamp"].to_numpy("datetime64[us]").astype(np.int64) >= chunk_end
        carried = frame[later]
        frame = frame[~later]
        yield frame.assign(orders=np.int64(1))[["timestamp", "revenue", "orders", "channel"]]
    if len(carried):  # pragma: no cover - returns never reach past the period's end (last outage ends 8 h before)
        yield carried.assign(orders=np.int64(1))[["timestamp", "revenue", "orders", "channel"]]


# --- truth --------------------------------------------------------------------------------------

def expected_truth(plan: SalesPlan, realized: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The planted truth: expected losses per incident and per campaign, in EUR."""
    outages = plan.outages
    web_value = mean_order_value("web")
    hour_start = plan.hours.to_numpy("datetime64[us]")
    incidents = []
    campaigns = plan.campaigns
    for i, row in enumerate(outages.itertuples()):
        overlap = _overlap_hours(hour_start, row.start, row.end)
        expected_orders = float(plan.orders_per_hour["web"] @ overlap)
        gross = expected_orders * row.loss_share * web_value
        recovered = gross * row.recovery_share
        campaign_id = _campaign_of(campaigns, row.start, row.end)
        item = {
            "incident_id": row.incident_id,
            "start": row.start,
            "end": row.end,
            "minutes": (row.end - row.start) / pd.Timedelta(minutes=1),
            "service": row.service,
            "loss_share": row.loss_share,
            "recovery_share": row.recovery_share,
            "in_campaign": campaign_id is not None,
            "campaign_id": campaign_id,
            "expected_revenue": expected_orders * web_value,
            "lost_revenue": gross,
            "recovered_revenue": recovered,
            "net_lost_revenue": gross - recovered,
        }
        if realized is not None:
            item["realized_lost_revenue"] = realized["lost"][i]
            item["realized_recovered_revenue"] = realized["recovered"][i]
            item["realized_net_lost_revenue"] = realized["lost"][i] - realized["recovered"][i]
        incidents.append(item)
    table = pd.DataFrame(incidents)
    campaign_truth = []
    for row in campaigns.itertuples():
        incremental = 0.0
        for channel in CHANNELS:
            if row.channel in ("", channel):
                inside = (plan.hours >= row.start) & (plan.hours < row.end)
                rate = plan.orders_per_hour[channel][inside]
                incremental += float(np.sum(rate * (1 - 1 / plan.uplift[channel][inside]))) * mean_order_value(channel)
        lost = float(table.loc[table["campaign_id"] == row.campaign_id, "net_lost_revenue"].sum()) if len(table) else 0.0
        campaign_truth.append(
            {
                "campaign_id": row.campaign_id,
                "name": row.name,
                "uplift": row.uplift,
                "incremental_revenue": incremental,
                "net_lost_revenue": lost,
                "lost_share": lost / incremental if incremental else None,
            }
        )
    totals = {
        "lost_revenue": float(table["lost_revenue"].sum()),
        "recovered_revenue": float(table["recovered_revenue"].sum()),
        "net_lost_revenue": float(table["net_lost_revenue"].sum()),
        "campaign_minute_cost_ratio": _minute_ratio(table),
    }
    if realized is not None:
        totals["realized_net_lost_revenue"] = float(table["realized_net_lost_revenue"].sum())
    return {
        "currency": CURRENCY,
        "start": plan.start,
        "end": plan.end,
        "recovery_hours": RECOVERY_HOURS,
        "channels": list(CHANNELS),
        "affected_channels": ["web"],
        "mean_order_value": {c: mean_order_value(c) for c in CHANNELS},
        "holidays": plan.holidays,
        "incidents": incidents,
        "totals": totals,
        "campaigns": campaign_truth,
    }


def _overlap_hours(hour_start: np.ndarray, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Fraction of each hour that lies in ``[start, end)``."""
    lo = np.maximum(hour_start, np.datetime64(start, "us"))
    hi = np.minimum(hour_start + np.timedelta64(1, "h"), np.datetime64(end, "us"))
    return np.clip((hi - lo) / np.timedelta64(1, "h"), 0, 1)


def _campaign_of(campaigns: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> str | None:
    best, best_overlap = None, pd.Timedelta(0)
    for row in campaigns.itertuples():
        if row.channel not in ("", "web"):
            continue
        overlap = min(end, row.end) - max(start, row.start)
        if overlap > best_overlap:
            best, best_overlap = row.campaign_id, overlap
    return best


def _minute_ratio(table: pd.DataFrame) -> float | None:
    if not len(table):
        return None
    inside, outside = table[table["in_campaign"]], table[~table["in_campaign"]]
    if not len(inside) or not len(outside):
        return None
    per_minute_in = inside["net_lost_revenue"].sum() / inside["minutes"].sum()
    per_minute_out = outside["net_lost_revenue"].sum() / outside["minutes"].sum()
    return float(per_minute_in / per_minute_out)


# --- files --------------------------------------------------------------------------------------

_SALES_SCHEMA = pa.schema(
    [("timestamp", pa.timestamp("us")), ("revenue", pa.float64()), ("orders", pa.int64()), ("channel", pa.string())]
)


def seeded(seed: int) -> np.random.Generator:
    """The random generator :func:`generate` draws its plan, then its orders, from for ``seed``.

    A test that rebuilds the plan (``plan_sales(seeded(42), scale=1)``) gets the very plan
    ``generate`` wrote.
    """
    return np.random.default_rng([seed, 6])


def generate(out_dir: Path, *, scale: int = 1, seed: int = 42) -> dict[str, Any]:
    """Write ``sales.parquet``, ``outages.csv`` and ``campaigns.csv``; return the planted truth.

    Parameters
    ----------
    out_dir : Path
        Folder to write into.
    scale : int
        About ``scale`` times the default ~230,000 orders (and every amount).
    seed : int
        Seed of the random generator.

    Returns
    -------
    dict
        See :func:`expected_truth`; amounts in EUR.
    """
    out_dir = Path(out_dir)
    rng = seeded(seed)
    plan = plan_sales(rng, scale=scale)
    realized = {"lost": np.zeros(len(plan.outages)), "recovered": np.zeros(len(plan.outages))}
    # Bigger scales write smaller chunks, so memory stays at a few hundred MB at most.
    chunk_days = 28 if scale < 10 else 7 if scale < 100 else 2
    rows = write_parquet_chunks(
        out_dir / "sales.parquet", _chunks(plan, rng, chunk_days, realized), schema=_SALES_SCHEMA
    )
    _write_csv(
        plan.outages[["incident_id", "start", "end", "service", "severity", "channels"]], out_dir / "outages.csv"
    )
    _write_csv(
        plan.campaigns[["campaign_id", "name", "start", "end", "channel", "spend"]], out_dir / "campaigns.csv"
    )
    truth = expected_truth(plan, realized)
    truth["orders"] = rows
    truth["scale"] = scale
    return truth


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    for column in ("start", "end"):
        out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    out.to_csv(path, index=False, lineterminator="\n")
