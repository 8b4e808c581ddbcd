"""Open and validate the service-outcome inputs: incidents, and optionally their events and NPS responses."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis

from helpers import privacy
from helpers.exceptions import InputDataError
from helpers.inputs import loading as inputs
from helpers.inputs.sources import source_name
from helpers.inputs.tables import push_small_side
from helpers.service_outcomes import queries
from helpers.service_outcomes.parameters import Parameters
from helpers.service_outcomes.schemas import INCIDENTS

__all__ = ["Inputs", "load_inputs", "events_shape", "connect", "AUDIT_COLUMNS", "LOG_COLUMNS", "ENGINE_MEMORY"]

#: The columns of each shape of ``incident_events`` (the first three of each are needed).
AUDIT_COLUMNS = ("number", "sys_updated_on", "field", "old_value", "new_value")
LOG_COLUMNS = ("case:concept:name", "concept:name", "time:timestamp", "org:group")

#: The memory DuckDB may hold for this analysis. Its hash tables over every ticket number (events per
#: ticket, repeat contacts, the join of both) would otherwise grow to most of the machine's memory
#: (DuckDB's default is 80%; 7.6 GB for 10 million tickets); above this DuckDB spills to a temporary
#: folder, at about the same speed on the benchmark.
ENGINE_MEMORY = "1GB"
_SPILL: list[Path] = []


@dataclass(frozen=True)
class Inputs:
    """The validated inputs as Ibis tables (nothing loaded into Python yet).

    Attributes
    ----------
    incidents : ibis.Table
        One row per ticket (of an audit-enriched export's several rows per ticket, the latest).
    events : ibis.Table or None
        The incident events as given; ``events_shape`` says which columns they use.
    events_shape : {"audit", "log"} or None
    responses : ibis.Table or None
        NPS responses with a ``ticket_id``.
    incidents_name, events_name, responses_name : str
        The input names used in data-quality notes.
    absent_columns : tuple of str
        Optional incident columns the export does not have (they take their default).
    earlier_rows : int
        Rows of the incidents that are earlier versions of a ticket, set aside.
    """

    incidents: ibis.Table
    events: ibis.Table | None = None
    events_shape: str | None = None
    responses: ibis.Table | None = None
    incidents_name: str = "incidents"
    events_name: str | None = None
    responses_name: str | None = None
    absent_columns: tuple[str, ...] = field(default=())
    earlier_rows: int = 0


def events_shape(columns: list[str], name: str) -> str:
    """``"audit"`` or ``"log"`` from the columns an events source holds; InputDataError (one sentence) otherwise."""
    audit = all(column in columns for column in AUDIT_COLUMNS[:3])
    log = all(column in columns for column in LOG_COLUMNS[:3])
    if audit != log:
        return "audit" if audit else "log"
    found = ", ".join(columns[:20]) + (f" and {len(columns) - 20:,} more" if len(columns) > 20 else "")
    which = "both" if audit else "neither"
    return _refuse(
        f"{name}: incident events need either the audit columns {', '.join(AUDIT_COLUMNS)} or the event-log columns "
        f"{', '.join(LOG_COLUMNS)}, and it has {which} (columns found: {found or 'none'})."
    )


def _refuse(message: str) -> Any:
    raise InputDataError(message)


def connect(params: Parameters) -> Any:
    """The analysis's query engine (``params.engine``); DuckDB held to :data:`ENGINE_MEMORY`, spilling beyond it
    to a temporary folder removed at exit."""
    con = inputs.connect_engine(params.engine, params.timezone)
    if con.name == "duckdb":
        if not _SPILL:
            _SPILL.append(Path(tempfile.mkdtemp(prefix="itvalue-duckdb-")))
            atexit.register(shutil.rmtree, _SPILL[0], True)
        con.raw_sql(f"SET memory_limit = '{ENGINE_MEMORY}'")
        con.raw_sql(f"SET temp_directory = '{_SPILL[0].as_posix()}'")
    return con


def load_inputs(params: Parameters, *, con: Any = None) -> Inputs:
    """Open and validate the incidents (and events and responses, when given) in the query engine.

    ``con`` is an Ibis backend (see :func:`helpers.inputs.loading.connect_engine`); by default the
    one ``params.engine`` names, from :func:`connect`. Incidents in a database stay there
    (``push_down``): every ticket-level step runs in it, and events or responses from files join
    them from temporary tables beside them (:func:`helpers.inputs.tables.push_small_side`).

    Raises
    ------
    InputDataError
        An input breaks its schema (one sentence, from the data layer), the events hold neither
        shape, a ticket is repeated without ``sys_mod_count``, or the responses have no ``ticket_id``.
    ParameterError
        A breakdown or repeat-match column is not in the incidents, or identifies people.
    """
    con = con if con is not None else connect(params)
    incidents = inputs.open_input(params.incidents_path, "incidents", con=con, timezone=params.timezone, push_down=True)
    name = source_name(params.incidents_path)
    exported = inputs.source_columns(params.incidents_path, "incidents", con=con, timezone=params.timezone)
    privacy.check_grouping_inputs(params, {"incidents_path": list(incidents.columns)})
    rows, tickets = queries.repeated_numbers(incidents)
    if rows > tickets:
        if "sys_mod_count" not in exported:
            raise InputDataError(
                f"{name}: column 'number' repeats {rows - tickets:,} rows of an earlier ticket and there is no "
                "'sys_mod_count' column to tell which row is the latest; export one row per ticket, or add sys_mod_count."
            )
        incidents = queries.latest_rows(incidents)
    absent = tuple(c.name for c in INCIDENTS.columns if not c.required and c.name not in exported)
    events = shape = events_name = None
    if params.incident_events_path:
        events_name = source_name(params.incident_events_path)
        columns = inputs.source_columns(params.incident_events_path, "incident_events", con=con, timezone=params.timezone)
        shape = events_shape(columns, events_name)
        events = inputs.open_input(params.incident_events_path, "incident_events", con=con, timezone=params.timezone,
                                   push_down=True)
        events = push_small_side(incidents, events)
    responses = responses_name = None
    if params.responses_path:
        responses_name = source_name(params.responses_path)
        columns = inputs.source_columns(params.responses_path, "responses", con=con, timezone=params.timezone)
        if "ticket_id" not in columns:
            raise InputDataError(
                f"{responses_name}: the responses have no 'ticket_id' column, so they cannot be linked to incidents; "
                "give responses whose ticket_id names an incident number, or leave responses_path empty."
            )
        responses = inputs.open_input(params.responses_path, "responses", con=con, timezone=params.timezone,
                                      push_down=True)
        responses = push_small_side(incidents, responses)
    return Inputs(
        incidents=incidents, events=events, events_shape=shape, responses=responses, incidents_name=name,
        events_name=events_name, responses_name=responses_name, absent_columns=absent, earlier_rows=rows - tickets,
    )
