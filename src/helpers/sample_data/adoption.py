"""Feature-adoption sample data with planted truth: a year of releases in a mid-sized company.

Writes, in ``out_dir``:

- ``features.csv``: three older features (released 2022-2023) and :data:`FEATURES`, twelve
  features released in four upgrades during 2025, three of them replacing an older one and
  one only for Finance;
- ``users.csv``: about 2,500 users (``scale`` times as many) in six departments plus a small
  one (:data:`SMALL_DEPARTMENT`, fewer than 30 people: it must never be named), some without
  a department, some joining or leaving during the year;
- ``feature_usage.parquet``: one row per user, feature and day used (``uses`` on the day),
  streamed one block of users at a time.

Each eligible user of feature ``f`` eventually adopts it with probability ``a_f``, after an
exponential time with mean ``m_f`` days from becoming eligible (the later of the release and
joining). So the planted 90-day adoption is ``a_f (1 - exp(-90 / m_f))`` exactly, whatever the
censoring by joining and leaving. After the first use, each 7-day block counted back from
:data:`LAST_DAY` holds a use with probability 0.9 for a habitual adopter (share ``h_f``) and
0.15 for a casual one. Users of a replaced (old) feature use it weekly with probability 0.8;
when they adopt its replacement they drop the old one with probability ``d_f``.

Also planted: two features nobody uses, three below 10%, a release six weeks before the end
(its horizon cannot reach 90 days), usage rows by unknown users, of an unknown feature, and by
beta testers before a release (all data-quality notes, not errors).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from ._parquet import write_parquet_chunks

__all__ = ["generate", "FEATURES", "OLD_FEATURES", "LAST_DAY", "SMALL_DEPARTMENT", "planted_adoption", "HORIZON_DAYS"]

FIRST_DAY = dt.date(2025, 1, 1)
#: Usage runs to the end of this day; the analysis's default ``as_of`` falls on it.
LAST_DAY = dt.date(2025, 12, 31)
HORIZON_DAYS = 90
USERS = 2500
#: Users per block of usage rows: one block is in memory at a time.
_BLOCK = 5000
DEPARTMENTS = {"Sales": 0.30, "Operations": 0.24, "Finance": 0.15, "Engineering": 0.15, "HR": 0.08,
               "Customer Service": 0.08}
#: A department too small to show (fewer than 30 users at scale 1).
SMALL_DEPARTMENT = ("Legal", 14)
NO_DEPARTMENT_SHARE = 0.03
WEEKLY_USE = {"habitual": 0.9, "casual": 0.15}
OLD_WEEKLY_USE = 0.8
OLD_USER_SHARE = 0.6


class Feature(NamedTuple):
    """One planted feature: ``adopt`` is the eventual adoption share, ``mean_days`` the mean time to
    first use of those who adopt, ``habit`` the habitual share of adopters, ``drop_old`` the chance an
    adopter stops using the feature it replaces."""

    feature_id: str
    name: str
    application: str
    released: dt.date
    adopt: float
    mean_days: float
    habit: float = 0.5
    replaces: str | None = None
    audience: str | None = None
    drop_old: float = 0.0


OLD_FEATURES = (
    ("O-01", "Expense form (PDF)", "ERP", dt.date(2022, 3, 1)),
    ("O-02", "Classic report builder", "BI", dt.date(2022, 9, 12)),
    ("O-03", "Ticket intake by e-mail", "ITSM", dt.date(2023, 1, 16)),
)
_FEB, _MAY, _AUG, _NOV = dt.date(2025, 2, 10), dt.date(2025, 5, 12), dt.date(2025, 8, 18), dt.date(2025, 11, 17)
FEATURES = (
    Feature("F-101", "Mobile expense capture", "ERP", _FEB, 0.85, 20, 0.6, replaces="O-01", drop_old=0.7),
    Feature("F-102", "Approval inbox", "ERP", _FEB, 0.70, 30, 0.5),
    Feature("F-103", "Dashboard sharing", "BI", _FEB, 0.30, 45, 0.3),
    Feature("F-104", "AI meeting summary", "Intranet", _FEB, 0.0, 30),
    Feature("F-105", "Self-service report builder", "BI", _MAY, 0.45, 25, 0.5, replaces="O-02", drop_old=0.4),
    Feature("F-106", "Budget forecasting", "ERP", _MAY, 0.60, 15, 0.7, audience="Finance"),
    Feature("F-107", "Team calendar sync", "Intranet", _MAY, 0.05, 40, 0.3),
    Feature("F-108", "Portal chat", "ITSM", _AUG, 0.65, 10, 0.4, replaces="O-03", drop_old=0.8),
    Feature("F-109", "Knowledge suggestions", "ITSM", _AUG, 0.04, 30, 0.3),
    Feature("F-110", "Custom fields designer", "ERP", _AUG, 0.0, 30),
    Feature("F-111", "Dark mode", "Intranet", _NOV, 0.50, 7, 0.5),
    Feature("F-112", "Bulk edit", "ERP", _NOV, 0.20, 20, 0.5),
)
#: Beta testers used this feature in the two weeks before its release (left out, with a note).
BETA = ("F-105", 8)
UNKNOWN_USERS = 6
UNKNOWN_FEATURE = "F-099"


def planted_adoption(feature: Feature, days: float = HORIZON_DAYS) -> float:
    """The planted share of eligible users who first use ``feature`` within ``days`` of becoming eligible."""
    return feature.adopt * (1 - np.exp(-days / feature.mean_days))


def planted_median_days(feature: Feature) -> float | None:
    """Days until half the eligible users have used it (None: never reached, fewer than half ever adopt)."""
    return None if feature.adopt <= 0.5 else float(-feature.mean_days * np.log(1 - 0.5 / feature.adopt))


def _end_moment() -> pd.Timestamp:
    return pd.Timestamp(LAST_DAY) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


def _users(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    """The users: department, and when they joined and left (NaT: before 2025 / still there)."""
    n = USERS * scale
    small = SMALL_DEPARTMENT[1] * scale
    names, shares = list(DEPARTMENTS), np.array(list(DEPARTMENTS.values()))
    department = np.concatenate([rng.choice(names, size=n - small, p=shares / shares.sum()),
                                 np.full(small, SMALL_DEPARTMENT[0])]).astype(object)
    rng.shuffle(department)
    department[rng.random(n) < NO_DEPARTMENT_SHARE] = None
    year = (pd.Timestamp(LAST_DAY) - pd.Timestamp(FIRST_DAY)) / pd.Timedelta(days=1)
    joins = rng.random(n) < 0.12
    active_from = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    active_from[joins] = pd.Timestamp(FIRST_DAY) + pd.to_timedelta(rng.uniform(0, year, joins.sum()).round(), unit="D")
    hired_before = ~joins & (rng.random(n) < 0.3)
    active_from[hired_before] = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 3000, hired_before.sum()), unit="D")
    leaves = rng.random(n) < 0.10
    start = active_from.where(active_from > pd.Timestamp(FIRST_DAY), pd.Timestamp(FIRST_DAY))
    span = (pd.Timestamp(LAST_DAY) - start) / pd.Timedelta(days=1)
    left = start + pd.to_timedelta((rng.uniform(0.05, 0.95, n) * span).round() + 1, unit="D")
    active_to = left.where(leaves, pd.NaT)
    return pd.DataFrame({"user_id": [f"U-{i:05d}" for i in range(1, n + 1)], "department": department,
                         "active_from": active_from, "active_to": active_to})


def _eligible_span(users: pd.DataFrame, released: dt.date, audience: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per user: eligible at all, from when and to when (numpy datetimes)."""
    start = users["active_from"].where(users["active_from"] > pd.Timestamp(released), pd.Timestamp(released))
    end = users["active_to"].where(users["active_to"].notna() & (users["active_to"] < _end_moment()), _end_moment())
    eligible = np.array(start < end, dtype=bool)
    if audience is not None:
        eligible &= (users["department"] == audience).to_numpy()
    return eligible, start.to_numpy(), end.to_numpy()


def _weekly_rows(rng: np.random.Generator, user_ids: np.ndarray, begin: np.ndarray, end: np.ndarray,
                 weekly: np.ndarray) -> pd.DataFrame:
    """One row per 7-day block (counted back from the last day) lying wholly in ``[begin, end]`` in
    which the user used the feature, with probability ``weekly`` per block; a random moment in it."""
    final = _end_moment().to_datetime64()
    week = np.timedelta64(7, "D")
    first_block = np.ceil((final - end) / week).astype(int)
    last_block = np.floor((final - begin) / week).astype(int) - 1
    count = np.maximum(last_block - first_block + 1, 0)
    who = np.repeat(np.arange(len(user_ids)), count)
    block = np.repeat(first_block, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    used = rng.random(len(who)) < weekly[who]
    who, block = who[used], block[used]
    seconds = rng.uniform(0, 7 * 86400, len(who)).astype("int64")
    stamps = final - (block + 1) * week + seconds.astype("timedelta64[s]")
    return pd.DataFrame({"timestamp": stamps, "user_id": user_ids[who]})


def _feature_rows(rng: np.random.Generator, users: pd.DataFrame, feature: Feature) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One block of users' rows of one feature, and the first uses (for the old-way simulation)."""
    eligible, start, end = _eligible_span(users, feature.released, feature.audience)
    ids = users["user_id"].to_numpy()
    waits = rng.exponential(feature.mean_days, len(users)) * 86400
    first = start + waits.astype("int64").astype("timedelta64[s]")
    adopted = eligible & (rng.random(len(users)) < feature.adopt) & (first <= end)
    habitual = rng.random(len(users)) < feature.habit
    weekly = np.where(habitual, WEEKLY_USE["habitual"], WEEKLY_USE["casual"])
    later = _weekly_rows(rng, ids[adopted], first[adopted], end[adopted], weekly[adopted])
    rows = pd.concat([pd.DataFrame({"timestamp": first[adopted], "user_id": ids[adopted]}), later], ignore_index=True)
    rows = rows[rows["timestamp"] >= np.repeat(np.datetime64(pd.Timestamp(feature.released)), len(rows))]
    return rows.assign(feature_id=feature.feature_id), {"adopted": adopted, "first": first}


def _old_rows(rng: np.random.Generator, users: pd.DataFrame, old_id: str, new: Feature, firsts: dict[str, Any]) -> pd.DataFrame:
    """Weekly use of an old feature from 120 days before its replacement until the user drops it."""
    _, _, end = _eligible_span(users, new.released - dt.timedelta(days=120), None)
    start = users["active_from"].where(users["active_from"] > pd.Timestamp(new.released - dt.timedelta(days=120)),
                                       pd.Timestamp(new.released - dt.timedelta(days=120))).to_numpy()
    users_old = (rng.random(len(users)) < OLD_USER_SHARE) & (start < end)
    drops = firsts["adopted"] & (rng.random(len(users)) < new.drop_old)
    stop = np.where(drops, firsts["first"], end)
    keep = users_old & (stop > start)
    ids = users["user_id"].to_numpy()
    rows = _weekly_rows(rng, ids[keep], start[keep], stop[keep], np.full(keep.sum(), OLD_WEEKLY_USE))
    return rows.assign(feature_id=old_id)


def _block_rows(rng: np.random.Generator, users: pd.DataFrame) -> pa.Table:
    """Every usage row of one block of users, one row per user, feature and day (``uses`` on it)."""
    parts = []
    for feature in FEATURES:
        rows, firsts = _feature_rows(rng, users, feature)
        parts.append(rows)
        if feature.replaces:
            parts.append(_old_rows(rng, users, feature.replaces, feature, firsts))
    rows = pd.concat(parts, ignore_index=True)
    rows["uses"] = 1 + rng.poisson(1.5, len(rows))
    rows["timestamp"] = pd.to_datetime(rows["timestamp"]).astype("datetime64[us]")
    rows = rows.sort_values(["timestamp", "user_id", "feature_id"], kind="stable", ignore_index=True)
    return pa.Table.from_pandas(rows[["timestamp", "user_id", "feature_id", "uses"]], preserve_index=False)


def _trap_rows(rng: np.random.Generator, users: pd.DataFrame) -> pa.Table:
    """Usage the analysis must leave out with a note: unknown users, an unknown feature, beta testers."""
    moments = pd.Timestamp("2025-06-02 09:00") + pd.to_timedelta(rng.integers(0, 60 * 86400, 40), unit="s")
    beta_feature = next(f for f in FEATURES if f.feature_id == BETA[0])
    regulars = users[users["active_from"].isna() & users["active_to"].isna() & users["department"].notna()]
    testers = regulars["user_id"].to_numpy()[: BETA[1]]
    before = pd.Timestamp(beta_feature.released) - pd.to_timedelta(rng.integers(3600, 14 * 86400, BETA[1]), unit="s")
    frame = pd.concat([
        pd.DataFrame({"timestamp": moments[:UNKNOWN_USERS], "user_id": [f"U-9{i:04d}" for i in range(UNKNOWN_USERS)],
                      "feature_id": "F-102"}),
        pd.DataFrame({"timestamp": moments[20:32], "user_id": users["user_id"].to_numpy()[:12], "feature_id": UNKNOWN_FEATURE}),
        pd.DataFrame({"timestamp": before, "user_id": testers, "feature_id": BETA[0]}),
    ], ignore_index=True)
    frame["uses"] = 1
    frame["timestamp"] = frame["timestamp"].astype("datetime64[us]")
    return pa.Table.from_pandas(frame, preserve_index=False)


def _csv_time(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column).dt.strftime("%Y-%m-%d").where(column.notna(), "")


def _write_inputs(out_dir: Path, users: pd.DataFrame) -> None:
    features = pd.DataFrame(
        [(i, n, a, r, None, None) for i, n, a, r in OLD_FEATURES]
        + [(f.feature_id, f.name, f.application, f.released, f.replaces, f.audience) for f in FEATURES],
        columns=["feature_id", "name", "application", "released", "replaces", "audience"],
    )
    features["released"] = _csv_time(features["released"])
    features.to_csv(out_dir / "features.csv", index=False, lineterminator="\n")
    written = users.assign(active_from=_csv_time(users["active_from"]), active_to=_csv_time(users["active_to"]))
    written.to_csv(out_dir / "users.csv", index=False, lineterminator="\n")


def generate(out_dir: Path, *, scale: int = 1, seed: int = 42) -> dict[str, Any]:
    """Write the adoption sample inputs and return the planted truth.

    Parameters
    ----------
    out_dir : Path
        Folder to write into (created if missing).
    scale : int
        ``scale`` times the default 2,500 users (and usage rows), streamed to Parquet one block
        of 5,000 users at a time.
    seed : int
        Seed of the random generators; the same seed gives the same files.

    Returns
    -------
    dict
        Per feature: planted 90-day adoption, eventual adoption, median days (None: never
        reached), expected habitual share, drop-old probability; the features never used, the
        suppressed department, the planted data-quality rows and the usage row count.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    users = _users(np.random.default_rng([seed, 14]), int(scale))
    _write_inputs(out_dir, users)
    blocks = range(0, len(users), _BLOCK)

    def chunks():
        for number, first in enumerate(blocks):
            yield _block_rows(np.random.default_rng([seed, 14, number]), users.iloc[first:first + _BLOCK])
        yield _trap_rows(np.random.default_rng([seed, 14, 99_999]), users)

    rows = write_parquet_chunks(out_dir / "feature_usage.parquet", chunks())
    return _truth(rows)


def _habit_share(feature: Feature, weeks: int = 4, at_least: int = 3) -> float:
    """Expected share of adopters using it in at least ``at_least`` of the last ``weeks`` weeks."""
    from math import comb

    def share(p: float) -> float:
        return sum(comb(weeks, k) * p**k * (1 - p) ** (weeks - k) for k in range(at_least, weeks + 1))

    return feature.habit * share(WEEKLY_USE["habitual"]) + (1 - feature.habit) * share(WEEKLY_USE["casual"])


def _truth(rows: int) -> dict[str, Any]:
    return {
        "as_of": LAST_DAY,
        "horizon_days": HORIZON_DAYS,
        "features": [
            {
                "feature_id": f.feature_id,
                "name": f.name,
                "released": f.released,
                "adoption_90_days": planted_adoption(f),
                "eventual_adoption": f.adopt,
                "median_days_to_first_use": planted_median_days(f),
                "habitual_share": _habit_share(f) if f.adopt else None,
                "replaces": f.replaces,
                "drop_old_probability": f.drop_old if f.replaces else None,
                "audience": f.audience,
                "horizon_reached": (LAST_DAY - f.released).days >= HORIZON_DAYS,
            }
            for f in FEATURES
        ],
        "never_used": sorted(f.feature_id for f in FEATURES if f.adopt == 0),
        "below_10pct": sorted(f.feature_id for f in FEATURES if planted_adoption(f) < 0.10),
        "old_features": [o[0] for o in OLD_FEATURES],
        "small_department": SMALL_DEPARTMENT[0],
        "usage_rows_unknown_user": UNKNOWN_USERS,
        "usage_rows_unknown_feature": 12,
        "usage_rows_before_release": BETA[1],
        "usage_rows": rows,
    }
