"""The inputs ``config_usage_audit`` defines: inventory, access_log, collection_cost (documented in ``data/README.md``)."""

from __future__ import annotations

from helpers.analysis.schemas import TIMESTAMP_HELP, Column, Schema

__all__ = ["SCHEMAS", "INVENTORY", "ACCESS_LOG", "COLLECTION_COST"]

INVENTORY = Schema(
    kind="inventory",
    description="One populated attribute of one configuration item (CMDB, long format).",
    columns=(
        Column("ci_id", "text", "Configuration item identifier."),
        Column("ci_class", "text", "Class of the item, e.g. server, application."),
        Column("attribute", "text", "Attribute name, e.g. os_version."),
        Column("last_updated", "timestamp", f"When the value was last written; {TIMESTAMP_HELP}."),
        Column("source", "text", "Where the value comes from, e.g. a discovery tool or manual.",
               required=False, nullable=True),
    ),
)

ACCESS_LOG = Schema(
    kind="access_log",
    description="One read (or write) of configuration data by a consumer.",
    columns=(
        Column("timestamp", "timestamp", f"When the data was accessed; {TIMESTAMP_HELP}."),
        Column("ci_id", "text", "Configuration item accessed."),
        Column("attribute", "text", "Attribute read; empty = the whole record was opened.", nullable=True),
        Column("consumer", "text", "Who or what read it: a user, team or integration."),
        Column("process", "text",
               "Work it served: incident, change, problem, request, reporting, integration, discovery, audit..."),
        Column("action", "text", "'read' or 'write'; absent or empty = 'read'.",
               required=False, nullable=True, allowed=("read", "write"), fill="read"),
    ),
)

COLLECTION_COST = Schema(
    kind="collection_cost",
    description="Effort to collect and maintain one attribute (or a whole class).",
    columns=(
        Column("ci_class", "text", "Class of configuration item."),
        Column("attribute", "text", "Attribute name, or * for the whole class."),
        Column("hours_per_month", "number", "Effort in person-hours per month (>= 0).", minimum=0),
    ),
    unique=("ci_class", "attribute"),
)

#: In the order ``data/README.md`` documents them.
SCHEMAS = (INVENTORY, ACCESS_LOG, COLLECTION_COST,)
