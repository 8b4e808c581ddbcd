"""Expected sales of one channel had nothing gone wrong: a baseline fitted on clean buckets.

The outage analysis asks, for the buckets an outage (or its recovery) touched, what
revenue would have come in. :func:`fit_baseline` answers with a model fitted on every
other ("clean") bucket of the channel, and :meth:`Baseline.simulate` draws whole paths
of the counterfactual revenue over the buckets left out, so that sums over an outage
window get honest intervals.

The model, for the revenue ``y`` of bucket ``t``::

    y_t = mu_t * (1 + a_t) + e_t
    log mu_t = slot effect (hour of the week; day of the week for daily buckets)
             + trend (piecewise linear in time, a knot every four weeks; eight for daily buckets)
             + one effect per campaign on the channel
             + one effect per special day (public holidays and other unusual days)
             + the control channels' day-level deviation from their own baselines
    a_t: a slowly moving deviation from the baseline, AR(1) in time (a good day
         lifts every hour of it)
    e_t: noise with variance dispersion * mu_t, heavy-tailed (a wholesale order)

``mu`` is a Poisson-quasi-likelihood regression (log link) on the clean buckets, which
keeps zero-sale buckets and multiplicative seasonality in one model. Slots in which the
channel never sells (a store's nights and Sundays) and days on which it was closed (a
store on a public holiday) are structural zeros: expected revenue 0, no noise. The AR(1)
deviation and the dispersion are fitted by maximum likelihood on the clean buckets
(robustly: single huge orders are clipped for this step only); the likelihood, the smoothed
deviation and its conditional distribution over a window all come from the AR(1)'s
tridiagonal precision matrix, in O(n) (see :mod:`._deviation`).

A counterfactual path over left-out buckets draws, in turn: regression coefficients
from their approximate posterior (parameter uncertainty); the deviation ``a`` from its
Gaussian distribution given the clean buckets before the window (so a busy morning
before an outage raises the afternoon's expectation; what comes after, returning
customers included, cannot); and noise, resampled from the
channel's own standardized residuals at a similar expected level (so sums keep the
heavy tail of real order values).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from helpers.downtime_sales._deviation import deviation_posterior, fit_level, smooth_level

__all__ = [
    "Baseline", "TooFewSales", "fit_baseline", "closed_days", "unusual_days", "day_deviation", "bucket_slots", "bucket_step",
]

_KNOT_DAYS = 28
_DAILY_KNOT_DAYS = 56  # daily buckets: an outage blanks a whole day, so the trend must be stiffer
_SPECIAL_DAY_Z = 4.0  # robust z-score beyond which a day gets its own effect
_SPECIAL_DAY_MIN = 0.2  # ... if it is also at least 20 % off the baseline
_CLIP = 4.0  # robust clipping of single huge buckets, in standard deviations
_NOISE_BINS = 10


class TooFewSales(ValueError):
    """A channel has too few clean buckets with sales to fit its baseline."""


# --- the design -----------------------------------------------------------------------------

def bucket_slots(timestamps: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """The seasonal slot of each bucket: hour of the week (0-167), or day of the week for daily buckets."""
    if _is_daily(freq):
        return np.asarray(timestamps.day_of_week)
    return np.asarray(timestamps.day_of_week * 24 + timestamps.hour)


def bucket_step(freq: str) -> pd.Timedelta:
    """The length of a ``freq`` bucket (``"h"``, ``"15min"``, ``"D"``).

    Through ``to_timedelta`` of a number and a unit rather than a date offset: pandas 3.0 refuses
    to turn the ``Day`` offset into a Timedelta, and older pandas spell some offsets differently.
    """
    return pd.to_timedelta(freq if freq[:1].isdigit() else f"1{freq}")


def _is_daily(freq: str) -> bool:
    return bucket_step(freq) >= pd.Timedelta(days=1)


def _buckets_per_day(freq: str) -> int:
    return max(1, int(pd.Timedelta(days=1) / bucket_step(freq)))


@dataclass(frozen=True)
class _Design:
    """The regression's columns: one indicator per open slot, then dense columns.

    The slot indicators are kept as an index (a one-hot matrix of 168 mostly-zero
    columns would make a year of hourly buckets fit ten times slower).
    """

    names: list[str]
    slot_column: np.ndarray  # per bucket, its slot's column; -1 where the channel never trades
    n_slots: int
    dense: np.ndarray  # (buckets, other columns): trend, campaigns, special days, controls
    campaign_columns: dict[str, int]
    special_day_columns: dict[pd.Timestamp, int]

    @property
    def n_columns(self) -> int:
        return self.n_slots + self.dense.shape[1]

    def rows(self, positions: np.ndarray) -> np.ndarray:
        """The full design rows of some buckets, ``(len(positions), n_columns)``."""
        out = np.zeros((len(positions), self.n_columns))
        slot = self.slot_column[positions]
        valid = slot >= 0
        out[np.flatnonzero(valid), slot[valid]] = 1.0
        out[:, self.n_slots :] = self.dense[positions]
        return out

    def linear(self, coef: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """``log mu`` of some buckets for one coefficient vector or a stack of them (rows)."""
        slot = np.maximum(self.slot_column[positions], 0)
        return coef[..., slot] + coef[..., self.n_slots :] @ self.dense[positions].T


def _design(
    timestamps: pd.DatetimeIndex,
    slots: np.ndarray,
    open_slots: np.ndarray,
    campaigns: pd.DataFrame,
    special_days: list[pd.Timestamp],
    controls: pd.DataFrame | None,
    daily: bool = False,
) -> _Design:
    n = len(timestamps)
    lookup = np.full(int(slots.max()) + 1 if n else 1, -1)
    lookup[open_slots] = np.arange(len(open_slots))
    slot_column = lookup[slots]
    names = [f"slot {slot}" for slot in open_slots]
    k = len(open_slots)
    columns = []
    days = np.asarray((timestamps - timestamps[0]) / pd.Timedelta(days=1))
    span = days[-1] if n else 0.0
    # Years since the middle of the data, and a knot every four weeks: a trend that can
    # follow growth and the yearly cycle but not a two-week campaign.
    columns.append((days - span / 2) / 365.25)
    names.append("trend")
    spacing = _DAILY_KNOT_DAYS if daily else _KNOT_DAYS
    for knot in np.arange(spacing, span - spacing / 2, spacing):
        columns.append(np.maximum(days - knot, 0) / 365.25)
        names.append(f"trend after day {int(knot)}")
    campaign_columns = {}
    for row in campaigns.itertuples():
        active = ((timestamps >= row.start) & (timestamps < row.end)).astype(float)
        if active.any() and not active.all():
            campaign_columns[row.campaign_id] = k + len(columns)
            columns.append(active)
            names.append(f"campaign {row.campaign_id}")
    dates = timestamps.normalize()
    special_day_columns = {}
    for day in special_days:
        on_day = np.asarray(dates == day, dtype=float)
        if on_day.any():
            special_day_columns[day] = k + len(columns)
            columns.append(on_day)
            names.append(f"special day {day:%Y-%m-%d}")
    if controls is not None:
        for name in controls.columns:
            columns.append(controls[name].reindex(dates).fillna(0.0).to_numpy())
            names.append(f"control {name}")
    dense = np.column_stack(columns) if columns else np.zeros((n, 0))
    return _Design(names, slot_column, k, dense, campaign_columns, special_day_columns)


# --- Poisson regression -------------------------------------------------------------------------

def _poisson_irls(
    design: _Design, rows: np.ndarray, y: np.ndarray, *, max_iter: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson quasi-likelihood fit with a log link on some buckets; returns (coef, inverse information).

    Revenue is not a count, but the Poisson score equations only need the mean and a
    variance proportional to it; the scale is estimated separately (the dispersion).

    This is ``statsmodels.api.GLM(y, X, family=Poisson()).fit(scale="X2")`` (coefficients
    and ``normalized_cov_params`` agree to 1e-12; ``tests/test_downtime.py`` checks it), kept
    because it exploits the slot one-hot structure: a year of hourly buckets (8,736 rows, 194
    columns) fits in 1.2 s here against 10.3 s for the GLM, and the analysis fits six such models.
    Columns constant over the fitted buckets (a campaign whose days were all left out)
    get coefficient 0 and no variance.
    """
    slot = design.slot_column[rows]
    dense = design.dense[rows]
    k = design.n_slots
    keep_dense = np.ptp(dense, axis=0) > 0 if len(dense) else np.zeros(dense.shape[1], bool)
    keep_slot = np.bincount(slot, minlength=k) > 0
    keep = np.concatenate([keep_slot, keep_dense])
    z = dense[:, keep_dense]
    slot_mean = np.bincount(slot, np.maximum(y, 0), minlength=k) / np.maximum(np.bincount(slot, minlength=k), 1)
    floor = max(float(np.mean(np.maximum(y, 0))), 1e-9) * 1e-3
    coef = np.concatenate([np.log(slot_mean + floor)[keep_slot], np.zeros(z.shape[1])])
    slot_index = np.cumsum(keep_slot) - 1
    local_slot = slot_index[slot]
    k_used = int(keep_slot.sum())

    def eta_of(c):
        return np.clip(c[local_slot] + z @ c[k_used:], -50, 50)

    def information(mu):
        top = np.diag(np.bincount(local_slot, mu, minlength=k_used))
        cross = np.column_stack([np.bincount(local_slot, mu * z[:, j], minlength=k_used) for j in range(z.shape[1])]) \
            if z.shape[1] else np.zeros((k_used, 0))
        corner = z.T @ (z * mu[:, None])
        return np.block([[top, cross], [cross.T, corner]])

    def score(mu):
        residual = y - mu
        return np.concatenate([np.bincount(local_slot, residual, minlength=k_used), z.T @ residual])

    eta = eta_of(coef)
    for _ in range(max_iter):
        mu = np.exp(eta)
        info = information(mu)
        step = np.linalg.solve(info + 1e-10 * np.trace(info) / len(info) * np.eye(len(info)), score(mu))
        # Halve steps that would lower the quasi-likelihood (big outliers, a log link).
        current = _quasi_loglike(eta, y)
        for _halving in range(30):
            new_eta = eta_of(coef + step)
            if np.all(np.isfinite(new_eta)) and _quasi_loglike(new_eta, y) >= current - 1e-9 * abs(current):
                break
            step = step / 2
        coef = coef + step
        eta = eta_of(coef)
        if np.max(np.abs(step)) < 1e-8:
            break
    info = information(np.exp(eta))
    full_coef = np.zeros(design.n_columns)
    full_coef[keep] = coef
    full_cov = np.zeros((design.n_columns, design.n_columns))
    full_cov[np.ix_(keep, keep)] = np.linalg.inv(info)
    return full_coef, full_cov


def _quasi_loglike(eta: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(y * eta - np.exp(eta)))


# --- the fitted baseline -------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Baseline:
    """A channel's fitted baseline; money in the sales currency per bucket.

    Attributes
    ----------
    channel : str
    freq : str
    timestamps : pandas.DatetimeIndex
        Bucket starts.
    actual : numpy.ndarray
        Revenue per bucket (NaN where the data has a gap).
    clean : numpy.ndarray of bool
        Buckets the model was fitted on.
    closed : numpy.ndarray of bool
        Structural zeros: the channel does not trade then (expected 0).
    expected : numpy.ndarray
        The regression's expected revenue per bucket (``mu``), 0 where closed.
    smoothed : numpy.ndarray
        ``mu * (1 + a)`` with ``a`` estimated from the clean buckets around it.
    smoothed_sd : numpy.ndarray
        Standard deviation of one bucket's revenue given the clean buckets around it.
    coef, coef_cov : numpy.ndarray
        Regression coefficients (log scale) and their covariance.
    names : list of str
        Coefficient names.
    dispersion : float
        Noise variance per unit of expected revenue (currency).
    deviation_sd, autocorrelation : float
        Standard deviation of the slow deviation ``a`` (a fraction of revenue) and its
        autocorrelation from one bucket to the next.
    campaign_columns : dict
        Campaign id to coefficient index.
    special_days : list of pandas.Timestamp
    """

    channel: str
    freq: str
    timestamps: pd.DatetimeIndex
    actual: np.ndarray
    clean: np.ndarray
    closed: np.ndarray
    expected: np.ndarray
    smoothed: np.ndarray
    smoothed_sd: np.ndarray
    coef: np.ndarray
    coef_cov: np.ndarray
    names: list[str]
    dispersion: float
    deviation_sd: float
    autocorrelation: float
    campaign_columns: dict[str, int]
    special_days: list[pd.Timestamp]
    _design: _Design = field(repr=False)
    _noise_edges: np.ndarray = field(repr=False)
    _noise_pools: list[np.ndarray] = field(repr=False)
    _clip_shift: np.ndarray = field(repr=False)

    # --- counterfactual paths --------------------------------------------------------------
    def simulate(
        self, targets: np.ndarray, *, draws: int, rng: np.random.Generator, with_noise: bool = True,
        actual: np.ndarray | None = None, orders: np.ndarray | None = None,
    ) -> np.ndarray:
        """Draws of the revenue the channel would have had in the target buckets.

        The draws depend on the clean buckets around the targets only, never on what the targets
        themselves hold, so ``actual`` and ``orders`` (what an order-level baseline is told the
        targets held) are accepted and not used.

        Parameters
        ----------
        targets : numpy.ndarray of int
            Bucket positions (sorted, unique), typically outage and recovery windows.
        draws : int
            Number of paths.
        rng : numpy.random.Generator
        with_noise : bool
            False: draw only the expected level of each bucket, ``mu * (1 + a)`` (coefficients and
            the slow deviation), for a caller that draws the bucket's noise itself.

        Returns
        -------
        numpy.ndarray
            ``(draws, len(targets))`` revenue in the sales currency; 0 in closed buckets.
        """
        targets = np.asarray(targets, dtype=int)
        out = np.zeros((draws, len(targets)))
        if not len(targets):
            return out
        coef_draws = self.coefficient_draws(draws, rng)
        margin = self._margin()
        for run in _runs(targets):
            out[:, run] = self._simulate_run(targets[run], coef_draws, margin, rng, with_noise)
        return out

    def coefficient_draws(self, draws: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of the regression coefficients from their approximate posterior, one per row."""
        return self.coef + rng.standard_normal((draws, len(self.coef))) @ self._coef_root.T

    def log_expected(self, coef: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """``log mu`` of some buckets for coefficient draws (rows); see :meth:`coefficient_draws`."""
        return self._design.linear(coef, positions)

    @cached_property
    def _coef_root(self) -> np.ndarray:
        cov = self.coef_cov
        eigval, eigvec = np.linalg.eigh((cov + cov.T) / 2)
        return eigvec * np.sqrt(np.clip(eigval, 0, None))

    def _margin(self) -> int:
        rho = min(max(self.autocorrelation, 1e-6), 0.9999)
        length = -1 / np.log(rho)
        per_day = _buckets_per_day(self.freq)
        return int(np.clip(np.ceil(3 * length), 2 * per_day, max(2000, 2 * per_day)))

    def _simulate_run(
        self, targets: np.ndarray, coef_draws: np.ndarray, margin: int, rng: np.random.Generator, with_noise: bool = True
    ) -> np.ndarray:
        """Paths over one run of adjacent target buckets, the drift given the clean buckets before it only.

        Only before: customers who could not buy during an outage come back after it, and when they
        keep coming past the recovery window (a ``recovery_hours`` too short for them) the clean
        buckets after it are lifted by returning demand. A drift estimated from both sides read
        that lift as a busy day and raised the expected revenue of the outage and of its recovery
        (on a simulated shop where only returns were added, spread over twice the window, by 5.5 %
        of the outages' revenue: a loss charged where nothing was lost). Whatever comes after a
        window cannot raise its expectation now; the price is a little less information about the
        drift, so slightly wider intervals.
        """
        draws = len(coef_draws)
        lo, hi = max(0, targets[0] - margin), targets[-1] + 1
        before = np.arange(lo, targets[0])
        observed = before[self.clean[before] & ~self.closed[before]]
        open_targets = targets[~self.closed[targets]]
        result = np.zeros((draws, len(targets)))
        if not len(open_targets):
            return result
        mu_targets = np.exp(np.clip(self._design.linear(coef_draws, open_targets), -50, 50))
        mu_observed_fit = self.expected[observed]
        gain, cov = deviation_posterior(
            hi - lo, observed - lo, open_targets - lo, self.dispersion / mu_observed_fit,
            self.deviation_sd**2, self.autocorrelation,
        )
        if len(observed):
            mu_observed = np.exp(np.clip(self._design.linear(coef_draws, observed), -50, 50))
            deviation = self._robust_deviation(self.actual[observed][None, :], mu_observed, mu_observed_fit)
            mean = deviation @ gain
        else:
            mean = np.zeros((draws, len(open_targets)))
        eigval, eigvec = np.linalg.eigh((cov + cov.T) / 2)
        root = eigvec * np.sqrt(np.clip(eigval, 0, None))
        level = mean + rng.standard_normal((draws, len(open_targets))) @ root.T
        paths = mu_targets * (1 + level)
        if with_noise:
            paths = paths + self._noise(self.expected[open_targets], draws, rng) * np.sqrt(self.dispersion * mu_targets)
        result[:, ~self.closed[targets]] = paths
        return result

    def _robust_deviation(self, actual: np.ndarray, mu: np.ndarray, mu_fit: np.ndarray) -> np.ndarray:
        """Relative deviation from the baseline, single huge buckets clipped, recentred."""
        spread = np.sqrt(self.dispersion / mu_fit + self.deviation_sd**2)
        raw = actual / mu - 1
        clipped = np.clip(raw, -_CLIP * spread, _CLIP * spread)
        return clipped - self._clip_shift[self._noise_bin(mu_fit)]

    def _noise_bin(self, mu: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self._noise_edges, np.log(np.maximum(mu, 1e-12))) - 1, 0, len(self._noise_pools) - 1)

    def _noise(self, mu: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
        bins = self._noise_bin(mu)
        noise = np.empty((draws, len(mu)))
        for b in np.unique(bins):
            pool = self._noise_pools[b]
            columns = np.flatnonzero(bins == b)
            noise[:, columns] = pool[rng.integers(0, len(pool), (draws, len(columns)))]
        return noise


def _runs(targets: np.ndarray) -> list[np.ndarray]:
    """Indices of the runs of adjacent positions in sorted ``targets`` (an incident's outage and recovery is one).

    Each run is drawn given the clean buckets before it; runs share the coefficient draws, so
    parameter uncertainty stays common to all of them.
    """
    return np.split(np.arange(len(targets)), np.flatnonzero(np.diff(targets) != 1) + 1)


def fit_baseline(
    actual: pd.Series,
    *,
    clean: np.ndarray,
    freq: str,
    channel: str = "",
    campaigns: pd.DataFrame | None = None,
    special_days: list[pd.Timestamp] = (),
    controls: pd.DataFrame | None = None,
    closed_on: list[pd.Timestamp] = (),
    with_deviation: bool = True,
) -> Baseline:
    """Fit a channel's baseline on its clean buckets.

    Parameters
    ----------
    actual : pandas.Series
        Revenue per bucket (currency), on a regular index of bucket starts; NaN = no data.
    clean : numpy.ndarray of bool
        Buckets to fit on (outage, recovery and gap buckets are False).
    freq : str
        Bucket size (``"h"``, ``"15min"``, ``"D"``).
    channel : str
        Its name, for labels.
    campaigns : pandas.DataFrame, optional
        ``campaign_id, start, end`` of the campaigns that apply to this channel.
    special_days : list of pandas.Timestamp
        Days (midnight) that get their own effect: public holidays and the like.
    controls : pandas.DataFrame, optional
        Day-level regressors indexed by day (midnight), one column per control channel:
        see :func:`day_deviation`.
    closed_on : list of pandas.Timestamp
        Days on which the channel did not trade (expected revenue 0).
    with_deviation : bool
        Fit the AR(1) deviation and noise model (needed to simulate); False is enough
        for a control channel's baseline.
    """
    timestamps = pd.DatetimeIndex(actual.index)
    y = actual.to_numpy(dtype=float)
    clean = np.asarray(clean, bool) & ~np.isnan(y)
    slots = bucket_slots(timestamps, freq)
    dates = timestamps.normalize()
    closed = np.isin(dates, pd.DatetimeIndex(list(closed_on)))
    open_slots = np.array(
        [s for s in np.unique(slots) if np.any(y[clean & ~closed & (slots == s)] != 0)], dtype=int
    )
    closed |= ~np.isin(slots, open_slots)
    fit_rows = clean & ~closed
    if fit_rows.sum() < 2:
        raise TooFewSales(f"channel '{channel}' has too few buckets with sales outside the outages to fit a baseline")
    campaigns = campaigns if campaigns is not None else pd.DataFrame(columns=["campaign_id", "start", "end"])
    # A special day needs clean buckets of its own, or its effect cannot be estimated.
    usable_days = [d for d in special_days if np.any(fit_rows & (dates == d))]
    design = _design(timestamps, slots, open_slots, campaigns, usable_days, controls, daily=_is_daily(freq))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        coef, inverse_information = _poisson_irls(design, np.flatnonzero(fit_rows), y[fit_rows])
    expected = np.where(closed, 0.0, np.exp(np.clip(design.linear(coef, np.arange(len(y))), -50, 50)))

    residual = (y - expected)[fit_rows]
    n_fit, n_coef = int(fit_rows.sum()), int(np.count_nonzero(np.diag(inverse_information)))
    pearson = float(np.sum(residual**2 / expected[fit_rows]) / max(n_fit - n_coef, 1))
    # Quasi-Poisson covariance: the Pearson dispersion includes the slow deviation's share
    # of the variance, which widens the coefficients' uncertainty for its correlation.
    coef_cov = inverse_information * pearson

    smoothed, smoothed_sd = expected.copy(), np.sqrt(pearson * expected)
    dispersion, deviation_sd, rho = pearson, 0.0, 0.0
    edges, pools, clip_shift = np.array([-np.inf]), [np.zeros(1)], np.zeros(1)
    if with_deviation:
        (dispersion, deviation_sd, rho, smoothed, smoothed_sd, edges, pools, clip_shift) = _fit_deviation(
            y, expected, fit_rows, closed, pearson
        )
    return Baseline(
        channel=channel,
        freq=freq,
        timestamps=timestamps,
        actual=y,
        clean=clean,
        closed=closed,
        expected=expected,
        smoothed=smoothed,
        smoothed_sd=smoothed_sd,
        coef=coef,
        coef_cov=coef_cov,
        names=design.names,
        dispersion=dispersion,
        deviation_sd=deviation_sd,
        autocorrelation=rho,
        campaign_columns=design.campaign_columns,
        special_days=usable_days,
        _design=design,
        _noise_edges=edges,
        _noise_pools=pools,
        _clip_shift=clip_shift,
    )


def _fit_deviation(y, expected, fit_rows, closed, pearson):
    """ML fit of the AR(1) deviation and the noise; smoothed values; the noise pools."""
    mu = np.where(expected > 0, expected, np.nan)
    observed = np.where(fit_rows, y / mu - 1, np.nan)
    # Clip single huge buckets (wholesale orders) so that they do not pass for a busy day.
    spread = np.sqrt(pearson / mu + 0.1**2)
    clipped = np.clip(observed, -_CLIP * spread, _CLIP * spread)
    edges = np.quantile(np.log(expected[fit_rows]), np.linspace(0, 1, _NOISE_BINS + 1))
    edges[0], edges[-1] = -np.inf, np.inf
    edges = np.unique(edges)
    bins = np.clip(np.searchsorted(edges, np.log(np.maximum(expected, 1e-12))) - 1, 0, len(edges) - 2)
    clip_shift = np.array([np.nanmean(clipped[fit_rows & (bins == b)]) if np.any(fit_rows & (bins == b)) else 0.0
                           for b in range(len(edges) - 1)])
    centred = clipped - clip_shift[bins]
    centred[~fit_rows] = np.nan
    # Where the channel is closed there is nothing to observe; the likelihood leaves it out.
    scale = np.where(closed | ~np.isfinite(mu), 1.0, 1 / np.where(np.isfinite(mu), mu, 1.0))
    variance, rho, dispersion = fit_level(centred, scale, start=np.array([0.01, 0.9, pearson]))
    noise_var = dispersion * scale
    level, level_var = smooth_level(centred, noise_var, variance, rho)
    smoothed = np.where(closed, 0.0, expected * (1 + level))
    smoothed_sd = np.where(closed, 0.0, np.sqrt(np.maximum(expected**2 * level_var + dispersion * expected, 0)))
    residual = (y - expected * (1 + level)) / np.sqrt(dispersion * np.where(expected > 0, expected, 1.0))
    # Residuals about the smoothed level are smaller than the noise they stand for: the
    # smoothed level absorbed a share of each bucket's noise (its leverage). Var(E[e|Y]) =
    # Var(e) - Var(e|Y), so dividing by sqrt(1 - Var(e|Y) / Var(e)) restores the noise's
    # variance (the leverage-adjusted residuals of a residual bootstrap).
    # In an observed bucket the noise given all observations is its value less the deviation's,
    # so Var(e|Y) is the deviation's smoothed variance.
    leverage = level_var / noise_var
    residual = residual / np.sqrt(np.clip(1 - leverage, 0.05, 1))
    pools = []
    for b in range(len(edges) - 1):
        pool = residual[fit_rows & (bins == b)]
        pool = pool[np.isfinite(pool)]
        pools.append(pool - pool.mean() if len(pool) else np.zeros(1))
    return dispersion, float(np.sqrt(variance)), rho, smoothed, smoothed_sd, edges, pools, clip_shift


# --- day-level helpers ---------------------------------------------------------------------------

def closed_days(baseline: Baseline, *, share_of_typical: float = 0.25) -> list[pd.Timestamp]:
    """Days with no sales at all although the baseline expected a real share of a typical day's.

    A store closed on a public holiday shows up here; the days are also good candidates
    for special days of the other channels.
    """
    frame = pd.DataFrame(
        {"day": baseline.timestamps.normalize(), "actual": np.where(baseline.clean, baseline.actual, np.nan),
         "expected": np.where(baseline.clean, baseline.expected, np.nan)}
    )
    per_day = frame.groupby("day").agg(actual=("actual", "sum"), expected=("expected", "sum"),
                                       buckets=("actual", "count"))
    typical = per_day["expected"][per_day["buckets"] > 0].median()
    closed = per_day[(per_day["buckets"] > 0) & (per_day["actual"] == 0) & (per_day["expected"] > share_of_typical * typical)]
    return list(closed.index)


def unusual_days(baseline: Baseline) -> list[pd.Timestamp]:
    """Days far off the baseline (robust z-score > 4 and at least 20 % off): holidays, promotions."""
    ratio = day_deviation(baseline, min_share=0.5)
    if len(ratio) < 10:
        return []
    centre = ratio.median()
    spread = 1.4826 * (ratio - centre).abs().median()
    flagged = ratio[((ratio - centre).abs() > _SPECIAL_DAY_Z * spread) & (ratio.abs() > _SPECIAL_DAY_MIN)]
    return list(flagged.index)


def day_deviation(baseline: Baseline, *, min_share: float = 0.0) -> pd.Series:
    """Log ratio of actual to expected revenue per day, over the day's clean, open buckets.

    Used as a control: a channel untouched by an outage says how the day went overall.
    Days without clean open buckets (or whose clean buckets expected less than
    ``min_share`` of a typical day) are left out.
    """
    usable = baseline.clean & ~baseline.closed
    frame = pd.DataFrame(
        {"day": baseline.timestamps.normalize()[usable], "actual": baseline.actual[usable],
         "expected": baseline.expected[usable]}
    )
    per_day = frame.groupby("day")[["actual", "expected"]].sum()
    if not len(per_day):
        return pd.Series(dtype=float)
    typical = per_day["expected"].median()
    per_day = per_day[(per_day["expected"] > 0) & (per_day["expected"] >= min_share * typical)]
    # A small offset keeps days with tiny expected revenue from swinging wildly.
    offset = 0.05 * typical
    return np.log((per_day["actual"].clip(lower=0) + offset) / (per_day["expected"] + offset))
