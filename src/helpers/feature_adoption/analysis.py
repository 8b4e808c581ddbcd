"""Feature adoption: the analysis itself. Usage is counted in the query engine (:mod:`.queries`);
the statistics work on one row per eligible user (:mod:`.survival`). Shares are from 0 to 1,
times in days.

Every count published carries the cell-key method's noise (:mod:`helpers.cell_key`; issue 24):
each eligible user of a feature is a record keyed by its user and feature
(:func:`helpers.cell_key.frame_record_keys`), a count's cell key is the sum of its users' keys,
and adoption comes from a perturbed life table (:func:`.survival.life_table`). Two runs with
another ``as_of`` can then no longer be differenced into one day's adopters. Whether a feature, a
department or a share is shown is still decided on the exact counts; only what is shown is perturbed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from helpers import cell_key, privacy
from helpers.feature_adoption import queries, survival
from helpers.feature_adoption.loading import Inputs
from helpers.feature_adoption.parameters import Parameters
from helpers.feature_adoption.result import Result
from helpers.feature_adoption.window import DAY, as_frame, select_features, usage_span
from helpers.inputs import loading as inputs

__all__ = ["analyse", "eligibility", "BELOW", "NO_DEPARTMENT"]

#: A feature is "below 10%" when the upper end of its adoption interval is under this share.
BELOW = 0.10
#: How users without a department show in the breakdown.
NO_DEPARTMENT = "(no department)"


def analyse(data: Inputs, params: Parameters) -> Result:
    """Count usage in the query engine, then every figure of the report from per-user rows.

    Parameters
    ----------
    data : Inputs
        From :func:`load_inputs` (or Ibis tables with the same columns).
    params : Parameters

    Raises
    ------
    ParameterError
        No usage to take ``as_of`` from, or no feature released in the window by ``as_of``.
    """
    log_start, as_of = usage_span(data, params)
    all_features = as_frame(data.features, ["released"])
    users = as_frame(data.users, ["active_from", "active_to"])
    features, notes = select_features(all_features, params, (log_start, as_of), data.features_name)
    notes.extend(_usage_notes(data, params, as_of))
    per_user, firsts = _per_user(data, (features, users), params, as_of)
    old_way = _old_way(data, features, params, as_of)
    rows, curves, audiences = [], [], []
    for feature in features.itertuples(index=False):
        group = per_user[per_user["feature_id"] == feature.feature_id]
        figures, curve, exact = _feature_figures(feature, group, old_way, params, as_of)
        rows.append(_hide_small_bases(figures, exact, params.min_n))
        curves.append(curve.assign(feature_id=feature.feature_id, name=feature.name))
        audiences.append(exact["eligible_users"])
    table = pd.DataFrame(rows)
    names = dict(zip(all_features["feature_id"], all_features["name"]))
    table.insert(table.columns.get_loc("replaced_feature_id") + 1, "replaced_name", table["replaced_feature_id"].map(names))
    release_span = (table["released"].min(), table["released"].max())
    no_one = table.loc[np.asarray(audiences) == 0, "feature_id"]
    table, curves, per_user, features_suppressed = _hide_small_audiences(
        table, curves, per_user, np.asarray(audiences), params.min_n)
    departments, suppressed = (
        _departments(per_user, table, params, as_of) if params.departments else (_no_departments(), 0)
    )
    if len(no_one):
        notes.append(inputs.QualityNote(
            input=data.features_name, issue="features no user could use (audience empty, or nobody active)",
            rows=len(no_one), examples=queries.examples(no_one), unit="features"))
    return Result(
        params=params,
        as_of=as_of,
        release_window=tuple(params.release) if params.release else None,
        features=table,
        curves=curves,
        departments=departments,
        departments_suppressed=suppressed,
        features_suppressed=features_suppressed,
        release_span=release_span,
        rows_in_pandas=firsts + len(old_way),
        quality_notes=notes,
    )


def _per_user(
    data: Inputs, frames: tuple[pd.DataFrame, pd.DataFrame], params: Parameters, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, int]:
    """One row per eligible user of each feature (``frames``: the features chosen, the users), and how many
    first-use rows came from the engine.

    Besides :func:`eligibility`'s columns: ``first_use`` (NaT: none), ``recent_weeks``, ``adopted``,
    ``days`` (from eligible to first use, or to the end of eligibility) and ``record_key``
    (:func:`helpers.cell_key.frame_record_keys` of the user and the feature).
    """
    features, users = frames
    chosen = data.usage.filter(data.usage.feature_id.isin(list(features["feature_id"])))
    eligible_rows = queries.eligible_usage(chosen, data.features, data.users, as_of=as_of.to_pydatetime())
    firsts = queries.first_use(eligible_rows, as_of=as_of.to_pydatetime(), habit_weeks=params.habit_weeks)
    per_user = eligibility(features, users, as_of).merge(firsts, on=["user_id", "feature_id"], how="left")
    per_user["adopted"] = per_user["first_use"].notna()
    per_user["days"] = (per_user["first_use"].where(per_user["adopted"], per_user["eligible_end"])
                        - per_user["eligible_from"]) / DAY
    per_user["record_key"] = cell_key.frame_record_keys(per_user, ["user_id", "feature_id"])
    return per_user, len(firsts)


def _hide_small_audiences(
    table: pd.DataFrame, curves: list[pd.DataFrame], per_user: pd.DataFrame, audiences: np.ndarray, min_n: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Features, curves and per-user rows without the features that 1 to ``min_n - 1`` people could use.

    A feature's line is a group of people too: one whose audience is a small department (``audience:
    Legal``, four people) would show those four's adoption, habit and switching as its own line, the
    figures the department breakdown hides. Such features are counted, never shown; a feature nobody
    could use stays (it describes no one, and the data quality note names it).
    """
    small = pd.Series((audiences >= 1) & (audiences < min_n), index=table.index)
    hidden = set(table.loc[small, "feature_id"])
    curves_shown = [curve for curve in curves if not curve["feature_id"].isin(hidden).any()]
    curve_frame = (pd.concat(curves_shown, ignore_index=True) if curves_shown
                   else pd.DataFrame(columns=["days", "adoption", "feature_id", "name"]))
    return (table[~small].reset_index(drop=True), curve_frame,
            per_user[~per_user["feature_id"].isin(hidden)], int(small.sum()))


#: The shares of a feature measured over a part of its users, each with the count of that part.
_SHARES_OF_A_PART = {"habit_base": ("habitual_share",), "old_way_users": ("switched_share", "still_using_old_share")}


def _hide_small_bases(figures: dict[str, Any], exact: dict[str, Any], min_n: int) -> dict[str, Any]:
    """The figures with every share over 1 to ``min_n - 1`` people left empty (the count of them stays).

    Habit is a share of the adopters still active, switching a share of the old way's recent users: a
    feature of many eligible users may have seven of those, whose habits a share would show. Such a
    share is not computed into the report, whatever the feature's size; ``habit_hidden`` and
    ``switching_hidden`` say so. Decided on the ``exact`` counts, not the perturbed ones.
    """
    figures = dict(figures)
    for base, shares in _SHARES_OF_A_PART.items():
        n = exact.get(base)
        hidden = n is not None and not pd.isna(n) and 0 < n < min_n
        figures["habit_hidden" if base == "habit_base" else "switching_hidden"] = bool(hidden)
        if hidden:
            for share in shares:
                figures.update(dict.fromkeys((share, f"{share}_low", f"{share}_high"), np.nan))
    return figures


def _usage_notes(data: Inputs, params: Parameters, as_of: pd.Timestamp) -> list[Any]:
    notes = [
        inputs.unmatched_ids(data.usage, "user_id", data.users, input=data.usage_name,
                             issue=f"usage by users not in {data.users_name}, left out", names_people=True),
        inputs.unmatched_ids(data.usage, "feature_id", data.features, input=data.usage_name,
                             issue=f"usage of features not in {data.features_name}, left out"),
    ]
    problems = queries.usage_problems(data.usage, data.features, data.users, as_of=as_of.to_pydatetime(),
                                      as_of_given=params.as_of is not None)
    issues = {
        "before_release": "usage before the feature's release, left out",
        "outside_eligibility": "usage while the user was not eligible (before active_from, after active_to "
                               "or outside the feature's audience), left out",
        "after_as_of": f"usage after as_of ({as_of:%Y-%m-%d}), left out",
    }
    notes += [inputs.QualityNote(input=data.usage_name, issue=issues[key], rows=count)
              for key, count in problems.items() if count]
    return [note for note in notes if note is not None]


def eligibility(features: pd.DataFrame, users: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every user who could use each feature, and from when to when.

    A user is eligible from the later of the release and their ``active_from`` to the earlier
    of their ``active_to`` and ``as_of``, if they are in the feature's audience (empty = all).

    Returns
    -------
    DataFrame
        ``feature_id``, ``user_id``, ``department`` (``"(no department)"`` when empty),
        ``eligible_from``, ``eligible_end``, ``active_at_as_of``; eligible pairs only.
    """
    pairs = features[["feature_id", "released", "audience"]].merge(
        users[["user_id", "department", "active_from", "active_to"]], how="cross"
    )
    start = pairs["active_from"].where(pairs["active_from"] > pairs["released"], pairs["released"])
    end = pairs["active_to"].where(pairs["active_to"].notna() & (pairs["active_to"] < as_of), as_of)
    in_audience = pairs["audience"].isna() | (pairs["audience"] == pairs["department"])
    frame = pd.DataFrame(
        {
            "feature_id": pairs["feature_id"],
            "user_id": pairs["user_id"],
            "department": pairs["department"].fillna(NO_DEPARTMENT),
            "eligible_from": start,
            "eligible_end": end,
            "active_at_as_of": pairs["active_to"].isna() | (pairs["active_to"] >= as_of),
        }
    )
    return frame[in_audience & (start < end)].reset_index(drop=True)


def _horizon(released: pd.Timestamp, as_of: pd.Timestamp, horizon_days: int) -> tuple[float, int, bool]:
    """The horizon measured at (days), as reported (whole days) and whether the full one was reached."""
    available = (as_of - released) / DAY
    if available >= horizon_days:
        return float(horizon_days), horizon_days, True
    return float(available), int(np.floor(available)), False


def _published(rows: pd.DataFrame, min_n: int) -> int:
    """How many ``rows`` there are, as published: perturbed by their cell key (the sum of their record keys).

    A count of at least 1 is shown as at least 1 (``never_used`` says whether anyone used a feature), and
    a count stays on its side of ``min_n``: what is shown or hidden was decided on the exact count, and a
    shown group must not look too small, nor a hidden one ("not shown: 11 adopters, fewer than 10") too large.
    """
    count = len(rows)
    shown = int(cell_key.perturb([count], [int(rows["record_key"].sum()) % cell_key.MODULUS])[0])
    if count < min_n:
        return min(max(shown, min(count, 1)), min_n - 1)
    return max(shown, min_n)


def _feature_figures(
    feature: Any, group: pd.DataFrame, old_way: pd.DataFrame, params: Parameters, as_of: pd.Timestamp
) -> tuple[dict[str, Any], pd.DataFrame, dict[str, Any]]:
    """Every figure of one feature as published, its adoption curve, and the exact sizes that decide what is shown."""
    days, adopted = group["days"].to_numpy(), group["adopted"].to_numpy()
    horizon, shown_horizon, reached = _horizon(feature.released, as_of, params.horizon_days)
    table = survival.life_table(days, adopted, horizon=horizon, keys=group["record_key"].to_numpy())
    adoption = survival.adoption_at(table, horizon, confidence=params.confidence, noise_variance=cell_key.VARIANCE)
    # The median may fall after the horizon (a slow feature): it is read from the whole follow-up, day by
    # day. Its days up to the horizon are the same cells as the table above, so they carry the same noise.
    whole = survival.life_table(days, adopted, horizon=np.inf, keys=group["record_key"].to_numpy())
    median = survival.median_days(whole, confidence=params.confidence, noise_variance=cell_key.VARIANCE)
    eligible = _published(group, params.min_n)
    # A part never exceeds its whole: each is perturbed on its own, then held under the count it is part of.
    adopters = min(_published(group[group["adopted"]], params.min_n), eligible)
    habit_base, habit, exact_habit_base = _habit(group, params, as_of, adopters)
    switching, exact_old_way = _switching(feature, group, old_way, params, (eligible, adopters))
    figures = {
        "feature_id": feature.feature_id,
        "name": feature.name,
        "application": feature.application,
        "released": feature.released,
        "audience": feature.audience,
        "eligible_users": eligible,
        "adopters": adopters,
        "adoption": adoption.value,
        "adoption_low": adoption.low,
        "adoption_high": adoption.high,
        "naive_adoption": survival.naive_share(table, horizon),
        "horizon_days": shown_horizon,
        "horizon_reached": reached,
        "median_days_to_first_use": median.value,
        "median_days_low": median.low,
        "median_days_high": median.high,
        "habit_base": habit_base,
        "habitual_share": habit.value,
        "habitual_share_low": habit.low,
        "habitual_share_high": habit.high,
        **switching,
        "never_used": bool(len(group) and not adopted.any()),
        "below_10pct": bool(adoption.high < BELOW),
    }
    exact = {"eligible_users": len(group), "habit_base": exact_habit_base, "old_way_users": exact_old_way}
    return figures, survival.adoption_curve(table, until=horizon), exact


def _habit(
    group: pd.DataFrame, params: Parameters, as_of: pd.Timestamp, adopters: int
) -> tuple[int, survival.Share, int]:
    """Habitual adopters: of the adopters still active at ``as_of`` who adopted before the last
    ``habit_weeks`` weeks, those who used it in at least ``habit_min_weeks`` of those weeks.

    Returns the base as published (at most ``adopters``, the published adopters), the share of the
    published counts, and the exact base.
    """
    window_start = as_of - pd.Timedelta(weeks=params.habit_weeks)
    base = group[group["adopted"] & group["active_at_as_of"] & (group["first_use"] <= window_start)]
    shown_base = min(_published(base, params.min_n), adopters)
    habitual = min(_published(base[base["recent_weeks"] >= params.habit_min_weeks], params.min_n), shown_base)
    share = survival.wilson(habitual, shown_base, confidence=params.confidence, noise_variance=cell_key.VARIANCE)
    return shown_base, share, len(base)


def _old_way(data: Inputs, features: pd.DataFrame, params: Parameters, as_of: pd.Timestamp) -> pd.DataFrame:
    replacements = features[features["replaces"].notna()]
    return queries.old_way_use(data.usage, replacements, before_days=params.horizon_days,
                               as_of=as_of.to_pydatetime(), recent_days=7 * params.habit_weeks)


def _switching(
    feature: Any, group: pd.DataFrame, old_way: pd.DataFrame, params: Parameters, wholes: tuple[int, int]
) -> tuple[dict[str, Any], int | None]:
    """Of the old feature's users in the ``horizon_days`` before the release, still active at ``as_of``
    and eligible for the new one: the share who used the new feature, and who still use the old one.

    ``wholes`` are the published eligible users and adopters, which the published parts stay under.
    Returns the figures and the exact number of old-way users (None when the feature replaces none).
    """
    eligible, adopters = wholes
    figures: dict[str, Any] = {"replaced_feature_id": feature.replaces if pd.notna(feature.replaces) else None}
    base = pd.DataFrame(columns=["used_recently", "adopted", "record_key"])
    if figures["replaced_feature_id"] is not None:
        before = old_way[(old_way["feature_id"] == feature.feature_id) & old_way["used_before"]]
        base = before.merge(group[group["active_at_as_of"]], on=["user_id", "feature_id"], how="inner")
    users = min(_published(base, params.min_n), eligible)
    switched = min(_published(base[base["adopted"].astype(bool)], params.min_n), users, adopters)
    still = min(_published(base[base["used_recently"].astype(bool)], params.min_n), users)
    figures["old_way_users"] = users if figures["replaced_feature_id"] is not None else None
    for key, part in (("switched_share", switched), ("still_using_old_share", still)):
        share = survival.wilson(part, users, confidence=params.confidence, noise_variance=cell_key.VARIANCE)
        figures.update({key: share.value, f"{key}_low": share.low, f"{key}_high": share.high})
    return figures, (len(base) if figures["replaced_feature_id"] is not None else None)


def _no_departments() -> pd.DataFrame:
    return pd.DataFrame(columns=["feature_id", "name", "department", "eligible_users", "adoption",
                                 "adoption_low", "adoption_high", "lagging"])


def _departments(
    per_user: pd.DataFrame, features: pd.DataFrame, params: Parameters, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, int]:
    """Adoption per feature and department at the feature's horizon; small departments counted, not named.

    A feature's eligible users (its total) are published, so a department under ``min_n`` is hidden together
    with the smallest others until the hidden part holds at least ``min_n`` users (complementary suppression,
    :func:`helpers.privacy.complementary_suppression`): no hidden department is the total minus those shown.
    Hidden or shown is decided on the exact sizes; a shown department's size is published perturbed, and
    never above its feature's published total.
    """
    sizes = per_user.groupby(["feature_id", "department"], sort=True).size().rename("n").reset_index()
    sizes["suppressed"] = sizes["n"] < params.min_n
    sizes["hidden"] = privacy.complementary_suppression(sizes, lines=[["feature_id"]], min_n=params.min_n)
    shown = set(sizes.loc[~sizes["hidden"], ["feature_id", "department"]].itertuples(index=False, name=None))
    rows = []
    for feature in features.itertuples(index=False):
        group = per_user[per_user["feature_id"] == feature.feature_id]
        horizon, _, _ = _horizon(feature.released, as_of, params.horizon_days)
        for department, members in group.groupby("department", sort=True):
            if (feature.feature_id, department) not in shown:
                continue
            table = survival.life_table(members["days"].to_numpy(), members["adopted"].to_numpy(), horizon=horizon,
                                        keys=members["record_key"].to_numpy())
            share = survival.adoption_at(table, horizon, confidence=params.confidence,
                                         noise_variance=cell_key.VARIANCE)
            rows.append({
                "feature_id": feature.feature_id, "name": feature.name, "department": department,
                "eligible_users": min(_published(members, params.min_n), feature.eligible_users),
                "adoption": share.value, "adoption_low": share.low,
                "adoption_high": share.high, "lagging": bool(share.high < feature.adoption),
            })
    return (pd.DataFrame(rows) if rows else _no_departments()), int(sizes["hidden"].sum())
