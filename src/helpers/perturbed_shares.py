"""Shares of perturbed counts: the Wilson interval widened by the cell-key noise on both counts.

Every analysis that publishes a share of two perturbed counts (:mod:`helpers.cell_key`) needs the
same widening, so it lives here, below the analyses, rather than in one of them: an analysis never
imports another. Shares are from 0 to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from statsmodels.stats.proportion import proportion_confint

__all__ = ["ShareInterval", "share_noise_variance", "effective_counts", "wilson_interval"]


class ShareInterval(NamedTuple):
    """Shares (0-1) with their Wilson interval; NaN where a group has no members."""

    share: np.ndarray
    low: np.ndarray
    high: np.ndarray


def share_noise_variance(
    successes: np.ndarray | Sequence[float], n: np.ndarray | Sequence[float], *, noise_variance: float
) -> np.ndarray:
    """Variance (share units squared) that noise on both counts adds to the share ``successes / n``.

    By the delta method, with independent noise of ``noise_variance`` on each count,
    ``noise_variance x (1 + p**2) / n**2``; ``p`` is the Agresti-Coull share ``(s + 2) / (n + 4)``
    so a share of 0 or 1 still gets a variance.
    """
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    share = (successes + 2) / (n + 4)
    with np.errstate(invalid="ignore", divide="ignore"):
        return noise_variance * (1 + share**2) / n**2


def effective_counts(
    successes: np.ndarray, n: np.ndarray, noise_variance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Counts scaled so that binomial sampling alone has the variance of sampling plus the noise."""
    if not noise_variance:
        return successes, n
    share = (successes + 2) / (n + 4)
    with np.errstate(invalid="ignore", divide="ignore"):
        sampling = share * (1 - share) / n
        factor = np.where(n > 0, sampling / (sampling + share_noise_variance(successes, n, noise_variance=noise_variance)), 1)
    return successes * factor, n * factor


def wilson_interval(
    successes: np.ndarray | Sequence[float],
    n: np.ndarray | Sequence[float],
    *,
    confidence: float = 0.95,
    noise_variance: float = 0.0,
) -> ShareInterval:
    """The share ``successes / n`` and its Wilson score interval, for any number of groups at once.

    Parameters
    ----------
    successes, n : array-like
        Members with the outcome, and members, per group (counts).
    confidence : float
        Of the two-sided interval.
    noise_variance : float
        Variance of the noise on each published count (:data:`helpers.cell_key.VARIANCE`), 0 for
        exact counts; the interval is then Wilson's on the effective counts (:func:`effective_counts`).
    """
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, successes / np.where(n > 0, n, 1), np.nan)
    effective_successes, effective_n = effective_counts(successes, n, noise_variance)
    low, high = proportion_confint(effective_successes, np.where(n > 0, effective_n, 1), alpha=1 - confidence,
                                   method="wilson")
    empty = n <= 0
    return ShareInterval(share, np.where(empty, np.nan, low), np.where(empty, np.nan, high))
