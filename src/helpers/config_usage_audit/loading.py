"""Open the audit's inputs: inventory and access log as validated Ibis tables, costs as a small frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd

from helpers.config_usage_audit.parameters import Parameters
from helpers.inputs import loading as inputs

__all__ = ["Inputs", "load_inputs"]


@dataclass(frozen=True)
class Inputs:
    """The audit's inputs: the inventory and access log as Ibis tables, the costs as a small frame.

    Attributes
    ----------
    inventory, access_log : ibis.Table
        Validated inputs (see :func:`helpers.inputs.loading.open_input`); nothing is loaded into Python.
    costs : DataFrame or None
        ``ci_class, attribute, hours_per_month`` (hours a month), or None when no cost file was given.
    """

    inventory: ibis.Table
    access_log: ibis.Table
    costs: pd.DataFrame | None


def load_inputs(params: Parameters, *, con: Any = None) -> Inputs:
    """Open the inventory and access log in the query engine (validated), and load the small cost table.

    Parameters
    ----------
    params : Parameters
        The run's parameters (input paths as the user wrote them, and the time zone).
    con : ibis backend, optional
        The query engine (see :func:`helpers.inputs.loading.connect_engine`); by default the
        one ``params.engine`` names.
    """

    con = con if con is not None else inputs.connect_engine(params.engine, params.timezone)
    inventory = inputs.open_input(params.inventory_path, "inventory", con=con, timezone=params.timezone)
    access_log = inputs.open_input(params.access_log_path, "access_log", con=con, timezone=params.timezone)
    costs = (
        inputs.load_input(params.cost_path, "collection_cost", timezone=params.timezone, con=con)
        if params.cost_path
        else None
    )
    return Inputs(inventory=inventory, access_log=access_log, costs=costs)
