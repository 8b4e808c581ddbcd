"""Adoption counts that run inside the query engine (Ibis on DuckDB).

Usage logs can hold hundreds of millions of rows; none of them reaches Python. What comes
back is one row per user and feature they used (first use, weeks used lately), one row per
user of a replaced feature, and a handful of data-quality counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import pandas as pd
from ibis import _

from helpers import cell_key

__all__ = ["SECONDS_PER_WEEK", "eligible_usage", "examples", "first_use", "old_way_use", "usage_problems"]

SECONDS_PER_WEEK = 7 * 86400


def eligible_usage(usage: ibis.Table, features: ibis.Table, users: ibis.Table, *, as_of: dt.datetime) -> ibis.Table:
    """Usage rows by a user while eligible for the feature: in its audience, from the later of its
    release and their ``active_from``, to the earlier of their ``active_to`` and ``as_of``."""
    facts = features.select(f_id=_.feature_id, released=_.released, audience=_.audience)
    people = users.select(u_id=_.user_id, department=_.department, active_from=_.active_from, active_to=_.active_to)
    joined = usage.inner_join(facts, usage.feature_id == facts.f_id).inner_join(people, usage.user_id == people.u_id)
    end = ibis.literal(as_of)
    starts = joined.timestamp >= ibis.greatest(joined.released, joined.active_from.fill_null(joined.released))
    ends = joined.timestamp <= ibis.least(joined.active_to.fill_null(end), end)
    audience = joined.audience.isnull() | (joined.audience == joined.department)
    return joined.filter(starts & ends & audience)


def first_use(eligible: ibis.Table, *, as_of: dt.datetime, habit_weeks: int) -> pd.DataFrame:
    """Per user and feature used while eligible: first use, uses, and weeks used of the last ``habit_weeks``.

    Weeks count back from ``as_of`` in 7-day blocks, so week 0 is the 7 days up to ``as_of``.

    Returns
    -------
    DataFrame
        ``user_id``, ``feature_id``, ``first_use`` (Timestamp), ``uses``, ``recent_weeks`` (0 to ``habit_weeks``).
    """
    seconds_before = ibis.literal(as_of).epoch_seconds() - eligible.timestamp.epoch_seconds()
    week = (seconds_before / SECONDS_PER_WEEK).floor()
    recent = seconds_before < habit_weeks * SECONDS_PER_WEEK
    query = eligible.group_by(["user_id", "feature_id"]).aggregate(
        first_use=eligible.timestamp.min(),
        uses=eligible.uses.sum(),
        recent_weeks=week.nunique(where=recent),
    )
    frame = query.to_pandas()
    frame["first_use"] = pd.to_datetime(frame["first_use"]).astype("datetime64[ns]")
    frame["uses"] = frame["uses"].fillna(0).astype("int64")
    frame["recent_weeks"] = frame["recent_weeks"].fillna(0).astype("int64")
    return frame


def old_way_use(
    usage: ibis.Table, replacements: pd.DataFrame, *, before_days: int, as_of: dt.datetime, recent_days: int
) -> pd.DataFrame:
    """Who used a replaced feature shortly before its replacement came out, and who still uses it.

    Parameters
    ----------
    replacements : DataFrame
        ``feature_id`` (the new feature), ``replaces`` (the old one), ``released`` (the new one's release).
    before_days : int
        "Shortly before": the days before the new feature's release that count.
    recent_days : int
        "Still uses": a use of the old feature in the days up to ``as_of``.

    Returns
    -------
    DataFrame
        ``user_id``, ``feature_id`` (the new feature), ``used_before`` and ``used_recently`` (bool);
        one row per user who used the old feature in either stretch.
    """
    columns = ["user_id", "feature_id", "used_before", "used_recently"]
    if replacements.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c.endswith("id") else bool) for c in columns})
    pairs = ibis.memtable(
        replacements[["feature_id", "replaces", "released"]].rename(columns={"feature_id": "new_id", "released": "new_released"})
    )
    joined = usage.inner_join(pairs, usage.feature_id == pairs.replaces)
    end = ibis.literal(as_of)
    before = (joined.timestamp < joined.new_released) & (
        joined.timestamp >= joined.new_released - ibis.interval(days=before_days)
    )
    recent = (joined.timestamp <= end) & (joined.timestamp > end - ibis.interval(days=recent_days))
    query = (
        joined.filter(before | recent)
        .group_by(user_id=joined.user_id, feature_id=joined.new_id)
        .aggregate(used_before=before.any(), used_recently=recent.any())
    )
    frame = query.to_pandas()
    return frame[columns].astype({"used_before": bool, "used_recently": bool})


def usage_problems(
    usage: ibis.Table, features: ibis.Table, users: ibis.Table, *, as_of: dt.datetime, as_of_given: bool
) -> dict[str, int]:
    """Counts of legal but suspicious usage rows, in one scan.

    Returns
    -------
    dict
        ``before_release`` (a known feature used before it was released), ``outside_eligibility``
        (a known user, after release, but before their ``active_from``, after their ``active_to``
        or outside the feature's audience) and ``after_as_of`` (only when ``as_of`` was given).
        Published with the cell-key method's noise (:mod:`helpers.cell_key`; each row keyed by its
        moment): runs with ``as_of`` a day apart would otherwise give that day's usage rows away.
    """
    facts = features.select(f_id=_.feature_id, released=_.released, audience=_.audience)
    people = users.select(u_id=_.user_id, department=_.department, active_from=_.active_from, active_to=_.active_to)
    joined = usage.left_join(facts, usage.feature_id == facts.f_id).left_join(people, usage.user_id == people.u_id)
    known = joined.f_id.notnull() & joined.u_id.notnull()
    before_release = joined.f_id.notnull() & (joined.timestamp < joined.released)
    outside = (
        known
        & (joined.timestamp >= joined.released)
        & (
            (joined.timestamp < joined.active_from.fill_null(joined.released))
            | (joined.timestamp > joined.active_to.fill_null(joined.timestamp))
            | (joined.audience.notnull() & (joined.audience != joined.department.fill_null("")))
        )
    )
    after = joined.timestamp > ibis.literal(as_of)
    key = cell_key.record_key(cell_key.day_code(joined.timestamp), cell_key.time_code(joined.timestamp))
    flags = {"before_release": before_release, "outside_eligibility": outside, "after_as_of": after}
    counts = joined.aggregate(
        **{name: flag.sum() for name, flag in flags.items()},
        **{f"{name}{cell_key.KEY_SUFFIX}": cell_key.key_sum(key, flag) for name, flag in flags.items()},
    ).to_pandas()
    counts = cell_key.perturb_counts(counts.fillna(0), list(flags)).iloc[0]
    found = {name: int(counts[name]) for name in flags}
    if not as_of_given:
        found["after_as_of"] = 0
    return found


def examples(values: Sequence[str], limit: int = 5) -> str:
    """A few values for a data-quality note: ``'a', 'b', 'c'``."""
    return ", ".join(repr(v) for v in list(values)[:limit])
