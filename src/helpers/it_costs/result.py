"""What the cost analysis found: the result type, apart from the code that computes or formats it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from helpers.it_costs.parameters import Parameters
    from helpers.it_costs.periods import Coverage, Period
    from helpers.it_costs.shadow_it import ShadowIT
    from helpers.it_costs.shelfware import Shelfware, UsageWindow

__all__ = ["Result"]


@dataclass(frozen=True)
class Result:
    """The analysis's findings: small frames of exact Decimals (the analysis currency), ready for tables.

    Attributes
    ----------
    params : Parameters
        The parameters used.
    quality_notes : list of QualityNote
        Legal but suspicious findings, for the report's data-quality section.
    period : Period
        The period reported on; ``complete`` says whether the cost data covers all of it.
    previous : Period or None
        The period before, when the data covers all of it (changes are against it).
    complete : bool
    coverage : Coverage
        What the cloud cost data covers.
    allocated : DataFrame
        Every monthly cost sum with where the allocation put it: ``source`` (cloud or ledger),
        ``month``, ``provider``, ``category``, ``service_name``, ``rule``, ``cost_pool``, ``tower``,
        ``service``, ``consumer``, ``cost`` (Decimal), ``original_currency``, ``rows``.
    services, cost_pools, towers, providers : DataFrame
        :func:`helpers.it_costs.breakdown.breakdown` of the report period per service (with its
        consumers, pools and towers), cost pool, tower and cloud provider.
    trend : DataFrame
        Cost per period over the data (:func:`helpers.it_costs.breakdown.trend`).
    rules : DataFrame
        What each allocation rule took (:func:`helpers.it_costs.breakdown.rule_hits`).
    unit_costs : DataFrame or None
        :func:`helpers.it_costs.unit_costs.unit_costs`; None without volumes.
    shelfware : Shelfware or None
        None without licences or seat use.
    usage_window : UsageWindow or None
        The days whose use counts for shelfware.
    shadow_it : ShadowIT or None
        None without expenses.
    converted : list of str
        Currencies converted into the analysis currency.
    """

    params: Parameters
    quality_notes: list
    period: Period
    previous: Period | None
    complete: bool
    coverage: Coverage
    allocated: pd.DataFrame
    services: pd.DataFrame
    cost_pools: pd.DataFrame
    towers: pd.DataFrame
    providers: pd.DataFrame
    trend: pd.DataFrame
    rules: pd.DataFrame
    unit_costs: pd.DataFrame | None
    shelfware: Shelfware | None
    usage_window: UsageWindow | None
    shadow_it: ShadowIT | None
    converted: list

    @property
    def currency(self) -> str:
        """The analysis currency, e.g. EUR."""
        return self.params.currency.upper()
