"""Open and validate the NPS inputs: responses and (optionally) tickets, as Ibis tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis

from helpers import privacy
from helpers.inputs import loading as inputs
from helpers.inputs.sources import source_name
from helpers.nps_trends.parameters import Parameters

__all__ = ["Inputs", "load_inputs"]


@dataclass
class Inputs:
    """The validated inputs as Ibis tables (nothing loaded into Python yet).

    Attributes
    ----------
    responses : ibis.Table
        Columns ``response_id, timestamp, score, comment, ticket_id`` and any segment columns.
    tickets : ibis.Table or None
        Columns ``ticket_id, opened, resolved, reopened``; None when no tickets were given.
    responses_name, tickets_name : str
        The input names used in data-quality notes.
    """

    responses: ibis.Table
    tickets: ibis.Table | None = None
    responses_name: str = "responses"
    tickets_name: str | None = "tickets"


def load_inputs(params: Parameters, *, con: Any = None) -> Inputs:
    """Open and validate the responses (and tickets, when given) in the query engine.

    ``con`` is an Ibis backend (see :func:`helpers.inputs.loading.connect_engine`); by
    default the one ``params.engine`` names. A table in a database stays there (``push_down``):
    the counts are queried where it is, and only they come back.

    Raises
    ------
    InputDataError
        An input breaks its schema (one sentence, from the data layer).
    ParameterError
        A segment column is not in the responses.
    """

    con = con if con is not None else inputs.connect_engine(params.engine, params.timezone)
    responses = inputs.open_input(params.responses_path, "responses", con=con, timezone=params.timezone, push_down=True)
    tickets = None
    if params.tickets_path:
        tickets = inputs.open_input(params.tickets_path, "tickets", con=con, timezone=params.timezone, push_down=True)
    privacy.check_grouping_inputs(params, {"responses_path": list(responses.columns)})
    return Inputs(responses, tickets, source_name(params.responses_path), source_name(params.tickets_path))
