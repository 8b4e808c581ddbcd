"""Shadow IT: software bought on expense reports and cards, outside IT.

An expense line is software when its merchant category code is a software code or one of
the keywords is a whole word of its merchant or memo (:func:`helpers.it_costs.queries.expenses_by_month`).
It is shadow IT unless it names a product or vendor IT licenses (then it is a sanctioned
product bought the wrong way, counted apart). Lines are grouped per cost center and *merchant
group*: the keyword that matched, or else the merchant category. Groups of fewer than
``min_lines`` lines are added up into one line and never named; if that line itself would
hold fewer than ``min_lines`` lines, the smallest named groups join it, so no hidden group's
amount can be worked out from the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from helpers.it_costs.money import ZERO, exact_total, group_totals
from helpers.it_costs.periods import Period

__all__ = ["MCC_NAMES", "ShadowIT", "merchant_groups", "shadow_it"]

#: Names of the software merchant category codes (ISO 18245), as card schemes list them.
MCC_NAMES = {
    "4816": "Computer network and information services",
    "5045": "Computers, peripherals and software",
    "5734": "Computer software stores",
    "5817": "Digital goods: applications",
    "5818": "Digital goods: large digital goods merchants",
    "7372": "Computer programming and data processing",
    "7379": "Computer maintenance and repair",
}


@dataclass(frozen=True)
class ShadowIT:
    """What :func:`shadow_it` found in the report period.

    Attributes
    ----------
    groups : DataFrame
        Named groups, largest first: ``cost_center, merchant_group, amount`` (Decimal, analysis
        currency), ``lines``.
    hidden_amount : Decimal
        The groups too small to name, added up (0 when none).
    hidden_lines, hidden_groups : int
    total : Decimal
        All shadow-IT spend in the period (named and hidden).
    lines : int
    sanctioned : DataFrame
        Licensed products bought on expenses: ``merchant_group, amount, lines``.
    by_period : DataFrame
        Shadow-IT spend per period over the data: ``period, amount, lines``.
    """

    groups: pd.DataFrame
    hidden_amount: object
    hidden_lines: int
    hidden_groups: int
    total: object
    lines: int
    sanctioned: pd.DataFrame
    by_period: pd.DataFrame


def merchant_groups(found: pd.DataFrame, keywords: Sequence[str]) -> list[str]:
    """The merchant group of each row of :func:`helpers.it_costs.queries.expenses_by_month`."""
    shown = {str(k).strip().lower(): str(k).strip() for k in keywords}
    groups = []
    for keyword, code in zip(found["keyword"], found["mcc"]):
        if keyword is not None and not pd.isna(keyword):
            groups.append(shown.get(str(keyword), str(keyword)))
        elif code in MCC_NAMES:
            groups.append(f"{MCC_NAMES[code]} (MCC {code})")
        else:
            groups.append(f"MCC {code}")
    return groups


def shadow_it(found: pd.DataFrame, *, period: Period, periods: Sequence[Period], min_lines: int) -> ShadowIT:
    """Shadow-IT spend in ``period`` per cost center and merchant group, the small groups hidden.

    Parameters
    ----------
    found : DataFrame
        Software lines per month, converted to the analysis currency, with ``merchant_group``:
        ``month, cost_center, merchant_group, sanctioned, amount, lines``.
    periods : sequence of Period
        The periods of the trend.
    """
    found = found.assign(cost_center=[
        "(no cost center)" if c is None or pd.isna(c) or not str(c).strip() else str(c).strip() for c in found["cost_center"]
    ])
    months = set(period.months)
    now = found[found["month"].isin(months)]
    shadow = now[~now["sanctioned"].astype(bool)]
    groups = group_totals(shadow, ["cost_center", "merchant_group"], ["amount"])
    lines = shadow.groupby(["cost_center", "merchant_group"])["lines"].sum().rename("lines").reset_index()
    groups = groups.merge(lines, on=["cost_center", "merchant_group"], how="left") if len(groups) else \
        pd.DataFrame(columns=["cost_center", "merchant_group", "amount", "lines"])
    groups = groups.assign(_size=groups["amount"].map(float)).sort_values(
        ["_size", "cost_center", "merchant_group"], ascending=[False, True, True], ignore_index=True
    )
    hidden = groups["lines"] < min_lines
    if hidden.any():
        # hide more until the hidden part holds enough lines that none of its groups shows through
        while int(groups.loc[hidden, "lines"].sum()) < min_lines and not hidden.all():
            candidates = groups[~hidden].sort_values(["lines", "_size"], ascending=[True, True])
            hidden.loc[candidates.index[0]] = True
    sanctioned = now[now["sanctioned"].astype(bool)]
    sanctioned_groups = group_totals(sanctioned, ["merchant_group"], ["amount"])
    if len(sanctioned_groups):
        sanctioned_groups = sanctioned_groups.merge(
            sanctioned.groupby("merchant_group")["lines"].sum().rename("lines").reset_index(), on="merchant_group"
        )
    else:
        sanctioned_groups = pd.DataFrame(columns=["merchant_group", "amount", "lines"])
    trend = []
    for p in periods:
        mine = found[found["month"].isin(set(p.months)) & ~found["sanctioned"].astype(bool)]
        trend.append({"period": p.label, "amount": exact_total(mine["amount"]), "lines": int(mine["lines"].sum())})
    return ShadowIT(
        groups=groups.loc[~hidden, ["cost_center", "merchant_group", "amount", "lines"]].reset_index(drop=True),
        hidden_amount=exact_total(groups.loc[hidden, "amount"]) if hidden.any() else ZERO,
        hidden_lines=int(groups.loc[hidden, "lines"].sum()),
        hidden_groups=int(hidden.sum()),
        total=exact_total(groups["amount"]),
        lines=int(groups["lines"].sum()) if len(groups) else 0,
        sanctioned=sanctioned_groups,
        by_period=pd.DataFrame(trend, columns=["period", "amount", "lines"]),
    )
