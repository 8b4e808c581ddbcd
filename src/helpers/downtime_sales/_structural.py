"""The local level + regression + seasonal model as a Gaussian linear model, batched across variance draws.

Given its variances, the pre-period of the structural model is a linear model with
correlated errors::

    y = X beta + W + S + e,    Cov(W + S + e) = Sigma = b C + c C_s + a I,

where ``X`` holds a column of ones (the level at the first point), the controls and,
with a seasonal component, the deterministic seasonal pattern of its s - 1 starting
states; ``beta`` has a flat prior (the states a Kalman filter initialises as diffuse);
``W`` is the random walk of the level (``C[t, u] = min(t, u)``), ``S`` the stochastic
part of the seasonal component and ``e`` the observation noise (variances ``b``, ``c``,
``a``). The diffuse likelihood of the state-space model is the restricted likelihood of
this linear model, up to a constant that does not depend on the variances, and the
Kalman smoother's states are the model's kriging predictions. A missing ``y`` gets its
own flat-prior dummy column, which leaves the contrasts, and so the likelihood, those
of the observed points alone.

Everything is computed for many variance vectors at once. Without a seasonal component
``Sigma = a I + b C`` for every draw shares the eigenvectors of ``C``, known in closed
form (a sine transform computed by FFT): each draw then costs O(n) plus FFTs, instead
of a Kalman pass. With a seasonal component the draws are whitened by a batched
Cholesky factorisation, O(n^3) per draw, which suits the short series seasonal models
are fitted to here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Fit", "StructuralModel", "draw_end_states", "end_state_columns", "fit", "forecast", "smoothed_signal"]

_JITTER = 1e-10  # keeps the Cholesky factor of a near-singular end-state covariance real
# OpenBLAS hands a product of more than 65536 * 4 multiply-adds to its threads; on a busy
# two-core machine waking them costs ~20 ms, far more than these products take on one.
_SINGLE_THREAD_PRODUCT = 65536 * 4
_SMALL_SERIES = 400  # up to this many points an explicit eigenbasis beats the FFT of awkward lengths


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for 2-D arrays, in row blocks small enough for BLAS to keep on one thread."""
    rows = max(1, _SINGLE_THREAD_PRODUCT // max(1, a.shape[1] * b.shape[1]))
    if rows >= a.shape[0]:
        return a @ b
    out = np.empty((a.shape[0], b.shape[1]))
    for start in range(0, a.shape[0], rows):
        np.matmul(a[start : start + rows], b, out=out[start : start + rows])
    return out


@dataclass(frozen=True, eq=False)
class StructuralModel:
    """The pre-period of the model, ready to evaluate for batches of variances.

    Variances come as rows ``(noise, level[, seasonal])`` on the standardized scale.
    """

    y: np.ndarray  # (n,) standardized pre-period, 0 where missing
    design: np.ndarray  # (n, p): ones, controls, seasonal pattern, one dummy per missing point
    n_controls: int
    season_length: int | None
    seasonal_cov: np.ndarray | None  # (n, n) C_s for a unit seasonal variance

    @classmethod
    def build(cls, observed: np.ndarray, controls: np.ndarray | None, season_length: int | None) -> StructuralModel:
        """The model of ``observed`` (pre-period, NaN where missing) on ``controls`` (pre-period rows)."""
        n = len(observed)
        columns = [np.ones((n, 1))]
        if controls is not None:
            columns.append(controls)
        seasonal_cov = None
        if season_length:
            pattern, impulse = _seasonal_pattern(n, season_length)
            columns.append(pattern)
            seasonal_cov = impulse @ impulse.T
        missing = np.flatnonzero(np.isnan(observed))
        dummies = np.zeros((n, len(missing)))
        dummies[missing, np.arange(len(missing))] = 1.0
        columns.append(dummies)
        return cls(np.nan_to_num(observed), np.hstack(columns), 0 if controls is None else controls.shape[1],
                   season_length, seasonal_cov)

    @property
    def names(self) -> list[str]:
        """The variances, in the order of a row of variances."""
        return ["sigma2.irregular", "sigma2.level"] + (["sigma2.seasonal"] if self.season_length else [])

    @property
    def n_states(self) -> int:
        """Size of the end state: control coefficients, level, the last s - 1 seasonal effects."""
        return self.n_controls + 1 + (self.season_length - 1 if self.season_length else 0)

    def basis(self) -> _SineBasis | _DenseBasis:
        """How ``Sigma`` is inverted: in closed form without seasonality, by Cholesky with it."""
        return _DenseBasis(self) if self.season_length else _SineBasis(self)


def _seasonal_pattern(n: int, season_length: int) -> tuple[np.ndarray, np.ndarray]:
    """The seasonal effect's response to its s - 1 starting states (n, s - 1) and to its noise (n, n).

    ``gamma[t + 1] = -(gamma[t] + ... + gamma[t - s + 2]) + omega[t]``, as in statsmodels'
    ``UnobservedComponents``; the response to one shock is 1, -1, then s - 2 zeros, repeated.
    """
    states = np.eye(season_length - 1)  # columns: one unit starting state each, newest first
    pattern = np.empty((n, season_length - 1))
    for t in range(n):
        pattern[t] = states[0]
        states = np.vstack([-states.sum(axis=0), states[:-1]])
    lag = np.arange(n)[:, None] - np.arange(n)[None, :] - 1  # t - 1 - u: steps since shock u
    response = np.where(lag % season_length == 0, 1.0, np.where(lag % season_length == 1, -1.0, 0.0))
    return pattern, np.where(lag >= 0, response, 0.0)


# --- the quantities every draw needs ------------------------------------------------------------

def end_state_columns(model: StructuralModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """How the end state (coefficients, last level, last s - 1 seasonal effects) relates to the data.

    Returns ``(A, covariances, component, self_cov)``: the state is ``A @ beta`` plus a random
    part whose covariance with the pre-period is column j of ``covariances`` times the
    variance ``component[j]`` (index into a row of variances), and whose own covariance is
    ``self_cov`` (per component, stacked on the first axis).
    """
    n, p = model.design.shape
    k, q = model.n_controls, model.n_states
    a_rows = np.zeros((q, p))
    a_rows[np.arange(k), 1 + np.arange(k)] = 1.0
    a_rows[k, 0] = 1.0  # the level at the last point: the first level plus the walk since
    covariances = np.zeros((n, q))
    covariances[:, k] = np.arange(n)  # min(t, n - 1)
    component = np.zeros(q, dtype=int)
    component[k] = 1
    self_cov = np.zeros((3, q, q))
    self_cov[1, k, k] = n - 1
    if model.season_length:
        lags = n - 1 - np.arange(model.season_length - 1)  # the last s - 1 points, newest first
        s_cols = k + 1 + np.arange(len(lags))
        a_rows[s_cols[:, None], k + 1 + np.arange(len(lags))[None, :]] = model.design[lags, k + 1 : k + model.season_length]
        covariances[:, s_cols] = model.seasonal_cov[:, lags]
        component[s_cols] = 2
        self_cov[2][np.ix_(s_cols, s_cols)] = model.seasonal_cov[np.ix_(lags, lags)]
    return a_rows, covariances, component, self_cov


class _SineBasis:
    """``Sigma = a I + b C`` in the eigenvectors of ``C``: the first point, then a sine basis.

    ``C`` restricted to points 1..m (m = n - 1) is ``min(i, j)``, whose eigenvectors are
    ``sin(pi (2k - 1) j / (2m + 1))`` with eigenvalues ``1 / (4 sin^2(pi (2k - 1) / (2 (2m + 1))))``;
    point 0 has the level's starting value only (eigenvalue 0).
    """

    cheap_batches = True

    def __init__(self, model: StructuralModel):
        n = len(model.y)
        self.m = n - 1
        self.fft_length = 2 * (2 * self.m + 1)
        self.scale = 2 / np.sqrt(2 * self.m + 1)
        odd = 2 * np.arange(1, self.m + 1) - 1
        if n <= _SMALL_SERIES:
            odd_k = 2 * np.arange(1, self.m + 1) - 1
            sines = self.scale * np.sin(np.pi * np.outer(np.arange(1, self.m + 1), odd_k) / (2 * self.m + 1))
            self.matrix = np.zeros((n, n))
            self.matrix[0, 0] = 1.0
            self.matrix[1:, 1:] = sines  # U: row t, column k
        else:
            self.matrix = None
        self.twiddle = np.exp(-1j * np.pi * np.arange(1, self.m + 1) / (2 * self.m + 1))
        self.eigenvalues = np.concatenate([[0.0], 1 / (4 * np.sin(np.pi * odd / self.fft_length) ** 2)])
        a_rows, covariances, self.component, self.self_cov = end_state_columns(model)
        self.a_rows = a_rows
        base = np.column_stack([model.y, model.design, covariances])
        self.rotated = self.to_eigen(base.T).T  # (n, r): y, X, end-state covariances in the eigenbasis
        self.outer = (self.rotated[:, :, None] * self.rotated[:, None, :]).reshape(n, -1)
        self.model = model

    def to_eigen(self, x: np.ndarray) -> np.ndarray:
        """``U' x`` along the last axis."""
        padded = np.zeros(x.shape[:-1] + (self.fft_length,))
        padded[..., 1 : self.m + 1] = x[..., 1:]
        spectrum = np.fft.rfft(padded, axis=-1)
        return np.concatenate([x[..., :1], -self.scale * spectrum.imag[..., 1 : 2 * self.m : 2]], axis=-1)

    def from_eigen(self, z: np.ndarray) -> np.ndarray:
        """``U z`` along the last axis.

        ``sum_k z_k sin(pi (2k - 1) j / (2m + 1))`` is the imaginary part of a length-(2m + 1)
        DFT of ``z`` times a twiddle: half the length of the transform ``to_eigen`` needs.
        """
        if self.matrix is not None:
            return _product(z.reshape(-1, z.shape[-1]), self.matrix.T).reshape(z.shape)
        spectrum = np.fft.rfft(z[..., 1:], n=2 * self.m + 1, axis=-1)[..., 1 : self.m + 1] * self.twiddle
        return np.concatenate([z[..., :1], -self.scale * spectrum.imag], axis=-1)

    def weighted_diagonal(self, f: np.ndarray) -> np.ndarray:
        """``diag(U diag(f) U')`` along the last axis, through ``sin^2 = (1 - cos 2x) / 2``."""
        if self.matrix is not None:
            return _product(f.reshape(-1, f.shape[-1]), (self.matrix**2).T).reshape(f.shape)
        padded = np.zeros(f.shape[:-1] + (2 * self.m + 1,))
        padded[..., 0 : 2 * self.m : 2] = f[..., 1:]
        spectrum = np.fft.rfft(padded, axis=-1)[..., 1 : self.m + 1] * self.twiddle**2
        rest = self.scale**2 / 2 * (f[..., 1:].sum(axis=-1, keepdims=True) - spectrum.real)
        return np.concatenate([f[..., :1], rest], axis=-1)

    def grams(self, variances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``log det Sigma`` (N,) and ``B' Sigma^-1 B`` (N, r, r) for ``B = [y, X, covariances]``."""
        spread = variances[:, :1] + variances[:, 1:2] * self.eigenvalues  # (N, n) eigenvalues of Sigma
        r = self.rotated.shape[1]
        return np.log(spread).sum(axis=1), _product(1 / spread, self.outer).reshape(-1, r, r)

    def smoothed(self, variances: np.ndarray, coefficients: np.ndarray, precision: np.ndarray) -> tuple:
        """Pointwise mean and variance of the pre-period signal given ``y``; see ``smoothed_signal``."""
        a = variances[:, :1]
        weights = 1 / (a + variances[:, 1:2] * self.eigenvalues)
        p = coefficients.shape[1]
        rotated_x = self.rotated[:, 1 : 1 + p]
        residual = self.rotated[:, 0] - _product(coefficients, rotated_x.T)  # U' (y - X beta), (N, n)
        inverse_residual = self.from_eigen(weights * residual)
        inverse_x = np.stack([self.from_eigen(weights * rotated_x[:, j]) for j in range(p)], axis=-1)
        inverse_diagonal = self.weighted_diagonal(weights)
        return _smoothed_from(self.model, a, coefficients, precision, inverse_residual, inverse_x, inverse_diagonal)


class _DenseBasis:
    """``Sigma`` for each draw whitened by its Cholesky factor."""

    cheap_batches = False

    def __init__(self, model: StructuralModel):
        self.model = model
        n = len(model.y)
        self.walk = np.minimum.outer(np.arange(n), np.arange(n)).astype(float)
        self.components = np.stack([np.eye(n), self.walk, model.seasonal_cov]).reshape(3, -1)
        self.a_rows, covariances, self.component, self.self_cov = end_state_columns(model)
        self.base = np.column_stack([model.y, model.design, covariances])

    def _factor(self, variances: np.ndarray) -> np.ndarray:
        n = len(self.walk)
        sigma = _product(variances, self.components).reshape(-1, n, n)  # one pass, no temporaries
        return np.linalg.cholesky(sigma)

    def grams(self, variances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``log det Sigma`` (N,) and ``B' Sigma^-1 B`` (N, r, r) for ``B = [y, X, covariances]``."""
        factor = self._factor(variances)
        # numpy's stacked solve runs LAPACK in one C loop; scipy's triangular solve loops in Python.
        whitened = np.linalg.solve(factor, np.broadcast_to(self.base, factor.shape[:1] + self.base.shape))
        logdet = 2 * np.log(np.diagonal(factor, axis1=1, axis2=2)).sum(axis=1)
        return logdet, np.einsum("nir,nis->nrs", whitened, whitened)

    def smoothed(self, variances: np.ndarray, coefficients: np.ndarray, precision: np.ndarray) -> tuple:
        """Pointwise mean and variance of the pre-period signal given ``y``; see ``smoothed_signal``."""
        factor = self._factor(variances)
        n = factor.shape[1]
        design = self.model.design
        residual = self.model.y - _product(coefficients, design.T)
        # Sigma^-1 v = L^-T (L^-1 v) and diag(Sigma^-1) = column sums of squares of L^-1: one stacked
        # solve, and no n^3 product per draw.
        stacked = np.concatenate([residual[:, :, None], np.broadcast_to(design, (len(factor),) + design.shape),
                                  np.broadcast_to(np.eye(n), factor.shape)], axis=2)
        half = np.linalg.solve(factor, stacked)
        inverse_factor = half[:, :, 1 + design.shape[1] :]
        solved = np.einsum("nki,nkr->nir", inverse_factor, half[:, :, : 1 + design.shape[1]])
        inverse_residual, inverse_x = solved[:, :, 0], solved[:, :, 1:]
        inverse_diagonal = np.einsum("nki,nki->ni", inverse_factor, inverse_factor)
        return _smoothed_from(self.model, variances[:, :1], coefficients, precision, inverse_residual, inverse_x,
                              inverse_diagonal)


def _smoothed_from(model, a, coefficients, precision, inverse_residual, inverse_x, inverse_diagonal) -> tuple:
    """Kriging of the pre-period signal ``X_design beta + W + S``, whose covariance with ``y`` is ``Sigma - a I``.

    Mean ``y - D beta_D - a Sigma^-1 r`` and variance ``a - a^2 diag(Sigma^-1) + diag(G P G')`` with
    ``r = y - X beta``, ``G = [0, -D] + a Sigma^-1 X`` and ``P`` the coefficients' covariance
    (``D``: the dummies of missing points).
    """
    n_dummies = model.design.shape[1] - (1 + model.n_controls + (model.season_length - 1 if model.season_length else 0))
    dummies = model.design[:, model.design.shape[1] - n_dummies :]
    mean = model.y - _product(coefficients[:, model.design.shape[1] - n_dummies :], dummies.T) - a * inverse_residual
    gain = a[:, :, None] * inverse_x
    if n_dummies:
        gain[:, :, model.design.shape[1] - n_dummies :] -= dummies
    spread = np.einsum("nti,nij,ntj->nt", gain, precision, gain)
    return mean, np.maximum(a - a**2 * inverse_diagonal + spread, 0.0)


# --- the posterior given the variances ---------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Fit:
    """The model given each row of variances (N rows).

    ``log_likelihood`` is the diffuse log likelihood up to a constant; ``coefficients`` and
    ``precision`` are the posterior mean (N, p) and covariance (N, p, p) of ``beta``;
    ``end_mean`` (N, q) and ``end_cov`` (N, q, q) those of the end state.
    """

    log_likelihood: np.ndarray
    coefficients: np.ndarray
    precision: np.ndarray
    end_mean: np.ndarray
    end_cov: np.ndarray

    def take(self, rows: np.ndarray) -> Fit:
        """The fit for a subset of the rows."""
        return Fit(*(getattr(self, name)[rows] for name in self.__dataclass_fields__))


def fit(basis: _SineBasis | _DenseBasis, variances: np.ndarray) -> Fit:
    """Likelihood, coefficients and end state for each row of ``variances`` (N, 2 or 3)."""
    padded = np.column_stack([variances, np.zeros((len(variances), 3 - variances.shape[1]))])
    logdet, gram = basis.grams(padded)
    p = basis.model.design.shape[1]
    x, z = slice(1, 1 + p), slice(1 + p, None)
    scale = padded[:, basis.component]  # each end-state covariance column scales with its variance
    gram[:, z, :] *= scale[:, :, None]
    gram[:, :, z] *= scale[:, None, :]
    information = gram[:, x, x]
    precision = np.linalg.inv(information)
    coefficients = np.einsum("nij,nj->ni", precision, gram[:, x, 0])
    quadratic = gram[:, 0, 0] - np.einsum("ni,ni->n", gram[:, x, 0], coefficients)
    log_likelihood = -0.5 * (logdet + np.linalg.slogdet(information)[1] + quadratic)
    gain = basis.a_rows[None] - gram[:, z, x]
    end_mean = _product(coefficients, basis.a_rows.T) + gram[:, z, 0] - np.einsum("nqi,ni->nq", gram[:, z, x], coefficients)
    self_cov = np.einsum("nc,cij->nij", padded, basis.self_cov)
    end_cov = self_cov - gram[:, z, z] + gain @ precision @ gain.transpose(0, 2, 1)
    return Fit(log_likelihood, coefficients, precision, end_mean, end_cov)


def smoothed_signal(basis: _SineBasis | _DenseBasis, variances: np.ndarray, given: Fit) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise posterior mean and variance (N, n) of the pre-period signal, noise excluded."""
    padded = np.column_stack([variances, np.zeros((len(variances), 3 - variances.shape[1]))])
    return basis.smoothed(padded, given.coefficients, given.precision)


def forecast(
    model: StructuralModel, end_state: np.ndarray, variances: np.ndarray, controls: np.ndarray | None, steps: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Paths (D, steps) of the signal after the pre-period, from drawn end states (D, q).

    ``controls`` holds the future rows of the controls (None without controls).
    """
    k, h = model.n_controls, steps
    level_steps = rng.standard_normal((len(end_state), h)) * np.sqrt(variances[:, 1:2])
    signal = end_state[:, k : k + 1] + np.cumsum(level_steps, axis=1)
    if k:
        signal += _product(end_state[:, :k], controls.T)
    if model.season_length:
        states = end_state[:, k + 1 :].copy()  # newest first
        shocks = rng.standard_normal((len(end_state), h)) * np.sqrt(variances[:, 2:3])
        for t in range(h):
            newest = -states.sum(axis=1) + shocks[:, t]
            states = np.column_stack([newest, states[:, :-1]])
            signal[:, t] += newest
    return signal


def draw_end_states(given: Fit, rng: np.random.Generator) -> np.ndarray:
    """One end state (N, q) per row of ``given``, from its Gaussian posterior."""
    q = given.end_mean.shape[1]
    factor = np.linalg.cholesky(given.end_cov + _JITTER * np.eye(q))
    return given.end_mean + np.einsum("nij,nj->ni", factor, rng.standard_normal(given.end_mean.shape))
