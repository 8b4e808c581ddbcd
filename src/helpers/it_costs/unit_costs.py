"""Unit costs: what a service costs per order, active user or transaction, and why that changed.

A service's unit cost in a period is its cost there divided by the units it served (the
``volumes`` of its months added up; a volume row with an empty service counts for IT as a
whole, whose cost is the total). Against the period before, the change splits exactly into
its two drivers: ``1 + unit cost change = (1 + spend change) / (1 + volume change)``.
Monthly counts add up, so active users per month become user-months in a quarter.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from helpers.it_costs.breakdown import in_period
from helpers.it_costs.money import exact_total, ratio, to_decimal
from helpers.it_costs.periods import Period

__all__ = ["WHOLE_IT", "monthly_volumes", "unit_costs"]

#: The service name unit costs of IT as a whole go by (volume rows with an empty service).
WHOLE_IT = "All IT"

_COLUMNS = ["service", "unit", "count", "previous_count", "cost", "previous_cost", "unit_cost", "previous_unit_cost",
            "unit_cost_change", "spend_change", "volume_change"]


def monthly_volumes(volumes: pd.DataFrame | None) -> pd.DataFrame:
    """Units per service, unit and month (``service`` = :data:`WHOLE_IT` for empty; ``count`` Decimal)."""
    if volumes is None or volumes.empty:
        return pd.DataFrame(columns=["month", "service", "unit", "count"])
    stamps = pd.to_datetime(volumes["period"])
    frame = pd.DataFrame({
        "month": [dt.date(s.year, s.month, 1) for s in stamps],
        "service": [WHOLE_IT if v is None or pd.isna(v) or not str(v).strip() else str(v).strip() for v in volumes["service"]],
        "unit": volumes["unit"].astype(str).str.strip(),
        "count": [to_decimal(v) for v in volumes["count"]],
    })
    return frame


def _counts(volumes: pd.DataFrame, period: Period | None) -> dict[tuple[str, str], object]:
    if period is None:
        return {}
    mine = volumes[volumes["month"].isin(set(period.months))]
    return {key: exact_total(group["count"]) for key, group in mine.groupby(["service", "unit"])}


def _costs(allocated: pd.DataFrame, period: Period | None) -> dict[str, object]:
    rows = in_period(allocated, period)
    per_service = {service: exact_total(group["cost"]) for service, group in rows.groupby("service")}
    per_service[WHOLE_IT] = exact_total(rows["cost"])
    return per_service


def unit_costs(allocated: pd.DataFrame, volumes: pd.DataFrame, period: Period, previous: Period | None) -> pd.DataFrame:
    """Unit cost per service and unit in ``period``, against ``previous``.

    Returns
    -------
    DataFrame
        ``service, unit, count, previous_count, cost, previous_cost, unit_cost, previous_unit_cost,
        unit_cost_change, spend_change, volume_change`` (Decimals; changes relative, 0.09 = +9%;
        None where a period has no units or no cost). One row per service and unit with units in
        ``period``; :data:`WHOLE_IT` first.
    """
    now, before = _counts(volumes, period), _counts(volumes, previous)
    cost_now, cost_before = _costs(allocated, period), _costs(allocated, previous)
    rows = []
    for (service, unit), count in sorted(now.items(), key=lambda kv: (kv[0][0] != WHOLE_IT, kv[0][0].lower(), kv[0][1])):
        previous_count = before.get((service, unit))
        cost = cost_now.get(service)
        previous_cost = cost_before.get(service) if previous is not None else None
        unit_cost = ratio(cost, count)
        previous_unit_cost = ratio(previous_cost, previous_count)
        rows.append({
            "service": service,
            "unit": unit,
            "count": count,
            "previous_count": previous_count,
            "cost": cost,
            "previous_cost": previous_cost,
            "unit_cost": unit_cost,
            "previous_unit_cost": previous_unit_cost,
            "unit_cost_change": _change(unit_cost, previous_unit_cost),
            "spend_change": _change(cost, previous_cost),
            "volume_change": _change(count, previous_count),
        })
    return pd.DataFrame(rows, columns=_COLUMNS)


def _change(now: object, before: object) -> object:
    quotient = ratio(now, before) if before is not None and before > 0 else None
    return None if quotient is None else quotient - 1
