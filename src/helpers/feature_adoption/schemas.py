"""The inputs ``feature_adoption`` defines: features, feature_usage, users (documented in ``data/README.md``)."""

from __future__ import annotations

from helpers.analysis.schemas import TIMESTAMP_HELP, Column, Order, Schema

__all__ = ["SCHEMAS", "FEATURES", "FEATURE_USAGE", "USERS"]

FEATURES = Schema(
    kind="features",
    description="One feature of an application, with the day it was released.",
    columns=(
        Column("feature_id", "text", "Feature identifier (unique)."),
        Column("name", "text", "Feature name as shown in reports."),
        Column("application", "text", "The application the feature belongs to."),
        Column("released", "timestamp", f"When users could first use it; {TIMESTAMP_HELP}."),
        Column("replaces", "text", "The feature_id of the older way this feature supersedes, if any.",
               required=False, nullable=True),
        Column("audience", "text", "The one department that may use it; empty = everyone.",
               required=False, nullable=True),
    ),
    unique=("feature_id",),
)

FEATURE_USAGE = Schema(
    kind="feature_usage",
    description="One use of a feature by a user, or a user's uses of it on one day (the file may have no rows).",
    columns=(
        Column("timestamp", "timestamp", f"When the feature was used (or the day's first use); {TIMESTAMP_HELP}."),
        Column("user_id", "text", "Who used it."),
        Column("feature_id", "text", "The feature used."),
        Column("uses", "integer", "Uses the row stands for (>= 1); absent or empty = 1.",
               required=False, nullable=True, minimum=1, fill=1),
    ),
    may_be_empty=True,
    person="user_id",
)

USERS = Schema(
    kind="users",
    description="One person who could use the features, with when they could.",
    columns=(
        Column("user_id", "text", "User identifier (unique)."),
        Column("department", "text", "Department, for the breakdown and for features with an audience.",
               required=False, nullable=True, grouping=True),
        Column("active_from", "timestamp",
               f"Start of employment or licence; empty = before any release; {TIMESTAMP_HELP}.",
               required=False, nullable=True),
        Column("active_to", "timestamp",
               f"End of employment or licence (after active_from); empty = still active; {TIMESTAMP_HELP}.",
               required=False, nullable=True),
    ),
    unique=("user_id",),
    order=(Order("active_to", "active_from"),),
    person="user_id",
)

#: In the order ``data/README.md`` documents them.
SCHEMAS = (FEATURES, FEATURE_USAGE, USERS,)
