"""Campaign downtime to sales (``notebooks/downtime_sales.ipynb``): what each outage cost in
revenue, net of the demand that came back later, and how much worse outages are in campaigns.

The analysis contract (:mod:`helpers.analysis.contract`)::

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

from pathlib import Path
from typing import Any

from helpers.analysis.contract import Analysis, HeadlineField, lazy_exports
from helpers.downtime_sales.parameters import Parameters
from helpers.downtime_sales.schemas import SCHEMAS

__all__ = ["ANALYSIS", "Parameters", "load_inputs", "analyse", "headline", "results"]


def _check_data(params: Parameters, *, con: Any) -> None:
    """The check of parameters against the data made before any kernel starts (loads the query layer only)."""
    from helpers.downtime_sales.loading import check_sales_window

    check_sales_window(params, con=con)


def _sample(out_dir: Path, *, scale: int, seed: int) -> dict[str, Any]:
    """Write this analysis's sample inputs into ``out_dir``; return the truth planted in them."""
    from helpers.sample_data import sales

    return sales.generate(out_dir, scale=scale, seed=seed)


#: This analysis, as the registry (entry point ``itvalue.analyses``) and the runner know it.
ANALYSIS = Analysis(
    name="downtime_sales",
    package=__name__,
    title="Campaign downtime to sales",
    question=(
        "What did each outage cost in revenue, net of the demand that came back later, with an interval? Is a "
        "minute down during a campaign costlier?"
    ),
    Parameters=Parameters,
    schemas=SCHEMAS,
    headline_fields=(
        HeadlineField("net lost revenue", "totals.net_lost_revenue", low="totals.net_lost_revenue_low",
                      high="totals.net_lost_revenue_high", no_effect=0),
        HeadlineField("campaign minute vs other minute", "totals.campaign_minute_cost_ratio",
                      low="totals.campaign_minute_cost_ratio_low", high="totals.campaign_minute_cost_ratio_high", unit="x",
                      no_effect=1),
    ),
    data_check=_check_data,
    sample=_sample,
)

__getattr__, __dir__ = lazy_exports(__name__, {"estimate_impact": "impact"})
