"""The one layout of ``results.json``: what every analysis's ``results(result)`` returns.

::

    {
      "analysis": "nps_trends",                       # the registered name
      "parameters": {...},                            # the run's parameters, as injected (JSON types)
      "period": {"start": "2025-01-01", "end": "2025-06-30"},   # the days analysed (ISO dates; null if none)
      "units": {"nps": "points", "net_lost_revenue": "EUR", "promoter_share": "share", ...},
      ...                                             # the analysis's own figures
    }

``units`` names the unit of each figure by its key, wherever the key appears in the figures (a key in a
list of rows counts for every row): ``share`` (a fraction from 0 to 1, never a percentage; an estimated
share's interval bounds, ``*_low`` and ``*_high``, may reach past 0 or 1), ``count``
units in words (``responses``, ``attributes``, ``features``), ``points``, ``hours``, ``days``,
``minutes``, ``x`` for a ratio, or a currency code (``EUR``). Parameters live under ``parameters`` only,
not repeated at the top. The index reads a headline figure's unit from ``units`` unless the analysis
fixes it (:class:`~helpers.analysis.contract.HeadlineField`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["LAYOUT_KEYS", "SHARE", "layout_problems", "results_layout"]

#: The keys every results.json starts with.
LAYOUT_KEYS = ("analysis", "parameters", "period", "units")
#: The unit of a fraction from 0 to 1.
SHARE = "share"


def results_layout(
    analysis: str,
    params: Any,
    *,
    period: tuple[Any, Any] | None,
    units: Mapping[str, str],
    figures: Mapping[str, Any],
) -> dict[str, Any]:
    """``results.json`` in the common layout: ``analysis``, ``parameters``, ``period``, ``units``, then ``figures``.

    Parameters
    ----------
    analysis : str
        The registered name.
    params : NotebookParameters
        The run's parameters (``as_dict()`` is what results.json holds).
    period : (start, end) or None
        The first and last day analysed (dates, timestamps or ISO strings); None when the analysis has no window.
    units : mapping
        ``{figure key: unit}`` for every figure with a unit.
    figures : mapping
        The analysis's own figures (JSON-able once :func:`helpers.report.results.to_jsonable` has run).

    Raises
    ------
    ValueError
        A figure named like a layout key, or a unit for a key no figure has (a typo the index would miss).
    """
    clash = sorted(set(figures) & set(LAYOUT_KEYS))
    if clash:
        raise ValueError(f"figures must not be named like the layout's keys: {clash}")
    keys = set(_keys(figures))
    unknown = sorted(key for key in units if key not in keys)
    if unknown:
        raise ValueError(f"units name figures that are not in the results: {unknown}")
    start, end = period if period is not None else (None, None)
    return {
        "analysis": analysis,
        "parameters": params.as_dict(),
        "period": {"start": _iso_date(start), "end": _iso_date(end)},
        "units": dict(units),
        **figures,
    }


def layout_problems(results: Mapping[str, Any]) -> list[str]:
    """What in ``results`` breaks the common layout (empty when it holds): the conformance suite's check."""
    problems = [f"no '{key}' at the top" for key in LAYOUT_KEYS if key not in results]
    if problems:
        return problems
    if list(results)[: len(LAYOUT_KEYS)] != list(LAYOUT_KEYS):
        problems.append(f"the layout's keys come first, in the order {LAYOUT_KEYS}")
    period = results["period"]
    if not isinstance(period, Mapping) or set(period) != {"start", "end"}:
        problems.append("'period' must be {'start': ..., 'end': ...}")
    else:
        for key, value in period.items():
            if value is not None and not _is_iso_date(value):
                problems.append(f"period.{key} is not an ISO date: {value!r}")
    units = results["units"]
    if not isinstance(units, Mapping) or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in units.items()):
        problems.append("'units' must map figure names to units")
        return problems
    figures = {k: v for k, v in results.items() if k not in LAYOUT_KEYS}
    parameters = results["parameters"] if isinstance(results["parameters"], Mapping) else {}
    problems += [f"parameter '{k}' repeated at the top" for k in figures if k in parameters]
    keys = set(_keys(figures))
    problems += [f"units names '{k}', which no figure has" for k in units if k not in keys]
    problems += [f"'{k}' is a percentage; publish a share from 0 to 1" for k in keys if k.endswith(("_pct", "_percent"))]
    for key, value in _items(figures):
        if key.endswith(("_low", "_high")):
            continue  # an estimated share's interval may reach past 0 or 1 (a difference of two estimates)
        if units.get(key) == SHARE and isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value) and not 0 <= value <= 1:
                problems.append(f"'{key}' is a share but holds {value}")
    return problems


def _keys(value: Any) -> Iterator[str]:
    for key, _ in _items(value):
        yield key


def _items(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair at any depth of mappings and lists."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key), item
            yield from _items(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _items(item)


def _iso_date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value[:10]
    if hasattr(value, "date") and callable(value.date):  # a datetime or a pandas Timestamp
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"period bounds are dates, not {type(value).__name__}")


def _is_iso_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return True
