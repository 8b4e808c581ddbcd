"""Feature adoption after a release (``notebooks/feature_adoption.ipynb``): who of the people who
could use each new feature did, how fast, whether they kept using it, whether they left the old
way behind, and which features nobody uses.

The analysis contract (:mod:`helpers.analysis.contract`)::

    params = feature_adoption.Parameters.from_notebook(globals())
    inputs = feature_adoption.load_inputs(params)       # validated Ibis tables
    result = feature_adoption.analyse(inputs, params)   # counted in the engine, survival on per-user rows
    feature_adoption.headline(result)                   # the opening sentences
    feature_adoption.results(result)                    # what results.json holds

Modules: :mod:`.parameters`, :mod:`.loading`, :mod:`.queries` (first use and weekly use counted
in the engine), :mod:`.survival` (Kaplan-Meier adoption, median and Wilson intervals),
:mod:`.analysis`, :mod:`.result`, :mod:`.plots` and :mod:`.reporting`. Adoption and habit are
shares of users from 0 to 1 (shown as percentages); times are in days.
"""

from pathlib import Path
from typing import Any

from helpers.analysis.contract import Analysis, HeadlineField, lazy_exports
from helpers.feature_adoption.parameters import Parameters
from helpers.feature_adoption.schemas import SCHEMAS

__all__ = ["ANALYSIS", "Parameters", "load_inputs", "analyse", "headline", "results"]



def _sample(out_dir: Path, *, scale: int, seed: int) -> dict[str, Any]:
    """Write this analysis's sample inputs into ``out_dir``; return the truth planted in them."""
    from helpers.sample_data import adoption

    return adoption.generate(out_dir, scale=scale, seed=seed)


#: This analysis, as the registry (entry point ``itvalue.analyses``) and the runner know it.
ANALYSIS = Analysis(
    name="feature_adoption",
    package=__name__,
    title="Feature adoption",
    question=(
        "Of the people who could use each new feature, how many did within 90 days, how fast, do they keep using "
        "it, did they leave the old way behind, and which features does nobody use?"
    ),
    Parameters=Parameters,
    schemas=SCHEMAS,
    headline_fields=(
        HeadlineField("features analysed", "totals.features", unit="features"),
        HeadlineField("used by fewer than 10%", "totals.features_below_10pct", unit="features"),
        HeadlineField("never used", "totals.features_never_used", unit="features"),
    ),
    data_check=None,
    sample=_sample,
)

__getattr__, __dir__ = lazy_exports(__name__, {"survival": "survival"})
