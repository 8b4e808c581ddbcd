"""Service outcomes as published: counts with the cell-key method's noise (within 2 of the truth), intervals that
keep their coverage, hours with noise scaled to their largest ticket, and windows a day apart that no longer give a
day's tickets or hours away (issue 24)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import cell_key
from helpers import service_outcomes as so
from helpers.report.results import to_jsonable
from helpers.sample_data import outcomes as sample
from helpers.service_outcomes import analysis, queries, stats
from helpers.service_outcomes.window import analysis_window


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


@pytest.fixture(scope="module")
def sample_result(sample_set):
    return _run(_params(sample_set[0]))


def test_published_counts_are_within_two_of_the_planted_counts(sample_set, sample_result):
    _, truth = sample_set
    result = sample_result
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


def _judged_tickets(out: Path) -> pd.DataFrame:
    """Each judged ticket's opening moment and exact hours, from the engine (whether a ticket is judged does not
    depend on the window: it is measured against the export's latest moment)."""
    params = _params(out)
    data = so.load_inputs(params)
    window = analysis_window(data, params)
    events = queries.event_facts(data.events, data.events_shape, waiting_states=params.waiting_states)
    facts = queries.ticket_facts(data.incidents, events, params, as_of_epoch=window.bounds.as_of_epoch)
    return facts.filter(facts.judged).select("opened_at", "lost_hours", "waiting_hours").to_pandas()


def test_windows_a_day_apart_no_longer_give_a_days_tickets_or_hours(sample_set, monkeypatch):
    out, _ = sample_set
    ends = [dt.date(2025, 5, 1) + dt.timedelta(days=k) for k in range(7)]
    with monkeypatch.context() as exact:
        _exact(exact)
        days = [_run(_params(out, start=day.isoformat(), end=day.isoformat())) for day in ends[1:]]
        exact_totals = [_run(_params(out, end=end.isoformat())) for end in ends]
    totals = [_run(_params(out, end=end.isoformat())) for end in ends]
    assert all(not day.overall["suppressed"] for day in days), "each day is large enough to be shown on its own"

    def days_recovered(runs: list[so.Result]) -> int:
        figures = [_figures(run) for run in runs]
        return sum(np.array_equal(figures[k] - figures[k - 1], _figures(days[k - 1])) for k in range(1, len(ends)))

    assert days_recovered(exact_totals) == len(ends) - 1, "without the noise every day's counts are recovered"
    assert days_recovered(totals) == 0

    tickets = _judged_tickets(out)
    opened = tickets["opened_at"].dt.date
    for figure, hours in (("lost_user_hours", "lost_hours"), ("waiting_hours", "waiting_hours")):
        day_hours = np.array([tickets.loc[opened == day, hours].sum() for day in ends[1:]])
        largest = np.array([tickets.loc[opened == day, hours].max() for day in ends[1:]])
        exact_days = np.diff([run.overall[figure] for run in exact_totals])
        np.testing.assert_allclose(exact_days, day_hours, rtol=1e-9, err_msg=f"without the noise: each day's {hours}")
        # With it, the difference misses each day's hours by a share of the largest ticket in the windows
        # (the same ticket in both, mostly), so the largest ticket of the day cannot be worked out either.
        error = np.abs(np.diff([run.overall[figure] for run in totals]) - day_hours)
        assert (error > 0.01 * largest).all(), (hours, error / largest)
        assert np.mean(error / largest) >= 0.5, (hours, error / largest)


def test_hours_carry_the_same_noise_in_every_run_and_their_largest_ticket_is_never_published(sample_set,
                                                                                            sample_result):
    out, truth = sample_set
    first, second = sample_result, _run(_params(out))
    assert first.overall["lost_user_hours"] == second.overall["lost_user_hours"]
    assert first.overall["waiting_hours"] == second.overall["waiting_hours"]
    pd.testing.assert_frame_equal(first.services, second.services)
    assert first.overall["lost_user_hours"] != pytest.approx(truth["overall"]["lost_hours"], rel=1e-9), "noisy"
    assert first.overall["lost_user_cost"] == pytest.approx(first.overall["lost_user_hours"] * first.params.hourly_cost)
    frames = (first.services, first.breakdowns, first.periods)
    assert not [column for frame in frames for column in frame.columns if column.endswith("_top")]
    assert "_top" not in json.dumps(to_jsonable(so.results(first)))
