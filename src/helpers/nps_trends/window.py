"""The analysis window of NPS trends: the days with responses, and the check the runner makes before the kernel.

Apart from :mod:`.analysis` so that the runner's check loads only the query layer, not the
statistics (SciPy and statsmodels cost the runner about half a second before any kernel starts).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from helpers.exceptions import ParameterError
from helpers.nps_trends import queries
from helpers.nps_trends.loading import Inputs, load_inputs
from helpers.nps_trends.parameters import Parameters

__all__ = ["analysis_window", "check_window", "empty_window"]


def analysis_window(data: Inputs, params: Parameters, *, count: bool = False) -> tuple[dt.date, ...]:
    """``first, last`` day with a response and the window ``start, end``; ParameterError if it holds none.

    ``count=True`` also counts the responses in the window (the runner's check before the kernel;
    :func:`analyse` finds an empty window from its period counts instead).
    """
    first, last = queries.window_bounds(data.responses)
    if first is None or last is None:
        raise ParameterError(f"{data.responses_name} has no responses to analyse.")
    start = params.start or first
    end = params.end or last
    if start > end or (count and queries.in_window(data.responses, start, end).count().to_pyarrow().as_py() == 0):
        raise ParameterError(empty_window(data.responses_name, params, start, end, first, last))
    return first, last, start, end


def check_window(params: Parameters, *, con: Any = None) -> None:
    """Raise ParameterError if the analysis window holds no responses (the runner's check before the kernel)."""
    analysis_window(load_inputs(params, con=con), params, count=True)


def empty_window(name: str, params: Parameters, start: dt.date, end: dt.date, first: dt.date, last: dt.date) -> str:
    """One sentence: the window holds no responses, and the range the data does cover."""
    given = [f"'{key}' is {value}" for key, value in (("start", params.start), ("end", params.end)) if value]
    return (
        f"No responses fall in the analysis window {start} to {end} (parameter {' and '.join(given)}); "
        f"{name} has responses from {first} to {last}."
    )
