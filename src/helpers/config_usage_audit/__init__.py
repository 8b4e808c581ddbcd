"""Configuration-data usage audit (``notebooks/config_usage_audit.ipynb``): which CMDB data is
actually read, by which processes, and what the never-read data costs to keep.

The analysis contract (:mod:`helpers.analysis.contract`)::

    params = config_usage_audit.Parameters.from_notebook(globals())
    inputs = config_usage_audit.load_inputs(params)       # Ibis tables; nothing read yet
    result = config_usage_audit.analyse(inputs, params)   # counted in the engine, small frames back
    config_usage_audit.headline(result)
    config_usage_audit.results(result)                    # what results.json holds

Modules: :mod:`.parameters`, :mod:`.loading`, :mod:`.counts` (reads counted in the engine),
:mod:`.verdicts` (quadrants, costs, recommendations), :mod:`.analysis`, :mod:`.result`,
:mod:`.plots` and :mod:`.reporting`. Costs are in maintenance hours a month; ages in days.
"""

from helpers.analysis.contract import lazy_exports
from helpers.config_usage_audit.parameters import Parameters

__all__ = ["Parameters", "load_inputs", "analyse", "headline", "results"]

__getattr__ = lazy_exports(__name__)
