"""The kit's look: one seaborn theme and palette for every report."""

from __future__ import annotations

import warnings

__all__ = ["PALETTE", "use_theme"]

#: The kit's colours: one palette for every report, colour-blind safe.
PALETTE = "colorblind"


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
            # through helpers.plotting.plain_text instead, so a "$" in them is just a dollar.
        }
    )
    # Library warnings (pandas, statsmodels convergence chatter) are for analysts, not managers;
    # anything that matters to the result is said in the report's data-quality or method sections.
    warnings.filterwarnings("ignore")
    import pandas as pd

    pd.set_option("display.max_columns", 30)


