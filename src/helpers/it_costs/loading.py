"""Open the cost analysis's inputs: large ones as validated Ibis tables, small ones as frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd

from helpers.inputs import loading as inputs
from helpers.it_costs.parameters import Parameters

__all__ = ["Inputs", "load_inputs"]


@dataclass(frozen=True)
class Inputs:
    """The analysis's inputs.

    Attributes
    ----------
    cloud : ibis.Table
        The FOCUS export (validated; nothing read yet).
    ledger, expenses : ibis.Table or None
        The general-ledger postings and expense lines, when given.
    features, feature_usage : ibis.Table or None
        The feature-adoption inputs, when seat use comes from them.
    allocation, licences, last_active, users, volumes, rates : DataFrame or None
        Small inputs, loaded (rows in file order), when given.
    names : dict of str to str
        Each given input's parameter -> the file name messages use.
    """

    cloud: ibis.Table
    ledger: ibis.Table | None
    expenses: ibis.Table | None
    features: ibis.Table | None
    feature_usage: ibis.Table | None
    allocation: pd.DataFrame | None
    licences: pd.DataFrame | None
    last_active: pd.DataFrame | None
    users: pd.DataFrame | None
    volumes: pd.DataFrame | None
    rates: pd.DataFrame | None
    names: dict


def load_inputs(params: Parameters, *, con: Any = None) -> Inputs:
    """Open the large inputs in the query engine and load the small ones (all validated).

    Parameters
    ----------
    params : Parameters
        The run's parameters.
    con : ibis backend, optional
        The query engine; by default the one ``params.engine`` names.

    Raises
    ------
    InputDataError
        An input breaks its schema, or the cost export has no rows.
    """
    con = con if con is not None else inputs.connect_engine(params.engine, params.timezone)

    def table(path: str | None, kind: str) -> ibis.Table | None:
        return inputs.open_input(path, kind, con=con, timezone=params.timezone) if path else None

    def frame(path: str | None, kind: str) -> pd.DataFrame | None:
        return inputs.load_input(path, kind, timezone=params.timezone, con=con) if path else None

    names = {
        name: str(value).replace("\\", "/").rsplit("/", 1)[-1]
        for name, (_kind, value) in params.inputs().items()
    }
    cloud = table(params.cloud_costs_path, "cloud_costs")
    by_feature = params.usage_source == "feature_usage"
    return Inputs(
        cloud=cloud,
        ledger=table(params.ledger_path, "ledger"),
        expenses=table(params.expenses_path, "expenses"),
        features=table(params.features_path, "features") if by_feature else None,
        feature_usage=table(params.feature_usage_path, "feature_usage") if by_feature else None,
        allocation=frame(params.allocation_path, "allocation"),
        licences=frame(params.licences_path, "licences"),
        last_active=frame(params.last_active_path, "last_active") if params.usage_source == "last_active" else None,
        users=frame(params.users_path, "users"),
        volumes=frame(params.volumes_path, "volumes"),
        rates=frame(params.rates_path, "rates"),
        names=names,
    )

