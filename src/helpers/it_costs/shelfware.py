"""Shelfware: licence seats paid for and not used.

At ``as_of`` (the report period's last day), for every product with a licence in force:

- *seats*: the seats of its licences whose term holds ``as_of``;
- *holders*: the users holding a seat (the ``last_active`` rows; with feature usage instead,
  the users who ever used one of its features);
- *active*: holders who used it in the ``inactive_days`` days to the end of ``as_of`` and had
  not left by then (a leaver's seat is unused whatever they did before leaving);
- *unused seats*: seats minus active holders (never below zero), of which *leavers' seats*
  are held by people who left and *unassigned seats* are held by nobody;
- *unused cost per year*: the unused seats at the product's average price per seat a year.

Products are matched by name without case or surrounding spaces. Departments come from the
``users`` input; only departments of at least ``min_n`` people are named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from helpers.it_costs.currencies import Rates
from helpers.it_costs.money import ZERO, exact_total, ratio, times, to_decimal

__all__ = ["Shelfware", "UsageWindow", "shelfware", "usage_window"]

_PER_YEAR = {"month": 12, "year": 1}


@dataclass(frozen=True)
class UsageWindow:
    """The days whose use counts: ``[start, end)``, ``end`` the midnight after ``as_of``."""

    as_of: dt.date
    start: dt.datetime
    end: dt.datetime
    days: int


def usage_window(as_of: dt.date, days: int) -> UsageWindow:
    """The ``days`` days that end with the end of the ``as_of`` day."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    return UsageWindow(as_of=as_of, start=end - dt.timedelta(days=days), end=end, days=days)


@dataclass(frozen=True)
class Shelfware:
    """What :func:`shelfware` found.

    Attributes
    ----------
    products : DataFrame
        One row per licensed product in force: ``product, vendor, seats, holders, active_users,
        unused_seats, leaver_seats, unassigned_seats, cost_per_year, unused_cost_per_year``
        (money as Decimals in the analysis currency, a year); the costliest unused first.
    departments : DataFrame
        Products nobody uses in a department of at least ``min_n`` people:
        ``product, department, people, seats_held``.
    unknown_holders : int
        Seat rows whose user is not in the users input (counted as holders, never as leavers).
    unlicensed : list of str
        Products held or used with no licence in force (no cost to count).
    over_assigned : list of str
        Products with more holders than seats.
    """

    products: pd.DataFrame
    departments: pd.DataFrame
    unknown_holders: int
    unlicensed: list
    over_assigned: list


def _key(name: object) -> str:
    return str(name).strip().lower()


def _in_force(licences: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    start = pd.to_datetime(licences["term_start"])
    end = pd.to_datetime(licences["term_end"])
    day = pd.Timestamp(as_of)
    holds = (start.isna() | (start.dt.normalize() <= day)) & (end.isna() | (end.dt.normalize() >= day))
    return licences[holds.to_numpy()]


def _yearly_cost(licences: pd.DataFrame, rates: Rates, as_of: dt.date) -> list:
    month = dt.date(as_of.year, as_of.month, 1)
    costs = []
    for row in licences.itertuples(index=False):
        code = getattr(row, "currency", None)
        code = rates.currency if code is None or pd.isna(code) or not str(code).strip() else str(code).strip().upper()
        rate = rates.rate(code, month)
        per_seat = times(to_decimal(row.unit_price), to_decimal(_PER_YEAR[str(row.period).strip()]))
        costs.append(times(times(per_seat, to_decimal(int(row.seats))), rate))
    return costs


def shelfware(
    licences: pd.DataFrame,
    holders: pd.DataFrame,
    users: pd.DataFrame | None,
    *,
    window: UsageWindow,
    rates: Rates,
    min_n: int,
) -> Shelfware:
    """Seats paid for and not used at ``window.as_of``.

    Parameters
    ----------
    licences : DataFrame
        The loaded ``licences`` input.
    holders : DataFrame
        ``user_id, product, last_active`` (None = never used): one row per seat held.
    users : DataFrame or None
        The ``users`` input (``department``, ``active_to``), for leavers and departments.
    rates : Rates
        For licence prices in another currency (``as_of``'s month).
    """
    force = _in_force(licences, window.as_of)
    force = force.assign(product_key=force["product"].map(_key), yearly=_yearly_cost(force, rates, window.as_of))
    held = holders.assign(product_key=holders["product"].map(_key), user_id=holders["user_id"].astype(str))
    held = held.groupby(["product_key", "user_id"], as_index=False)["last_active"].max()
    people = _people(users)
    held = held.merge(people, on="user_id", how="left")
    left = held["active_to"].notna() & (pd.to_datetime(held["active_to"]) < pd.Timestamp(window.end))
    recent = pd.to_datetime(held["last_active"]) >= pd.Timestamp(window.start)
    held = held.assign(leaver=left.to_numpy(), active=(recent & ~left).to_numpy())

    rows = []
    for key, contracts in force.groupby("product_key", sort=False):
        mine = held[held["product_key"] == key]
        seats = int(contracts["seats"].sum())
        yearly = exact_total(contracts["yearly"])
        active = int(mine["active"].sum())
        unused = max(seats - active, 0)
        vendors = sorted({str(v) for v in contracts.get("vendor", pd.Series(dtype=object)).dropna()})
        rows.append({
            "product": str(contracts["product"].iloc[0]).strip(),
            "vendor": ", ".join(vendors) or None,
            "seats": seats,
            "holders": len(mine),
            "active_users": active,
            "unused_seats": unused,
            "leaver_seats": int(mine["leaver"].sum()),
            "unassigned_seats": max(seats - len(mine), 0),
            "cost_per_year": yearly,
            "unused_cost_per_year": times(ratio(yearly, to_decimal(seats)), to_decimal(unused)) if seats else ZERO,
        })
    columns = ["product", "vendor", "seats", "holders", "active_users", "unused_seats", "leaver_seats", "unassigned_seats",
               "cost_per_year", "unused_cost_per_year"]
    products = pd.DataFrame(rows, columns=columns)
    if len(products):
        products = products.sort_values(
            ["unused_cost_per_year", "product"], ascending=[False, True], key=_sort_key, ignore_index=True
        )
    licensed = set(force["product_key"])
    return Shelfware(
        products=products,
        departments=_idle_departments(held[held["product_key"].isin(licensed)], force, people, min_n),
        unknown_holders=int(held["known"].isna().sum()) if users is not None else 0,
        unlicensed=sorted({str(p) for p, k in zip(holders["product"], holders["product"].map(_key)) if k not in licensed}),
        over_assigned=sorted(r["product"] for r in rows if r["holders"] > r["seats"]),
    )


def _sort_key(column: pd.Series) -> pd.Series:
    return column.map(float) if column.name == "unused_cost_per_year" else column.astype(str).str.lower()


def _people(users: pd.DataFrame | None) -> pd.DataFrame:
    """``user_id, department, active_to, known`` of the users input (empty without one)."""
    if users is None:
        return pd.DataFrame({"user_id": pd.Series(dtype=str), "department": pd.Series(dtype=object),
                             "active_to": pd.Series(dtype="datetime64[us]"), "known": pd.Series(dtype=bool)})
    return pd.DataFrame({
        "user_id": users["user_id"].astype(str),
        "department": users["department"],
        "active_to": users["active_to"],
        "known": True,
    })


def _idle_departments(held: pd.DataFrame, force: pd.DataFrame, people: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Product x department where the department holds seats and nobody there used the product."""
    columns = ["product", "department", "people", "seats_held"]
    sizes = people.dropna(subset=["department"]).groupby("department").size()
    named = set(sizes[sizes >= min_n].index)
    mine = held[held["department"].isin(named)]
    if mine.empty:
        return pd.DataFrame(columns=columns)
    per = mine.groupby(["product_key", "department"]).agg(seats_held=("user_id", "size"), active=("active", "sum")).reset_index()
    idle = per[per["active"] == 0]
    names = force.drop_duplicates("product_key").set_index("product_key")["product"].map(lambda p: str(p).strip())
    frame = pd.DataFrame({
        "product": idle["product_key"].map(names).to_numpy(),
        "department": idle["department"].to_numpy(),
        "people": idle["department"].map(sizes).astype("int64").to_numpy(),
        "seats_held": idle["seats_held"].astype("int64").to_numpy(),
    })
    return frame.sort_values(["seats_held", "product", "department"], ascending=[False, True, True], ignore_index=True)
