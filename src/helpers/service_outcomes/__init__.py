"""Service outcomes, "you had one job" (``notebooks/service_outcomes.ipynb``): was each person's
problem solved, quickly, the first time, from an ITSM tool's own export.

The analysis contract (:mod:`helpers.contract`)::

    params = service_outcomes.Parameters.from_notebook(globals())
    inputs = service_outcomes.load_inputs(params)       # validated Ibis tables
    result = service_outcomes.analyse(inputs, params)   # ticket verdicts in the engine, statistics on counts
    service_outcomes.headline(result)                   # the opening sentences
    service_outcomes.results(result)                    # what results.json holds

Modules: :mod:`.parameters`, :mod:`.loading`, :mod:`.window` (the analysis window and the
runner's check), :mod:`.queries` (latest rows, events, repeat contacts and verdicts in the
engine), :mod:`.stats` (Wilson intervals, period changes, NPS by outcome), :mod:`.analysis`,
:mod:`.result`, :mod:`.plots` and :mod:`.reporting` (headline, tables, ``results.json``).
Shares are from 0 to 1 (shown as percentages), times in hours, NPS in points.
"""

from helpers.contract import lazy_exports
from helpers.service_outcomes.parameters import Parameters

__all__ = ["Parameters", "load_inputs", "analyse", "headline", "results"]

__getattr__ = lazy_exports(__name__)
