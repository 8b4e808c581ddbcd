"""The baseline's slowly moving deviation: an AR(1) over bucket positions, seen through noise.

A channel's relative deviation ``a_t`` from its baseline follows a stationary AR(1) from one
bucket to the next (variance ``tau2``, autocorrelation ``rho``); a clean bucket shows it with
independent noise of its own variance. The AR(1)'s precision matrix over consecutive
positions is tridiagonal, and adding the observations' precisions keeps it so. Every
quantity the baseline needs comes from one LDL' factorization of that tridiagonal matrix
(LAPACK dpttrf / dpttrs), in O(n) for n buckets:

- :func:`fit_level`: the maximum likelihood estimates of ``tau2``, ``rho`` and the noise
  dispersion (the exact Gaussian likelihood a Kalman filter computes);
- :func:`smooth_level`: the deviation's mean and variance in every bucket given all
  observations (what a Kalman smoother computes);
- :func:`deviation_posterior`: the joint distribution of the deviation in some buckets given
  the observations around them, for counterfactual paths.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg.lapack import dpttrf as _tridiagonal_factor
from scipy.linalg.lapack import dpttrs as _tridiagonal_solve
from scipy.optimize import fmin_l_bfgs_b

__all__ = ["MAX_AUTOCORRELATION", "deviation_posterior", "fit_level", "level_loglike", "smooth_level"]

#: |autocorrelation| below this keeps the stationary variance finite.
MAX_AUTOCORRELATION = 0.999


def _path_precision(length: int, tau2: float, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Diagonal and off-diagonal of the precision matrix of a stationary AR(1) path."""
    # The first value's a_0^2 / tau2 plus each step's (a_t - rho a_{t-1})^2 / (tau2 (1 - rho^2)).
    # Inner values take part in two steps; the first value's 1 / tau2 and its share of one
    # step add up to the last value's one step.
    innovation = 1 / (tau2 * (1 - rho**2))
    diagonal = np.full(length, innovation * (1 + rho**2))
    diagonal[[0, -1]] = innovation if length > 1 else 1 / tau2
    return diagonal, np.full(length - 1, -innovation * rho)


def _factor(diagonal: np.ndarray, off_diagonal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(diagonal) == 1:  # LAPACK's wrapper refuses an empty off-diagonal
        d, e, info = diagonal.copy(), off_diagonal, 0 if diagonal[0] > 0 else 1
    else:
        d, e, info = _tridiagonal_factor(diagonal, off_diagonal)
    if info != 0:
        raise np.linalg.LinAlgError(f"the deviation's posterior precision is not positive definite (dpttrf {info})")
    return d, e


def _solve(d: np.ndarray, e: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    if len(d) == 1:
        return rhs / d[0]
    return _tridiagonal_solve(d, e, rhs)[0]


def deviation_posterior(
    length: int, observed: np.ndarray, targets: np.ndarray, noise_var: np.ndarray, tau2: float, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """The deviation at ``targets`` given noisy observations of it at ``observed``.

    Positions are ``0 .. length - 1`` of a segment of consecutive buckets (sorted, disjoint
    index arrays); ``noise_var`` is each observation's noise variance, ``tau2`` and ``rho`` the
    deviation's stationary variance and autocorrelation per bucket (``|rho| < 1``). Returns
    the gain ``(observed, targets)``, with ``E[a_targets | d] = d @ gain`` for observed
    deviations ``d``, and the conditional covariance ``(targets, targets)``.

    These are ``C_ot' C_oo^-1 d`` and ``C_tt - C_ot' C_oo^-1 C_ot`` of the dense Gaussian
    formulas, computed without them: the inverse of the posterior precision ``Q``, taken at
    the targets' columns, gives both the covariance, ``(Q^-1)_tt``, and the gain,
    ``diag(1 / noise_var) (Q^-1)_ot``: O(length * targets) instead of O(length^3).
    """
    if tau2 <= 0 or not len(targets):
        return np.zeros((len(observed), len(targets))), np.zeros((len(targets), len(targets)))
    diagonal, off_diagonal = _path_precision(length, tau2, rho)
    diagonal[observed] += 1 / noise_var
    unit = np.zeros((length, len(targets)))
    unit[targets, np.arange(len(targets))] = 1.0
    columns = _solve(*_factor(diagonal, off_diagonal), unit)
    return columns[observed] / noise_var[:, None], columns[targets]


def _posterior(deviation: np.ndarray, noise_var: np.ndarray, tau2: float, rho: float):
    """The factorized posterior precision of the whole path and its mean (NaN deviation = not observed)."""
    observed = np.isfinite(deviation)
    diagonal, off_diagonal = _path_precision(len(deviation), tau2, rho)
    diagonal[observed] += 1 / noise_var[observed]
    d, e = _factor(diagonal, off_diagonal)
    weighted = np.where(observed, deviation / noise_var, 0.0)
    return observed, d, e, _solve(d, e, weighted[:, None])[:, 0]


def level_loglike(deviation: np.ndarray, noise_var: np.ndarray, tau2: float, rho: float) -> float:
    """Gaussian log-likelihood of the observed deviations (NaN = not observed).

    With ``C`` the path's covariance, ``D`` the noise's and ``Q = C^-1 + D^-1`` (over the
    observed positions), ``log det(C_oo + D) = log det D + log det C + log det Q``; and
    ``d' (C_oo + D)^-1 d`` is the minimum over paths ``a`` of ``(d - a)' D^-1 (d - a) + a' C^-1 a``,
    reached at the posterior mean: two sums of squares, which stay accurate when the noise is
    tiny (``d' D^-1 d - b' Q^-1 b`` would subtract two huge numbers).
    """
    observed, d, _, mean = _posterior(deviation, noise_var, tau2, rho)
    n = len(deviation)
    log_det = (np.sum(np.log(noise_var[observed])) + np.sum(np.log(d))
               + np.log(tau2) + (n - 1) * np.log(tau2 * (1 - rho**2)))
    residual = deviation[observed] - mean[observed]
    steps = mean[1:] - rho * mean[:-1]
    quadratic = (np.sum(residual**2 / noise_var[observed]) + mean[0] ** 2 / tau2
                 + np.sum(steps**2) / (tau2 * (1 - rho**2)))
    return float(-0.5 * (observed.sum() * np.log(2 * np.pi) + log_det + quadratic))


def _constrained(unconstrained: np.ndarray) -> np.ndarray:
    return np.array([np.exp(unconstrained[0]), MAX_AUTOCORRELATION * np.tanh(unconstrained[1]),
                     np.exp(unconstrained[2])])


def fit_level(deviation: np.ndarray, noise_scale: np.ndarray, start: np.ndarray) -> tuple[float, float, float]:
    """Maximum likelihood ``(tau2, rho, dispersion)``; the noise variance is ``dispersion * noise_scale``.

    The optimization is statsmodels' ``MLEModel.fit`` for this model (L-BFGS on the mean
    log-likelihood over unconstrained parameters, finite-difference gradients with step 1e-5),
    which the baseline used before; only the likelihood is computed here, in O(n).
    """
    n = len(deviation)

    def objective(unconstrained):
        tau2, rho, dispersion = _constrained(unconstrained)
        try:
            value = -level_loglike(deviation, dispersion * noise_scale, tau2, rho) / n
        except np.linalg.LinAlgError:
            return np.inf
        return value if np.isfinite(value) else np.inf

    first = np.array([np.log(start[0]), np.arctanh(start[1] / MAX_AUTOCORRELATION), np.log(start[2])])
    # The search may try parameters far out, where exp overflows: those are just unlikely.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        best, _, _ = fmin_l_bfgs_b(objective, first, approx_grad=True, epsilon=1e-5, maxiter=200, bounds=[(None, None)] * 3)
        best = _polish(objective, best)
        tau2, rho, dispersion = (float(v) for v in _constrained(best))
    return tau2, rho, dispersion


def _polish(objective, x: np.ndarray, *, steps: int = 6) -> np.ndarray:
    """Newton steps on central differences from where L-BFGS stopped, to the optimum's last digits.

    L-BFGS stops anywhere within its tolerance (about 1e-8 of the parameters here), and where
    exactly depends on its path: one bucket total differing in its last bit (a different summing
    order in another engine, another BLAS) moved the fitted drift by 2e-8 and every figure with it.
    Newton converges to the point where the central-difference gradient vanishes, a smooth function
    of the data, so the same data to the last bit give the same parameters to about 1e-12.
    """
    h = 1e-3
    eye = np.eye(len(x)) * h
    for _ in range(steps):
        f0 = objective(x)
        if not np.isfinite(f0):
            return x
        plus = np.array([objective(x + e) for e in eye])
        minus = np.array([objective(x - e) for e in eye])
        gradient = (plus - minus) / (2 * h)
        hessian = np.empty((len(x), len(x)))
        for i in range(len(x)):
            for j in range(i, len(x)):
                if i == j:
                    hessian[i, i] = (plus[i] - 2 * f0 + minus[i]) / h**2
                else:
                    both = objective(x + eye[i] + eye[j]) - objective(x + eye[i] - eye[j]) \
                        - objective(x - eye[i] + eye[j]) + objective(x - eye[i] - eye[j])
                    hessian[i, j] = hessian[j, i] = both / (4 * h**2)
        if not np.all(np.isfinite(hessian)) or np.any(np.linalg.eigvalsh(hessian) <= 0):
            return x
        step = np.linalg.solve(hessian, gradient)
        if not np.all(np.isfinite(step)) or not objective(x - step) <= f0:
            return x
        x = x - step
        if np.max(np.abs(step)) < 1e-13:
            break
    return x


def smooth_level(deviation: np.ndarray, noise_var: np.ndarray, tau2: float, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the deviation in every bucket given all observed ones (NaN = not observed)."""
    _, d, e, mean = _posterior(deviation, noise_var, tau2, rho)
    # The diagonal of Q^-1 from its LDL' factors: Var_i = 1 / d_i + e_i^2 Var_{i+1}, backwards.
    variance = 1 / d
    for i in range(len(d) - 2, -1, -1):
        variance[i] += e[i] ** 2 * variance[i + 1]
    return mean, variance
