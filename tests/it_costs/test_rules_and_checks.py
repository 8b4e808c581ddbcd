"""Allocation rules (order, case, wildcards, sources, catch-all), periods, currencies, seat use from feature usage,
and what stops a run before any kernel: one sentence, exit status 2, nothing written."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pandas as pd
import pytest

from helpers import it_costs
from helpers.exceptions import InputDataError, ParameterError
from helpers.it_costs.allocation import UNALLOCATED, allocate, read_rules
from helpers.it_costs.currencies import convert, read_rates
from helpers.it_costs.money import short_money
from helpers.it_costs.periods import Coverage, choose_periods, parse_period, period_of
from helpers.paths import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "data" / "sample"


def _rules(rows: list[tuple]) -> list:
    columns = ["match", "value", "cost_pool", "tower", "service", "consumer", "source"]
    return read_rules(pd.DataFrame([r + (None,) * (7 - len(r)) for r in rows], columns=columns))


def _costs(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({**columns, "cost": [Decimal(1)] * n})


# --- allocation ------------------------------------------------------------------------------------

def test_the_first_matching_rule_wins_and_unmatched_is_unallocated():
    rules = _rules([("vendor", "SAP", "Software", "Application", "ERP"),
                    ("cost_center", "CC-INFRA", "Labour", "Compute", "Hosting")])
    costs = _costs(vendor=["SAP", None, "Oracle", "SAP"], cost_center=["CC-INFRA", "CC-INFRA", "CC-CIO", "CC-X"])
    placed = allocate(costs, rules, source="ledger")
    assert list(placed["service"]) == ["ERP", "Hosting", UNALLOCATED, "ERP"]
    assert list(placed["rule"]) == [1, 2, 0, 1]
    assert list(placed["cost_pool"]) == ["Software", "Labour", UNALLOCATED, "Software"]


def test_values_match_without_case_or_spaces_and_star_matches_anything():
    rules = _rules([("Tags.app", " WebShop ", "C", "T", "Web shop"), ("SubAccountName", "*network*", "C", "T", "Network"),
                    ("ServiceName", "Amazon *", "C", "T", "AWS other")])
    costs = _costs(**{"Tags.app": ["webshop", "WEBSHOP  ", None, None, None],
                      "SubAccountName": ["x", "x", "core-Network-hub", "n", "n"],
                      "ServiceName": ["a", "a", "a", "Amazon S3", "AmazonS3"]})
    assert list(allocate(costs, rules, source="cloud")["service"]) == ["Web shop", "Web shop", "Network", "AWS other",
                                                                        UNALLOCATED]


def test_a_rule_applies_to_its_source_only_and_a_catch_all_takes_the_rest():
    rules = _rules([("account", "6400", "Labour", "T", "People", None, "ledger"), ("*", "*", "Other", "Other", "Shared")])
    cloud = allocate(_costs(ServiceName=["EC2"]), rules, source="cloud")
    ledger = allocate(_costs(account=["6400", "6500"]), rules, source="ledger")
    assert list(cloud["service"]) == ["Shared"]
    assert list(ledger["service"]) == ["People", "Shared"]


def test_a_rule_on_a_column_no_input_has_stops_the_run_with_a_sentence(tmp_path):
    rules = tmp_path / "allocation.csv"
    rules.write_text("match,value,cost_pool,tower,service\nServiceName,Amazon*,C,T,AWS\nSubAcountName,x,C,T,X\n",
                     encoding="utf-8")
    params = it_costs.Parameters.validate_values({"allocation_path": str(rules)})
    with pytest.raises(InputDataError) as caught:
        it_costs.analyse(it_costs.load_inputs(params), params)
    assert str(caught.value) == (
        "allocation.csv: column 'match' must name a column of cloud_costs.parquet and ledger.csv; row 2 matches on "
        "'SubAcountName'; did you mean 'SubAccountName'?"
    )


# --- periods and currencies -------------------------------------------------------------------------

def test_periods_are_calendar_months_quarters_and_years():
    assert period_of(dt.date(2025, 5, 17), "Q").as_dict() == {"label": "2025-Q2", "start": "2025-04-01", "end": "2025-06-30"}
    assert parse_period("2024-02", "M").end == dt.date(2024, 2, 29)
    assert parse_period("2025", "Y").previous().label == "2024"
    assert parse_period("2025-Q1", "Q").previous().label == "2024-Q4"


def test_the_report_is_about_the_latest_complete_period():
    months = frozenset(dt.date(2025, m, 1) for m in range(1, 12))
    # data from 1 Jan to 15 Nov: Q4 is partial, Q3 is the latest complete quarter
    coverage = Coverage(first=dt.datetime(2025, 1, 1), last=dt.datetime(2025, 11, 15), months=months)
    period, previous = choose_periods(coverage, "Q", None)
    assert (period.label, previous.label) == ("2025-Q3", "2025-Q2")
    assert not coverage.is_complete(parse_period("2025-Q4", "Q"))
    assert choose_periods(coverage, "Q", "2025-Q4")[0].label == "2025-Q4"  # asked for: reported, said to be partial
    with pytest.raises(ParameterError, match=r"^Parameter 'period' \(2024-Q4\) holds no cloud cost: the cost data runs "
                                             r"from 2025-01-01 to 2025-11-15, so choose a quarter from 2025-Q1 to 2025-Q4 "
                                             r"\(or Q for the latest complete one\)\.$"):
        choose_periods(coverage, "Q", "2024-Q4")


def test_a_misspelled_period_is_refused():
    with pytest.raises(ParameterError, match=r"^Parameter 'period' must be M, Q or Y \(the latest complete month, quarter or "
                                             r"year\) or a period written like 2025-06, 2025-Q2 or 2025; got '2025-6'\.$"):
        it_costs.Parameters.validate_values({"period": "2025-6"})
    params = it_costs.Parameters.validate_values({"period": "2025-Q2"})
    assert (params.freq, params.report_period) == ("Q", "2025-Q2")
    params = it_costs.Parameters.validate_values({"period": "M", "software_markers": [5734, "0742", "Canva"]})
    assert (params.freq, params.report_period) == ("M", None)
    assert (params.software_mccs, params.software_keywords) == (["5734", "0742"], ["Canva"])


def test_costs_in_another_currency_need_a_rate():
    costs = pd.DataFrame({"month": [dt.date(2025, 3, 1)] * 2, "cost": [Decimal("10"), Decimal("5")],
                          "currency": ["EUR", "usd"], "rows": [4, 3]})
    with pytest.raises(InputDataError) as caught:
        convert(costs, read_rates(None, "EUR"), amount="cost", currency="currency", name="focus.csv")
    assert str(caught.value) == ("focus.csv: 3 rows are in USD, not EUR (parameter 'currency'); give exchange rates into "
                                 "EUR (parameter 'rates_path', columns currency, rate, month) to convert them.")
    rates = pd.DataFrame({"currency": ["USD"], "rate": [0.9243], "month": [pd.Timestamp("2025-02-01")]})
    with pytest.raises(InputDataError, match=r"^rates.csv has no rate for USD in 2025-03 \(and none for every month\); "
                                             r"focus.csv has 3 rows in USD then\.$"):
        convert(costs, read_rates(rates, "EUR", source="rates.csv"), amount="cost", currency="currency", name="focus.csv")
    standing = pd.DataFrame({"currency": ["USD"], "rate": [0.9243], "month": [pd.NaT]})
    converted = convert(costs, read_rates(standing, "EUR", source="rates.csv"), amount="cost", currency="currency", name="x")
    assert list(converted["cost"]) == [Decimal("10"), Decimal("4.6215")]


def test_sums_are_said_the_way_people_say_them():
    assert [short_money(v, "EUR") for v in (4_214_000, 186_400, 9_540, 840, -52_000)] == [
        "4.21M EUR", "186k EUR", "9.5k EUR", "840 EUR", "-52k EUR"]


# --- seat use from the feature-adoption inputs -----------------------------------------------------

def test_seat_use_can_come_from_feature_usage(tmp_path):
    (tmp_path / "features.csv").write_text("feature_id,name,application,released\nF1,Inbox,ERP,2025-01-01\n"
                                           "F2,Chat,Portal,2025-01-01\n", encoding="utf-8")
    (tmp_path / "usage.csv").write_text(
        "timestamp,user_id,feature_id\n2025-12-20 10:00,U1,F1\n2025-06-01 10:00,U2,F1\n2025-12-01 10:00,U3,F1\n"
        "2025-12-02 10:00,U4,F2\n", encoding="utf-8")
    (tmp_path / "users.csv").write_text("user_id,department,active_from,active_to\nU1,Finance,,\nU2,Finance,,\n"
                                        "U3,Finance,,2025-12-10\nU4,Sales,,\n", encoding="utf-8")
    (tmp_path / "licences.csv").write_text("product,vendor,seats,unit_price,period\nERP,SAP,5,100.00,year\n", encoding="utf-8")
    params = it_costs.Parameters.validate_values({
        "licences_path": str(tmp_path / "licences.csv"), "last_active_path": "", "users_path": str(tmp_path / "users.csv"),
        "features_path": str(tmp_path / "features.csv"), "feature_usage_path": str(tmp_path / "usage.csv"), "min_n": 10,
    })
    result = it_costs.analyse(it_costs.load_inputs(params), params)
    row = result.shelfware.products.iloc[0]
    # U1 used ERP in the last 90 days; U2 last used it in June; U3 left on 10 December: one seat of five is used
    assert (row["seats"], row["holders"], row["active_users"], row["unused_seats"], row["leaver_seats"],
            row["unassigned_seats"], row["unused_cost_per_year"]) == (5, 3, 1, 4, 1, 2, Decimal("400"))
    assert result.shelfware.unlicensed == ["Portal"]
    assert any("no licence in force" in n.issue for n in result.quality_notes)


def test_feature_usage_without_features_is_refused():
    with pytest.raises(ParameterError, match=r"^Parameter 'feature_usage_path' is given but 'features_path' is empty"):
        it_costs.Parameters.validate_values({"feature_usage_path": str(SAMPLE / "feature_usage.parquet")})


# --- before any kernel: one sentence, exit 2, nothing written ---------------------------------------

def _itvalue(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.running.cli", "run", "it_costs", *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=cwd)


def test_a_focus_file_missing_a_column_stops_before_any_kernel(tmp_path):
    frame = pd.read_parquet(SAMPLE / "cloud_costs.parquet").head(50).drop(columns=["BilledCost"])
    path = tmp_path / "focus.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "reports"
    done = _itvalue("-p", f"cloud_costs_path={path}", "--out", out)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("itvalue: focus.csv: missing required column 'BilledCost' (columns found: ")
    assert "Traceback" not in done.stderr
    assert not out.exists() or not any(out.iterdir())


def test_another_currency_without_rates_stops_before_any_kernel(tmp_path):
    out = tmp_path / "reports"
    done = _itvalue("-p", "rates_path=", "--out", out)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "itvalue: cloud_costs.parquet: 23,643 rows are in USD, not EUR (parameter 'currency'); give exchange rates into "
        "EUR (parameter 'rates_path', columns currency, rate, month) to convert them."
    )
    assert not out.exists() or not any(out.iterdir())


def test_a_report_period_without_costs_stops_before_any_kernel(tmp_path):
    done = _itvalue("-p", "period=2023-Q1", "--out", tmp_path / "reports")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("itvalue: Parameter 'period' (2023-Q1) holds no cloud cost: the cost data runs "
                                          "from 2025-01-01 to 2026-01-01")
