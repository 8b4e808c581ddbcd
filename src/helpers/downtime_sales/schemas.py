"""The inputs ``downtime_sales`` defines: sales, outages, campaigns (documented in ``data/README.md``)."""

from __future__ import annotations

from helpers.analysis.schemas import TIMESTAMP_HELP, Column, Order, Schema

__all__ = ["SCHEMAS", "SALES", "OUTAGES", "CAMPAIGNS"]

SALES = Schema(
    kind="sales",
    description="One order, or a pre-aggregated bucket of orders (the analysis aggregates them).",
    columns=(
        Column("timestamp", "timestamp", f"When the order was placed (or the bucket starts); {TIMESTAMP_HELP}."),
        Column("revenue", "number", "Revenue in the reporting currency; negative for refunds."),
        Column("orders", "integer", "Orders in the row (1 for order-level rows); empty = unknown.",
               required=False, nullable=True, minimum=0),
        Column("channel", "text", "Sales channel, e.g. web or store; absent or empty = 'all'.",
               required=False, nullable=True, fill="all"),
    ),
)

OUTAGES = Schema(
    kind="outages",
    description="One incident that made a service unavailable.",
    columns=(
        Column("incident_id", "text", "Incident identifier (unique)."),
        Column("start", "timestamp", f"When the outage began; {TIMESTAMP_HELP}."),
        Column("end", "timestamp", f"When service was restored (after start); {TIMESTAMP_HELP}."),
        Column("service", "text", "The service that was down."),
        Column("severity", "text", "Severity as your incident tool writes it, e.g. P1.",
               required=False, nullable=True),
        Column("channels", "text", "Sales channels affected, separated by ';'; empty = all channels.",
               required=False, nullable=True),
    ),
    unique=("incident_id",),
    order=(Order("end", "start"),),
)

CAMPAIGNS = Schema(
    kind="campaigns",
    description="One marketing campaign (the file may have no rows).",
    columns=(
        Column("campaign_id", "text", "Campaign identifier (unique)."),
        Column("name", "text", "Campaign name as shown in reports."),
        Column("start", "timestamp", f"First moment of the campaign; {TIMESTAMP_HELP}."),
        Column("end", "timestamp", f"End of the campaign (after start); {TIMESTAMP_HELP}."),
        Column("channel", "text", "Channel the campaign targets; empty = all channels.",
               required=False, nullable=True),
        Column("spend", "number", "Campaign spend in the reporting currency (>= 0).",
               required=False, nullable=True, minimum=0),
    ),
    unique=("campaign_id",),
    order=(Order("end", "start"),),
    may_be_empty=True,
)

#: In the order ``data/README.md`` documents them.
SCHEMAS = (SALES, OUTAGES, CAMPAIGNS,)
