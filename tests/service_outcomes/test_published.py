"""Service outcomes as published: counts with the cell-key method's noise (within 2 of the truth), intervals that
keep their coverage, and windows a day apart that no longer give a day's tickets away (issue 24)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import cell_key
from helpers import service_outcomes as so
from helpers.sample_data import outcomes as sample
from helpers.service_outcomes import analysis, queries, stats


@pytest.fixture(scope="module")
def sample_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("published_sample")
    truth = sample.generate(out, scale=1, seed=42)
    return out, truth


def _params(out: Path, **values) -> so.Parameters:
    base = {"incidents_path": str(out / "incidents.csv"), "incident_events_path": str(out / "incident_events.parquet"),
            "responses_path": str(out / "incident_responses.csv"), "end": "2025-06-30"}
    return so.Parameters.validate_values(base | values)


def _run(params: so.Parameters) -> so.Result:
    return so.analyse(so.load_inputs(params), params)


def test_published_counts_are_within_two_of_the_planted_counts(sample_set):
    out, truth = sample_set
    result = _run(_params(out))
    overall = truth["overall"]
    assert abs(result.overall["tickets"] - overall["judged_tickets"]) <= 2
    assert abs(result.overall["one_job"] - overall["one_job_tickets"]) <= 2
    failures = result.failures.set_index("failure")["tickets"]
    for failure, planted in (("repeat", "repeat_tickets"), ("reopened", "reopened_tickets"),
                             ("ping_pong", "ping_pong_tickets"), ("reassigned", "bounced_tickets")):
        assert abs(failures[failure] - overall[planted]) <= 2, failure
    services = result.services.set_index("service")
    differences = []
    for planted in truth["services"]:
        row = services.loc[planted["service"]]
        differences += [row["tickets"] - planted["judged_tickets"], row["one_job"] - planted["one_job_tickets"]]
        assert row["one_job"] <= row["tickets"], "a part never exceeds its whole"
    assert max(map(abs, differences)) <= 2
    assert any(differences), "the counts carry noise"
    shown = result.periods[~result.periods["suppressed"] & ~result.periods["empty"]]
    assert (shown["tickets"] >= result.params.min_n).all(), "noise never makes a shown period look too small"


def test_published_shares_keep_their_coverage():
    rng = np.random.default_rng(2026)
    params = so.Parameters.validate_values({"incidents_path": "x.csv", "min_n": 10}, check_inputs=False)
    for tickets, share in ((10, 0.3), (30, 0.8), (30, 0.05), (200, 0.5)):
        draws = 20_000
        exact = pd.DataFrame(0, index=range(draws), columns=list(queries.COUNTED))
        exact["tickets"] = tickets
        exact["one_job"] = rng.binomial(tickets, share, draws)
        keys = pd.DataFrame(rng.integers(0, cell_key.MODULUS, (draws, len(queries.KEY_COLUMNS))),
                            columns=list(queries.KEY_COLUMNS))
        shown = analysis.published(pd.concat([exact, keys], axis=1), params)
        interval = stats.wilson_interval(shown["one_job"], shown["tickets"], noise_variance=cell_key.VARIANCE)
        coverage = np.mean((interval.low <= share) & (share <= interval.high))
        assert coverage >= 0.93, (tickets, share, coverage)


def _exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cell_key, "perturb", lambda counts, key_sums: np.asarray(counts, dtype="int64"))
    monkeypatch.setattr(cell_key, "perturb_amounts", lambda amounts, key_sums, largest: np.asarray(amounts, dtype=float))


def _figures(result: so.Result) -> np.ndarray:
    """The counts a report publishes about its whole window: tickets, one-job tickets, each failure's tickets."""
    failures = result.failures["tickets"].to_numpy(dtype=float)
    return np.array([result.overall["tickets"], result.overall["one_job"] or 0, *failures], dtype=float)


def test_windows_a_day_apart_no_longer_give_a_days_tickets(sample_set, monkeypatch):
    out, _ = sample_set
    ends = [dt.date(2025, 5, 1) + dt.timedelta(days=k) for k in range(7)]
    with monkeypatch.context() as exact:
        _exact(exact)
        days = [_run(_params(out, start=day.isoformat(), end=day.isoformat())) for day in ends[1:]]
    assert all(not day.overall["suppressed"] for day in days), "each day is large enough to be shown on its own"
    truth = [_figures(day) for day in days]

    def days_recovered() -> int:
        totals = [_figures(_run(_params(out, end=end.isoformat()))) for end in ends]
        return sum(np.array_equal(totals[k] - totals[k - 1], truth[k - 1]) for k in range(1, len(ends)))

    with monkeypatch.context() as exact:
        _exact(exact)
        assert days_recovered() == len(ends) - 1, "without the noise every day is recovered"
    assert days_recovered() == 0
