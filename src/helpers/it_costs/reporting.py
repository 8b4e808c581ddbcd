"""What the cost analysis says: the headline, the tables and ``results.json``.

Tables come back as :class:`helpers.report.Table` (columns in the reader's words, caption with
units, number formats); :func:`helpers.report.table` escapes every cell (service, product,
merchant and cost-center names are untrusted text). Money is shown in the analysis currency,
rounded to the cent; the services and "Unallocated" are rounded so that they add up to the
total (:func:`helpers.it_costs.money.apportion_cents`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pandas as pd

from helpers.analysis.results import SHARE, results_layout
from helpers.it_costs.allocation import UNALLOCATED
from helpers.it_costs.money import as_float, cents, exact_total, short_money
from helpers.it_costs.unit_costs import WHOLE_IT
from helpers.report.display import Table

if TYPE_CHECKING:
    from helpers.it_costs.result import Result

__all__ = [
    "headline",
    "idle_departments_table",
    "pool_table",
    "provider_table",
    "results",
    "rules_table",
    "sanctioned_table",
    "service_table",
    "shadow_it_table",
    "shelfware_table",
    "tower_table",
    "trend_table",
    "unit_cost_table",
]

def _pct(value: Any, *, signed: bool = True) -> str:
    """A share or change as people say it: ``+12%``, ``-0.4%``, ``6.2%``."""
    if value is None:
        return "—"
    x = float(value)
    spec = "+" if signed else ""
    return f"{x:{spec}.1%}" if abs(x) < 0.095 else f"{x:{spec}.0%}"


def _whole_it_unit(result: Result) -> pd.Series | None:
    units = result.unit_costs
    if units is None or units.empty:
        return None
    mine = units[units["service"] == WHOLE_IT]
    return mine.iloc[0] if len(mine) else None


def headline(result: Result) -> list[str]:
    """The report's first paragraph, e.g.

    "IT cost 3.95M EUR in 2025-Q4 (cloud 1.32M EUR), +3.5% on 2025-Q3 with orders +31%: cost per
    order down 21%. 244k EUR (6.2%) of it is not allocated to any service. 1,863 paid seats
    (1.55M EUR a year) were not used in the 90 days to 31 December 2025, 486 of them held by
    people who have left. 1.7k EUR of software was bought on expenses outside IT in 2025-Q4."
    """
    c = result.currency
    total, cloud = _total(result), exact_total(result.services["cloud_cost"])
    label = result.period.label + ("" if result.complete else f" (partly covered: data to {result.coverage.last:%d %b %Y})")
    first = f"IT cost {short_money(total, c)} in {label} (cloud {short_money(cloud, c)})"
    previous = result.previous
    change = _total_change(result)
    unit = _whole_it_unit(result)
    if previous is not None and change is not None:
        first += f", {_pct(change)} on {previous.label}"
        if unit is not None and unit["volume_change"] is not None and unit["unit_cost_change"] is not None:
            direction = "up" if unit["unit_cost_change"] >= 0 else "down"
            first += (f" with {unit['unit']}s {_pct(unit['volume_change'])}: cost per {unit['unit']} {direction} "
                      f"{_pct(abs(unit['unit_cost_change']), signed=False)}")
    sentences = [first + "."]
    unallocated = _unallocated(result)
    if unallocated != 0 and total:
        sentences.append(f"{short_money(unallocated, c)} ({_pct(unallocated / total, signed=False)}) of it is not "
                         "allocated to any service.")
    elif total:
        sentences.append("Every cost is allocated to a service.")
    seats = result.shelfware
    if seats is not None and len(seats.products):
        unused = int(seats.products["unused_seats"].sum())
        money = exact_total(seats.products["unused_cost_per_year"])
        leavers = int(seats.products["leaver_seats"].sum())
        window = result.usage_window
        sentence = (f"{unused:,} paid seat{'s' if unused != 1 else ''} ({short_money(money, c)} a year) "
                    f"{'were' if unused != 1 else 'was'} not used in the {window.days} days to {window.as_of:%d %B %Y}")
        sentences.append(sentence + (f", {leavers:,} of them held by people who have left." if leavers else "."))
    spend = result.shadow_it
    if spend is not None:
        if spend.lines:
            sentences.append(f"{short_money(spend.total, c)} of software was bought on expenses outside IT in "
                             f"{result.period.label} ({spend.lines:,} expense lines).")
        else:
            sentences.append(f"No software was bought on expenses outside IT in {result.period.label}.")
    return sentences


def _total(result: Result) -> Any:
    return exact_total(result.services["cost"])


def _unallocated(result: Result) -> Any:
    rows = result.services[result.services["service"] == UNALLOCATED]
    return exact_total(rows["cost"])


def _total_change(result: Result) -> Any:
    trend = result.trend
    row = trend[trend["period"] == result.period.label]
    return None if row.empty or result.previous is None else row["change"].iloc[0]


# --- tables -------------------------------------------------------------------------------------

def _money_formats(*columns: str) -> dict[str, str]:
    return {column: "{:,.2f}" for column in columns}


def _percent_column(values: pd.Series, *, signed: bool) -> list:
    # rounded as shown, and + 0.0 turns a -0.0 into 0.0 (so a change of -0.01% reads +0.0, not -0.0)
    return [None if v is None or (isinstance(v, float) and pd.isna(v)) else round(100 * float(v), 1) + 0.0 for v in values]


def service_table(result: Result) -> Table:
    """Per service: consumers, cost (cloud and ledger), share and change; "Unallocated" last."""
    c, s = result.currency, result.services
    cost = f"Cost {result.period.label} ({c})"
    change = f"Change on {result.previous.label} (%)" if result.previous is not None else "Change (%)"
    rows = pd.DataFrame({
        "Service": s["service"],
        "Consumers": [", ".join(v) if isinstance(v, list) else "" for v in s["consumers"]],
        cost: [float(v) for v in s["cost_cents"]],
        f"Cloud ({c})": [as_float(v) for v in s["cloud_cost"]],
        f"Ledger ({c})": [as_float(v) for v in s["ledger_cost"]],
        "Share (%)": _percent_column(s["share"], signed=False),
        change: _percent_column(s["change"], signed=True),
    })
    formats = {**_money_formats(cost, f"Cloud ({c})", f"Ledger ({c})"), "Share (%)": "{:.1f}", change: "{:+.1f}"}
    if not result.params.ledger_path:
        rows = rows.drop(columns=[f"Cloud ({c})", f"Ledger ({c})"])  # cloud costs only: the cost is the cloud's
    caption = (f"What each service cost in {result.period.label}, in {c} (rounded so that the services add up to the "
               f"total of {_total_text(result)}); shares of the total and changes in %")
    return Table(rows, caption=caption, formats=formats, max_rows=None)


def _total_text(result: Result) -> str:
    return f"{float(cents(_total(result))):,.2f} {result.currency}"


def _breakdown_table(result: Result, frame: pd.DataFrame, column: str, name: str) -> Table:
    c = result.currency
    cost = f"Cost {result.period.label} ({c})"
    change = f"Change on {result.previous.label} (%)" if result.previous is not None else "Change (%)"
    rows = pd.DataFrame({
        name: frame[column],
        cost: [float(v) for v in frame["cost_cents"]],
        "Share (%)": _percent_column(frame["share"], signed=False),
        change: _percent_column(frame["change"], signed=True),
    })
    return Table(rows, caption=f"Cost per {name.lower()} in {result.period.label} ({c}; shares and changes in %)",
                 formats={**_money_formats(cost), "Share (%)": "{:.1f}", change: "{:+.1f}"}, max_rows=None)


def pool_table(result: Result) -> Table:
    """Cost per TBM cost pool (what the money buys: labour, cloud services, software...)."""
    return _breakdown_table(result, result.cost_pools, "cost_pool", "Cost pool")


def tower_table(result: Result) -> Table:
    """Cost per TBM IT tower (what it runs on: compute, network, application...)."""
    return _breakdown_table(result, result.towers, "tower", "Tower")


def provider_table(result: Result) -> Table:
    """Cloud cost per provider (ProviderName)."""
    return _breakdown_table(result, result.providers, "provider", "Provider")


def trend_table(result: Result) -> Table:
    """Cost per period over the data, with its cloud, ledger and unallocated parts."""
    c, t = result.currency, result.trend
    rows = pd.DataFrame({
        "Period": [p + ("" if done else " (partial)") for p, done in zip(t["period"], t["complete"])],
        f"Total ({c})": [as_float(v) for v in t["cost"]],
        f"Cloud ({c})": [as_float(v) for v in t["cloud_cost"]],
        f"Ledger ({c})": [as_float(v) for v in t["ledger_cost"]],
        f"Unallocated ({c})": [as_float(v) for v in t["unallocated_cost"]],
        "Change (%)": _percent_column(t["change"], signed=True),
    })
    formats = {**_money_formats(f"Total ({c})", f"Cloud ({c})", f"Ledger ({c})", f"Unallocated ({c})"), "Change (%)": "{:+.1f}"}
    if not result.params.ledger_path:
        rows = rows.drop(columns=[f"Cloud ({c})", f"Ledger ({c})"])
    return Table(rows, caption=f"Cost per period ({c}); changes against the period before when both are complete (%)",
                 formats=formats, max_rows=None)


def unit_cost_table(result: Result) -> Table:
    """Unit costs in the report period and the one before, and the change split into spend and volume."""
    c, u = result.currency, result.unit_costs
    now, before = result.period.label, result.previous.label if result.previous is not None else "before"
    rows = pd.DataFrame({
        "Service": u["service"],
        "Unit": u["unit"],
        f"Units {now}": [as_float(v, None) for v in u["count"]],
        f"Cost per unit {now} ({c})": [as_float(v, 4) for v in u["unit_cost"]],
        f"Cost per unit {before} ({c})": [as_float(v, 4) for v in u["previous_unit_cost"]],
        "Unit cost change (%)": _percent_column(u["unit_cost_change"], signed=True),
        "Spend change (%)": _percent_column(u["spend_change"], signed=True),
        "Volume change (%)": _percent_column(u["volume_change"], signed=True),
    })
    formats = {f"Units {now}": "{:,.0f}", f"Cost per unit {now} ({c})": "{:,.4f}", f"Cost per unit {before} ({c})": "{:,.4f}",
               "Unit cost change (%)": "{:+.1f}", "Spend change (%)": "{:+.1f}", "Volume change (%)": "{:+.1f}"}
    caption = (f"Cost per unit of business ({c} per unit; {WHOLE_IT} = total IT cost); 1 + unit cost change = "
               "(1 + spend change) / (1 + volume change)")
    return Table(rows, caption=caption, formats=formats, max_rows=None)


def shelfware_table(result: Result) -> Table:
    """Per licensed product: seats paid, held and used; unused seats and what they cost a year."""
    c, p = result.currency, result.shelfware.products
    days = result.usage_window.days
    rows = pd.DataFrame({
        "Product": p["product"],
        "Vendor": p["vendor"],
        "Seats paid": p["seats"],
        "Seats held": p["holders"],
        f"Used in last {days} days": p["active_users"],
        "Unused seats": p["unused_seats"],
        "Held by leavers": p["leaver_seats"],
        "Held by nobody": p["unassigned_seats"],
        f"Paid a year ({c})": [as_float(v) for v in p["cost_per_year"]],
        f"Unused a year ({c})": [as_float(v) for v in p["unused_cost_per_year"]],
    })
    formats = {**{k: "{:,.0f}" for k in ("Seats paid", "Seats held", f"Used in last {days} days", "Unused seats",
                                           "Held by leavers", "Held by nobody")},
               **_money_formats(f"Paid a year ({c})", f"Unused a year ({c})")}
    caption = (f"Licence seats at {result.usage_window.as_of:%d %B %Y} (seats; money in {c} a year), the costliest unused "
               "first; unused = paid minus used by people still here")
    return Table(rows, caption=caption, formats=formats, max_rows=None)


def idle_departments_table(result: Result) -> Table:
    """Products that a department holds seats of and nobody there uses."""
    d = result.shelfware.departments
    rows = pd.DataFrame({"Product": d["product"], "Department": d["department"], "People in the department": d["people"],
                         "Seats held there": d["seats_held"]})
    caption = (f"Products nobody in a department used in the last {result.usage_window.days} days (departments of at "
               f"least {result.params.min_n} people; seats)")
    return Table(rows, caption=caption, formats={"People in the department": "{:,.0f}", "Seats held there": "{:,.0f}"})


def shadow_it_table(result: Result) -> Table:
    """Software bought on expenses per cost center and merchant group; small groups added up, unnamed."""
    c, spend = result.currency, result.shadow_it
    g = spend.groups
    rows = pd.DataFrame({
        "Cost center": g["cost_center"],
        "Merchant group": g["merchant_group"],
        f"Amount ({c})": [as_float(v) for v in g["amount"]],
        "Expense lines": g["lines"].astype("int64"),
    })
    if spend.hidden_groups:
        hidden = pd.DataFrame({"Cost center": [f"{spend.hidden_groups} smaller groups, not shown"], "Merchant group": [""],
                               f"Amount ({c})": [as_float(spend.hidden_amount)], "Expense lines": [spend.hidden_lines]})
        rows = pd.concat([rows, hidden], ignore_index=True)
    caption = (f"Software bought on expenses outside IT in {result.period.label} ({c}), largest first; groups of fewer "
               f"than {result.params.min_lines} lines are added up and not named")
    return Table(rows, caption=caption, formats={**_money_formats(f"Amount ({c})"), "Expense lines": "{:,.0f}"})


def sanctioned_table(result: Result) -> Table:
    """Licensed products bought on expenses anyway (not shadow IT, but bought the wrong way)."""
    c, s = result.currency, result.shadow_it.sanctioned
    rows = pd.DataFrame({"Merchant group": s["merchant_group"], f"Amount ({c})": [as_float(v) for v in s["amount"]],
                         "Expense lines": s["lines"]})
    return Table(rows, caption=f"Products IT licenses, bought on expenses in {result.period.label} ({c})",
                 formats={**_money_formats(f"Amount ({c})"), "Expense lines": "{:,.0f}"})


def rules_table(result: Result) -> Table:
    """Each allocation rule with the cost it took: rules that take nothing are worth a look."""
    c, r = result.currency, result.rules
    rows = pd.DataFrame({
        "Row": [n if n else "—" for n in r["rule"]],
        "Match": r["match"],
        "Value": r["value"],
        "Service": r["service"],
        f"Cost {result.period.label} ({c})": [as_float(v) for v in r["cost"]],
        "Charges and postings (all data)": r["rows"],
    })
    return Table(rows, caption=f"Allocation rules in the table's order (the first match wins) and what each took ({c}; "
                               "monthly sums of charges and postings matched)",
                 formats={**_money_formats(f"Cost {result.period.label} ({c})"), "Charges and postings (all data)": "{:,.0f}"},
                 max_rows=None)


# --- results.json -------------------------------------------------------------------------------

def _money(value: Any) -> float | None:
    return as_float(value)


def _share(value: Any) -> float | None:
    return as_float(value, 6)


def results(result: Result) -> dict[str, Any]:
    """The run's key figures for ``results.json`` in the common layout (:mod:`helpers.analysis.results`):
    ``analysis``, ``parameters``, ``period`` (the report period), ``units``, then the figures: money in
    the ``currency`` parameter's currency (the unit of every money figure), rounded to the cent;
    shares and changes from 0 to 1."""
    total = _total(result)
    s = result.services
    units = _unit_by_service(result)
    services = [{
        "service": row.service,
        "cost": float(row.cost_cents),
        "cloud_cost": _money(row.cloud_cost),
        "ledger_cost": _money(row.ledger_cost),
        "previous_cost": _money(row.previous_cost) if result.previous is not None else None,
        "cost_change": _share(row.change),
        "share": _share(row.share),
        "consumers": list(row.consumers) if isinstance(row.consumers, list) else [],
        **units.get(row.service, {"unit": None, "unit_cost": None, "unit_cost_change": None}),
    } for row in s.itertuples(index=False)]
    figures: dict[str, Any] = {
        "report_period": result.period.label,
        "complete": result.complete,
        "previous_period": result.previous.as_dict() if result.previous is not None else None,
        "total_cost": _money(total),
        "cloud_cost": _money(exact_total(s["cloud_cost"])),
        "ledger_cost": _money(exact_total(s["ledger_cost"])),
        "total_cost_change": _share(_total_change(result)),
        "unallocated_cost": _money(_unallocated(result)),
        "unallocated_share": _share(_unallocated(result) / total) if total else None,
        "services": services,
        "cost_pools": _breakdown_rows(result.cost_pools, "cost_pool"),
        "towers": _breakdown_rows(result.towers, "tower"),
        "providers": _breakdown_rows(result.providers, "provider"),
        "trend": [{"period": r.period, "start": r.start.isoformat(), "end": r.end.isoformat(), "complete": bool(r.complete),
                   "total_cost": _money(r.cost), "cloud_cost": _money(r.cloud_cost), "ledger_cost": _money(r.ledger_cost),
                   "unallocated_cost": _money(r.unallocated_cost), "cost_change": _share(r.change)}
                  for r in result.trend.itertuples(index=False)],
        "unit_costs": _unit_rows(result),
        "allocation_rules": [{"rule": int(r.rule), "match": r.match, "value": r.value, "service": r.service,
                              "cost": _money(r.cost), "rows": int(r.rows)} for r in result.rules.itertuples(index=False)],
        "converted_currencies": list(result.converted),
    }
    figures.update(_shelfware_results(result))
    figures.update(_shadow_it_results(result))
    held = set(_keys(figures))
    return results_layout(
        "it_costs", result.params, period=(result.period.start, result.period.end),
        units={key: unit for key, unit in _units(result).items() if key in held}, figures=figures,
    )


#: The unit of a change on the previous period: a fraction of the previous value (0.12 = +12%; not bounded by 1).
CHANGE = "relative change"


def _units(result: Result) -> dict[str, str]:
    """The unit of every figure by its key (a key in a list of rows counts for every row)."""
    c = result.currency
    money = ("total_cost", "cloud_cost", "ledger_cost", "unallocated_cost", "cost", "previous_cost", "cost_per_year",
             "unused_cost_per_year", "amount", "sanctioned_amount")
    changes = ("total_cost_change", "cost_change", "unit_cost_change", "spend_change", "volume_change")
    return {
        **dict.fromkeys(money, c),
        "unallocated_share": SHARE, "share": SHARE,
        **dict.fromkeys(changes, CHANGE),
        # per the row's own ``unit`` (order, transaction, active user)
        "unit_cost": f"{c} per unit", "previous_unit_cost": f"{c} per unit", "count": "units", "previous_count": "units",
        **dict.fromkeys(("seats", "unused_seats", "leaver_seats", "unassigned_seats", "seats_held"), "seats"),
        **dict.fromkeys(("holders", "active_users", "people"), "people"),
        "inactive_days": "days", "lines": "expense lines", "hidden_groups": "groups", "groups": "groups",
        "rows": "cost rows",
    }


def _keys(value: Any) -> Iterator[str]:
    """Every key at any depth of mappings and lists (a unit is published only for a figure the results hold)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _breakdown_rows(frame: pd.DataFrame, column: str) -> list[dict]:
    return [{column: getattr(r, column), "cost": float(r.cost_cents), "share": _share(r.share), "cost_change": _share(r.change)}
            for r in frame.itertuples(index=False)]


def _unit_by_service(result: Result) -> dict[str, dict]:
    """The first unit of each service (and of "All IT"), for the services list."""
    if result.unit_costs is None:
        return {}
    found: dict[str, dict] = {}
    for r in result.unit_costs.itertuples(index=False):
        found.setdefault(r.service, {"unit": r.unit, "unit_cost": as_float(r.unit_cost, 6),
                                     "unit_cost_change": _share(r.unit_cost_change)})
    return found


def _unit_rows(result: Result) -> list[dict]:
    if result.unit_costs is None:
        return []
    # the same cents as the services list (rounded to add up), so no figure reads one cent apart from its twin
    shown = {**dict(zip(result.services["service"], result.services["cost_cents"])), WHOLE_IT: cents(_total(result))}
    return [{"service": r.service, "unit": r.unit, "count": as_float(r.count, None),
             "previous_count": as_float(r.previous_count, None),
             "cost": _money(shown.get(r.service, r.cost)), "previous_cost": _money(r.previous_cost),
             "unit_cost": as_float(r.unit_cost, 6),
             "previous_unit_cost": as_float(r.previous_unit_cost, 6), "unit_cost_change": _share(r.unit_cost_change),
             "spend_change": _share(r.spend_change), "volume_change": _share(r.volume_change)}
            for r in result.unit_costs.itertuples(index=False)]


def _shelfware_results(result: Result) -> dict[str, Any]:
    seats = result.shelfware
    if seats is None:
        return {"shelfware": [], "shelfware_totals": None, "idle_departments": []}
    p = seats.products
    rows = [{"product": r.product, "vendor": r.vendor, "seats": int(r.seats), "holders": int(r.holders),
             "active_users": int(r.active_users), "unused_seats": int(r.unused_seats), "leaver_seats": int(r.leaver_seats),
             "unassigned_seats": int(r.unassigned_seats), "cost_per_year": _money(r.cost_per_year),
             "unused_cost_per_year": _money(r.unused_cost_per_year)} for r in p.itertuples(index=False)]
    totals = {"as_of": result.usage_window.as_of.isoformat(), "inactive_days": result.usage_window.days,
              "seats": int(p["seats"].sum()), "unused_seats": int(p["unused_seats"].sum()),
              "leaver_seats": int(p["leaver_seats"].sum()),
              "unused_cost_per_year": _money(exact_total(p["unused_cost_per_year"]))}
    idle = [{"product": r.product, "department": r.department, "people": int(r.people), "seats_held": int(r.seats_held)}
            for r in seats.departments.itertuples(index=False)]
    return {"shelfware": rows, "shelfware_totals": totals, "idle_departments": idle}


def _shadow_it_results(result: Result) -> dict[str, Any]:
    spend = result.shadow_it
    if spend is None:
        return {"shadow_it": [], "shadow_it_totals": None}
    rows = [{"cost_center": r.cost_center, "merchant_group": r.merchant_group, "amount": _money(r.amount),
             "lines": int(r.lines), "suppressed": False} for r in spend.groups.itertuples(index=False)]
    if spend.hidden_groups:
        rows.append({"cost_center": None, "merchant_group": None, "amount": _money(spend.hidden_amount),
                     "lines": spend.hidden_lines, "suppressed": True, "groups": spend.hidden_groups})
    totals = {"amount": _money(spend.total), "lines": spend.lines, "hidden_groups": spend.hidden_groups,
              "sanctioned_amount": _money(exact_total(spend.sanctioned["amount"])),
              "by_period": [{"period": r.period, "amount": _money(r.amount), "lines": int(r.lines)}
                            for r in spend.by_period.itertuples(index=False)]}
    return {"shadow_it": rows, "shadow_it_totals": totals}
