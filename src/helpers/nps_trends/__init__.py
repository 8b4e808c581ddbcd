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

from helpers.analysis.contract import lazy_exports
from helpers.nps_trends.parameters import Parameters

__all__ = ["Parameters", "load_inputs", "analyse", "headline", "results"]

__getattr__ = lazy_exports(__name__)
