"""The deviation's computations from its tridiagonal precision equal the textbook ones.

:mod:`helpers.downtime_sales._deviation` replaced, to make the analysis O(n): the dense
Gaussian conditioning ``C_ot' C_oo^-1`` and ``C_tt - C_ot' C_oo^-1 C_ot`` (covariances
``tau2 rho^|lag|`` plus the observations' noise) for the simulation, and a statsmodels
state-space model (Kalman filter and smoother) for the fit. Both are kept here as references:
the draws and the fit must keep the same distribution and the same estimates.
"""

import numpy as np
import pytest

from helpers.downtime_sales._deviation import deviation_posterior, fit_level, level_loglike, smooth_level


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
    gain, cov = deviation_posterior(length, observed, targets, noise_var, tau2, rho)
    dense_gain, dense_cov = _dense(observed, targets, noise_var, tau2, rho)
    deviations = rng.normal(0, np.sqrt(tau2 + noise_var), (5, len(observed)))
    mean, dense_mean = deviations @ gain, deviations @ dense_gain
    assert np.max(np.abs(mean - dense_mean)) <= 1e-8 * np.max(np.abs(dense_mean))
    assert np.max(np.abs(cov - dense_cov)) <= 1e-8 * np.max(np.abs(dense_cov))
    assert np.max(np.abs(gain - dense_gain)) <= 1e-8 * np.max(np.abs(dense_gain))


def test_a_single_bucket_and_no_observations_keep_the_prior():
    gain, cov = deviation_posterior(1, np.zeros(0, int), np.array([0]), np.zeros(0), 0.04, 0.7)
    assert gain.shape == (0, 1) and cov == pytest.approx(np.array([[0.04]]), rel=1e-12)
    targets = np.array([3, 4, 9])
    gain, cov = deviation_posterior(12, np.zeros(0, int), targets, np.zeros(0), 0.04, 0.7)
    assert cov == pytest.approx(_dense(np.zeros(0, int), targets, np.zeros(0), 0.04, 0.7)[1], rel=1e-10)


def test_no_deviation_means_no_uncertainty_from_it():
    gain, cov = deviation_posterior(50, np.arange(10), np.arange(10, 20), np.ones(10), 0.0, 0.0)
    assert not gain.any() and not cov.any()


def _kalman_model(deviation, noise_scale):
    """The baseline's former model: AR(1) deviation plus noise of variance ``dispersion * noise_scale``."""
    from statsmodels.tsa.statespace.mlemodel import MLEModel

    class LevelModel(MLEModel):
        def __init__(self, endog, scale):
            super().__init__(endog, k_states=1, initialization="stationary")
            self._scale = scale
            self.ssm["design", 0, 0] = 1.0
            self.ssm["selection", 0, 0] = 1.0
            self.ssm["obs_cov"] = np.ones((1, 1, len(endog)))

        @property
        def param_names(self):
            return ["deviation_variance", "autocorrelation", "dispersion"]

        def transform_params(self, unconstrained):
            return np.array([np.exp(unconstrained[0]), 0.999 * np.tanh(unconstrained[1]), np.exp(unconstrained[2])])

        def untransform_params(self, constrained):
            return np.array([np.log(constrained[0]), np.arctanh(constrained[1] / 0.999), np.log(constrained[2])])

        def update(self, params, **kwargs):
            params = super().update(params, **kwargs)
            variance, rho, dispersion = params
            self.ssm["transition", 0, 0] = rho
            self.ssm["state_cov", 0, 0] = variance * (1 - rho**2)
            self.ssm["obs_cov"] = (dispersion * self._scale)[None, None, :]
            return params

    return LevelModel(deviation, noise_scale)


def _hourly_deviation(seed, n=2000, rho=0.97, sd=0.08):
    """An AR(1) deviation seen through noise proportional to 1 / expected sales, nights and gaps unobserved."""
    rng = np.random.default_rng(seed)
    level = np.zeros(n)
    level[0] = rng.normal(0, sd)
    for t in range(1, n):
        level[t] = rho * level[t - 1] + rng.normal(0, sd * np.sqrt(1 - rho**2))
    expected = 40 * (1.2 + np.sin(np.arange(n) * 2 * np.pi / 24))
    scale = 1 / expected
    deviation = level + rng.normal(0, np.sqrt(3.0 * scale))
    deviation[(np.arange(n) % 24) < 5] = np.nan  # closed at night
    deviation[700:760] = np.nan  # an outage and its recovery
    return deviation, scale


@pytest.mark.parametrize(("tau2", "rho", "dispersion"), [(0.01, 0.9, 1.0), (0.002, 0.998, 4.0), (0.05, 0.2, 0.5), (0.01, 0.5, 1e-9)])
def test_likelihood_and_smoother_are_the_kalman_filters(tau2, rho, dispersion):
    deviation, scale = _hourly_deviation(1)
    model = _kalman_model(deviation, scale)
    params = np.array([tau2, rho, dispersion])
    assert level_loglike(deviation, dispersion * scale, tau2, rho) == pytest.approx(model.loglike(params), rel=1e-10)
    smooth = model.smooth(params, cov_type="none")
    mean, variance = smooth_level(deviation, dispersion * scale, tau2, rho)
    assert mean == pytest.approx(smooth.smoothed_state[0], rel=1e-8, abs=1e-10)
    assert variance == pytest.approx(smooth.smoothed_state_cov[0, 0], rel=1e-8)
    observed = np.isfinite(deviation)
    # The baseline's leverage: the noise's smoothed variance in an observed bucket is the deviation's.
    disturbance = smooth.smoothed_measurement_disturbance_cov[0, 0]
    assert variance[observed] == pytest.approx(disturbance[observed], rel=1e-8)


@pytest.mark.parametrize("seed", [2, 3])
def test_fit_finds_statsmodels_estimates(seed):
    deviation, scale = _hourly_deviation(seed, rho=0.95 if seed == 2 else 0.99)
    start = np.array([0.01, 0.9, 2.0])
    fitted = np.array(fit_level(deviation, scale, start))
    model = _kalman_model(deviation, scale)
    reference = model.fit(start_params=start, disp=False, maxiter=200, return_params=True)
    # statsmodels stops where L-BFGS's tolerance lets it (2e-4 short of the optimum here); the fit is
    # polished to the optimum (see _deviation._polish), so its likelihood is at least as high.
    assert fitted == pytest.approx(reference, rel=1e-3)
    assert model.loglike(fitted) >= model.loglike(reference) - 1e-9 * abs(model.loglike(reference))
