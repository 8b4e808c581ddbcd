"""The analysis window of service outcomes, and the check the runner makes before the kernel.

Apart from :mod:`.analysis` so that the runner's check loads the query layer only, not the
statistics (SciPy and statsmodels).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from helpers.exceptions import ParameterError
from helpers.service_outcomes import queries
from helpers.service_outcomes.loading import Inputs, load_inputs
from helpers.service_outcomes.parameters import Parameters

__all__ = ["Window", "analysis_window", "check_window"]


@dataclass(frozen=True)
class Window:
    """The days analysed and what the export covers.

    Attributes
    ----------
    start, end : date
        First and last day of opening analysed (both included).
    first, last : date
        First and last day a ticket was opened in the export.
    bounds : queries.Bounds
        The export's latest moment (``as_of``), canceled tickets, tickets without a caller.
    """

    start: dt.date
    end: dt.date
    first: dt.date
    last: dt.date
    bounds: queries.Bounds


def analysis_window(data: Inputs, params: Parameters, *, count: bool = False) -> Window:
    """The window ``start`` to ``end``; ParameterError if it holds no ticket (InputDataError-free: the
    incidents were validated, so they hold at least one row).

    ``count=True`` also counts the tickets opened in it (the runner's check before the kernel;
    :func:`analyse` finds an empty window from its counts instead).
    """
    bounds = queries.ticket_bounds(data.incidents)
    if bounds.first is None or bounds.last is None:
        raise ParameterError(f"{data.incidents_name} has no tickets to analyse.")
    first, last = bounds.first.date(), bounds.last.date()
    start, end = params.start or first, params.end or last
    window = Window(start, end, first, last, bounds)
    if start > end or (count and _opened_between(data, start, end) == 0):
        raise ParameterError(empty_window(data.incidents_name, params, window))
    return window


def _opened_between(data: Inputs, start: dt.date, end: dt.date) -> int:
    first = dt.datetime.combine(start, dt.time())
    after_last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    tickets = data.incidents
    inside = tickets.filter((tickets.opened_at >= first) & (tickets.opened_at < after_last))
    return int(inside.count().to_pyarrow().as_py())


def check_window(params: Parameters, *, con: Any = None) -> None:
    """Raise ParameterError if the analysis window holds no ticket (the runner's check before the kernel).

    Loading the inputs also checks the events' shape and the incidents' repeated rows, so those
    problems stop a run before the kernel too.
    """
    analysis_window(load_inputs(params, con=con), params, count=True)


def empty_window(name: str, params: Parameters, window: Window) -> str:
    """One sentence: no ticket was opened in the window, and the days the export does cover."""
    given = [f"'{key}' is {value}" for key, value in (("start", params.start), ("end", params.end)) if value]
    because = f" (parameter {' and '.join(given)})" if given else ""
    return (
        f"No ticket was opened in the analysis window {window.start} to {window.end}{because}; "
        f"{name} has tickets opened from {window.first} to {window.last}."
    )
