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

from pathlib import Path
from typing import Any

from helpers.analysis.contract import Analysis, HeadlineField, lazy_exports
from helpers.config_usage_audit.parameters import Parameters
from helpers.config_usage_audit.schemas import SCHEMAS

__all__ = ["ANALYSIS", "Parameters", "load_inputs", "analyse", "headline", "results"]


def _check_data(params: Parameters, *, con: Any) -> None:
    """The check of parameters against the data made before any kernel starts (loads the query layer only)."""
    from helpers.config_usage_audit.analysis import check_as_of

    check_as_of(params, con=con)


def _sample(out_dir: Path, *, scale: int, seed: int) -> dict[str, Any]:
    """Write this analysis's sample inputs into ``out_dir``; return the truth planted in them."""
    from helpers.sample_data import cmdb

    return cmdb.generate(out_dir, scale=scale, seed=seed)


#: This analysis, as the registry (entry point ``itvalue.analyses``) and the runner know it.
ANALYSIS = Analysis(
    name="config_usage_audit",
    package=__name__,
    title="Configuration-data usage audit",
    question=(
        "Which CMDB classes and attributes are actually read, by which processes, and what does the never-read "
        "data cost to keep?"
    ),
    Parameters=Parameters,
    schemas=SCHEMAS,
    headline_fields=(
        HeadlineField("attributes not read", "totals.attributes_unused", unit="attributes"),
        HeadlineField("share not read", "totals.unused_pct", unit="%"),
        HeadlineField("upkeep of unread data", "totals.hours_on_unused", unit="hours a month"),
        HeadlineField("upkeep of unread data a month, in money", "totals.money_on_unused", unit_from="parameters.currency"),
        HeadlineField("read but stale", "totals.attributes_at_risk", unit="attributes"),
    ),
    data_check=_check_data,
    sample=_sample,
)

__getattr__, __dir__ = lazy_exports(__name__)
