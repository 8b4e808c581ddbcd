"""Statistics of service outcomes, computed from counts of tickets, never from tickets.

Shares are from 0 to 1. Intervals of a share are Wilson score intervals
(``statsmodels.stats.proportion.proportion_confint(method="wilson")``), which keep their
coverage near the nominal level for small groups and shares near 0 or 1, where the Wald
interval does not. A change between two periods is statsmodels' score test of two independent
proportions (Miettinen-Nurminen), and all changes of one report are one family, Holm-corrected
with the same function the NPS analysis uses. NPS figures reuse the NPS analysis's estimators.

Published counts carry the cell-key method's noise (:mod:`helpers.cell_key`, variance
``noise_variance`` per count). Every interval and test here takes that variance: a share's
intervals and tests are computed on *effective* counts, the tickets scaled down by the share of
the variance that sampling is of sampling plus noise (:mod:`helpers.perturbed_shares`, which
feature adoption shares), so they widen by the noise and keep their coverage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from statsmodels.stats.proportion import test_proportions_2indep

from helpers.nps_trends.stats import Estimate, adjusted_wald_interval, difference_interval, holm_adjust, nps_points

# The widened Wilson interval is shared with feature adoption, so it lives below both analyses.
from helpers.perturbed_shares import ShareInterval, share_noise_variance, wilson_interval
from helpers.perturbed_shares import effective_counts as _effective

__all__ = [
    "ShareInterval", "ShareChanges", "share_noise_variance", "wilson_interval", "period_changes", "nps_estimate",
    "nps_difference",
]


class ShareChanges(NamedTuple):
    """Each period's change on the period before (arrays aligned with the periods; NaN where not tested).

    Attributes
    ----------
    change : ndarray
        The share minus the previous period's share (0-1 scale; 0.05 is five percentage points).
    p_value : ndarray
        Two-sided p-value of the score test, before correction.
    p_value_holm : ndarray
        Holm-adjusted over every comparison of the series.
    significant : ndarray of bool
        ``p_value_holm < 1 - confidence``.
    """

    change: np.ndarray
    p_value: np.ndarray
    p_value_holm: np.ndarray
    significant: np.ndarray


def period_changes(
    successes: np.ndarray | Sequence[float],
    n: np.ndarray | Sequence[float],
    *,
    reportable: np.ndarray | Sequence[bool],
    confidence: float = 0.95,
    noise_variance: float = 0.0,
) -> ShareChanges:
    """Compare each period's share with the period before it, Holm-corrected over the whole series.

    A comparison needs both periods reportable (enough tickets, not hidden). The test is
    ``statsmodels.stats.proportion.test_proportions_2indep(method="score", compare="diff")``, on
    the effective counts when the counts carry noise of ``noise_variance``.
    """
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    reportable = np.asarray(reportable, dtype=bool)
    change = np.full(len(n), np.nan)
    p_value = np.full(len(n), np.nan)
    tested = np.zeros(len(n), dtype=bool)
    if len(n) > 1:
        tested[1:] = reportable[1:] & reportable[:-1] & (n[1:] > 0) & (n[:-1] > 0)
    if tested.any():
        now = np.flatnonzero(tested)
        before = now - 1
        tested_successes, tested_n = _effective(successes, n, noise_variance)
        result = test_proportions_2indep(
            tested_successes[now], tested_n[now], tested_successes[before], tested_n[before], method="score",
            compare="diff",
        )
        change[now] = successes[now] / n[now] - successes[before] / n[before]
        p_value[now] = np.atleast_1d(result.pvalue)
    p_holm = holm_adjust(p_value)
    significant = np.nan_to_num(p_holm, nan=1.0) < 1 - confidence
    return ShareChanges(change, p_value, p_holm, significant)


def nps_estimate(counts: Sequence[float], *, confidence: float = 0.95, noise_variance: float = 0.0) -> Estimate:
    """Plain NPS in points (-100 to +100) of detractors, passives, promoters, with its adjusted-Wald interval.

    The NPS analysis's estimator (:func:`helpers.nps_trends.stats.adjusted_wald_interval`),
    widened by the noise of perturbed counts (``noise_variance`` per count).
    """
    interval = adjusted_wald_interval(np.asarray(counts, dtype=float), confidence=confidence,
                                      noise_variance=noise_variance)
    return Estimate(float(nps_points(np.asarray(counts, dtype=float))), float(interval.se), float(interval.low),
                    float(interval.high))


def nps_difference(
    met: Sequence[float], not_met: Sequence[float], *, confidence: float = 0.95, noise_variance: float = 0.0
) -> Estimate:
    """NPS of tickets that met the one job minus NPS of those that did not, in points, with its interval."""
    return difference_interval(np.asarray(not_met, dtype=float), np.asarray(met, dtype=float), confidence=confidence,
                               noise_variance=noise_variance)
