"""FOCUS exports as they come: the FinOps Foundation's published sample reads without a hand edit and sums to
the cent; files of FOCUS 1.0 to 1.2 with their quirks (NULL words, mixed-case categories, x_ and other extra
columns, semicolons and decimal commas, typed Parquet) give the same figures; a missing column is one sentence."""

from __future__ import annotations

import csv
import decimal
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from helpers import it_costs
from helpers.exceptions import InputDataError
from helpers.inputs import loading as inputs
from helpers.it_costs.queries import tag_value

REFERENCE = Path(__file__).parent / "reference" / "focus_sample" / "focus_sample_extract.csv"

#: The columns FOCUS 1.2 defines (the specification's column list), in its order; 1.0 and 1.1 hold a subset.
FOCUS_1_2 = [
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "CapacityReservationId", "CapacityReservationStatus", "ChargeCategory",
    "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
    "CommitmentDiscountCategory", "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus", "CommitmentDiscountType", "CommitmentDiscountUnit", "ConsumedQuantity", "ConsumedUnit",
    "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "InvoiceId", "InvoiceIssuerName", "ListCost",
    "ListUnitPrice", "PricingCategory", "PricingCurrency", "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice", "PricingQuantity", "PricingUnit", "ProviderName",
    "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory",
    "ServiceName", "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceDetails", "SkuPriceId", "SubAccountId",
    "SubAccountName", "SubAccountType", "Tags",
]
#: FOCUS 1.0 lacks these (added in 1.1 and 1.2).
NEWER = {"BillingAccountType", "CapacityReservationId", "CapacityReservationStatus", "CommitmentDiscountQuantity",
         "CommitmentDiscountUnit", "InvoiceId", "PricingCurrency", "PricingCurrencyContractedUnitPrice",
         "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice", "ServiceSubcategory", "SkuMeter",
         "SkuPriceDetails", "SubAccountType"}


def _reference_rows() -> list[dict]:
    with REFERENCE.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _cloud_only(path, **values) -> it_costs.Parameters:
    base = {"cloud_costs_path": str(path), "ledger_path": "", "allocation_path": "", "volumes_path": "", "licences_path": "",
            "last_active_path": "", "users_path": "", "expenses_path": "", "rates_path": ""}
    base.update(values)
    return it_costs.Parameters.validate_values(base)


def _run(params):
    return it_costs.analyse(it_costs.load_inputs(params), params)


# --- the FinOps Foundation's sample -------------------------------------------------------------

def test_the_published_focus_sample_reads_without_a_hand_edit():
    table = inputs.open_input(str(REFERENCE), "cloud_costs")
    counts = table.aggregate(rows=table.count(), tags=table.Tags.count(), contracted=table.ContractedCost.count(),
                             charge_class=table.ChargeClass.count()).to_pandas().iloc[0]
    assert int(counts["rows"]) == 300
    # "NULL" cells are empty: 72 of the Tags, 7 ContractedCost, every ChargeClass
    assert (int(counts["tags"]), int(counts["contracted"]), int(counts["charge_class"])) == (228, 293, 0)
    assert {"Id", "ListUnitPrice", "SkuPriceId"} <= set(table.columns)  # extra columns are kept


@pytest.mark.parametrize("column", ["EffectiveCost", "BilledCost", "ListCost"])
def test_the_published_sample_sums_to_the_decimal_text_of_the_file(column):
    rows = _reference_rows()
    result = _run(_cloud_only(REFERENCE, currency="USD", period="2024-09", cost_column=column))
    oracle: dict[str, Decimal] = {}
    with decimal.localcontext(decimal.Context(prec=60)):
        for row in rows:
            if row["ChargePeriodStart"].startswith("2024-09"):
                oracle[row["ProviderName"]] = oracle.get(row["ProviderName"], Decimal(0)) + Decimal(row[column])
    found = dict(zip(result.providers["provider"], result.providers["cost"]))
    assert found == oracle  # exact: every amount of the file has at most eleven decimals
    assert sum(result.services["cost"], Decimal(0)) == sum(oracle.values())
    assert list(result.services["service"]) == ["Unallocated"]  # no allocation table: nothing is allocated


def test_rules_on_the_samples_tags_match_what_the_json_says(tmp_path):
    rules = tmp_path / "allocation.csv"
    rules.write_text(
        "match,value,cost_pool,tower,service\n"
        "Tags.environment,dev,Cloud,Compute,Development\n"
        '"Tags.Cost department",marketing,Cloud,Compute,Marketing\n'
        "Tags.ms:Department,*,Cloud,Compute,Azure departments\n"
        "ServiceName,Amazon*,Cloud,Compute,Other AWS\n", encoding="utf-8")
    result = _run(_cloud_only(REFERENCE, currency="USD", period="2024-09", allocation_path=str(rules)))
    oracle: dict[str, Decimal] = {}
    for row in _reference_rows():
        tags = None if row["Tags"] == "NULL" else row["Tags"]
        if tag_value(tags, "environment") == "dev":
            service = "Development"
        elif (tag_value(tags, "Cost department") or "").lower() == "marketing":
            service = "Marketing"
        elif tag_value(tags, "ms:Department"):
            service = "Azure departments"
        elif row["ServiceName"].startswith("Amazon"):
            service = "Other AWS"
        else:
            service = "Unallocated"
        oracle[service] = oracle.get(service, Decimal(0)) + Decimal(row["EffectiveCost"])
    found = {s: c for s, c in zip(result.services["service"], result.services["cost"])}
    assert found == {s: c for s, c in oracle.items() if c != 0 or s in found}
    assert {"Development", "Marketing", "Other AWS", "Unallocated"} <= set(found)


def test_tag_values_follow_json():
    assert tag_value('{"app": "web", "Cost department": "x"}', "Cost department") == "x"
    assert tag_value('{"app": 5, "on": true}', "app") == "5"
    assert tag_value('{"app": 5, "on": true}', "on") == "true"
    assert tag_value('{"app": {"nested": 1}}', "app") is None
    assert tag_value("not json", "app") is None
    assert tag_value("[1, 2]", "app") is None
    assert tag_value(None, "app") is None


# --- FOCUS 1.0 to 1.2 as exporters write them ---------------------------------------------------

def _focus_rows() -> list[dict]:
    """Three providers' charges as FOCUS 1.2 names them, with the quirks real exports have."""
    rows = []
    for provider, category, cost, tags in (
        ("AWS", "Usage", "12.345678901", '{"app": "webshop", "env": "prod"}'),
        ("AWS", "usage", "0.000000603", '{"app": "webshop"}'),
        ("Microsoft", "USAGE", "7.5", '{"App": "intranet"}'),
        ("Microsoft", "Credit", "-2.25", "NULL"),
        ("Google Cloud", "Tax", "1.01", ""),
        ("Google Cloud", "Purchase", "100", "{}"),
    ):
        row = {column: "NULL" for column in FOCUS_1_2}
        row.update({
            "BilledCost": cost, "EffectiveCost": cost, "ListCost": cost, "ContractedCost": cost, "BillingCurrency": "EUR",
            "ChargePeriodStart": "2025-03-04T00:00:00Z", "ChargePeriodEnd": "2025-03-05T00:00:00Z",
            "BillingPeriodStart": "2025-03-01T00:00:00Z", "BillingPeriodEnd": "2025-04-01T00:00:00Z",
            "ChargeCategory": category, "ProviderName": provider, "PublisherName": provider, "InvoiceIssuerName": provider,
            "ServiceName": "NULL" if category == "Tax" else "Compute", "ServiceCategory": "Compute", "Tags": tags,
            "x_Discount": "0.1", "x_Operation": "RunInstances",
        })
        rows.append(row)
    return rows


def _write_csv(path: Path, rows: list[dict], columns: list[str], *, delimiter: str = ",", decimal_comma: bool = False) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(columns)
        for row in rows:
            cells = [row.get(c, "") for c in columns]
            if decimal_comma:
                cells = [c.replace(".", ",") if c.replace(".", "").replace("-", "").isdigit() else c for c in cells]
            writer.writerow(cells)
    return path


@pytest.fixture
def rules(tmp_path):
    path = tmp_path / "allocation.csv"
    path.write_text("match,value,cost_pool,tower,service\nTags.app,webshop,Cloud,Application,Web shop\n"
                    "ProviderName,Microsoft,Cloud,End user,Intranet\n", encoding="utf-8")
    return str(path)


def _figures(path, rules) -> dict:
    result = _run(_cloud_only(path, allocation_path=rules, period="M"))
    return {"services": dict(zip(result.services["service"], result.services["cost"])),
            "categories": sorted(set(result.allocated["category"]))}


EXPECTED = {
    "services": {"Web shop": Decimal("12.345679504"), "Intranet": Decimal("5.25"), "Unallocated": Decimal("101.01")},
    "categories": ["Credit", "Purchase", "Tax", "Usage"],
}


@pytest.mark.parametrize("version", ["1.0", "1.2"])
def test_focus_versions_with_their_quirks_give_exact_figures(tmp_path, rules, version):
    columns = [c for c in FOCUS_1_2 if version == "1.2" or c not in NEWER] + ["x_Discount", "x_Operation"]
    path = _write_csv(tmp_path / f"focus_{version}.csv", _focus_rows(), columns)
    assert _figures(path, rules) == EXPECTED


def test_a_semicolon_export_with_decimal_commas_gives_the_same_figures(tmp_path, rules):
    path = _write_csv(tmp_path / "focus_excel.csv", _focus_rows(), FOCUS_1_2, delimiter=";", decimal_comma=True)
    assert _figures(path, rules) == EXPECTED


def test_a_typed_parquet_export_gives_the_same_figures(tmp_path, rules):
    source = _write_csv(tmp_path / "focus.csv", _focus_rows(), FOCUS_1_2 + ["x_Discount"])
    target = tmp_path / "focus.parquet"
    db = duckdb.connect()
    db.execute(f"""COPY (SELECT * REPLACE (
        CAST(BilledCost AS DECIMAL(38, 12)) AS BilledCost, CAST(EffectiveCost AS DECIMAL(38, 12)) AS EffectiveCost,
        CAST(ChargePeriodStart AS TIMESTAMPTZ) AS ChargePeriodStart, CAST(ChargePeriodEnd AS TIMESTAMPTZ) AS ChargePeriodEnd,
        nullif(Tags, 'NULL') AS Tags, nullif(ServiceName, 'NULL') AS ServiceName)
        FROM read_csv('{source}', all_varchar=true)) TO '{target}'""")
    assert _figures(target, rules) == EXPECTED


def test_a_focus_file_without_a_required_column_is_one_sentence(tmp_path):
    columns = [c for c in FOCUS_1_2 if c != "BilledCost"]
    path = _write_csv(tmp_path / "focus.csv", _focus_rows(), columns)
    with pytest.raises(InputDataError) as caught:
        inputs.check_input(str(path), "cloud_costs")
    message = str(caught.value)
    assert message.startswith("focus.csv: missing required column 'BilledCost' (columns found: AvailabilityZone, ")
    assert "\n" not in message


def test_a_lower_case_column_name_is_named_in_the_sentence(tmp_path):
    rows = [{("billedcost" if k == "BilledCost" else k): v for k, v in r.items()} for r in _focus_rows()]
    columns = ["billedcost" if c == "BilledCost" else c for c in FOCUS_1_2]
    path = _write_csv(tmp_path / "focus.csv", rows, columns)
    with pytest.raises(InputDataError, match=r"names are exact: rename 'billedcost'\.$"):
        inputs.check_input(str(path), "cloud_costs")


def test_a_cost_that_is_not_a_number_names_the_row(tmp_path):
    rows = _focus_rows()
    rows[2]["EffectiveCost"] = "7.5 EUR"
    path = _write_csv(tmp_path / "focus.csv", rows, FOCUS_1_2)
    with pytest.raises(InputDataError) as caught:
        inputs.check_input(str(path), "cloud_costs")
    assert str(caught.value) == (
        "focus.csv: column 'EffectiveCost' must be a number; 1 row breaks this (row 3: '7.5 EUR')."
    )


def test_json_in_results_is_plain(tmp_path, rules):
    path = _write_csv(tmp_path / "focus.csv", _focus_rows(), FOCUS_1_2)
    params = _cloud_only(path, allocation_path=rules, period="M")
    published = it_costs.results(_run(params))
    text = json.dumps(published, allow_nan=False)
    assert json.loads(text)["total_cost"] == 118.61


@pytest.mark.parametrize("text", ["0", "0.1", "8e-07", "-0.00000000603", "12.345678901", "999.999999999999", "1000",
                                  "1234.567891", "120000.123456", "1234567.890123", "-98765432.123456",
                                  "123456789012345", "-1e18"])
def test_an_amount_is_added_as_the_decimal_its_file_wrote(text):
    import ibis

    from helpers.it_costs.queries import exact_units, from_units

    table = ibis.memtable({"amount": [float(text)]})
    found = from_units(ibis.duckdb.connect().execute(table.select(units=exact_units(table.amount)))["units"])[0]
    assert found == Decimal(text)  # a plain cast to DECIMAL(38, 12) gives 1234567.890122999808 for the eighth
