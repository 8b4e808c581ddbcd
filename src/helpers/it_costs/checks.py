"""What can be known about the inputs before the analysis runs: one sentence for each problem.

The runner calls :func:`check_inputs` (the analysis's ``data_check``) before any kernel starts (the inputs are already
validated against their schemas); :func:`helpers.it_costs.analyse` finds the same problems
when a notebook is run by hand.
"""

from __future__ import annotations

import difflib
from typing import Any

import ibis
import pandas as pd
from ibis import _

from helpers.exceptions import InputDataError, ParameterError
from helpers.it_costs.allocation import Rule, read_rules
from helpers.it_costs.currencies import Rates, convert, read_rates
from helpers.it_costs.loading import Inputs, load_inputs
from helpers.it_costs.money import ZERO
from helpers.it_costs.parameters import Parameters
from helpers.it_costs.periods import Coverage, choose_periods
from helpers.it_costs.schemas import LEDGER

__all__ = ["check_inputs", "check_rules", "check_cost_column", "check_currencies", "coverage_of"]


def check_inputs(params: Parameters, *, con: Any = None) -> None:
    """Raise ParameterError or InputDataError for the first problem the data shows (the runner's check).

    ``con``: the runner's DuckDB connection (an Ibis backend); a new one of ``params.engine`` when None.
    """
    data = load_inputs(params, con=con)
    check_rules(read_rules(data.allocation), data, params)
    check_cost_column(data, params)
    months = _months(data.cloud)
    choose_periods(coverage_of(months), params.freq, params.report_period)
    check_currencies(data, params, months)


def check_rules(rules: list[Rule], data: Inputs, params: Parameters) -> None:
    """Every rule must match on a column its costs have (``Tags.<key>`` needs a Tags column)."""
    name = data.names.get("allocation_path", "allocation")
    columns = {"cloud": list(data.cloud.columns), "ledger": list(data.ledger.columns) if data.ledger is not None else []}
    ledger_columns = {c.name for c in LEDGER.columns}
    for rule in rules:
        if rule.match == "*":
            continue
        if data.ledger is None and (rule.source == "ledger" or rule.match in ledger_columns):
            continue  # a rule for ledger costs, and this run has none
        sources = [s for s in ("cloud", "ledger") if rule.applies_to(s) and (s == "cloud" or data.ledger is not None)]
        held = [c for s in sources for c in columns[s]]
        if rule.match in held or (rule.match.startswith("Tags.") and "Tags" in held and len(rule.match) > 5):
            continue
        if rule.match.startswith("Tags.") and rule.applies_to("cloud"):
            continue  # no Tags column: the rule matches nothing, which the data-quality notes say
        close = difflib.get_close_matches(rule.match, held, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else (
            "; match on a column of the cost inputs, Tags.<key>, or * for every cost."
        )
        where = " and ".join(data.names.get(p, p) for p in (["cloud_costs_path"] if "cloud" in sources else [])
                             + (["ledger_path"] if "ledger" in sources else []))
        raise InputDataError(
            f"{name}: column 'match' must name a column of {where or 'the cost inputs'}; row {rule.number} "
            f"matches on {rule.match!r}{hint}"
        )


def check_cost_column(data: Inputs, params: Parameters) -> None:
    """The chosen FOCUS cost column must hold values (ListCost and ContractedCost are optional there)."""
    if params.cost_column in ("EffectiveCost", "BilledCost"):
        return
    column = data.cloud[params.cost_column]
    counts = data.cloud.aggregate(values=column.count(), rows=_.count()).to_pandas().iloc[0]
    if int(counts["values"]) == 0:
        raise ParameterError(
            f"Parameter 'cost_column' is {params.cost_column!r} but {data.names.get('cloud_costs_path')} holds no "
            f"{params.cost_column} values; use EffectiveCost or BilledCost, which every FOCUS export holds."
        )


def _months(cloud: ibis.Table) -> pd.DataFrame:
    """Charges per month and currency, with the earliest start and latest end: one scan of the export."""
    grouped = cloud.group_by(month=cloud.ChargePeriodStart.truncate("M"), currency=cloud.BillingCurrency).agg(
        rows=_.count(), first_start=cloud.ChargePeriodStart.min(), last_end=cloud.ChargePeriodEnd.max()
    )
    frame = grouped.to_pandas()
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame


def coverage_of(frame: pd.DataFrame) -> Coverage:
    """The :class:`Coverage` of monthly rows with ``month``, ``first_start`` and ``last_end``."""
    return Coverage(
        first=pd.Timestamp(frame["first_start"].min()).to_pydatetime(),
        last=pd.Timestamp(frame["last_end"].max()).to_pydatetime(),
        months=frozenset(frame["month"]),
    )


def check_currencies(data: Inputs, params: Parameters, cloud_months: pd.DataFrame) -> None:
    """Costs in another currency than ``currency`` need a rate for their month: one sentence otherwise."""
    rates = read_rates(data.rates, params.currency, source=data.names.get("rates_path"))
    convert(cloud_months.assign(cost=ZERO), rates, amount="cost", currency="currency",
            name=data.names.get("cloud_costs_path", "cloud_costs"))
    for table, column, date, parameter in ((data.ledger, "currency", "period", "ledger_path"),
                                           (data.expenses, "currency", "date", "expenses_path")):
        if table is None:
            continue
        months = table.group_by(month=table[date].truncate("M"), currency=table[column]).agg(rows=_.count()).to_pandas()
        months["month"] = pd.to_datetime(months["month"]).dt.date
        convert(months.assign(cost=ZERO), rates, amount="cost", currency="currency", name=data.names.get(parameter, parameter))
    _check_licence_currencies(data, rates)


def _check_licence_currencies(data: Inputs, rates: Rates) -> None:
    if data.licences is None or "currency" not in data.licences:
        return
    codes = {str(c).strip().upper() for c in data.licences["currency"].dropna() if str(c).strip()}
    for code in sorted(codes - {rates.currency}):
        if code not in rates.standing and not any(c == code for c, _m in rates.monthly):
            name = data.names.get("licences_path", "licences")
            raise InputDataError(
                f"{name}: prices in {code}, not {rates.currency} (parameter 'currency'); give exchange rates into "
                f"{rates.currency} (parameter 'rates_path', columns currency, rate, month) to convert them."
            )
