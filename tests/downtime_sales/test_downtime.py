"""The outage analysis against planted truth, its inputs, report pieces and the sales sample.

Planted truth comes from :mod:`helpers.sample_data.sales`: simulated orders with known
outage losses and returns. The issue's accuracy rules: 95 % net-loss intervals cover the
truth for 90-98 % of a few hundred incidents, and the total net loss is within 10 % of
the truth.
"""

from __future__ import annotations

import datetime as dt
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from measuring import measure_buckets

from helpers import downtime_sales as downtime
from helpers import report
from helpers.downtime_sales import plots as downtime_plots
from helpers.downtime_sales import reporting as downtime_report
from helpers.downtime_sales.queries import sales_buckets
from helpers.exceptions import ParameterError
from helpers.inputs.loading import connect, open_input
from helpers.paths import PROJECT_ROOT
from helpers.sample_data import sales


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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
    costs = measure_buckets(
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


def _coverage(frame: pd.DataFrame, truth: str, estimate: str) -> float:
    return float(((frame[f"{estimate}_low"] <= frame[truth]) & (frame[truth] <= frame[f"{estimate}_high"])).mean())


def test_net_loss_intervals_cover_the_realized_loss(planted):
    """The intervals are prediction intervals for the sums: they must cover what actually
    happened (the counterfactual revenue the simulation drew, minus the actual revenue)."""
    _, merged = planted
    assert len(merged) >= 300
    assert 0.90 <= _coverage(merged, "realized_net_lost_revenue", "net_lost_revenue") <= 0.98
    assert 0.90 <= _coverage(merged, "realized_lost_revenue", "lost_revenue") <= 0.98


def test_net_loss_intervals_also_cover_the_expected_loss(planted):
    # The expected loss (given the day's demand) lies closer to the estimate than the realized
    # one does on average, so it is covered at least as often; still not always.
    _, merged = planted
    assert 0.90 <= _coverage(merged, "net_lost_revenue_truth", "net_lost_revenue") <= 0.99


def test_expected_and_recovered_revenue_have_intervals(planted):
    _, merged = planted
    for name in ("expected_revenue", "recovered_revenue", "lost_revenue", "net_lost_revenue"):
        assert (merged[f"{name}_low"] <= merged[name]).all() and (merged[name] <= merged[f"{name}_high"]).all()
    # Hourly buckets: returns within the outage's last bucket count against the loss, so the
    # recovered revenue is biased low (the report says so); its interval covers the realized
    # returns less often than the nominal 95 %, but not hopelessly.
    assert _coverage(merged, "realized_recovered_revenue", "recovered_revenue") >= 0.75


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


def test_total_intervals_cover_and_are_not_too_wide(planted):
    runs, _ = planted
    for costs, truth in runs:
        totals, planted_total = costs.totals, truth["realized_net_lost_revenue"].sum()
        assert totals["net_lost_revenue_low"] < planted_total < totals["net_lost_revenue_high"]
        # About +-25 % for 70 outages in a half-year; a much wider interval would say nothing.
        assert (totals["net_lost_revenue_high"] - totals["net_lost_revenue_low"]) / planted_total < 0.7


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
    assert (costs.totals["net_lost_revenue_high"] - costs.totals["net_lost_revenue_low"]) / planted_total < 1.0


def test_daily_buckets_give_wide_but_honest_totals():
    """Daily buckets blank a whole day per outage: imprecise, but the intervals say so.

    Ten years of 26 outages each (the sample's density); the total's interval covers the
    planted total in at least 8 of them.
    """
    covered, widths = 0, []
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
        costs = measure_buckets(buckets, plan.outages, campaigns, freq="D", draws=300, seed=seed)
        covered += costs.totals["net_lost_revenue_low"] < planted_total < costs.totals["net_lost_revenue_high"]
        widths.append((costs.totals["net_lost_revenue_high"] - costs.totals["net_lost_revenue_low"]) / planted_total)
    assert covered >= 8
    assert np.median(widths) < 2.5  # wide (whole days blanked), but still says something


# --- the default sample ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The default sales sample (scale 1, seed 42), generated afresh, analysed as the notebook does."""
    folder = tmp_path_factory.mktemp("sample")
    truth = sales.generate(folder, scale=1, seed=42)
    params = downtime.Parameters.validate_values(
        {"sales_path": str(folder / "sales.parquet"), "outages_path": str(folder / "outages.csv"),
         "campaigns_path": str(folder / "campaigns.csv")}
    )
    data = downtime.load_inputs(params)
    return folder, truth, params, data, downtime.analyse(data, params)


def test_sample_total_within_twenty_percent_of_truth(sample):
    _, truth, _, _, costs = sample
    planted_total = truth["totals"]["net_lost_revenue"]
    # The planted total is an expectation; this sample's orders drew it 13.9 % high already: a
    # model that knew the planted demand, measuring the same windows, would say +13.9 % (see the
    # next test). So no method can fairly be held to 10 % on this seed. Measured here:
    # +17.2 % since the drift is read before each outage only (issue 22; +16.3 % before, seeds 43
    # and 44 then +7.1 %, -1.7 %; before returning orders were matched with the lost ones +14.6 %,
    # +8.2 %, -5.1 %; the bucket-total model +7.1 %, +11.9 %, -3.2 %). The interval below is the real check.
    assert abs(costs.totals["net_lost_revenue"] - planted_total) / planted_total < 0.20
    for total in (planted_total, truth["totals"]["realized_net_lost_revenue"]):
        assert costs.totals["net_lost_revenue_low"] < total < costs.totals["net_lost_revenue_high"]
    # About +-37 % for 32 outages over 13 months.
    assert (costs.totals["net_lost_revenue_high"] - costs.totals["net_lost_revenue_low"]) / planted_total < 0.9


def test_sample_total_within_five_percent_of_a_model_that_knows_the_demand(sample):
    """The estimate against an oracle: the planted orders per hour instead of the fitted baseline, same windows.

    The oracle's net loss is (planted expected orders - actual orders) over the web channel's
    outage and recovery buckets, times the planted mean order value: it shares this sample's
    order noise, so what is left is the model's own error. Measured: +2.9 % since the drift is read
    before each outage only (issue 22; +2.1 % before, seeds 43 and 44 then +2.5 %, -2.5 %; before
    returning orders were matched: +0.6 %, +3.6 %, -5.8 %).
    """
    _, truth, _, _, costs = sample
    # The plan generate() drew from its seed; the outages confirm it is the same plan.
    plan = sales.plan_sales(sales.seeded(42), scale=1)
    assert list(plan.outages["incident_id"]) == [i["incident_id"] for i in truth["incidents"]]
    web = costs.baselines["web"]
    demand = pd.Series(plan.orders_per_hour["web"], index=plan.hours).reindex(web.timestamps).to_numpy()
    windows = ~web.clean
    assert windows.sum() > 100 and not np.isnan(web.counts.actual).any()
    oracle = np.sum(demand[windows] - web.counts.actual[windows]) * truth["mean_order_value"]["web"]
    assert abs(costs.totals["net_lost_revenue"] / oracle - 1) < 0.05, (costs.totals["net_lost_revenue"], oracle)


def test_sample_incidents_match_truth(sample):
    _, truth, _, _, costs = sample
    planted = pd.DataFrame(truth["incidents"]).set_index("incident_id")
    measured = costs.incidents.set_index("incident_id")
    assert list(measured.index) == list(planted.index)
    merged = measured.join(planted, rsuffix="_truth")
    # 32 incidents: too few to pin coverage down (binomial sd 4 points), so a loose floor.
    assert _coverage(merged, "realized_net_lost_revenue", "net_lost_revenue") >= 0.80
    assert _coverage(merged, "net_lost_revenue_truth", "net_lost_revenue") >= 0.85
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
    stored = json.loads(committed.read_text())["downtime_sales"]
    assert stored["totals"]["net_lost_revenue"] == pytest.approx(truth["totals"]["net_lost_revenue"])
    assert [i["incident_id"] for i in stored["incidents"]] == [i["incident_id"] for i in truth["incidents"]]


def test_results_have_the_contract_fields_and_are_json(sample):
    _, _, params, _, costs = sample
    results = report.to_jsonable(downtime.results(costs))
    json.dumps(results, allow_nan=False)
    contract = [
        "incident_id", "start", "end", "minutes", "in_campaign", "campaign_id", "actual_revenue",
        "expected_revenue", "lost_revenue", "lost_revenue_low", "lost_revenue_high", "recovered_revenue",
        "net_lost_revenue", "net_lost_revenue_low", "net_lost_revenue_high", "lost_revenue_per_minute",
    ]
    fields = list(results["incidents"][0])
    assert set(contract) <= set(fields)
    assert set(fields) - set(contract) == {
        "expected_revenue_low", "expected_revenue_high", "recovered_revenue_low", "recovered_revenue_high",
    }
    assert set(results["totals"]) == {
        "net_lost_revenue", "net_lost_revenue_low", "net_lost_revenue_high",
        "campaign_minute_cost_ratio", "campaign_minute_cost_ratio_low", "campaign_minute_cost_ratio_high",
    }
    assert results["parameters"]["confidence"] == 0.95 and results["parameters"]["freq"] == "h"
    assert list(results)[:4] == ["analysis", "parameters", "period", "units"] and results["analysis"] == "downtime_sales"
    assert results["units"]["net_lost_revenue"] == results["parameters"]["currency"]
    assert "currency" not in results and "confidence" not in results
    first = results["incidents"][0]
    assert first["net_lost_revenue"] == pytest.approx(first["lost_revenue"] - first["recovered_revenue"])


def test_headline_names_the_figures(sample):
    _, _, params, _, costs = sample
    sentences = downtime.headline(costs)
    n = len(costs.incidents)
    assert sentences[0].startswith("From ") and f", {n} outages cost " in sentences[0]
    assert "EUR in net lost revenue (95% interval " in sentences[0]
    assert "during a campaign cost" in sentences[0] and "one outside (" in sentences[0]
    longest = costs.incidents.loc[costs.incidents["minutes"].idxmax()]
    if "the longest" in sentences[-1]:
        low, high = downtime_report.money(longest["net_lost_revenue_low"]), downtime_report.money(longest["net_lost_revenue_high"])
        assert f"({low} to {high})." in sentences[-1]


def test_the_report_runs_its_own_placebo(sample):
    _, _, _, _, costs = sample
    placebo = costs.placebo
    assert len(placebo.windows) == 200 and costs.point_estimate == "median"
    # Nothing happened in the placebo windows: the sample's heavy-tailed orders must not turn into a charge.
    assert abs(placebo.charge_share) < 0.10 and placebo.zero_coverage >= 0.90
    sentence = downtime_report.placebo_sentence(costs)
    assert sentence.startswith("Placebo: on 200 windows where nothing happened") and "covered zero in" in sentence
    # Matched returns cancel to float dust (-1e-13) in many placebo draws; the sentence says 0.
    assert "e-" not in sentence and "-0.0%" not in sentence, sentence
    figures = downtime.results(costs)["placebo"]
    assert figures["windows"] == 200 and figures["zero_coverage"] == placebo.zero_coverage
    assert "Order values are assumed" in downtime_report.method_notes(costs)[0]


def test_report_tables_and_charts(sample):
    _, _, params, _, costs = sample
    table = downtime_report.incident_table(costs).data
    ranked = costs.incidents.sort_values("net_lost_revenue", ascending=False)["incident_id"].tolist()
    assert len(table) == len(costs.incidents) and table["Incident"].tolist() == ranked
    assert len(downtime_report.campaign_table(costs).data) == len(costs.campaigns)
    assert downtime_report.method_notes(costs)
    ax = downtime_plots.timeline_plot(costs.timeline, outages=costs.incidents, currency="EUR")
    assert ax.get_ylabel() == "Revenue per day (EUR)"
    assert "Expected (95% interval)" in table and "After the restore*" in table
    assert len(table.columns) <= 10, "fits 1,100 px"
    recovered = costs.incidents.set_index("incident_id")["recovered_revenue"]
    for incident, after in zip(table["Incident"], table["After the restore*"]):
        assert after.endswith("further loss" if round(recovered[incident]) < 0 else "recovered")
    assert "biased low with hourly buckets" in downtime_report.incident_table_caption(costs)
    axes = downtime_plots.incidents_plot(costs.windows, costs.incidents, top=3)
    assert axes.size == 3
    assert all("net (95%: " in ax.get_title() for ax in axes.flat)
    cost_ax, minutes_ax = downtime_plots.costliest_plot(costs.incidents, top=5)
    losses = int((costs.incidents["net_lost_revenue"] > 0).sum())
    assert len(cost_ax.patches) == min(5, losses) and minutes_ax.get_xlabel() == "Duration (minutes)"
    assert all(bar.get_width() > 0 for bar in cost_ax.patches), "only incidents that lost revenue are costliest"
    assert downtime_plots.campaign_plot(costs.minute_costs, ratio=(2.0, 1.0, None)).get_title().endswith("unbounded)")
    assert downtime_plots.campaign_share_plot(costs.campaigns).get_xlabel().startswith("Share")


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
    params = downtime.Parameters.validate_values(
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

    last = downtime.Parameters.validate_values(
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
    costs = measure_buckets(buckets, plan.outages, None, draws=300)
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
    costs = measure_buckets(buckets, outages, None, draws=200)
    issues = " | ".join(note.issue for note in costs.quality_notes)
    assert "no sales at all" in issues
    assert "channels not found in the sales" in issues
    gap = costs.baselines["web"]
    assert np.isnan(gap.actual[gap.timestamps.normalize() == gap_day]).all()
    assert "X-1" not in set(costs.incidents["incident_id"])  # it hit only a channel we do not sell on
    assert "X-2" in set(costs.incidents["incident_id"])


def test_store_nights_and_closed_days_are_structural_zeros():
    plan, buckets = _small_world()
    costs = measure_buckets(buckets, plan.outages, None, draws=100)
    store = costs.baselines["store"]
    night = store.timestamps.hour < 8
    assert store.closed[night].all() and (store.expected[night] == 0).all()
    holiday = store.timestamps.normalize() == pd.Timestamp("2024-10-03")  # a Thursday, the store closed
    assert store.closed[holiday].all()


def test_no_incident_in_the_window():
    plan, buckets = _small_world()
    costs = measure_buckets(buckets, plan.outages.iloc[:0], None, draws=100)
    assert costs.incidents.empty and costs.totals["net_lost_revenue"] == 0
    assert downtime.headline(costs)[0].startswith("No outage started between")


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
        downtime.Parameters.validate_values(values, check_inputs=False)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"start": "2030-01-01"}, r"^Parameter 'start' \(2030-01-01\) is after the last sale; the sales run from 2024-01-01 to 2025-01-31\.$"),
        ({"end": "2023-06-30"}, r"^Parameter 'end' \(2023-06-30\) is before the first sale; the sales run from"),
        ({"channels": ["nope"]}, r"^Parameter 'channels': no sales on 'nope'; the sales have channels 'store', 'web'\.$"),
        ({"channels": ["web", "app"]}, r"no sales on 'app'"),
    ],
)
def test_windows_and_channels_outside_the_data_are_one_sentence(sample, values, message):
    folder = sample[0]
    params = downtime.Parameters.validate_values(
        {"sales_path": str(folder / "sales.parquet"), "outages_path": str(folder / "outages.csv"), **values}
    )
    with pytest.raises(ParameterError, match=message):
        downtime.load_inputs(params)


def test_a_window_without_outages_gives_a_readable_report(sample):
    folder = sample[0]
    params = downtime.Parameters.validate_values(
        {"sales_path": str(folder / "sales.parquet"), "outages_path": str(folder / "outages.csv"),
         "campaigns_path": "", "start": "2024-02-10", "end": "2024-02-12"}
    )
    costs = downtime.analyse(downtime.load_inputs(params), params, draws=50)
    assert costs.incidents.empty
    assert downtime.headline(costs)[0] == "No outage started between 10 February 2024 and 12 February 2024."
    assert downtime_report.incident_table(costs).data.empty and downtime_report.campaign_table(costs).data.empty
    downtime_plots.timeline_plot(costs.timeline, outages=costs.incidents)
    results = report.to_jsonable(downtime.results(costs))
    json.dumps(results, allow_nan=False)
    assert results["incidents"] == [] and results["totals"]["net_lost_revenue"] == 0


def test_a_window_too_thin_to_fit_is_one_sentence(tmp_path):
    buckets = pd.DataFrame({"timestamp": pd.to_datetime(["2024-05-01 10:00", "2024-05-01 11:30"]),
                            "revenue": [10.0, 20.0], "orders": [1, 1], "channel": ["web", "web"]})
    buckets.to_csv(tmp_path / "sales.csv", index=False)
    pd.DataFrame({"incident_id": ["I-1"], "start": ["2024-05-01T10:15:00"], "end": ["2024-05-01T10:45:00"],
                  "service": ["checkout"], "channels": ["web"]}).to_csv(tmp_path / "outages.csv", index=False)
    params = downtime.Parameters.validate_values(
        {"sales_path": str(tmp_path / "sales.csv"), "outages_path": str(tmp_path / "outages.csv"), "campaigns_path": ""}
    )
    with pytest.raises(ParameterError, match=r"^The window 2024-05-01 to 2024-05-01 is too short to measure: .*'web'"):
        downtime.analyse(downtime.load_inputs(params), params, draws=20)


def test_parameter_sets_are_valid():
    for path in sorted((PROJECT_ROOT / "params" / "downtime_sales").glob("*.yml")):
        import yaml

        values = yaml.safe_load(path.read_text()) or {}
        downtime.Parameters.validate_values(values, check_inputs=False)


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


# --- the baseline's regression and a second estimator -------------------------------------------

def test_poisson_fit_is_statsmodels_glm_with_pearson_scale():
    import statsmodels.api as sm

    from helpers.downtime_sales import baseline as sales_baseline

    plan, buckets = _small_world(weeks=4)
    web = buckets[buckets["channel"] == "web"].set_index("bucket")["revenue"]
    grid = pd.date_range(plan.start, plan.end, freq="h", inclusive="left")
    y = web.reindex(grid).fillna(0.0).to_numpy()
    slots = sales_baseline.bucket_slots(grid, "h")
    design = sales_baseline._design(grid, slots, np.unique(slots), plan.campaigns.iloc[:0], [], None)
    rows = np.arange(len(y))
    coef, inverse_information = sales_baseline._poisson_irls(design, rows, y)
    glm = sm.GLM(y, design.rows(rows), family=sm.families.Poisson()).fit(scale="X2")
    np.testing.assert_allclose(coef, glm.params, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(inverse_information, glm.normalized_cov_params, rtol=1e-6, atol=1e-12)


def test_estimate_impact_and_the_outage_analysis_agree_on_one_outage():
    """Two estimators of one outage's net loss: the CausalImpact-style model on the web shop's
    hourly revenue with the store as control, and the analysis's baseline. Each point
    estimate lies inside the other's interval, and both intervals cover the realized loss."""
    from helpers.downtime_sales.impact import estimate_impact

    rng = np.random.default_rng(5)
    start = dt.datetime(2024, 4, 1)
    plan = sales.plan_sales(rng, start=start, end=start + dt.timedelta(weeks=6), n_outages=1, back_to_back=0,
                            in_campaigns=0, campaigns=[])
    orders, realized = sales.draw_orders(plan, rng)
    realized_net = sales.expected_truth(plan, realized)["incidents"][0]["realized_net_lost_revenue"]
    buckets = orders.assign(bucket=orders["timestamp"].dt.floor("h")).groupby(
        ["bucket", "channel"], as_index=False)["revenue"].sum()
    incident = measure_buckets(buckets, plan.outages, None, draws=300, seed=1).incidents.iloc[0]

    wide = buckets.pivot_table(index="bucket", columns="channel", values="revenue").reindex(
        pd.date_range(start, plan.end, freq="h", inclusive="left")).fillna(0.0)
    outage = plan.outages.iloc[0]
    first, last = outage["start"].floor("h"), (outage["recovery_end"] - pd.Timedelta(seconds=1)).floor("h")
    impact = estimate_impact(wide["web"], (first - pd.Timedelta(days=7), first - pd.Timedelta(hours=1)), (first, last),
                             controls=wide[["store"]], season_length=24, draws=300, seed=1)
    # estimate_impact measures actual minus counterfactual: the net loss with the sign turned.
    other = (-impact.cumulative_effect, -impact.cumulative_effect_high, -impact.cumulative_effect_low)
    assert incident["net_lost_revenue_low"] <= other[0] <= incident["net_lost_revenue_high"]
    assert other[1] <= incident["net_lost_revenue"] <= other[2]
    assert incident["net_lost_revenue_low"] <= realized_net <= incident["net_lost_revenue_high"]
    assert other[1] <= realized_net <= other[2]


def test_the_sample_as_hourly_revenue_totals_is_measured_as_well(sample, tmp_path):
    """The most common BI export: hourly revenue per channel, no order counts (issue 22).

    Before, these went through the order model with one "order" per hour: 12,498 EUR (interval
    -10,494 to 39,556) against a planted expected loss of 35,059. Now the revenue model measures
    them: within 10 % of the planted loss, the interval well above zero.
    """
    folder, truth, *_ = sample
    orders = pq.read_table(folder / "sales.parquet").to_pandas()
    hourly = orders.assign(timestamp=orders["timestamp"].dt.floor("h")).groupby(
        ["timestamp", "channel"], as_index=False)["revenue"].sum()
    hourly.to_csv(tmp_path / "hourly.csv", index=False)
    params = downtime.Parameters.validate_values(
        {"sales_path": str(tmp_path / "hourly.csv"), "outages_path": str(folder / "outages.csv"),
         "campaigns_path": str(folder / "campaigns.csv")}
    )
    costs = downtime.analyse(downtime.load_inputs(params), params)
    assert costs.model.kind == "revenue only" and costs.point_estimate == "mean"
    planted = truth["totals"]["net_lost_revenue"]
    assert abs(costs.totals["net_lost_revenue"] / planted - 1) < 0.10, (costs.totals["net_lost_revenue"], planted)
    assert costs.totals["net_lost_revenue_low"] > 0
    assert "revenue totals without order counts" in downtime.reporting.model_sentence(costs)
