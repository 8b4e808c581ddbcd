"""The common layout of results.json: built by results_layout, checked by layout_problems."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers.analysis.results import layout_problems, results_layout


class _Params:
    def as_dict(self):
        return {"currency": "EUR", "min_n": 30}


def test_the_layout_starts_with_analysis_parameters_period_units():
    results = results_layout(
        "demo", _Params(), period=(dt.date(2025, 1, 1), dt.datetime(2025, 6, 30, 23)),
        units={"cost": "EUR", "unused_share": "share"},
        figures={"totals": {"cost": 12.5, "unused_share": 0.25}, "services": [{"service": "a", "cost": 1.0}]},
    )
    assert list(results)[:4] == ["analysis", "parameters", "period", "units"]
    assert results["period"] == {"start": "2025-01-01", "end": "2025-06-30"}
    assert layout_problems(results) == []


def test_a_unit_for_a_figure_that_is_not_there_is_a_typo():
    with pytest.raises(ValueError, match="units name figures that are not in the results: \\['cots'\\]"):
        results_layout("demo", _Params(), period=None, units={"cots": "EUR"}, figures={"cost": 1})


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda r: r.pop("units"), "no 'units' at the top"),
        (lambda r: r.update(currency="EUR"), "parameter 'currency' repeated at the top"),
        (lambda r: r["totals"].update(unused_pct=25.0), "'unused_pct' is a percentage; publish a share from 0 to 1"),
        (lambda r: r["totals"].update(unused_share=25.0), "'unused_share' is a share but holds 25.0"),
        (lambda r: r["period"].update(start="June"), "period.start is not an ISO date: 'June'"),
    ],
)
def test_layout_problems_name_what_breaks_the_layout(change, problem):
    results = results_layout("demo", _Params(), period=None, units={"unused_share": "share"},
                             figures={"totals": {"unused_share": 0.5}})
    change(results)
    assert problem in layout_problems(results)
