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
    empty_words : tuple of str
        Cell texts that mean "empty" in this kind of input, as some exporters write them
        (FOCUS exports write ``NULL``), in its own and its extra text columns; compared with the
        cell exactly as written.
    """

    kind: str
    description: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()
    order: tuple[Order, ...] = field(default=())
    may_be_empty: bool = False
    empty_words: tuple[str, ...] = ()

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
        Schema(
            kind="cloud_costs",
            description=(
                "One charge of a FOCUS (FinOps Open Cost and Usage Specification) 1.0-1.2 cost and usage export; "
                "columns as the specification names them, any other columns (x_...) kept."
            ),
            columns=(
                Column("BilledCost", "number", "The charge as invoiced, in BillingCurrency; negative for credits."),
                Column("EffectiveCost", "number",
                       "The charge after commitment discounts are amortised, in BillingCurrency; negative for credits."),
                Column("ListCost", "number", "The charge at list prices, in BillingCurrency.", required=False, nullable=True),
                Column("ContractedCost", "number", "The charge at contracted prices, in BillingCurrency.",
                       required=False, nullable=True),
                Column("BillingCurrency", "text", "ISO 4217 code of the cost columns' currency, e.g. EUR or USD."),
                Column("ChargePeriodStart", "timestamp", f"Start of the charge's period (inclusive); {_TIMESTAMP_HELP}."),
                Column("ChargePeriodEnd", "timestamp",
                       f"End of the charge's period (exclusive; not before ChargePeriodStart); {_TIMESTAMP_HELP}."),
                Column("ChargeCategory", "text", "Usage, Purchase, Tax, Credit or Adjustment (any case)."),
                Column("ProviderName", "text", "Who made the resource or service available, e.g. AWS, Microsoft."),
                Column("ServiceName", "text", "The provider's service, e.g. Amazon Elastic Compute Cloud.", nullable=True),
                Column("ServiceCategory", "text", "The specification's service category, e.g. Compute, Storage.",
                       required=False, nullable=True),
                Column("SubAccountId", "text", "The sub-account (AWS account, Azure subscription, Google project) id.",
                       required=False, nullable=True),
                Column("SubAccountName", "text", "The sub-account's name.", required=False, nullable=True),
                Column("ResourceId", "text", "The resource charged for.", required=False, nullable=True),
                Column("RegionName", "text", "The region, e.g. Europe (Frankfurt).", required=False, nullable=True),
                Column("Tags", "text", "Tags as a JSON object in text, e.g. {\"app\": \"webshop\"}.",
                       required=False, nullable=True),
                Column("ConsumedQuantity", "number", "Usage measured, in ConsumedUnit.", required=False, nullable=True),
                Column("ConsumedUnit", "text", "Unit of ConsumedQuantity, e.g. Hours, GB.", required=False, nullable=True),
            ),
            order=(Order("ChargePeriodEnd", "ChargePeriodStart", strict=False),),
            empty_words=("NULL",),
        ),
        Schema(
            kind="ledger",
            description="One posting of IT cost in the general ledger (on-premises, people, contracts).",
            columns=(
                Column("period", "timestamp",
                       f"The month the cost belongs to (any day in it, e.g. its first); {_TIMESTAMP_HELP}."),
                Column("account", "text", "General-ledger account, e.g. 6400 or Salaries IT."),
                Column("cost_center", "text", "Cost center that carries the cost."),
                Column("amount", "number", "Amount in currency; negative for credits and reversals."),
                Column("currency", "text", "ISO 4217 code of amount, e.g. EUR."),
                Column("vendor", "text", "Who was paid.", required=False, nullable=True),
                Column("description", "text", "Posting text (untrusted: never shown).", required=False, nullable=True),
            ),
        ),
        Schema(
            kind="allocation",
            description=(
                "One allocation rule (TBM style): costs whose column matches a value go to a cost pool, tower and service."
            ),
            columns=(
                Column("match", "text",
                       "The column matched: a FOCUS column (ServiceName, SubAccountName...), Tags.<key>, a ledger column "
                       "(account, cost_center, vendor), or * for every cost."),
                Column("value", "text", "The value it must hold: case and surrounding spaces ignored; * matches any characters."),
                Column("cost_pool", "text", "TBM cost pool, e.g. Internal labour, Cloud services, Software."),
                Column("tower", "text", "TBM IT tower, e.g. Compute, Storage, Application."),
                Column("service", "text", "The service the cost belongs to, as the business knows it."),
                Column("consumer", "text", "The business unit that consumes the service.", required=False, nullable=True),
                Column("source", "text", "'cloud' or 'ledger': the costs the rule applies to; empty = both.",
                       required=False, nullable=True, allowed=("cloud", "ledger")),
            ),
        ),
        Schema(
            kind="licences",
            description="One licence contract: seats of a product paid for at a unit price.",
            columns=(
                Column("product", "text", "The product, as last_active or the features' application names it."),
                Column("vendor", "text", "Who sells it.", required=False, nullable=True),
                Column("seats", "integer", "Seats paid for (>= 0).", minimum=0),
                Column("unit_price", "number", "Price of one seat for one period, in currency (>= 0).", minimum=0),
                Column("period", "text", "What unit_price pays for: 'month' or 'year'.", allowed=("month", "year")),
                Column("term_start", "timestamp", f"First day of the contract; empty = open; {_TIMESTAMP_HELP}.",
                       required=False, nullable=True),
                Column("term_end", "timestamp", f"Last day of the contract; empty = open; {_TIMESTAMP_HELP}.",
                       required=False, nullable=True),
                Column("currency", "text", "ISO 4217 code of unit_price; empty = the analysis currency.",
                       required=False, nullable=True),
            ),
            order=(Order("term_end", "term_start"),),
        ),
        Schema(
            kind="last_active",
            description="One seat of a licensed product held by a user, with when they last used it.",
            columns=(
                Column("user_id", "text", "Who holds the seat."),
                Column("product", "text", "The licensed product."),
                Column("last_active", "timestamp", f"When they last used it; empty = never; {_TIMESTAMP_HELP}.", nullable=True),
            ),
            unique=("user_id", "product"),
        ),
        Schema(
            kind="volumes",
            description="How many business units (orders, active users, transactions) a service served in a month.",
            columns=(
                Column("period", "timestamp", f"The month (any day in it, e.g. its first); {_TIMESTAMP_HELP}."),
                Column("service", "text", "The service, as the allocation names it; empty = the business as a whole.",
                       nullable=True),
                Column("unit", "text", "What is counted, e.g. order, active user, transaction."),
                Column("count", "number", "How many in the month (>= 0).", minimum=0),
            ),
        ),
        Schema(
            kind="expenses",
            description="One expense-report or corporate-card line (for shadow IT).",
            columns=(
                Column("date", "timestamp", f"When it was bought; {_TIMESTAMP_HELP}."),
                Column("merchant", "text", "The merchant as the card statement names it."),
                Column("mcc", "text", "Merchant category code (ISO 18245), e.g. 5734.", required=False, nullable=True),
                Column("amount", "number", "Amount in currency; negative for refunds."),
                Column("currency", "text", "ISO 4217 code of amount."),
                Column("cost_center", "text", "Cost center charged.", required=False, nullable=True),
                Column("memo", "text", "The claimant's note (untrusted: matched, never shown).", required=False, nullable=True),
            ),
        ),
        Schema(
            kind="rates",
            description="An exchange rate into the analysis currency, for every month or for one month.",
            columns=(
                Column("currency", "text", "ISO 4217 code converted from, e.g. USD."),
                Column("rate", "number", "Units of the analysis currency per unit of currency (> 0).", minimum=0),
                Column("month", "timestamp", f"The month it applies to (any day in it); empty = every month; {_TIMESTAMP_HELP}.",
                       required=False, nullable=True),
            ),
            unique=("currency", "month"),
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
