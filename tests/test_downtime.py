"""The outage analysis against planted truth, its inputs, report pieces and the sales sample.

Planted truth comes from :mod:`helpers.sample_data.sales`: simulated orders with known
outage losses and returns. The issue's accuracy rules: 95 % net-loss intervals cover the
truth for 90-98 % of a few hundred incidents, and the total net loss is within 10 % of
the truth.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers import downtime, report
from helpers.downtime_queries import sales_buckets
from helpers.exceptions import ParameterError
from helpers.inputs import connect, open_input
from helpers.outage_cost import measure_outages
from helpers.paths import PROJECT_ROOT
from helpers.sample_data import sales


def _simulate(seed: int, *, weeks: int, outages: int, freq: str = "h", draws: int = 500):
    """Simulated sales with planted outages, aggregated to buckets, measured; with the truth."""
    rng = np.random.default_rng(seed)
    start = dt.datetime(2024, 3, 4)
    end = start + dt.timedelta(weeks=weeks)
    plan = sales.plan_sales(rng, start=start, end=end, n_outages=outages, back_to_back=4, in_campaigns=8)
    orders, realized = sales.draw_orders(plan, rng)
    truth = pd.DataFrame(sales.expected_truth(plan, realized)["incidents"])
    buckets = (
        orders.assign(bucket=orders["timestamp"].dt.floor(freq))
        .groupby(["bucket", "channel"], as_index=False)["revenue"].sum()
    )
    campaigns = plan.campaigns.assign(channel=plan.campaigns["channel"].replace("", None))
    costs = measure_outages(
        buckets, plan.outages, campaigns, freq=freq, span=(pd.Timestamp(start), pd.Timestamp(end)),
        draws=draws, seed=seed,
    )
    return costs, truth


@pytest.fixture(scope="module")
def planted():
    """350 simulated incidents: five half-years of hourly sales with 70 outages each."""
    runs = [_simulate(seed, weeks=26, outages=70) for seed in range(5)]
    merged = pd.concat(
        [costs.incidents.merge(truth, on="incident_id", suffixes=("", "_truth")) for costs, truth in runs]
    )
    return runs, merged


def test_net_loss_intervals_cover_planted_truth(planted):
    _, merged = planted
    assert len(merged) >= 300
    covered = (merged["net_lost_revenue_low"] <= merged["net_lost_revenue_truth"]) & (
        merged["net_lost_revenue_truth"] <= merged["net_lost_revenue_high"]
    )
    assert 0.90 <= covered.mean() <= 0.98, covered.mean()


def test_total_net_loss_within_ten_percent_of_truth(planted):
    runs, merged = planted
    estimated = sum(costs.totals["net_lost_revenue"] for costs, _ in runs)
    truth = merged["net_lost_revenue_truth"].sum()
    assert abs(estimated - truth) / truth < 0.10, (estimated, truth)


def test_total_interval_is_that_of_the_sum_not_the_sum_of_bounds(planted):
    costs, _ = planted[0][0]
    totals, incidents = costs.totals, costs.incidents
    assert totals["net_lost_revenue"] == pytest.approx(incidents["net_lost_revenue"].sum())
    width = totals["net_lost_revenue_high"] - totals["net_lost_revenue_low"]
    sum_of_widths = (incidents["net_lost_revenue_high"] - incidents["net_lost_revenue_low"]).sum()
    assert width < 0.5 * sum_of_widths  # independent-ish errors partly cancel in a sum
    assert totals["net_lost_revenue_low"] < totals["net_lost_revenue"] < totals["net_lost_revenue_high"]


def test_campaign_attribution_matches_the_plan(planted):
    _, merged = planted
    assert (merged["in_campaign"] == merged["in_campaign_truth"]).all()
    inside = merged[merged["in_campaign"]]
    assert (inside["campaign_id"] == inside["campaign_id_truth"]).all()


def test_quarter_hour_buckets_measure_the_same_losses():
    costs, truth = _simulate(11, weeks=16, outages=30, freq="15min", draws=300)
    estimated, planted_total = costs.totals["net_lost_revenue"], truth["net_lost_revenue"].sum()
    assert abs(estimated - planted_total) / planted_total < 0.25
    assert costs.totals["net_lost_revenue_low"] < planted_total < costs.totals["net_lost_revenue_high"]


def test_daily_buckets_give_wide_but_honest_totals():
    """Daily buckets blank a whole day per outage: imprecise, but the intervals say so.

    Ten years of 26 outages each (the sample's density); the total's interval covers the
    planted total in at least 8 of them.
    """
    covered = 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        start = dt.datetime(2024, 3, 4)
        plan = sales.plan_sales(rng, start=start, end=start + dt.timedelta(weeks=52), n_outages=26,
                                back_to_back=2, in_campaigns=4)
        orders, _ = sales.draw_orders(plan, rng)
        planted_total = sum(i["net_lost_revenue"] for i in sales.expected_truth(plan)["incidents"])
        buckets = orders.assign(bucket=orders["timestamp"].dt.floor("D")).groupby(
            ["bucket", "channel"], as_index=False)["revenue"].sum()
        campaigns = plan.campaigns.assign(channel=plan.campaigns["channel"].replace("", None))
        costs = measure_outages(buckets, plan.outages, campaigns, freq="D", draws=300, seed=seed)
        covered += costs.totals["net_lost_revenue_low"] < planted_total < costs.totals["net_lost_revenue_high"]
    assert covered >= 8


# --- the default sample ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The default sales sample (scale 1, seed 42), generated afresh, analysed as the notebook does."""
    folder = tmp_path_factory.mktemp("sample")
    truth = sales.generate(folder, scale=1, seed=42)
    params = downtime.DowntimeParameters.validate_values(
        {"sales_path": str(folder / "sales.parquet"), "outages_path": str(folder / "outages.csv"),
         "campaigns_path": str(folder / "campaigns.csv")}
    )
    data = downtime.load_inputs(params)
    return folder, truth, params, data, downtime.analyse(data, params)


def test_sample_total_within_ten_percent_of_truth(sample):
    _, truth, _, _, costs = sample
    planted_total = truth["totals"]["net_lost_revenue"]
    assert abs(costs.totals["net_lost_revenue"] - planted_total) / planted_total < 0.10
    assert costs.totals["net_lost_revenue_low"] < planted_total < costs.totals["net_lost_revenue_high"]


def test_sample_incidents_match_truth(sample):
    _, truth, _, _, costs = sample
    planted = pd.DataFrame(truth["incidents"]).set_index("incident_id")
    measured = costs.incidents.set_index("incident_id")
    assert list(measured.index) == list(planted.index)
    covered = (measured["net_lost_revenue_low"] <= planted["net_lost_revenue"]) & (
        planted["net_lost_revenue"] <= measured["net_lost_revenue_high"]
    )
    assert covered.mean() >= 0.85
    assert (measured["campaign_id"].fillna("") == planted["campaign_id"].fillna("")).all()
    ratio = truth["totals"]["campaign_minute_cost_ratio"]
    assert costs.totals["campaign_minute_cost_ratio_low"] <= ratio <= costs.totals["campaign_minute_cost_ratio_high"]


def test_sample_campaign_shares_cover_truth(sample):
    _, truth, _, _, costs = sample
    planted = pd.DataFrame(truth["campaigns"]).set_index("campaign_id")
    measured = costs.campaigns.set_index("campaign_id")
    incremental_error = (measured["incremental_revenue"] - planted["incremental_revenue"]).abs() / planted["incremental_revenue"]
    assert (incremental_error < 0.25).all(), incremental_error
    hit = measured["incidents"] > 0
    assert (measured.loc[hit, "lost_share_low"] <= planted.loc[hit, "lost_share"] + 1e-9).all()
    assert (planted.loc[hit, "lost_share"] <= measured.loc[hit, "lost_share_high"]).all()


def test_sample_special_days_include_the_store_holidays(sample):
    _, truth, _, _, costs = sample
    holidays = {pd.Timestamp(d) for d in truth["holidays"]}
    # The store closes on public holidays; weekday ones show up as closed days.
    weekday_holidays = {d for d in holidays if d.day_of_week < 6}
    assert weekday_holidays <= set(costs.special_days)


def test_committed_sample_truth_is_the_generators(sample):
    committed = PROJECT_ROOT / "data" / "sample" / "truth.json"
    if not committed.exists():
        pytest.skip("data/sample has not been generated in this tree")
    _, truth, _, _, _ = sample
    stored = json.loads(committed.read_text())["sales"]
    assert stored["totals"]["net_lost_revenue"] == pytest.approx(truth["totals"]["net_lost_revenue"])
    assert [i["incident_id"] for i in stored["incidents"]] == [i["incident_id"] for i in truth["incidents"]]


def test_results_have_the_contract_fields_and_are_json(sample):
    _, _, params, _, costs = sample
    results = report.to_jsonable(downtime.results(costs, params))
    json.dumps(results, allow_nan=False)
    assert list(results["incidents"][0]) == [
        "incident_id", "start", "end", "minutes", "in_campaign", "campaign_id", "actual_revenue",
        "expected_revenue", "lost_revenue", "lost_revenue_low", "lost_revenue_high", "recovered_revenue",
        "net_lost_revenue", "net_lost_revenue_low", "net_lost_revenue_high", "lost_revenue_per_minute",
    ]
    assert set(results["totals"]) == {
        "net_lost_revenue", "net_lost_revenue_low", "net_lost_revenue_high",
        "campaign_minute_cost_ratio", "campaign_minute_cost_ratio_low", "campaign_minute_cost_ratio_high",
    }
    assert results["confidence"] == 0.95 and results["parameters"]["freq"] == "h"
    first = results["incidents"][0]
    assert first["net_lost_revenue"] == pytest.approx(first["lost_revenue"] - first["recovered_revenue"])


def test_headline_names_the_figures(sample):
    _, _, params, _, costs = sample
    sentences = downtime.headline_sentences(costs, currency=params.currency)
    n = len(costs.incidents)
    assert sentences[0].startswith(f"{n} outages cost ")
    assert "EUR (95% interval " in sentences[0] and "in net lost revenue" in sentences[0]
    assert "during a campaign cost" in sentences[0] and "one outside." in sentences[0]


def test_report_tables_and_charts(sample):
    _, _, params, _, costs = sample
    table = downtime.incident_table(costs)
    assert len(table) == len(costs.incidents) and table["Net lost"].is_monotonic_decreasing
    assert len(downtime.campaign_table(costs)) == len(costs.campaigns)
    assert downtime.method_notes(costs)
    ax = downtime.timeline_plot(costs.timeline, outages=costs.incidents, currency="EUR")
    assert ax.get_ylabel() == "Revenue per day (EUR)"
    axes = downtime.incidents_plot(costs.windows, costs.incidents, top=3)
    assert axes.size == 3
    cost_ax, minutes_ax = downtime.costliest_plot(costs.incidents, top=5)
    assert len(cost_ax.patches) == 5 and minutes_ax.get_xlabel() == "Duration (minutes)"
    assert downtime.campaign_plot(costs.minute_costs, ratio=(2.0, 1.0, None)).get_title().endswith("unbounded)")
    assert downtime.campaign_share_plot(costs.campaigns).get_xlabel().startswith("Share")


def test_aggregation_in_duckdb_matches_pandas(sample):
    folder = sample[0]
    con = connect("UTC")
    table = open_input(str(folder / "sales.parquet"), "sales", con=con)
    start, end = pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-08")
    for freq in ("h", "15min", "D"):
        ours = sales_buckets(table, start=start, end=end, freq=freq).set_index(["bucket", "channel"])["revenue"]
        raw = pq.read_table(folder / "sales.parquet").to_pandas()
        raw = raw[(raw["timestamp"] >= start) & (raw["timestamp"] < end)]
        expected = raw.groupby([raw["timestamp"].dt.floor(freq).rename("bucket"), "channel"])["revenue"].sum()
        pd.testing.assert_series_equal(ours.sort_index(), expected.sort_index(), check_names=False, check_index_type=False)
    con.disconnect()


def test_windows_restrict_the_reported_incidents(sample):
    folder = sample[0]
    params = downtime.DowntimeParameters.validate_values(
        {"sales_path": str(folder / "sales.parquet"), "outages_path": str(folder / "outages.csv"),
         "campaigns_path": str(folder / "campaigns.csv"), "start": "2024-03-18", "end": "2024-03-31",
         "freq": "15min", "channels": ["web"]}
    )
    data = downtime.load_inputs(params)
    assert data.span[0] == pd.Timestamp("2024-01-01")  # the baseline still learns from the weeks before
    costs = downtime.analyse(data, params, draws=200)
    assert (costs.incidents["start"] >= pd.Timestamp("2024-03-18")).all()
    assert (costs.incidents["start"] < pd.Timestamp("2024-04-01")).all()
    assert set(costs.incidents["campaign_id"]) == {"C01"}
    assert list(costs.baselines) == ["web"]

    last = downtime.DowntimeParameters.validate_values(
        {"sales_path": str(folder / "sales.parquet"), "outages_path": str(folder / "outages.csv"),
         "campaigns_path": "", "last_days": 30}
    )
    data = downtime.load_inputs(last)
    assert data.end - data.start == pd.Timedelta(days=30) and data.campaigns.empty


# --- the real world, on small frames -------------------------------------------------------------

def _small_world(seed: int = 3, weeks: int = 10):
    rng = np.random.default_rng(seed)
    start = dt.datetime(2024, 9, 2)
    plan = sales.plan_sales(rng, start=start, end=start + dt.timedelta(weeks=weeks), n_outages=8,
                            back_to_back=2, in_campaigns=2)
    orders, _ = sales.draw_orders(plan, rng)
    buckets = orders.assign(bucket=orders["timestamp"].dt.floor("h")).groupby(
        ["bucket", "channel"], as_index=False)["revenue"].sum()
    return plan, buckets


def test_back_to_back_incidents_share_their_bucket_without_double_counting():
    plan, buckets = _small_world()
    costs = measure_outages(buckets, plan.outages, None, draws=300)
    pairs = plan.outages[plan.outages["start"].shift(-1) - plan.outages["end"] < pd.Timedelta(hours=1)]
    assert len(pairs) >= 1
    assert costs.totals["net_lost_revenue"] == pytest.approx(costs.incidents["net_lost_revenue"].sum())
    draws_total = costs.net_lost_draws.sum(axis=1)
    assert np.quantile(draws_total, 0.025) == pytest.approx(costs.totals["net_lost_revenue_low"])


def test_gaps_unknown_channels_and_overlaps_become_quality_notes():
    plan, buckets = _small_world()
    gap_day = pd.Timestamp("2024-10-09")
    buckets = buckets[buckets["bucket"].dt.normalize() != gap_day]
    outages = pd.concat([
        plan.outages[["incident_id", "start", "end", "channels"]],
        pd.DataFrame({"incident_id": ["X-1", "X-2"], "start": [pd.Timestamp("2024-10-20 10:00")] * 2,
                      "end": [pd.Timestamp("2024-10-20 11:00"), pd.Timestamp("2024-10-20 10:30")],
                      "channels": ["app", "web"]}),
    ], ignore_index=True)
    costs = measure_outages(buckets, outages, None, draws=200)
    issues = " | ".join(note.issue for note in costs.notes)
    assert "no sales at all" in issues
    assert "channels not found in the sales" in issues
    gap = costs.baselines["web"]
    assert np.isnan(gap.actual[gap.timestamps.normalize() == gap_day]).all()
    assert "X-1" not in set(costs.incidents["incident_id"])  # it hit only a channel we do not sell on
    assert "X-2" in set(costs.incidents["incident_id"])


def test_store_nights_and_closed_days_are_structural_zeros():
    plan, buckets = _small_world()
    costs = measure_outages(buckets, plan.outages, None, draws=100)
    store = costs.baselines["store"]
    night = store.timestamps.hour < 8
    assert store.closed[night].all() and (store.expected[night] == 0).all()
    holiday = store.timestamps.normalize() == pd.Timestamp("2024-10-03")  # a Thursday, the store closed
    assert store.closed[holiday].all()


def test_no_incident_in_the_window():
    plan, buckets = _small_world()
    costs = measure_outages(buckets, plan.outages.iloc[:0], None, draws=100)
    assert costs.incidents.empty and costs.totals["net_lost_revenue"] == 0
    assert downtime.headline_sentences(costs)[0].startswith("No outage started between")


# --- parameters ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"start": "2024-05-01", "end": "2024-04-01"}, "must not be before"),
        ({"start": "2024-05-01", "last_days": 30}, "either 'start' or 'last_days'"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"freq": "W"}, "freq"),
        ({"confidence": 1.5}, "confidence"),
    ],
)
def test_bad_parameters_are_one_sentence(values, message):
    with pytest.raises(ParameterError, match=message):
        downtime.DowntimeParameters.validate_values(values, check_inputs=False)


def test_parameter_sets_are_valid():
    for path in sorted((PROJECT_ROOT / "params" / "downtime_sales").glob("*.yml")):
        import yaml

        values = yaml.safe_load(path.read_text()) or {}
        downtime.DowntimeParameters.validate_values(values, check_inputs=False)


# --- the sample generator ------------------------------------------------------------------------

def test_generator_plants_what_the_issue_asks(sample):
    folder, truth, *_ = sample
    outages = pd.read_csv(folder / "outages.csv", parse_dates=["start", "end"])
    campaigns = pd.read_csv(folder / "campaigns.csv", parse_dates=["start", "end"])
    minutes = (outages["end"] - outages["start"]) / pd.Timedelta(minutes=1)
    assert 20 <= len(outages) <= 40 and minutes.between(10, 360).all()
    assert (outages["channels"] == "web").all()
    assert 4 <= len(campaigns) <= 6 and list(campaigns.columns) == ["campaign_id", "name", "start", "end", "channel", "spend"]
    incidents = pd.DataFrame(truth["incidents"])
    assert incidents["in_campaign"].sum() >= 5
    gaps = outages["start"].shift(-1) - outages["end"]
    assert (gaps < pd.Timedelta(hours=1)).sum() >= 2  # back to back
    assert (incidents["net_lost_revenue"] > 0).all()
    assert (incidents["recovered_revenue"] > 0).all()
    orders = pq.read_table(folder / "sales.parquet").to_pandas()
    assert 150_000 <= len(orders) <= 300_000 and (orders["orders"] == 1).all()
    assert set(orders["channel"]) == {"web", "store"}
    assert orders["timestamp"].max() - orders["timestamp"].min() >= pd.Timedelta(days=365)
    assert orders["revenue"].max() > 2_000  # wholesale orders
    store_hours = orders.loc[orders["channel"] == "store", "timestamp"].dt.hour
    assert store_hours.between(9, 19).all()  # nights without store sales
    assert (folder / "sales.parquet").stat().st_size < 5_000_000


def test_generator_is_deterministic_and_scales(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    first = sales.generate(tmp_path / "a", scale=1, seed=7)
    second = sales.generate(tmp_path / "b", scale=1, seed=7)
    assert json.dumps(first, default=str) == json.dumps(second, default=str)
    assert pq.read_table(tmp_path / "a" / "sales.parquet").equals(pq.read_table(tmp_path / "b" / "sales.parquet"))
    double = sales.generate(tmp_path / "c", scale=2, seed=7)
    assert 1.8 < double["orders"] / first["orders"] < 2.2
    assert double["totals"]["net_lost_revenue"] == pytest.approx(2 * first["totals"]["net_lost_revenue"], rel=0.01)
