"""The outage analysis on heavy-tailed, order-level sales (issue 15): an outage that did nothing costs nothing.

The generator: one channel, hourly order counts with an hour-of-week pattern (closed on
Sundays and at night), a gentle trend, a few holiday closures and a slowly moving day level;
order values log-normal (median 40) with rare wholesale orders 100-1,000x the median.
Planted outages remove the orders placed in them; a share of those customers orders again
within the next hours. Placebo windows (nothing removed) come from the analysis's own
placebo check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from measuring import measure_buckets

from helpers.downtime_sales.order_model import OrderValues, _value_missing

START = pd.Timestamp("2024-01-01")
MEDIAN_VALUE = 40.0
WHOLESALE_SHARE = 0.002
#: Orders per hour at the evening peak; at this volume a 30-minute to 3-hour outage loses about as
#: much as in the issue's retailer (median 2-4 thousand).
PEAK_ORDERS = 66.0
RETURN_SHARE = 0.3


def _hourly_rate(hours: pd.DatetimeIndex) -> np.ndarray:
    """Expected orders per hour: business hours, an evening peak, Saturdays lighter, Sundays closed."""
    hour = hours.hour.to_numpy()
    day = hours.day_of_week.to_numpy()
    rate = PEAK_ORDERS / 11 * np.where((hour >= 8) & (hour < 22), 6 + 5 * np.exp(-((hour - 19) ** 2) / 6), 0.0)
    rate = np.where(day == 5, 0.6 * rate, rate)
    return np.where(day == 6, 0.0, rate)


def _order_values(rng: np.random.Generator, n: int) -> np.ndarray:
    values = MEDIAN_VALUE * np.exp(rng.normal(0, 0.8, n))
    wholesale = rng.random(n) < WHOLESALE_SHARE
    values[wholesale] = MEDIAN_VALUE * np.exp(rng.uniform(np.log(100), np.log(1000), wholesale.sum()))
    return values


def heavy_tailed_sales(seed: int, *, weeks: int = 26, outages: int = 20) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Orders (``timestamp, revenue, channel, orders``), planted outages and their realized losses."""
    rng = np.random.default_rng(seed)
    hours = pd.date_range(START, periods=weeks * 168, freq="h")
    days = hours.normalize()
    closures = pd.DatetimeIndex(rng.choice(days.unique()[days.unique().day_of_week < 5], 3, replace=False))
    day_index = ((days - days[0]) / pd.Timedelta(days=1)).astype(int).to_numpy()
    level = np.zeros(day_index.max() + 1)
    for i in range(1, len(level)):
        level[i] = 0.7 * level[i - 1] + rng.normal(0, 0.08)
    trend = 1 + 0.3 * np.arange(len(hours)) / len(hours)
    rate = _hourly_rate(hours) * trend * np.exp(level[day_index]) * ~days.isin(closures)
    counts = rng.poisson(rate)
    stamps = np.repeat(hours.to_numpy(), counts) + pd.to_timedelta(rng.uniform(0, 3600, counts.sum()), unit="s").to_numpy()
    orders = pd.DataFrame({"timestamp": stamps, "revenue": _order_values(rng, counts.sum())})
    plan = _plan_outages(rng, hours, rate, outages)
    keep = np.ones(len(orders), bool)
    returned, truth = [], []
    for row in plan.itertuples():
        hit = (orders["timestamp"] >= row.start) & (orders["timestamp"] < row.end) & keep
        keep &= ~hit
        lost = orders[hit]
        back = lost[rng.random(len(lost)) < RETURN_SHARE]
        later = row.end + pd.to_timedelta(rng.uniform(0, 3 * 3600, len(back)), unit="s")
        returned.append(pd.DataFrame({"timestamp": later, "revenue": back["revenue"].to_numpy()}))
        truth.append((row.incident_id, lost["revenue"].sum(), back["revenue"].sum()))
    orders = pd.concat([orders[keep], *returned], ignore_index=True).assign(channel="web", orders=1)
    realized = pd.DataFrame(truth, columns=["incident_id", "realized_lost_revenue", "realized_recovered_revenue"])
    realized["realized_net_lost_revenue"] = realized["realized_lost_revenue"] - realized["realized_recovered_revenue"]
    return orders, plan, realized


def _plan_outages(rng: np.random.Generator, hours: pd.DatetimeIndex, rate: np.ndarray, n: int) -> pd.DataFrame:
    """Outages of 30 minutes to 3 hours in open hours, at least a day apart, after the first four weeks."""
    rows, taken = [], []
    open_hours = np.flatnonzero(rate > 0)
    open_hours = open_hours[open_hours > 4 * 168]
    while len(rows) < n:
        start = hours[rng.choice(open_hours)] + pd.Timedelta(minutes=int(rng.integers(0, 4)) * 15)
        if any(abs(start - t) < pd.Timedelta(days=1) for t in taken) or start + pd.Timedelta(hours=6) > hours[-1]:
            continue
        taken.append(start)
        minutes = int(rng.integers(2, 13)) * 15
        rows.append((f"INC{len(rows) + 1:03d}", start, start + pd.Timedelta(minutes=minutes)))
    return pd.DataFrame(rows, columns=["incident_id", "start", "end"]).sort_values("start", ignore_index=True)


def to_buckets(orders: pd.DataFrame, *, with_orders: bool) -> pd.DataFrame:
    """Hourly buckets as the query layer builds them (without ``orders``: bucket totals only)."""
    buckets = (
        orders.assign(bucket=orders["timestamp"].dt.floor("h"))
        .groupby(["bucket", "channel"], as_index=False)[["revenue", "orders"]].sum()
    )
    return buckets if with_orders else buckets.drop(columns="orders")


def measure(seed: int, *, with_orders: bool, outages: int = 20, draws: int = 1000):
    """Measure the planted outages with the placebo check; the incidents joined to their realized losses."""
    orders, plan, realized = heavy_tailed_sales(seed, outages=outages)
    span = (START, START + pd.Timedelta(weeks=26))
    costs = measure_buckets(to_buckets(orders, with_orders=with_orders), plan, freq="h", span=span, draws=draws, seed=seed)
    return costs, costs.incidents.merge(realized, on="incident_id")


SEEDS = range(4)


@pytest.fixture(scope="module")
def heavy():
    """Four half-years of heavy-tailed order-level sales, 30 planted outages and 200 placebo windows each."""
    return [measure(seed, with_orders=True, outages=30) for seed in SEEDS]


def _placebo_group_totals_cover_zero(draws: np.ndarray, size: int = 20, level: float = 0.025) -> list[bool]:
    groups = np.array_split(np.arange(draws.shape[1]), draws.shape[1] // size)
    totals = [draws[:, g].sum(axis=1) for g in groups]
    return [bool(np.quantile(t, level) <= 0 <= np.quantile(t, 1 - level)) for t in totals]


def test_placebo_windows_cost_nothing(heavy):
    """The issue's first rule: where nothing happened, a median charge under 10 % of the windows' revenue."""
    for costs, _ in heavy:
        placebo = costs.placebo
        assert len(placebo.windows) == 200
        assert abs(placebo.charge_share) < 0.10, placebo.charge_share
        # Every placebo window keeps an incident's hours of the week and stays clear of all incidents.
        incidents = costs.incidents.set_index("incident_id")
        copied = incidents.loc[placebo.windows["incident_id"]]
        assert (placebo.windows["start"].dt.day_of_week.to_numpy() == copied["start"].dt.day_of_week.to_numpy()).all()
        assert (placebo.windows["start"].dt.time.to_numpy() == copied["start"].dt.time.to_numpy()).all()


def test_placebo_totals_cover_zero(heavy):
    """20 placebo windows measured together, as a report's total would be: the interval covers zero in >= 90 %."""
    covered = [c for costs, _ in heavy for c in _placebo_group_totals_cover_zero(costs.placebo.net_lost_draws)]
    assert len(covered) == 40
    assert np.mean(covered) >= 0.90, np.mean(covered)
    # Each window's interval covers zero about as often as its level says (order counts are whole
    # numbers, so the intervals are a little conservative).
    coverage = np.mean([costs.placebo.zero_coverage for costs, _ in heavy])
    assert 0.90 <= coverage <= 0.995, coverage


def test_per_incident_intervals_cover_the_realized_loss(heavy):
    """The issue's 90-98 % per incident; measured 94.2 % here since the drift is read before each outage
    only (issue 22; 93.3 % before that, 95.0 % before issue 15's matching), 93.0 % over seeds 0-17 then."""
    merged = pd.concat([m for _, m in heavy])
    assert len(merged) == 120
    covered = (merged["net_lost_revenue_low"] <= merged["realized_net_lost_revenue"]) & (
        merged["realized_net_lost_revenue"] <= merged["net_lost_revenue_high"]
    )
    assert 0.90 <= covered.mean() <= 0.98, covered.mean()


def test_planted_totals_within_their_intervals_and_35_percent(heavy):
    """Each half-year's total covers its realized loss and is within 35 % of it (the issue's rule).

    Measured since the drift is read before each outage only (issue 22): +28.8 %, +6.2 %, +5.7 %,
    +18.3 %, +14.4 % over the four, all inside their intervals. Before that: +25.4 %, +9.5 %, +10.9 %,
    +12.9 % per half-year, +14.4 % over the four (before
    returning orders were matched with the lost ones: +38.6 %, +17.1 %, +17.7 %, +12.6 %; +20.9 %).
    What is left of the lean on these four is the realized value of the lost orders, which no
    method sees: it was 11.5 %, 15.6 %, 3.9 % and 16.4 % below their count times the mean order
    value (fewer wholesale orders among them than on average). Over seeds 0-17 the error averages
    +1.1 % (from -31.6 % to +32.6 %), all 18 totals inside their intervals (before: 11 of 12 on
    seeds 0-11, from -58.4 % to +38.6 %). The figures move by about a point with the random draws
    alone: before the simulation's O(n) rewrite (the same distribution, other draws) they were
    +24.5 %, +9.5 %, +10.7 %, +11.8 % (+13.8 %), +0.7 % over seeds 0-17 and 93.7 % per incident.
    """
    estimated = truth_sum = 0.0
    for costs, merged in heavy:
        truth = merged["realized_net_lost_revenue"].sum()
        totals = costs.totals
        assert totals["net_lost_revenue_low"] < truth < totals["net_lost_revenue_high"]
        assert abs(totals["net_lost_revenue"] - truth) / truth < 0.35, (totals["net_lost_revenue"], truth)
        estimated += totals["net_lost_revenue"]
        truth_sum += truth
    assert abs(estimated - truth_sum) / truth_sum < 0.20, (estimated, truth_sum)


def test_returning_orders_carry_the_value_of_the_orders_they_replace():
    """Orders beyond the draw in a recovery bucket cancel the value of orders missing earlier in the run.

    With order values as heavy-tailed as the generator's, valuing the two sides apart gives a
    net that swings by a wholesale order either way; matched, three orders lost and three back
    net to exactly nothing, and two more lost are worth what two orders are worth (drawn as such).
    """
    rng = np.random.default_rng(5)
    orders = rng.integers(1, 60, 3000)
    revenue = np.array([_order_values(rng, n).sum() for n in orders])
    values = OrderValues.from_buckets(revenue, orders)
    missing = np.tile([3, 2, -3, 0], (20_000, 1))
    value = _value_missing(missing, np.array([0]), values, rng)
    net = value.sum(axis=1)
    two_orders = values.draw(np.full(20_000, 2), rng)
    assert np.all(value[:, 0] > 0) and np.all(value[:, 2] < 0) and np.all(value[:, 3] == 0)
    for statistic in (np.median, np.mean, lambda v: np.quantile(v, 0.9)):
        assert abs(statistic(net) / statistic(two_orders) - 1) < 0.1
    # Two runs: the return in the second cannot cancel a loss in the first.
    apart = _value_missing(np.tile([3, -3], (20_000, 1)), np.array([0, 1]), values, rng)
    # (Two draws from the same pool of buckets coincide now and then.)
    assert np.mean(np.abs(apart.sum(axis=1)) > 0) > 0.95


def test_bucket_totals_get_the_revenue_model_and_say_so():
    """Without order counts the analysis models revenue per bucket, and the report says so."""
    costs, _ = measure(0, with_orders=False, outages=10, draws=300)
    assert costs.model.kind == "revenue only" and costs.point_estimate == "mean"
    assert not hasattr(costs.baselines["web"], "values")


def test_each_bucket_draws_from_the_pool_of_its_order_count():
    """A bucket of ``n`` missing orders is worth ``n`` times a value from the pool of its own bin."""
    rng = np.random.default_rng(8)
    orders = rng.poisson(6, 20_000) + rng.integers(0, 2, 20_000) * rng.poisson(60, 20_000)
    revenue = orders * rng.gamma(2.0, 20.0, len(orders))
    values = OrderValues.from_buckets(revenue, orders)
    counts = rng.poisson(rng.choice([0.3, 4.0, 40.0], (200, 50)))
    drawn = values.draw(counts, rng)
    assert np.all(drawn[counts == 0] == 0)
    bins = np.searchsorted(values.edges, counts, side="right") - 1
    assert len(np.unique(bins[counts > 0])) > 5
    for (i, j) in zip(*np.nonzero(counts)):
        assert np.isclose(drawn[i, j] / counts[i, j], values.pools[bins[i, j]]).any()
