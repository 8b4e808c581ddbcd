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
form (a sine transform, computed once by FFT): the likelihood and the end state then
cost O(n) per draw. Smoothing a long series goes through first differences instead,
which make ``Sigma`` tridiagonal (O(n) per draw, no transform per draw). With a seasonal
component, differences a season apart make ``Sigma`` banded, s diagonals either side:
each draw is factored by LAPACK's band Cholesky, O(n s^2), not a dense O(n^3) one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg.lapack import dpbtrf as _band_cholesky
from scipy.linalg.lapack import dpttrf as _tridiagonal_factor
from scipy.linalg.lapack import dpttrs as _tridiagonal_solve
from scipy.linalg.lapack import dtbtrs as _band_solve

__all__ = [
    "Fit", "StructuralModel", "draw_end_states", "end_state_columns", "fit", "forecast", "log_likelihood", "smoothed_signal",
]

_JITTER = 1e-10  # keeps the Cholesky factor of a near-singular end-state covariance real
# OpenBLAS hands a product of more than 65536 * 4 multiply-adds to its threads; on a busy
# two-core machine waking them costs ~20 ms, far more than these products take on one.
_SINGLE_THREAD_PRODUCT = 65536 * 4
_SMALL_SERIES = 200  # up to this many points an explicit eigenbasis smooths faster than first differences
_FEW_DRAWS = 100  # below this many draws a LAPACK band solve per draw beats a vectorised substitution


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
            seasonal_cov = _product(impulse, impulse.T)
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

    def basis(self) -> _SineBasis | _BandedBasis:
        """How ``Sigma`` is inverted: in closed form without seasonality, by Cholesky with it."""
        return _BandedBasis(self) if self.season_length else _SineBasis(self)


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


@dataclass(frozen=True)
class _Products:
    """Pointwise products of pairs of columns (n, pairs): ``rows[i]`` times ``cols[i]``."""

    rows: np.ndarray
    cols: np.ndarray
    products: np.ndarray


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
        self.eigenvalues = np.concatenate([[0.0], 1 / (4 * np.sin(np.pi * odd / self.fft_length) ** 2)])
        a_rows, covariances, self.component, self.self_cov = end_state_columns(model)
        self.a_rows = a_rows
        base = np.column_stack([model.y, model.design, covariances])
        self.rotated = self.to_eigen(base.T).T  # (n, r): y, X, end-state covariances in the eigenbasis
        self._products: dict[int, _Products] = {}
        self.model = model

    def to_eigen(self, x: np.ndarray) -> np.ndarray:
        """``U' x`` along the last axis."""
        padded = np.zeros(x.shape[:-1] + (self.fft_length,))
        padded[..., 1 : self.m + 1] = x[..., 1:]
        spectrum = np.fft.rfft(padded, axis=-1)
        return np.concatenate([x[..., :1], -self.scale * spectrum.imag[..., 1 : 2 * self.m : 2]], axis=-1)

    def from_eigen(self, z: np.ndarray) -> np.ndarray:
        """``U z`` along the last axis, with the explicit eigenbasis of a short series."""
        return _product(z.reshape(-1, z.shape[-1]), self.matrix.T).reshape(z.shape)

    def weighted_diagonal(self, f: np.ndarray) -> np.ndarray:
        """``diag(U diag(f) U')`` along the last axis, with the explicit eigenbasis of a short series."""
        return _product(f.reshape(-1, f.shape[-1]), (self.matrix**2).T).reshape(f.shape)

    def grams(self, variances: np.ndarray, columns: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``log det Sigma`` (N,) and ``B' Sigma^-1 B`` (N, r, r) for the first ``columns`` of ``B = [y, X, covariances]``."""
        spread = variances[:, :1] + variances[:, 1:2] * self.eigenvalues  # (N, n) eigenvalues of Sigma
        r = columns or self.rotated.shape[1]
        upper = self._upper_products(r)
        gram = np.empty((len(spread), r, r))
        # Each product of two columns once: the gram is symmetric.
        gram[:, upper.rows, upper.cols] = gram[:, upper.cols, upper.rows] = _product(1 / spread, upper.products)
        return np.log(spread).sum(axis=1), gram

    def _upper_products(self, columns: int) -> _Products:
        if columns not in self._products:
            rows, cols = np.triu_indices(columns)
            self._products[columns] = _Products(rows, cols, self.rotated[:, rows] * self.rotated[:, cols])
        return self._products[columns]

    def smoothed(self, variances: np.ndarray, coefficients: np.ndarray, precision: np.ndarray) -> tuple:
        """Pointwise mean and variance of the pre-period signal given ``y``; see ``smoothed_signal``."""
        if self.matrix is None:
            return _smoothed_by_differences(self.model, variances, coefficients, precision)
        a = variances[:, :1]
        weights = 1 / (a + variances[:, 1:2] * self.eigenvalues)
        p = coefficients.shape[1]
        rotated_x = self.rotated[:, 1 : 1 + p]
        residual = self.rotated[:, 0] - _product(coefficients, rotated_x.T)  # U' (y - X beta), (N, n)
        inverse_residual = self.from_eigen(weights * residual)
        inverse_x = np.stack([self.from_eigen(weights * rotated_x[:, j]) for j in range(p)], axis=1)
        inverse_diagonal = self.weighted_diagonal(weights)
        return _smoothed_from(self.model, a, coefficients, precision, inverse_residual, inverse_x, inverse_diagonal)


def _smoothed_by_differences(model: StructuralModel, variances: np.ndarray, coefficients: np.ndarray,
                              precision: np.ndarray) -> tuple:
    """``smoothed`` for the local level (no seasonal component) through first differences: O(n) per draw.

    With ``J`` the first point followed by the first differences, ``M = J Sigma J'`` is
    tridiagonal: ``a`` then ``2a + b`` on the diagonal and ``-a`` beside it. LAPACK factors
    it as ``L D L'`` for each draw, ``Sigma^-1 v = J' M^-1 J v``, and the diagonal of ``M^-1``
    and the one beside it follow from the factor by Takahashi's backward recursion. Four
    transforms of awkward length (2n - 1) per draw cost several times more.
    """
    a, b = variances[:, 0], variances[:, 1]
    n_draws, n = len(variances), len(model.y)
    design = model.design
    # Draws first and points last, so that each draw's rows are Fortran-ordered columns for
    # LAPACK, which then factors and solves in place, without copies.
    stacked = np.empty((n_draws, 1 + design.shape[1], n))
    stacked[:, 0] = model.y - _product(coefficients, design.T)
    stacked[:, 1:] = design.T
    stacked[:, :, 1:] = np.diff(stacked, axis=2)
    pivots = np.repeat(2 * a + b, n).reshape(n_draws, n)
    pivots[:, 0] = a
    multipliers = np.repeat(-a, n - 1).reshape(n_draws, n - 1)
    for row in range(n_draws):
        if _tridiagonal_factor(pivots[row], multipliers[row], overwrite_d=1, overwrite_e=1)[2] == 0:
            _tridiagonal_solve(pivots[row], multipliers[row], stacked[row].T, overwrite_b=1)
        else:
            stacked[row] = np.nan
    stacked[:, :, :-1] -= stacked[:, :, 1:]  # J' w
    # M^-1[t, t] = 1 / d[t] + l[t]^2 M^-1[t + 1, t + 1] and M^-1[t, t + 1] = -l[t] M^-1[t + 1, t + 1]
    inverse, squares = np.ascontiguousarray((1 / pivots).T), np.ascontiguousarray((multipliers**2).T)
    for t in range(n - 2, -1, -1):
        inverse[t] += squares[t] * inverse[t + 1]
    inverse = inverse.T
    inverse_diagonal = inverse.copy()
    inverse_diagonal[:, :-1] += inverse[:, 1:] * (1 + 2 * multipliers)  # diag(J' M^-1 J)
    return _smoothed_from(model, variances[:, :1], coefficients, precision, stacked[:, 0], stacked[:, 1:],
                          inverse_diagonal)


class _BandedBasis:
    """``Sigma`` after a seasonal difference: banded, so each draw is factored in O(n s^2).

    ``J`` keeps the first s points and replaces each later point by its difference from
    the point a season earlier, ``y[t] - y[t - s]``. That difference removes the starting
    level and seasonal states, and what is left depends only on the shocks of the last
    season, so ``M = J Sigma J'`` is zero beyond s diagonals of its main one. ``J`` is
    unit lower triangular (``det J = 1``), hence ``log det Sigma = log det M`` and
    ``B' Sigma^-1 B = (J B)' M^-1 (J B)`` exactly.
    """

    cheap_batches = False

    def __init__(self, model: StructuralModel):
        self.model = model
        n = len(model.y)
        self.lag = model.season_length
        self.width = min(self.lag, n - 1)  # number of diagonals below the main one
        walk = np.minimum.outer(np.arange(n), np.arange(n)).astype(float)
        components = np.stack([np.eye(n), walk, model.seasonal_cov], axis=1)  # (n, 3, n)
        components = self.difference(self.difference(components).transpose(2, 1, 0)).transpose(1, 0, 2)
        # LAPACK's lower band storage: bands[c, d, j] = M_c[j + d, j].
        self.bands = np.zeros((3, self.width + 1, n))
        for d in range(self.width + 1):
            self.bands[:, d, : n - d] = np.diagonal(components, offset=-d, axis1=1, axis2=2)
        self.a_rows, covariances, self.component, self.self_cov = end_state_columns(model)
        self.base = self.difference(np.column_stack([model.y, model.design, covariances]))

    def difference(self, x: np.ndarray) -> np.ndarray:
        """``J x`` along the first axis."""
        out = x.copy()
        out[self.lag :] -= x[: len(x) - self.lag]
        return out

    def _factors(self, variances: np.ndarray) -> np.ndarray:
        """Band Cholesky factors (N, width + 1, n) of ``M``; NaN for a draw whose ``M`` is not positive definite."""
        n = self.bands.shape[2]
        # Each draw's band is built transposed, so that LAPACK gets it in Fortran order and factors it in place.
        factors = _product(variances, self.bands.transpose(0, 2, 1).reshape(3, -1)).reshape(len(variances), n, -1)
        for band in factors:
            # numpy has no band Cholesky; one LAPACK call per draw is ~10 us, far below a dense one.
            if _band_cholesky(band.T, lower=1, overwrite_ab=1)[1] != 0:
                band[:] = np.nan
        return factors.transpose(0, 2, 1)

    def grams(self, variances: np.ndarray, columns: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``log det Sigma`` (N,) and ``B' Sigma^-1 B`` (N, r, r) for the first ``columns`` of ``B = [y, X, covariances]``."""
        factors = self._factors(variances)
        logdet = 2 * np.log(factors[:, 0]).sum(axis=1)
        base = self.base[:, :columns]
        if len(factors) < _FEW_DRAWS:
            # A step of the substitution costs a few numpy calls whatever the batch; for a few
            # draws one LAPACK call each is cheaper.
            base = np.asfortranarray(base)
            whitened = np.stack([_band_solve(factor, base, uplo="L")[0] for factor in factors])
            return logdet, np.matmul(whitened.transpose(0, 2, 1), whitened)
        whitened = _forward_solve(factors, base)  # (n, N, r)
        return logdet, np.matmul(whitened.transpose(1, 2, 0), whitened.transpose(1, 0, 2))

    def smoothed(self, variances: np.ndarray, coefficients: np.ndarray, precision: np.ndarray) -> tuple:
        """Pointwise mean and variance of the pre-period signal given ``y``; see ``smoothed_signal``."""
        factors = self._factors(variances)
        design = self.model.design
        residual = self.model.y - _product(coefficients, design.T)  # (N, n)
        # Time first, so that each step of the substitutions reads contiguous rows.
        stacked = np.empty((len(design), len(residual), 1 + design.shape[1]))
        stacked[:, :, 0] = residual.T
        stacked[:, :, 1:] = design[:, None, :]
        solved = _backward_solve(factors, _forward_solve(factors, self.difference(stacked)))
        solved = self._transpose_difference(solved)  # Sigma^-1 [r, X] = J' M^-1 J [r, X]
        inverse_diagonal = self._inverse_diagonal(factors)
        return _smoothed_from(self.model, variances[:, :1], coefficients, precision, solved[:, :, 0].T,
                              solved[:, :, 1:].transpose(1, 2, 0), inverse_diagonal)

    def _transpose_difference(self, x: np.ndarray) -> np.ndarray:
        """``J' x`` along the first axis."""
        out = x.copy()
        out[: len(x) - self.lag] -= x[self.lag :]
        return out

    def _inverse_diagonal(self, factors: np.ndarray) -> np.ndarray:
        """``diag(Sigma^-1) = diag(J' M^-1 J)`` (N, n) from the band of ``M^-1`` (Takahashi's recursion)."""
        n_draws, width, n = factors.shape[0], self.width, factors.shape[2]
        diagonal = np.zeros((n + self.lag, n_draws))  # M^-1[t, t], zero past the end
        lagged = np.zeros((n, n_draws))  # M^-1[t, t + lag]
        block = np.zeros((n_draws, width, width))  # M^-1 on points t + 1 .. t + width
        spare = np.empty_like(block)
        for t in range(n - 1, -1, -1):
            below = factors[:, 1:, t]  # L[t + 1 .. t + width, t], zero past the end
            pivot = factors[:, 0, t]
            # L' Z = L^-1 is upper triangular with 1 / L[t, t] on the diagonal, row t of it gives row t of Z.
            row = np.einsum("nk,nkj->nj", below, block)
            row /= -pivot[:, None]
            own = (1 / pivot - np.einsum("nk,nk->n", below, row)) / pivot
            if self.lag <= width:
                lagged[t] = row[:, self.lag - 1]
            diagonal[t] = own
            # The block moves one point earlier: row t enters, the last point leaves.
            spare[:, 0, 0] = own
            spare[:, 0, 1:] = spare[:, 1:, 0] = row[:, : width - 1]
            spare[:, 1:, 1:] = block[:, : width - 1, : width - 1]
            block, spare = spare, block
        return (diagonal[:n] - 2 * lagged + diagonal[self.lag :]).T


def _forward_solve(factors: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``L^-1 b`` for each draw's band factor ``L``; ``rhs`` (n, r) or (n, N, r), result (n, N, r)."""
    n_draws, width, n = factors.shape[0], factors.shape[1] - 1, factors.shape[2]
    rhs = rhs.reshape(n, -1, rhs.shape[-1])
    # rows[t, i] = L[t, t - i]: the band read along rows instead of down columns.
    shift = np.arange(width + 1)
    columns = np.arange(n)[:, None] - shift[None, :]
    rows = np.where(columns >= 0, factors[:, shift[None, :], np.maximum(columns, 0)], 0.0).transpose(1, 2, 0)
    out = np.empty((n, n_draws, rhs.shape[-1]))
    for t in range(n):
        span = min(width, t)
        total = rhs[t] - np.einsum("in,inr->nr", rows[t, 1 : span + 1], out[t - 1 :: -1][:span]) if span else rhs[t]
        out[t] = total / rows[t, 0][:, None]
    return out


def _backward_solve(factors: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``L'^-1 b`` for each draw's band factor ``L``; ``rhs`` and result (n, N, r)."""
    width, n = factors.shape[1] - 1, factors.shape[2]
    columns = factors.transpose(2, 1, 0)  # columns[t, i] = L[t + i, t], zero past the end
    out = np.zeros((n + width,) + rhs.shape[1:])
    for t in range(n - 1, -1, -1):
        total = rhs[t] - np.einsum("in,inr->nr", columns[t, 1:], out[t + 1 : t + 1 + width])
        out[t] = total / columns[t, 0][:, None]
    return out[:n]


def _smoothed_from(model, a, coefficients, precision, inverse_residual, inverse_x, inverse_diagonal) -> tuple:
    """Kriging of the pre-period signal ``X_design beta + W + S``, whose covariance with ``y`` is ``Sigma - a I``.

    Mean ``y - D beta_D - a Sigma^-1 r`` and variance ``a - a^2 diag(Sigma^-1) + diag(G P G')`` with
    ``r = y - X beta``, ``G = [0, -D] + a Sigma^-1 X`` and ``P`` the coefficients' covariance
    (``D``: the dummies of missing points). ``inverse_residual`` is ``Sigma^-1 r`` (N, n),
    ``inverse_x`` is ``Sigma^-1 X`` with the columns first (N, p, n), ``inverse_diagonal`` (N, n).
    """
    n_dummies = model.design.shape[1] - (1 + model.n_controls + (model.season_length - 1 if model.season_length else 0))
    mean = model.y - a * inverse_residual
    gain = a[:, :, None] * inverse_x
    if n_dummies:
        dummies = model.design[:, model.design.shape[1] - n_dummies :]
        mean -= _product(coefficients[:, model.design.shape[1] - n_dummies :], dummies.T)
        gain[:, model.design.shape[1] - n_dummies :] -= dummies.T
    # (p x p) times (p x n) per draw suits BLAS; a 3-operand einsum would loop naively.
    spread = np.einsum("nit,nit->nt", np.matmul(precision, gain), gain)
    spread -= a**2 * inverse_diagonal
    spread += a
    return mean, np.maximum(spread, 0.0, out=spread)


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


def _padded(variances: np.ndarray) -> np.ndarray:
    """Rows of variances with a zero seasonal variance appended when the model has none."""
    return np.column_stack([variances, np.zeros((len(variances), 3 - variances.shape[1]))])


def _profiled(logdet: np.ndarray, gram: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log likelihood, coefficients and their covariance from ``[y, X]``'s gram, ``beta`` integrated out."""
    x = slice(1, 1 + p)
    information = gram[:, x, x]
    precision = np.linalg.inv(information)
    coefficients = np.einsum("nij,nj->ni", precision, gram[:, x, 0])
    quadratic = gram[:, 0, 0] - np.einsum("ni,ni->n", gram[:, x, 0], coefficients)
    return -0.5 * (logdet + np.linalg.slogdet(information)[1] + quadratic), coefficients, precision


def log_likelihood(basis: _SineBasis | _BandedBasis, variances: np.ndarray) -> np.ndarray:
    """The diffuse log likelihood (N,) of each row of ``variances``, up to a constant; cheaper than ``fit``."""
    p = basis.model.design.shape[1]
    return _profiled(*basis.grams(_padded(variances), 1 + p), p)[0]


def fit(basis: _SineBasis | _BandedBasis, variances: np.ndarray) -> Fit:
    """Likelihood, coefficients and end state for each row of ``variances`` (N, 2 or 3)."""
    padded = _padded(variances)
    logdet, gram = basis.grams(padded)
    p = basis.model.design.shape[1]
    x, z = slice(1, 1 + p), slice(1 + p, None)
    scale = padded[:, basis.component]  # each end-state covariance column scales with its variance
    gram[:, z, :] *= scale[:, :, None]
    gram[:, :, z] *= scale[:, None, :]
    log_likelihood, coefficients, precision = _profiled(logdet, gram, p)
    gain = basis.a_rows[None] - gram[:, z, x]
    end_mean = _product(coefficients, basis.a_rows.T) + gram[:, z, 0] - np.einsum("nqi,ni->nq", gram[:, z, x], coefficients)
    self_cov = np.einsum("nc,cij->nij", padded, basis.self_cov)
    end_cov = self_cov - gram[:, z, z] + gain @ precision @ gain.transpose(0, 2, 1)
    return Fit(log_likelihood, coefficients, precision, end_mean, end_cov)


def smoothed_signal(basis: _SineBasis | _BandedBasis, variances: np.ndarray, given: Fit) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise posterior mean and variance (N, n) of the pre-period signal, noise excluded."""
    return basis.smoothed(_padded(variances), given.coefficients, given.precision)


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
