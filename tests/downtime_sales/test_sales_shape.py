"""The model follows the sales: what the rows are decides it, and bad combinations are a note or a sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import worlds
from measuring import measure_world

from helpers.downtime_sales.sales_shape import BUCKET_COUNTS, ORDER_LEVEL, REVENUE_ONLY, check_grain, choose_model
from helpers.exceptions import ParameterError


def _facts(rows, *, orders=None, most=None, counted=None, quarter=0, hour=0, day=0, revenue=100.0):
    """Per-bucket facts as the query returns them, for hand-made cases."""
    n = len(rows)
    return pd.DataFrame({
        "bucket": pd.date_range("2024-01-01", periods=n, freq="h"), "channel": "web", "revenue": revenue,
        "orders": orders if orders is not None else [0] * n, "rows": rows,
        "counted_rows": counted if counted is not None else ([0] * n if orders is None else rows),
        "most_orders": most if most is not None else [0] * n, "on_quarter_hour": quarter, "on_hour": hour, "on_day": day,
    })


def test_the_rows_decide_the_model():
    orders = _facts([5, 7, 6], orders=[5, 7, 6], most=[1, 1, 1], quarter=[0, 1, 0])
    assert choose_model(orders).kind == ORDER_LEVEL and choose_model(orders).uses_orders
    totals = _facts([1, 1, 1], quarter=[1, 1, 1], hour=[1, 1, 1])
    assert choose_model(totals).kind == REVENUE_ONLY and not choose_model(totals).notes
    counts = _facts([1, 1, 1], orders=[40, 52, 37], most=[40, 52, 37], quarter=[1, 1, 1], hour=[1, 1, 1])
    assert choose_model(counts).kind == BUCKET_COUNTS and not choose_model(counts).notes
    # A frame without the query's facts says what it is by its columns.
    assert choose_model(pd.DataFrame({"bucket": [], "channel": [], "revenue": []})).kind == REVENUE_ONLY
    assert choose_model(pd.DataFrame({"bucket": [], "channel": [], "revenue": [], "orders": []})).kind == ORDER_LEVEL


@pytest.mark.parametrize(("facts", "kind", "words"), [
    # A BI export that wrote 1 into every hourly row: not orders.
    (_facts([1, 1, 1], orders=[1, 1, 1], most=[1, 1, 1], quarter=[1, 1, 1], hour=[1, 1, 1]), REVENUE_ONLY,
     "cannot be orders"),
    (_facts([1, 1, 1], orders=[30, 0, 25], most=[30, 0, 25], quarter=[1, 1, 1]), BUCKET_COUNTS,
     "order count of zero"),
    (_facts([1, 1, 1], orders=[12, 12, 12], most=[12, 12, 12], quarter=[1, 1, 1]), BUCKET_COUNTS, "in every bucket"),
    (_facts([4, 6, 5], orders=[3, 6, 5], most=[1, 1, 1], counted=[3, 6, 5]), ORDER_LEVEL, "without an order count"),
])
def test_bad_combinations_are_notes(facts, kind, words):
    model = choose_model(facts)
    assert model.kind == kind
    assert any(words in note.issue for note in model.notes), [note.issue for note in model.notes]


def test_totals_coarser_than_the_buckets_asked_for_are_one_sentence():
    hourly = _facts([1, 1], quarter=[1, 1], hour=[1, 1])
    with pytest.raises(ParameterError, match=r"^Parameter 'freq' \(15min\): the sales are hourly totals .* use freq: h\.$"):
        check_grain(hourly, "15min")
    check_grain(hourly, "h")
    check_grain(hourly, "D")
    daily = _facts([1, 1], quarter=[1, 1], hour=[1, 1], day=[1, 1])
    with pytest.raises(ParameterError, match="daily totals"):
        check_grain(daily, "h")
    check_grain(_facts([9, 8], orders=[9, 8], most=[1, 1]), "15min")  # orders at any minute


@pytest.mark.parametrize("family", ["smooth", "counts", "invoices"])
def test_every_shape_runs_through_the_engine_without_a_traceback(family, tmp_path):
    """Quarter-hour totals, hourly totals with counts, invoices: each through DuckDB, each its model."""
    world = worlds.make_world(family, 3, weeks=10, outages=6)
    costs = measure_world(world, tmp_path, draws=200, seed=3)
    assert costs.model.kind == {"smooth": REVENUE_ONLY, "counts": BUCKET_COUNTS, "invoices": ORDER_LEVEL}[family]
    assert len(costs.incidents) == 6 and np.isfinite(costs.totals["net_lost_revenue"])


def test_invoices_without_an_orders_column_are_revenue_only(tmp_path):
    world = worlds.make_world("invoices", 3, weeks=10, outages=6, with_orders=False)
    costs = measure_world(world, tmp_path, draws=200, seed=3)
    assert costs.model.kind == REVENUE_ONLY


def test_hourly_totals_with_a_count_of_one_do_not_break_the_order_model(tmp_path):
    """The shape that stopped a run with "ValueError: lam value too large": hourly totals, orders 1 in each row."""
    world = worlds.make_world("smooth", 4, weeks=10, outages=6)
    sales = world.sales.assign(timestamp=world.sales["timestamp"].dt.floor("h")).groupby(
        ["timestamp", "channel"], as_index=False)["revenue"].sum().assign(orders=1)
    world = worlds.World("smooth", sales, world.outages, world.truth, "h")
    costs = measure_world(world, tmp_path, draws=200, seed=4)
    assert costs.model.kind == REVENUE_ONLY
    assert any("cannot be orders" in note.issue for note in costs.quality_notes)
    planted, found = world.truth["net_lost_revenue"].sum(), costs.totals["net_lost_revenue"]
    assert abs(found / planted - 1) < 0.10, (found, planted)
