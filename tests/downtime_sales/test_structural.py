"""The batched Gaussian-linear-model form of the structural model against statsmodels' Kalman filter and smoother.

The diffuse log likelihood must agree up to a constant (the same for every variance
vector), and the end state and the smoothed signal must be the smoother's, for each
way ``Sigma`` is inverted: an explicit sine basis (short series), first differences (long series)
and band Cholesky factors after a seasonal difference (seasonal models); with and without controls and missing values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from statsmodels.tsa.statespace.structural import UnobservedComponents

from helpers.downtime_sales import _structural as structural


@pytest.mark.parametrize(
    ("n", "season", "n_controls", "missing"),
    [(60, None, 2, False), (60, None, 0, True), (450, None, 1, True), (60, 7, 1, False), (40, 4, 0, True)],
)
def test_matches_the_kalman_smoother(n, season, n_controls, missing):
    rng = np.random.default_rng(n + (season or 0))
    controls = rng.normal(size=(n, n_controls)).cumsum(axis=0) if n_controls else None
    y = rng.normal(size=n).cumsum() * 0.3 + (controls.sum(axis=1) if n_controls else 0) + rng.normal(size=n)
    if missing:
        y[[3, 20, 21]] = np.nan
    seasonal = {"seasonal": season, "stochastic_seasonal": True} if season else {}
    reference = UnobservedComponents(y, level="llevel", exog=controls, mle_regression=False, **seasonal)
    model = structural.StructuralModel.build(y, controls, season)
    basis = model.basis()
    variances = np.exp(rng.normal(-1.5, 1, size=(4, 3 if season else 2)))
    ours = structural.fit(basis, variances)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = np.array([reference.loglike(v) for v in variances])
        smoothed = reference.smooth(variances[0])
    assert np.ptp(theirs - ours.log_likelihood) < 1e-4
    # The likelihood-only path (used while searching for the mode) must be the same number.
    np.testing.assert_allclose(structural.log_likelihood(basis, variances), ours.log_likelihood, rtol=1e-10, atol=1e-8)

    # statsmodels orders the states level, seasonal (newest first), coefficients; ours coefficients first.
    lags = season - 1 if season else 0
    order = list(range(1 + lags, 1 + lags + n_controls)) + [0] + list(range(1, 1 + lags))
    state, state_cov = smoothed.smoothed_state[:, n - 1], smoothed.smoothed_state_cov[:, :, n - 1]
    np.testing.assert_allclose(ours.end_mean[0], state[order], atol=1e-5)
    np.testing.assert_allclose(ours.end_cov[0], state_cov[np.ix_(order, order)], atol=1e-5)

    mean, spread = structural.smoothed_signal(basis, variances[:1], ours.take(np.array([0])))
    design = reference.ssm["design"][0]
    if design.ndim == 1:
        design = np.repeat(design[:, None], n, axis=1)
    signal = np.einsum("kn,kn->n", design, smoothed.smoothed_state)
    signal_var = np.einsum("kn,kln,ln->n", design, smoothed.smoothed_state_cov, design)
    np.testing.assert_allclose(mean[0], signal, atol=1e-5)
    # The first points are where statsmodels' exact diffuse smoother is least precise.
    np.testing.assert_allclose(spread[0], signal_var, rtol=5e-3, atol=1e-6)


def test_band_solves_agree_for_small_and_large_batches():
    # Few draws go through one LAPACK band solve each, many through a substitution vectorised across draws.
    rng = np.random.default_rng(5)
    n = 50
    controls = rng.normal(size=(n, 1)).cumsum(axis=0)
    y = rng.normal(size=n).cumsum() * 0.3 + controls[:, 0] + rng.normal(size=n)
    y[[4, 30]] = np.nan
    basis = structural.StructuralModel.build(y, controls, 5).basis()
    variances = np.exp(rng.normal(-1.5, 1, size=(2 * structural._FEW_DRAWS, 3)))
    together = structural.fit(basis, variances)
    alone = structural.fit(basis, variances[:3])
    for name in ["log_likelihood", "coefficients", "end_mean", "end_cov"]:
        np.testing.assert_allclose(getattr(together, name)[:3], getattr(alone, name), rtol=1e-9, atol=1e-9)
    mean, spread = structural.smoothed_signal(basis, variances, together)
    mean_alone, spread_alone = structural.smoothed_signal(basis, variances[:3], alone)
    np.testing.assert_allclose(mean[:3], mean_alone, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(spread[:3], spread_alone, rtol=1e-9, atol=1e-9)
