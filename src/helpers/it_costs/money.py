"""Money as exact decimals: sums that do not depend on the order they are added in, and cents.

Costs leave the engine as exact sums (each amount is read as the decimal its file wrote, to 15
significant digits and at most 12 decimal places, and added as a whole number of 10^-12:
:func:`helpers.it_costs.queries.exact_units`), so the same inputs give the same figures to the
last digit whether the engine adds them on one core or eight, in whichever order. In Python they
stay :class:`decimal.Decimal`, added in a context wide enough never to round; only the figures
shown and published are rounded, once, to the cent.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

__all__ = [
    "CENT",
    "ZERO",
    "apportion_cents",
    "as_float",
    "cents",
    "change",
    "exact_total",
    "group_totals",
    "ratio",
    "short_money",
    "times",
    "to_decimal",
]

CENT = Decimal("0.01")
ZERO = Decimal(0)
# 60 significant digits: any sum of 38-digit engine sums, and its product with a rate, is exact.
_EXACT = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP, traps=[decimal.InvalidOperation, decimal.Overflow])


def to_decimal(value: Any) -> Decimal | None:
    """A number as an exact decimal; a float as the shortest text that reads back as it (``0.92``, not
    ``0.92000000000000003996...``), which is what the file said for any value of up to 15 digits.
    None for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return Decimal(str(value))


def exact_total(values: Iterable[Decimal | None]) -> Decimal:
    """The sum of ``values`` without rounding (missing values count as nothing)."""
    with decimal.localcontext(_EXACT):
        return sum((v for v in values if v is not None), ZERO)


def group_totals(frame: pd.DataFrame, by: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """Exact sums of Decimal ``columns`` per group of ``by`` (groups with missing keys kept), one row per group."""
    if frame.empty:
        return pd.DataFrame(columns=[*by, *columns])
    grouped = frame.groupby(list(by), dropna=False, sort=True)
    out = grouped[list(columns)].agg(lambda s: exact_total(s)).reset_index()
    return out


def cents(value: Decimal | None) -> Decimal | None:
    """Rounded to the cent, halves away from zero (commercial rounding)."""
    if value is None:
        return None
    with decimal.localcontext(_EXACT):
        return value.quantize(CENT, rounding=decimal.ROUND_HALF_UP)


def apportion_cents(values: Sequence[Decimal]) -> list[Decimal]:
    """Round each value to the cent so that the rounded values add up to their rounded total.

    The largest-remainder method: every value is first rounded down to the cent, and the
    cents still missing from the rounded total go, one each, to the values that lost most
    (the earlier one first on a tie). Each result is within one cent of its value.
    """
    if not values:
        return []
    with decimal.localcontext(_EXACT):
        floors = [v.quantize(CENT, rounding=decimal.ROUND_FLOOR) for v in values]
        missing = int((cents(exact_total(values)) - sum(floors, ZERO)) / CENT)
        order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
        for i in order[:missing]:
            floors[i] += CENT
        return floors


def times(amount: Decimal | None, factor: Decimal | None) -> Decimal | None:
    """``amount * factor`` without rounding (None when either is missing)."""
    if amount is None or factor is None:
        return None
    with decimal.localcontext(_EXACT):
        return amount * factor


def ratio(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """``numerator / denominator`` to 28 significant digits; None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    with decimal.localcontext(decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)):
        return numerator / denominator


def change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """The relative change ``current / previous - 1`` (0.12 = +12%); None without a positive previous value."""
    if current is None or previous is None or previous <= 0:
        return None
    with decimal.localcontext(decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)):
        return current / previous - 1


def as_float(value: Decimal | None, places: int | None = 2) -> float | None:
    """A decimal for JSON and charts: rounded to ``places`` (None: as it is), then the nearest float."""
    if value is None:
        return None
    if places is not None:
        with decimal.localcontext(_EXACT):
            value = value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    return float(value)


def short_money(value: float | Decimal | None, currency: str = "") -> str:
    """A sum as a headline says it: ``4.21M EUR``, ``186k EUR``, ``9.5k EUR``, ``840 EUR``."""
    if value is None:
        return "—"
    x = float(value)
    size = abs(x)
    if size >= 999_500:
        text = f"{x / 1e6:.2f}M"
    elif size >= 9_995:
        text = f"{x / 1e3:.0f}k"
    elif size >= 999.5:
        text = f"{x / 1e3:.1f}k"
    else:
        text = f"{x:,.0f}"
    return f"{text} {currency}".strip()
