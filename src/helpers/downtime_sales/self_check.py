"""The report's self-check: outages planted in the user's own clean weeks, with a known loss, measured.

The placebo (:mod:`.placebo`) shows that the method charges nothing where nothing happened; it
cannot show that it values a loss right, nor that returning customers are counted as recovered
rather than as a busier baseline: nothing is missing and nothing returns in a placebo window.
:func:`planted_check` takes ``n`` clean windows shaped like the incidents (their outage and recovery
hours moved by whole weeks, as the placebo's), and in each

- removes :data:`REMOVED_SHARE` of the revenue in the outage's minutes (for order-level sales, that
  share of the orders, drawn one by one, each worth its bucket's mean order value),
- moves :data:`RETURNED_SHARE` of what it removed into the recovery hours that follow (spread in
  proportion to their minutes),

and measures the window as an incident is measured, with the fitted baselines. The planted net
loss (removed minus returned) is known exactly, so the method's bias and the coverage of its
intervals on this data can be read off; a bias beyond the check's own noise is flagged.

The windows' buckets were part of the baseline's fit before anything was removed from them (they
are clean), which makes the check a little optimistic, as the placebo is; with thousands of clean
buckets per channel the effect is small. For order-level sales the removed orders are valued at
their bucket's mean order value, so the planted loss varies a little less than real lost orders do.
Money is in the sales currency.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import binom

from helpers.downtime_sales.baseline import Baseline
from helpers.downtime_sales.placebo import candidate_windows
from helpers.downtime_sales.result import SelfCheck
from helpers.downtime_sales.windows import minutes_in

__all__ = ["REMOVED_SHARE", "RETURNED_SHARE", "planted_check"]

#: Share of the revenue (or orders) a planted outage removes in its minutes.
REMOVED_SHARE = 0.8
#: Share of the removed revenue (or orders) that comes back in the recovery hours.
RETURNED_SHARE = 0.3
#: The check flags a bias only beyond this two-sided tail of its own noise (the found total's draws),
#: so that a report whose method is sound says "caution" about once in a thousand runs, not once in twenty.
_FLAG_TAIL = 0.001
#: ... and too-narrow intervals only when their coverage is that unlikely under their own level and
#: also 10 points short of it: windows copied from the same incident share their hours, so their
#: misses are correlated and the binomial tail alone overstates the evidence.
_COVERAGE_SHORTFALL = 0.10


def planted_check(
    baselines: dict[str, Baseline],
    windows: pd.DataFrame,
    clean: dict[str, np.ndarray],
    *,
    grid: pd.DatetimeIndex,
    step: pd.Timedelta,
    n: int,
    draws: int,
    level: float,
    rng: np.random.Generator,
    point: Callable = np.median,
) -> SelfCheck | None:
    """Plant ``n`` outages with a known loss in clean windows shaped like the incidents', and measure them.

    Parameters are those of :func:`helpers.downtime_sales.placebo.placebo_check`. Returns None when no
    incident's shape fits a clean week.
    """
    candidates = candidate_windows(windows[windows["channel"].isin(baselines)], clean, grid, step)
    if not len(candidates) or n <= 0:
        return None
    chosen = _disjoint(candidates, rng.permutation(len(candidates)), n)
    k = len(chosen)
    net, gross, recovered = np.zeros((draws, k)), np.zeros((draws, k)), np.zeros((draws, k))
    removed, returned = np.zeros(k), np.zeros(k)
    for channel, baseline in baselines.items():
        mine = [j for j, channels in enumerate(chosen["channels"]) if channel in channels]
        if not mine:
            continue
        targets = np.unique(np.concatenate([chosen["positions"][j] for j in mine]))
        actual = np.nan_to_num(baseline.actual[targets])
        counts = getattr(baseline, "counts", None)
        orders = np.nan_to_num(counts.actual[targets]) if counts is not None else None
        outage_part = np.zeros(len(targets), bool)
        for j in mine:
            row = chosen.iloc[j]
            columns = np.searchsorted(targets, row["positions"])
            gone, back, inside = _plant(row, grid, step, actual[columns], None if orders is None else orders[columns], rng)
            actual[columns] += back[0] - gone[0]
            if orders is not None:
                orders[columns] += back[1] - gone[1]
            removed[j] += gone[0].sum()
            returned[j] += back[0].sum()
            outage_part[columns] |= inside
        deficit = baseline.simulate(targets, draws=draws, rng=rng, actual=actual, orders=orders) - actual
        for j in mine:
            columns = np.searchsorted(targets, chosen["positions"][j])
            net[:, j] += deficit[:, columns].sum(axis=1)
            gross[:, j] += deficit[:, columns[outage_part[columns]]].sum(axis=1)
            recovered[:, j] -= deficit[:, columns[~outage_part[columns]]].sum(axis=1)
    return _summary(chosen, net, gross, recovered, removed, returned, level, point)


def _disjoint(candidates: pd.DataFrame, order: np.ndarray, n: int) -> pd.DataFrame:
    """Up to ``n`` candidates, taken in ``order``, of which no two share a bucket on a channel (by start)."""
    used: dict[str, set[int]] = {}
    taken = []
    for i in order:
        row = candidates.iloc[i]
        if any(used.get(c, set()).intersection(row["positions"]) for c in row["channels"]):
            continue
        for c in row["channels"]:
            used.setdefault(c, set()).update(row["positions"].tolist())
        taken.append(i)
        if len(taken) == n:
            break
    return candidates.iloc[np.sort(taken)].reset_index(drop=True)


def _plant(row: pd.Series, grid: pd.DatetimeIndex, step: pd.Timedelta, actual: np.ndarray, orders: np.ndarray | None,
           rng: np.random.Generator) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], np.ndarray]:
    """What one planted outage takes from its window's buckets and gives back: ((revenue, orders) removed,
    (revenue, orders) returned, outage buckets)."""
    positions = row["positions"]
    bucket_minutes = step / pd.Timedelta(minutes=1)
    down = minutes_in(grid, step, positions, row["start"], row["end"]) / bucket_minutes
    later = minutes_in(grid, step, positions, row["end"], row["recovery_end"])
    spread = later / later.sum() if later.sum() > 0 else np.zeros(len(positions))
    # Negative buckets (refunds) lose nothing: an outage stops sales, not refunds.
    available = np.maximum(actual, 0)
    if orders is None:
        gone = available * REMOVED_SHARE * down
        back = gone.sum() * RETURNED_SHARE * spread
        zeros = np.zeros(len(positions))
        return (gone, zeros), (back, zeros), down > 0
    whole = np.maximum(orders, 0).astype(int)
    gone_orders = rng.binomial(whole, np.clip(REMOVED_SHARE * down, 0, 1))
    value = np.divide(available, whole, out=np.zeros(len(positions)), where=whole > 0)
    gone = gone_orders * value
    back_orders = rng.multinomial(rng.binomial(int(gone_orders.sum()), RETURNED_SHARE), spread) \
        if spread.sum() > 0 else np.zeros(len(positions), int)
    mean_value = gone.sum() / gone_orders.sum() if gone_orders.sum() else 0.0
    return (gone, gone_orders.astype(float)), (back_orders * mean_value, back_orders.astype(float)), down > 0


def _summary(chosen: pd.DataFrame, net: np.ndarray, gross: np.ndarray, recovered: np.ndarray, removed: np.ndarray,
             returned: np.ndarray, level: float, point: Callable) -> SelfCheck:
    planted = removed - returned
    low, high = np.quantile(net, level, axis=0), np.quantile(net, 1 - level, axis=0)
    table = pd.DataFrame({
        "incident_id": chosen["incident_id"], "start": chosen["start"], "end": chosen["end"],
        "channels": [";".join(c) for c in chosen["channels"]], "removed_revenue": removed,
        "returned_revenue": returned, "planted_net": planted, "found_net": point(net, axis=0),
        "found_net_low": low, "found_net_high": high,
    })
    total = net.sum(axis=1)
    found_low, found_high = float(np.quantile(total, level)), float(np.quantile(total, 1 - level))
    beyond = not np.quantile(total, _FLAG_TAIL / 2) <= planted.sum() <= np.quantile(total, 1 - _FLAG_TAIL / 2)
    covered = (low <= planted) & (planted <= high)
    nominal = 1 - 2 * level
    narrow = binom.cdf(int(covered.sum()), len(covered), nominal) < _FLAG_TAIL and covered.mean() < nominal - _COVERAGE_SHORTFALL
    return SelfCheck(
        windows=table, removed_share=REMOVED_SHARE, returned_share=RETURNED_SHARE, removed=float(removed.sum()),
        returned=float(returned.sum()), planted=float(planted.sum()), found=float(point(total)),
        found_low=found_low, found_high=found_high, found_gross=float(point(gross.sum(axis=1))),
        found_recovered=float(point(recovered.sum(axis=1))), coverage=float(covered.mean()), off_target=bool(beyond),
        too_narrow=bool(narrow),
        biased=bool(beyond or narrow),
    )
