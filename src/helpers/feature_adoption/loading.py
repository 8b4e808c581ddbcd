"""Open and validate the adoption inputs: features, feature usage and users, as Ibis tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis

from helpers import privacy
from helpers.feature_adoption.parameters import Parameters
from helpers.inputs import loading as inputs
from helpers.inputs.sources import source_name

__all__ = ["Inputs", "load_inputs"]


@dataclass
class Inputs:
    """The validated inputs as Ibis tables (nothing loaded into Python yet).

    Attributes
    ----------
    features : ibis.Table
        ``feature_id, name, application, released, replaces, audience``.
    usage : ibis.Table
        ``timestamp, user_id, feature_id, uses``.
    users : ibis.Table
        ``user_id, department, active_from, active_to``.
    features_name, usage_name, users_name : str
        The input names used in data-quality notes.
    """

    features: ibis.Table
    usage: ibis.Table
    users: ibis.Table
    features_name: str = "features"
    usage_name: str = "feature_usage"
    users_name: str = "users"


def load_inputs(params: Parameters, *, con: Any = None) -> Inputs:
    """Open and validate the three inputs in the query engine (``con``, else the one ``params.engine`` names).

    Raises
    ------
    InputDataError
        An input breaks its schema (one sentence, from the data layer).
    ParameterError
        The department column would name people rather than groups (see :mod:`helpers.privacy`).
    """
    con = con if con is not None else inputs.connect_engine(params.engine, params.timezone)
    features = inputs.open_input(params.features_path, "features", con=con, timezone=params.timezone)
    usage = inputs.open_input(params.usage_path, "feature_usage", con=con, timezone=params.timezone)
    users = inputs.open_input(params.users_path, "users", con=con, timezone=params.timezone)
    privacy.check_grouping_inputs(params, {"users_path": list(users.columns)})
    return Inputs(
        features, usage, users,
        source_name(params.features_path), source_name(params.usage_path), source_name(params.users_path),
    )
