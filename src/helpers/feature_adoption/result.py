"""What the adoption analysis found: the result type, apart from the code that computes or formats it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from helpers.feature_adoption.parameters import Parameters

__all__ = ["Result"]


@dataclass(frozen=True)
class Result:
    """Everything the report shows; built by :func:`analyse`.

    Shares (adoption, habit, switching) are from 0 to 1; times are in days. Every count is as
    published, with the cell-key method's noise (:mod:`helpers.cell_key`, within 2 of the exact
    count); adoption, curves and medians come from a life table of such counts per whole day.

    Attributes
    ----------
    params : Parameters
    as_of : Timestamp
        The moment eligibility ends for everyone still active (wall-clock time in ``timezone``).
    release_window : tuple of date or None
        The ``release`` parameter, or None for every feature.
    features : DataFrame
        One row per feature analysed, in release order: ``feature_id``, ``name``, ``application``,
        ``released``, ``audience``, ``eligible_users``, ``adopters`` (used it at least once by
        ``as_of``), ``adoption`` with ``adoption_low``/``adoption_high`` (Kaplan-Meier, at
        ``horizon_days``), ``naive_adoption`` (censored users counted as non-adopters, for the
        method note only), ``horizon_days`` and ``horizon_reached`` (False when the feature is
        too recent for the full horizon), ``median_days_to_first_use`` with ``median_days_low``/
        ``median_days_high`` (NaN: not reached within the horizon), ``habit_base``, ``habitual_share`` with
        ``_low``/``_high`` (Wilson), ``replaced_feature_id``, ``replaced_name``, ``old_way_users``,
        ``switched_share`` and ``still_using_old_share`` with ``_low``/``_high`` (Wilson),
        ``never_used`` and ``below_10pct`` (bool); ``habit_hidden`` and ``switching_hidden`` (bool: the
        habit or switching shares left empty, their base holding 1 to ``min_n - 1`` people).
    curves : DataFrame
        ``feature_id``, ``name``, ``days``, ``adoption``: each feature's Kaplan-Meier adoption curve, in steps
        at whole days (a first use on day ``j`` after becoming eligible counts at ``j``).
    departments : DataFrame
        One row per feature and department shown (at least ``min_n`` eligible users, and not hidden as a complement):
        ``feature_id``, ``name``, ``department``, ``eligible_users``, ``adoption`` with
        ``adoption_low``/``adoption_high``, ``lagging`` (interval wholly below the feature's overall adoption).
    departments_suppressed : int
        Feature-department pairs not shown: those with 1 to ``min_n - 1`` eligible users, and the smallest others
        of the same feature hidden with them, so that the hidden ones hold at least ``min_n`` users together.
    rows_in_pandas : int
        Per-user rows that came back from the query engine (first uses and old-way users).
    quality_notes : list of QualityNote
    features_suppressed : int
        Features that 1 to ``min_n - 1`` people could use (an audience of one small department): counted,
        left out of ``features``, ``curves`` and ``departments``, so that no line describes fewer than ``min_n``.
    release_span : tuple of Timestamp or None
        The first and the last release among all the features analysed, shown or not.
    """

    params: Parameters
    as_of: pd.Timestamp
    release_window: tuple[dt.date, dt.date] | None
    features: pd.DataFrame
    curves: pd.DataFrame
    departments: pd.DataFrame
    departments_suppressed: int
    rows_in_pandas: int
    quality_notes: list[Any] = field(default_factory=list)
    features_suppressed: int = 0
    release_span: tuple[pd.Timestamp, pd.Timestamp] | None = None

    @property
    def totals(self) -> dict[str, int]:
        """``features`` shown, ``features_never_used``, ``features_below_10pct`` (upper bound under 10%) and
        ``features_suppressed`` (fewer than ``min_n`` eligible users: not shown)."""
        return {
            "features": len(self.features),
            "features_never_used": int(self.features["never_used"].sum()),
            "features_below_10pct": int(self.features["below_10pct"].sum()),
            "features_suppressed": self.features_suppressed,
        }
