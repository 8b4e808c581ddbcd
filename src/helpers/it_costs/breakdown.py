"""From allocated monthly costs to what the report shows: per service, pool and tower, per period.

Every function takes the *allocated* frame the analysis builds (one row per source, month and
combination of matched columns, with the rule, cost pool, tower and service it went to and its
``cost`` as an exact Decimal in the analysis currency) and returns a small frame of exact
Decimals; rounding to the cent happens only here, where a figure becomes a published one.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from helpers.it_costs.allocation import UNALLOCATED
from helpers.it_costs.money import ZERO, apportion_cents, change, exact_total, group_totals, ratio
from helpers.it_costs.periods import Coverage, Period

__all__ = ["in_period", "breakdown", "services", "trend", "rule_hits"]


def in_period(allocated: pd.DataFrame, period: Period | None) -> pd.DataFrame:
    """The rows of ``allocated`` whose month falls in ``period`` (none for None)."""
    if period is None:
        return allocated.iloc[0:0]
    months = set(period.months)
    return allocated[allocated["month"].isin(months)]


def _by_source(rows: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Exact cost per ``by`` with its cloud and ledger parts."""
    frame = rows.assign(
        cloud_cost=[c if s == "cloud" else ZERO for c, s in zip(rows["cost"], rows["source"])],
        ledger_cost=[c if s == "ledger" else ZERO for c, s in zip(rows["cost"], rows["source"])],
    )
    return group_totals(frame, by, ["cost", "cloud_cost", "ledger_cost"])


def breakdown(allocated: pd.DataFrame, period: Period, previous: Period | None, *, by: Sequence[str]) -> pd.DataFrame:
    """Cost per ``by`` (e.g. ``["service"]``) in ``period``, beside ``previous``.

    Returns
    -------
    DataFrame
        ``by`` columns, ``cost``, ``cloud_cost``, ``ledger_cost``, ``previous_cost`` (None without
        a previous period), ``change`` (relative, 0.12 = +12%), ``share`` (of the period's total,
        0-1) and ``cost_cents`` (rounded to the cent so that the rows add up to the rounded
        total: :func:`helpers.it_costs.money.apportion_cents`). Decimals throughout; the
        largest cost first, "Unallocated" last.
    """
    by = list(by)
    now = _by_source(in_period(allocated, period), by)
    before = group_totals(in_period(allocated, previous), by, ["cost"]).rename(columns={"cost": "previous_cost"})
    frame = now.merge(before, on=by, how="outer") if previous is not None else now.assign(previous_cost=None)
    for column in ("cost", "cloud_cost", "ledger_cost"):
        frame[column] = [ZERO if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in frame[column]]
    if previous is not None:
        frame["previous_cost"] = [ZERO if v is None or (isinstance(v, float) and pd.isna(v)) else v
                                  for v in frame["previous_cost"]]
    total = exact_total(frame["cost"])
    frame["change"] = [change(c, p) for c, p in zip(frame["cost"], frame["previous_cost"])]
    frame["share"] = [ratio(c, total) for c in frame["cost"]]
    last = frame[by[0]] == UNALLOCATED
    frame = pd.concat([
        frame[~last].sort_values(["cost", *by], ascending=[False] + [True] * len(by), key=_sortable),
        frame[last],
    ], ignore_index=True)
    frame["cost_cents"] = apportion_cents(list(frame["cost"]))
    return frame


def _sortable(column: pd.Series) -> pd.Series:
    # Decimals sort as they are; text keys sort without case
    return column.map(float) if column.name in ("cost",) else column.astype(str).str.lower()


def services(allocated: pd.DataFrame, period: Period, previous: Period | None) -> pd.DataFrame:
    """:func:`breakdown` per service, with the consumers, pools and towers each service's costs went to."""
    frame = breakdown(allocated, period, previous, by=["service"])
    rows = in_period(allocated, period)
    detail = rows.groupby("service", dropna=False).agg(
        consumers=("consumer", lambda s: sorted({str(v) for v in s if v is not None and not pd.isna(v)})),
        cost_pools=("cost_pool", lambda s: sorted({str(v) for v in s})),
        towers=("tower", lambda s: sorted({str(v) for v in s})),
    ).reset_index()
    return frame.merge(detail, on="service", how="left")


def trend(allocated: pd.DataFrame, periods: Sequence[Period], coverage: Coverage) -> pd.DataFrame:
    """Cost per period over the data: ``period, start, end, complete, cost, cloud_cost, ledger_cost,
    unallocated_cost, change`` (exact Decimals; ``change`` against the period before, when both are complete)."""
    rows = []
    for period in periods:
        mine = in_period(allocated, period)
        cloud = mine[mine["source"] == "cloud"]
        rows.append({
            "period": period.label,
            "start": period.start,
            "end": period.end,
            "complete": coverage.is_complete(period),
            "cost": exact_total(mine["cost"]),
            "cloud_cost": exact_total(cloud["cost"]),
            "ledger_cost": exact_total(mine.loc[mine["source"] == "ledger", "cost"]),
            "unallocated_cost": exact_total(mine.loc[mine["service"] == UNALLOCATED, "cost"]),
        })
    frame = pd.DataFrame(rows, columns=["period", "start", "end", "complete", "cost", "cloud_cost", "ledger_cost",
                                        "unallocated_cost"])
    changes = [None]
    for before, now in zip(rows, rows[1:]):
        changes.append(change(now["cost"], before["cost"]) if before["complete"] and now["complete"] else None)
    return frame.assign(change=changes[: len(frame)])


def rule_hits(allocated: pd.DataFrame, rules: Sequence, period: Period) -> pd.DataFrame:
    """Per allocation rule: the cost it took in ``period`` and over all the data, and the charges and postings it matched.

    Returns
    -------
    DataFrame
        ``rule`` (row number; 0 = unallocated), ``match``, ``value``, ``service``, ``cost``
        (in ``period``), ``cost_all`` and ``rows`` (over all the data). Rules that took nothing
        are listed with zero.
    """
    in_report = in_period(allocated, period)
    now = group_totals(in_report, ["rule"], ["cost"])
    overall = group_totals(allocated, ["rule"], ["cost"]).rename(columns={"cost": "cost_all"})
    counts = allocated.groupby("rule")["rows"].sum().rename("rows").reset_index()
    table = pd.DataFrame(
        [{"rule": r.number, "match": r.match, "value": r.value, "service": r.service} for r in rules]
        + [{"rule": 0, "match": "", "value": "", "service": UNALLOCATED}]
    )
    frame = table.merge(now, on="rule", how="left").merge(overall, on="rule", how="left").merge(counts, on="rule", how="left")
    for column in ("cost", "cost_all"):
        frame[column] = [ZERO if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in frame[column]]
    frame["rows"] = frame["rows"].fillna(0).astype("int64")
    return frame
