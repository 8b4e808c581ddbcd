"""The analysis on simulated shops it did not generate (issue 22): five families, eight seeds each.

Each family (see :mod:`worlds`) plants outages whose real effect is known: what they removed and
what came back. The rules, per family over its eight seeds: per-incident 95 % intervals cover the
planted net loss in 90-98 % of incidents; the seeds' totals lie inside their intervals (at 95 %,
one miss in eight is chance: all eight hold with probability 0.66 even for exact intervals); the
total over the eight seeds is within 10 % of the planted one for bucket data and within 30 % for
heavy-tailed order-level rows; placebo windows are charged under 10 % of their revenue; the
self-check finds the loss it planted, and flags at most one seed.

Measured (draws=500): coverage smooth 0.969, noisy 0.958, counts 0.953, invoices 0.938, returns
0.943; totals inside their intervals in 8, 8, 7, 8, 8 seeds (counts seed 4 is 0.2 % outside); the
eight seeds' total -0.3 %, +0.2 %, -0.1 %, +5.7 %, -2.8 % off the planted one (single seeds from
-3.5 % to +2.3 % for smooth, -15 % to +14 % for noisy, -9 % to +10 % for counts, -44 % to +52 %
for invoices, -7 % to +6 % for returns); placebo charges at most 2.3 % of window revenue; the
self-check found 98.0-101.1 % of what it planted, family by family.
"""

from __future__ import annotations

import pandas as pd
import pytest
import worlds
from measuring import measure_world

SEEDS = range(8)
#: How close the total over the eight seeds must come to the planted one.
TOTAL_TOLERANCE = {"smooth": 0.10, "noisy": 0.10, "counts": 0.10, "returns": 0.10, "invoices": 0.30}
MODEL = {"smooth": "revenue only", "noisy": "revenue only", "counts": "bucket counts", "returns": "revenue only",
         "invoices": "order-level rows"}


def _family(family: str, tmp_path) -> list[tuple[object, pd.DataFrame]]:
    runs = []
    for seed in SEEDS:
        world = worlds.make_world(family, seed)
        costs = measure_world(world, tmp_path / str(seed), draws=500, seed=seed)
        runs.append((costs, costs.incidents.merge(world.truth, on="incident_id", suffixes=("", "_truth"))))
    return runs


@pytest.mark.parametrize("family", list(worlds.FAMILIES))
def test_each_family_is_measured_within_the_rules(family, tmp_path):
    runs = _family(family, tmp_path)
    merged = pd.concat([m for _, m in runs])
    truth = "net_lost_revenue_truth"
    assert {costs.model.kind for costs, _ in runs} == {MODEL[family]}
    covered = (merged["net_lost_revenue_low"] <= merged[truth]) & (merged[truth] <= merged["net_lost_revenue_high"])
    assert 0.90 <= covered.mean() <= 0.98, covered.mean()
    per_seed = [(c.totals["net_lost_revenue_low"], m[truth].sum(), c.totals["net_lost_revenue_high"]) for c, m in runs]
    assert sum(low < planted < high for low, planted, high in per_seed) >= len(per_seed) - 1, per_seed
    estimated = sum(c.totals["net_lost_revenue"] for c, _ in runs)
    assert abs(estimated / merged[truth].sum() - 1) < TOTAL_TOLERANCE[family], (estimated, merged[truth].sum())
    shares = [c.placebo.charge_share for c, _ in runs]
    assert max(abs(s) for s in shares) < 0.10, shares
    checks = [c.self_check for c, _ in runs]
    assert sum(check.biased for check in checks) <= 1, [(round(c.ratio, 3), c.coverage) for c in checks]
    assert abs(sum(c.found for c in checks) / sum(c.planted for c in checks) - 1) < 0.10


# --- returning demand ----------------------------------------------------------------------------

def _returns_only(shape: str, return_share: float, tmp_path):
    world = worlds.make_world("smooth", 0, remove=False, return_share=return_share, shape=shape)
    return world, measure_world(world, tmp_path / f"{shape}-{return_share}", draws=500, seed=0)


def _recovery_expectation(costs) -> float:
    """Expected revenue over the buckets that start at or after each outage's end (its recovery hours)."""
    ends = costs.incidents.set_index("incident_id")["end"]
    zoom = costs.windows
    after = zoom["in_window"] & (zoom["timestamp"] >= zoom["incident_id"].map(ends))
    return float(zoom.loc[after, "expected"].sum())


@pytest.mark.parametrize("shape", ["soon", worlds.SPILL])
def test_returning_demand_does_not_raise_the_expected_revenue(shape, tmp_path):
    """Nothing is lost; customers only come back after each outage: within the recovery window
    ("soon"), or for twice as long (:data:`worlds.SPILL`, a ``recovery_hours`` too short for them).

    Before, the drift around an outage was read from the clean buckets on both sides of it, so
    returns past the window raised the expected revenue of the outage by 5.5 % of its revenue and
    charged a loss of 2,900 where there was none (seed 0, "spill"). Now the expectation of an
    outage and of its recovery hours is the same with or without the returns, to 0.5 % (what the
    returns move in the regression and drift fit), and nothing is charged as lost.
    """
    _, quiet = _returns_only(shape, 0.0, tmp_path)
    world, busy = _returns_only(shape, 0.6, tmp_path)
    expected_quiet, expected_busy = quiet.incidents["expected_revenue"].sum(), busy.incidents["expected_revenue"].sum()
    assert abs(expected_busy / expected_quiet - 1) < 0.005, (expected_quiet, expected_busy)
    recovery_quiet, recovery_busy = _recovery_expectation(quiet), _recovery_expectation(busy)
    assert abs(recovery_busy / recovery_quiet - 1) < 0.005, (recovery_quiet, recovery_busy)
    # Returns can only lower the lost revenue (those that land in an outage's last bucket count against it).
    assert busy.incidents["lost_revenue"].sum() <= quiet.incidents["lost_revenue"].sum() + 0.005 * expected_busy
    # And the net is minus the returns that came back within the window: all of them ("soon"), half ("spill").
    returned = world.truth["recovered_revenue"].sum() * (1.0 if shape == "soon" else 0.5)
    net_change = busy.incidents["net_lost_revenue"].sum() - quiet.incidents["net_lost_revenue"].sum()
    assert abs(net_change + returned) < 0.1 * returned, (net_change, returned)
