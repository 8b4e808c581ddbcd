"""IT-cost sample data with planted truth: a year of three cloud providers, the ledger, licences, expenses.

Writes, in ``out_dir``:

- ``cloud_costs.parquet``: a FOCUS 1.2 export of AWS and Microsoft (billed in EUR) and Google
  Cloud (billed in USD) for 2025, one charge per resource and day (118,249 rows, 1.9 MB at scale 1;
  ``scale`` times as many resources above: 8 gives about a million rows, 845 a hundred million),
  with the quirks real exports have: Google's categories in lower case, a tax row without a
  ServiceName, an ``x_ServiceCode`` column, tags as JSON text on most resources (some spelled
  ``WebShop``), a savings plan whose purchase is billed once a month while its usage rows carry the
  cost as EffectiveCost, monthly credits;
- ``ledger.csv``: the IT postings of the general ledger (salaries per team, data-centre rent and
  power, software maintenance per vendor, one in USD, telecom, depreciation, consulting);
- ``allocation.csv``: the TBM-style rules (tags, service names, sub-accounts, vendors, cost
  centers, accounts; one rule that matches nothing);
- ``volumes.csv``: orders, payment transactions and active users per month;
- ``licences.csv`` and ``last_active.csv``: seven licensed products and who holds their seats
  (the users of ``users.csv``, which feature_adoption's sample writes: ``itvalue sample-data`` runs
  the samples in name order, so it is there; run alone, this writes the adoption sample first);
- ``expenses.csv``: card and expense lines, software among travel and meals;
- ``rates.csv``: monthly USD -> EUR rates.

Every amount is a whole number of millionths (charges) or cents (postings, expenses), so the
planted sums are exact integers; ``truth.json`` holds them as decimal text, per service and
quarter for both cost columns, with the unit costs' inputs, every product's seats and the
shadow-IT groups of the last quarter.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from helpers.sample_data._parquet import write_parquet_chunks

__all__ = ["generate", "generate_cloud", "RESOURCES", "USD_RATES", "LICENCES", "FIRST_DAY", "LAST_DAY", "EXPECTED_SERVICE"]

FIRST_DAY = dt.date(2025, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
#: EUR per USD, one rate per month of 2025 (four decimals, as a treasury table gives them).
USD_RATES = ("0.9612", "0.9587", "0.9243", "0.8811", "0.8842", "0.8676", "0.8573", "0.8560", "0.8532", "0.8617",
             "0.8650", "0.8541")
UNALLOCATED = "Unallocated"
#: Resources generated at a time (one block of charges in memory per month).
_RESOURCE_BLOCK = 4000
#: Prices of the templates are those of a small estate; a mid-sized company pays this many times more per resource.
_PRICE_FACTOR = 6


class Template(NamedTuple):
    """A family of cloud resources: where they run, what they are, how they are tagged and priced.

    ``service`` is the service the allocation rules should give them (the planted truth);
    ``price`` the range of a unit's price in millionths of the billing currency; ``quantity``
    the range of units a day; ``growth`` the name of their monthly demand curve.
    """

    provider: str
    account: str
    service_name: str
    category: str
    unit: str
    app: str | None
    service: str
    count: int
    price: tuple[int, int]
    quantity: tuple[int, int]
    growth: str = "flat"
    covered: bool = False


_AWS, _AZURE, _GCP = "AWS", "Microsoft", "Google Cloud"
RESOURCES = (
    Template(_AWS, "webshop-prod", "Amazon Elastic Compute Cloud", "Compute", "Hours", "webshop", "Web shop", 70,
             (60_000, 420_000), (20, 24), "season"),
    Template(_AWS, "webshop-prod", "Amazon Relational Database Service", "Databases", "Hours", "webshop", "Web shop", 12,
             (300_000, 1_100_000), (24, 24), "season"),
    Template(_AWS, "webshop-prod", "Amazon CloudFront", "Networking", "GB", "webshop", "Web shop", 6,
             (8_000, 12_000), (400, 900), "season"),
    Template(_AWS, "payments-prod", "AWS Lambda", "Compute", "Requests", "payments", "Payments", 20,
             (2, 4), (200_000, 400_000), "season"),
    Template(_AWS, "payments-prod", "Amazon DynamoDB", "Databases", "GB-Mo", "payments", "Payments", 8,
             (250_000, 300_000), (30, 60)),
    Template(_AWS, "erp-prod", "Amazon Elastic Compute Cloud", "Compute", "Hours", "erp", "ERP", 30,
             (150_000, 600_000), (24, 24), covered=True),
    Template(_AWS, "erp-prod", "Amazon Simple Storage Service", "Storage", "GB-Mo", "erp", "ERP", 10,
             (700, 800), (2_000, 6_000)),
    Template(_AWS, "network-hub", "Amazon Virtual Private Cloud", "Networking", "Hours", None, "Network", 12,
             (45_000, 50_000), (24, 24)),
    Template(_AWS, "webshop-prod", "Amazon CloudWatch", "Management and Governance", "Metrics", None, "Monitoring", 16,
             (300, 300), (200, 900)),
    Template(_AWS, "sandbox-dev", "Amazon Elastic Compute Cloud", "Compute", "Hours", None, UNALLOCATED, 24,
             (20_000, 200_000), (2, 24)),
    Template(_AZURE, "intranet-prod", "Virtual Machines", "Compute", "Hours", "intranet", "Intranet", 18,
             (90_000, 350_000), (24, 24)),
    Template(_AZURE, "intranet-prod", "Azure App Service", "Web", "Hours", "Intranet", "Intranet", 6,
             (70_000, 120_000), (24, 24)),
    Template(_AZURE, "crm-integration", "Azure SQL Database", "Databases", "Hours", "crm", "CRM", 8,
             (200_000, 400_000), (24, 24)),
    Template(_AZURE, "crm-integration", "Azure Functions", "Compute", "Executions", "crm", "CRM", 10,
             (10, 20), (20_000, 90_000)),
    Template(_AZURE, "webshop-search", "Azure Cognitive Search", "AI and Machine Learning", "Hours", "WebShop",
             "Web shop", 4, (300_000, 350_000), (24, 24), "season"),
    Template(_AZURE, "connectivity", "Azure ExpressRoute", "Networking", "Hours", None, "Network", 4,
             (500_000, 520_000), (24, 24)),
    Template(_AZURE, "intranet-prod", "Azure Monitor", "Management and Governance", "GB", None, "Monitoring", 8,
             (2_200_000, 2_300_000), (1, 5)),
    Template(_AZURE, "sandbox-azure", "Virtual Machines", "Compute", "Hours", None, UNALLOCATED, 10,
             (30_000, 150_000), (4, 24)),
    Template(_GCP, "dataplatform-prod", "BigQuery", "Analytics", "TiB", "dataplatform", "Data platform", 14,
             (5_500_000, 6_500_000), (1, 9), "growth"),
    Template(_GCP, "dataplatform-prod", "Compute Engine", "Compute", "Hours", "dataplatform", "Data platform", 30,
             (80_000, 400_000), (24, 24), "growth"),
    Template(_GCP, "dataplatform-prod", "Cloud Storage", "Storage", "GiB-Mo", "dataplatform", "Data platform", 12,
             (600, 700), (5_000, 20_000), "growth"),
    Template(_GCP, "dataplatform-prod", "Cloud Monitoring", "Management and Governance", "MiB", None, "Monitoring", 4,
             (250, 260), (500, 3_000)),
    Template(_GCP, "sandbox-gcp", "Compute Engine", "Compute", "Hours", None, UNALLOCATED, 8,
             (30_000, 90_000), (1, 24)),
)
_PROVIDERS = {
    _AWS: dict(currency="EUR", publisher="Amazon Web Services EMEA SARL", region="Europe (Frankfurt)", category="Usage"),
    _AZURE: dict(currency="EUR", publisher="Microsoft", region="West Europe", category="Usage"),
    _GCP: dict(currency="USD", publisher="Google", region="europe-west3", category="usage"),
}
_GROWTH = {
    "flat": np.ones(12),
    "season": np.array([1.00, 0.96, 0.98, 1.00, 1.02, 1.00, 0.97, 0.96, 1.02, 1.08, 1.30, 1.45]),
    "growth": np.array([1.00 * 1.035 ** m for m in range(12)]),
}
#: The service the allocation rules give each template's resources (the planted truth).
EXPECTED_SERVICE = {i: t.service for i, t in enumerate(RESOURCES)}


class Licence(NamedTuple):
    """One planted licence and who holds its seats: ``holders`` per department (``*`` = everyone
    employed during the year), ``active_share`` of the holders still there who used it in the
    last 90 days of the year."""

    product: str
    vendor: str
    seats: int
    unit_price: str
    period: str
    holders: dict
    active_share: float


LICENCES = (
    Licence("Microsoft 365", "Microsoft", 2700, "12.50", "month", {"*": 1.0}, 0.97),
    Licence("Salesforce Sales Cloud", "Salesforce", 900, "150.00", "month",
            {"Sales": 1.0, "Customer Service": 0.6, "Operations": 0.06}, 0.72),
    Licence("Tableau Creator", "Tableau", 140, "900.00", "year", {"Finance": 0.2, "Engineering": 0.15}, 0.55),
    Licence("Adobe Creative Cloud", "Adobe", 40, "89.99", "month", {"Sales": 0.04}, 0.8),
    Licence("Zoom Workplace", "Zoom", 300, "13.33", "month", {"Sales": 0.2, "Customer Service": 0.3}, 0.6),
    Licence("Atlassian Jira", "Atlassian", 420, "8.60", "month", {"Engineering": 0.9, "Operations": 0.05}, 0.85),
    Licence("ERP", "SAP", 1100, "1200.00", "year", {"Finance": 1.0, "Operations": 0.5, "HR": 0.6}, 0.8),
)
#: The department in which nobody uses Salesforce although it holds seats (planted).
IDLE_DEPARTMENT = ("Salesforce Sales Cloud", "Operations")


def _months() -> list[dt.date]:
    return [dt.date(2025, m, 1) for m in range(1, 13)]


def _quarter(month: dt.date) -> str:
    return f"{month.year}-Q{(month.month - 1) // 3 + 1}"


def _usd_rate(month: dt.date) -> Decimal:
    return Decimal(USD_RATES[month.month - 1])


# --- cloud ------------------------------------------------------------------------------------

def _resources(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    """One row per planted resource: its template, price, quantity range, tags and lifetime."""
    parts = []
    for index, t in enumerate(RESOURCES):
        n = t.count * scale
        lo, hi = t.price
        first = np.where(rng.random(n) < 0.1, rng.integers(30, 300, n), 0)
        last = np.where(rng.random(n) < 0.05, rng.integers(200, 364, n), 364)
        parts.append(pd.DataFrame({
            "template": index,
            # wide ranges in whole hundreds of millionths: fewer distinct prices, a smaller file
            "price": _PRICE_FACTOR * (rng.integers(lo, hi + 1, n) // 100 * 100 if hi - lo > 1000
                                      else rng.integers(lo, hi + 1, n)),
            "q_lo": t.quantity[0],
            "q_hi": t.quantity[1],
            "first_day": first,
            "last_day": np.maximum(last, first),
            "serial": np.arange(n),
        }))
    frame = pd.concat(parts, ignore_index=True)
    untagged = rng.random(len(frame)) < 0.02  # tagged templates: a few resources lost their tags
    apps = [RESOURCES[i].app for i in frame["template"]]
    frame["tags"] = [_tags(RESOURCES[i], app, lost, k) for i, app, lost, k in
                     zip(frame["template"], apps, untagged, frame["serial"])]
    frame["service"] = [UNALLOCATED if lost and RESOURCES[i].app else RESOURCES[i].service
                        for i, lost in zip(frame["template"], untagged)]
    frame["resource_id"] = [_resource_id(RESOURCES[i], k) for i, k in zip(frame["template"], frame["serial"])]
    return frame


def _tags(t: Template, app: str | None, lost: bool, serial: int) -> str | None:
    env = "dev" if t.account.startswith("sandbox") else "prod"
    if app is None or lost:
        return None if serial % 3 else json.dumps({"env": env})
    if t.provider == _AZURE:
        return json.dumps({"env": env, "app": app})
    return json.dumps({"app": app, "env": env, "team": t.account.split("-")[0]})


def _resource_id(t: Template, serial: int) -> str:
    kind = t.service_name.lower().replace(" ", "-")
    if t.provider == _AWS:
        return f"arn:aws:{kind}:eu-central-1:{_stable_number(t.account):012d}:{t.account}/{serial:06d}"
    if t.provider == _AZURE:
        return f"/subscriptions/{t.account}/resourceGroups/{t.account}-rg/providers/{kind}/{serial:06d}"
    return f"//{kind}.googleapis.com/projects/{t.account}/{serial:06d}"


def _stable_number(text: str, digits: int = 12) -> int:
    """A number of ``digits`` digits from ``text``, the same in every process (``hash`` is salted)."""
    return zlib.crc32(text.encode()) * 2654435761 % 10**digits


_SCHEMA = pa.schema([
    ("BilledCost", pa.float64()), ("EffectiveCost", pa.float64()), ("ListCost", pa.float64()),
    ("ContractedCost", pa.float64()), ("BillingCurrency", pa.string()), ("BillingPeriodStart", pa.timestamp("s")),
    ("BillingPeriodEnd", pa.timestamp("s")), ("ChargePeriodStart", pa.timestamp("s")), ("ChargePeriodEnd", pa.timestamp("s")),
    ("ChargeCategory", pa.string()), ("ChargeClass", pa.string()), ("ChargeDescription", pa.string()),
    ("ProviderName", pa.string()), ("PublisherName", pa.string()), ("InvoiceIssuerName", pa.string()),
    ("ServiceName", pa.string()), ("ServiceCategory", pa.string()), ("SubAccountId", pa.string()),
    ("SubAccountName", pa.string()), ("ResourceId", pa.string()), ("RegionName", pa.string()), ("Tags", pa.string()),
    ("ConsumedQuantity", pa.float64()), ("ConsumedUnit", pa.string()), ("CommitmentDiscountId", pa.string()),
    ("x_ServiceCode", pa.string()),
])
_SAVINGS_PLAN = "arn:aws:savingsplans::000000000001:savingsplan/sp-erp-compute"


class _Ledger(NamedTuple):
    """Planted sums: millionths per (month, service, currency) for EffectiveCost and BilledCost."""

    effective: dict
    billed: dict
    rows: list


def _add(book: dict, key: tuple, micros: int) -> None:
    book[key] = book.get(key, 0) + int(micros)


def _block_rows(rng: np.random.Generator, resources: pd.DataFrame, month: dt.date, tally: _Ledger) -> tuple[pa.Table, int, int]:
    """The charges of ``resources`` in ``month``, one per active resource and day; with the
    millionths the savings plan covered and those billed in USD (for the month's own rows)."""
    days = pd.date_range(month, periods=pd.Timestamp(month).days_in_month, freq="D")
    day_of_year = (days - pd.Timestamp(FIRST_DAY)).days.to_numpy()
    active = (resources["first_day"].to_numpy()[:, None] <= day_of_year[None, :]) & (
        resources["last_day"].to_numpy()[:, None] >= day_of_year[None, :])
    who, when = np.nonzero(active)
    template = resources["template"].to_numpy()[who]
    growth = np.array([_GROWTH[RESOURCES[i].growth][month.month - 1] for i in range(len(RESOURCES))])[template]
    lo, hi = resources["q_lo"].to_numpy()[who], resources["q_hi"].to_numpy()[who]
    quantity = np.maximum(np.rint((lo + rng.random(len(who)) * (hi - lo)) * growth), 1).astype(np.int64)
    cost = resources["price"].to_numpy()[who] * quantity
    covered = np.array([t.covered for t in RESOURCES])[template]
    service = resources["service"].to_numpy()[who]
    currency = np.array([_PROVIDERS[t.provider]["currency"] for t in RESOURCES])[template]
    frame = pd.DataFrame({"service": service, "currency": currency, "cost": cost, "billed": np.where(covered, 0, cost)})
    for (svc, cur), part in frame.groupby(["service", "currency"]):
        _add(tally.effective, (month, svc, cur), part["cost"].sum())
        _add(tally.billed, (month, svc, cur), part["billed"].sum())
    start = days[when].to_numpy().astype("datetime64[s]")
    table = _charges(resources, who, template, start, cost, np.where(covered, 0, cost), quantity, month)
    return table, int(cost[covered].sum()), int(cost[currency == "USD"].sum())


def _charges(resources, who, template, start, cost, billed, quantity, month) -> pa.Table:
    t = [RESOURCES[i] for i in range(len(RESOURCES))]

    def per_template(values: list) -> pa.Array:
        return pa.array(np.array(values, dtype=object)[template], type=pa.string())

    def per_resource(column: str) -> pa.Array:
        return pa.array(resources[column].to_numpy(dtype=object)[who], type=pa.string(), from_pandas=True)

    month_start = np.full(len(who), np.datetime64(month, "s"))
    month_end = np.full(len(who), np.datetime64(_next_month(month), "s"))
    covered = np.array([x.covered for x in t])[template]
    return pa.table({
        "BilledCost": billed / 1e6,
        "EffectiveCost": cost / 1e6,
        "ListCost": np.where(covered, cost * 5 // 4, cost) / 1e6,
        "ContractedCost": cost / 1e6,
        "BillingCurrency": per_template([_PROVIDERS[x.provider]["currency"] for x in t]),
        "BillingPeriodStart": month_start,
        "BillingPeriodEnd": month_end,
        "ChargePeriodStart": start,
        "ChargePeriodEnd": start + np.timedelta64(1, "D"),
        "ChargeCategory": per_template([_PROVIDERS[x.provider]["category"] for x in t]),
        "ChargeClass": pa.nulls(len(who), pa.string()),
        "ChargeDescription": per_template([f"{x.unit} of {x.service_name}" for x in t]),
        "ProviderName": per_template([x.provider for x in t]),
        "PublisherName": per_template([_PROVIDERS[x.provider]["publisher"] for x in t]),
        "InvoiceIssuerName": per_template([_PROVIDERS[x.provider]["publisher"] for x in t]),
        "ServiceName": per_template([x.service_name for x in t]),
        "ServiceCategory": per_template([x.category for x in t]),
        "SubAccountId": per_template([f"{_stable_number(x.account):012d}" for x in t]),
        "SubAccountName": per_template([x.account for x in t]),
        "ResourceId": per_resource("resource_id"),
        "RegionName": per_template([_PROVIDERS[x.provider]["region"] for x in t]),
        "Tags": per_resource("tags"),
        "ConsumedQuantity": quantity.astype(np.float64),
        "ConsumedUnit": per_template([x.unit for x in t]),
        "CommitmentDiscountId": per_template([_SAVINGS_PLAN if x.covered else None for x in t]),
        "x_ServiceCode": per_template([x.service_name.replace(" ", "") if x.provider == _AWS else None for x in t]),
    }, schema=_SCHEMA)


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _monthly_rows(month: dt.date, covered: int, usd_usage: int, rng: np.random.Generator, tally: _Ledger) -> pa.Table:
    """The savings plan's purchase, Google's tax and Microsoft's credit of ``month`` (none allocated)."""
    tax = usd_usage * 8 // 100
    credit = -int(rng.integers(40, 60)) * 1_000_000
    rows = [  # provider, category, service name, account, billed, effective, currency, description
        (_AWS, "Purchase", "AWS Savings Plans", "billing-management", covered, 0, "EUR", "Compute Savings Plan, monthly fee"),
        (_GCP, "tax", None, "billing-management", tax, tax, "USD", "VAT"),
        (_AZURE, "Credit", "Virtual Machines", "billing-account", credit, credit, "EUR", "Azure credit"),
    ]
    for _provider, _cat, _name, _acct, billed, effective, currency, _desc in rows:
        _add(tally.effective, (month, UNALLOCATED, currency), effective)
        _add(tally.billed, (month, UNALLOCATED, currency), billed)
    start = np.datetime64(month, "s")
    end = np.datetime64(_next_month(month), "s")
    n = len(rows)
    column = list(zip(*rows))
    return pa.table({
        "BilledCost": np.array(column[4]) / 1e6,
        "EffectiveCost": np.array(column[5]) / 1e6,
        "ListCost": np.array(column[4]) / 1e6,
        "ContractedCost": np.array(column[4]) / 1e6,
        "BillingCurrency": list(column[6]),
        "BillingPeriodStart": np.full(n, start),
        "BillingPeriodEnd": np.full(n, end),
        "ChargePeriodStart": np.full(n, start),
        "ChargePeriodEnd": np.full(n, end),
        "ChargeCategory": list(column[1]),
        "ChargeClass": pa.nulls(n, pa.string()),
        "ChargeDescription": list(column[7]),
        "ProviderName": list(column[0]),
        "PublisherName": [_PROVIDERS[p]["publisher"] for p in column[0]],
        "InvoiceIssuerName": [_PROVIDERS[p]["publisher"] for p in column[0]],
        "ServiceName": list(column[2]),
        "ServiceCategory": ["Compute", None, "Compute"],
        "SubAccountId": [f"{_stable_number(a):012d}" for a in column[3]],
        "SubAccountName": list(column[3]),
        "ResourceId": pa.nulls(n, pa.string()),
        "RegionName": pa.nulls(n, pa.string()),
        "Tags": pa.nulls(n, pa.string()),
        "ConsumedQuantity": pa.nulls(n, pa.float64()),
        "ConsumedUnit": pa.nulls(n, pa.string()),
        "CommitmentDiscountId": [_SAVINGS_PLAN, None, None],
        "x_ServiceCode": ["ComputeSavingsPlans", None, None],
    }, schema=_SCHEMA)


def _write_cloud(out_dir: Path, rng: np.random.Generator, scale: int) -> tuple[_Ledger, int]:
    resources = _resources(rng, scale)
    tally = _Ledger(effective={}, billed={}, rows=[])
    blocks = [resources.iloc[i:i + _RESOURCE_BLOCK] for i in range(0, len(resources), _RESOURCE_BLOCK)]

    def chunks():
        for month in _months():
            covered = usd = 0
            for block in blocks:
                table, block_covered, block_usd = _block_rows(rng, block, month, tally)
                covered, usd = covered + block_covered, usd + block_usd
                yield table
            yield _monthly_rows(month, covered, usd, rng, tally)

    rows = write_parquet_chunks(out_dir / "cloud_costs.parquet", chunks(), schema=_SCHEMA, row_group_size=250_000)
    return tally, rows


# --- ledger, rules, volumes --------------------------------------------------------------------

#: Monthly postings: account, cost center, vendor, amount in cents at scale 1, currency, the service
#: the rules give them (the planted truth), monthly drift in cents.
_POSTINGS = (
    ("6400", "CC-WEB", None, 9_450_000, "EUR", "Web shop", 0),
    ("6400", "CC-ERP", None, 7_120_000, "EUR", "ERP", 0),
    ("6400", "CC-DATA", None, 6_330_000, "EUR", "Data platform", 12_500),
    ("6400", "CC-SD", None, 11_840_000, "EUR", "Service desk", 0),
    ("6400", "CC-INFRA", None, 8_210_000, "EUR", "Hosting", 0),
    ("6400", "CC-CIO", None, 3_900_000, "EUR", UNALLOCATED, 0),
    ("6100", "CC-INFRA", "DataHall GmbH", 4_150_000, "EUR", "Hosting", 0),
    ("6200", "CC-INFRA", "Stadtwerke", 1_234_567, "EUR", "Hosting", 3_210),
    ("6500", "CC-INFRA", "SAP", 11_000_000, "EUR", "ERP", 0),
    ("6500", "CC-CIO", "Salesforce", 11_250_000, "EUR", "CRM", 0),
    ("6500", "CC-SD", "Microsoft", 3_375_000, "EUR", "Workplace", 0),
    ("6500", "CC-CIO", "Atlassian", 361_200, "USD", "Developer tools", 0),
    ("6600", "CC-INFRA", "Telekom", 2_180_033, "EUR", "Network", 0),
    ("6800", "CC-INFRA", None, 5_560_000, "EUR", "Hosting", -20_000),
    ("6900", "CC-CIO", "Acme Consulting", 2_800_000, "EUR", UNALLOCATED, 0),
)

ALLOCATION = (  # match, value, cost_pool, tower, service, consumer, source
    ("Tags.app", "webshop", "Cloud services", "Application", "Web shop", "Sales", "cloud"),
    ("Tags.app", "payments", "Cloud services", "Application", "Payments", "Finance", "cloud"),
    ("Tags.app", " erp ", "Cloud services", "Application", "ERP", "Finance", "cloud"),
    ("Tags.app", "dataplatform", "Cloud services", "Data", "Data platform", "Analytics", "cloud"),
    ("Tags.app", "crm", "Cloud services", "Application", "CRM", "Sales", "cloud"),
    ("Tags.app", "intranet", "Cloud services", "End user", "Intranet", "All staff", "cloud"),
    ("Tags.app", "legacy-crm", "Cloud services", "Application", "CRM", "Sales", "cloud"),
    ("ServiceName", "Amazon CloudWatch", "Cloud services", "Management", "Monitoring", "IT", "cloud"),
    ("ServiceName", "Azure Monitor", "Cloud services", "Management", "Monitoring", "IT", "cloud"),
    ("ServiceName", "Cloud Monitoring", "Cloud services", "Management", "Monitoring", "IT", "cloud"),
    ("SubAccountName", "*network*", "Cloud services", "Network", "Network", "IT", "cloud"),
    ("SubAccountName", "connectivity", "Cloud services", "Network", "Network", "IT", "cloud"),
    ("vendor", "SAP", "Software", "Application", "ERP", "Finance", "ledger"),
    ("vendor", "Salesforce", "Software", "Application", "CRM", "Sales", "ledger"),
    ("vendor", "Microsoft", "Software", "End user", "Workplace", "All staff", "ledger"),
    ("vendor", "Atlassian", "Software", "Application", "Developer tools", "Engineering", "ledger"),
    ("cost_center", "CC-WEB", "Internal labour", "Application", "Web shop", "Sales", None),
    ("cost_center", "CC-ERP", "Internal labour", "Application", "ERP", "Finance", None),
    ("cost_center", "CC-DATA", "Internal labour", "Data", "Data platform", "Analytics", None),
    ("cost_center", "CC-SD", "Internal labour", "End user", "Service desk", "All staff", None),
    ("account", "6100", "Facilities", "Data centre", "Hosting", "IT", "ledger"),
    ("account", "6200", "Facilities", "Data centre", "Hosting", "IT", "ledger"),
    ("account", "6600", "Telecom", "Network", "Network", "IT", "ledger"),
    ("account", "6800", "Hardware", "Compute", "Hosting", "IT", "ledger"),
    ("cost_center", "CC-INFRA", "Internal labour", "Compute", "Hosting", "IT", None),
)


def _write_ledger(out_dir: Path, scale: int) -> dict:
    """One posting per account line and month; returns cents per (month, service, currency)."""
    rows, planted = [], {}
    for month in _months():
        for k, (account, center, vendor, cents, currency, service, drift) in enumerate(_POSTINGS):
            amount = (cents + drift * (month.month - 1)) * scale
            if account == "6900" and month.month % 3 == 2:
                continue  # consultants bill two months a quarter
            rows.append({"period": month.isoformat(), "account": account, "cost_center": center,
                         "amount": f"{Decimal(amount) / 100:.2f}", "currency": currency, "vendor": vendor,
                         "description": f"{account} {center} {month:%b %Y}" + (" <b>accrual</b>" if k == 3 else "")})
            _add(planted, (month, service, currency), amount)
    pd.DataFrame(rows).to_csv(out_dir / "ledger.csv", index=False)
    return planted


def _write_allocation(out_dir: Path) -> None:
    columns = ["match", "value", "cost_pool", "tower", "service", "consumer", "source"]
    pd.DataFrame(ALLOCATION, columns=columns).to_csv(out_dir / "allocation.csv", index=False)


#: Orders per month at scale 1; payments per order; active users of ERP and CRM per month.
_ORDERS = (402_113, 371_904, 398_220, 401_657, 410_230, 399_871, 385_004, 381_112, 405_973, 431_908, 512_664, 590_127)
_ERP_USERS = (871, 868, 880, 884, 879, 890, 861, 855, 893, 902, 899, 905)


def _write_volumes(out_dir: Path, scale: int) -> list[dict]:
    rows = []
    for month, orders, erp in zip(_months(), _ORDERS, _ERP_USERS):
        day = month.isoformat()
        rows += [
            {"period": day, "service": None, "unit": "order", "count": orders * scale},
            {"period": day, "service": "Web shop", "unit": "order", "count": orders * scale},
            {"period": day, "service": "Payments", "unit": "transaction", "count": orders * 107 // 100 * scale},
            {"period": day, "service": "ERP", "unit": "active user", "count": erp * scale},
        ]
    pd.DataFrame(rows).to_csv(out_dir / "volumes.csv", index=False)
    return rows


def _write_rates(out_dir: Path) -> None:
    rows = [{"currency": "USD", "rate": rate, "month": month.isoformat()} for month, rate in zip(_months(), USD_RATES)]
    pd.DataFrame(rows).to_csv(out_dir / "rates.csv", index=False)


# --- licences and seats ------------------------------------------------------------------------

def _users(out_dir: Path, scale: int, seed: int) -> pd.DataFrame:
    """The people of ``users.csv`` (written by the adoption sample, generated here if it is missing)."""
    path = out_dir / "users.csv"
    if not path.is_file():
        from helpers.sample_data import adoption  # when run alone: the registry runs feature_adoption's sample first

        adoption.generate(out_dir, scale=scale, seed=seed)
    users = pd.read_csv(path, dtype={"user_id": str, "department": str})
    users["active_to"] = pd.to_datetime(users["active_to"])
    users["active_from"] = pd.to_datetime(users["active_from"])
    return users


def _holders(rng: np.random.Generator, users: pd.DataFrame, licence: Licence) -> np.ndarray:
    """The users holding a seat: a share of each named department (``*``: everyone)."""
    chosen = np.zeros(len(users), dtype=bool)
    for department, share in licence.holders.items():
        pool = np.ones(len(users), dtype=bool) if department == "*" else (users["department"] == department).to_numpy()
        chosen |= pool & (rng.random(len(users)) < share)
    return chosen


def _write_seats(out_dir: Path, rng: np.random.Generator, users: pd.DataFrame, scale: int) -> list[dict]:
    """``licences.csv`` and ``last_active.csv``; returns each product's planted seat figures at 31 Dec 2025."""
    as_of_end = pd.Timestamp(LAST_DAY) + pd.Timedelta(days=1)
    window_start = as_of_end - pd.Timedelta(days=90)
    left = (users["active_to"].notna() & (users["active_to"] < as_of_end)).to_numpy()
    rows, licences, planted = [], [], []
    for licence in LICENCES:
        holding = _holders(rng, users, licence)
        if licence.product == IDLE_DEPARTMENT[0]:
            idle = (users["department"] == IDLE_DEPARTMENT[1]).to_numpy() & holding
        else:
            idle = np.zeros(len(users), dtype=bool)
        active = holding & ~left & ~idle & (rng.random(len(users)) < licence.active_share)
        seats = licence.seats * scale
        for i in np.flatnonzero(holding):
            rows.append({"user_id": users["user_id"].iat[i], "product": licence.product,
                         "last_active": _last_use(rng, users.iloc[i], bool(active[i]), window_start)})
        licences.append({"product": licence.product, "vendor": licence.vendor, "seats": seats,
                         "unit_price": licence.unit_price, "period": licence.period, "term_start": "2024-07-01",
                         "term_end": "2026-06-30", "currency": None})
        per_year = Decimal(licence.unit_price) * (12 if licence.period == "month" else 1)
        unused = max(seats - int(active.sum()), 0)
        planted.append({"product": licence.product, "seats": seats, "holders": int(holding.sum()),
                        "active_users": int(active.sum()), "unused_seats": unused,
                        "leaver_seats": int((holding & left).sum()), "unassigned_seats": max(seats - int(holding.sum()), 0),
                        "unused_cost_per_year": str(per_year * unused),
                        "idle_departments": [IDLE_DEPARTMENT[1]] if idle.any() else [],
                        "idle_seats": int(idle.sum())})
    # an expired contract: not in force at the end of 2025, so never shelfware
    licences.append({"product": "Lotus Notes", "vendor": "HCL", "seats": 500 * scale, "unit_price": "4.00",
                     "period": "month", "term_start": "2019-01-01", "term_end": "2024-12-31", "currency": None})
    pd.DataFrame(licences).to_csv(out_dir / "licences.csv", index=False)
    pd.DataFrame(rows).to_csv(out_dir / "last_active.csv", index=False)
    return planted


def _last_use(rng: np.random.Generator, user: pd.Series, active: bool, window_start: pd.Timestamp) -> str | None:
    """A last use in the last 90 days for an active holder; before them (or never) otherwise."""
    if active:
        moment = window_start + pd.Timedelta(seconds=int(rng.integers(0, 90 * 86400)))
    elif rng.random() < 0.15:
        return None
    else:
        until = user["active_to"] if pd.notna(user["active_to"]) and user["active_to"] < window_start else window_start
        moment = until - pd.Timedelta(seconds=int(rng.integers(1, 200 * 86400)))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


# --- expenses ----------------------------------------------------------------------------------

#: Planted software bought on expenses: cost center, merchant as the card shows it, MCC, cents,
#: currency, the months it recurs in, the merchant group the analysis should find (no keyword for JetBrains: its code).
_SOFTWARE = (
    ("CC-MKT", "CANVA* 104-8821", "5817", 119_990, "EUR", range(1, 13), "Canva"),
    ("CC-MKT", "FIGMA INC", "5734", 45_000, "EUR", range(1, 13), "Figma"),
    ("CC-SALES", "NOTION LABS INC", "5734", 96_000, "USD", range(1, 13), "Notion"),
    ("CC-SALES", "PAYPAL *DROPBOX", "4829", 19_990, "EUR", range(1, 13), "Dropbox"),
    ("CC-ENG", "JETBRAINS S.R.O.", "5734", 249_000, "EUR", (2, 5, 8, 10, 11, 12, 12), "Computer software stores (MCC 5734)"),
    ("CC-OPS", "Miro.com", "7372", 16_000, "EUR", (1, 3, 5, 7, 9, 10, 10, 11, 11, 12, 12), "Miro"),
    ("CC-HR", "TYPEFORM SL", "5818", 59_000, "EUR", (4, 11), "Typeform"),
    ("CC-SALES", "ZOOM.COM 888-799", "4816", 13_330, "EUR", range(1, 13), "Zoom"),
    ("CC-MKT", "ADOBE *CREATIVE CLD", "5818", 89_990, "EUR", (3, 6, 9, 12), "Adobe"),
)
#: Lines that look like software but are not: a restaurant whose name has "Cloud" in it, a meal whose
#: memo says "software", electronics, books (none is shadow IT).
_TRAPS = (
    ("CC-SALES", "Cloud Nine Bistro", "5812", 8_450, "team lunch"),
    ("CC-ENG", "Trattoria Roma", "5812", 12_300, "software conference dinner"),
    ("CC-MKT", "Apple Store", "5732", 129_900, "iPad for events"),
    ("CC-ENG", "AMAZON MKTPLACE", "5942", 4_990, "Python book"),
)
_EVERYDAY = (("4511", "Lufthansa"), ("7011", "Hotel Adlon"), ("4121", "Uber"), ("5812", "Café Central"), ("4111", "DB Bahn"),
             ("5111", "Office Depot"))
_CENTERS = ("CC-SALES", "CC-MKT", "CC-FIN", "CC-HR", "CC-OPS", "CC-ENG")


def _write_expenses(out_dir: Path, rng: np.random.Generator, scale: int) -> list[dict]:
    """``expenses.csv``; returns the planted software lines (each with its month and merchant group)."""
    rows, planted = [], []
    for copy in range(scale):
        for center, merchant, mcc, cents, currency, months, group in _SOFTWARE:
            seen: dict = {}
            for month in months:
                seen[month] = seen.get(month, 0) + 1
                day = dt.date(2025, month, 3 + 7 * seen[month] + copy % 3)
                rows.append(_expense(day, merchant, mcc, cents, currency, center, "subscription"))
                planted.append({"month": day.replace(day=1), "cost_center": center, "merchant_group": group,
                                "cents": cents, "currency": currency,
                                "sanctioned": group in {licence.vendor for licence in LICENCES}})
        refund = dt.date(2025, 11, 20)  # Canva refunded one month: a negative line of the same group
        rows.append(_expense(refund, "CANVA* 104-8821", "5817", -119_990, "EUR", "CC-MKT", "refund"))
        planted.append({"month": refund.replace(day=1), "cost_center": "CC-MKT", "merchant_group": "Canva",
                        "cents": -119_990, "currency": "EUR", "sanctioned": False})
        for center, merchant, mcc, cents, memo in _TRAPS:
            rows.append(_expense(dt.date(2025, 10, 14), merchant, mcc, cents, "EUR", center, memo))
    n = 3000 * scale
    days = pd.Timestamp(FIRST_DAY) + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    kinds = rng.integers(0, len(_EVERYDAY), n)
    for day, kind, cents, center in zip(days, kinds, rng.integers(800, 90_000, n), rng.choice(_CENTERS, n)):
        mcc, merchant = _EVERYDAY[kind]
        rows.append(_expense(day.date(), merchant, mcc, int(cents), "EUR", str(center), "travel and meals"))
    frame = pd.DataFrame(rows).sort_values(["date", "merchant"], kind="stable")
    frame.to_csv(out_dir / "expenses.csv", index=False)
    return planted


def _expense(day: dt.date, merchant: str, mcc: str, cents: int, currency: str, center: str, memo: str) -> dict:
    return {"date": day.isoformat(), "merchant": merchant, "mcc": mcc, "amount": f"{Decimal(cents) / 100:.2f}",
            "currency": currency, "cost_center": center, "memo": memo}


# --- truth -------------------------------------------------------------------------------------

def _exact(amounts: dict, unit: int) -> dict:
    """``{(month, service, currency): whole units}`` as EUR per quarter and service: decimal text."""
    out: dict = {}
    for (month, service, currency), amount in amounts.items():
        eur = Decimal(amount) / unit * (_usd_rate(month) if currency == "USD" else 1)
        key = (_quarter(month), service)
        out[key] = out.get(key, Decimal(0)) + eur
    return out


def _truth(cloud: _Ledger, ledger: dict, volumes: list[dict], seats: list[dict], expenses: list[dict],
           rows: int, scale: int, seed: int) -> dict[str, Any]:
    effective, billed, postings = _exact(cloud.effective, 10**6), _exact(cloud.billed, 10**6), _exact(ledger, 100)
    quarters = sorted({q for q, _ in effective})
    services = sorted({s for _, s in effective} | {s for _, s in postings})

    def table(*books: dict) -> dict:
        return {s: {q: str(sum((b.get((q, s), Decimal(0)) for b in books), Decimal(0))) for q in quarters} for s in services}

    shadow = [{"quarter": _quarter(e["month"]), "cost_center": e["cost_center"], "merchant_group": e["merchant_group"],
               "sanctioned": e["sanctioned"],
               "amount": str(Decimal(e["cents"]) / 100 * (_usd_rate(e["month"]) if e["currency"] == "USD" else 1))}
              for e in expenses]
    groups: dict = {}
    for line in shadow:
        key = (line["quarter"], line["cost_center"], line["merchant_group"], line["sanctioned"])
        amount, lines = groups.get(key, (Decimal(0), 0))
        groups[key] = (amount + Decimal(line["amount"]), lines + 1)
    return {
        "scale": scale,
        "seed": seed,
        "currency": "EUR",
        "cloud_rows": rows,
        "report_period": quarters[-1],
        "previous_period": quarters[-2],
        "services_effective": table(effective, postings),
        "services_billed": table(billed, postings),
        "cloud_effective": table(effective),
        "ledger": table(postings),
        "volumes": [{**v, "quarter": _quarter(dt.date.fromisoformat(v["period"]))} for v in volumes],
        "shelfware": {"as_of": LAST_DAY.isoformat(), "inactive_days": 90, "products": seats},
        "shadow_it": [{"quarter": q, "cost_center": c, "merchant_group": g, "sanctioned": x, "amount": str(a), "lines": n}
                      for (q, c, g, x), (a, n) in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2])))],
        "files": {"cloud_costs": "cloud_costs.parquet"},
    }


def generate_cloud(out_dir: Path, *, scale: int = 1, seed: int = 42) -> int:
    """Write ``cloud_costs.parquet`` alone (the first file :func:`generate` writes, the same rows); return its rows.

    For benchmarks: about 118,500 rows per unit of ``scale`` (845: 100.1 million), streamed.
    """
    return _write_cloud(Path(out_dir), np.random.default_rng([seed, 27]), scale)[1]


def generate(out_dir: Path, *, scale: int = 1, seed: int = 42) -> dict[str, Any]:
    """Write the cost sample into ``out_dir`` (see the module docstring) and return its planted truth."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng([seed, 27])
    cloud, rows = _write_cloud(out_dir, rng, scale)
    ledger = _write_ledger(out_dir, scale)
    _write_allocation(out_dir)
    volumes = _write_volumes(out_dir, scale)
    _write_rates(out_dir)
    seats = _write_seats(out_dir, rng, _users(out_dir, scale, seed), scale)
    expenses = _write_expenses(out_dir, rng, scale)
    return _truth(cloud, ledger, volumes, seats, expenses, rows, scale, seed)
