"""The inputs ``service_outcomes`` defines: incidents and incident events (documented in ``data/README.md``).

Both are read as an ITSM tool writes them: ``?`` is an empty cell (ServiceNow data sets) and
timestamps may be written day first (``29/2/2016 01:16``), as many instances' list exports do.
The NPS ``responses`` it links to tickets belong to ``nps_trends``.
"""

from __future__ import annotations

from helpers.analysis.schemas import Column, ColumnType, Order, Schema

__all__ = ["SCHEMAS", "INCIDENTS", "INCIDENT_EVENTS", "EXPORT_TIME_HELP", "DAY_FIRST_FORMATS", "EMPTY_WORDS"]

#: How a timestamp column of an export ends its description.
EXPORT_TIME_HELP = "ISO 8601 or day first (29/2/2016 01:16); naive = the analysis time zone"


#: Day-first timestamps as ServiceNow instances' list exports write them (``/``, ``-`` or ``.``; with or without time).
DAY_FIRST_FORMATS = tuple(f"%d{sep}%m{sep}%Y{time}" for sep in "/-." for time in (" %H:%M:%S", " %H:%M", ""))
#: What ServiceNow data sets write in an empty field.
EMPTY_WORDS = ("?",)


def _exported(name: str, type_: ColumnType, description: str, **rules: object) -> Column:
    """A column of an ITSM tool's export: timestamps may be written day first (the schema's words mean empty)."""
    formats = DAY_FIRST_FORMATS if type_ == "timestamp" else ()
    return Column(name, type_, description, formats=formats, **rules)  # type: ignore[arg-type]


INCIDENTS = Schema(
    kind="incidents",
    empty_words=EMPTY_WORDS,
    description=(
        "One incident ticket as an ITSM tool's list export writes it, with ServiceNow's column names; "
        "an audit-enriched export may repeat a ticket on several rows (its latest row is used)."
    ),
    person="caller_id",
    columns=(
        _exported("number", "text", "Ticket number, e.g. INC0010342."),
        _exported("opened_at", "timestamp", f"When the ticket was opened; {EXPORT_TIME_HELP}."),
        _exported("resolved_at", "timestamp",
                  f"When it was (last) resolved, not before opened_at; empty while open; {EXPORT_TIME_HELP}.",
                  nullable=True),
        _exported("caller_id", "text",
                  "Who reported it: links one person's tickets, never shown in any output; empty = unknown.",
                  nullable=True),
        _exported("closed_at", "timestamp", f"When it was closed; {EXPORT_TIME_HELP}.",
                  required=False, nullable=True),
        _exported("state", "text", "State, e.g. Resolved, Closed or Canceled (canceled tickets are left out).",
                  required=False, nullable=True, grouping=True),
        _exported("reopen_count", "integer", "Times it was reopened (>= 0); absent or empty = 0.",
                  required=False, nullable=True, minimum=0, fill=0),
        _exported("reassignment_count", "integer",
                  "Times it moved to another assignment group (>= 0); absent or empty = 0.",
                  required=False, nullable=True, minimum=0, fill=0),
        _exported("contact_type", "text", "How the user got in touch: phone, email, self-service...",
                  required=False, nullable=True, grouping=True),
        _exported("assignment_group", "text", "The team it was (last) assigned to.",
                  required=False, nullable=True, grouping=True),
        _exported("category", "text", "Category, e.g. network or software.", required=False, nullable=True, grouping=True),
        _exported("priority", "text", "Priority as the tool writes it, e.g. 3 - Moderate.",
                  required=False, nullable=True, grouping=True),
        _exported("business_service", "text", "The business service it is about, e.g. Email.",
                  required=False, nullable=True, grouping=True),
        _exported("cmdb_ci", "text", "The configuration item it is about.", required=False, nullable=True, grouping=True),
        _exported("made_sla", "boolean", "Whether the tool counts it within its SLA.",
                  required=False, nullable=True),
        _exported("close_code", "text", "Resolution code, e.g. Solved (Permanently) or Not Solved (Too Costly).",
                  required=False, nullable=True, grouping=True),
        _exported("sys_mod_count", "integer",
                  "Updates made to the ticket (>= 0): of a ticket's several rows, the highest is its latest.",
                  required=False, nullable=True, minimum=0),
    ),
    order=(Order("resolved_at", "opened_at", strict=False),),
)

INCIDENT_EVENTS = Schema(
    kind="incident_events",
    empty_words=EMPTY_WORDS,
    description=(
        "One change of an incident's state or assignment group: a ServiceNow audit (history) export, "
        "or an event log as process-mining tools (XES, pm4py) write it."
    ),
    columns=(
        _exported("number", "text", "Audit shape: the ticket number.", required=False),
        _exported("sys_updated_on", "timestamp", f"Audit shape: when the change was made; {EXPORT_TIME_HELP}.",
                  required=False),
        _exported("field", "text", "Audit shape: the field changed, e.g. state or assignment_group.",
                  required=False),
        _exported("old_value", "text", "Audit shape: its value before.", required=False, nullable=True),
        _exported("new_value", "text", "Audit shape: its value after.", required=False, nullable=True),
        _exported("case:concept:name", "text", "Event-log shape: the ticket number.", required=False),
        _exported("concept:name", "text", "Event-log shape: the activity or state, e.g. Awaiting User Info.",
                  required=False),
        _exported("time:timestamp", "timestamp", f"Event-log shape: when it happened; {EXPORT_TIME_HELP}.",
                  required=False),
        _exported("org:group", "text", "Event-log shape: the assignment group at that moment.",
                  required=False, nullable=True),
    ),
)

#: In the order ``data/README.md`` documents them.
SCHEMAS = (INCIDENTS, INCIDENT_EVENTS)
