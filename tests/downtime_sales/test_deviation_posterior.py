"""The deviation's posterior from the tridiagonal precision equals the dense Gaussian conditioning.

:func:`helpers.downtime_sales.baseline._deviation_posterior` replaced the textbook formulas
``C_ot' C_oo^-1`` and ``C_tt - C_ot' C_oo^-1 C_ot`` (covariances ``tau2 rho^|lag|`` plus the
observations' noise) to make the simulation O(n); the draws must keep the same distribution.
"""

import numpy as np
import pytest

from helpers.downtime_sales.baseline import _deviation_posterior


def _dense(observed, targets, noise_var, tau2, rho):
    """The conditional gain and covariance by the dense formulas (the simulation's former code)."""
    cov_tt = tau2 * rho ** np.abs(targets[:, None] - targets[None, :]).astype(float)
    if not len(observed):
        return np.zeros((0, len(targets))), cov_tt
    cov_oo = tau2 * rho ** np.abs(observed[:, None] - observed[None, :]).astype(float) + np.diag(noise_var)
    cov_ot = tau2 * rho ** np.abs(observed[:, None] - targets[None, :]).astype(float)
    gain = np.linalg.solve(cov_oo, cov_ot)
    return gain, cov_tt - cov_ot.T @ gain


def _segment(rng, length, windows, unobserved_share):
    """Target windows, then observed positions: the rest less some gaps and closed buckets."""
    is_target = np.zeros(length, bool)
    for start, size in windows:
        is_target[start : start + size] = True
    # Closed nights and data gaps inside the segment: neither observed nor simulated.
    hidden = rng.random(length) < unobserved_share
    hidden[length // 3 : length // 3 + 40] = True
    observed = np.flatnonzero(~is_target & ~hidden)
    targets = np.flatnonzero(is_target)
    noise_var = rng.uniform(0.02, 3.0, len(observed))
    return observed, targets, noise_var


@pytest.mark.parametrize(
    ("length", "windows", "tau2", "rho"),
    [
        (400, [(150, 6), (200, 3)], 0.01, 0.9),
        (1200, [(500, 12), (530, 4), (900, 1)], 0.004, 0.995),
        (3000, [(1400, 20), (1500, 8)], 0.02, 0.9999),
        (300, [(100, 5)], 0.05, 1e-6),
        (300, [(100, 5), (110, 3)], 0.05, 0.0),
        (250, [(0, 4), (246, 4)], 0.03, -0.6),
        (7, [(2, 3)], 0.02, 0.8),
    ],
)
def test_matches_the_dense_conditional_distribution(length, windows, tau2, rho):
    rng = np.random.default_rng(length)
    observed, targets, noise_var = _segment(rng, length, windows, unobserved_share=0.3)
    gain, cov = _deviation_posterior(length, observed, targets, noise_var, tau2, rho)
    dense_gain, dense_cov = _dense(observed, targets, noise_var, tau2, rho)
    deviations = rng.normal(0, np.sqrt(tau2 + noise_var), (5, len(observed)))
    mean, dense_mean = deviations @ gain, deviations @ dense_gain
    assert np.max(np.abs(mean - dense_mean)) <= 1e-8 * np.max(np.abs(dense_mean))
    assert np.max(np.abs(cov - dense_cov)) <= 1e-8 * np.max(np.abs(dense_cov))
    assert np.max(np.abs(gain - dense_gain)) <= 1e-8 * np.max(np.abs(dense_gain))


def test_a_single_bucket_and_no_observations_keep_the_prior():
    gain, cov = _deviation_posterior(1, np.zeros(0, int), np.array([0]), np.zeros(0), 0.04, 0.7)
    assert gain.shape == (0, 1) and cov == pytest.approx(np.array([[0.04]]), rel=1e-12)
    targets = np.array([3, 4, 9])
    gain, cov = _deviation_posterior(12, np.zeros(0, int), targets, np.zeros(0), 0.04, 0.7)
    assert cov == pytest.approx(_dense(np.zeros(0, int), targets, np.zeros(0), 0.04, 0.7)[1], rel=1e-10)


def test_no_deviation_means_no_uncertainty_from_it():
    gain, cov = _deviation_posterior(50, np.arange(10), np.arange(10, 20), np.ones(10), 0.0, 0.0)
    assert not gain.any() and not cov.any()
