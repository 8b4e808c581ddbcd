"""Adoption statistics on per-user rows: Kaplan-Meier time to first use, and Wilson shares.

Every function takes, per eligible user, ``days`` (from becoming eligible to first use, or to
leaving or ``as_of`` when they never used it) and ``adopted`` (whether ``days`` ends in a first
use). Users who became eligible late or left are censored, not counted as non-adopters.
Adoption is a share from 0 to 1; times are in days.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.stats.proportion import proportion_confint

__all__ = ["Share", "adoption_at", "adoption_curve", "median_days", "wilson", "naive_share"]


class Share(NamedTuple):
    """A share from 0 to 1 with its interval (NaN when there is nobody to measure)."""

    value: float
    low: float
    high: float


_NOTHING = Share(np.nan, np.nan, np.nan)


def wilson(successes: int, n: int, *, confidence: float = 0.95) -> Share:
    """``successes / n`` with its Wilson score interval (statsmodels ``proportion_confint``)."""
    if n <= 0:
        return _NOTHING
    low, high = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    # Exactly 0 and 1 at the ends (the formula leaves rounding dust such as 4e-19).
    low = 0.0 if successes == 0 else float(max(low, 0.0))
    high = 1.0 if successes == n else float(min(high, 1.0))
    return Share(successes / n, low, high)


def _fit(days: np.ndarray, adopted: np.ndarray) -> SurvfuncRight:
    return SurvfuncRight(np.asarray(days, dtype=float), np.asarray(adopted, dtype=float))


def _step(fit: SurvfuncRight, horizon: float) -> tuple[float, float]:
    """Survival and its Greenwood standard error just after ``horizon`` days (1 and 0 before any use)."""
    times = np.asarray(fit.surv_times)
    position = np.searchsorted(times, horizon, side="right") - 1
    if position < 0:
        return 1.0, 0.0
    return float(fit.surv_prob[position]), float(fit.surv_prob_se[position])


def adoption_at(days: np.ndarray, adopted: np.ndarray, horizon: float, *, confidence: float = 0.95) -> Share:
    """Share of eligible users who used the feature within ``horizon`` days: ``1 - S(horizon)``.

    The interval is the Kaplan-Meier pointwise interval on the complementary log-log scale,
    ``S ** exp(+-z se / (S |log S|))`` (Greenwood ``se``), turned into adoption and clipped to
    [0, 1]. Where that interval degenerates (no user adopted by the horizon, or every user whose
    status at the horizon is known did), the Wilson interval of adopters among those users is
    used instead, so a never-used feature still gets an upper bound.
    """
    days = np.asarray(days, dtype=float)
    adopted = np.asarray(adopted, dtype=bool)
    if len(days) == 0:
        return _NOTHING
    survival, se = _step(_fit(days, adopted), horizon)
    if 0 < survival < 1 and se > 0:
        z = stats.norm.ppf(0.5 + confidence / 2)
        spread = z * se / (survival * abs(np.log(survival)))
        low, high = 1 - survival ** np.exp(-spread), 1 - survival ** np.exp(spread)
        return Share(1 - survival, float(np.clip(low, 0, 1)), float(np.clip(high, 0, 1)))
    by_horizon = adopted & (days <= horizon)
    known = int((by_horizon | (days >= horizon)).sum())
    interval = wilson(int(by_horizon.sum()), known, confidence=confidence)
    return Share(1 - survival, interval.low, interval.high)


def adoption_curve(days: np.ndarray, adopted: np.ndarray, *, until: float) -> pd.DataFrame:
    """The Kaplan-Meier adoption curve, ``1 - S(t)``, as steps from day 0 to ``until``.

    Returns
    -------
    DataFrame
        ``days`` and ``adoption`` (0 to 1), one row per day a first use happened plus both ends.
    """
    days = np.asarray(days, dtype=float)
    if len(days) == 0:
        return pd.DataFrame({"days": [0.0, float(until)], "adoption": [np.nan, np.nan]})
    fit = _fit(days, adopted)
    times = np.asarray(fit.surv_times, dtype=float)
    keep = times <= until
    curve_days = np.concatenate([[0.0], times[keep], [float(until)]])
    values = np.concatenate([[0.0], 1 - np.asarray(fit.surv_prob)[keep]])
    values = np.concatenate([values, values[-1:]])
    return pd.DataFrame({"days": curve_days, "adoption": values})


def median_days(days: np.ndarray, adopted: np.ndarray, *, confidence: float = 0.95) -> Share:
    """Median days from eligibility to first use, with its interval; NaN where not reached.

    The estimate is the Kaplan-Meier median (NaN when fewer than half of the eligible users are
    estimated to have adopted by the end of follow-up); the interval inverts the pointwise test on
    the complementary log-log scale (statsmodels ``quantile_ci``). An upper end that is not
    reached is NaN.
    """
    days = np.asarray(days, dtype=float)
    adopted = np.asarray(adopted, dtype=bool)
    if not adopted.any():
        return _NOTHING
    fit = _fit(days, adopted)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = fit.quantile(0.5)
        low, high = fit.quantile_ci(0.5, alpha=1 - confidence, method="cloglog")
    return Share(*(float(v) if np.isfinite(v) else np.nan for v in (value, low, high)))


def naive_share(days: np.ndarray, adopted: np.ndarray, horizon: float) -> float:
    """Adopters within ``horizon`` days among all eligible users, censored users counted as non-adopters.

    Biased down wherever users joined late or left; kept only to show what censoring corrects.
    """
    days = np.asarray(days, dtype=float)
    adopted = np.asarray(adopted, dtype=bool)
    return float((adopted & (days <= horizon)).mean()) if len(days) else np.nan
