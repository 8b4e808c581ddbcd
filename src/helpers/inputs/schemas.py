"""The input schemas: one declaration per kind of input, the single source of truth.

Each :class:`Schema` lists its columns with their type, whether the column must be
present, whether cells may be empty, the value rules and the value an absent or empty
optional column takes. :mod:`helpers.inputs` validates and loads against these;
``data/README.md`` documents them (``tests/test_inputs.py`` keeps the two in step).

Types, in the user's words, and how they load:

- ``text``: a string (ids are text even when they look like numbers);
- ``number``: a float64 (currency amounts, hours);
- ``integer``: an int64 (a whole number; ``7.0`` is accepted, ``7.5`` is not);
- ``timestamp``: ISO 8601 text or a Parquet/DuckDB timestamp, loaded as a naive
  wall-clock time in the analysis time zone;
- ``boolean``: ``true``/``false`` (also ``1``/``0``, ``yes``/``no``, ``t``/``f``).

Exports from an ITSM tool (``incidents``, ``incident_events``) are read as the tool writes
them: a column may declare ``missing`` markers (ServiceNow data sets write ``?`` for an
empty field) and a timestamp column may accept ``day_first`` dates (``29/2/2016 01:16``,
also with ``-`` or ``.``), the format of many instances' list exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Column", "Order", "Schema", "SCHEMAS", "KINDS", "get_schema"]

ColumnType = Literal["text", "number", "integer", "timestamp", "boolean"]


@dataclass(frozen=True)
class Column:
    """One column of an input.

    Attributes
    ----------
    name : str
        The exact column name.
    type : {"text", "number", "integer", "timestamp", "boolean"}
        What the values must be.
    description : str
        One line for ``data/README.md``, with the unit.
    required : bool
        The column must be present in the file.
    nullable : bool
        Cells may be empty.
    minimum, maximum : float or None
        Inclusive bounds of numeric values.
    allowed : tuple of str
        The values a text column may hold (after ``fill``); empty = any.
    fill : object
        The value of an absent optional column and of its empty cells (None = null).
    missing : tuple of str
        Cell values that mean "empty" besides a blank cell, e.g. ``("?",)`` in ServiceNow data sets.
    day_first : bool
        A timestamp column also accepts day-first dates, ``29/2/2016 01:16`` (``/``, ``-`` or ``.``);
        month-first dates are ambiguous and are not read.
    """

    name: str
    type: ColumnType
    description: str
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = ()
    fill: object = None
    missing: tuple[str, ...] = ()
    day_first: bool = False

    @property
    def rule(self) -> str:
        """The rule a value must follow, as it reads in an error message."""
        if self.type == "integer":
            if self.minimum is not None and self.maximum is not None:
                text = f"an integer from {_num(self.minimum)} to {_num(self.maximum)}"
            else:
                text = "an integer" + _bounds(self)
        elif self.type == "number":
            text = "a number" + _bounds(self)
        elif self.type == "timestamp" and self.day_first:
            text = "an ISO 8601 timestamp such as 2025-03-01 14:30, or day first such as 1/3/2025 14:30"
        elif self.type == "timestamp":
            text = "an ISO 8601 timestamp such as 2025-03-01 14:30 or 2025-03-01T14:30:00+01:00"
        elif self.type == "boolean":
            text = "true or false"
        elif self.allowed:
            text = "one of " + ", ".join(repr(v) for v in self.allowed)
        else:
            return "must not be empty"
        return "must be " + text


@dataclass(frozen=True)
class Order:
    """A rule between two timestamp columns of a row: ``later`` comes after ``earlier``.

    ``strict`` means strictly after (``end > start``); otherwise equal is allowed
    (``resolved >= opened``). Rows where either value is empty are not checked.
    """

    later: str
    earlier: str
    strict: bool = True

    @property
    def rule(self) -> str:
        """The rule as it reads in an error message."""
        if self.strict:
            return f"'{self.later}' must be after '{self.earlier}'"
        return f"'{self.later}' must not be before '{self.earlier}'"


@dataclass(frozen=True)
class Schema:
    """The columns and rules of one kind of input.

    Attributes
    ----------
    kind : str
        The input kind, as parameters name it (``InputPath("sales")``).
    description : str
        What one row is.
    columns : tuple of Column
        Required and optional columns, in the order they load.
    unique : tuple of str
        Columns whose values (together) identify a row; duplicates are an error.
    order : tuple of Order
        Rules between timestamp columns of a row.
    may_be_empty : bool
        A file with a header and no rows is valid.
    """

    kind: str
    description: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()
    order: tuple[Order, ...] = field(default=())
    may_be_empty: bool = False

    @property
    def required(self) -> list[str]:
        """Names of the columns that must be present."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """The column of that name."""
        return next(c for c in self.columns if c.name == name)


def _num(value: float) -> str:
    return f"{value:g}"


def _bounds(column: Column) -> str:
    parts = []
    if column.minimum is not None:
        parts.append(f">= {_num(column.minimum)}")
    if column.maximum is not None:
        parts.append(f"<= {_num(column.maximum)}")
    return (" " + " and ".join(parts)) if parts else ""


_TIMESTAMP_HELP = "ISO 8601; naive = the analysis time zone"
_EXPORT_TIME_HELP = "ISO 8601 or day first (29/2/2016 01:16); naive = the analysis time zone"


def _exported(name: str, type_: ColumnType, description: str, **rules: object) -> Column:
    """A column of an ITSM tool's export: ``?`` is an empty cell, timestamps may be written day first."""
    return Column(name, type_, description, missing=("?",), day_first=type_ == "timestamp", **rules)  # type: ignore[arg-type]


SCHEMAS: dict[str, Schema] = {
    schema.kind: schema
    for schema in (
        Schema(
            kind="sales",
            description="One order, or a pre-aggregated bucket of orders (the analysis aggregates them).",
            columns=(
                Column("timestamp", "timestamp", f"When the order was placed (or the bucket starts); {_TIMESTAMP_HELP}."),
                Column("revenue", "number", "Revenue in the reporting currency; negative for refunds."),
                Column("orders", "integer", "Orders in the row (1 for order-level rows); empty = unknown.",
                       required=False, nullable=True, minimum=0),
                Column("channel", "text", "Sales channel, e.g. web or store; absent or empty = 'all'.",
                       required=False, nullable=True, fill="all"),
            ),
        ),
        Schema(
            kind="outages",
            description="One incident that made a service unavailable.",
            columns=(
                Column("incident_id", "text", "Incident identifier (unique)."),
                Column("start", "timestamp", f"When the outage began; {_TIMESTAMP_HELP}."),
                Column("end", "timestamp", f"When service was restored (after start); {_TIMESTAMP_HELP}."),
                Column("service", "text", "The service that was down."),
                Column("severity", "text", "Severity as your incident tool writes it, e.g. P1.",
                       required=False, nullable=True),
                Column("channels", "text", "Sales channels affected, separated by ';'; empty = all channels.",
                       required=False, nullable=True),
            ),
            unique=("incident_id",),
            order=(Order("end", "start"),),
        ),
        Schema(
            kind="campaigns",
            description="One marketing campaign (the file may have no rows).",
            columns=(
                Column("campaign_id", "text", "Campaign identifier (unique)."),
                Column("name", "text", "Campaign name as shown in reports."),
                Column("start", "timestamp", f"First moment of the campaign; {_TIMESTAMP_HELP}."),
                Column("end", "timestamp", f"End of the campaign (after start); {_TIMESTAMP_HELP}."),
                Column("channel", "text", "Channel the campaign targets; empty = all channels.",
                       required=False, nullable=True),
                Column("spend", "number", "Campaign spend in the reporting currency (>= 0).",
                       required=False, nullable=True, minimum=0),
            ),
            unique=("campaign_id",),
            order=(Order("end", "start"),),
            may_be_empty=True,
        ),
        Schema(
            kind="responses",
            description="One NPS survey response; any extra columns (region, tier...) are segments.",
            columns=(
                Column("response_id", "text", "Response identifier (unique)."),
                Column("timestamp", "timestamp", f"When the response was given; {_TIMESTAMP_HELP}."),
                Column("score", "integer", "Likelihood to recommend, 0 to 10 (points).", minimum=0, maximum=10),
                Column("comment", "text", "Free-text comment (untrusted: reports escape it).",
                       required=False, nullable=True),
                Column("ticket_id", "text", "The support ticket the response is about, if any.",
                       required=False, nullable=True),
            ),
            unique=("response_id",),
        ),
        Schema(
            kind="tickets",
            description="One support ticket.",
            columns=(
                Column("ticket_id", "text", "Ticket identifier (unique)."),
                Column("opened", "timestamp", f"When the ticket was opened; {_TIMESTAMP_HELP}."),
                Column("resolved", "timestamp", f"When it was resolved (not before opened); empty while open; {_TIMESTAMP_HELP}.",
                       nullable=True),
                Column("reopened", "boolean", "Whether the ticket was reopened; absent or empty = false.",
                       required=False, nullable=True, fill=False),
                Column("channel", "text", "Support channel, e.g. phone, chat, email.", required=False, nullable=True),
                Column("service", "text", "The service the ticket is about.", required=False, nullable=True),
            ),
            unique=("ticket_id",),
            order=(Order("resolved", "opened", strict=False),),
        ),
        Schema(
            kind="incidents",
            description=(
                "One incident ticket as an ITSM tool's list export writes it, with ServiceNow's column names; "
                "an audit-enriched export may repeat a ticket on several rows (its latest row is used)."
            ),
            columns=(
                _exported("number", "text", "Ticket number, e.g. INC0010342."),
                _exported("opened_at", "timestamp", f"When the ticket was opened; {_EXPORT_TIME_HELP}."),
                _exported("resolved_at", "timestamp",
                          f"When it was (last) resolved, not before opened_at; empty while open; {_EXPORT_TIME_HELP}.",
                          nullable=True),
                _exported("caller_id", "text",
                          "Who reported it: links one person's tickets, never shown in any output; empty = unknown.",
                          nullable=True),
                _exported("closed_at", "timestamp", f"When it was closed; {_EXPORT_TIME_HELP}.",
                          required=False, nullable=True),
                _exported("state", "text", "State, e.g. Resolved, Closed or Canceled (canceled tickets are left out).",
                          required=False, nullable=True),
                _exported("reopen_count", "integer", "Times it was reopened (>= 0); absent or empty = 0.",
                          required=False, nullable=True, minimum=0, fill=0),
                _exported("reassignment_count", "integer",
                          "Times it moved to another assignment group (>= 0); absent or empty = 0.",
                          required=False, nullable=True, minimum=0, fill=0),
                _exported("contact_type", "text", "How the user got in touch: phone, email, self-service...",
                          required=False, nullable=True),
                _exported("assignment_group", "text", "The team it was (last) assigned to.",
                          required=False, nullable=True),
                _exported("category", "text", "Category, e.g. network or software.", required=False, nullable=True),
                _exported("priority", "text", "Priority as the tool writes it, e.g. 3 - Moderate.",
                          required=False, nullable=True),
                _exported("business_service", "text", "The business service it is about, e.g. Email.",
                          required=False, nullable=True),
                _exported("cmdb_ci", "text", "The configuration item it is about.", required=False, nullable=True),
                _exported("made_sla", "boolean", "Whether the tool counts it within its SLA.",
                          required=False, nullable=True),
                _exported("close_code", "text", "Resolution code, e.g. Solved (Permanently) or Not Solved (Too Costly).",
                          required=False, nullable=True),
                _exported("sys_mod_count", "integer",
                          "Updates made to the ticket (>= 0): of a ticket's several rows, the highest is its latest.",
                          required=False, nullable=True, minimum=0),
            ),
            order=(Order("resolved_at", "opened_at", strict=False),),
        ),
        Schema(
            kind="incident_events",
            description=(
                "One change of an incident's state or assignment group: a ServiceNow audit (history) export, "
                "or an event log as process-mining tools (XES, pm4py) write it."
            ),
            columns=(
                _exported("number", "text", "Audit shape: the ticket number.", required=False),
                _exported("sys_updated_on", "timestamp", f"Audit shape: when the change was made; {_EXPORT_TIME_HELP}.",
                          required=False),
                _exported("field", "text", "Audit shape: the field changed, e.g. state or assignment_group.",
                          required=False),
                _exported("old_value", "text", "Audit shape: its value before.", required=False, nullable=True),
                _exported("new_value", "text", "Audit shape: its value after.", required=False, nullable=True),
                _exported("case:concept:name", "text", "Event-log shape: the ticket number.", required=False),
                _exported("concept:name", "text", "Event-log shape: the activity or state, e.g. Awaiting User Info.",
                          required=False),
                _exported("time:timestamp", "timestamp", f"Event-log shape: when it happened; {_EXPORT_TIME_HELP}.",
                          required=False),
                _exported("org:group", "text", "Event-log shape: the assignment group at that moment.",
                          required=False, nullable=True),
            ),
        ),
        Schema(
            kind="inventory",
            description="One populated attribute of one configuration item (CMDB, long format).",
            columns=(
                Column("ci_id", "text", "Configuration item identifier."),
                Column("ci_class", "text", "Class of the item, e.g. server, application."),
                Column("attribute", "text", "Attribute name, e.g. os_version."),
                Column("last_updated", "timestamp", f"When the value was last written; {_TIMESTAMP_HELP}."),
                Column("source", "text", "Where the value comes from, e.g. a discovery tool or manual.",
                       required=False, nullable=True),
            ),
        ),
        Schema(
            kind="access_log",
            description="One read (or write) of configuration data by a consumer.",
            columns=(
                Column("timestamp", "timestamp", f"When the data was accessed; {_TIMESTAMP_HELP}."),
                Column("ci_id", "text", "Configuration item accessed."),
                Column("attribute", "text", "Attribute read; empty = the whole record was opened.", nullable=True),
                Column("consumer", "text", "Who or what read it: a user, team or integration."),
                Column("process", "text",
                       "Work it served: incident, change, problem, request, reporting, integration, discovery, audit..."),
                Column("action", "text", "'read' or 'write'; absent or empty = 'read'.",
                       required=False, nullable=True, allowed=("read", "write"), fill="read"),
            ),
        ),
        Schema(
            kind="collection_cost",
            description="Effort to collect and maintain one attribute (or a whole class).",
            columns=(
                Column("ci_class", "text", "Class of configuration item."),
                Column("attribute", "text", "Attribute name, or * for the whole class."),
                Column("hours_per_month", "number", "Effort in person-hours per month (>= 0).", minimum=0),
            ),
            unique=("ci_class", "attribute"),
        ),
        Schema(
            kind="features",
            description="One feature of an application, with the day it was released.",
            columns=(
                Column("feature_id", "text", "Feature identifier (unique)."),
                Column("name", "text", "Feature name as shown in reports."),
                Column("application", "text", "The application the feature belongs to."),
                Column("released", "timestamp", f"When users could first use it; {_TIMESTAMP_HELP}."),
                Column("replaces", "text", "The feature_id of the older way this feature supersedes, if any.",
                       required=False, nullable=True),
                Column("audience", "text", "The one department that may use it; empty = everyone.",
                       required=False, nullable=True),
            ),
            unique=("feature_id",),
        ),
        Schema(
            kind="feature_usage",
            description="One use of a feature by a user, or a user's uses of it on one day (the file may have no rows).",
            columns=(
                Column("timestamp", "timestamp", f"When the feature was used (or the day's first use); {_TIMESTAMP_HELP}."),
                Column("user_id", "text", "Who used it."),
                Column("feature_id", "text", "The feature used."),
                Column("uses", "integer", "Uses the row stands for (>= 1); absent or empty = 1.",
                       required=False, nullable=True, minimum=1, fill=1),
            ),
            may_be_empty=True,
        ),
        Schema(
            kind="users",
            description="One person who could use the features, with when they could.",
            columns=(
                Column("user_id", "text", "User identifier (unique)."),
                Column("department", "text", "Department, for the breakdown and for features with an audience.",
                       required=False, nullable=True),
                Column("active_from", "timestamp",
                       f"Start of employment or licence; empty = before any release; {_TIMESTAMP_HELP}.",
                       required=False, nullable=True),
                Column("active_to", "timestamp",
                       f"End of employment or licence (after active_from); empty = still active; {_TIMESTAMP_HELP}.",
                       required=False, nullable=True),
            ),
            unique=("user_id",),
            order=(Order("active_to", "active_from"),),
        ),
    )
}

#: The input kinds, as ``InputPath(kind)`` names them.
KINDS: tuple[str, ...] = tuple(SCHEMAS)


def get_schema(kind: str) -> Schema:
    """The schema of an input kind; ValueError naming the valid kinds otherwise."""
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise ValueError(f"Unknown input kind {kind!r}; valid kinds: {', '.join(KINDS)}.") from None
