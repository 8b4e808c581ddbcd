"""The parameters of ``notebooks/service_outcomes.ipynb``: types, defaults and help, declared once.

Imports pydantic and the standard library only, so ``itvalue list`` and ``describe`` stay fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import Field, field_validator

from helpers.analysis.parameters import (
    ENGINE_HELP,
    CurrencyCode,
    Engine,
    InputPath,
    NotebookParameters,
    OptionalInputPath,
    TimeZone,
    TypeName,
    show_value,
)
from helpers.exceptions import ParameterError
from helpers.inputs.sources import source_name

__all__ = ["Parameters", "IDENTIFYING_COLUMNS", "TICKET_COLUMNS"]

#: Incident columns that identify a ticket or a person, or hold free text: never a grouping.
IDENTIFYING_COLUMNS = ("number", "caller_id", "opened_at", "resolved_at", "closed_at", "sys_mod_count",
                       "short_description", "description", "comments", "work_notes", "opened_by", "assigned_to",
                       "resolved_by", "sys_created_by", "sys_updated_by")

#: Incident columns a report may group tickets by, or match repeat contacts on (text columns of the schema).
TICKET_COLUMNS = ("state", "contact_type", "assignment_group", "category", "priority", "business_service", "cmdb_ci",
                  "close_code")

_QUICK_HOURS = Annotated[
    dict[str, Annotated[float, Field(gt=0)]],
    TypeName("a mapping of priorities to hours > 0"),
]


class Parameters(NotebookParameters):
    """Parameters of ``notebooks/service_outcomes.ipynb``."""

    ordered = (("start", "end"),)
    smallest_group_parameter = "min_n"

    incidents_path: InputPath("incidents") = Field(  # type: ignore[valid-type]
        "data/sample/incidents.csv", description="Incident tickets as the ITSM tool exports them (ServiceNow column names)"
    )
    incident_events_path: OptionalInputPath("incident_events") = Field(  # type: ignore[valid-type]
        "data/sample/incident_events.parquet",
        description="State and assignment changes: an audit export or an event log (empty = none)",
    )
    responses_path: OptionalInputPath("responses") = Field(  # type: ignore[valid-type]
        "data/sample/incident_responses.csv",
        description="NPS survey responses whose ticket_id names an incident (empty = none)",
    )
    period: Literal["W", "M", "Q"] = Field("M", description="Period length: week, month or quarter")
    start: dt.date | None = Field(None, description="First day a ticket was opened that is analysed (empty = the first)")
    end: dt.date | None = Field(None, description="Last day a ticket was opened that is analysed (empty = the last)")
    quick_hours: _QUICK_HOURS = Field(
        {"1 - Critical": 4.0, "2 - High": 8.0, "3 - Moderate": 24.0, "4 - Low": 72.0, "5 - Planning": 120.0},
        description="Hours from opened to resolved that count as quick, per priority as the export writes it",
        examples=['{"1 - Critical": 4, "3 - Moderate": 24}'],
    )
    quick_hours_other: float = Field(24.0, gt=0, description="Quick target in hours for priorities not named in quick_hours")
    repeat_days: int = Field(
        7, ge=0, description="A new ticket from the same caller on the same service or CI this many days after resolution"
        " means the first came back"
    )
    repeat_match: list[str] = Field(
        ["business_service", "cmdb_ci"],
        description="Columns of which one must agree for a later ticket of the caller to be the same problem",
        examples=["[business_service, cmdb_ci]"],
    )
    service_desk_groups: list[str] = Field(
        ["Service Desk"], description="Assignment groups of the first line: one hand-off from them still counts as first time",
        examples=['["Service Desk"]'],
    )
    waiting_states: list[str] = Field(
        ["Awaiting User Info", "Awaiting Caller"],
        description="States (as the events write them) in which a ticket waits on the user",
        examples=['["Awaiting User Info"]'],
    )
    service_column: str = Field(
        "business_service", min_length=1, description="The incident column that names the service, e.g. business_service"
    )
    breakdowns: list[str] = Field(
        ["assignment_group", "contact_type"],
        description="Further incident columns to break the one-job rate down by",
        examples=["[assignment_group, contact_type]"],
    )
    hourly_cost: float | None = Field(
        40.0, ge=0, description="What one hour a user waits beyond the quick target costs, in currency (empty = hours only)"
    )
    currency: CurrencyCode = Field("EUR", description="Currency of hourly_cost, e.g. EUR or USD")
    min_n: int = Field(30, ge=1, description="Fewest people (distinct callers) for a period or group to be shown")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of intervals and tests")
    timezone: TimeZone = Field("UTC", description="Time zone of naive timestamps and of period boundaries")
    engine: Engine = Field("duckdb", description=ENGINE_HELP)

    @field_validator("start", "end", "hourly_cost", mode="before")
    @classmethod
    def _empty_means_default(cls, value: Any) -> Any:
        # "end: ''" in a params file or `-p end=""` on the command line means "not given"
        return None if isinstance(value, str) and not value.strip() else value

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], *, check_inputs: bool = True) -> Self:
        """Validate as the base class does, then the rules between parameters (one sentence each)."""
        params = super().validate_values(values, check_inputs=check_inputs)
        for name in ("repeat_match", "breakdowns"):
            columns = getattr(params, name)
            if len(set(columns)) != len(columns):
                raise ParameterError(f"Parameter '{name}' names a column twice: {show_value(columns)}.")
        if not params.repeat_match:
            raise ParameterError("Parameter 'repeat_match' needs at least one column, e.g. [business_service, cmdb_ci].")
        if params.service_column in params.breakdowns:
            raise ParameterError(
                f"Parameter 'breakdowns' repeats the service column '{params.service_column}', which is always shown."
            )
        return params

    def quick_target(self, priority: str | None) -> float:
        """The quick target in hours of a priority (``quick_hours_other`` for one not named)."""
        return self.quick_hours.get(priority, self.quick_hours_other) if priority is not None else self.quick_hours_other

    def grouping_columns(self) -> dict[str, tuple[str, list[str], tuple[str, ...]]]:
        """The service column and the breakdowns group tickets; ids, callers and free text never do."""
        return {"incidents_path": ("breakdowns", [self.service_column, *self.breakdowns], IDENTIFYING_COLUMNS)}

    def check_input_columns(self, columns: Mapping[str, list[str]]) -> None:
        """Every breakdown and repeat-match column must be a column of the incidents."""
        present = columns.get("incidents_path", [])
        for name in ("service_column", "breakdowns", "repeat_match"):
            chosen = getattr(self, name)
            missing = [column for column in ([chosen] if isinstance(chosen, str) else chosen) if column not in present]
            if missing:
                usable = [c for c in present if c not in IDENTIFYING_COLUMNS]
                raise ParameterError(
                    f"Parameter '{name}': column {show_value(missing[0])} is not in {source_name(self.incidents_path)}; "
                    f"columns there: {', '.join(usable) if usable else 'none'}."
                )
