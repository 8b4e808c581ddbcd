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

from helpers.analysis.contract import lazy_exports
from helpers.feature_adoption.parameters import Parameters

__all__ = ["Parameters", "load_inputs", "analyse", "headline", "results"]

__getattr__ = lazy_exports(__name__, {"survival": "survival"})
