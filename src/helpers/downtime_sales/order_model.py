"""Expected sales from order counts and order values, for sales that come as orders.

Revenue per bucket is a few large orders on top of many small ones. A model of the mean
revenue (:func:`helpers.downtime_sales.baseline.fit_baseline` on revenue) gets the mean
right, but the mean of a skewed sum lies above its typical value, and resampled
bucket-level noise does not give a sum over a few buckets its right-skewed spread: on
windows where nothing happened that model charges a loss.

Where the sales carry order counts, this module splits the two:

- the number of orders per bucket is fitted by the same baseline (hour of week, trend,
  campaigns, special days, controls, AR(1) drift), on counts, where it fits well; a bucket's
  count is drawn around the drawn level, Poisson or, when the counts are overdispersed,
  negative binomial with the fitted dispersion;
- the orders that did come in are known, values included; what is drawn is the number of
  orders missing from each bucket (drawn count minus actual count) and their value, from the
  channel's own clean buckets with a similar number of orders: ``n`` missing orders are worth
  ``n`` times the mean order value of a clean bucket of about ``n`` orders (where such buckets
  are few, or hold few orders, larger ones stand in: the level right, the spread of a small
  group a little narrow). A wholesale order that did come in during a window is therefore
  never charged as a loss, and one that might have come in but did not is charged only with
  its probability;
- within a run of adjacent buckets (an outage and its recovery), orders beyond the draw in one
  bucket are matched with orders missing in another: customers who came back buy what they
  would have bought, so a matched order carries one drawn value, gained where it came in and
  lost where it went missing. The net loss is then the value of the net missing orders, with
  the spread of that many orders, whatever the returning orders happened to be worth.

Order values are assumed independent of the hour, of the number of orders and of each other
(identically distributed, heavy tail included); the empirical draw keeps their skew without
assuming its shape. Each draw also rescales the values by a bootstrap draw of the mean order
value, so the intervals carry its uncertainty.

Why matching matters (issue 15): valuing the returning orders at what their bucket's orders
realized made the net loss a difference of two differently drawn sums. Most recovery buckets
hold no wholesale order, so the returns were usually worth less than the typical lost order the
gross loss was charged with, and net losses leaned high (on the heavy-tailed test's four
half-years +20.9 % pooled, +14.4 % once matched and with pools of at least 2,000 orders; what
remains there is the realized value of the lost orders, below average in all four; over 18
half-years the error averages +1.1 %); now and then a returning wholesale order cancelled a loss
valued without it (one half-year -58 %, -25 % now).

:class:`OrderBaseline` is a :class:`~helpers.downtime_sales.baseline.Baseline` in revenue
terms (its ``actual``, ``expected`` and ``smoothed`` are revenue), so the outage analysis uses
either model the same way; only its draws differ.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.downtime_sales.baseline import Baseline, fit_baseline

__all__ = ["OrderValues", "OrderBaseline", "fit_order_baseline"]

_EXACT_COUNTS = 6  # buckets of up to this many orders are matched exactly; above, by ratio bins
_BIN_RATIO = 1.25
_MIN_POOL = 30
#: A pool must also hold this many orders: with wholesale orders one in several hundred, a few dozen
#: small buckets put the mean value of their bin anywhere from 0.6 to 1.4 times the channel's
#: (measured on the heavy-tailed test's sales), and every small group of missing orders with it.
_MIN_POOL_ORDERS = 2000
_RESAMPLES_AT_ONCE = 64
_MAX_RATE = 1e12


@dataclass(frozen=True, eq=False)
class OrderValues:
    """The channel's clean buckets as a pool of mean order values, binned by their order count.

    Attributes
    ----------
    mean_value : float
        Revenue per order over the clean buckets (currency per order).
    variance : float
        Variance of one order's value (currency squared), estimated from the buckets' spread.
    edges : numpy.ndarray
        Lower order counts of the bins.
    pools : list of numpy.ndarray
        Mean order value (currency) of the clean buckets in each bin.
    revenue, orders : numpy.ndarray
        The clean buckets' revenue and orders, for the uncertainty of the mean value.
    """

    mean_value: float
    variance: float
    edges: np.ndarray
    pools: list[np.ndarray] = field(repr=False)
    revenue: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    orders: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    @classmethod
    def from_buckets(cls, revenue: np.ndarray, orders: np.ndarray) -> OrderValues:
        """Pools from clean buckets: revenue (currency) and orders per bucket, buckets without orders ignored."""
        keep = orders > 0
        revenue, orders = revenue[keep], orders[keep].astype(int)
        if not len(orders):
            return cls(0.0, 0.0, np.array([1]), [np.zeros(1)])
        mean_value = float(revenue.sum() / orders.sum())
        edges = [1]
        while edges[-1] <= orders.max():
            edges.append(edges[-1] + 1 if edges[-1] < _EXACT_COUNTS else int(np.ceil(edges[-1] * _BIN_RATIO)))
        edges = np.array(edges[:-1])
        per_order = revenue / orders
        bins = np.searchsorted(edges, orders, side="right") - 1
        pools = []
        for b in range(len(edges)):
            # A thin bin borrows its neighbours' buckets until it holds enough to resample.
            lo, hi = b, b + 1
            while _thin(bins, orders, lo, hi) and (lo > 0 or hi < len(edges)):
                lo, hi = max(lo - 1, 0), min(hi + 1, len(edges))
            pools.append(per_order[(bins >= lo) & (bins < hi)])
        # Var(bucket mean of n orders) = variance / n, so n (v - mean)^2 estimates the variance.
        variance = float(np.mean(orders * (per_order - mean_value) ** 2))
        return cls(mean_value, variance, edges, pools, revenue, orders)

    def mean_value_draws(self, draws: int, rng: np.random.Generator) -> np.ndarray:
        """Bootstrap draws of the mean order value over the clean buckets, relative to ``mean_value``.

        With heavy-tailed values the mean itself is uncertain (a few wholesale orders more or
        less in the history move it by several percent), and every bucket shares that error.
        """
        if len(self.orders) < 2 or self.mean_value <= 0:
            return np.ones(draws)
        ratio = np.empty(draws)
        # A few dozen resamples at a time: a year of buckets times 1,000 draws would be 70 MB of
        # indices, and the gathers run twice as fast on pieces that stay in the cache.
        for first in range(0, draws, _RESAMPLES_AT_ONCE):
            picks = rng.integers(0, len(self.orders), (min(_RESAMPLES_AT_ONCE, draws - first), len(self.orders)))
            ratio[first : first + len(picks)] = self.revenue[picks].sum(axis=1) / self.orders[picks].sum(axis=1)
        return ratio / self.mean_value

    def draw(self, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Revenue (currency) of buckets with the given order counts, each drawn independently."""
        counts = np.asarray(counts, dtype=int)
        revenue = np.zeros(counts.shape)
        flat = counts.ravel()
        positive = np.flatnonzero(flat > 0)
        if not len(positive):
            return revenue
        bins = np.searchsorted(self.edges, flat[positive], side="right") - 1
        # Buckets grouped by bin (a stable sort keeps each group in order), so that each bin's
        # values are drawn in one call, bin after bin, without a scan of all buckets per bin.
        order = np.argsort(bins, kind="stable")
        starts = np.r_[0, np.flatnonzero(np.diff(bins[order])) + 1]
        for b, where in zip(bins[order][starts], np.split(positive[order], starts[1:])):
            pool = self.pools[b]
            revenue.flat[where] = flat[where] * pool[rng.integers(0, len(pool), len(where))]
        return revenue


@dataclass(frozen=True, eq=False)
class OrderBaseline(Baseline):
    """A baseline of order counts times order values, in revenue terms (see the module).

    ``actual`` is revenue; ``expected``, ``smoothed`` and ``smoothed_sd`` are the count
    model's figures times the mean order value; the coefficients are the count model's, so
    :meth:`log_expected` adds the log of the mean order value.
    """

    counts: Baseline | None = field(default=None, repr=False)
    values: OrderValues | None = field(default=None, repr=False)

    def simulate(
        self, targets: np.ndarray, *, draws: int, rng: np.random.Generator, actual: np.ndarray | None = None,
        orders: np.ndarray | None = None,
    ) -> np.ndarray:
        """Draws of revenue (currency) in the target buckets: the actual revenue plus the missing orders' value.

        ``actual`` and ``orders`` replace the revenue and order counts observed in the targets (the
        self-check plants outages in them); by default, the channel's own.

        The orders that did come in count at their own value; only the difference between the
        drawn order count and the actual one is valued, with values drawn from the channel's
        orders. Within a run of adjacent target buckets (an outage and its recovery), orders
        beyond the draw are taken to be missing orders of the same run coming back, at the same
        drawn values: see :func:`_value_missing`.
        """
        targets = np.asarray(targets, dtype=int)
        rate = np.maximum(self.counts.simulate(targets, draws=draws, rng=rng, with_noise=False), 0)
        actual_orders = np.nan_to_num(self.counts.actual[targets] if orders is None else orders).astype(int)
        actual = np.nan_to_num(self.actual[targets] if actual is None else actual)
        missing = _count_draws(rate, self.counts.dispersion, rng) - actual_orders
        value = _value_missing(missing, _run_starts(targets), self.values, rng)
        return actual + value * self.values.mean_value_draws(draws, rng)[:, None]

    def log_expected(self, coef: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """``log`` expected revenue of some buckets for coefficient draws of the count model."""
        return self.counts.log_expected(coef, positions) + np.log(max(self.values.mean_value, 1e-12))


def _thin(bins: np.ndarray, orders: np.ndarray, lo: int, hi: int) -> bool:
    """Whether the buckets of bins ``lo`` to ``hi - 1`` are too few, or hold too few orders, to resample."""
    inside = (bins >= lo) & (bins < hi)
    return bool(inside.sum() < _MIN_POOL or orders[inside].sum() < _MIN_POOL_ORDERS)


def _run_starts(targets: np.ndarray) -> np.ndarray:
    """Column of the first bucket of each run of adjacent target buckets."""
    if not len(targets):
        return np.zeros(0, dtype=int)
    return np.flatnonzero(np.r_[True, np.diff(targets) != 1])


def _value_missing(missing: np.ndarray, starts: np.ndarray, values: OrderValues, rng: np.random.Generator) -> np.ndarray:
    """Value (currency) of the signed missing orders ``(draws, buckets)``, runs starting at ``starts``.

    Orders beyond the draw in one bucket of a run and orders missing in another are matched up
    (as many as the smaller of the two totals): they stand for customers who could not order and
    came back, who buy what they would have bought. A matched order therefore carries one drawn
    value, added where it went missing and taken off where it came in; only the unmatched ones
    get values of their own. Net over a run, that leaves the value of the net missing orders: what
    the customers who did not come back would have spent (see the module). Incidents back to back
    share a run, so their returns may be matched with either one's losses; their sum is unaffected.
    """
    if not missing.shape[1]:
        return np.zeros(missing.shape)
    lost, extra = np.maximum(missing, 0), np.maximum(-missing, 0)
    matched = np.minimum(np.add.reduceat(lost, starts, axis=1), np.add.reduceat(extra, starts, axis=1))
    run = np.cumsum(np.isin(np.arange(missing.shape[1]), starts)) - 1
    lost_matched, extra_matched = _split(lost, matched, starts, run), _split(extra, matched, starts, run)
    returned = values.draw(lost_matched, rng)
    value = returned + values.draw(lost - lost_matched, rng) - values.draw(extra - extra_matched, rng)
    share = np.divide(extra_matched, matched[:, run], out=np.zeros(missing.shape), where=matched[:, run] > 0)
    return value - np.add.reduceat(returned, starts, axis=1)[:, run] * share


def _split(parts: np.ndarray, totals: np.ndarray, starts: np.ndarray, run: np.ndarray) -> np.ndarray:
    """Whole numbers per bucket, in proportion to ``parts``, adding up to each run's total (at most its parts)."""
    cumulative = np.cumsum(parts, axis=1)
    before = (cumulative - parts)[:, starts][:, run]
    within = cumulative - before
    size = np.add.reduceat(parts, starts, axis=1)[:, run]
    # Integer arithmetic, so the shares add up exactly.
    share = within * totals[:, run] // np.maximum(size, 1)
    previous = np.where(np.isin(np.arange(parts.shape[1]), starts)[None, :], 0, np.roll(share, 1, axis=1))
    return share - previous


def _count_draws(rate: np.ndarray, dispersion: float, rng: np.random.Generator) -> np.ndarray:
    """Order counts around an expected rate: Poisson, or negative binomial with variance ``dispersion * rate``.

    Drawing counts (rather than rounding a continuous path) keeps their mean at the rate even
    in quiet hours, where clipping a continuous path at zero would add orders.
    """
    # NumPy's Poisson sampler refuses rates above about 1e19 ("lam value too large"); no shop has
    # 1e12 orders in a bucket, so a rate beyond that is a broken fit, drawn at that cap rather than a traceback.
    rate = np.minimum(rate, _MAX_RATE)
    if dispersion <= 1.0 + 1e-6:
        return rng.poisson(rate)
    # Gamma-Poisson mixture: mean rate, variance rate * dispersion.
    shape = rate / (dispersion - 1)
    return rng.poisson(np.minimum(rng.gamma(np.maximum(shape, 1e-12), dispersion - 1), _MAX_RATE))


def fit_order_baseline(revenue: pd.Series, orders: pd.Series, *, clean: np.ndarray, **options: object) -> OrderBaseline:
    """Fit the count model on ``orders`` and the order values on the clean buckets' ``revenue``.

    Parameters
    ----------
    revenue, orders : pandas.Series
        Revenue (currency) and orders per bucket on the same regular index; NaN = no data.
    clean : numpy.ndarray of bool
        Buckets to fit on.
    **options
        Passed to :func:`helpers.downtime_sales.baseline.fit_baseline` (``freq``, ``channel``,
        ``campaigns``, ``special_days``, ``controls``, ``closed_on``, ``with_deviation``).
    """
    counts = fit_baseline(orders, clean=clean, **options)
    y = revenue.to_numpy(dtype=float)
    usable = counts.clean & ~counts.closed & np.isfinite(y)
    values = OrderValues.from_buckets(y[usable], orders.to_numpy(dtype=float)[usable])
    scale = values.mean_value
    fields = {f.name: getattr(counts, f.name) for f in dataclasses.fields(Baseline)}
    fields.update(
        actual=y,
        expected=counts.expected * scale,
        smoothed=counts.smoothed * scale,
        # The spread of a bucket's revenue: count noise times the mean value, plus the spread of the values.
        smoothed_sd=np.sqrt((counts.smoothed_sd * scale) ** 2 + counts.smoothed * values.variance),
    )
    return OrderBaseline(**fields, counts=counts, values=values)
