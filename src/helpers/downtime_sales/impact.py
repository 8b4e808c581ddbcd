"""The counterfactual impact of an intervention on a time series, CausalImpact-style.

:func:`estimate_impact` answers "what would ``y`` have been after the intervention,
had it not happened?" with a Bayesian structural time-series model, as R's
CausalImpact does: a local level, plus a regression on control series that the
intervention did not touch, plus a seasonal component when asked (statsmodels'
``UnobservedComponents`` model). It is fitted on the pre-period and the post-period
is simulated from it; :mod:`._structural` evaluates it for all variance draws at once.

Parameter uncertainty is part of every interval. The three or fewer variances of
the model get the priors R's CausalImpact gives them on standardized data (level
sd about 0.01 with 32 observations' weight; for a model with controls, residual sd
about ``sqrt(1 - 0.8)`` with 50 observations' weight, i.e. an expected R² of 0.8);
their posterior is sampled by importance sampling around its mode (a Laplace
approximation as the proposal, a multivariate t for heavy tails). For each
variance draw the end state of the pre-period (regression coefficients, which have a
flat prior, level and seasonal effects) is drawn from its posterior and the states
are simulated forward through the post-period; then observation noise is added. Sums
and averages of those draws give the intervals. Before the intervention each point's
band comes from its smoothed mean and variance given each variance draw.
R's spike-and-slab selection of controls is not reproduced: every control is kept.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from helpers.downtime_sales._structural import (
    Fit,
    StructuralModel,
    draw_end_states,
    fit,
    forecast,
    log_likelihood,
    smoothed_signal,
)

__all__ = ["ImpactResult", "estimate_impact"]

# R CausalImpact's fixed priors, on data standardized with the pre-period mean and sd:
# 1 / sigma^2 ~ Gamma(sample_size / 2, sample_size * sigma_guess^2 / 2), sigma <= upper limit.
_LEVEL_PRIOR = (32.0, 0.01, 1.0)  # (sample size, sigma guess, upper limit): CausalImpact prior.level.sd
_NOISE_PRIOR_NO_CONTROLS = (0.01, 1.0, 1.2)  # bsts default: a vague guess at sd(y)
_NOISE_PRIOR_CONTROLS = (50.0, np.sqrt(1 - 0.8), 1.2)  # SpikeSlabPrior: expected R^2 0.8, prior df 50
_SEASONAL_PRIOR = (0.01, 0.01, 1.0)  # bsts AddSeasonal default

_T_DF = 5  # degrees of freedom of the importance-sampling proposal
_PROPOSAL_SCALE = 1.5  # widens the Laplace approximation so that the proposal covers the tails
_LOG_VARIANCE_FLOOR = -20.0  # variance 2e-9 of the standardized series: nothing smaller matters


@dataclass(frozen=True, eq=False)
class ImpactResult:
    """The estimated effect of an intervention, in the units of ``y``.

    Attributes
    ----------
    average_effect, average_effect_low, average_effect_high : float
        Mean over the post-period of actual minus counterfactual, with its interval.
    cumulative_effect, cumulative_effect_low, cumulative_effect_high : float
        Sum over the post-period of actual minus counterfactual, with its interval.
    relative_effect, relative_effect_low, relative_effect_high : float
        The average effect as a fraction of the average counterfactual (0.05 = +5 %).
    p_value : float
        One-sided posterior tail probability of the post-period total under "no effect";
        the smallest possible value is ``1 / (draws + 1)``.
    alpha : float
        The intervals are central ``1 - alpha`` intervals.
    series : pandas.DataFrame
        One row per point from the start of the pre-period to the end of the
        post-period: ``actual``, ``predicted`` (the model's expectation: in-sample
        fit before the intervention, counterfactual after), ``predicted_low`` and
        ``predicted_high`` (a prediction interval for a single point, noise included).
    draws : int
        Number of posterior draws behind the intervals.
    """

    average_effect: float
    average_effect_low: float
    average_effect_high: float
    cumulative_effect: float
    cumulative_effect_low: float
    cumulative_effect_high: float
    relative_effect: float
    relative_effect_low: float
    relative_effect_high: float
    p_value: float
    alpha: float
    series: pd.DataFrame = field(repr=False)
    draws: int = 0

    @property
    def excludes_zero(self) -> bool:
        """True when the interval of the effect lies entirely above or below zero."""
        return self.average_effect_low > 0 or self.average_effect_high < 0

    def summary(self) -> pd.DataFrame:
        """The effect as a small table: rows average and cumulative, columns estimate, low, high."""
        return pd.DataFrame(
            {
                "estimate": [self.average_effect, self.cumulative_effect, self.relative_effect],
                "low": [self.average_effect_low, self.cumulative_effect_low, self.relative_effect_low],
                "high": [self.average_effect_high, self.cumulative_effect_high, self.relative_effect_high],
            },
            index=pd.Index(["average", "cumulative", "relative"], name="effect"),
        )


def estimate_impact(
    y: pd.Series,
    pre_period: tuple[Hashable, Hashable],
    post_period: tuple[Hashable, Hashable],
    *,
    controls: pd.DataFrame | None = None,
    alpha: float = 0.05,
    season_length: int | None = None,
    draws: int = 1000,
    seed: int = 0,
) -> ImpactResult:
    """Estimate the effect of an intervention on ``y`` against a counterfactual.

    Parameters
    ----------
    y : pandas.Series
        The response, one value per point in time (any unit; results are in it).
        Missing values are allowed in the pre-period, not in the post-period.
    pre_period, post_period : tuple
        ``(first, last)`` index labels of ``y``, both inclusive. The model is fitted on
        the pre-period only; points between the two periods are left out of the fit.
    controls : pandas.DataFrame, optional
        Control series on the same index as ``y``, untouched by the intervention; no
        missing values. None: a local level (plus seasonality) alone.
    alpha : float
        Intervals are central ``1 - alpha`` intervals (0.05 gives 95 %).
    season_length : int, optional
        Number of points in a seasonal cycle (7 for a weekly cycle in daily data).
    draws : int
        Posterior draws of the counterfactual path (R's ``niter`` plays this role).
    seed : int
        Seed of the random generator; the same inputs and seed give the same result.

    Returns
    -------
    ImpactResult

    Raises
    ------
    ValueError
        Periods not in the index, overlapping or out of order; too few pre-period
        points; missing values where none are allowed.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha!r}.")
    if season_length is not None and int(season_length) < 2:
        raise ValueError(f"season_length must be at least 2; got {season_length!r}.")
    pre_first, pre_last = _positions(y.index, pre_period, "pre_period")
    post_first, post_last = _positions(y.index, post_period, "post_period")
    if post_first <= pre_last:
        raise ValueError("post_period must start after pre_period ends.")

    values = y.to_numpy(dtype=float)[pre_first : post_last + 1]
    n_pre = pre_last - pre_first + 1
    n_fit_gap = post_first - pre_first  # points not observed by the model: gap + post-period
    pre_values = values[:n_pre]
    if np.count_nonzero(~np.isnan(pre_values)) < 3:
        raise ValueError("the pre-period needs at least 3 non-missing values of y.")
    if np.isnan(values[n_fit_gap:]).any():
        raise ValueError("y has missing values in the post-period.")
    mean, sd = np.nanmean(pre_values), np.nanstd(pre_values, ddof=1)
    if not sd > 0:
        raise ValueError("y is constant in the pre-period; there is nothing to model.")

    standardized = (values - mean) / sd
    exog = _standardized_controls(controls, y.index, pre_first, post_last, n_pre)
    model = StructuralModel.build(standardized[:n_pre], None if exog is None else exog[:n_pre], season_length)
    rng = np.random.default_rng(seed)
    log_posterior = _LogPosterior(model.basis(), has_controls=exog is not None)
    variances, fits = _sample_variances(log_posterior, draws, rng)
    future = None if exog is None else exog[n_pre:]
    predicted, noisy = _simulate_paths(log_posterior.basis, variances, fits, future, len(values) - n_pre, rng)

    noisy *= sd
    noisy += mean
    return _summarize(y.index[pre_first : post_last + 1], values, predicted * sd + mean, noisy, n_fit_gap, alpha)


# --- inputs -----------------------------------------------------------------------------

def _positions(index: pd.Index, period: tuple[Hashable, Hashable], name: str) -> tuple[int, int]:
    try:
        first_label, last_label = period
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (first, last) pair of index labels; got {period!r}.") from None
    positions = []
    for label in (first_label, last_label):
        try:
            position = index.get_loc(label)
        except KeyError:
            raise ValueError(f"{name}: {label!r} is not in the index of y.") from None
        if not isinstance(position, (int, np.integer)):
            raise ValueError(f"{name}: {label!r} is not a unique label in the index of y.")
        positions.append(int(position))
    if positions[1] < positions[0]:
        raise ValueError(f"{name} ends before it starts: {period!r}.")
    return positions[0], positions[1]


def _standardized_controls(
    controls: pd.DataFrame | None, index: pd.Index, first: int, last: int, n_pre: int
) -> np.ndarray | None:
    if controls is None or controls.shape[1] == 0:
        return None
    if not controls.index.equals(index):
        raise ValueError("controls must have the same index as y.")
    x = controls.to_numpy(dtype=float)[first : last + 1]
    if np.isnan(x).any():
        raise ValueError("controls have missing values; fill or drop them first.")
    centre, spread = x[:n_pre].mean(axis=0), x[:n_pre].std(axis=0, ddof=1)
    # A control that is constant before the intervention carries no information
    # the level does not already have, and it cannot be standardized.
    keep = spread > 0
    if not keep.any():
        return None
    return (x[:, keep] - centre[keep]) / spread[keep]


# --- the posterior of the variances -------------------------------------------------------

class _LogPosterior:
    """Log posterior density of the model's variances, on the log-variance scale, for rows of them."""

    def __init__(self, basis, *, has_controls: bool):
        self.basis = basis
        priors = {
            "sigma2.irregular": _NOISE_PRIOR_CONTROLS if has_controls else _NOISE_PRIOR_NO_CONTROLS,
            "sigma2.level": _LEVEL_PRIOR,
            "sigma2.seasonal": _SEASONAL_PRIOR,
        }
        sample_size, guess, upper = np.array([priors[name] for name in basis.model.names]).T
        self.shape = sample_size / 2
        self.rate = sample_size * guess**2 / 2
        self.upper = np.log(upper**2)
        self.guess = np.log(guess**2)

    def evaluate(self, log_variance: np.ndarray) -> tuple[np.ndarray, Fit]:
        """Log posterior (N,) of rows (N, k) of log variances, and the model given each row."""
        variances, log_prior, inside = self._prior(log_variance)
        with np.errstate(all="ignore"):
            given = fit(self.basis, variances)
        return self._total(given.log_likelihood, log_prior, inside), given

    def __call__(self, log_variance: np.ndarray) -> np.ndarray:
        """Log posterior (N,) of rows (N, k) of log variances; the likelihood alone, without the end state."""
        variances, log_prior, inside = self._prior(log_variance)
        with np.errstate(all="ignore"):
            return self._total(log_likelihood(self.basis, variances), log_prior, inside)

    def _prior(self, log_variance: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Variances to evaluate the likelihood at, log prior density and whether inside the prior's support."""
        log_variance = np.atleast_2d(log_variance)
        inside = np.all(log_variance <= self.upper, axis=1) & np.all(np.isfinite(log_variance), axis=1)
        # Rows outside the prior's support are evaluated at the upper limit, then given density 0.
        clipped = np.where(inside[:, None], log_variance, np.minimum(self.upper, 0.0))
        with np.errstate(all="ignore"):
            precision = np.exp(-clipped)
            # Gamma prior on the precision, with the Jacobian of the log-variance scale.
            log_prior = np.sum(self.shape * np.log(precision) - self.rate * precision, axis=1)
        return np.exp(clipped), log_prior, inside

    @staticmethod
    def _total(likelihood: np.ndarray, log_prior: np.ndarray, inside: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            total = likelihood + log_prior
        return np.where(inside & np.isfinite(total), total, -np.inf)


def _posterior_mode(log_posterior: _LogPosterior) -> np.ndarray:
    """The mode: by a zooming grid where a batch of evaluations is cheap, else by Newton steps.

    Both evaluate many points per batch; a sequential optimiser pays the fixed cost of
    a batch (and of waking BLAS threads) for every single point.
    """
    if log_posterior.basis.cheap_batches:
        return _grid_mode(log_posterior)
    starts = np.array([
        np.minimum(log_posterior.guess, log_posterior.upper - 0.1),
        np.minimum(np.log(np.full_like(log_posterior.guess, 0.1)), log_posterior.upper - 0.1),
    ])
    return _newton_mode(log_posterior, starts)


def _newton_mode(log_posterior: _LogPosterior, starts: np.ndarray, iterations: int = 50) -> np.ndarray:
    """The best end point of damped Newton ascents from each row of ``starts``, run side by side.

    Each iteration evaluates the difference stencils of all climbs still moving in one
    batch, then their step lengths in another. Where the Hessian is not negative
    definite the step follows the gradient instead.
    """
    high = log_posterior.upper - 0.01  # keeps the difference stencil inside the prior's support
    points = np.clip(starts, _LOG_VARIANCE_FLOOR, high)
    values = log_posterior(points)
    moving = np.ones(len(points), dtype=bool)
    lengths = 0.5 ** np.arange(8)
    for _ in range(iterations):
        climbing = np.flatnonzero(moving)
        if not len(climbing):
            break
        gradients, hessians = _derivatives(log_posterior, points[climbing])
        trials = np.stack([
            np.clip(points[i] + lengths[:, None] * _newton_step(gradient, hessian), _LOG_VARIANCE_FLOOR, high)
            for i, gradient, hessian in zip(climbing, gradients, hessians)
        ])
        trial_values = log_posterior(trials.reshape(-1, trials.shape[-1])).reshape(len(climbing), len(lengths))
        for i, candidates, candidate_values in zip(climbing, trials, trial_values):
            best = int(np.argmax(candidate_values))
            if not candidate_values[best] > values[i]:
                moving[i] = False
                continue
            moving[i] = np.abs(candidates[best] - points[i]).max() >= 1e-5
            points[i], values[i] = candidates[best], candidate_values[best]
    return points[int(np.argmax(values))]


def _newton_step(gradient: np.ndarray, hessian: np.ndarray) -> np.ndarray:
    """The Newton step, or the gradient's direction off a maximum's basin; at most 2 (a factor e^2) per coordinate."""
    try:
        np.linalg.cholesky(-hessian)
        step = np.linalg.solve(-hessian, gradient)
    except np.linalg.LinAlgError:
        step = gradient / max(1.0, np.abs(gradient).max())
    return step * min(1.0, 2.0 / max(np.abs(step).max(), 1e-300))


def _derivatives(log_posterior: _LogPosterior, points: np.ndarray, step: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """Gradients (m, k) and Hessians (m, k, k) of the log posterior at rows ``points`` by central differences, in one batch."""
    m, k = points.shape
    unit = np.eye(k) * step
    pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
    offsets = [np.zeros(k)] + [unit[a] for a in range(k)] + [-unit[a] for a in range(k)]
    offsets += [sign * (unit[a] + unit[b]) for a, b in pairs for sign in (1, -1)]
    values = log_posterior((points[:, None, :] + np.array(offsets)[None]).reshape(-1, k)).reshape(m, -1)
    centre, plus, minus = values[:, :1], values[:, 1 : k + 1], values[:, k + 1 : 2 * k + 1]
    hessians = np.zeros((m, k, k))
    hessians[:, np.arange(k), np.arange(k)] = (plus - 2 * centre + minus) / step**2
    for (a, b), (both_up, both_down) in zip(pairs, values[:, 2 * k + 1 :].reshape(m, -1, 2).transpose(1, 2, 0)):
        # f(+a+b) + f(-a-b) = 2 f + h^2 (f_aa + f_bb + 2 f_ab) + O(h^4)
        crossed = (both_up + both_down - 2 * centre[:, 0] - step**2 * (hessians[:, a, a] + hessians[:, b, b])) / (2 * step**2)
        hessians[:, a, b] = hessians[:, b, a] = crossed
    return (plus - minus) / (2 * step), hessians


def _grid_mode(log_posterior: _LogPosterior, points: int = 17, tolerance: float = 1e-4) -> np.ndarray:
    """Maximise on a grid over the whole prior range, then on finer grids around the best point.

    Each round evaluates ``points ** k`` rows in one batch and narrows the box to two
    grid steps either side of the best, so the step shrinks fourfold a round.
    """
    low = np.full_like(log_posterior.upper, _LOG_VARIANCE_FLOOR)
    high = log_posterior.upper.copy()
    while True:
        axes = [np.linspace(a, b, points) for a, b in zip(low, high)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(low))
        best = grid[np.argmax(log_posterior(grid))]
        step = (high - low) / (points - 1)
        if np.all(step < tolerance):
            return best
        low = np.maximum(best - 2 * step, _LOG_VARIANCE_FLOOR)
        high = np.minimum(best + 2 * step, log_posterior.upper)


def _curvature(log_posterior: _LogPosterior, mode: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Covariance of the Laplace approximation: the inverse of minus the Hessian at the mode."""
    hessian = _derivatives(log_posterior, mode[None], step)[1][0]
    try:
        covariance = np.linalg.inv(-hessian)
        np.linalg.cholesky(covariance)
        if np.all(np.isfinite(covariance)):
            return covariance
    except np.linalg.LinAlgError:
        pass
    # A mode on the boundary (e.g. a variance at its upper limit) has no proper
    # curvature: fall back to a broad proposal on the log scale.
    return np.eye(len(mode))


def _sample_variances(log_posterior: _LogPosterior, draws: int, rng: np.random.Generator) -> tuple[np.ndarray, Fit]:
    """Posterior draws of the variances (rows), by importance resampling, with the model given each."""
    centre = _posterior_mode(log_posterior)
    scale = _curvature(log_posterior, centre) * _PROPOSAL_SCALE**2
    n_proposals = max(3 * draws // 2, 500)
    for _attempt in range(3):
        proposal = stats.multivariate_t(loc=centre, shape=scale, df=_T_DF, seed=rng)
        candidates = np.atleast_2d(proposal.rvs(size=n_proposals))
        if candidates.shape[0] != n_proposals:
            candidates = candidates.T
        log_density, given = log_posterior.evaluate(candidates)
        log_weights = log_density - proposal.logpdf(candidates)
        log_weights -= np.max(log_weights)
        weights = np.exp(log_weights)
        weights /= weights.sum()
        effective = 1 / np.sum(weights**2)
        if effective >= min(draws, n_proposals) / 4:
            break
        # A poor fit of the Laplace approximation: recentre on the weighted draws and retry.
        centre = weights @ candidates
        deviation = candidates - centre
        scale = (deviation.T * weights) @ deviation * _PROPOSAL_SCALE**2 + np.eye(len(centre)) * 1e-6
    chosen = rng.choice(n_proposals, size=draws, p=weights)
    return np.exp(candidates[chosen]), given.take(chosen)


# --- paths ----------------------------------------------------------------------------------

def _simulate_paths(
    basis, variances: np.ndarray, given: Fit, future_controls: np.ndarray | None, steps: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The model's expectation (the mean of its draws) and draws of the observations, one row per draw.

    Before the intervention a point's band needs only its own distribution, so each draw
    takes the smoothed mean and variance given its variances (computed once per distinct
    variance draw); from the last pre-period point on, whole paths are drawn, because the
    effect's intervals come from their sums.
    """
    model = basis.model
    _, first, which = np.unique(variances, axis=0, return_index=True, return_inverse=True)
    which = which.ravel()
    mean, spread = smoothed_signal(basis, variances[first], given.take(first))
    spread += variances[first, :1]  # a point's variance: the signal's plus the noise's
    np.sqrt(spread, out=spread)
    # Whole (draws x points) arrays are the largest here: each is written once, in place.
    noisy = np.empty((len(variances), mean.shape[1] + steps))
    noisy[:, : mean.shape[1]] = rng.standard_normal((len(variances), mean.shape[1]))
    noisy[:, : mean.shape[1]] *= spread[which]
    noisy[:, : mean.shape[1]] += mean[which]
    paths = forecast(model, draw_end_states(given, rng), variances, future_controls, steps, rng)
    noisy[:, mean.shape[1] :] = paths + rng.standard_normal(paths.shape) * np.sqrt(variances[:, :1])
    counts = np.bincount(which, minlength=len(first))
    return np.concatenate([counts @ mean, paths.sum(axis=0)]) / len(variances), noisy


def _summarize(
    index: pd.Index, actual: np.ndarray, predicted: np.ndarray, noisy: np.ndarray, post_start: int, alpha: float
) -> ImpactResult:
    quantiles = [alpha / 2, 1 - alpha / 2]
    low, high = _quantiles(noisy, quantiles)
    series = pd.DataFrame(
        {"actual": actual, "predicted": predicted, "predicted_low": low, "predicted_high": high},
        index=index,
    )
    post_actual = actual[post_start:]
    predicted_post = series["predicted"].to_numpy()[post_start:]
    n_post = len(post_actual)
    # Intervals of the effect come from whole simulated paths, so they include
    # observation noise and the autocorrelation of the counterfactual.
    path_totals = noisy[:, post_start:].sum(axis=1)
    effect_totals = post_actual.sum() - path_totals
    cumulative = post_actual.sum() - predicted_post.sum()
    cumulative_low, cumulative_high = _quantiles(effect_totals, quantiles)
    predicted_mean = predicted_post.mean()
    actual_total = post_actual.sum()
    tail = min(np.sum(path_totals >= actual_total) + 1, np.sum(path_totals <= actual_total) + 1)
    return ImpactResult(
        average_effect=float(cumulative / n_post),
        average_effect_low=float(cumulative_low / n_post),
        average_effect_high=float(cumulative_high / n_post),
        cumulative_effect=float(cumulative),
        cumulative_effect_low=float(cumulative_low),
        cumulative_effect_high=float(cumulative_high),
        relative_effect=float(cumulative / n_post / predicted_mean),
        relative_effect_low=float(cumulative_low / n_post / predicted_mean),
        relative_effect_high=float(cumulative_high / n_post / predicted_mean),
        p_value=float(tail / (len(path_totals) + 1)),
        alpha=alpha,
        series=series,
        draws=len(path_totals),
    )


def _quantiles(draws: np.ndarray, probabilities: list[float]) -> np.ndarray:
    """Quantiles along the first axis, as ``np.quantile``'s default (linear) method computes them.

    numpy's vectorised sort is several times faster than the partition ``np.quantile`` runs
    for two quantiles of a (draws x points) array.
    """
    ordered = np.sort(draws, axis=0)
    position = np.asarray(probabilities) * (len(draws) - 1)
    below = np.floor(position).astype(int)
    above = np.minimum(below + 1, len(draws) - 1)
    fraction = (position - below).reshape((-1,) + (1,) * (draws.ndim - 1))
    return ordered[below] + (ordered[above] - ordered[below]) * fraction
