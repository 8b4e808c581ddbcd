"""Charts of the adoption analysis: adoption curves over days since eligibility, and adoption per feature.

Each helper takes the data first, everything else keyword-only, accepts ``ax=`` and returns the
Axes. Feature names are untrusted text, drawn literally (a ``$`` would start math mode).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from helpers.report import theme
from helpers.report.plotting import new_axes, plain_text

__all__ = ["adoption_curves_plot", "adoption_plot"]

#: The "unpacked machine gun" line: adoption under this share.
_BELOW = 0.10


def adoption_curves_plot(
    curves: pd.DataFrame, *, horizon_days: int = 90, ax: Axes | None = None, **kwargs
) -> Axes:
    """Kaplan-Meier adoption, ``1 - S(t)``, of every feature against days since a user became eligible.

    Parameters
    ----------
    curves : DataFrame
        ``feature_id``, ``name``, ``days``, ``adoption`` (0 to 1), as in ``Result.curves``.
    horizon_days : int
        Where the adoption in the tables is read; drawn as a dashed line.
    """
    ax = new_axes(ax, figsize=(10, 5))
    # Ten colours, then the same colours dashed: twelve features stay told apart.
    palette = theme.colours()
    styles = ["-", "--", "-.", ":"]
    for number, (_, curve) in enumerate(curves.groupby("feature_id", sort=False)):
        if curve["adoption"].isna().all():
            continue
        ax.step(curve["days"], curve["adoption"], where="post", color=palette[number % len(palette)],
                linestyle=styles[(number // len(palette)) % len(styles)],
                label=plain_text(f"{curve['feature_id'].iloc[0]} {curve['name'].iloc[0]}"), **kwargs)
    ax.axvline(horizon_days, color="0.4", linestyle="--", linewidth=1)
    ax.axhline(_BELOW, color="0.6", linestyle=":", linewidth=1)
    ax.set_xlim(0, None)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Days since the user could first use the feature")
    ax.set_ylabel("Eligible users who have used it")
    ax.set_title("Adoption curves (Kaplan-Meier)")
    if ax.get_legend_handles_labels()[0]:  # no curve when every feature had too few people to show
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    return ax


def adoption_plot(features: pd.DataFrame, *, confidence: float = 0.95, ax: Axes | None = None, **kwargs) -> Axes:
    """Adoption at the horizon per feature with its interval; features never used drawn hollow.

    Parameters
    ----------
    features : DataFrame
        ``Result.features``: ``feature_id``, ``name``, ``adoption``, ``adoption_low``, ``adoption_high``,
        ``horizon_days``, ``horizon_reached``, ``never_used``.
    """
    shown = features[features["eligible_users"] > 0].iloc[::-1]
    ax = new_axes(ax, figsize=(10, max(2.5, 0.42 * len(shown) + 1)))
    y = np.arange(len(shown))
    colour = theme.colours()[0]
    low = (shown["adoption"] - shown["adoption_low"]).clip(lower=0)
    high = (shown["adoption_high"] - shown["adoption"]).clip(lower=0)
    ax.errorbar(shown["adoption"], y, xerr=[low, high], fmt="none", ecolor=colour, capsize=3, **kwargs)
    never = shown["never_used"].to_numpy(dtype=bool)
    ax.scatter(shown["adoption"][~never], y[~never], color=colour, zorder=3)
    ax.scatter(shown["adoption"][never], y[never], facecolors="white", edgecolors=colour, zorder=3)
    labels = [
        plain_text(f"{row.name}" + ("" if row.horizon_reached else f" (at {row.horizon_days} days)"))
        for row in shown.itertuples()
    ]
    ax.set_yticks(y, labels)
    ax.axvline(_BELOW, color="0.5", linestyle=":", linewidth=1)
    ax.set_xlim(-0.02, 1.02)  # a never-used feature's point at 0 stays whole
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"Eligible users who used it within the horizon ({confidence:.0%} interval)")
    ax.set_title("Adoption per feature")
    return ax
