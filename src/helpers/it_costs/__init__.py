"""IT costs (``notebooks/it_costs.ipynb``): what IT costs per service and per unit of business,
which licence seats are paid for and not used, and which software is bought on expenses outside IT.

The analysis contract (:mod:`helpers.contract`)::

    params = it_costs.Parameters.from_notebook(globals())
    inputs = it_costs.load_inputs(params)       # Ibis tables; nothing read yet
    result = it_costs.analyse(inputs, params)   # summed in the engine, small frames back
    it_costs.headline(result)
    it_costs.results(result)                    # what results.json holds

Modules: :mod:`.parameters`, :mod:`.loading`, :mod:`.queries` (monthly sums in the engine),
:mod:`.money` (exact decimals, cents), :mod:`.currencies`, :mod:`.allocation` (rules to
services), :mod:`.periods`, :mod:`.breakdown`, :mod:`.unit_costs`, :mod:`.shelfware`,
:mod:`.shadow_it`, :mod:`.checks` (before the kernel), :mod:`.analysis`, :mod:`.result`,
:mod:`.plots` and :mod:`.reporting`. Money is in the ``currency`` parameter's currency.
"""

from helpers.contract import lazy_exports
from helpers.it_costs.parameters import Parameters

__all__ = ["Parameters", "load_inputs", "analyse", "headline", "results"]

__getattr__ = lazy_exports(__name__)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "Inputs", "Result", "plots", "reporting"})
