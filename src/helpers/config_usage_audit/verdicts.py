"""From counts to verdicts: used or not, stale or not, the quadrant, the cost and what to do.

These functions work on the small frames :mod:`helpers.config_usage_audit.counts` returns
(one row per class x attribute), so they are plain pandas.

Quadrants (used x stale):

=========  ========  ==========================================================
used       stale     quadrant
=========  ========  ==========================================================
yes        no        ``value``: read and fresh; keep
yes        yes       ``risk``: people rely on old data; fix freshness first
no         no        ``waste``: maintained and never read; stop collecting
no         yes       ``retire``: neither read nor maintained; stop collecting
=========  ========  ==========================================================

Class-level cost (``*`` rows of ``collection_cost``) is shared among the class's
attributes in proportion to their populated values: class-wide work such as
reconciliation or certification campaigns touches every value kept, so an attribute
filled on 900 CIs carries nine times the share of one filled on 100.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "QUADRANTS",
    "apportion_costs",
    "attribute_verdicts",
    "quadrant",
    "recommendations",
]

#: Quadrant names in report order: what needs attention first.
QUADRANTS = ("risk", "waste", "retire", "value")

_QUADRANT = {(True, False): "value", (True, True): "risk", (False, False): "waste", (False, True): "retire"}


def quadrant(used: bool, stale: bool) -> str:
    """The quadrant of an attribute: value, risk, waste or retire."""
    return _QUADRANT[(bool(used), bool(stale))]


def apportion_costs(attributes: pd.DataFrame, costs: pd.DataFrame | None) -> tuple[pd.Series, dict[str, pd.DataFrame]]:
    """Monthly maintenance hours of each class x attribute.

    Parameters
    ----------
    attributes : DataFrame
        ``ci_class, attribute, populated``, one row per class x attribute of the inventory.
    costs : DataFrame or None
        The ``collection_cost`` input: ``ci_class, attribute, hours_per_month`` (hours a month);
        ``attribute == "*"`` is a class-level cost. None when no cost file was given.

    Returns
    -------
    hours : Series
        Hours a month per row of ``attributes`` (own cost plus its share of the class cost);
        NaN when neither the attribute nor its class has a cost row, or when ``costs`` is None.
    unmatched : dict of DataFrame
        ``"attributes"``: cost rows naming an attribute the inventory does not hold for that class;
        ``"classes"``: class-level rows for classes not in the inventory.
    """
    if costs is None:
        return pd.Series(np.nan, index=attributes.index, name="hours_per_month"), {}
    costs = costs.assign(attribute=costs["attribute"].astype(str).str.strip())
    class_rows = costs[costs["attribute"] == "*"].groupby("ci_class")["hours_per_month"].sum()
    own_rows = costs[costs["attribute"] != "*"].groupby(["ci_class", "attribute"])["hours_per_month"].sum()

    key = pd.MultiIndex.from_frame(attributes[["ci_class", "attribute"]])
    own = pd.Series(own_rows.reindex(key).to_numpy(), index=attributes.index)
    populated_in_class = attributes.groupby("ci_class")["populated"].transform("sum")
    class_hours = attributes["ci_class"].map(class_rows)
    share = class_hours * attributes["populated"] / populated_in_class
    hours = own.fillna(0.0) + share.fillna(0.0)
    hours[own.isna() & share.isna()] = np.nan

    known_pairs = set(zip(attributes["ci_class"], attributes["attribute"]))
    held = np.array([pair in known_pairs for pair in own_rows.index], dtype=bool)
    unmatched_attributes = own_rows[~held].reset_index()
    unmatched_classes = class_rows[~class_rows.index.isin(attributes["ci_class"])].reset_index()
    return hours.rename("hours_per_month"), {"attributes": unmatched_attributes, "classes": unmatched_classes}


def attribute_verdicts(
    inventory: pd.DataFrame,
    class_sizes: pd.DataFrame,
    reads: pd.DataFrame,
    processes: pd.DataFrame,
    *,
    min_reads: int,
    stale_after_days: int,
    stale_after_days_by_class: Mapping[str, int],
) -> pd.DataFrame:
    """One row per class x attribute of the inventory with its figures and verdicts.

    Parameters
    ----------
    inventory : DataFrame
        From :func:`~helpers.config_usage_audit.counts.attribute_inventory`.
    class_sizes : DataFrame
        ``ci_class, cis``.
    reads : DataFrame
        From :func:`~helpers.config_usage_audit.counts.attribute_reads`; attributes not in the
        inventory are left out here (they are a data-quality note).
    processes : DataFrame
        From :func:`~helpers.config_usage_audit.counts.attribute_processes`.
    min_reads : int
        Fewest counted reads in the window for an attribute to be used.
    stale_after_days, stale_after_days_by_class : int, mapping
        The staleness limit in days, and per-class overrides.

    Returns
    -------
    DataFrame
        ``ci_class, attribute, populated, cis, fill_rate, reads, consumers, processes,
        last_read, excluded_reads, median_age_days, stale_after_days, used, stale, quadrant``,
        sorted by class and attribute. ``processes`` is a list (most reads first);
        ``fill_rate`` is a share from 0 to 1.
    """
    frame = inventory.merge(class_sizes, on="ci_class", how="left")
    frame = frame.merge(reads, on=["ci_class", "attribute"], how="left")
    for column in ("reads", "consumers", "excluded_reads"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["populated"] = frame["populated"].astype("int64")
    frame["cis"] = frame["cis"].astype("int64")
    frame["fill_rate"] = frame["populated"] / frame["cis"]
    frame["last_read"] = pd.to_datetime(frame["last_read"])

    ranked = processes.sort_values(["reads", "process"], ascending=[False, True])
    by_attribute = ranked.groupby(["ci_class", "attribute"], sort=False)["process"].agg(list)
    key = pd.MultiIndex.from_frame(frame[["ci_class", "attribute"]])
    listed = by_attribute.reindex(key)
    frame["processes"] = [value if isinstance(value, list) else [] for value in listed]

    limits = {str(k): v for k, v in stale_after_days_by_class.items()}
    frame["stale_after_days"] = frame["ci_class"].map(lambda c: limits.get(c, stale_after_days)).astype("int64")
    frame["median_age_days"] = frame["median_age_days"].astype("float64")
    frame["used"] = frame["reads"] >= min_reads
    frame["stale"] = frame["median_age_days"] > frame["stale_after_days"]
    frame["quadrant"] = [quadrant(u, s) for u, s in zip(frame["used"], frame["stale"])]
    columns = ["ci_class", "attribute", "populated", "cis", "fill_rate", "reads", "consumers", "processes",
               "last_read", "excluded_reads", "median_age_days", "stale_after_days", "used", "stale", "quadrant"]
    return frame[columns].sort_values(["ci_class", "attribute"], ignore_index=True)


def recommendations(attributes: pd.DataFrame, *, window_start: pd.Timestamp, min_reads: int) -> pd.DataFrame:
    """What to do with each attribute, why, and what it saves or protects.

    Parameters
    ----------
    attributes : DataFrame
        From :func:`attribute_verdicts` with ``hours_per_month`` added.
    window_start : Timestamp
        The first instant of the window (to say when an unused attribute was last read).
    min_reads : int
        The ``min_reads`` parameter (to explain attributes read too rarely).

    Returns
    -------
    DataFrame
        ``recommendation, ci_class, attribute, quadrant, reason, hours_saved_per_month,
        stale_reads``: ``fix freshness`` (risk, most-read first), ``stop collecting`` (waste
        and retire, costliest first), then ``keep`` (value, most-read first).
        ``hours_saved_per_month`` is the maintenance stopping would save (stop collecting only);
        ``stale_reads`` the reads in the window that relied on stale values (fix freshness only).
    """
    rows = []
    for row in attributes.itertuples(index=False):
        processes = _join(row.processes)
        if row.quadrant == "risk":
            rows.append(("fix freshness", row, (
                f"read {row.reads:,} times by {processes} work in the window, but the median value is "
                f"{row.median_age_days:,.0f} days old (limit {row.stale_after_days} days)"
            ), np.nan, row.reads))
        elif row.quadrant in ("waste", "retire"):
            reason = _why_unused(row, window_start=window_start, min_reads=min_reads)
            if row.quadrant == "retire":
                reason += f"; its values are stale too (median {row.median_age_days:,.0f} days)"
            rows.append(("stop collecting", row, reason, row.hours_per_month, np.nan))
        else:
            rows.append(("keep", row, (
                f"read {row.reads:,} times by {processes} work; values are fresh "
                f"(median {row.median_age_days:,.0f} days)"
            ), np.nan, np.nan))
    frame = pd.DataFrame({
        "recommendation": [r[0] for r in rows],
        "ci_class": [r[1].ci_class for r in rows],
        "attribute": [r[1].attribute for r in rows],
        "quadrant": [r[1].quadrant for r in rows],
        "reason": [r[2] for r in rows],
        "hours_saved_per_month": pd.array([r[3] for r in rows], dtype="float64"),
        "stale_reads": pd.array([r[4] for r in rows], dtype="float64"),
        "_reads": [r[1].reads for r in rows],
    })
    order = {"fix freshness": 0, "stop collecting": 1, "keep": 2}
    frame["_order"] = frame["recommendation"].map(order)
    # costliest first among "stop collecting", most-read first elsewhere; unknown costs last
    frame["_rank"] = np.where(frame["_order"] == 1, -frame["hours_saved_per_month"].fillna(-1), -frame["_reads"])
    frame = frame.sort_values(["_order", "_rank", "ci_class", "attribute"], ignore_index=True)
    return frame.drop(columns=["_order", "_rank", "_reads"])


def _why_unused(row, *, window_start: pd.Timestamp, min_reads: int) -> str:
    if row.reads > 0:
        return f"read only {row.reads:,} times in the window, fewer than the {min_reads:,} needed to count as used"
    if row.excluded_reads > 0:
        return f"read in the window only by excluded processes ({row.excluded_reads:,} reads), not by anyone using it"
    if pd.notna(row.last_read) and row.last_read < window_start:
        return f"last read {row.last_read:%Y-%m-%d}, before the window"
    return "not read at all by counted processes up to the window's end"


def _join(items) -> str:
    """Names as a phrase: "incident", "incident and change", "incident, change and problem" ("" for none)."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
