"""Service outcomes: estimators against oracles, planted truth recovered, privacy, inputs as exported."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from statsmodels.stats.proportion import proportion_confint

from helpers import privacy
from helpers import service_outcomes as so
from helpers.analysis.results import layout_problems
from helpers.exceptions import InputDataError, ParameterError
from helpers.inputs import loading as inputs
from helpers.report.results import to_jsonable
from helpers.sample_data import outcomes as sample
from helpers.service_outcomes import queries, reporting, stats

REFERENCE = Path(__file__).parent / "reference"


# --- statistics on counts ---------------------------------------------------------------------------


def test_wilson_interval_matches_the_published_example_and_statsmodels():
    # Newcombe (1998), Stat Med 17:857, Table I: 81 of 263, Wilson score interval 0.2553 to 0.3662.
    interval = stats.wilson_interval([81], [263])
    assert interval.low[0] == pytest.approx(0.2553, abs=5e-5)
    assert interval.high[0] == pytest.approx(0.3662, abs=5e-5)
    low, high = proportion_confint([0, 7, 30], [30, 30, 30], alpha=0.1, method="wilson")
    mine = stats.wilson_interval([0, 7, 30], [30, 30, 30], confidence=0.9)
    assert np.allclose(mine.low, low) and np.allclose(mine.high, high)
    assert np.isnan(stats.wilson_interval([0], [0]).share[0]), "a group without tickets has no share"


def test_period_changes_are_holm_corrected_score_tests():
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import test_proportions_2indep

    successes, n = np.array([60, 62, 40, 41]), np.array([100, 100, 100, 100])
    changes = stats.period_changes(successes, n, reportable=[True, True, True, True])
    raw = [test_proportions_2indep(successes[k], n[k], successes[k - 1], n[k - 1], method="score").pvalue
           for k in (1, 2, 3)]
    assert np.allclose(changes.p_value[1:], raw)
    assert np.allclose(changes.p_value_holm[1:], multipletests(raw, method="holm")[1])
    assert changes.change[2] == pytest.approx(-0.22)
    assert changes.significant.tolist() == [False, False, True, False]
    hidden = stats.period_changes(successes, n, reportable=[True, False, True, True])
    assert np.isnan(hidden.p_value[:3]).all(), "a hidden period is compared with neither neighbour"


def test_steady_rates_are_flagged_at_most_at_the_nominal_rate():
    # The same score test and Holm correction as period_changes, on 2,000 steady series of 12 periods at once
    # (statsmodels' multipletests collects garbage on every call, too slow for a loop of thousands).
    from statsmodels.stats.proportion import test_proportions_2indep

    from helpers.nps_trends.stats import _holm_adjust_rows

    rng = np.random.default_rng(7)
    n = rng.integers(200, 800, (2000, 12))
    successes = rng.binomial(n, 0.62)
    p = test_proportions_2indep(successes[:, 1:], n[:, 1:], successes[:, :-1], n[:, :-1], method="score").pvalue
    flagged = (_holm_adjust_rows(p) < 0.05).any(axis=1).mean()
    assert flagged <= 0.06, f"{flagged:.3f} of steady series flagged"
    one = stats.period_changes(successes[0], n[0], reportable=np.ones(12, bool))
    assert np.allclose(one.p_value[1:], p[0])


# --- the sample: planted truth recovered exactly ------------------------------------------------------


@pytest.fixture(scope="module")
def sample_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("outcomes_sample")
    truth = sample.generate(out, scale=1, seed=42)
    return out, truth


def _params(out: Path, **values) -> so.Parameters:
    base = {
        "incidents_path": str(out / "incidents.csv"),
        "incident_events_path": str(out / "incident_events.parquet"),
        "responses_path": str(out / "incident_responses.csv"),
        "end": "2025-06-30",
    }
    return so.Parameters.validate_values(base | values)


@pytest.fixture(scope="module")
def sample_result(sample_set, exact_result):
    out, _ = sample_set
    params = _params(out)
    return so.analyse(so.load_inputs(params), params)


def test_generator_is_deterministic_small_and_valid(tmp_path, sample_set):
    out, truth = sample_set
    assert sample.generate(tmp_path, scale=1, seed=42) == truth
    for name in ("incidents.csv", "incident_responses.csv", "incident_events.parquet", "incident_log.parquet"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    assert 19_000 <= truth["rows"]["incidents"] <= 22_000, "about 20,000 tickets in six months"
    assert sum((out / n).stat().st_size for n in ("incidents.csv", "incident_events.parquet")) < 6_000_000
    inputs.check_input(str(out / "incidents.csv"), "incidents")
    inputs.check_input(str(out / "incident_events.parquet"), "incident_events")
    inputs.check_input(str(out / "incident_log.parquet"), "incident_events")


def test_counts_of_planted_failures_are_recovered_exactly(sample_set, sample_result):
    _, truth = sample_set
    overall = truth["overall"]
    failures = sample_result.failures.set_index("failure")["tickets"]
    assert sample_result.overall["tickets"] == overall["judged_tickets"]
    assert sample_result.overall["one_job"] == overall["one_job_tickets"]
    assert failures["repeat"] == overall["repeat_tickets"], "repeat detection is exact on planted repeats"
    assert failures["reopened"] == overall["reopened_tickets"]
    assert failures["ping_pong"] == overall["ping_pong_tickets"], "ping-pong is exact on the events"
    assert failures["reassigned"] == overall["bounced_tickets"]
    assert sample_result.overall["lost_user_hours"] == pytest.approx(overall["lost_hours"], rel=1e-12)
    assert sample_result.overall["waiting_hours"] == pytest.approx(overall["waiting_hours"], rel=1e-12)
    services = sample_result.services.set_index("service")
    for planted in truth["services"]:
        row = services.loc[planted["service"]]
        assert (row["tickets"], row["one_job"], row["repeat"], row["ping_pong"]) == (
            planted["judged_tickets"], planted["one_job_tickets"], planted["repeat_tickets"], planted["ping_pong_tickets"]
        ), planted["service"]


def test_planted_rates_lie_inside_the_intervals(sample_set, sample_result):
    _, truth = sample_set
    overall = sample_result.overall
    assert overall["one_job_rate_low"] <= truth["overall"]["one_job_probability"] <= overall["one_job_rate_high"]
    services = sample_result.services.set_index("service")
    covered = [services.loc[s["service"], "one_job_rate_low"] <= s["one_job_probability"]
               <= services.loc[s["service"], "one_job_rate_high"] for s in truth["services"]]
    assert sum(covered) >= 8, "10 services at 95%: at least 8 covered (seed 42 covers all)"
    below = set(services.index[services["below_overall"]])
    planted_below = {s["service"] for s in truth["services"] if s["one_job_probability"] < 0.58}
    assert planted_below <= below, "services planted well below the overall rate are flagged"
    assert "Collaboration" not in below


def test_planted_nps_by_outcome_is_recovered(sample_set, sample_result):
    _, truth = sample_set
    s = sample_result.satisfaction
    assert (s.met_responses, s.not_met_responses) == (truth["nps"]["met_responses"], truth["nps"]["not_met_responses"])
    assert s.met.value == pytest.approx(truth["nps"]["met_points"])
    planted = truth["nps"]["planted_met_points"] - truth["nps"]["planted_not_met_points"]
    assert s.difference.low <= planted <= s.difference.high
    assert s.not_found > 0, "answers naming a request item of another table are counted, not linked"


def test_the_event_log_shape_gives_the_same_figures_as_the_audit_export(sample_set, sample_result):
    out, _ = sample_set
    params = _params(out, incident_events_path=str(out / "incident_log.parquet"))
    from_log = so.analyse(so.load_inputs(params), params)
    audit, log = so.results(sample_result), so.results(from_log)
    for payload in (audit, log):
        payload.pop("parameters")
    _assert_same(audit, log)


def _assert_same(a, b, where="results"):
    """Equal, floats within 1e-9 (sums of hours in another order differ in the last bit)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}.{k}")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), where
    else:
        assert a == b, where


def test_without_events_the_reassignment_count_decides_and_ping_pong_is_unseen(sample_set, sample_result):
    out, truth = sample_set
    params = _params(out, incident_events_path=None)
    result = so.analyse(so.load_inputs(params), params)
    failures = result.failures.set_index("failure")["tickets"]
    assert failures["ping_pong"] == 0 and result.overall["waiting_hours"] == 0
    assert failures["reassigned"] == truth["overall"]["bounced_tickets"], "every planted bounce has 2+ reassignments"
    assert result.overall["one_job_rate"] == sample_result.overall["one_job_rate"]


def test_the_on_hold_team_and_the_bouncing_teams_stand_out(sample_set, sample_result):
    _, truth = sample_set
    teams = sample_result.breakdowns[sample_result.breakdowns["column"] == "assignment_group"].set_index("value")
    waiting = teams["waiting_hours_per_ticket"]
    assert waiting.idxmax() == truth["on_hold_team"] and waiting.max() > 4 * waiting.drop(truth["on_hold_team"]).max()
    worst = set(teams["reassigned_share"].nlargest(2).index)
    assert worst == set(truth["bouncing_teams"])


def test_small_contact_types_are_counted_not_named(sample_set, sample_result):
    _, truth = sample_set
    small = truth["small_contact_types"]
    assert set(small) == {"Walk-in", "Letter"} and sum(small.values()) >= 30
    shown = set(sample_result.breakdowns.loc[sample_result.breakdowns["column"] == "contact_type", "value"])
    assert not shown & set(small)
    assert {"column": "contact_type", "groups": 2, "tickets": sum(small.values())} in sample_result.hidden_groups
    payload = json.dumps(so.results(sample_result))
    assert "Walk-in" not in payload and "Letter" not in payload


# --- coverage over simulated services ------------------------------------------------------------------


def _simulated_services(rng: np.random.Generator, count: int) -> tuple[sample.Service, ...]:
    teams = list(sample.TEAMS)
    return tuple(
        sample.Service(f"S{k:04d}", 1.0, teams[k % len(teams)], "Software", float(rng.uniform(0.0, 0.12)),
                       float(rng.uniform(0.0, 0.25)), float(rng.uniform(0.02, 0.4)), f"CI{k:04d}-", 3)
        for k in range(count)
    )


def test_95_percent_intervals_cover_planted_rates_in_about_95_percent_of_simulated_services(tmp_path):
    rng = np.random.default_rng(2026)
    services = _simulated_services(rng, 1000)  # privacy.MAX_GROUPS: a report breaks down by no more services
    # As many callers as tickets, as an organisation with a thousand services has: groups count people.
    tables = sample.ticket_tables(rng, services, originals=1000 * 70, callers=1000 * 70)
    tables["incidents"].to_parquet(tmp_path / "incidents.parquet")
    tables["events"].to_parquet(tmp_path / "events.parquet")
    params = so.Parameters.validate_values({
        "incidents_path": str(tmp_path / "incidents.parquet"), "incident_events_path": str(tmp_path / "events.parquet"),
        "responses_path": None, "breakdowns": [], "end": "2025-06-30",
    })
    result = so.analyse(so.load_inputs(params), params)
    planted = {s.name: s.one_job_probability(sample.TEAMS[s.team][0]) for s in services}
    shown = result.services.set_index("service")
    assert len(shown) >= 930, "nearly every simulated service has 30 judged tickets or more"
    truth = shown.index.map(planted)
    covered = ((shown["one_job_rate_low"] <= truth) & (truth <= shown["one_job_rate_high"])).mean()
    assert 0.93 <= covered <= 0.97, f"coverage {covered:.3f}"


# --- ticket-level rules on a hand-made export ---------------------------------------------------------


def _write(path: Path, rows: list[dict]) -> str:
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def _ticket(number: str, opened: str, resolved: str | None, caller: str | None = "u1", **more) -> dict:
    return {"number": number, "opened_at": opened, "resolved_at": resolved, "caller_id": caller,
            "priority": "3 - Moderate", "business_service": "Email", **more}


def _facts(path: str, events: str | None = None, **values) -> pd.DataFrame:
    params = so.Parameters.validate_values({"incidents_path": path, "incident_events_path": events,
                                            "responses_path": None, "breakdowns": [], "min_n": 10} | values)
    data = so.load_inputs(params)
    from helpers.service_outcomes.window import analysis_window

    window = analysis_window(data, params)
    facts = None if data.events is None else queries.event_facts(data.events, data.events_shape,
                                                                 waiting_states=params.waiting_states)
    table = queries.ticket_facts(data.incidents, facts, params, as_of_epoch=window.bounds.as_of_epoch)
    return table.drop("caller_id").to_pandas().set_index("number").sort_index()


def test_repeat_contacts_follow_the_rule_exactly(tmp_path):
    rows = [
        _ticket("A1", "2025-01-06 09:00", "2025-01-06 12:00", cmdb_ci="EXCH-1"),
        _ticket("A2", "2025-01-12 11:00", "2025-01-12 13:00"),             # 6 days after A1's resolution: A1 came back
        _ticket("A3", "2025-01-20 09:00", "2025-01-20 10:00"),             # 7 days 20 h after A2: too late
        _ticket("B1", "2025-01-06 09:00", "2025-01-06 10:00", caller="u2"),
        _ticket("B2", "2025-01-07 09:00", "2025-01-07 10:00", caller="u2", business_service="VPN"),  # other service
        _ticket("C1", "2025-01-06 09:00", "2025-01-06 10:00", caller="u3", business_service="VPN", cmdb_ci="EXCH-1"),
        _ticket("C2", "2025-01-08 09:00", "2025-01-08 10:00", caller="u3", business_service="Laptop", cmdb_ci="EXCH-1"),
        _ticket("D1", "2025-01-06 09:00", None, caller="u4"),              # open: asked again while waiting
        _ticket("D2", "2025-01-09 09:00", "2025-01-09 10:00", caller="u4"),
        _ticket("E1", "2025-01-06 09:00", "2025-01-06 10:00", caller=None),
        _ticket("E2", "2025-01-07 09:00", "2025-01-07 10:00", caller=None),  # no caller: nothing links them
        _ticket("Z9", "2025-03-01 09:00", "2025-03-01 10:00", caller="u9"),
    ]
    facts = _facts(_write(tmp_path / "incidents.csv", rows))
    assert facts.loc[facts["repeat"]].index.tolist() == ["A1", "C1", "D1"]
    assert facts.loc["D1", "slow"] and facts.loc["D1", "not_resolved"] and not facts.loc["D1", "one_job"]
    assert facts.loc["A3", "one_job"] and facts.loc["B1", "one_job"]


def test_only_tickets_whose_outcome_can_be_known_are_judged(tmp_path):
    rows = [
        _ticket("T1", "2025-03-01 09:00", "2025-03-01 10:00", caller="u1"),
        _ticket("T2", "2025-03-22 17:59", "2025-03-22 18:30", caller="u2"),   # 24 h + 7 days before the export: judged
        _ticket("T3", "2025-03-22 18:01", "2025-03-22 18:30", caller="u3"),   # a minute later: too recent
        _ticket("T4", "2025-03-22 00:00", "2025-03-22 01:00", caller="u4", priority="4 - Low"),  # 72 h target: too recent
        _ticket("X", "2025-03-30 18:00", None, caller="u5"),                 # the export's latest moment
    ]
    facts = _facts(_write(tmp_path / "incidents.csv", rows))
    assert facts["judged"].to_dict() == {"T1": True, "T2": True, "T3": False, "T4": False, "X": False}


def test_first_time_allows_one_hand_off_from_the_desk_and_ping_pong_needs_a_return(tmp_path):
    rows = [_ticket(f"H{k}", "2025-01-06 09:00", "2025-01-06 12:00", caller=f"u{k}", reassignment_count=count)
            for k, count in enumerate([0, 1, 1, 2, 3, 2])]
    rows.append(_ticket("Z", "2025-03-01 09:00", None, caller="z"))
    events = [
        ("H1", "2025-01-06 09:00", "assignment_group", None, "Service Desk"),
        ("H1", "2025-01-06 09:30", "assignment_group", "Service Desk", "Network"),
        ("H2", "2025-01-06 09:00", "assignment_group", None, "Network"),          # one hand-off, not from the desk
        ("H2", "2025-01-06 09:30", "assignment_group", "Network", "Workplace"),
        ("H4", "2025-01-06 09:00", "assignment_group", None, "Service Desk"),
        ("H4", "2025-01-06 09:10", "assignment_group", "Service Desk", "Network"),
        ("H4", "2025-01-06 09:20", "assignment_group", "Network", "Workplace"),
        ("H4", "2025-01-06 09:30", "assignment_group", "Workplace", "Network"),   # back to Network: ping-pong
        ("H4", "2025-01-06 10:00", "state", "In Progress", "Awaiting User Info"),
        ("H4", "2025-01-06 11:30", "state", "Awaiting User Info", "In Progress"),
        ("H5", "2025-01-06 09:00", "assignment_group", None, "Service Desk"),
        ("H5", "2025-01-06 09:10", "assignment_group", "Service Desk", "Network"),
        ("H5", "2025-01-06 09:20", "assignment_group", "Network", "Workplace"),    # A to B: bounced, no return
    ]
    frame = pd.DataFrame(events, columns=["number", "sys_updated_on", "field", "old_value", "new_value"])
    frame.to_csv(tmp_path / "events.csv", index=False)
    facts = _facts(_write(tmp_path / "incidents.csv", rows), str(tmp_path / "events.csv"))
    assert facts["reassigned"].to_dict() == {"H0": False, "H1": False, "H2": True, "H3": True, "H4": True, "H5": True,
                                             "Z": False}
    assert facts.loc[facts["ping_pong"]].index.tolist() == ["H4"]
    assert facts.loc["H4", "waiting_hours"] == pytest.approx(1.5)
    assert facts.loc["H3", "reassigned"], "a ticket without events keeps its reassignment_count"


def test_an_audit_enriched_export_uses_each_tickets_latest_row(tmp_path):
    rows = [
        _ticket("S1", "2025-01-06 09:00", None, sys_mod_count=0, reopen_count=0),
        _ticket("S1", "2025-01-06 09:00", "2025-01-06 10:00", sys_mod_count=3, reopen_count=1),
        _ticket("S1", "2025-01-06 09:00", "2025-01-06 10:00", sys_mod_count=1, reopen_count=0),
        _ticket("Z", "2025-03-01 09:00", None, caller="z", sys_mod_count=0),
    ]
    facts = _facts(_write(tmp_path / "incidents.csv", rows))
    assert len(facts) == 2 and facts.loc["S1", "reopened"]
    without = [{k: v for k, v in row.items() if k != "sys_mod_count"} for row in rows]
    with pytest.raises(InputDataError) as caught:
        so.load_inputs(so.Parameters.validate_values({"incidents_path": _write(tmp_path / "plain.csv", without),
                                                      "incident_events_path": None, "responses_path": None,
                                                      "breakdowns": []}))
    assert str(caught.value) == (
        "plain.csv: column 'number' repeats 2 rows of an earlier ticket and there is no 'sys_mod_count' column to tell "
        "which row is the latest; export one row per ticket, or add sys_mod_count."
    )


# --- exports as they come: missing columns, errors ---------------------------------------------------


def test_a_column_missing_from_the_export_takes_its_default_with_a_note(sample_set, tmp_path):
    out, _ = sample_set
    incidents = pd.read_csv(out / "incidents.csv", dtype=str).drop(columns=["reopen_count", "made_sla"])
    incidents.to_csv(tmp_path / "incidents.csv", index=False)
    params = _params(out, incidents_path=str(tmp_path / "incidents.csv"))
    result = so.analyse(so.load_inputs(params), params)
    assert result.failures.set_index("failure").loc["reopened", "tickets"] == 0, "reopen_count's default is 0"
    assert result.overall["sla_met_share"] is None
    issues = [note.issue for note in result.quality_notes]
    assert "column 'reopen_count' is not in the export: taken as 0, so no ticket counts as reopened" in issues
    assert any(issue.startswith("column 'made_sla' is not in the export") for issue in issues)


def test_events_of_neither_shape_are_one_sentence(tmp_path, sample_set):
    out, _ = sample_set
    (tmp_path / "events.csv").write_text("ticket,when,what\nINC1,2025-01-01,x\n", encoding="utf-8")
    with pytest.raises(InputDataError) as caught:
        so.load_inputs(_params(out, incident_events_path=str(tmp_path / "events.csv")))
    assert str(caught.value) == (
        "events.csv: incident events need either the audit columns number, sys_updated_on, field, old_value, "
        "new_value or the event-log columns case:concept:name, concept:name, time:timestamp, org:group, and it has "
        "neither (columns found: ticket, when, what)."
    )


@pytest.mark.parametrize(
    "values, message",
    [
        ({"breakdowns": ["regoin"]}, "Parameter 'breakdowns': column 'regoin' is not in incidents.csv; columns there: "),
        ({"breakdowns": ["caller_id"]}, "Parameter 'breakdowns': column 'caller_id' identifies people or holds free text"),
        ({"repeat_match": []}, "Parameter 'repeat_match' needs at least one column, e.g. [business_service, cmdb_ci]."),
        ({"breakdowns": ["business_service"]},
         "Parameter 'breakdowns' repeats the service column 'business_service', which is always shown."),
        ({"start": "2024-01-01", "end": "2024-02-01"}, "No ticket was opened in the analysis window 2024-01-01 to "
         "2024-02-01 (parameter 'start' is 2024-01-01 and 'end' is 2024-02-01); incidents.csv has tickets opened from "
         "2025-01-01 to 2025-06-30."),
    ],
)
def test_parameter_problems_are_one_sentence(sample_set, values, message):
    out, _ = sample_set
    with pytest.raises(ParameterError) as caught:
        params = _params(out, **values)
        from helpers.service_outcomes.window import check_window

        check_window(params)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_responses_without_ticket_ids_are_refused(sample_set, tmp_path):
    out, _ = sample_set
    (tmp_path / "responses.csv").write_text("response_id,timestamp,score\nR1,2025-01-02,9\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"^responses.csv: the responses have no 'ticket_id' column"):
        so.load_inputs(_params(out, responses_path=str(tmp_path / "responses.csv")))


# --- a real ServiceNow export: the UCI incident event log ---------------------------------------------


def test_the_uci_servicenow_log_is_read_end_to_end(exact_result):
    path = REFERENCE / "uci_incident_event_log.csv"
    params = so.Parameters.validate_values({
        "incidents_path": str(path), "incident_events_path": None, "responses_path": None,
        "service_column": "category", "repeat_match": ["category"], "breakdowns": ["assignment_group"],
        "service_desk_groups": ["Group 70"], "min_n": 10,  # 127 callers: at 30, most categories are a few people's
    })
    data = so.load_inputs(params)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    latest = raw.assign(mods=raw["sys_mod_count"].astype(int)).sort_values("mods").groupby("number").tail(1)
    assert data.earlier_rows == len(raw) - raw["number"].nunique()
    loaded = data.incidents.to_pandas().set_index("number").sort_index()
    assert len(loaded) == raw["number"].nunique()
    # Day-first dates and "?" as empty, read in the input layer.
    expected = pd.to_datetime(latest.set_index("number")["opened_at"], format="%d/%m/%Y %H:%M").sort_index()
    assert (loaded["opened_at"] == expected).all()
    assert loaded["resolved_at"].isna().sum() == (latest["resolved_at"] == "?").sum()
    assert loaded["cmdb_ci"].isna().sum() == (latest["cmdb_ci"] == "?").sum()
    assert loaded["reopen_count"].tolist() == latest.set_index("number").sort_index()["reopen_count"].astype(int).tolist()
    result = so.analyse(data, params)
    judged = result.overall["tickets"]
    assert 0 < judged <= len(loaded)
    reopened = result.failures.set_index("failure").loc["reopened", "tickets"]
    assert reopened <= (latest["reopen_count"].astype(int) > 0).sum()
    assert result.overall["sla_met_share"] is not None and 0 < result.overall["one_job_rate"] < 1
    assert any("earlier versions of a ticket" in note.issue for note in result.quality_notes)
    assert result.window_start == dt.date(2016, 2, 29)


def test_the_uci_log_as_an_event_log_gives_hand_offs_and_waiting_time(tmp_path):
    raw = pd.read_csv(REFERENCE / "uci_incident_event_log.csv", dtype=str, keep_default_na=False)
    log = raw.rename(columns={"number": "case:concept:name", "incident_state": "concept:name",
                              "sys_updated_at": "time:timestamp", "assignment_group": "org:group"})
    log[["case:concept:name", "concept:name", "time:timestamp", "org:group"]].to_csv(tmp_path / "log.csv", index=False)
    params = so.Parameters.validate_values({
        "incidents_path": str(REFERENCE / "uci_incident_event_log.csv"), "incident_events_path": str(tmp_path / "log.csv"),
        "responses_path": None, "service_column": "category", "repeat_match": ["category"], "breakdowns": [],
        "service_desk_groups": ["Group 70"], "min_n": 10,
    })
    result = so.analyse(so.load_inputs(params), params)
    assert result.overall["with_events"] == result.overall["tickets"]
    assert result.overall["waiting_hours"] > 0, "the log's 'Awaiting User Info' states are timed"
    assert result.failures.set_index("failure").loc["ping_pong", "tickets"] > 0


def test_the_uci_extract_carries_its_source_and_licence():
    source = (REFERENCE / "SOURCE.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in source and "10.24432/C57S4H" in source
    assert "multiple of 40" in source


# --- the report's words and results.json ---------------------------------------------------------------


def test_results_carry_the_contract_fields_in_order(sample_result):
    payload = so.results(sample_result)
    assert list(payload)[:4] == ["analysis", "parameters", "period", "units"]
    assert payload["analysis"] == "service_outcomes"
    assert payload["period"] == {"start": "2025-01-01", "end": "2025-06-30"}
    assert set(payload["failures"]) >= {"reopened", "repeat", "slow", "reassigned", "ping_pong"}
    for key in ("one_job_rate", "nps_met", "nps_not_met", "nps_difference"):
        assert payload[f"{key}_low"] <= payload[key] <= payload[f"{key}_high"], key
    assert all(0 <= s["one_job_rate"] <= 1 for s in payload["services"]), "shares are 0-1"
    units = payload["units"]
    assert units["one_job_rate"] == "share" and units["lost_user_hours"] == "hours" and units["lost_user_cost"] == "EUR"
    assert units["nps_difference"] == "points"
    assert layout_problems(payload) == [], "main's common layout: units name figures, shares 0-1, no parameter at the top"
    assert "confidence" not in json.dumps(payload["comparisons"]) and "currency" not in payload
    json.dumps(payload, allow_nan=False)


def test_the_headline_answers_the_question_with_figures_and_intervals(sample_result):
    words = " ".join(so.headline(sample_result))
    assert words.startswith("Of 19,650 tickets opened from January to June 2025 whose outcome is known, ")
    assert "were solved quickly the first time;" in words and "came back (reopened or asked again)" in words
    assert "bounced between teams; users waited" in words and "beyond the quick target, most on" in words
    assert "met their SLA" in words and "Below the overall rate with their whole interval" in words
    table = reporting.group_table(sample_result.services, label="Service", column="service").data
    assert table.columns[0] == "Service" and (table["Below overall"] == "below").sum() >= 3


def test_nothing_judged_yet_is_a_parameter_error(tmp_path):
    rows = [_ticket("T1", "2025-03-20 09:00", "2025-03-20 10:00"), _ticket("T2", "2025-03-21 09:00", None, caller="u2")]
    params = so.Parameters.validate_values({"incidents_path": _write(tmp_path / "incidents.csv", rows),
                                            "incident_events_path": None, "responses_path": None, "breakdowns": []})
    with pytest.raises(ParameterError, match=r"^None of the 2 tickets opened from 2025-03-20 to 2025-03-21 can be judged"):
        so.analyse(so.load_inputs(params), params)


def test_scale_streams_slices_to_parquet(tmp_path):
    truth = sample.generate(tmp_path, scale=2, seed=5)
    rows = {name: pq.ParquetFile(tmp_path / f"{name}.parquet").metadata.num_rows
            for name in ("incidents", "incident_events", "incident_log", "incident_responses")}
    assert rows == {"incidents": truth["rows"]["incidents"], "incident_events": truth["rows"]["events"],
                    "incident_log": truth["rows"]["log"], "incident_responses": truth["rows"]["responses"]}
    numbers = pd.read_parquet(tmp_path / "incidents.parquet", columns=["number"])["number"]
    assert numbers.is_unique and 38_000 <= len(numbers) <= 44_000
    params = so.Parameters.validate_values({
        "incidents_path": str(tmp_path / "incidents.parquet"), "incident_events_path": str(tmp_path / "incident_events.parquet"),
        "responses_path": str(tmp_path / "incident_responses.parquet"), "end": "2025-06-30",
    })
    result = so.analyse(so.load_inputs(params), params)
    assert result.overall["tickets"] == truth["overall"]["judged_tickets"]
    assert result.failures.set_index("failure").loc["repeat", "tickets"] == truth["overall"]["repeat_tickets"]


# --- group sizes count people ----------------------------------------------------------------------------------


def _one_callers_service(tmp_path: Path) -> str:
    """Email and VPN: 40 tickets of 40 callers each; Payroll: 40 tickets of one caller."""
    rows = []
    for k in range(40):
        day = f"2025-01-{1 + k % 28:02d}"
        rows.append(_ticket(f"E{k}", f"{day} 09:00", f"{day} 10:00", caller=f"e{k}", business_service="Email"))
        rows.append(_ticket(f"V{k}", f"{day} 09:00", f"{day} 10:00", caller=f"v{k}", business_service="VPN"))
        rows.append(_ticket(f"P{k}", f"{day} 11:00", f"{day} 12:00", caller="boss", business_service="Payroll",
                            cmdb_ci=f"CI{k}"))
    rows.append(_ticket("Z", "2025-03-01 09:00", None, caller="z", business_service="Email"))
    return _write(tmp_path / "incidents.csv", rows)


def test_a_service_of_one_callers_tickets_is_not_shown_however_many_tickets(tmp_path):
    params = so.Parameters.validate_values({"incidents_path": _one_callers_service(tmp_path), "incident_events_path": None,
                                            "responses_path": None, "breakdowns": [], "repeat_match": ["cmdb_ci"]})
    result = so.analyse(so.load_inputs(params), params)
    assert "Payroll" not in set(result.services["service"]), "40 tickets, one person: that person's outcomes"
    assert len(result.services) == 1, "and one more service hidden with it, so it cannot be worked out from the total"
    (hidden,) = result.hidden_groups
    assert hidden["groups"] == 2 and hidden["tickets"] == 80
    text = json.dumps(to_jsonable(so.results(result))) + " ".join(so.headline(result))
    assert "Payroll" not in text and "boss" not in text


def test_people_counts_counts_distinct_callers_per_line(tmp_path):
    params = so.Parameters.validate_values({"incidents_path": _one_callers_service(tmp_path), "incident_events_path": None,
                                            "responses_path": None, "breakdowns": [], "repeat_match": ["cmdb_ci"]})
    data = so.load_inputs(params)
    from helpers.service_outcomes.window import analysis_window

    window = analysis_window(data, params)
    facts = queries.ticket_facts(data.incidents, None, params, as_of_epoch=window.bounds.as_of_epoch)
    people = queries.people_counts(facts, period="M", start=window.start, end=window.end, columns=["business_service"])
    assert int(people["overall"]["people"].sum()) == 81
    assert people["business_service"].set_index("value")["people"].to_dict() == {"Email": 40, "VPN": 40, "Payroll": 1}
    assert people["period_start"]["people"].tolist() == [81]


def test_the_pre_kernel_check_sizes_incident_groups_in_people(tmp_path):
    # 25 teams of 40 tickets each, every team's tickets from 2 callers: 1,000 tickets but 50 people.
    rows = [_ticket(f"T{k}", "2025-01-06 09:00", "2025-01-06 10:00", caller=f"c{k % 50}",
                    assignment_group=f"Team {k % 25}") for k in range(1000)]
    path = _write(tmp_path / "incidents.csv", rows)
    with pytest.raises(ParameterError, match=r"puts 50 of 50 people in groups of fewer than 30"):
        privacy.check_groupings("breakdowns", ["assignment_group"], spec=path, kind="incidents", min_n=30)
