"""IT costs on the generated sample: every planted figure recovered exactly (services per quarter under both
cost columns, the total against sums of the raw files, unit costs and their changes, unused seats, shadow IT),
and the same figures whatever the file format, row order, file split or engine threads."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from helpers import it_costs
from helpers.analysis.results import layout_problems
from helpers.inputs import loading as inputs
from helpers.it_costs import breakdown
from helpers.it_costs import sample as costs
from helpers.it_costs.money import apportion_cents, cents
from helpers.it_costs.periods import parse_period
from helpers.report.results import to_jsonable

FILES = {
    "cloud_costs_path": "cloud_costs.parquet", "ledger_path": "ledger.csv", "allocation_path": "allocation.csv",
    "volumes_path": "volumes.csv", "licences_path": "licences.csv", "last_active_path": "last_active.csv",
    "users_path": "users.csv", "expenses_path": "expenses.csv", "rates_path": "rates.csv",
}
QUARTERS = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]


def _params(folder: Path, **values) -> it_costs.Parameters:
    base = {name: str(folder / file) for name, file in FILES.items()}
    base.update(values)
    return it_costs.Parameters.validate_values(base)


def _run(params, con=None):
    return it_costs.analyse(it_costs.load_inputs(params, con=con), params)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("costs")
    return folder, costs.generate(folder, scale=1, seed=42)


@pytest.fixture(scope="module")
def result(sample):
    folder, _ = sample
    return _run(_params(folder))


@pytest.fixture(scope="module")
def published(result):
    return json.loads(json.dumps(to_jsonable(it_costs.results(result)), allow_nan=False))


def _per_service(result, quarter: str) -> dict[str, Decimal]:
    frame = breakdown.breakdown(result.allocated, parse_period(quarter, "Q"), None, by=["service"])
    return dict(zip(frame["service"], frame["cost"]))


# --- allocation: exact, complete -------------------------------------------------------------

def test_the_report_is_about_the_last_complete_quarter(result, sample):
    _, truth = sample
    assert (result.period.label, result.previous.label, result.complete) == (truth["report_period"], truth["previous_period"], True)


@pytest.mark.parametrize("quarter", QUARTERS)
def test_every_service_costs_exactly_what_was_planted(result, sample, quarter):
    _, truth = sample
    found = _per_service(result, quarter)
    planted = {service: Decimal(by_quarter[quarter]) for service, by_quarter in truth["services_effective"].items()}
    planted = {s: v for s, v in planted.items() if v != 0}
    assert found == planted  # Decimal equality: not one millionth of a cent off


def test_billed_cost_puts_the_savings_plan_where_it_is_bought(sample):
    folder, truth = sample
    billed = _run(_params(folder, cost_column="BilledCost"))
    for quarter in QUARTERS:
        planted = {s: Decimal(q[quarter]) for s, q in truth["services_billed"].items() if Decimal(q[quarter]) != 0}
        assert _per_service(billed, quarter) == planted
    # the same money in total: a commitment moves between services, it is not created or lost
    effective = {q: sum(Decimal(v[q]) for v in truth["services_effective"].values()) for q in QUARTERS}
    assert effective == {q: sum(Decimal(v[q]) for v in truth["services_billed"].values()) for q in QUARTERS}


def _raw_total(folder: Path, quarter: str, column: str = "EffectiveCost") -> Decimal:
    """The quarter's cost summed straight from the files, in Python decimals: the oracle."""
    period = parse_period(quarter, "Q")
    rates = {(r["currency"], r["month"][:7]): Decimal(r["rate"]) for r in _csv(folder / "rates.csv")}
    total = Decimal(0)
    table = pq.read_table(folder / "cloud_costs.parquet", columns=[column, "BillingCurrency", "ChargePeriodStart"])
    sums: dict = {}
    for cost, currency, start in zip(*(table[c].to_pylist() for c in (column, "BillingCurrency", "ChargePeriodStart"))):
        if period.start <= start.date() <= period.end:
            key = (currency, f"{start:%Y-%m}")
            sums[key] = sums.get(key, Decimal(0)) + Decimal(repr(cost))
    for row in _csv(folder / "ledger.csv"):
        if period.start <= dt.date.fromisoformat(row["period"]) <= period.end:
            key = (row["currency"], row["period"][:7])
            sums[key] = sums.get(key, Decimal(0)) + Decimal(row["amount"])
    with decimal.localcontext(decimal.Context(prec=60)):
        for (currency, month), amount in sums.items():
            total += amount * (rates[(currency, month)] if currency != "EUR" else 1)
    return total


def _csv(path: Path) -> list[dict]:
    import csv

    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_services_and_unallocated_add_up_to_the_files_total_to_the_cent(result, published, sample):
    folder, _ = sample
    oracle = _raw_total(folder, "2025-Q4")
    assert sum(result.services["cost"], Decimal(0)) == oracle
    shown = [Decimal(repr(s["cost"])) for s in published["services"]]
    assert sum(shown) == Decimal(repr(published["total_cost"])) == cents(oracle)
    # each service is within a cent of its exact cost (rounded so that they add up)
    for service, exact in zip(result.services["service"], result.services["cost"]):
        row = next(s for s in published["services"] if s["service"] == service)
        assert abs(Decimal(repr(row["cost"])) - exact) < Decimal("0.01")
    assert "Unallocated" in [s["service"] for s in published["services"]]
    assert published["unallocated_cost"] == float(cents(result.services.set_index("service").loc["Unallocated", "cost"]))


def test_every_charge_lands_in_exactly_one_service_or_unallocated(result, sample):
    folder, truth = sample
    assert int(result.allocated.loc[result.allocated["source"] == "cloud", "rows"].sum()) == truth["cloud_rows"]
    assert int(result.allocated.loc[result.allocated["source"] == "ledger", "rows"].sum()) == len(_csv(folder / "ledger.csv"))
    assert result.allocated["service"].notna().all()
    hits = result.rules
    assert int(hits["rows"].sum()) == int(result.allocated["rows"].sum())


def test_the_published_cents_are_the_largest_remainder_rounding_of_the_planted_costs(published, sample):
    _, truth = sample
    planted = {s: Decimal(q["2025-Q4"]) for s, q in truth["services_effective"].items() if Decimal(q["2025-Q4"]) != 0}
    order = [s["service"] for s in published["services"]]
    expected = dict(zip(order, _hamilton([planted[s] for s in order])))
    assert {s["service"]: Decimal(repr(s["cost"])) for s in published["services"]} == expected


def _hamilton(values: list[Decimal]) -> list[Decimal]:
    """An independent largest-remainder rounding to cents, in whole cents as integers."""
    hundredths = [v * 100 for v in values]
    floors = [math.floor(h) for h in hundredths]
    total = int((sum(values) * 100).quantize(Decimal(1), rounding=decimal.ROUND_HALF_UP))
    for i in sorted(range(len(values)), key=lambda i: (-(hundredths[i] - floors[i]), i))[: total - sum(floors)]:
        floors[i] += 1
    return [Decimal(f) / 100 for f in floors]


def test_apportioned_cents_add_up_and_stay_within_a_cent():
    import random

    rng = random.Random(7)
    for _ in range(300):
        values = [Decimal(rng.randint(-10**9, 10**9)) / Decimal(10**6) for _ in range(rng.randint(1, 30))]
        shares = apportion_cents(values)
        assert sum(shares) == cents(sum(values))
        assert all(abs(s - v) < Decimal("0.01") for s, v in zip(shares, values))
        assert shares == [Decimal(f) for f in _hamilton(values)]


# --- unit costs --------------------------------------------------------------------------------

def test_unit_costs_and_their_changes_are_exact(result, sample):
    _, truth = sample
    volumes: dict = {}
    for v in truth["volumes"]:
        key = (v["service"] or "All IT", v["unit"], v["quarter"])
        volumes[key] = volumes.get(key, 0) + v["count"]
    cost = {q: {s: Decimal(v[q]) for s, v in truth["services_effective"].items()} for q in ("2025-Q3", "2025-Q4")}
    for q in cost:
        cost[q]["All IT"] = sum(cost[q].values(), Decimal(0))
    rows = result.unit_costs.set_index(["service", "unit"])
    assert len(rows) == 4
    with decimal.localcontext(decimal.Context(prec=40)):
        for (service, unit), row in rows.iterrows():
            now, before = volumes[(service, unit, "2025-Q4")], volumes[(service, unit, "2025-Q3")]
            assert row["count"] == now and row["previous_count"] == before
            unit_cost = cost["2025-Q4"][service] / now
            previous = cost["2025-Q3"][service] / before
            assert abs(row["unit_cost"] - unit_cost) <= unit_cost * Decimal("1e-25")
            assert abs(row["unit_cost_change"] - (unit_cost / previous - 1)) <= Decimal("1e-25")
            spend = cost["2025-Q4"][service] / cost["2025-Q3"][service] - 1
            volume = Decimal(now) / Decimal(before) - 1
            assert abs(row["spend_change"] - spend) <= Decimal("1e-25")
            assert abs(row["volume_change"] - volume) <= Decimal("1e-25")
            # the drivers explain the change exactly: 1 + unit change = (1 + spend) / (1 + volume)
            assert abs((1 + row["unit_cost_change"]) - (1 + row["spend_change"]) / (1 + row["volume_change"])) <= Decimal("1e-25")


def test_the_headline_says_cost_change_volume_and_unit_cost(result, sample):
    _, truth = sample
    first = it_costs.headline(result)[0]
    total = {q: sum(Decimal(v[q]) for v in truth["services_effective"].values()) for q in ("2025-Q3", "2025-Q4")}
    cloud = sum(Decimal(v["2025-Q4"]) for v in truth["cloud_effective"].values())
    change = total["2025-Q4"] / total["2025-Q3"] - 1
    orders = {q: sum(v["count"] for v in truth["volumes"] if v["service"] is None and v["quarter"] == q) for q in total}
    volume = Decimal(orders["2025-Q4"]) / orders["2025-Q3"] - 1
    unit = (total["2025-Q4"] / orders["2025-Q4"]) / (total["2025-Q3"] / orders["2025-Q3"]) - 1
    assert first == (
        f"IT cost {float(total['2025-Q4']) / 1e6:.2f}M EUR in 2025-Q4 (cloud {float(cloud) / 1e6:.2f}M EUR), "
        f"{float(change):+.1%} on 2025-Q3 with orders {float(volume):+.0%}: cost per order "
        f"{'down' if unit < 0 else 'up'} {abs(float(unit)):.0%}."
    )


# --- shelfware --------------------------------------------------------------------------------

def test_unused_seats_and_their_cost_are_exact(result, sample):
    _, truth = sample
    found = result.shelfware.products.set_index("product")
    planted = truth["shelfware"]["products"]
    assert set(found.index) == {p["product"] for p in planted}  # the expired Lotus Notes contract is not shelfware
    for p in planted:
        row = found.loc[p["product"]]
        for field in ("seats", "holders", "active_users", "unused_seats", "leaver_seats", "unassigned_seats"):
            assert row[field] == p[field], (p["product"], field)
        assert row["unused_cost_per_year"] == Decimal(p["unused_cost_per_year"]), p["product"]


def test_a_department_holding_seats_nobody_uses_is_named(result, sample):
    _, truth = sample
    idle = result.shelfware.departments
    planted = [(p["product"], d, p["idle_seats"]) for p in truth["shelfware"]["products"] for d in p["idle_departments"]]
    assert list(zip(idle["product"], idle["department"], idle["seats_held"])) == planted
    assert "Legal" not in set(idle["department"])  # 14 people: never named


def test_the_headline_counts_unused_seats_and_leavers(result, sample):
    _, truth = sample
    planted = truth["shelfware"]["products"]
    unused = sum(p["unused_seats"] for p in planted)
    leavers = sum(p["leaver_seats"] for p in planted)
    sentence = next(s for s in it_costs.headline(result) if "paid seats" in s)
    assert sentence.startswith(f"{unused:,} paid seats (")
    assert sentence.endswith(f"in the 90 days to 31 December 2025, {leavers:,} of them held by people who have left.")


# --- shadow IT ---------------------------------------------------------------------------------

def test_shadow_it_groups_are_exact_and_small_ones_are_never_named(result, sample):
    _, truth = sample
    planted = [g for g in truth["shadow_it"] if g["quarter"] == "2025-Q4" and not g["sanctioned"]]
    spend = result.shadow_it
    assert spend.total == sum(Decimal(g["amount"]) for g in planted)
    assert spend.lines == sum(g["lines"] for g in planted)
    # Typeform has one line in Q4: hidden; one line alone would show through the hidden total, so the smallest
    # three-line group (Dropbox) is hidden with it
    hidden = {("CC-HR", "Typeform"), ("CC-SALES", "Dropbox")}
    shown = {(g["cost_center"], g["merchant_group"]): Decimal(g["amount"]) for g in planted
             if (g["cost_center"], g["merchant_group"]) not in hidden}
    assert dict(zip(zip(spend.groups["cost_center"], spend.groups["merchant_group"]), spend.groups["amount"])) == shown
    assert spend.hidden_groups == 2
    assert spend.hidden_amount == sum(Decimal(g["amount"]) for g in planted if (g["cost_center"], g["merchant_group"]) in hidden)


def test_licensed_products_bought_on_expenses_are_not_shadow_it(result, sample):
    _, truth = sample
    planted = {g["merchant_group"]: Decimal(g["amount"]) for g in truth["shadow_it"]
               if g["quarter"] == "2025-Q4" and g["sanctioned"]}
    sanctioned = result.shadow_it.sanctioned
    assert dict(zip(sanctioned["merchant_group"], sanctioned["amount"])) == planted == {
        "Zoom": planted["Zoom"], "Adobe": planted["Adobe"]}


def test_look_alikes_are_not_software(result, sample):
    folder, _ = sample
    groups = set(result.shadow_it.groups["merchant_group"]) | set(result.shadow_it.sanctioned["merchant_group"])
    # a restaurant named "Cloud Nine", a dinner whose memo says "software", an iPad, a book
    assert not any("Cloud" in g or "Trattoria" in g or "Apple" in g or "AMAZON" in g for g in groups)
    assert all(g["merchant_group"] for g in it_costs.results(result)["shadow_it"] if not g["suppressed"])


# --- results.json -----------------------------------------------------------------------------

def test_results_follow_the_common_layout(published):
    assert layout_problems(published) == []
    assert list(published)[:4] == ["analysis", "parameters", "period", "units"]
    assert published["analysis"] == "it_costs"
    assert published["period"] == {"start": "2025-10-01", "end": "2025-12-31"}
    assert "currency" not in published and published["parameters"]["currency"] == "EUR"
    for money in ("total_cost", "cost", "unused_cost_per_year", "amount"):
        assert published["units"][money] == "EUR"
    assert published["units"]["unallocated_share"] == published["units"]["share"] == "share"
    assert published["units"]["cost_change"] == "relative change"  # -0.2 is 20% less, 1.5 is 150% more
    for service in published["services"]:
        assert 0 <= service["share"] <= 1
    assert 0 <= published["unallocated_share"] <= 1
    assert sum(s["share"] for s in published["services"]) == pytest.approx(1, abs=1e-5)


# --- the same figures however a run is started -------------------------------------------------

def _exact_figures(result) -> dict:
    per = result.allocated.groupby("service")["cost"].agg(lambda s: sum(s, Decimal(0)))
    return {"services": per.to_dict(), "published": json.dumps(to_jsonable(it_costs.results(result)), sort_keys=True)}


def test_same_figures_from_csv_shuffled_split_files_and_one_thread(result, sample, tmp_path):
    folder, _ = sample
    reference = _exact_figures(result)
    db = duckdb.connect()
    source = str(folder / "cloud_costs.parquet")
    db.execute(f"CREATE TABLE c AS SELECT * FROM read_parquet('{source}') ORDER BY hash(ResourceId, ChargePeriodStart)")
    split = tmp_path / "split"
    split.mkdir()
    for part in range(3):
        db.execute(f"COPY (SELECT * FROM c WHERE hash(ChargePeriodStart) % 3 = {part}) TO '{split}/part{part}.parquet'")
    db.execute(f"COPY c TO '{tmp_path}/cloud_costs.csv' (HEADER, DELIMITER ',')")
    for cloud in (str(split / "part*.parquet"), str(tmp_path / "cloud_costs.csv")):
        params = _params(folder, cloud_costs_path=cloud)
        con = inputs.connect()
        con.raw_sql("SET threads = 1")
        found = _exact_figures(_run(params, con=con))
        assert found["services"] == reference["services"]
        assert found["published"].replace(cloud, "X") == reference["published"].replace(str(folder / "cloud_costs.parquet"), "X")
