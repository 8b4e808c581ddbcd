"""IT costs (``notebooks/it_costs.ipynb``): what IT costs per service and per unit of business,
which licence seats are paid for and not used, and which software is bought on expenses outside IT.

The analysis contract (:mod:`helpers.analysis.contract`)::

    params = it_costs.Parameters.from_notebook(globals())
    inputs = it_costs.load_inputs(params)       # Ibis tables; nothing read yet
    result = it_costs.analyse(inputs, params)   # summed in the engine, small frames back
    it_costs.headline(result)
    it_costs.results(result)                    # what results.json holds

Modules: :mod:`.parameters`, :mod:`.schemas` (the inputs), :mod:`.loading`, :mod:`.queries`
(monthly sums in the engine), :mod:`.money` (exact decimals, cents), :mod:`.currencies`,
:mod:`.allocation` (rules to services), :mod:`.periods`, :mod:`.breakdown`, :mod:`.unit_costs`,
:mod:`.shelfware`, :mod:`.shadow_it`, :mod:`.checks` (before the kernel), :mod:`.analysis`,
:mod:`.result`, :mod:`.plots`, :mod:`.reporting` and :mod:`.sample` (sample data with planted
truth). Money is in the ``currency`` parameter's currency.
"""

from pathlib import Path
from typing import Any

from helpers.analysis.contract import Analysis, HeadlineField, MoneyField, lazy_exports
from helpers.it_costs.parameters import Parameters
from helpers.it_costs.schemas import SCHEMAS

__all__ = ["ANALYSIS", "Parameters", "load_inputs", "analyse", "headline", "results"]


def _check_data(params: Parameters, *, con: Any) -> None:
    """Allocation rules, the cost column, the period and the currencies against the data, before any kernel starts."""
    from helpers.it_costs.checks import check_inputs

    check_inputs(params, con=con)


def _sample(out_dir: Path, *, scale: int, seed: int) -> dict[str, Any]:
    """Write this analysis's sample inputs into ``out_dir``; return the truth planted in them."""
    from helpers.it_costs import sample

    return sample.generate(out_dir, scale=scale, seed=seed)


#: This analysis, as the registry (entry point ``itvalue.analyses``) and the runner know it.
ANALYSIS = Analysis(
    name="it_costs",
    package=__name__,
    title="IT costs",
    question=(
        "What does IT cost per service (cloud from a FOCUS export, the rest from the ledger, allocated by your rules, "
        "unallocated shown) and per order or user, what moved it, which licence seats are paid for and not used, and "
        "what software is bought on expenses outside IT?"
    ),
    Parameters=Parameters,
    schemas=SCHEMAS,
    headline_fields=(
        HeadlineField("IT cost in the report period", "total_cost"),
        HeadlineField("not allocated to a service", "unallocated_cost"),
        HeadlineField("unused licence seats, a year", "shelfware_totals.unused_cost_per_year"),
        HeadlineField("software bought outside IT", "shadow_it_totals.amount"),
    ),
    # Sums of recorded amounts, not estimates: no interval. Each in the currency parameter's currency.
    money_fields=(
        MoneyField("IT cost in the report period", "total_cost"),
        MoneyField("cloud, from the FOCUS export", "cloud_cost"),
        MoneyField("on-premises and people, from the ledger", "ledger_cost"),
        MoneyField("not allocated to a service", "unallocated_cost"),
        MoneyField("cost of each service", "cost", rows="services", row_label="{service}"),
        MoneyField("cost per unit of business", "unit_cost", rows="unit_costs", row_label="{service}, per {unit}",
                   unit_from="units.cost"),
        MoneyField("software bought on expenses outside IT", "shadow_it_totals.amount"),
        MoneyField("licence seats paid for and not used", "shelfware_totals.unused_cost_per_year", per="year",
                   side="at_stake"),
    ),
    data_check=_check_data,
    sample=_sample,
)

__getattr__, __dir__ = lazy_exports(__name__, {"sample": "sample"})
