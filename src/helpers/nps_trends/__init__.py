"""NPS trends (``notebooks/nps_trends.ipynb``): Net Promoter Score over time with honest uncertainty.

The analysis contract (:mod:`helpers.analysis.contract`)::

    params = nps_trends.Parameters.from_notebook(globals())
    inputs = nps_trends.load_inputs(params)       # validated Ibis tables
    result = nps_trends.analyse(inputs, params)   # counts in the engine, statistics on counts
    nps_trends.headline(result)                   # the opening sentences
    nps_trends.results(result)                    # what results.json holds

Modules: :mod:`.parameters`, :mod:`.loading`, :mod:`.queries` (counts in the engine),
:mod:`.stats` (intervals, tests and regressions on counts), :mod:`.analysis`, :mod:`.result`,
:mod:`.plots` (charts) and :mod:`.reporting` (headline, tables, ``results.json``). Scores are
in points from -100 to +100.
"""

from pathlib import Path
from typing import Any

from helpers.analysis.contract import Analysis, HeadlineField, lazy_exports
from helpers.nps_trends.parameters import Parameters
from helpers.nps_trends.schemas import SCHEMAS

__all__ = ["ANALYSIS", "Parameters", "load_inputs", "analyse", "headline", "results"]


def _check_data(params: Parameters, *, con: Any) -> None:
    """The check of parameters against the data made before any kernel starts (loads the query layer only)."""
    from helpers.nps_trends.window import check_window

    check_window(params, con=con)


def _sample(out_dir: Path, *, scale: int, seed: int) -> dict[str, Any]:
    """Write this analysis's sample inputs into ``out_dir``; return the truth planted in them."""
    from helpers.sample_data import nps

    return nps.generate(out_dir, scale=scale, seed=seed)


#: This analysis, as the registry (entry point ``itvalue.analyses``) and the runner know it.
ANALYSIS = Analysis(
    name="nps_trends",
    package=__name__,
    title="NPS trends",
    question=(
        "Where is Net Promoter Score going, which changes are real and which are noise, and did the support-system"
        " change, resolution times or first-time fixes move it?"
    ),
    Parameters=Parameters,
    schemas=SCHEMAS,
    headline_fields=(
        HeadlineField("NPS, latest period", "latest.nps", low="latest.nps_low", high="latest.nps_high", unit="points"),
        HeadlineField("change on the period before", "latest.change", unit="points"),
        HeadlineField("trend", "trend.points_per_month", low="trend.points_per_month_low", high="trend.points_per_month_high",
                      unit="points a month", no_effect=0),
        HeadlineField("level change at the first event", "events.0.level_change", low="events.0.level_change_low",
                      high="events.0.level_change_high", unit="points", no_effect=0),
    ),
    data_check=_check_data,
    sample=_sample,
)

__getattr__, __dir__ = lazy_exports(__name__)
