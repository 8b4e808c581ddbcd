"""Charts of the cost analysis: cost per service, the trend, unit-cost drivers, unused seats, shadow IT.

Each helper takes the data first, everything else keyword-only, accepts ``ax=`` and returns
the Axes. Service, product and cost-center names are untrusted text: they are drawn as literal
text (a ``$`` would otherwise start matplotlib's math mode).
"""

from __future__ import annotations

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from helpers.it_costs.allocation import UNALLOCATED
from helpers.report.plotting import describe, new_axes, plain_text
from helpers.report.theme import colours

__all__ = ["service_cost_plot", "cost_trend_plot", "unit_cost_plot", "shelfware_plot", "shadow_it_plot"]

_PALETTE = colours()
_CLOUD, _LEDGER, _GREY = _PALETTE[0], _PALETTE[1], "0.6"


def _money_axis(axis, currency: str) -> None:
    """Tick labels as people read sums: 250k, 1.5M."""
    def short(value: float, _pos: int) -> str:
        size = abs(value)
        if size >= 1e6:
            return f"{value / 1e6:g}M"
        if size >= 1e3:
            return f"{value / 1e3:g}k"
        return f"{value:g}"

    axis.set_major_formatter(mticker.FuncFormatter(short))
    axis.set_label_text(plain_text(currency))


def _nothing(ax: Axes, message: str) -> Axes:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="0.3")
    return ax


def service_cost_plot(services: pd.DataFrame, *, currency: str, period: str, previous: str | None = None,
                      ax: Axes | None = None) -> Axes:
    """Cost per service in the report period, split into cloud and ledger, largest first, "Unallocated" last in grey.

    Parameters
    ----------
    services : DataFrame
        ``Result.services``: ``service, cloud_cost, ledger_cost, previous_cost`` (Decimals).
    previous : str, optional
        The previous period's label; its cost is drawn as a tick on each bar.
    """
    ax = new_axes(ax, figsize=(10, 0.42 * len(services) + 1.4))
    if services.empty:
        return _nothing(ax, "No cost in this period.")
    names = [plain_text(s) for s in services["service"]]
    y = np.arange(len(services))[::-1]
    cloud = np.array([float(v) for v in services["cloud_cost"]])
    ledger = np.array([float(v) for v in services["ledger_cost"]])
    grey = (services["service"] == UNALLOCATED).to_numpy()
    ax.barh(y, cloud, color=[_GREY if g else _CLOUD for g in grey], label="cloud (FOCUS export)")
    if ledger.any():
        ax.barh(y, ledger, left=cloud, color=[_GREY if g else _LEDGER for g in grey], label="ledger (on-premises, people)")
    if previous is not None and "previous_cost" in services:
        before = [float(v) if v is not None else np.nan for v in services["previous_cost"]]
        ax.scatter(before, y, marker="|", s=220, color="black", zorder=3, label=plain_text(f"{previous} total"))
    ax.set_yticks(y, names)
    _money_axis(ax.xaxis, currency)
    ax.set_title(plain_text(f"What each service cost in {period}"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    describe(ax, f"Horizontal bars: the cost of each service in {period}, in {currency}, split into cloud and ledger "
                 "cost, largest first; unallocated cost in grey at the bottom"
                 + (f"; a black tick marks each service's {previous} cost." if previous else "."))
    return ax


def cost_trend_plot(trend: pd.DataFrame, *, currency: str, ax: Axes | None = None) -> Axes:
    """Cost per period: cloud and ledger stacked, unallocated as a line; partial periods hatched."""
    ax = new_axes(ax, figsize=(10, 3.8))
    if trend.empty:
        return _nothing(ax, "No cost to show.")
    x = np.arange(len(trend))
    cloud = np.array([float(v) for v in trend["cloud_cost"]])
    ledger = np.array([float(v) for v in trend["ledger_cost"]])
    hatch = ["" if done else "//" for done in trend["complete"]]
    for i in x:
        ax.bar(i, cloud[i], color=_CLOUD, hatch=hatch[i], label="cloud" if i == 0 else None)
        if ledger.any():
            ax.bar(i, ledger[i], bottom=cloud[i], color=_LEDGER, hatch=hatch[i], label="ledger" if i == 0 else None)
    ax.plot(x, [float(v) for v in trend["unallocated_cost"]], color="black", marker="o", label="of it unallocated")
    labels = [plain_text(p) + ("\n(partial)" if not done else "") for p, done in zip(trend["period"], trend["complete"])]
    ax.set_xticks(x, labels, rotation=45 if len(x) > 6 else 0, ha="right" if len(x) > 6 else "center")
    _money_axis(ax.yaxis, currency)
    ax.set_title("IT cost per period")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    describe(ax, f"Stacked bars of cloud and ledger cost per period in {currency}, with a line for the cost no rule "
                 "allocates; hatched bars are periods the data covers only in part.")
    return ax


def unit_cost_plot(unit_costs: pd.DataFrame, *, period: str, previous: str | None, ax: Axes | None = None) -> Axes:
    """Per service and unit: the change in spend, in volume and in cost per unit against the period before (%)."""
    ax = new_axes(ax, figsize=(10, 0.6 * len(unit_costs) + 1.6))
    rows = unit_costs.dropna(subset=["unit_cost_change"]) if len(unit_costs) else unit_costs
    if rows.empty:
        return _nothing(ax, "No unit cost can be compared with the period before.")
    labels = [plain_text(f"{s}, per {u}") for s, u in zip(rows["service"], rows["unit"])]
    y = np.arange(len(rows))[::-1]
    height = 0.26
    for offset, column, colour, name in ((height, "spend_change", _PALETTE[1], "spend"),
                                         (0, "volume_change", _PALETTE[2], "volume"),
                                         (-height, "unit_cost_change", _PALETTE[0], "cost per unit")):
        values = [100 * float(v) if v is not None else np.nan for v in rows[column]]
        ax.barh(y + offset, values, height=height, color=colour, label=name)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel(plain_text(f"change, {period} on {previous} (%)"))
    ax.set_title("What moved the cost per unit: spend against volume")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    describe(ax, f"Grouped horizontal bars per service and unit: the change from {previous} to {period} in spend, in "
                 "volume and in cost per unit, in percent.")
    return ax


def shelfware_plot(products: pd.DataFrame, *, currency: str, days: int, ax: Axes | None = None) -> Axes:
    """Unused seats' cost a year per product, split into seats held by leavers, by idle users and by nobody."""
    ax = new_axes(ax, figsize=(10, 0.45 * len(products) + 1.4))
    if products.empty:
        return _nothing(ax, "No licence in force.")
    y = np.arange(len(products))[::-1]
    per_seat = np.array([float(c) / s if s else 0.0 for c, s in zip(products["cost_per_year"], products["seats"])])
    unused = products["unused_seats"].to_numpy(dtype=float)
    leavers = np.minimum(products["leaver_seats"].to_numpy(dtype=float), unused)
    nobody = np.minimum(products["unassigned_seats"].to_numpy(dtype=float), unused - leavers)
    idle = unused - leavers - nobody
    left = np.zeros(len(products))
    for part, colour, name in ((idle, _PALETTE[0], f"held, not used in {days} days"),
                               (leavers, _PALETTE[3], "held by people who left"),
                               (nobody, _GREY, "held by nobody")):
        ax.barh(y, part * per_seat, left=left, color=colour, label=name)
        left += part * per_seat
    ax.set_yticks(y, [plain_text(p) for p in products["product"]])
    _money_axis(ax.xaxis, f"{currency} a year")
    ax.set_title("Licence seats paid for and not used, a year")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    describe(ax, f"Horizontal stacked bars per product: what its unused seats cost a year in {currency}, split into seats "
                 f"held but not used in {days} days, held by people who left, and held by nobody.")
    return ax


def shadow_it_plot(groups: pd.DataFrame, *, currency: str, period: str, ax: Axes | None = None) -> Axes:
    """Software bought on expenses per cost center, one bar segment per merchant group (named groups only)."""
    ax = new_axes(ax, figsize=(10, 3.6))
    if groups.empty:
        return _nothing(ax, f"No software bought on expenses in {period}.")
    table = groups.assign(amount=[float(v) for v in groups["amount"]]).pivot_table(
        index="cost_center", columns="merchant_group", values="amount", aggfunc="sum", fill_value=0.0)
    table = table.loc[table.sum(axis=1).sort_values().index]
    left = np.zeros(len(table))
    palette = colours(len(table.columns))
    for colour, column in zip(palette, table.columns):
        ax.barh(np.arange(len(table)), table[column].to_numpy(), left=left, color=colour, label=plain_text(column))
        left += table[column].to_numpy()
    ax.set_yticks(np.arange(len(table)), [plain_text(c) for c in table.index])
    _money_axis(ax.xaxis, currency)
    ax.set_title(plain_text(f"Software bought on expenses outside IT, {period}"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9,
              handles=[Patch(color=c, label=plain_text(n)) for c, n in zip(palette, table.columns)])
    describe(ax, f"Horizontal stacked bars per cost center: software bought on expenses in {period}, in {currency}, "
                 "one segment per merchant group.")
    return ax
