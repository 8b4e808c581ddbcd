"""The parameters of ``notebooks/nps_trends.ipynb``: types, defaults and help, declared once.

Imports pydantic and the standard library only, so ``itvalue list`` and ``describe`` stay fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal, Self

from pydantic import BaseModel, Field

from helpers.analysis.parameters import (
    ENGINE_HELP,
    Engine,
    InputPath,
    NotebookParameters,
    OptionalInputPath,
    TimeZone,
    show_value,
)
from helpers.exceptions import ParameterError
from helpers.inputs.sources import source_name

__all__ = ["Event", "Parameters"]


class Event(BaseModel):
    """A dated event whose effect on NPS is measured, e.g. a support-system change."""

    date: dt.date = Field(description="The day the change took effect")
    label: str = Field(min_length=1, description="What happened, as the report should name it")


class Parameters(NotebookParameters):
    """Parameters of ``notebooks/nps_trends.ipynb``."""

    ordered = (("start", "end"),)

    responses_path: InputPath("responses") = Field(  # type: ignore[valid-type]
        "data/sample/responses.csv", description="NPS survey responses"
    )
    tickets_path: OptionalInputPath("tickets") = Field(  # type: ignore[valid-type]
        "data/sample/tickets.csv", description="Support tickets linked through ticket_id (empty = none)"
    )
    period: Literal["W", "M", "Q"] = Field("M", description="Period length: week, month or quarter")
    start: dt.date | None = Field(None, description="First day analysed (empty = first response)")
    end: dt.date | None = Field(None, description="Last day analysed (empty = last response)")
    segments: list[str] = Field(
        [], description="Segment columns to break NPS down by, e.g. region", examples=["[region, channel]"]
    )
    min_n: int = Field(30, ge=1, description="Fewest responses for a period or segment to be shown")
    events: list[Event] = Field(
        # The sample data's support-desk change: the default tells the same story as params/nps_trends/default.yml.
        [Event(date=dt.date(2025, 2, 3), label="New support desk live")],
        description="Dated events to measure, e.g. a support-system change",
        examples=['[{date: 2025-03-01, label: "New desk"}]'],
    )
    confidence: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of intervals and tests")
    timezone: TimeZone = Field("UTC", description="Time zone of naive timestamps and of period boundaries")
    engine: Engine = Field("duckdb", description=ENGINE_HELP)

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], *, check_inputs: bool = True) -> Self:
        """Validate as the base class does, then the rules between parameters (one sentence each)."""
        params = super().validate_values(values, check_inputs=check_inputs)
        if len(set(params.segments)) != len(params.segments):
            raise ParameterError(f"Parameter 'segments' names a column twice: {show_value(params.segments)}.")
        return params

    def grouping_columns(self) -> dict[str, tuple[str, list[str], tuple[str, ...]]]:
        """Segments group the responses; ids, timestamps and comments never do."""
        return {"responses_path": ("segments", list(self.segments), ("response_id", "timestamp", "comment", "ticket_id"))}

    def smallest_group(self) -> int:
        """``min_n`` responses."""
        return self.min_n

    def check_input_columns(self, columns: Mapping[str, list[str]]) -> None:
        """Every segment column must be a column of the responses."""
        present = columns.get("responses_path", [])
        missing = [column for column in self.segments if column not in present]
        if missing:
            extra = [c for c in present if c not in ("response_id", "timestamp", "score", "comment", "ticket_id")]
            raise ParameterError(
                f"Parameter 'segments': column {show_value(missing[0])} is not in {source_name(self.responses_path)}; "
                f"segment columns there: {', '.join(extra) if extra else 'none'}."
            )
