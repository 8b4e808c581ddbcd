"""The kit's look: one seaborn theme and palette for every report."""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["DIVERGING_MAP", "PALETTE", "SEQUENTIAL_MAP", "colours", "give_charts_alt_text", "use_theme"]

#: The kit's colours: one palette for every report, colour-blind safe.
PALETTE = "colorblind"
#: The colour map of a heatmap around a reference value (NPS against the overall score).
DIVERGING_MAP = "vlag_r"
#: The colour map of a heatmap of counts (reads per process and class).
SEQUENTIAL_MAP = "Blues"


def colours(n_colors: int | None = None) -> list[tuple[float, float, float]]:
    """The kit's palette (:data:`PALETTE`) as RGB colours, for a chart that picks its colours by position."""
    import seaborn as sns

    return list(sns.color_palette(PALETTE, n_colors=n_colors))


def use_theme() -> None:
    """Set the kit's seaborn theme and quiet library chatter; call once, in a notebook's setup cell."""
    import matplotlib as mpl  # plotting libraries load only in notebooks, not in the runner
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(
        {
            "figure.figsize": (10, 4.5),
            "figure.dpi": 96,
            # PNG at a modest resolution keeps a default report well under 5 MB.
            "savefig.dpi": 96,
            "axes.titleweight": "bold",
            "axes.titlesize": 13,
            "figure.autolayout": True,
            # Math text stays on (log-axis tick labels are math text); labels made of data go
            # through helpers.report.plotting.plain_text instead, so a "$" in them is just a dollar.
        }
    )
    # Library warnings (pandas, statsmodels convergence chatter) are for analysts, not managers;
    # anything that matters to the result is said in the report's data-quality or method sections.
    warnings.filterwarnings("ignore")
    import pandas as pd

    pd.set_option("display.max_columns", 30)
    give_charts_alt_text()


def give_charts_alt_text() -> None:
    """Every matplotlib figure the notebook shows carries alt text in its PNG's metadata.

    The inline backend shows a figure through IPython's ``image/png`` formatter; the kit wraps
    that formatter so it also returns ``{"alt": ...}`` (from :func:`helpers.report.plotting.describe`
    or the chart's titles and axis labels), and the report template writes it into ``<img alt>``.
    The inline backend may register its formatter only after the first cell, so the wrapper is
    (re)applied before every cell runs and before its figures are shown. Outside IPython this does nothing.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    _wrap_figure_formatter(shell)
    if not getattr(shell, "_itvalue_alt_hook", False):
        # post_execute: this hook runs before the inline backend's own (registered later), which
        # shows the cell's figures.
        shell.events.register("pre_execute", lambda: _wrap_figure_formatter(shell))
        shell.events.register("post_execute", lambda: _wrap_figure_formatter(shell))
        shell._itvalue_alt_hook = True


def _wrap_figure_formatter(shell: Any) -> None:
    from matplotlib.figure import Figure

    from helpers.report.plotting import alt_text

    formatter = shell.display_formatter.formatters["image/png"]
    try:
        draw = formatter.lookup_by_type(Figure)
    except KeyError:
        return  # the inline backend has not registered its formatter yet
    if getattr(draw, "itvalue_alt", False):
        return

    def png_with_alt(figure: Figure) -> tuple[object, dict[str, str]]:
        return draw(figure), {"alt": alt_text(figure)}

    png_with_alt.itvalue_alt = True  # type: ignore[attr-defined]
    formatter.for_type(Figure, png_with_alt)
