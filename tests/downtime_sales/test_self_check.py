"""The planted-outage self-check: it finds what it planted, and it flags an estimator that does not."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import worlds
from measuring import measure_world

from helpers import downtime_sales as downtime
from helpers.downtime_sales import reporting
from helpers.downtime_sales.self_check import planted_check
from helpers.downtime_sales.windows import incident_windows, prepare_outages


class _Skewed:
    """A baseline whose draws are off: scaled by ``factor``, or (``spread=False``) all equal to their mean."""

    def __init__(self, baseline, factor: float = 1.0, *, spread: bool = True):
        self._baseline, self._factor, self._spread = baseline, factor, spread

    def __getattr__(self, name):
        return getattr(self._baseline, name)

    def simulate(self, targets, **options):
        paths = self._baseline.simulate(targets, **options) * self._factor
        return paths if self._spread else np.broadcast_to(paths.mean(axis=0), paths.shape).copy()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    world = worlds.make_world("smooth", 1, weeks=16, outages=12)
    costs = measure_world(world, tmp_path_factory.mktemp("shop"), draws=400, seed=1)
    return world, costs


def _check(world, costs, baseline) -> object:
    web = costs.baselines["web"]
    step = web.timestamps[1] - web.timestamps[0]
    outages = prepare_outages(world.outages, ["web"], web.timestamps[0], web.timestamps[-1] + step, [])
    windows = incident_windows(outages, ["web"], pd.Timedelta(hours=worlds.RECOVERY_HOURS))
    return planted_check({"web": baseline}, windows, {"web": web.clean}, grid=web.timestamps, step=step, n=100,
                         draws=400, level=0.025, rng=np.random.default_rng([1, 1]), point=np.mean)


def test_the_check_finds_what_it_planted(shop):
    """Measured: 100 windows, found 100.0 % of the planted net loss, 94 % of the intervals covering it."""
    _, costs = shop
    check = costs.self_check
    assert len(check.windows) == 100 and not check.biased
    assert abs(check.ratio - 1) < 0.03, check.ratio
    assert 0.90 <= check.coverage <= 1.0
    planted = check.windows["removed_revenue"] - check.windows["returned_revenue"]
    assert np.allclose(planted, check.windows["planted_net"]) and check.planted == pytest.approx(planted.sum())
    assert check.returned == pytest.approx(check.returned_share * check.removed)
    # No two planted windows share a bucket (each would count the other's loss).
    positions = [set(pd.date_range(s.floor("15min"), e, freq="15min")) for s, e in zip(check.windows["start"], check.windows["end"])]
    assert sum(len(p) for p in positions) == len(set().union(*positions))


@pytest.mark.parametrize(("factor", "spread", "words"), [
    (1.15, True, "probably overstated"),
    (0.9, True, "probably understated"),
    (1.0, False, "too narrow"),
])
def test_the_check_flags_a_biased_estimator(shop, factor, spread, words):
    """Expectations 15 % too high, 10 % too low, or draws without spread: each is flagged, and the summary says so.

    Measured: the check found 166 % and 56 % of the planted loss with the skewed expectations (a few
    percent of a window's revenue is a large share of what an outage takes), and 100 % with draws
    that do not spread, whose intervals covered it in none of the 100 windows; the honest baseline
    found 100 %, covering it in 94 %.
    """
    world, costs = shop
    web = costs.baselines["web"]
    check = _check(world, costs, _Skewed(web, factor, spread=spread))
    assert check.biased, (check.ratio, check.coverage)
    if spread:
        assert (check.ratio > 1.1) if factor > 1 else (check.ratio < 0.9)
    else:
        assert check.coverage < 0.5 and abs(check.ratio - 1) < 0.05
    flagged = dataclasses.replace(costs, self_check=check)
    assert words in " ".join(downtime.headline(flagged))
    assert "Caution" in reporting.self_check_sentence(flagged)
    assert "Caution" not in " ".join(downtime.headline(costs))
    honest = _check(world, costs, _Skewed(web))
    assert not honest.biased
