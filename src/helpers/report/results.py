"""The results hand-off: a notebook's key figures, as JSON types, to the runner's ``results.json``."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import display

from helpers.analysis.contract import RESULTS_MIMETYPE
from helpers.report.display import is_missing

__all__ = ["publish_results", "to_jsonable"]


def publish_results(results: Mapping[str, Any]) -> None:
    """Hand the run's key figures to the runner, which writes them to ``results.json``.

    The figures travel inside the executed notebook (a display output of MIME type
    :data:`RESULTS_MIMETYPE`), so plain papermill runs keep them too. Numpy and
    pandas values become JSON types; NaN becomes null.
    """
    payload = to_jsonable(results)
    json.dumps(payload, allow_nan=False)  # fail here, in the notebook, not later in the runner
    display({RESULTS_MIMETYPE: payload, "text/plain": "results published for results.json"}, raw=True)


def to_jsonable(value: Any) -> Any:
    """Convert nested results to JSON types: numpy/pandas scalars, NaN/NaT -> None, dates -> ISO."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(row) for row in value.to_dict(orient="records")]
    if isinstance(value, (set, frozenset)):
        return [to_jsonable(v) for v in sorted(value, key=str)]  # sorted: the same output every run
    if isinstance(value, (list, tuple, pd.Series, pd.Index, np.ndarray)):
        return [to_jsonable(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (pd.Timedelta, dt.timedelta)):
        return pd.Timedelta(value).total_seconds()
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, Path):
        return value.as_posix()
    if is_missing(value):
        return None
    return value if isinstance(value, str) else str(value)
