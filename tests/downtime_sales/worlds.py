"""Simulated shops with planted outages, written independently of the kit's own sample generator.

Each family makes sales shaped as a user's export would be, plants outages in them and records
what was really lost and what came back:

- ``smooth``: a web shop's revenue in quarter-hour totals (no order counts), gentle noise;
- ``noisy``: hourly revenue totals of heavy-tailed orders (wholesale orders up to 100 times the
  median), strong day-to-day swings, a second channel that is never hit;
- ``counts``: hourly revenue with an ``orders`` column of Poisson counts drawn apart from the
  revenue, so revenue per order varies from hour to hour for reasons the counts do not carry;
- ``invoices``: one row per invoice of a wholesale gift shop (open on weekdays and Sunday
  mornings, a strong autumn peak, invoice values log-normal with a Pareto tail), modelled on the
  public UCI "Online Retail II" retailer;
- ``returns``: hourly revenue where most of the lost demand comes back, in one of four shapes
  (soon after the restore, evenly, late, or in one burst), cycling with the seed.

Demand is built on five-minute slots, so an outage removes exactly its own minutes. Returning
demand lands within :data:`RECOVERY_HOURS` after the restore (the analysis's default window).
All money is in one currency; times are naive.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["FAMILIES", "RECOVERY_HOURS", "World", "make_world"]

RECOVERY_HOURS = 3.0
SLOT = pd.Timedelta(minutes=5)
START = pd.Timestamp("2024-01-01")
RETURN_SHAPES = ("soon", "evenly", "late", "burst")
#: Returns that keep coming for twice the recovery window: what a user's too-short ``recovery_hours`` sees.
SPILL = "spill"


@dataclass(frozen=True)
class World:
    """A simulated shop: its sales as exported, the planted outages and what they really did.

    Attributes
    ----------
    family : str
    sales : pandas.DataFrame
        ``timestamp, revenue, channel`` and, where the family has them, ``orders``.
    outages : pandas.DataFrame
        ``incident_id, start, end, service, channels``.
    truth : pandas.DataFrame
        Per incident, realized ``lost_revenue`` (removed), ``recovered_revenue`` (came back) and
        ``net_lost_revenue``.
    freq : str
        The bucket size to analyse it with.
    """

    family: str
    sales: pd.DataFrame
    outages: pd.DataFrame
    truth: pd.DataFrame
    freq: str

    def write(self, folder: Path) -> dict[str, str]:
        """Sales as Parquet and outages as CSV in ``folder``; the analysis's path parameters."""
        folder.mkdir(parents=True, exist_ok=True)
        self.sales.to_parquet(folder / "sales.parquet", index=False)
        self.outages.to_csv(folder / "outages.csv", index=False)
        return {"sales_path": str(folder / "sales.parquet"), "outages_path": str(folder / "outages.csv"),
                "campaigns_path": "", "freq": self.freq}


# --- demand ------------------------------------------------------------------------------------

_SHOP_HOURS = np.array([0.3, 0.2, 0.12, 0.1, 0.1, 0.15, 0.3, 0.55, 0.8, 0.95, 1.0, 1.1,
                        1.3, 1.2, 1.0, 0.95, 1.0, 1.1, 1.3, 1.55, 1.7, 1.5, 1.0, 0.55])
_SHOP_DAYS = np.array([0.95, 0.9, 0.92, 0.95, 1.0, 1.15, 1.25])
# A wholesale gift shop: weekdays 07:00-20:00, Sunday 10:00-16:00, closed on Saturdays.
_OFFICE_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 0.35, 0.8, 1.15, 1.3, 1.35,
                          1.3, 1.25, 1.2, 1.05, 0.8, 0.5, 0.3, 0.2, 0, 0, 0, 0])
_OFFICE_DAYS = np.array([1.05, 1.1, 1.05, 1.1, 0.85, 0.0, 0.55])


def _profile(slots: pd.DatetimeIndex, shape: str) -> np.ndarray:
    hour, day = slots.hour.to_numpy(), slots.day_of_week.to_numpy()
    if shape == "shop":
        return _SHOP_HOURS[hour] * _SHOP_DAYS[day]
    level = _OFFICE_HOURS[hour] * _OFFICE_DAYS[day]
    sunday = day == 6
    return np.where(sunday & ((hour < 10) | (hour >= 16)), 0.0, level)


def _day_levels(rng: np.random.Generator, days: int, sd: float, phi: float = 0.6) -> np.ndarray:
    """A day-level AR(1) on the log scale: a good day lifts every hour of it."""
    level = np.zeros(days)
    level[0] = rng.normal(0, sd)
    for i in range(1, days):
        level[i] = phi * level[i - 1] + rng.normal(0, sd * np.sqrt(1 - phi**2))
    return level


def _expected(rng, slots: pd.DatetimeIndex, *, shape: str, per_hour: float, day_sd: float,
              yearly: float = 0.0, shared: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Expected amount per five-minute slot (``per_hour`` at a profile of 1) and the day levels used."""
    day = np.asarray((slots.normalize() - slots[0].normalize()) / pd.Timedelta(days=1), dtype=int)
    own = _day_levels(rng, int(day.max()) + 1, day_sd)
    level = own if shared is None else 0.7 * shared + np.sqrt(1 - 0.7**2) * own
    years = np.asarray((slots - START) / pd.Timedelta(days=365.25))
    trend = 1 + 0.15 * years
    # A peak in the autumn (the gift trade's season), a trough in the winter after it.
    season = 1 + yearly * np.sin(2 * np.pi * (years - 0.55))
    return per_hour / 12 * _profile(slots, shape) * trend * season * np.exp(level[day]), level


# --- outages and returns -----------------------------------------------------------------------

def _plan_outages(rng: np.random.Generator, slots: pd.DatetimeIndex, expected: np.ndarray, n: int,
                  *, longest_minutes: int = 240) -> pd.DataFrame:
    """Outages of 30 minutes to ``longest_minutes`` at busy times, at least 12 hours apart, after four weeks."""
    busy = np.flatnonzero(expected > 0.6 * np.median(expected[expected > 0]))
    busy = busy[(slots[busy] > slots[0] + pd.Timedelta(weeks=4)) & (slots[busy] < slots[-1] - pd.Timedelta(days=2))]
    rows, taken = [], []
    while len(rows) < n:
        start = slots[rng.choice(busy)]
        if any(abs(start - t) < pd.Timedelta(hours=12) for t in taken):
            continue
        minutes = int(rng.integers(6, longest_minutes // 5 + 1)) * 5
        taken.append(start)
        share = 1.0 if rng.random() < 0.7 else 0.5
        rows.append((start, start + pd.Timedelta(minutes=minutes), share))
    frame = pd.DataFrame(rows, columns=["start", "end", "loss_share"]).sort_values("start", ignore_index=True)
    frame.insert(0, "incident_id", [f"INC{i + 1:03d}" for i in range(len(frame))])
    return frame


def _return_delays(rng: np.random.Generator, n: int, shape: str) -> np.ndarray:
    """Delays after the restore (seconds), within :data:`RECOVERY_HOURS` (:data:`SPILL`: twice that, evenly)."""
    window = RECOVERY_HOURS * 3600
    u = rng.random(n)
    if shape == SPILL:
        return u * 2 * window
    if shape == "soon":  # exponential, mean 30 minutes, truncated at the window
        mean = 1800.0
        return -mean * np.log1p(-u * (1 - np.exp(-window / mean)))
    if shape == "evenly":
        return u * window
    if shape == "late":  # density rising linearly to the end of the window
        return np.sqrt(u) * window
    return u * 1200.0  # "burst": everyone within 20 minutes


def _slot_returns(rng, slots: pd.DatetimeIndex, end: pd.Timestamp, amount: float, shape: str) -> tuple[np.ndarray, np.ndarray]:
    """``amount`` of returning revenue spread over the slots after ``end`` in the given shape."""
    delays = _return_delays(rng, 400, shape)
    at = slots.searchsorted(end + pd.to_timedelta(np.floor(delays), unit="s"), side="right") - 1
    positions, counts = np.unique(at[(at >= 0) & (at < len(slots))], return_counts=True)
    return positions, amount * counts / counts.sum()


def _plant_on_slots(rng, slots: pd.DatetimeIndex, revenue: np.ndarray, plan: pd.DataFrame, *, return_share: float,
                    shape: str, orders: np.ndarray | None = None, remove: bool = True) -> pd.DataFrame:
    """Remove each outage's share of the revenue (and orders) in its slots; add the returns after it.

    ``remove=False`` adds the returns only (what would have come back), removing nothing.
    """
    truth = []
    for row in plan.itertuples():
        inside = np.flatnonzero((slots >= row.start) & (slots < row.end))
        would_lose = revenue[inside] * row.loss_share
        gone = rng.binomial(orders[inside], row.loss_share) if orders is not None else None
        if remove:
            revenue[inside] -= would_lose
            if orders is not None:
                orders[inside] -= gone
        back = float(would_lose.sum()) * return_share
        positions, amounts = _slot_returns(rng, slots, row.end, back, shape)
        revenue[positions] += amounts
        if orders is not None:
            returning = rng.binomial(int(gone.sum()), return_share)
            np.add.at(orders, positions, rng.multinomial(returning, amounts / max(amounts.sum(), 1e-300)))
        truth.append((row.incident_id, float(would_lose.sum()) if remove else 0.0, back))
    return _truth(truth)


def _truth(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["incident_id", "lost_revenue", "recovered_revenue"])
    frame["net_lost_revenue"] = frame["lost_revenue"] - frame["recovered_revenue"]
    return frame


def _outage_table(plan: pd.DataFrame, channel: str) -> pd.DataFrame:
    return plan[["incident_id", "start", "end"]].assign(service="checkout", channels=channel)


def _totals(slots: pd.DatetimeIndex, values: dict[str, np.ndarray], freq: str, channel: str) -> pd.DataFrame:
    """Slots summed to ``freq`` buckets, as a BI tool exports them (one row per bucket with sales)."""
    frame = pd.DataFrame({"timestamp": slots.floor(freq), **values}).groupby("timestamp", as_index=False).sum()
    frame = frame[frame["revenue"] != 0].assign(channel=channel)
    return frame.reset_index(drop=True)


# --- the families ------------------------------------------------------------------------------

def smooth(seed: int, *, weeks: int = 26, outages: int = 24, return_share: float = 0.3,
           shape: str = "soon", remove: bool = True) -> World:
    """Quarter-hour revenue totals of a web shop with gentle noise (no order counts)."""
    rng = np.random.default_rng([seed, 1])
    slots = pd.date_range(START, periods=weeks * 7 * 288, freq=SLOT)
    expected, _ = _expected(rng, slots, shape="shop", per_hour=900.0, day_sd=0.04)
    revenue = expected * rng.lognormal(-0.5 * 0.12**2, 0.12, len(slots))
    plan = _plan_outages(rng, slots, expected, outages)
    truth = _plant_on_slots(rng, slots, revenue, plan, return_share=return_share, shape=shape, remove=remove)
    sales = _totals(slots, {"revenue": revenue}, "15min", "web")
    return World("smooth", sales, _outage_table(plan, "web"), truth, "15min")


def _order_values(rng: np.random.Generator, n: int, *, median: float, sigma: float, wholesale: float,
                  floor: float, tail: float, cap: float) -> np.ndarray:
    values = median * np.exp(rng.normal(0, sigma, n))
    big = rng.random(n) < wholesale
    values[big] = np.minimum(floor * rng.random(int(big.sum())) ** (-1 / tail), cap)
    return values


_NOISY_VALUES = {"median": 35.0, "sigma": 0.8, "wholesale": 0.002, "floor": 350.0, "tail": 1.6, "cap": 3_500.0}


def noisy(seed: int, *, weeks: int = 26, outages: int = 24, return_share: float = 0.3, shape: str = "soon",
          remove: bool = True) -> World:
    """Hourly revenue totals of heavy-tailed orders, strong day swings; a second channel never hit (no counts)."""
    rng = np.random.default_rng([seed, 2])
    slots = pd.date_range(START, periods=weeks * 7 * 288, freq=SLOT)
    frames, truth = [], None
    shared = _day_levels(rng, weeks * 7, 0.12)
    for channel, per_hour in (("web", 50.0), ("app", 30.0)):
        rate, _ = _expected(rng, slots, shape="shop", per_hour=per_hour, day_sd=0.12, shared=shared)
        counts = rng.poisson(rate)
        values = _order_values(rng, int(counts.sum()), **_NOISY_VALUES)
        revenue = np.bincount(np.repeat(np.arange(len(slots)), counts), values, minlength=len(slots))
        if channel == "web":
            plan = _plan_outages(rng, slots, rate, outages)
            truth = _plant_on_slots(rng, slots, revenue, plan, return_share=return_share, shape=shape, remove=remove)
        frames.append(_totals(slots, {"revenue": revenue}, "h", channel))
    sales = pd.concat(frames, ignore_index=True)
    return World("noisy", sales, _outage_table(plan, "web"), truth, "h")


def counts(seed: int, *, weeks: int = 26, outages: int = 24, return_share: float = 0.3, shape: str = "soon",
           remove: bool = True) -> World:
    """Hourly revenue and an ``orders`` column of Poisson counts drawn apart from the revenue."""
    rng = np.random.default_rng([seed, 3])
    slots = pd.date_range(START, periods=weeks * 7 * 288, freq=SLOT)
    expected, _ = _expected(rng, slots, shape="shop", per_hour=1500.0, day_sd=0.06)
    # Revenue per hour varies on its own (basket mix, prices); the counts follow demand with Poisson noise.
    revenue = expected * rng.lognormal(-0.5 * 0.3**2, 0.3, len(slots))
    orders = rng.poisson(expected / 45.0)
    plan = _plan_outages(rng, slots, expected, outages)
    truth = _plant_on_slots(rng, slots, revenue, plan, return_share=return_share, shape=shape, orders=orders, remove=remove)
    sales = _totals(slots, {"revenue": revenue, "orders": orders}, "h", "web")
    return World("counts", sales, _outage_table(plan, "web"), truth, "h")


_INVOICE_VALUES = {"median": 260.0, "sigma": 0.95, "wholesale": 0.01, "floor": 2_500.0, "tail": 1.4, "cap": 60_000.0}


def invoices(seed: int, *, weeks: int = 52, outages: int = 20, return_share: float = 0.3, shape: str = "evenly",
             remove: bool = True, with_orders: bool = True) -> World:
    """One row per invoice of a wholesale gift shop (UCI "Online Retail II"-like): heavy tails, low counts."""
    rng = np.random.default_rng([seed, 4])
    slots = pd.date_range(START, periods=weeks * 7 * 288, freq=SLOT)
    rate, _ = _expected(rng, slots, shape="office", per_hour=7.0, day_sd=0.15, yearly=0.35)
    n = rng.poisson(rate)
    stamps = np.repeat(slots.to_numpy(), n) + pd.to_timedelta(rng.integers(0, 5, n.sum()), unit="min").to_numpy()
    rows = pd.DataFrame({"timestamp": stamps,
                         "revenue": np.round(_order_values(rng, int(n.sum()), **_INVOICE_VALUES), 2)})
    plan = _plan_outages(rng, slots, rate, outages, longest_minutes=180)
    keep = np.ones(len(rows), bool)
    moved, truth = [], []
    for row in plan.itertuples():
        hit = np.flatnonzero((rows["timestamp"] >= row.start).to_numpy() & (rows["timestamp"] < row.end).to_numpy())
        gone = hit[rng.random(len(hit)) < row.loss_share]
        if remove:
            keep[gone] = False
        back = gone[rng.random(len(gone)) < return_share]
        delays = pd.to_timedelta(np.floor(_return_delays(rng, len(back), shape) / 60), unit="min")
        moved.append(pd.DataFrame({"timestamp": row.end + delays, "revenue": rows["revenue"].to_numpy()[back]}))
        truth.append((row.incident_id, float(rows["revenue"].to_numpy()[gone].sum()) if remove else 0.0,
                      float(rows["revenue"].to_numpy()[back].sum())))
    sales = pd.concat([rows[keep], *moved], ignore_index=True).sort_values("timestamp", ignore_index=True)
    sales["timestamp"] = sales["timestamp"].astype("datetime64[us]")
    sales.insert(0, "invoice", [f"{500000 + i}" for i in range(len(sales))])
    sales["channel"] = "web"
    if with_orders:
        sales["orders"] = 1
    return World("invoices", sales, _outage_table(plan, "web"), _truth(truth), "h")


def returns(seed: int, *, weeks: int = 26, outages: int = 24, remove: bool = True) -> World:
    """Hourly revenue (no counts) where 60 % of the lost demand returns, in a shape that cycles with the seed."""
    rng = np.random.default_rng([seed, 5])
    slots = pd.date_range(START, periods=weeks * 7 * 288, freq=SLOT)
    expected, _ = _expected(rng, slots, shape="shop", per_hour=1200.0, day_sd=0.06)
    revenue = expected * rng.lognormal(-0.5 * 0.2**2, 0.2, len(slots))
    plan = _plan_outages(rng, slots, expected, outages)
    shape = RETURN_SHAPES[seed % len(RETURN_SHAPES)]
    truth = _plant_on_slots(rng, slots, revenue, plan, return_share=0.6, shape=shape, remove=remove)
    sales = _totals(slots, {"revenue": revenue}, "h", "web")
    return World("returns", sales, _outage_table(plan, "web"), truth, "h")


FAMILIES = {"smooth": smooth, "noisy": noisy, "counts": counts, "invoices": invoices, "returns": returns}


def make_world(family: str, seed: int, **options: object) -> World:
    """One world of a family (see the module)."""
    return FAMILIES[family](seed, **options)
