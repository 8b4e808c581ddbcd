"""What the usage audit found: the result type, apart from the code that computes or formats it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from helpers.config_usage_audit.counts import UsageWindow
    from helpers.config_usage_audit.parameters import Parameters

__all__ = ["Result"]


@dataclass(frozen=True)
class Result:
    """The audit's findings: small frames ready for tables, charts and results.json.

    Attributes
    ----------
    attributes : DataFrame
        One row per class x attribute of the inventory: ``ci_class, attribute, populated, cis,
        fill_rate`` (0-1), ``reads, consumers, processes`` (counted, in the window), ``last_read``,
        ``excluded_reads``, ``median_age_days`` (days at as_of), ``stale_after_days``, ``used,
        stale, quadrant``, ``hours_per_month`` (NaN when unknown).
    classes : DataFrame
        One row per class: ``ci_class, cis, cis_read, cis_read_share`` (0-1), ``reads,
        whole_record_reads`` (counted, in the window), ``attributes, attributes_used,
        hours_per_month, hours_on_unused``.
    process_reads : DataFrame
        Reads in the window per class x process, excluded processes too: ``ci_class, process,
        counted, reads``.
    trend : DataFrame
        Reads per calendar month and process over the log: ``month, process, counted, reads,
        partial`` (the month is only partly covered by the log or cut by the window's end).
    monthly_attributes : DataFrame
        Distinct class x attribute pairs read by counted work per month: ``month, attributes_read``.
    recommendations : DataFrame
        From :func:`helpers.config_usage_audit.verdicts.recommendations`.
    quality_notes : list of QualityNote
        Legal but suspicious findings, for the report's data-quality section.
    window : UsageWindow
        The window the reads were counted in.
    log_span : (Timestamp, Timestamp) or (None, None)
        The first and last access-log rows (any action), for saying what the log covers.
    params : Parameters
        The parameters used (``as_of`` may have been empty: see ``window.as_of``).
    has_costs : bool
        A cost file was given.
    """

    attributes: pd.DataFrame
    classes: pd.DataFrame
    process_reads: pd.DataFrame
    trend: pd.DataFrame
    monthly_attributes: pd.DataFrame
    recommendations: pd.DataFrame
    quality_notes: list
    window: UsageWindow
    log_span: tuple
    params: Parameters
    has_costs: bool
