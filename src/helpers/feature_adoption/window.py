"""The days feature adoption measures: ``as_of`` and the features released in the window, and the check the
runner makes before the kernel.

Apart from :mod:`.analysis` so that the runner's check loads the query layer only, not the statistics
(statsmodels and SciPy, which :mod:`.survival` needs).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from helpers.exceptions import ParameterError
from helpers.feature_adoption import queries
from helpers.feature_adoption.loading import Inputs, load_inputs
from helpers.feature_adoption.parameters import Parameters
from helpers.inputs import loading as inputs

__all__ = ["DAY", "as_frame", "check_window", "select_features", "usage_span"]

DAY = pd.Timedelta(days=1)


def check_window(params: Parameters, *, con: Any = None) -> None:
    """Raise ParameterError if no feature was released in the window by ``as_of`` (the runner's check before the kernel)."""
    data = load_inputs(params, con=con)
    select_features(as_frame(data.features, ["released"]), params, usage_span(data, params), data.features_name)


def as_frame(table: Any, timestamps: list[str]) -> pd.DataFrame:
    """A small input as pandas, its timestamp columns in nanoseconds."""
    frame = table.to_pandas()
    for column in timestamps:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame


def usage_span(data: Inputs, params: Parameters) -> tuple[pd.Timestamp | None, pd.Timestamp]:
    """The first usage timestamp, and ``as_of``: the end of the day given, or the last usage timestamp."""
    first, last = inputs.time_span(data.usage, "timestamp")
    if params.as_of is not None:
        return first, pd.Timestamp(params.as_of) + DAY - pd.Timedelta(microseconds=1)
    if last is None:
        raise ParameterError(
            f"{data.usage_name} has no usage rows, so 'as_of' has no default; set parameter 'as_of' to the day to measure at."
        )
    return first, pd.Timestamp(last)


def select_features(
    features: pd.DataFrame, params: Parameters, span: tuple[pd.Timestamp | None, pd.Timestamp], name: str
) -> tuple[pd.DataFrame, list[Any]]:
    """The features released in the window and by ``as_of``, in release order; notes on the rest.

    A feature released more than ``horizon_days`` before the first usage row predates the usage
    log: its early first uses are not in it, so its adoption cannot be measured (it may still be
    the old way a new feature replaces)."""
    notes: list[Any] = []
    log_start, as_of = span
    chosen = features
    if params.release:
        day = chosen["released"].dt.normalize()
        chosen = chosen[(day >= pd.Timestamp(params.release[0])) & (day <= pd.Timestamp(params.release[1]))]
    cutoff = None if log_start is None else log_start - pd.Timedelta(days=params.horizon_days)
    early = chosen[chosen["released"] < cutoff] if cutoff is not None else chosen.iloc[:0]
    if len(early):
        notes.append(inputs.QualityNote(
            input=name, issue=f"features released over {params.horizon_days} days before the first usage row "
            f"({log_start:%Y-%m-%d}): the log misses their early uses, adoption not measured", rows=len(early),
            examples=queries.examples(early["feature_id"]), unit="features"))
    chosen = chosen.drop(early.index)
    late = chosen[chosen["released"] > as_of]
    chosen = chosen[chosen["released"] <= as_of].sort_values(["released", "feature_id"], ignore_index=True)
    if chosen.empty:
        window = f" from {params.release[0]} to {params.release[1]}" if params.release else ""
        first, last = features["released"].min(), features["released"].max()
        span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" if len(features) else "none at all"
        raise ParameterError(
            f"No feature was released{window} by {as_of:%Y-%m-%d} (parameters 'release' and 'as_of'); "
            f"{name} has releases from {span}."
        )
    if len(late):
        notes.append(inputs.QualityNote(input=name, issue=f"features released after as_of ({as_of:%Y-%m-%d}), left out",
                                        rows=len(late), examples=queries.examples(late["feature_id"]), unit="features"))
    unknown = chosen[chosen["replaces"].notna() & ~chosen["replaces"].isin(features["feature_id"])]
    if len(unknown):
        notes.append(inputs.QualityNote(input=name, issue="'replaces' names a feature that is not listed",
                                        rows=len(unknown), examples=queries.examples(unknown["replaces"]), unit="features"))
    return chosen, notes
