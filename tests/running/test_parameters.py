"""Typed parameters: one-sentence errors naming the key, the expected type and the value given."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from helpers.analysis.parameters import InputPath, NotebookParameters, OptionalInputPath, describe_type
from helpers.exceptions import ParameterError


class Event(BaseModel):
    date: dt.date
    label: str


class Example(NotebookParameters):
    data_path: InputPath("sales") = Field("pyproject.toml", description="An input")
    extra_path: OptionalInputPath("tickets") = Field("", description="An optional input")
    period: Literal["W", "M", "Q"] = Field("M", description="Period")
    min_n: int = Field(30, ge=1, description="Smallest group")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="Confidence")
    segments: list[str] = Field([], description="Segments")
    events: list[Event] = Field([], description="Events")
    start: dt.date | None = Field(None, description="Start")


def test_defaults_validate():
    params = Example.validate_values({})
    assert params.as_dict()["period"] == "M"
    assert params.inputs() == {"data_path": ("sales", "pyproject.toml")}


@pytest.mark.parametrize(
    "values, message",
    [
        ({"perod": "W"}, "Unknown parameter 'perod'; did you mean 'period'?"),
        ({"period": "X"}, "Parameter 'period' must be one of 'W', 'M', 'Q'; got 'X'."),
        ({"min_n": "abc"}, "Parameter 'min_n' must be an integer >= 1; got 'abc'."),
        ({"min_n": 0}, "Parameter 'min_n' must be an integer >= 1; got 0."),
        ({"confidence": 2}, "Parameter 'confidence' must be a number > 0.5 and < 1; got 2."),
        ({"segments": {"a": 1}}, "Parameter 'segments' must be a list of text; segments[0] is not valid (got {\"a\": 1})."),
        ({"start": "2025-13-01"}, "Parameter 'start' must be a date (YYYY-MM-DD) (or empty); got '2025-13-01'."),
        ({"data_path": "missing/nothing.csv"}, "Parameter 'data_path': input file not found: missing/nothing.csv."),
    ],
)
def test_errors_are_one_sentence(values, message):
    with pytest.raises(ParameterError) as caught:
        Example.validate_values(values)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_error_inside_a_list_names_the_item():
    with pytest.raises(ParameterError, match=r"events\[0\]\.date"):
        Example.validate_values({"events": [{"date": "soon", "label": "x"}]})


def test_a_single_value_where_a_list_is_expected_is_a_one_item_list():
    assert Example.validate_values({"segments": "region"}).segments == ["region"]
    assert Example.validate_values({"segments": ["a", "b"]}).segments == ["a", "b"]


def test_errors_in_lists_show_the_expected_syntax_not_library_internals():
    from helpers.nps_trends import Parameters

    for bad in ([{"date": "soon", "label": "x"}], [{"label": "x"}], "2025-03-01", [{"date": "2025-03-01", "lable": "x"}]):
        with pytest.raises(ParameterError) as caught:
            Parameters.validate_values({"events": bad}, check_inputs=False)
        message = str(caught.value)
        assert 'Write it as: events: [{date: 2025-03-01, label: "New desk"}]' in message, message
        assert "Input should" not in message and "pydantic" not in message and "\n" not in message


def test_yaml_dates_and_strings_both_validate():
    a = Example.validate_values({"events": [{"date": dt.date(2025, 3, 1), "label": "desk"}]})
    b = Example.validate_values({"events": [{"date": "2025-03-01", "label": "desk"}]})
    assert a == b
    assert a.as_dict()["events"] == [{"date": "2025-03-01", "label": "desk"}]


def test_from_notebook_picks_declared_names_only():
    namespace = {"period": "Q", "In": [], "Out": {}, "get_ipython": print}
    assert Example.from_notebook(namespace).period == "Q"


def test_describe_lists_type_default_help():
    info = {i.name: i for i in Example.describe()}
    assert info["min_n"].type == "an integer >= 1"
    assert info["min_n"].default == 30
    assert info["events"].type == "a list of mappings with keys date, label"
    assert info["data_path"].input_kind == "sales"
    assert describe_type(dict[str, int]) == "a mapping of text to integers"


def test_parameters_are_frozen():
    params = Example.validate_values({})
    with pytest.raises(ValidationError):
        params.period = "W"
