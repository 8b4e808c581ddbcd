"""Costs in other currencies: converted with the user's rates, or refused with one sentence.

A rate is the analysis currency per unit of another currency (0.92 EUR per USD), for one month
or, when its ``month`` is empty, for every month without a rate of its own. Monthly sums are
converted, exactly (the sum times the rate, in decimals), never the charges one by one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from helpers.exceptions import InputDataError
from helpers.it_costs.money import times, to_decimal

__all__ = ["Rates", "convert", "read_rates"]


@dataclass(frozen=True)
class Rates:
    """The exchange rates given, into ``currency``.

    Attributes
    ----------
    currency : str
        The analysis currency.
    monthly : dict
        ``{(currency, first day of month): rate}``.
    standing : dict
        ``{currency: rate}`` for every month without its own rate.
    source : str or None
        The rates input's file name (None: none given).
    """

    currency: str
    monthly: dict = field(default_factory=dict)
    standing: dict = field(default_factory=dict)
    source: str | None = None

    def rate(self, currency: str, month: dt.date) -> Decimal | None:
        """Units of the analysis currency per unit of ``currency`` in ``month`` (1 for the analysis currency)."""
        if currency == self.currency:
            return Decimal(1)
        found = self.monthly.get((currency, month))
        return found if found is not None else self.standing.get(currency)


def read_rates(frame: pd.DataFrame | None, currency: str, *, source: str | None = None) -> Rates:
    """The rates of a loaded ``rates`` input (currency codes compared in upper case).

    Raises
    ------
    InputDataError
        A rate of zero, or two rates for every month of one currency.
    """
    rates = Rates(currency=currency.upper(), source=source)
    if frame is None:
        return rates
    for number, row in enumerate(frame.itertuples(index=False), start=1):
        code = str(row.currency).strip().upper()
        rate = to_decimal(row.rate)
        if rate is None or rate <= 0:
            raise InputDataError(f"{source}: column 'rate' must be above 0; row {number} gives {row.rate!r} for {code}.")
        month = getattr(row, "month", None)
        if month is None or pd.isna(month):
            if code in rates.standing:
                raise InputDataError(
                    f"{source}: two rates for {code} in every month (rows with an empty month); keep one."
                )
            rates.standing[code] = rate
        else:
            stamp = pd.Timestamp(month)
            rates.monthly[(code, dt.date(stamp.year, stamp.month, 1))] = rate
    return rates


def convert(costs: pd.DataFrame, rates: Rates, *, amount: str, currency: str, name: str) -> pd.DataFrame:
    """``costs`` with ``amount`` in the analysis currency and ``original_currency`` beside it.

    Parameters
    ----------
    costs : DataFrame
        Monthly sums: ``month`` (first day), ``amount`` (Decimal), ``currency`` and ``rows``.
    name : str
        The input's file name, for the message.

    Raises
    ------
    InputDataError
        Sums in a currency without a rate for their month: one sentence naming the input, the
        currency, the months and the rows, and what to give.
    """
    codes = costs[currency].astype("object").map(lambda c: str(c).strip().upper() if c is not None and not pd.isna(c) else "")
    rate = [rates.rate(c, m) for c, m in zip(codes, costs["month"])]
    missing = [r is None for r in rate]
    if any(missing):
        gaps = costs.loc[missing].assign(code=codes[missing])
        first = gaps.sort_values(["code", "month"]).iloc[0]
        code = first["code"] or "(empty)"
        mine = gaps[gaps["code"] == first["code"]]
        months = sorted({m.strftime("%Y-%m") for m in mine["month"]})
        shown = ", ".join(months[:3]) + (f" and {len(months) - 3} more" if len(months) > 3 else "")
        rows = int(mine["rows"].sum())
        if rates.source is None:
            raise InputDataError(
                f"{name}: {rows:,} row{'s' if rows != 1 else ''} {'are' if rows != 1 else 'is'} in {code}, not "
                f"{rates.currency} (parameter 'currency'); give exchange rates into {rates.currency} "
                f"(parameter 'rates_path', columns currency, rate, month) to convert them."
            )
        raise InputDataError(
            f"{rates.source} has no rate for {code} in {shown} (and none for every month); "
            f"{name} has {rows:,} row{'s' if rows != 1 else ''} in {code} then."
        )
    out = costs.copy()
    out["original_currency"] = codes.to_numpy()
    out[amount] = [times(a, r) for a, r in zip(out[amount], rate)]
    return out
