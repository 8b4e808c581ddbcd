"""Net Promoter Score statistics computed from counts, never from raw responses.

Every function takes counts of detractors (scores 0-6), passives (7-8) and
promoters (9-10), either as three arrays or as one array whose last axis holds
them in that order, and works on any number of periods or groups at once.
Scores are in points from -100 to +100.

A response is coded +1 (promoter), 0 (passive) or -1 (detractor), so NPS is the
mean of those codes and its variance per response is the trinomial
``pP + pD - (pP - pD)**2``. Treating promoters and detractors as two independent
proportions overstates the precision; see ``tests/nps_trends/reference/nps/SOURCE.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

__all__ = [
    "NpsInterval",
    "Estimate",
    "ChangeTests",
    "ADJUSTMENT",
    "DAYS_PER_MONTH",
    "z_value",
    "nps_points",
    "trinomial_variance",
    "wald_interval",
    "adjusted_wald_interval",
    "perturbation_se",
    "change_test",
    "holm_adjust",
    "period_over_period",
    "difference_interval",
    "grouped_ols",
    "linear_trend",
    "SegmentedFit",
    "segmented_design",
    "segmented_regression",
    "stretch_slopes",
]

#: Pseudo-responses added by the adjusted-Wald interval: detractors, passives, promoters (Rocks 2016).
ADJUSTMENT = np.array([0.75, 1.5, 0.75])

#: Mean length of a calendar month in days (365.2425 / 12); trends are reported in points per month.
DAYS_PER_MONTH = 365.2425 / 12


class NpsInterval(NamedTuple):
    """An NPS estimate with its standard error and interval, all in points (arrays or scalars)."""

    nps: np.ndarray
    se: np.ndarray
    low: np.ndarray
    high: np.ndarray


class Estimate(NamedTuple):
    """A regression estimate with its standard error and interval, in the unit the caller states."""

    value: float
    se: float
    low: float
    high: float


class ChangeTests(NamedTuple):
    """Period-over-period changes of a series (arrays aligned with the periods; NaN where not tested).

    Attributes
    ----------
    change : ndarray
        Plain NPS minus the previous period's plain NPS, in points.
    z : ndarray
        The z statistic of each comparison.
    p_value : ndarray
        Two-sided p-value before correction.
    p_value_holm : ndarray
        Holm-adjusted p-value (family: all comparisons in the series).
    significant : ndarray of bool
        ``p_value_holm < 1 - confidence``.
    comparisons : int or ndarray
        How many comparisons the family held.
    """

    change: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    p_value_holm: np.ndarray
    significant: np.ndarray
    comparisons: np.ndarray


def z_value(confidence: float) -> float:
    """The two-sided normal quantile for a confidence level (0.95 -> 1.95996, not the 0.95 quantile)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _counts(counts: np.ndarray | Sequence) -> np.ndarray:
    array = np.asarray(counts, dtype=float)
    if array.shape[-1] != 3:
        raise ValueError("counts need a last axis of length 3: detractors, passives, promoters")
    return array


def _shares(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        detractor_share = counts[..., 0] / n
        promoter_share = counts[..., 2] / n
    return detractor_share, promoter_share, n


def nps_points(counts: np.ndarray | Sequence) -> np.ndarray:
    """Plain NPS in points: 100 x (promoters - detractors) / responses; NaN where there are none.

    Parameters
    ----------
    counts : array-like, shape (..., 3)
        Detractors, passives, promoters.
    """
    detractor_share, promoter_share, _ = _shares(_counts(counts))
    return 100 * (promoter_share - detractor_share)


def trinomial_variance(counts: np.ndarray | Sequence) -> np.ndarray:
    """Variance of one response coded +1/0/-1, ``pP + pD - (pP - pD)**2`` (share units, not points)."""
    detractor_share, promoter_share, _ = _shares(_counts(counts))
    return promoter_share + detractor_share - (promoter_share - detractor_share) ** 2


def perturbation_se(counts: np.ndarray | Sequence, *, noise_variance: float) -> np.ndarray:
    """Standard error (points) that noise of ``noise_variance`` on each of the three counts adds to NPS.

    Published counts carry the cell-key method's noise (:mod:`helpers.cell_key`). By the delta
    method, with ``m`` the NPS as a share and ``n`` the responses, NPS moves by ``(1 - m) / n``
    per promoter, ``-(1 + m) / n`` per detractor and ``-m / n`` per passive, so the noise adds
    ``noise_variance x (2 + 3 m**2) / n**2`` to its variance.
    """
    detractor_share, promoter_share, n = _shares(_counts(counts))
    share = promoter_share - detractor_share
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100 * np.sqrt(noise_variance * (2 + 3 * share**2)) / n


def _interval(counts: np.ndarray, confidence: float, noise_variance: float = 0.0) -> NpsInterval:
    detractor_share, promoter_share, n = _shares(counts)
    nps = 100 * (promoter_share - detractor_share)
    variance = promoter_share + detractor_share - (promoter_share - detractor_share) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        se = 100 * np.sqrt(variance / n)
    if noise_variance:
        se = np.hypot(se, perturbation_se(counts, noise_variance=noise_variance))
    margin = z_value(confidence) * se
    return NpsInterval(nps, se, nps - margin, nps + margin)


def wald_interval(counts: np.ndarray | Sequence, *, confidence: float = 0.95) -> NpsInterval:
    """The Wald interval on the observed counts: plain NPS plus or minus z x SE (points).

    Too narrow for small samples and extreme shares; reports use :func:`adjusted_wald_interval`.
    """
    return _interval(_counts(counts), confidence)


def adjusted_wald_interval(
    counts: np.ndarray | Sequence, *, confidence: float = 0.95, noise_variance: float = 0.0
) -> NpsInterval:
    """The adjusted-Wald interval: add 0.75 detractors, 1.5 passives, 0.75 promoters, then Wald (points).

    The returned ``nps`` is the adjusted estimate ``100 (P - D) / (n + 3)``, the centre of the
    interval; reports show the plain NPS beside this interval. Bounds are not clipped to
    [-100, 100]; clip only for display. ``noise_variance`` (counts squared, per count) widens
    the interval for counts published with noise (:func:`perturbation_se`).
    """
    return _interval(_counts(counts) + ADJUSTMENT, confidence, noise_variance)


def _normal_p_value(z: np.ndarray) -> np.ndarray:
    return 2 * stats.norm.sf(np.abs(z))


def change_test(
    before: np.ndarray | Sequence, after: np.ndarray | Sequence, *, noise_variance: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z-test of the change in NPS between two independent samples.

    ``z = (NPS_after - NPS_before) / sqrt(var_before / n_before + var_after / n_after)`` with each
    sample's trinomial variance taken from its adjusted counts (never zero, and slightly
    conservative when a small sample is all promoters), plus the variance of the counts' noise
    when they were published perturbed (``noise_variance`` per count).

    Returns
    -------
    change : ndarray
        Plain NPS after minus before, in points.
    z : ndarray
    p_value : ndarray
        Two-sided, uncorrected.
    """
    before, after = _counts(before), _counts(after)
    change = nps_points(after) - nps_points(before)
    se = np.hypot(adjusted_wald_interval(before, noise_variance=noise_variance).se,
                  adjusted_wald_interval(after, noise_variance=noise_variance).se)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = change / se
    return change, z, _normal_p_value(z)


def holm_adjust(p_values: np.ndarray | Sequence) -> np.ndarray:
    """Holm step-down adjusted p-values of one family; NaN entries are not tests and stay NaN.

    Uses ``statsmodels.stats.multitest.multipletests(method="holm")``.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"holm_adjust takes one family (a 1-D array); got shape {p.shape}")
    adjusted = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        adjusted[tested] = multipletests(p[tested], method="holm")[1]
    return adjusted


def _holm_adjust_rows(p_values: np.ndarray) -> np.ndarray:
    """Holm adjustment of every row of a 2-D array at once, for simulations of thousands of series.

    Equal to :func:`holm_adjust` row by row (a test checks); exists only because
    ``multipletests`` runs ``gc.collect()`` on every call (about 75 ms each here), which makes a
    per-row loop over thousands of simulated series impractical. Reports use :func:`holm_adjust`.
    """
    p = np.asarray(p_values, dtype=float)
    missing = np.isnan(p)
    family_size = (~missing).sum(axis=-1, keepdims=True)
    order = np.argsort(np.where(missing, np.inf, p), axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1)
    step = family_size - np.arange(p.shape[-1])
    adjusted_ranked = np.minimum(1.0, np.fmax.accumulate(step * ranked, axis=-1))
    adjusted_ranked = np.where(np.isnan(ranked), np.nan, adjusted_ranked)
    adjusted = np.empty_like(p)
    np.put_along_axis(adjusted, order, adjusted_ranked, axis=-1)
    return adjusted


def period_over_period(
    counts: np.ndarray | Sequence,
    *,
    reportable: np.ndarray | Sequence,
    confidence: float = 0.95,
    noise_variance: float = 0.0,
) -> ChangeTests:
    """Compare each period with the one before it, Holm-corrected over the whole series.

    Parameters
    ----------
    counts : array-like, shape (..., periods, 3)
        Detractors, passives, promoters of each period, in time order.
    reportable : array-like of bool, shape (..., periods)
        Periods with enough responses to show; a comparison needs both periods reportable.
    confidence : float
        A change is significant when its Holm-adjusted p-value is below ``1 - confidence``.
    noise_variance : float
        Variance of the noise on each published count (:data:`helpers.cell_key.VARIANCE`), 0 for exact counts.
    """
    counts = _counts(counts)
    reportable = np.asarray(reportable, dtype=bool)
    shape = counts.shape[:-1]
    change = np.full(shape, np.nan)
    z = np.full(shape, np.nan)
    p_value = np.full(shape, np.nan)
    if shape[-1] > 1:
        tested = reportable[..., 1:] & reportable[..., :-1]
        c, zz, pp = change_test(counts[..., :-1, :], counts[..., 1:, :], noise_variance=noise_variance)
        change[..., 1:] = np.where(tested, c, np.nan)
        z[..., 1:] = np.where(tested, zz, np.nan)
        p_value[..., 1:] = np.where(tested, pp, np.nan)
    # One report is one family (statsmodels); a stack of simulated series adjusts row by row at once.
    p_holm = holm_adjust(p_value) if p_value.ndim == 1 else _holm_adjust_rows(p_value.reshape(-1, shape[-1])).reshape(shape)
    significant = np.nan_to_num(p_holm, nan=1.0) < 1 - confidence
    return ChangeTests(change, z, p_value, p_holm, significant, (~np.isnan(p_value)).sum(axis=-1))


def difference_interval(
    reference: np.ndarray | Sequence,
    other: np.ndarray | Sequence,
    *,
    confidence: float = 0.95,
    noise_variance: float = 0.0,
) -> Estimate:
    """Plain NPS of ``other`` minus plain NPS of ``reference``, with its interval (points).

    The estimate is the difference of the plain NPS values the report's tables show; its
    standard error is that of the period-over-period z-test (:func:`change_test`): each group's
    trinomial variance from its adjusted-Wald counts, plus the noise of perturbed counts
    (``noise_variance`` per count), summed (independent groups).
    """
    reference, other = _counts(reference), _counts(other)
    value = float(nps_points(other) - nps_points(reference))
    se = float(np.hypot(adjusted_wald_interval(reference, noise_variance=noise_variance).se,
                        adjusted_wald_interval(other, noise_variance=noise_variance).se))
    margin = z_value(confidence) * se
    return Estimate(value, se, value - margin, value + margin)


# --- regression on responses coded +100 / 0 / -100 -----------------------------------------


def grouped_ols(
    design: np.ndarray, outcome: np.ndarray, weights: np.ndarray, *, cov_type: str = "HC1",
    noise_variance: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Least squares on grouped rows with frequency weights and a heteroskedasticity-robust covariance.

    Not ``statsmodels`` on purpose: ``OLS`` needs one row per response, and expanding the
    counts back into responses is what running the statistics on counts avoids (10 million
    responses); ``WLS`` reads weights as precisions, not frequencies (robust standard errors
    about 2x off), and ``GLM(freq_weights=...)`` matches HC0 but takes the grouped rows for the
    HC1 degrees of freedom and HC2/HC3 leverages (0.2-0.6% off on the test data). Tests check
    this function against ``OLS`` on the expanded responses (to 1e-10).

    Each row stands for ``weights[i]`` identical responses, so the estimates and the
    HC0-HC3 sandwich covariances equal those of ordinary least squares on the expanded
    individual responses exactly (every response in a group has the same residual and leverage).

    Parameters
    ----------
    design : ndarray, shape (groups, k)
    outcome : ndarray, shape (groups,)
    weights : ndarray, shape (groups,)
        Number of responses in each group.
    cov_type : {"HC0", "HC1", "HC2", "HC3"}
        HC1 (the default) scales HC0 by ``n / (n - k)``, with ``n`` the number of responses.
    noise_variance : float
        Variance of independent noise on each weight (counts published with the cell-key method,
        :data:`helpers.cell_key.VARIANCE`), 0 for exact counts. A weight's effect on the estimates
        is one response's influence, ``bread x_i r_i``, so the noise adds ``noise_variance x_i x_i'
        r_i**2`` per group to the meat: the groups' weights in the sandwich become ``w_i + noise_variance``.

    Returns
    -------
    coef : ndarray, shape (k,)
    cov : ndarray, shape (k, k)
    """
    design = np.asarray(design, dtype=float)
    outcome = np.asarray(outcome, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = weights > 0
    design, outcome, weights = design[keep], outcome[keep], weights[keep]
    n, k = weights.sum(), design.shape[1]
    bread = np.linalg.inv(design.T @ (weights[:, None] * design))
    coef = bread @ (design.T @ (weights * outcome))
    residual = outcome - design @ coef
    squared = residual**2
    if cov_type in ("HC2", "HC3"):
        leverage = np.einsum("ij,jk,ik->i", design, bread, design)
        squared = squared / (1 - leverage) ** (1 if cov_type == "HC2" else 2)
    elif cov_type not in ("HC0", "HC1"):
        raise ValueError(f"cov_type must be HC0, HC1, HC2 or HC3, got {cov_type!r}")
    meat = design.T @ ((weights * squared)[:, None] * design)
    cov = bread @ meat @ bread
    if cov_type == "HC1":
        cov = cov * n / (n - k)
    if noise_variance:
        cov = cov + bread @ (design.T @ ((noise_variance * residual**2)[:, None] * design)) @ bread
    return coef, cov


def _long_form(days: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Daily counts to one row per (day, category): time in months, outcome in points, weight."""
    codes = np.array([-100.0, 0.0, 100.0])
    months = np.repeat(np.asarray(days, dtype=float) / DAYS_PER_MONTH, 3)
    outcome = np.tile(codes, len(days))
    weights = np.asarray(counts, dtype=float).reshape(-1)
    return months, outcome, weights


def _estimate(coef: np.ndarray, cov: np.ndarray, index: int, confidence: float) -> Estimate:
    value, se = float(coef[index]), float(np.sqrt(cov[index, index]))
    margin = z_value(confidence) * se
    return Estimate(value, se, value - margin, value + margin)


def linear_trend(
    days: np.ndarray | Sequence, counts: np.ndarray | Sequence, *, confidence: float = 0.95, cov_type: str = "HC1",
    noise_variance: float = 0.0,
) -> Estimate:
    """Straight-line trend of NPS in points per month, from responses coded +100/0/-100.

    Parameters
    ----------
    days : array-like, shape (d,)
        Day of each row of counts, as days since any fixed origin (e.g. the window's first day).
    counts : array-like, shape (d, 3)
        Detractors, passives, promoters answering on that day.
    noise_variance : float
        Variance of the noise on each count when they are published perturbed (see :func:`grouped_ols`).

    Returns
    -------
    Estimate
        The slope in points per month with its robust (HC) interval.
    """
    months, outcome, weights = _long_form(np.asarray(days), _counts(counts))
    design = np.column_stack([np.ones_like(months), months])
    coef, cov = grouped_ols(design, outcome, weights, cov_type=cov_type, noise_variance=noise_variance)
    return _estimate(coef, cov, 1, confidence)


class SegmentedFit(NamedTuple):
    """Result of :func:`segmented_regression`.

    Attributes
    ----------
    level_changes, trend_changes : list of Estimate
        Per event, in the order given: the jump in NPS at the event date (points) and the change
        of slope after it (points per month).
    coef, cov : ndarray
        All coefficients: intercept, slope, then (level, slope change) per event.
    """

    level_changes: list[Estimate]
    trend_changes: list[Estimate]
    coef: np.ndarray
    cov: np.ndarray


def segmented_design(days: np.ndarray, event_days: Sequence[float]) -> np.ndarray:
    """Design matrix of the segmented regression: 1, t, then per event a step and a slope change.

    ``t`` is in months; a step is 1 from the event day on.
    """
    months = np.asarray(days, dtype=float) / DAYS_PER_MONTH
    columns = [np.ones_like(months), months]
    for event_day in event_days:
        after = (np.asarray(days, dtype=float) >= event_day).astype(float)
        columns += [after, after * (months - event_day / DAYS_PER_MONTH)]
    return np.column_stack(columns)


def segmented_regression(
    days: np.ndarray | Sequence,
    counts: np.ndarray | Sequence,
    event_days: Sequence[float],
    *,
    confidence: float = 0.95,
    cov_type: str = "HC1",
    noise_variance: float = 0.0,
) -> SegmentedFit:
    """Interrupted time series: level and slope change at each event, beyond the trend before it.

    Fits ``y = a + b t + sum_k (c_k step_k + d_k (t - t_k) step_k)`` to responses coded
    +100/0/-100 (grouped by day, frequency-weighted, HC covariance). ``c_k`` is the level
    change at event ``k`` in points: how far NPS jumped above the line the earlier trend was on.

    Parameters
    ----------
    days : array-like, shape (d,)
        Day of each row of counts since a fixed origin.
    counts : array-like, shape (d, 3)
        Detractors, passives, promoters per day.
    event_days : sequence of float
        Event dates as days since the same origin; each must have responses on at least two days
        before and after it (the caller checks).
    noise_variance : float
        Variance of the noise on each count when they are published perturbed (see :func:`grouped_ols`).
    """
    days = np.asarray(days, dtype=float)
    counts = _counts(counts)
    design = np.repeat(segmented_design(days, event_days), 3, axis=0)
    _, outcome, weights = _long_form(days, counts)
    coef, cov = grouped_ols(design, outcome, weights, cov_type=cov_type, noise_variance=noise_variance)
    levels = [_estimate(coef, cov, 2 + 2 * i, confidence) for i in range(len(event_days))]
    trends = [_estimate(coef, cov, 3 + 2 * i, confidence) for i in range(len(event_days))]
    return SegmentedFit(levels, trends, coef, cov)


def stretch_slopes(fit: SegmentedFit, *, confidence: float = 0.95) -> list[Estimate]:
    """The slope of each stretch of a segmented fit, in points per month: before the first event,
    between events, after the last.

    A later stretch's slope is the first slope plus every slope change so far; its standard
    error comes from the fit's (robust) covariance, ``sqrt(c' V c)``.
    """
    slopes = []
    for k in range(len(fit.trend_changes) + 1):
        contrast = np.zeros(len(fit.coef))
        contrast[1] = 1.0
        contrast[[3 + 2 * i for i in range(k)]] = 1.0
        value = float(contrast @ fit.coef)
        se = float(np.sqrt(contrast @ fit.cov @ contrast))
        margin = z_value(confidence) * se
        slopes.append(Estimate(value, se, value - margin, value + margin))
    return slopes
