"""Adoption statistics: Kaplan-Meier time to first use from a life table, and Wilson shares.

Per eligible user, ``days`` runs from becoming eligible to first use, or to leaving or ``as_of``
when they never used it, and ``adopted`` says whether ``days`` ends in a first use. Users who
became eligible late or left are censored, not counted as non-adopters. Adoption is a share from
0 to 1; times are in days.

What is published is a *life table* (:func:`life_table`): per whole day ``j`` (``[j, j + 1)``)
up to the horizon, the first uses and the censorings that fell in it, and everyone followed to
the horizon as one censored cell there, each count with the cell-key method's noise
(:mod:`helpers.cell_key`). Exact first-use times and exact steps would let two runs of another
``as_of`` be differenced into one day's adopters. Kaplan-Meier is fitted on the table (statsmodels
``SurvfuncRight`` with frequency weights; censorings of a day count at risk on that day), and its
variance is Greenwood's plus the noise's, by the delta method (:func:`log_survival_variance`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from helpers import cell_key
from helpers.perturbed_shares import wilson_interval

__all__ = ["Share", "life_table", "log_survival_variance", "adoption_at", "adoption_curve", "median_days", "wilson",
           "naive_share"]


class Share(NamedTuple):
    """A share from 0 to 1 with its interval (NaN when there is nobody to measure)."""

    value: float
    low: float
    high: float


_NOTHING = Share(np.nan, np.nan, np.nan)


def wilson(successes: int, n: int, *, confidence: float = 0.95, noise_variance: float = 0.0) -> Share:
    """``successes / n`` with its Wilson score interval, widened by the noise of perturbed counts.

    ``noise_variance`` is the variance of the noise on each count (:data:`helpers.cell_key.VARIANCE`
    for published counts, 0 for exact ones); see :func:`helpers.perturbed_shares.wilson_interval`.
    """
    if n <= 0:
        return _NOTHING
    interval = wilson_interval([successes], [n], confidence=confidence, noise_variance=noise_variance)
    low, high = float(interval.low[0]), float(interval.high[0])
    # Exactly 0 and 1 at the ends (the formula leaves rounding dust such as 4e-19).
    low = 0.0 if successes == 0 else max(low, 0.0)
    high = 1.0 if successes == n else min(high, 1.0)
    return Share(successes / n, low, high)


def life_table(
    days: np.ndarray, adopted: np.ndarray, *, horizon: float, keys: np.ndarray | None = None
) -> pd.DataFrame:
    """First uses and censorings per whole day up to ``horizon``, perturbed when record keys are given.

    Parameters
    ----------
    days, adopted : array-like
        Per eligible user (days, and whether they end in a first use).
    horizon : float
        Days; whoever is followed that long is one censored cell at ``horizon``, whatever came after.
    keys : array-like of int, optional
        Each user's record key (:func:`helpers.cell_key.frame_record_keys`); each cell's count is then
        perturbed by the sum of its users' keys (:func:`helpers.cell_key.perturb`). None: exact counts.

    Returns
    -------
    DataFrame
        ``day`` (the bin's first day, or ``horizon``), ``events`` and ``censored`` (counts), one row per
        day with any count, ascending.
    """
    days = np.asarray(days, dtype=float)
    followed = days >= horizon
    day = np.where(followed, float(horizon), np.floor(days))
    unique_days, position = np.unique(day, return_inverse=True)
    # Column 0 holds each day's censorings, column 1 its first uses.
    cell = position.ravel() * 2 + (np.asarray(adopted, dtype=bool) & ~followed)
    counts = np.bincount(cell, minlength=2 * len(unique_days)).astype("int64")
    if keys is not None:
        key_sums = np.zeros(len(counts), dtype="int64")
        np.add.at(key_sums, cell, np.asarray(keys, dtype="int64"))
        counts = cell_key.perturb(counts, key_sums % cell_key.MODULUS)
    counts = counts.reshape(-1, 2)
    table = pd.DataFrame({"day": unique_days, "events": counts[:, 1], "censored": counts[:, 0]})
    return table[(table["events"] > 0) | (table["censored"] > 0)].reset_index(drop=True)


def _fit(table: pd.DataFrame) -> SurvfuncRight | None:
    """Kaplan-Meier on the table's cells as frequency-weighted rows (None when nobody is in it)."""
    weights = np.r_[table["events"], table["censored"]].astype(float)
    if not (weights > 0).any():
        return None
    times = np.r_[table["day"], table["day"]].astype(float)
    status = np.r_[np.ones(len(table)), np.zeros(len(table))]
    present = weights > 0
    return SurvfuncRight(times[present], status[present], freq_weights=weights[present])


def log_survival_variance(table: pd.DataFrame, *, noise_variance: float = 0.0) -> np.ndarray:
    """Variance of ``log S`` at each day of the table: Greenwood's plus the noise on every cell.

    With ``n_j`` the users at risk on day ``j`` (the cells of day ``j`` and later) and
    ``G_k = sum_{j <= k} d_j / (n_j (n_j - d_j))`` (Greenwood's sum), ``log S(t_i)`` moves by
    ``G_k - 1 / (n_k - d_k)`` per first use added to a day ``k <= i``, by ``G_min(k, i)`` per user
    added to any other cell. Noise of ``noise_variance`` on every cell that exists, independent
    between cells, adds ``noise_variance`` times the sum of those derivatives squared (delta method).

    Returns
    -------
    ndarray
        One variance per row of ``table`` (log-survival units squared); inf where ``S`` is 0.
    """
    events = table["events"].to_numpy(dtype=float)
    censored = table["censored"].to_numpy(dtype=float)
    at_risk = np.cumsum((events + censored)[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(np.where(events > 0, events / (at_risk * (at_risk - events)), 0.0))
        by_event = greenwood - np.where(events > 0, 1 / (at_risk - events), 1 / at_risk)
    # Cells of day k <= i, then cells after day i (each moves log S(t_i) by G_i).
    up_to = np.cumsum(np.where(events > 0, by_event**2, 0.0) + np.where(censored > 0, greenwood**2, 0.0))
    cells = (events > 0).astype(int) + (censored > 0)
    later = np.cumsum(cells[::-1])[::-1] - cells
    with np.errstate(invalid="ignore"):
        return greenwood + noise_variance * (up_to + np.where(later > 0, later * greenwood**2, 0.0))


def _at(table: pd.DataFrame, horizon: float, noise_variance: float) -> tuple[float, float]:
    """Survival just after ``horizon`` days and its standard error (1 and 0 before any first use)."""
    fit = _fit(table)
    if fit is None:
        return 1.0, 0.0
    times = np.asarray(fit.surv_times)
    position = np.searchsorted(times, horizon, side="right") - 1
    if position < 0:
        return 1.0, 0.0
    survival = float(fit.surv_prob[position])
    row = np.searchsorted(table["day"].to_numpy(), times[position])
    variance = log_survival_variance(table, noise_variance=noise_variance)[row]
    return survival, float(survival * np.sqrt(variance)) if np.isfinite(variance) else 0.0


def adoption_at(
    table: pd.DataFrame, horizon: float, *, confidence: float = 0.95, noise_variance: float = 0.0
) -> Share:
    """Share of eligible users who used the feature within ``horizon`` days: ``1 - S(horizon)``.

    The interval is the Kaplan-Meier pointwise interval on the complementary log-log scale,
    ``S ** exp(+-z se / (S |log S|))``, with ``se`` from Greenwood plus the noise of the perturbed
    cells (``noise_variance`` per count, :func:`log_survival_variance`), turned into adoption and
    clipped to [0, 1]. Where that interval degenerates (no user adopted by the horizon, or every
    user whose status at the horizon is known did), the Wilson interval of adopters among those
    users is used instead, so a never-used feature still gets an upper bound.

    Parameters
    ----------
    table : DataFrame
        From :func:`life_table` (days in whole days).
    horizon : float
        Days.
    """
    if table.empty:
        return _NOTHING
    survival, se = _at(table, horizon, noise_variance)
    if 0 < survival < 1 and se > 0:
        z = stats.norm.ppf(0.5 + confidence / 2)
        spread = z * se / (survival * abs(np.log(survival)))
        low, high = 1 - survival ** np.exp(-spread), 1 - survival ** np.exp(spread)
        return Share(1 - survival, float(np.clip(low, 0, 1)), float(np.clip(high, 0, 1)))
    by_horizon = int(table.loc[table["day"] <= horizon, "events"].sum())
    known = by_horizon + int(table.loc[table["day"] >= horizon, "censored"].sum())
    interval = wilson(by_horizon, known, confidence=confidence, noise_variance=noise_variance)
    return Share(1 - survival, interval.low, interval.high)


def adoption_curve(table: pd.DataFrame, *, until: float) -> pd.DataFrame:
    """The Kaplan-Meier adoption curve, ``1 - S(t)``, as steps at whole days from day 0 to ``until``.

    Returns
    -------
    DataFrame
        ``days`` and ``adoption`` (0 to 1), one row per day with a first use plus both ends.
    """
    fit = _fit(table)
    if fit is None:
        return pd.DataFrame({"days": [0.0, float(until)], "adoption": [np.nan, np.nan]})
    times = np.asarray(fit.surv_times, dtype=float)
    keep = times <= until
    curve_days = np.concatenate([[0.0], times[keep], [float(until)]])
    values = np.concatenate([[0.0], 1 - np.asarray(fit.surv_prob)[keep]])
    values = np.concatenate([values, values[-1:]])
    return pd.DataFrame({"days": curve_days, "adoption": values})


def median_days(table: pd.DataFrame, *, confidence: float = 0.95, noise_variance: float = 0.0) -> Share:
    """Median days from eligibility to first use (the day it falls in), with its interval; NaN where not reached.

    The estimate is the Kaplan-Meier median (NaN when fewer than half of the eligible users are
    estimated to have adopted within the table's horizon). The interval inverts the pointwise test
    on the complementary log-log scale, as statsmodels ``quantile_ci`` does, but with the standard
    error of :func:`log_survival_variance`: with ``freq_weights`` statsmodels' ``surv_prob_se`` is
    Tsiatis' standard error of the cumulative hazard, not of ``S``, which ``quantile_ci`` takes it
    for, and it knows nothing of the noise. An upper end that is not reached is NaN.
    """
    fit = _fit(table)
    if fit is None or not (table["events"] > 0).any():
        return _NOTHING
    times = np.asarray(fit.surv_times, dtype=float)
    survival = np.asarray(fit.surv_prob, dtype=float)
    variance = log_survival_variance(table, noise_variance=noise_variance)[
        np.searchsorted(table["day"].to_numpy(), times)]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = fit.quantile(0.5)
        # cloglog test of S(t) = 0.5: (log(-log S) - log(-log 0.5)) / (se_S / (S |log S|)), se_S = S sqrt(var).
        statistic = (np.log(-np.log(survival)) - np.log(np.log(2))) * np.abs(np.log(survival)) / np.sqrt(variance)
    inside = np.flatnonzero(np.abs(statistic) <= stats.norm.ppf(0.5 + confidence / 2))
    low = times[inside[0]] if len(inside) else np.nan
    high = times[inside[-1] + 1] if len(inside) and inside[-1] + 1 < len(times) else np.nan
    return Share(*(float(v) if np.isfinite(v) else np.nan for v in (value, low, high)))


def naive_share(table: pd.DataFrame, horizon: float) -> float:
    """First uses within ``horizon`` days among everyone in the table, censored users counted as non-adopters.

    Biased down wherever users joined late or left; kept only to show what censoring corrects.
    """
    total = int(table["events"].sum() + table["censored"].sum())
    return float(table.loc[table["day"] <= horizon, "events"].sum() / total) if total else np.nan
