"""NPS trends: oracle values, interval coverage, false alarms, the planted step, suppression, escaping."""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings

import ibis
import matplotlib as mpl
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from statsmodels.stats.multitest import multipletests

from helpers import nps_trends as nps
from helpers import report
from helpers.exceptions import ParameterError
from helpers.inputs import loading as inputs
from helpers.nps_trends import analysis as nps_analysis
from helpers.nps_trends import plots as nps_plots
from helpers.nps_trends import queries as nps_queries
from helpers.nps_trends import reporting as nps_report
from helpers.nps_trends import stats as nps_stats
from helpers.paths import NOTEBOOKS_DIR
from helpers.report.display import with_interval
from helpers.sample_data import nps as sample_nps

# --- oracle values: tests/nps_trends/reference/nps/SOURCE.md ------------------------------------------------
# counts (detractors, passives, promoters); Wald NPS, SE, CI; adjusted-Wald NPS, SE, CI (points).
ORACLE = [
    ((1, 2, 3), (33.33, 30.43, -26.31, 92.97), (22.22, 24.98, -26.74, 71.19)),
    ((1, 1, 1), (0.00, 47.14, -92.39, 92.39), (0.00, 31.18, -61.11, 61.11)),
    ((395, 476, 291), (-8.95, 2.239, -13.34, -4.56), (-8.93, 2.235, -13.31, -4.55)),
    ((75, 675, 250), (17.50, 1.716, 14.14, 20.86), (17.45, 1.715, 14.09, 20.81)),
]
HOSTILE = sample_nps.HOSTILE_COMMENTS[:3]


@pytest.mark.parametrize("counts, wald, adjusted", ORACLE, ids=lambda v: str(v))
def test_oracle_values_hold_to_a_hundredth_of_a_point(counts, wald, adjusted):
    for got, expected in ((nps_stats.wald_interval(counts), wald), (nps_stats.adjusted_wald_interval(counts), adjusted)):
        assert np.abs(np.array([got.nps, got.se, got.low, got.high]) - np.array(expected)).max() <= 0.01


def test_plain_nps_is_reported_beside_the_adjusted_interval():
    table = nps_analysis.nps_table(pd.DataFrame({"detractors": [395], "passives": [476], "promoters": [291], "n": [1162]}),
                          min_n=30, confidence=0.95)
    assert table.loc[0, "nps"] == pytest.approx(-8.95, abs=0.01)
    assert (table.loc[0, "nps_low"], table.loc[0, "nps_high"]) == pytest.approx((-13.31, -4.55), abs=0.01)


def test_95_percent_uses_the_0975_quantile():
    assert nps_stats.z_value(0.95) == pytest.approx(1.95996, abs=1e-5)
    # The published "independent proportions" interval for row 4 (14.3-20.5) is too narrow; ours is not that.
    interval = nps_stats.wald_interval((75, 675, 250))
    assert interval.low < 14.2 and interval.high > 20.7


# --- coverage and false alarms (simulated, seeded, vectorised) -----------------------------------


def _simulate(rng, n, shares):
    shares = np.asarray(shares, dtype=float)
    return rng.multinomial(n, shares / shares.sum(axis=-1, keepdims=True))


def test_95_percent_intervals_cover_the_true_nps_93_to_97_percent_of_the_time():
    rng = np.random.default_rng(20250203)
    periods = 40_000
    n = rng.integers(30, 2000, periods)
    detractor_share = rng.uniform(0.05, 0.45, periods)
    promoter_share = rng.uniform(0.15, 0.65, periods) * (1 - detractor_share)
    shares = np.column_stack([detractor_share, 1 - detractor_share - promoter_share, promoter_share])
    counts = _simulate(rng, n, shares)
    interval = nps_stats.adjusted_wald_interval(counts)
    truth = 100 * (promoter_share - detractor_share)
    coverage = np.mean((interval.low <= truth) & (truth <= interval.high))
    assert 0.93 <= coverage <= 0.97, coverage


@pytest.mark.parametrize("n", [30, 100, 1000])
@pytest.mark.parametrize("shares", [(0.27, 0.31, 0.42), (0.10, 0.30, 0.60), (0.40, 0.40, 0.20), (0.05, 0.10, 0.85)])
def test_coverage_holds_for_small_and_large_periods(n, shares):
    rng = np.random.default_rng(n)
    counts = rng.multinomial(n, shares, size=20_000)
    interval = nps_stats.adjusted_wald_interval(counts)
    truth = 100 * (shares[2] - shares[0])
    coverage = np.mean((interval.low <= truth) & (truth <= interval.high))
    assert 0.93 <= coverage <= 0.97, coverage


def _steady_series(rng, series=4000, periods=18):
    n = rng.poisson(300, (series, periods))
    shares = np.array([0.27, 0.31, 0.42])
    counts = np.stack([rng.multinomial(k, shares) for k in n.ravel()]).reshape(series, periods, 3)
    return counts, n


def test_steady_periods_are_flagged_at_most_at_the_nominal_rate():
    rng = np.random.default_rng(7)
    counts, n = _steady_series(rng)
    tests = nps_stats.period_over_period(counts, reportable=n >= 30, confidence=0.95)
    series = counts.shape[0]
    # The z-test itself is calibrated: uncorrected, about 5% of steady comparisons look significant...
    unadjusted = np.nanmean(tests.p_value < 0.05)
    assert 0.04 <= unadjusted <= 0.06, unadjusted
    # ...and Holm keeps the chance of any false alarm in a 17-comparison report at 5% (within 2 MC SEs).
    family_wise = tests.significant.any(axis=1).mean()
    assert family_wise <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / series), family_wise
    assert tests.significant.mean() <= 0.05
    assert (tests.comparisons == 17).all()


def test_a_real_change_is_still_detected():
    rng = np.random.default_rng(11)
    before = rng.multinomial(1000, [0.27, 0.31, 0.42], size=(2000, 6))
    after = rng.multinomial(1000, [0.20, 0.31, 0.49], size=(2000, 6))  # +14 points from period 7 on
    counts = np.concatenate([before, after], axis=1)
    tests = nps_stats.period_over_period(counts, reportable=np.ones(counts.shape[:2], bool))
    # z is about 4 against a Holm threshold of about 2.8 for 11 comparisons: power near 0.88.
    assert tests.significant[:, 6].mean() > 0.8
    assert tests.significant[:, [1, 2, 3, 4, 5, 7, 8, 9, 10, 11]].mean() < 0.01


def test_holm_is_statsmodels_and_the_simulation_shortcut_matches_it():
    rng = np.random.default_rng(3)
    p = rng.uniform(size=(2, 9)) ** 3  # few rows: multipletests runs gc.collect() on every call
    p[0, [2, 5]] = np.nan
    rows = nps_stats._holm_adjust_rows(p)
    for row, got in zip(p, rows):
        tested = ~np.isnan(row)
        expected = multipletests(row[tested], method="holm")[1]
        np.testing.assert_allclose(got[tested], expected)
        np.testing.assert_allclose(nps_stats.holm_adjust(row)[tested], expected)
        assert np.isnan(got[~tested]).all() and np.isnan(nps_stats.holm_adjust(row)[~tested]).all()
    with pytest.raises(ValueError, match="one family"):
        nps_stats.holm_adjust(p)
    # A single report (1-D) and the same series inside a simulated stack give the same answer.
    counts = rng.multinomial(200, [0.3, 0.3, 0.4], size=(3, 8))
    stacked = nps_stats.period_over_period(counts, reportable=np.ones((3, 8), bool))
    single = nps_stats.period_over_period(counts[1], reportable=np.ones(8, bool))
    np.testing.assert_allclose(stacked.p_value_holm[1], single.p_value_holm)


def test_small_periods_are_not_compared():
    counts = np.array([[40, 30, 60], [5, 5, 10], [50, 30, 50], [45, 35, 50]])
    tests = nps_stats.period_over_period(counts, reportable=counts.sum(1) >= 30)
    assert np.isnan(tests.change[:3]).all() and not np.isnan(tests.change[3])
    assert tests.comparisons == 1


# --- regression on counts -------------------------------------------------------------------------


@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "HC2", "HC3"])
def test_regression_on_daily_counts_equals_ols_on_every_response(cov_type):
    rng = np.random.default_rng(5)
    days = np.sort(rng.choice(200, 60, replace=False)) + 0.5
    counts = rng.integers(0, 12, (60, 3))
    fit = nps_stats.segmented_regression(days, counts, [100.0], cov_type=cov_type)
    weights = counts.reshape(-1)
    rows = np.repeat(np.repeat(nps_stats.segmented_design(days, [100.0]), 3, axis=0), weights, axis=0)
    outcome = np.repeat(np.tile([-100.0, 0.0, 100.0], len(days)), weights)
    reference = sm.OLS(outcome, rows).fit(cov_type=cov_type)
    np.testing.assert_allclose(fit.coef, reference.params, rtol=1e-10)
    np.testing.assert_allclose(fit.cov, reference.cov_params(), rtol=1e-8)
    trend = nps_stats.linear_trend(days, counts, cov_type=cov_type)
    simple = sm.OLS(outcome, sm.add_constant(rows[:, 1])).fit(cov_type=cov_type)
    assert trend.value == pytest.approx(simple.params[1]) and trend.se == pytest.approx(simple.bse[1])


def test_segmented_regression_separates_a_step_from_the_trend():
    rng = np.random.default_rng(9)
    days = np.arange(540) + 0.5
    months = days / nps_stats.DAYS_PER_MONTH
    true_nps = 5 + 0.5 * months + 12 * (days >= 400)
    shares = np.column_stack([0.35 - true_nps / 200, np.full(540, 0.3), 0.35 + true_nps / 200])
    counts = _simulate(rng, rng.poisson(60, 540), shares)
    fit = nps_stats.segmented_regression(days, counts, [400.0])
    level, slope = fit.level_changes[0], fit.trend_changes[0]
    assert level.low < 12 < level.high and level.low > 0
    assert slope.low < 0 < slope.high
    assert fit.coef[1] == pytest.approx(0.5, abs=0.3)


# --- queries in DuckDB ------------------------------------------------------------------------------


def _responses_table(frame: pd.DataFrame) -> ibis.Table:
    frame = frame.copy()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    for column in ("comment", "ticket_id"):
        if column not in frame:
            frame[column] = pd.Series([None] * len(frame), dtype=object)
    return ibis.memtable(frame)


def test_counts_per_period_and_day_come_from_duckdb():
    frame = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(8)],
            "timestamp": ["2025-01-05 10:00", "2025-01-06 09:00", "2025-01-31 23:59", "2025-02-01 00:00",
                          "2025-03-31 12:00", "2025-04-01 08:00", "2025-04-01 09:00", "2025-06-30 17:00"],
            "score": [0, 6, 7, 8, 9, 10, 10, 3],
        }
    )
    table = _responses_table(frame)
    monthly = nps_queries.period_counts(table, period="M")
    assert monthly["period_start"].dt.strftime("%Y-%m").tolist() == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-06"]
    assert monthly[["detractors", "passives", "promoters"]].values.tolist() == [[2, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 2], [1, 0, 0]]
    weekly = nps_queries.period_counts(table, period="W")
    assert weekly["period_start"].iloc[:2].dt.strftime("%Y-%m-%d").tolist() == ["2024-12-30", "2025-01-06"]
    quarterly = nps_queries.period_counts(table, period="Q")
    assert quarterly["n"].tolist() == [5, 3]
    daily = nps_queries.daily_counts(table)
    assert daily["n"].sum() == 8 and len(daily) == 7


def test_tickets_join_buckets_and_first_time_fix():
    responses = _responses_table(
        pd.DataFrame(
            {
                "response_id": ["a", "b", "c", "d", "e", "f"],
                "timestamp": ["2025-01-10"] * 6,
                "score": [10, 9, 3, 8, 10, 0],
                "ticket_id": ["T1", "T2", "T3", "T4", "T404", None],
            }
        )
    )
    tickets = ibis.memtable(
        pd.DataFrame(
            {
                "ticket_id": ["T1", "T2", "T3", "T4"],
                "opened": pd.to_datetime(["2025-01-01 00:00", "2025-01-01 00:00", "2025-01-01 00:00", "2025-01-01 00:00"]),
                "resolved": pd.to_datetime(["2025-01-01 03:59", "2025-01-01 04:00", "2025-01-09 00:00", None]),
                "reopened": [False, True, False, False],
            }
        )
    )
    counts = nps_queries.ticket_counts(responses, tickets)
    found = counts[counts["linked"] == "ticket found"].set_index("resolution_time")
    assert found.loc["under 4 hours", "promoters"] == 1 and bool(found.loc["under 4 hours", "first_time_fix"])
    assert found.loc["4-24 hours", "promoters"] == 1 and not bool(found.loc["4-24 hours", "first_time_fix"])
    assert found.loc["over 7 days", "detractors"] == 1
    assert found.loc["not resolved", "passives"] == 1 and not bool(found.loc["not resolved", "first_time_fix"])
    by_link = counts.groupby("linked")["n"].sum()
    assert by_link.to_dict() == {"no ticket": 1, "ticket found": 4, "ticket not found": 1}


# --- the sample data: planted truth ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("nps_sample")
    truth = sample_nps.generate(out, scale=1, seed=42)
    return out, truth


def _params(out, **values):
    base = {
        "responses_path": str(out / "responses.csv"),
        "tickets_path": str(out / "tickets.csv"),
        "events": [{"date": "2025-02-03", "label": "New support desk live"}],
    }
    return nps.Parameters.validate_values(base | values)


@pytest.fixture(scope="module")
def sample_analysis(sample, exact_result):
    out, _ = sample
    params = _params(out, segments=["region", "tier"])
    return nps.analyse(nps.load_inputs(params), params)


def test_generator_is_deterministic_and_small(tmp_path, sample):
    out, truth = sample
    again = sample_nps.generate(tmp_path, scale=1, seed=42)
    assert again == truth
    for name in ("responses.csv", "tickets.csv"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()
    assert 20_000 <= truth["rows"]["responses"] <= 50_000
    assert sum((out / n).stat().st_size for n in ("responses.csv", "tickets.csv")) < 3_500_000
    inputs.check_input(str(out / "responses.csv"), "responses")
    inputs.check_input(str(out / "tickets.csv"), "tickets")


def test_planted_step_is_detected_with_its_size_inside_the_interval(sample, sample_analysis):
    _, truth = sample
    event = sample_analysis.events.iloc[0]
    step = truth["event"]["step_points"]
    assert str(event["date"]) == truth["event"]["date"]
    assert event["level_change_low"] > 0, "the step is detected"
    assert event["level_change_low"] <= step <= event["level_change_high"]
    assert event["trend_change_low"] <= truth["trend_change_at_event_points_per_month"] <= event["trend_change_high"]
    assert "stepped up" in " ".join(nps.headline(sample_analysis))


def test_trend_is_the_underlying_slope_not_a_line_through_the_step(sample, sample_analysis):
    out, truth = sample
    trend = sample_analysis.trend
    assert trend.basis == "segmented" and len(trend.stretches) == 2
    before, after = trend.stretches
    planted = truth["trend_points_per_month"]
    assert before.slope.low <= planted <= before.slope.high
    assert after.slope.low <= planted + truth["trend_change_at_event_points_per_month"] <= after.slope.high
    assert str(after.start) == truth["event"]["date"] and before.end < after.start
    # The after-event slope's interval comes from the covariance: its SE is that of b + d.
    fit_free = nps.analyse(nps.load_inputs(_params(out, events=[])), _params(out, events=[]))
    assert fit_free.trend.basis == "straight line"
    assert fit_free.trend.headline.slope.value > before.slope.high, "a line through the step is steeper"
    sentence = nps_report.trend_sentence(sample_analysis)
    assert "Apart from the step at each event" in sentence and "3 February 2025" in sentence
    assert "straight line through the whole window." in nps_report.trend_sentence(fit_free)
    record = nps.results(sample_analysis)["trend"]
    assert record["points_per_month"] == before.slope.value and record["to"] == "2025-02-02"
    assert [s["from"] for s in record["stretches"]] == ["2024-01-01", "2025-02-03"]


def test_stretch_slopes_use_the_covariance_of_slope_and_slope_change():
    rng = np.random.default_rng(4)
    days = np.arange(300) + 0.5
    counts = rng.multinomial(40, [0.3, 0.3, 0.4], size=300)
    fit = nps_stats.segmented_regression(days, counts, [150.0])
    before, after = nps_stats.stretch_slopes(fit)
    assert before.value == pytest.approx(fit.coef[1]) and before.se == pytest.approx(np.sqrt(fit.cov[1, 1]))
    assert after.value == pytest.approx(fit.coef[1] + fit.coef[3])
    assert after.se == pytest.approx(np.sqrt(fit.cov[1, 1] + fit.cov[3, 3] + 2 * fit.cov[1, 3]))


def test_first_time_fix_difference_matches_the_planted_groups(sample, sample_analysis):
    _, truth = sample
    groups = truth["expected_nps_by_first_time_fix"]
    expected = groups["first-time fix"]["nps"] - groups["not fixed first time"]["nps"]
    difference = sample_analysis.tickets.first_time_fix_difference
    assert difference.low <= expected <= difference.high and difference.low > 0
    by_time = sample_analysis.tickets.by_resolution_time.set_index("group")["nps"]
    assert by_time["under 4 hours"] > by_time["over 7 days"] > by_time["not resolved"]
    # The difference is of the plain NPS values the table shows, not of adjusted ones.
    by_fix = sample_analysis.tickets.by_first_time_fix.set_index("group")["nps"]
    assert difference.value == pytest.approx(by_fix["first-time fix"] - by_fix["not fixed first time"], abs=1e-9)
    assert difference.low < difference.value < difference.high


def test_small_region_and_outage_weeks_are_suppressed(sample, sample_analysis):
    out, truth = sample
    small = truth["suppressed_region"]
    # A group under min_n is not named anywhere: not in the tables, results, plots or notes.
    assert small not in set(sample_analysis.segments["value"])
    assert small not in set(sample_analysis.segment_periods["value"])
    results = nps.results(sample_analysis)
    assert small not in json.dumps(results, default=str)
    assert not any(small in note.issue or small in str(note.examples) for note in sample_analysis.quality_notes)
    hidden = next(h for h in results["hidden_segments"] if h["segment"] == "region")
    # Complementary suppression: one small region alone would be the total minus the regions shown.
    assert hidden["groups"] >= 2 and hidden["responses"] >= 30
    shown = sample_analysis.segments[sample_analysis.segments["segment"] == "region"]
    assert shown["n"].sum() + hidden["responses"] == sample_analysis.overall["n"]
    note = next(note for note in sample_analysis.quality_notes if "segment column 'region'" in note.issue)
    assert note.issue.endswith(f"{hidden['groups']} smaller groups, {hidden['responses']:,} responses, not shown")
    ax = nps_plots.interval_plot(sample_analysis.segments, min_n=30)
    assert not any(small in t.get_text() for t in ax.get_yticklabels())
    plt.close("all")

    params = _params(out, period="W")
    weekly = nps.analyse(nps.load_inputs(params), params)
    outage = weekly.periods[weekly.periods["period"].isin(["2024-08-12", "2024-08-19"])]
    assert outage["suppressed"].all() and outage["nps"].isna().all() and outage["change"].isna().all()
    after = weekly.periods[weekly.periods["period"] == "2024-08-26"].iloc[0]
    assert pd.isna(after["change"]), "a period after a gap is not compared with the gap"
    assert weekly.comparisons == len(weekly.periods) - 1 - 3
    note = next(note for note in weekly.quality_notes if "fewer than 30 responses" in note.issue)
    assert note.unit == "periods" and note.rows == len(outage), "the note counts periods, not their responses"
    records = {p["period"]: p for p in nps.results(weekly)["periods"]}
    for period in ("2024-08-12", "2024-08-19"):
        assert records[period]["suppressed"] is True
        assert all(records[period][key] is None for key in ("n", "promoters", "passives", "detractors"))
    table = nps_report.period_table(weekly.periods, min_n=30).data.set_index("Period")
    assert table.loc["2024-08-12", "Responses"] == "fewer than 30"
    assert str(int(weekly.periods.set_index("period").loc["2024-08-12", "n"])) not in table.loc["2024-08-12"].tolist()


def test_results_carry_the_contract_fields(sample_analysis):
    results = report.to_jsonable(nps.results(sample_analysis))
    json.dumps(results, allow_nan=False)
    period_fields = {"period", "n", "promoters", "passives", "detractors", "nps", "nps_low", "nps_high",
                     "change", "change_p_value", "significant"}
    assert all(period_fields <= set(p) for p in results["periods"])
    assert period_fields - {"change", "change_p_value", "significant"} <= set(results["overall"])
    assert {"points_per_month", "points_per_month_low", "points_per_month_high", "basis"} <= set(results["trend"])
    assert results["trend"]["basis"] == nps_report.TREND_BASIS["segmented"]
    assert all(p["partial"] is False for p in results["periods"]), "the sample data covers whole months"
    assert {"date", "label", "level_change", "level_change_low", "level_change_high"} <= set(results["event_changes"][0])
    assert all({"segment", "value", "n", "nps", "nps_low", "nps_high", "suppressed"} <= set(s) for s in results["by_segment"])
    assert results["comparisons"]["count"] == 19 and results["tickets"]["linked_responses"] > 0
    # the sample with segments, events and tickets has a figure for every unit the analysis declares
    assert results["units"] == nps_report.UNITS
    assert results["period"] == {"start": "2024-01-01", "end": "2025-08-31"}
    for period in results["periods"][1:]:
        assert period["significant"] == (period["change_p_value"] < 0.05)
    assert [p["period"] for p in results["periods"]] == sorted(p["period"] for p in results["periods"])


# --- parameters ------------------------------------------------------------------------------------


def test_parameter_rules_give_one_sentence(sample):
    out, _ = sample
    with pytest.raises(ParameterError, match="'end'.*must not be before 'start'"):
        _params(out, start="2025-03-01", end="2025-01-01")
    with pytest.raises(ParameterError, match="'timezone'"):
        _params(out, timezone="Mars/Olympus")
    with pytest.raises(ParameterError, match="'period'"):
        _params(out, period="D")
    with pytest.raises(ParameterError, match="'segments'.*'regoin'.*region"):
        nps.load_inputs(_params(out, segments=["regoin"]))


def test_window_and_events_outside_it(sample):
    out, _ = sample
    params = _params(out, start="2024-03-01", end="2024-12-31",
                     events=[{"date": "2025-02-03", "label": "too late"}, {"date": "2024-07-01", "label": "mid"}])
    analysis = nps.analyse(nps.load_inputs(params), params)
    assert analysis.periods["period"].iloc[[0, -1]].tolist() == ["2024-03", "2024-12"]
    assert analysis.events.set_index("label").loc["too late", "note"] == "outside the analysis window"
    assert not pd.isna(analysis.events.set_index("label").loc["mid", "level_change"])
    assert any("outside the analysis window" in note.issue for note in analysis.quality_notes)


def test_period_calendar_labels_and_partial_periods():
    weeks = nps_analysis.period_calendar(pd.Timestamp("2024-12-31").date(), pd.Timestamp("2025-03-02").date(), "W")
    assert weeks["period"].iloc[[0, -1]].tolist() == ["2024-12-30", "2025-02-24"]
    assert weeks["partial"].tolist() == [True] + [False] * (len(weeks) - 1)
    assert weeks["covered_start"].iloc[0] == pd.Timestamp("2024-12-31")
    months = nps_analysis.period_calendar(pd.Timestamp("2024-02-01").date(), pd.Timestamp("2024-04-20").date(), "M")
    assert months["period"].tolist() == ["2024-02", "2024-03", "2024-04"]
    assert months["period_end"].iloc[0] == pd.Timestamp("2024-02-29") and months["partial"].tolist() == [False, False, True]
    assert months["period_mid"].iloc[1] == pd.Timestamp("2024-03-16 12:00")
    quarters = nps_analysis.period_calendar(pd.Timestamp("2024-11-05").date(), pd.Timestamp("2025-03-31").date(), "Q")
    assert quarters["period"].tolist() == ["2024-Q4", "2025-Q1"] and quarters["partial"].tolist() == [True, False]


def test_a_window_without_responses_is_a_parameter_error_naming_the_data_range(sample):
    out, _ = sample
    params = _params(out, start="2030-01-01")
    with pytest.raises(ParameterError, match=r"No responses fall in the analysis window 2030-01-01 to 2025-08-31 "
                                             r"\(parameter 'start' is 2030-01-01\); responses.csv has responses "
                                             r"from 2024-01-01 to 2025-08-31\."):
        nps.analyse(nps.load_inputs(params), params)
    frame = pd.DataFrame({"response_id": ["a", "b"], "timestamp": ["2025-01-10 09:00", "2025-03-10 09:00"], "score": [9, 3]})
    params = nps.Parameters.validate_values({"tickets_path": "", "start": "2025-02-01", "end": "2025-02-28"},
                                               check_inputs=False)
    with pytest.raises(ParameterError, match="2025-02-01 to 2025-02-28.*from 2025-01-10 to 2025-03-10"):
        nps.analyse(nps.Inputs(_responses_table(frame), None), params)


def _run_notebook_cells(values: dict) -> tuple[dict, str]:
    """Run the notebook's own code cells in this process with these parameters; return its names and HTML."""
    notebook = nbformat.read(NOTEBOOKS_DIR / "nps_trends.ipynb", as_version=4)
    namespace: dict = {}
    InteractiveShell.instance()
    with warnings.catch_warnings(), mpl.rc_context(), capture_output() as captured:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, f"cell {cell.id}", "exec"), namespace)  # noqa: S102 - our own notebook
                if "parameters" in cell.metadata.get("tags", []):
                    namespace.update(values)
    plt.close("all")
    return namespace, "".join(output.data.get("text/html", "") for output in captured.outputs)


def test_periods_all_under_min_n_still_give_a_readable_report(sample):
    out, _ = sample
    values = {"responses_path": str(out / "responses.csv"), "tickets_path": str(out / "tickets.csv"), "period": "W",
              "min_n": 400, "segments": ["region"], "events": [{"date": "2025-02-03", "label": "New support desk live"}]}
    namespace, html = _run_notebook_cells(values)
    analysis = namespace["result"]
    assert analysis.latest is None and not analysis.overall["suppressed"]
    headline = nps.headline(analysis)[0]
    assert headline.startswith("No week had the 400 responses needed to report an NPS; across 2024-01-01 to 2025-08-31 NPS was")
    assert "itvalue-headline" in html and "Traceback" not in html
    results = nps.results(analysis)
    assert all(p["n"] is None or p["n"] == 0 for p in results["periods"]) and results["latest"] is None
    # The overall figures count every response, including those of the small (blanked) periods.
    daily = nps_queries.daily_counts(nps.load_inputs(analysis.params).responses)
    counts = daily[["detractors", "passives", "promoters"]].sum()
    assert results["overall"]["n"] == int(daily["n"].sum()) == int(counts.sum())
    assert results["overall"]["nps"] == pytest.approx(100 * (counts["promoters"] - counts["detractors"]) / counts.sum())
    assert np.isfinite(results["overall"]["nps"])

    namespace, html = _run_notebook_cells(values | {"min_n": 100_000})
    assert "fewer than 100000 responses in all" in nps.headline(namespace["result"])[0]
    assert nps.results(namespace["result"])["overall"]["n"] is None


def test_partial_periods_are_flagged_in_headline_tables_and_results(sample):
    out, _ = sample
    params = _params(out, start="2024-03-15", end="2024-12-20", events=[])
    analysis = nps.analyse(nps.load_inputs(params), params)
    periods = analysis.periods
    assert periods["partial"].tolist() == [True] + [False] * 8 + [True]
    labels = nps_report.period_table(periods).data.set_index("Period").index
    assert labels[0] == "2024-03 (from 2024-03-15)" and labels[-1] == "2024-12 (to 2024-12-20)"
    assert nps.headline(analysis)[0].startswith("NPS in December 2024 (to 2024-12-20) was")
    records = nps.results(analysis)["periods"]
    assert records[-1]["partial"] is True and records[-1]["covered_end"] == "2024-12-20"
    assert records[1]["partial"] is False and records[1]["covered_start"] == records[1]["period_start"]
    assert "only in part" in nps_report.comparisons_note(analysis)
    ax = nps_plots.trend_plot(periods)
    assert any("partial period" in text.get_text() for text in ax.get_legend().get_texts())
    plt.close("all")


def test_an_event_that_cannot_be_measured_is_named_as_inside_the_straight_line(sample):
    out, _ = sample
    params = _params(out, events=[{"date": "2025-08-31", "label": "Late change"}])
    analysis = nps.analyse(nps.load_inputs(params), params)
    assert analysis.trend.basis == "straight line"
    assert "including any step at Late change on 31 August 2025, which could not be measured" in nps_report.trend_sentence(analysis)
    assert nps.results(analysis)["trend"]["basis"] == nps_report.TREND_BASIS["straight line"]


def test_heatmap_writes_numbers_only_where_the_interval_is_narrow(sample_analysis):
    cells = sample_analysis.segment_periods
    ax = nps_plots.segment_heatmap(cells, max_half_width=10, min_n=30)
    half_width = (cells["nps_high"] - cells["nps_low"]) / 2
    written = [t.get_text() for t in ax.texts if t.get_text()]
    assert len(written) == int((half_width <= 10).sum()) > 0
    hatched = [patch for patch in ax.patches if patch.get_hatch() == "///"]
    assert len(hatched) == int((half_width > 10).sum()) > 0
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "within ±10 points" in legend and "wider than ±10 points" in legend and "fewer than 30" in legend
    plt.close("all")
    table = nps_report.segment_period_table(cells, segment="region").data
    assert table.columns[0] == "Period" and len(table) == len(sample_analysis.periods)
    row = cells[(cells["segment"] == "region") & ~cells["suppressed"]].iloc[0]
    assert table.set_index("Period").loc[row["period"], row["value"]] == with_interval(
        row["nps"], row["nps_low"], row["nps_high"], nps_report.POINTS, limits=nps_report.SCALE)


# --- escaping: comment text and segment values are data, never markup ---------------------------------


def _rendered_html(show) -> str:
    InteractiveShell.instance()
    with capture_output() as captured:
        show()
    return "".join(output.data.get("text/html", "") for output in captured.outputs)


def test_hostile_strings_never_appear_unescaped_in_report_tables():
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(n)],
            "timestamp": pd.date_range("2025-01-01", periods=n, freq="4h").astype(str),
            "score": (scores := rng.integers(0, 11, n)),
            "comment": [HOSTILE[i % 3] + (" slow ticket" if s <= 6 else " quick fix") for i, s in enumerate(scores)],
            "segment": [HOSTILE[i % 3] for i in range(n)],
        }
    )
    params = nps.Parameters.validate_values(
        {"tickets_path": "", "segments": ["segment"], "events": [{"date": "2025-01-20", "label": HOSTILE[0]}]},
        check_inputs=False,
    )
    analysis = nps.analyse(nps.Inputs(_responses_table(frame), None), params)
    assert not analysis.terms.empty, "the comment words are aggregated"
    assert not analysis.terms["term"].str.contains(r"[<>\"'=]").any()
    html = _rendered_html(
        lambda: (
            report.headline(*nps.headline(analysis)),
            report.table(nps_report.segment_table(analysis.segments).data),
            report.table(nps_report.terms_table(analysis.terms).data),
            report.table(nps_report.event_table(analysis.events).data),
            report.table(nps_report.period_table(analysis.periods).data),
            report.note(nps_report.comparisons_note(analysis)),
        )
    )
    for text in HOSTILE:
        assert text not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    for ax in (nps_plots.interval_plot(analysis.segments), nps_plots.segment_heatmap(analysis.segment_periods)):
        ax.figure.canvas.draw()  # labels with markup or $...$ draw as plain text, without error
    plt.close("all")


# --- charts ---------------------------------------------------------------------------------------------


def test_charts_show_gaps_intervals_and_events(sample_analysis):
    periods = sample_analysis.periods.copy()
    periods.loc[3, ["nps", "nps_low", "nps_high"]] = np.nan
    periods.loc[3, "suppressed"] = True
    ax = nps_plots.trend_plot(periods, events=sample_analysis.events, min_n=30)
    line = next(item for item in ax.get_lines() if item.get_label() == "NPS")
    assert np.isnan(np.asarray(line.get_ydata(), dtype=float)[3]), "a small period is a gap in the line"
    assert any(item.get_linestyle() == ":" for item in ax.get_lines()), "events are marked"
    assert "NPS" in ax.get_ylabel() and ax.get_title()
    ax = nps_plots.distribution_plot(sample_analysis.periods)
    assert len(ax.patches) == 3 * len(sample_analysis.periods)
    ax = nps_plots.event_plot(sample_analysis.periods, sample_analysis.event_lines, events=sample_analysis.events)
    assert {"fitted: trend with a step at each event"} <= {line.get_label() for line in ax.get_lines()}
    ax = nps_plots.interval_plot(sample_analysis.tickets.by_resolution_time, y="group", group=None)
    assert len(ax.get_yticklabels()) == 6
    plt.close("all")


def test_one_small_period_hides_the_next_smallest_so_the_total_gives_nothing_away():
    from helpers.nps_trends.analysis import _periods

    days = pd.date_range("2025-01-01", "2025-04-30", freq="D")
    rng = np.random.default_rng(7)
    rows = []
    for day in days:
        # March is small (a few responses); the other months are large, February the smallest of them.
        per_day = 1 if day.month == 3 else (3 if day.month == 2 else 6)
        rows += [{"timestamp": day + pd.Timedelta(hours=10), "score": int(rng.integers(0, 11))} for _ in range(per_day)]
    frame = pd.DataFrame(rows)
    con = inputs.connect()
    con.con.register("responses_small_month", frame)  # DuckDB's own registration (Ibis's memtable fails on DuckDB 2)
    table = con.table("responses_small_month")
    params = nps.Parameters.validate_values({"tickets_path": "", "events": [], "min_n": 60})
    periods = _periods(table, params, dt.date(2025, 1, 1), dt.date(2025, 4, 30))
    by_month = periods.set_index("period")
    assert bool(by_month.loc["2025-03", "suppressed"]), "March has 31 responses, under min_n"
    assert bool(by_month.loc["2025-02", "suppressed"]), "February (84) is hidden with it: 115 together"
    assert not by_month.loc[["2025-01", "2025-04"], "suppressed"].any()
    hidden = periods[periods["suppressed"]]
    assert hidden["nps"].isna().all() and hidden["promoters"].isna().all()
