"""What a parameter declaration says about its analysis: the window's parameters, the smallest group shown."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from helpers.analysis.parameters import NotebookParameters


class _Dated(NotebookParameters):
    ordered = (("start", "end"), ("low", "high"))
    start: dt.date | None = Field(None, description="first day")
    end: dt.date | None = Field(None, description="last day")
    low: int = Field(0, description="a bound that is no date")
    high: int = Field(1, description="a bound that is no date")


class _AsOf(NotebookParameters):
    window = ("release", "as_of")
    smallest_group_parameter = "min_n"
    as_of: dt.date | None = Field(None, description="last day")
    release: list[dt.date] = Field([], description="first and last release day")
    min_n: int = Field(30, ge=1, description="fewest people shown")


def test_the_window_is_declared_or_read_from_the_ordered_date_pairs():
    assert _AsOf.window_fields() == ("release", "as_of")
    assert _Dated.window_fields() == ("start", "end")  # low/high are ordered, but no dates
    assert NotebookParameters.window_fields() == ()


def test_the_smallest_group_is_the_declared_parameters_value():
    assert _AsOf.validate_values({"min_n": 12}, check_inputs=False).smallest_group() == 12
    assert _Dated.validate_values({}, check_inputs=False).smallest_group() == 1
