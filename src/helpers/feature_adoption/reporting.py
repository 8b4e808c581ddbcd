"""What the adoption report says: the headline, its tables and the figures for ``results.json``.

Tables come back as :class:`helpers.report.Table` for :func:`helpers.report.table`, which escapes
every cell: feature and department names are data, never markup. Shares are shown as percentages
of eligible users with their interval; times in days. Departments with fewer than ``min_n``
eligible users for a feature are counted, never named, and hidden with enough others that none can be
worked out from the feature's total. Every count carries the cell-key method's noise (-2 to +2,
:mod:`helpers.cell_key`) and adoption comes from a life table of such counts, so two reports with
another ``as_of`` cannot be subtracted into one day's adopters; intervals include the noise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from helpers.analysis.results import SHARE, figure_keys, results_layout
from helpers.report.display import Table, with_interval
from helpers.report.results import to_jsonable

if TYPE_CHECKING:
    from helpers.feature_adoption.result import Result

__all__ = [
    "FEATURE_FIELDS",
    "percent",
    "days_with_interval",
    "headline",
    "feature_table",
    "old_way_table",
    "department_table",
    "department_note",
    "engine_note",
    "UNITS",
    "results",
]

#: The fields of each entry of ``results.json``'s ``features``, in order (issue 14 names the first 16).
FEATURE_FIELDS = (
    "feature_id", "eligible_users", "adopters", "adoption", "adoption_low", "adoption_high", "horizon_days",
    "median_days_to_first_use", "median_days_low", "median_days_high", "habitual_share", "habitual_share_low",
    "habitual_share_high", "replaced_feature_id", "switched_share", "still_using_old_share",
    "name", "released", "horizon_reached", "median_reached", "switched_share_low", "switched_share_high",
    "still_using_old_share_low", "still_using_old_share_high", "never_used", "below_10pct",
)


#: Days in whole days.
DAYS = "{:.0f}"


def percent(share: float) -> str:
    """A share from 0 to 1 as a percentage: ``83%``, or ``4.4%`` / ``0.2%`` below 10%."""
    if pd.isna(share):
        return "—"
    value = 100 * share
    return f"{value:.0f}%" if value >= 9.95 or value == 0 else f"{value:.1f}%"


def days_with_interval(value: float, low: float, high: float) -> str:
    """``"19 days (18–20)"``; ``"not reached"`` when fewer than half adopted; an open upper end reads "or more"."""
    if pd.isna(value):
        return "not reached" + (f" (at least {low:.0f} days)" if not pd.isna(low) else "")
    return with_interval(value, low, high, DAYS, unit="days")


def _share(row: Any, key: str) -> str:
    """The share ``key`` with its ``_low``/``_high`` interval from a row (Series or named tuple), as percentages."""
    get = row.get if isinstance(row, pd.Series) else lambda name: getattr(row, name)
    return with_interval(get(key), get(f"{key}_low"), get(f"{key}_high"), percent)


def _level(result: Result) -> str:
    return f"{result.params.confidence:.0%}"


def _window_words(result: Result) -> str:
    if result.release_window is not None:
        first, last = result.release_window
        return f"released from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    first, last = result.release_span or (result.features["released"].min(), result.features["released"].max())
    return f"released from {first:%Y-%m-%d} to {last:%Y-%m-%d}"


def _names(frame: pd.DataFrame) -> str:
    return ", ".join(f"{row.name} ({row.feature_id})" for row in frame.itertuples())


def headline(result: Result) -> list[str]:
    """The report's first paragraph, one sentence per key finding (plain text; the report escapes it)."""
    params, features, totals = result.params, result.features, result.totals
    level = _level(result)
    below = features[features["below_10pct"]]
    never = features[features["never_used"]]
    sentences = [
        f"Of {totals['features']} features {_window_words(result)}, {totals['features_below_10pct']} "
        f"{'was' if totals['features_below_10pct'] == 1 else 'were'} used by fewer than 10% of the people who "
        f"could use them within {params.horizon_days} days (the whole {level} interval below 10%"
        + (f": {_names(below)}" if len(below) else "") + f"); {totals['features_never_used']} "
        f"{'was' if totals['features_never_used'] == 1 else 'were'} never used at all"
        + (f" ({_names(never)})." if len(never) else ".")
    ]
    if result.features_suppressed:
        sentences[0] += (
            f" {result.features_suppressed} more {'feature' if result.features_suppressed == 1 else 'features'} "
            f"could be used by fewer than {params.min_n} people (an audience of a small department) and "
            f"{'is' if result.features_suppressed == 1 else 'are'} not shown, so that no figure describes so few."
        )
    measured = features[features["eligible_users"] > 0].dropna(subset=["adoption"])
    if len(measured):
        best = measured.loc[measured["adoption"].idxmax()]
        sentences.append(
            f"The most adopted, {best['name']}, was used by {_share(best, 'adoption')} "
            f"of eligible users within {best['horizon_days']} days ({level} intervals); median time to first use "
            f"{days_with_interval(best['median_days_to_first_use'], best['median_days_low'], best['median_days_high'])}."
        )
    habits = measured.dropna(subset=["habitual_share"])
    if len(habits):
        top = habits.loc[habits["habitual_share"].idxmax()]
        sentences.append(
            f"Habit (used in {params.habit_min_weeks} of the last {params.habit_weeks} weeks) is strongest for "
            f"{top['name']}: {_share(top, 'habitual_share')} "
            f"of its adopters."
        )
    replacing = [row for row in features.itertuples() if pd.notna(row.old_way_users) and pd.notna(row.switched_share)]
    if replacing:
        # One sentence for every replacement, so the summary stays at five sentences at most; the old-way
        # table says how many still use the old way.
        moved = "; ".join(f"{row.name} {_share(row, 'switched_share')}" for row in replacing)
        sentences.append(
            f"Of the recent users of a feature that a new one replaces, these moved to the new one ({level} "
            f"intervals): {moved}."
        )
    recent = features[~features["horizon_reached"]]
    if len(recent):
        sentences.append(
            f"{len(recent)} {'feature was' if len(recent) == 1 else 'features were'} released fewer than "
            f"{params.horizon_days} days before {result.as_of:%Y-%m-%d} and {'is' if len(recent) == 1 else 'are'} "
            f"measured at the latest horizon possible ({_names(recent)}: "
            + ", ".join(f"{h} days" for h in recent["horizon_days"]) + ")."
        )
    return sentences


def feature_table(result: Result) -> Table:
    """Per feature: eligible users, adoption at the horizon, median time to first use and habit, with intervals."""
    features = result.features
    level = _level(result)
    rows = pd.DataFrame(
        {
            "Feature": features["feature_id"] + " " + features["name"],
            "Application": features["application"],
            "Released": [f"{d:%Y-%m-%d}" for d in features["released"]],
            "Eligible users": [f"{n:,}" for n in features["eligible_users"]],
            "Horizon (days)": [f"{h}" + ("" if reached else " (latest possible)")
                               for h, reached in zip(features["horizon_days"], features["horizon_reached"])],
            f"Adoption ({level} interval)": [
                "no eligible user" if n == 0 else with_interval(v, lo, hi, percent)
                for n, v, lo, hi in zip(features["eligible_users"], features["adoption"], features["adoption_low"],
                                        features["adoption_high"])
            ],
            "Median days to first use": [
                "—" if n == 0 or never else days_with_interval(v, lo, hi)
                for n, never, v, lo, hi in zip(features["eligible_users"], features["never_used"],
                                               features["median_days_to_first_use"], features["median_days_low"],
                                               features["median_days_high"])
            ],
            f"Habitual adopters ({level} interval)": [
                f"not shown: {n:,} adopters, fewer than {result.params.min_n}" if hidden
                else with_interval(v, lo, hi, percent) + f" of {n:,}" if n else "—"
                for n, hidden, v, lo, hi in zip(features["habit_base"], _flags(features, "habit_hidden"),
                                                features["habitual_share"], features["habitual_share_low"],
                                                features["habitual_share_high"])
            ],
            "Below 10%": ["never used" if never else "yes" if below else ""
                          for never, below in zip(features["never_used"], features["below_10pct"])],
        }
    )
    return Table(rows, caption=f"Adoption per feature (share of eligible users, {level} intervals; days)", max_rows=None)


def _flags(frame: pd.DataFrame, column: str) -> list[bool]:
    """A boolean column as a list, all False where a frame (built before it existed) lacks it."""
    return [bool(v) for v in frame[column]] if column in frame else [False] * len(frame)


def old_way_table(result: Result) -> Table:
    """Per feature that replaces another: the old way's recent users, who moved and who still use the old way."""
    frame = result.features[result.features["replaced_feature_id"].notna()]
    level = _level(result)
    too_few = f"not shown: fewer than {result.params.min_n} users"
    rows = pd.DataFrame(
        {
            "New feature": frame["feature_id"] + " " + frame["name"],
            "Replaces": frame["replaced_feature_id"] + " " + frame["replaced_name"].fillna("(not listed)"),
            "Recent users of the old way": [f"{int(n):,}" for n in frame["old_way_users"]],
            f"Used the new feature ({level} interval)": [
                too_few if hidden else with_interval(v, lo, hi, percent)
                for hidden, v, lo, hi in zip(_flags(frame, "switching_hidden"), frame["switched_share"],
                                             frame["switched_share_low"], frame["switched_share_high"])
            ],
            f"Still use the old way ({level} interval)": [
                too_few if hidden else with_interval(v, lo, hi, percent)
                for hidden, v, lo, hi in zip(_flags(frame, "switching_hidden"), frame["still_using_old_share"],
                                             frame["still_using_old_share_low"], frame["still_using_old_share_high"])
            ],
        }
    )
    return Table(rows, caption=f"The old way (share of its recent users still active, {level} intervals)", max_rows=None)


def department_table(result: Result) -> Table:
    """Adoption per feature and department with its interval; lagging departments marked."""
    frame = result.departments
    level = _level(result)
    rows = pd.DataFrame(
        {
            "Feature": frame["feature_id"] + " " + frame["name"],
            "Department": frame["department"],
            "Eligible users": [f"{int(n):,}" for n in frame["eligible_users"]],
            f"Adoption ({level} interval)": [
                with_interval(v, lo, hi, percent)
                for v, lo, hi in zip(frame["adoption"], frame["adoption_low"], frame["adoption_high"])
            ],
            "Lagging": ["yes" if lagging else "" for lagging in frame["lagging"]],
        }
    )
    return Table(rows, caption=f"Adoption per department (share of eligible users, {level} intervals)", max_rows=None)


def department_note(result: Result) -> str:
    """Which departments lag, and how many feature-department pairs were too small to show."""
    params = result.params
    if not params.departments:
        return "Adoption is not broken down by department (parameter departments is false)."
    lagging = result.departments[result.departments["lagging"]]
    text = (
        "No department lags: no department's interval lies wholly below its feature's overall adoption."
        if lagging.empty
        else "Lagging (the department's whole interval below the feature's overall adoption): "
        + "; ".join(f"{row.department} for {row.name}" for row in lagging.itertuples()) + "."
    )
    if len(result.departments):
        text += (
            f" {len(result.departments)} departments were compared with their feature's overall adoption; where a "
            f"department does not really differ, its whole {_level(result)} interval still falls below in about "
            f"{(1 - params.confidence) / 2:.1%} of comparisons, so expect about "
            f"{len(result.departments) * (1 - params.confidence) / 2:.1f} such flags by chance."
        )
    if result.departments_suppressed:
        text += (
            f" {result.departments_suppressed} feature-department "
            f"{'pair is' if result.departments_suppressed == 1 else 'pairs are'} not shown: fewer than "
            f"{params.min_n} eligible users, or hidden with them so that none can be worked out from the "
            "feature's total."
        )
    return text


def engine_note(result: Result) -> str:
    """How much reached Python: per-user rows only, counted in the query engine."""
    return (
        f"Usage was counted in DuckDB; {result.rows_in_pandas:,} per-user rows (first use and weeks used per user "
        "and feature, and the old way's recent users) reached pandas, however long the usage log."
    )


def _feature_record(row: pd.Series) -> dict[str, Any]:
    record = {key: to_jsonable(row[key]) for key in FEATURE_FIELDS if key in row and key != "median_reached"}
    record["released"] = pd.Timestamp(row["released"]).isoformat()
    record["median_reached"] = None if row["eligible_users"] == 0 else bool(pd.notna(row["median_days_to_first_use"]))
    return {key: record[key] for key in FEATURE_FIELDS}


#: The unit of each figure of ``results.json``, by key (see :mod:`helpers.analysis.results`).
UNITS = {
    **dict.fromkeys(("eligible_users", "adopters"), "users"),
    **dict.fromkeys(("adoption", "adoption_low", "adoption_high", "habitual_share", "habitual_share_low",
                     "habitual_share_high", "switched_share", "switched_share_low", "switched_share_high",
                     "still_using_old_share", "still_using_old_share_low", "still_using_old_share_high"), SHARE),
    **dict.fromkeys(("horizon_days", "median_days_to_first_use", "median_days_low", "median_days_high"), "days"),
    **dict.fromkeys(("features", "features_never_used", "features_below_10pct", "features_suppressed"), "features"),
    "departments_suppressed": "feature-department pairs",
}


def results(result: Result) -> dict[str, Any]:
    """The run's figures for ``results.json`` in the common layout: shares from 0 to 1 with their intervals, days.

    After ``analysis``, ``parameters``, ``period`` (the first release analysed to ``as_of``) and
    ``units``: ``features`` (one entry per feature, fields :data:`FEATURE_FIELDS`; a median not
    reached is null with ``median_reached`` false; switching shares are null for a feature that
    replaces nothing), ``totals`` (``features``, ``features_never_used``, ``features_below_10pct``,
    ``features_suppressed``: features fewer than ``min_n`` people could use, left out), ``by_department``
    (shown departments only), ``departments_suppressed`` and ``counted_until`` (the moment usage stops
    counting and eligibility ends: the end of ``as_of``, or the last usage row).
    """
    figures = {
        "features": [_feature_record(row) for _, row in result.features.iterrows()],
        "totals": result.totals,
        "by_department": [
            {key: to_jsonable(row[key]) for key in ("feature_id", "department", "eligible_users", "adoption",
                                                     "adoption_low", "adoption_high", "lagging")}
            for _, row in result.departments.iterrows()
        ],
        "departments_suppressed": result.departments_suppressed,
        "counted_until": result.as_of.isoformat(),
    }
    first = result.release_span[0] if result.release_span else result.features["released"].min()
    # With every feature too small to show, the per-feature figures are absent, and so are their units.
    present = set(figure_keys(figures))
    return results_layout(
        "feature_adoption", result.params, period=(first, result.as_of),
        units={key: unit for key, unit in UNITS.items() if key in present}, figures=figures,
    )
