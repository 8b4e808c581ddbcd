"""Campaign downtime to sales (``notebooks/downtime_sales.ipynb``): what each outage cost in
revenue, net of the demand that came back later, and how much worse outages are in campaigns.

The analysis contract (:mod:`helpers.contract`)::

    params = downtime_sales.Parameters.from_notebook(globals())
    inputs = downtime_sales.load_inputs(params)       # sales bucketed in the query engine
    result = downtime_sales.analyse(inputs, params)   # baselines, counterfactual draws, figures
    downtime_sales.headline(result)
    downtime_sales.results(result)                    # what results.json holds

Modules: :mod:`.parameters`, :mod:`.loading`, :mod:`.queries` (buckets in the engine),
:mod:`.sales_shape` (which model the sales call for: order-level rows, bucket counts or revenue
only), :mod:`.buckets` (the grid, data gaps), :mod:`.windows` (each incident's outage and recovery
buckets), :mod:`.baseline` and :mod:`.order_model` (the expected-revenue models), :mod:`.fitting`,
:mod:`.incidents` (per-incident figures and intervals), :mod:`.campaigns`, :mod:`.timeline` (the
charts' data), :mod:`.placebo` and :mod:`.self_check` (the checks on the user's own sales),
:mod:`.analysis`, :mod:`.result`, :mod:`.impact` (``estimate_impact``, the CausalImpact-style
estimator for one series around one intervention), :mod:`.plots` and :mod:`.reporting`. Money is
in the sales currency (``currency`` only labels it); durations in minutes.
"""

from helpers.contract import lazy_exports
from helpers.downtime_sales.parameters import Parameters

__all__ = ["Parameters", "load_inputs", "analyse", "headline", "results"]

__getattr__ = lazy_exports(__name__, {"estimate_impact": "impact"})
