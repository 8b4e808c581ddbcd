"""The inputs ``nps_trends`` defines: responses, tickets (documented in ``data/README.md``)."""

from __future__ import annotations

from helpers.analysis.schemas import TIMESTAMP_HELP, Column, Order, Schema

__all__ = ["SCHEMAS", "RESPONSES", "TICKETS"]

RESPONSES = Schema(
    kind="responses",
    description="One NPS survey response; any extra columns (region, tier...) are segments.",
    columns=(
        Column("response_id", "text", "Response identifier (unique)."),
        Column("timestamp", "timestamp", f"When the response was given; {TIMESTAMP_HELP}."),
        Column("score", "integer", "Likelihood to recommend, 0 to 10 (points).", minimum=0, maximum=10),
        Column("comment", "text", "Free-text comment (untrusted: reports escape it).",
               required=False, nullable=True),
        Column("ticket_id", "text", "The support ticket the response is about, if any.",
               required=False, nullable=True),
    ),
    unique=("response_id",),
    # The segments survey tools export; a project declares its others in itvalue.toml ([privacy] groupings).
    extra_groupings=("region", "tier", "channel", "country", "department", "team", "product", "plan", "language"),
)

TICKETS = Schema(
    kind="tickets",
    description="One support ticket.",
    columns=(
        Column("ticket_id", "text", "Ticket identifier (unique)."),
        Column("opened", "timestamp", f"When the ticket was opened; {TIMESTAMP_HELP}."),
        Column("resolved", "timestamp", f"When it was resolved (not before opened); empty while open; {TIMESTAMP_HELP}.",
               nullable=True),
        Column("reopened", "boolean", "Whether the ticket was reopened; absent or empty = false.",
               required=False, nullable=True, fill=False),
        Column("channel", "text", "Support channel, e.g. phone, chat, email.", required=False, nullable=True,
               grouping=True),
        Column("service", "text", "The service the ticket is about.", required=False, nullable=True,
               grouping=True),
    ),
    unique=("ticket_id",),
    order=(Order("resolved", "opened", strict=False),),
)

#: In the order ``data/README.md`` documents them.
SCHEMAS = (RESPONSES, TICKETS,)
