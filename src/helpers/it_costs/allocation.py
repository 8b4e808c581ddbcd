"""Allocation: every cost to exactly one service (with its cost pool and tower), or to "Unallocated".

The rules are the user's ``allocation`` table, TBM style: a row says "costs whose ``match``
column holds ``value`` belong to this cost pool, tower and service". They are tried in the
table's order and the first that matches a cost takes it; a cost no rule matches is
*unallocated*, shown as such and never dropped, so the services and "Unallocated" always add up
to the total. Matching ignores case and surrounding spaces; ``*`` in a value matches any run of
characters, and ``match: *`` matches every cost (a catch-all last row).

Rules run on the monthly aggregates (:mod:`.queries`), not on charges: a rule looks at the
columns a charge is grouped by, so the result is the same as matching each charge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["UNALLOCATED", "Rule", "allocate", "match_columns", "read_rules"]

#: The service, cost pool and tower of costs no rule matches.
UNALLOCATED = "Unallocated"
_SOURCES = ("cloud", "ledger")


@dataclass(frozen=True)
class Rule:
    """One row of the allocation table.

    Attributes
    ----------
    number : int
        Its row in the table (1 = the first row after the header); the first matching rule wins.
    match : str
        The column looked at (``ServiceName``, ``Tags.app``, ``cost_center``...) or ``*``.
    value : str
        What the column must hold (case and surrounding spaces ignored; ``*`` = any characters).
    cost_pool, tower, service : str
        Where a matched cost goes.
    consumer : str or None
        Who consumes the service.
    source : {"cloud", "ledger"} or None
        The costs it applies to (None: both).
    """

    number: int
    match: str
    value: str
    cost_pool: str
    tower: str
    service: str
    consumer: str | None
    source: str | None

    def applies_to(self, source: str) -> bool:
        """Whether the rule looks at costs from ``source`` (``cloud`` or ``ledger``)."""
        return self.source is None or self.source == source

    @property
    def pattern(self) -> re.Pattern:
        """The value as a case-insensitive full-match pattern (``*`` = any characters)."""
        parts = [re.escape(part) for part in self.value.strip().lower().split("*")]
        return re.compile(".*".join(parts), re.DOTALL)


def read_rules(table: pd.DataFrame | None) -> list[Rule]:
    """The rules of a loaded ``allocation`` input, in its order (an empty list for none)."""
    if table is None:
        return []
    rules = []
    for number, row in enumerate(table.itertuples(index=False), start=1):
        consumer = getattr(row, "consumer", None)
        source = getattr(row, "source", None)
        rules.append(Rule(
            number=number,
            match=str(row.match).strip(),
            value=str(row.value),
            cost_pool=str(row.cost_pool).strip(),
            tower=str(row.tower).strip(),
            service=str(row.service).strip(),
            consumer=None if consumer is None or pd.isna(consumer) else str(consumer).strip(),
            source=None if source is None or pd.isna(source) else str(source),
        ))
    return rules


def match_columns(rules: list[Rule], source: str, available: list[str]) -> list[str]:
    """The columns of ``source``'s input the rules look at (``Tags.<key>`` for tags present as a column)."""
    wanted = []
    for rule in rules:
        if rule.match == "*" or not rule.applies_to(source):
            continue
        if rule.match in available or (rule.match.startswith("Tags.") and "Tags" in available):
            wanted.append(rule.match)
    return list(dict.fromkeys(wanted))


def allocate(costs: pd.DataFrame, rules: list[Rule], *, source: str) -> pd.DataFrame:
    """``costs`` with the rule that took each row and where it put it.

    Parameters
    ----------
    costs : DataFrame
        A monthly aggregate of ``source``'s costs, holding every column the rules look at
        (:func:`match_columns`).
    rules : list of Rule
        In the table's order.
    source : {"cloud", "ledger"}

    Returns
    -------
    DataFrame
        ``costs`` plus ``rule`` (the rule's row number; 0 = none), ``cost_pool``, ``tower``,
        ``service`` and ``consumer`` (:data:`UNALLOCATED` and None where no rule matched).
    """
    taken = np.zeros(len(costs), dtype=np.int64)
    for rule in rules:
        if not rule.applies_to(source):
            continue
        if rule.match == "*":
            hits = np.ones(len(costs), dtype=bool)
        elif rule.match in costs.columns:
            hits = _matches(costs[rule.match], rule.pattern)
        else:
            continue
        taken = np.where((taken == 0) & hits, rule.number, taken)
    by_number = {rule.number: rule for rule in rules}
    out = costs.copy()
    out["rule"] = taken
    for field in ("cost_pool", "tower", "service"):
        out[field] = [getattr(by_number[n], field) if n else UNALLOCATED for n in taken]
    out["consumer"] = [by_number[n].consumer if n else None for n in taken]
    return out


def _matches(column: pd.Series, pattern: re.Pattern) -> np.ndarray:
    """Which cells of ``column`` fully match ``pattern`` once trimmed and lowered (empty cells never do)."""
    values = column.astype("object")
    distinct = pd.unique(values[values.notna()])
    hit = {v for v in distinct if pattern.fullmatch(str(v).strip().lower())}
    return values.isin(hit).to_numpy(dtype=bool)
