"""What IT costs: add the cost inputs up per month in the query engine, allocate them to services,
and set unit costs, unused seats and software bought on expenses beside them.
"""

from __future__ import annotations

import pandas as pd

from helpers.inputs.quality import QualityNote
from helpers.it_costs import breakdown, checks, queries
from helpers.it_costs.allocation import UNALLOCATED, Rule, allocate, match_columns, read_rules
from helpers.it_costs.currencies import Rates, convert, read_rates
from helpers.it_costs.loading import Inputs
from helpers.it_costs.parameters import Parameters
from helpers.it_costs.periods import Period, choose_periods, periods_covering
from helpers.it_costs.result import Result
from helpers.it_costs.shadow_it import ShadowIT, merchant_groups, shadow_it
from helpers.it_costs.shelfware import Shelfware, shelfware, usage_window
from helpers.it_costs.unit_costs import monthly_volumes, unit_costs

__all__ = ["analyse", "CATEGORIES"]

#: FOCUS charge categories, as the specification spells them.
CATEGORIES = {c.lower(): c for c in ("Usage", "Purchase", "Tax", "Credit", "Adjustment")}
_ALLOCATED = ["source", "month", "provider", "category", "service_name", "rule", "cost_pool", "tower", "service",
              "consumer", "cost", "original_currency", "rows"]


def analyse(data: Inputs, params: Parameters) -> Result:
    """Cost per service, pool and tower; unit costs; shelfware; shadow IT.

    Raises
    ------
    InputDataError
        An allocation rule matches on a column no cost input has, or costs are in a currency
        without a rate.
    ParameterError
        ``period`` names a period without cost, or ``cost_column`` has no values.
    """
    rules = read_rules(data.allocation)
    checks.check_rules(rules, data, params)
    checks.check_cost_column(data, params)
    rates = read_rates(data.rates, params.currency, source=data.names.get("rates_path"))
    cloud = queries.cloud_by_month(
        data.cloud, cost_column=params.cost_column, match_columns=match_columns(rules, "cloud", list(data.cloud.columns))
    )
    coverage = checks.coverage_of(cloud)
    period, previous = choose_periods(coverage, params.freq, params.report_period)
    complete = coverage.is_complete(period)
    comparable = previous if previous is not None and coverage.is_complete(previous) else None
    cloud = convert(cloud, rates, amount="cost", currency="BillingCurrency", name=data.names["cloud_costs_path"])
    ledger = None
    if data.ledger is not None:
        ledger = queries.ledger_by_month(data.ledger, match_columns=match_columns(rules, "ledger", list(data.ledger.columns)))
        ledger = convert(ledger, rates, amount="cost", currency="currency", name=data.names["ledger_path"])
    allocated = _allocated(cloud, ledger, rules)
    periods = periods_covering(allocated["month"], params.freq)
    notes = _cost_notes(data, params, cloud=cloud, ledger=ledger, allocated=allocated, rules=rules, period=period,
                        previous=previous, complete=complete, comparable=comparable)
    window = usage_window(period.end, params.inactive_days)
    seats = _shelfware(data, params, rates, window, notes)
    spend = _shadow_it(data, params, rates, period, periods)
    return Result(
        params=params,
        quality_notes=notes,
        period=period,
        previous=comparable,
        complete=complete,
        coverage=coverage,
        allocated=allocated,
        services=breakdown.services(allocated, period, comparable),
        cost_pools=breakdown.breakdown(allocated, period, comparable, by=["cost_pool"]),
        towers=breakdown.breakdown(allocated, period, comparable, by=["tower"]),
        providers=breakdown.breakdown(allocated[allocated["source"] == "cloud"], period, comparable, by=["provider"]),
        trend=breakdown.trend(allocated, periods, coverage),
        rules=breakdown.rule_hits(allocated, rules, period),
        unit_costs=unit_costs(allocated, monthly_volumes(data.volumes), period, comparable) if data.volumes is not None else None,
        shelfware=seats,
        usage_window=window if seats is not None else None,
        shadow_it=spend,
        converted=sorted({c for c in allocated["original_currency"] if c != rates.currency}),
    )


def _allocated(cloud: pd.DataFrame, ledger: pd.DataFrame | None, rules: list[Rule]) -> pd.DataFrame:
    """Both sources' monthly sums in one frame, each row with the rule that took it."""
    parts = []
    placed = allocate(cloud, rules, source="cloud")
    parts.append(pd.DataFrame({
        "source": "cloud",
        "month": placed["month"],
        "provider": placed["ProviderName"],
        "category": [CATEGORIES.get(str(c).strip().lower(), str(c).strip()) for c in placed["ChargeCategory"]],
        "service_name": placed["ServiceName"],
        **{k: placed[k] for k in ("rule", "cost_pool", "tower", "service", "consumer", "cost", "original_currency", "rows")},
    }))
    if ledger is not None:
        placed = allocate(ledger, rules, source="ledger")
        parts.append(pd.DataFrame({
            "source": "ledger",
            "month": placed["month"],
            "provider": None,
            "category": None,
            "service_name": None,
            **{k: placed[k] for k in ("rule", "cost_pool", "tower", "service", "consumer", "cost", "original_currency", "rows")},
        }))
    frame = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
    return frame[_ALLOCATED]


def _shelfware(data: Inputs, params: Parameters, rates: Rates, window, notes: list) -> Shelfware | None:
    if data.licences is None or params.usage_source is None:
        return None
    if params.usage_source == "last_active":
        holders = data.last_active[["user_id", "product", "last_active"]]
    else:
        holders = queries.product_use(data.features, data.feature_usage)
    found = shelfware(data.licences, holders, data.users, window=window, rates=rates, min_n=params.min_n)
    source = data.names.get("last_active_path") or data.names.get("feature_usage_path")
    if found.unknown_holders:
        notes.append(QualityNote(input=source, issue="seat holders not in the users input (never counted as leavers)",
                                 rows=found.unknown_holders, examples="", unit="seats"))
    if found.unlicensed:
        notes.append(QualityNote(input=source, issue="products used or held with no licence in force at "
                                 f"{window.as_of:%Y-%m-%d} (no shelfware figure)", rows=len(found.unlicensed),
                                 examples=", ".join(found.unlicensed[:3]), unit="products"))
    if found.over_assigned:
        notes.append(QualityNote(input=data.names.get("licences_path"), issue="products with more seat holders than seats",
                                 rows=len(found.over_assigned), examples=", ".join(found.over_assigned[:3]), unit="products"))
    return found


def _shadow_it(data: Inputs, params: Parameters, rates: Rates, period: Period, periods: list[Period]) -> ShadowIT | None:
    if data.expenses is None:
        return None
    sanctioned = []
    if data.licences is not None:
        sanctioned = [str(v) for column in ("product", "vendor") if column in data.licences
                      for v in data.licences[column].dropna()]
    found = queries.expenses_by_month(
        data.expenses, mccs=params.software_mccs, keywords=params.software_keywords, sanctioned=sanctioned
    )
    found = convert(found, rates, amount="amount", currency="currency", name=data.names["expenses_path"])
    found = found.assign(merchant_group=merchant_groups(found, params.software_keywords))
    return shadow_it(found, period=period, periods=periods, min_lines=params.min_lines)


def _cost_notes(data, params, *, cloud, ledger, allocated, rules, period, previous, complete, comparable) -> list:
    """Legal but suspicious findings about the costs, for the report's data-quality section."""
    notes = []
    cloud_name = data.names["cloud_costs_path"]
    if not complete:
        notes.append(QualityNote(input=cloud_name, issue=f"{period.label} is only partly covered: the cost data runs "
                                 f"from {cloud['first_start'].min():%Y-%m-%d %H:%M} to {cloud['last_end'].max():%Y-%m-%d %H:%M}",
                                 rows=1, examples="", unit="period"))
    if previous is not None and comparable is None:
        notes.append(QualityNote(input=cloud_name, issue=f"{previous.label} is only partly covered, so no change "
                                 f"against it is shown", rows=1, examples="", unit="period"))
    odd = sorted({str(c) for c in cloud["ChargeCategory"] if str(c).strip().lower() not in CATEGORIES})
    if odd:
        rows = int(cloud.loc[cloud["ChargeCategory"].astype(str).isin(odd), "rows"].sum())
        notes.append(QualityNote(input=cloud_name, issue="charges of a ChargeCategory FOCUS does not define (counted as cost)",
                                 rows=rows, examples=", ".join(repr(c) for c in odd[:3])))
    mixed = sorted({str(c) for c in cloud["ChargeCategory"] if str(c).strip() in CATEGORIES.values()} ^
                   {str(c) for c in cloud["ChargeCategory"] if str(c).strip().lower() in CATEGORIES})
    if mixed:
        rows = int(cloud.loc[cloud["ChargeCategory"].astype(str).isin(mixed), "rows"].sum())
        notes.append(QualityNote(input=cloud_name, issue="ChargeCategory values not spelled as FOCUS does (read without case)",
                                 rows=rows, examples=", ".join(repr(c) for c in mixed[:3])))
    if params.cost_column not in ("EffectiveCost", "BilledCost"):
        empty = queries.null_costs(data.cloud, params.cost_column)
        if empty:
            notes.append(QualityNote(input=cloud_name, issue=f"charges with an empty {params.cost_column} (counted as 0)",
                                     rows=empty, examples=""))
    if ledger is not None:
        missing = [m for m in period.months if m not in set(ledger["month"])]
        if missing:
            notes.append(QualityNote(input=data.names["ledger_path"], issue=f"months of {period.label} without any posting "
                                     "(their on-premises and people cost is missing from the total)", rows=len(missing),
                                     examples=", ".join(f"{m:%Y-%m}" for m in missing), unit="months"))
    unallocated = allocated[(allocated["service"] == UNALLOCATED) & allocated["month"].isin(set(period.months))]
    if len(unallocated) and rules:
        rows = int(unallocated["rows"].sum())
        top = unallocated.assign(size=unallocated["cost"].map(float)).groupby("service_name", dropna=False)["size"].sum()
        top = top.sort_values(ascending=False).head(3)
        names = ", ".join("ledger postings" if pd.isna(n) else str(n) for n in top.index)
        notes.append(QualityNote(input=data.names.get("allocation_path", "allocation"),
                                 issue=f"charges and postings of {period.label} no allocation rule matches "
                                 "(shown as Unallocated)", rows=rows, examples=names))
    taken = set(allocated["rule"])
    idle = [r for r in rules if r.number not in taken]
    if idle:
        notes.append(QualityNote(input=data.names.get("allocation_path", "allocation"),
                                 issue="allocation rules that match no cost (or only costs an earlier rule took)",
                                 rows=len(idle), examples=", ".join(f"row {r.number}: {r.match} = {r.value}" for r in idle[:3]),
                                 unit="rules"))
    if data.volumes is not None:
        served = set(allocated["service"]) | {"All IT"}
        unknown = sorted({str(s).strip() for s in data.volumes["service"].dropna() if str(s).strip()} - served)
        if unknown:
            notes.append(QualityNote(input=data.names.get("volumes_path"), issue="services with volumes but no cost "
                                     "(no allocation rule names them)", rows=len(unknown), examples=", ".join(unknown[:3]),
                                     unit="services"))
    return notes

