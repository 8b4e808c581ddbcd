"""What the cost report shows: hostile names stay text in tables and charts, empty sections say why, and a
run without the optional inputs still answers the question."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from helpers import it_costs, report
from helpers.analysis.results import layout_problems
from helpers.paths import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "data" / "sample"
HOSTILE = "<script>alert(1)</script> $x^2$"


def _rendered(show) -> str:
    InteractiveShell.instance()
    with capture_output() as captured:
        show()
    return "".join(o.data.get("text/html", "") for o in captured.outputs)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    rules = (SAMPLE / "allocation.csv").read_text(encoding="utf-8").replace(",Web shop,", f",\"{HOSTILE}\",", 1)
    (folder / "allocation.csv").write_text(rules, encoding="utf-8")
    params = it_costs.Parameters.validate_values({"allocation_path": str(folder / "allocation.csv")})
    return it_costs.analyse(it_costs.load_inputs(params), params)


def test_service_names_are_escaped_in_tables(hostile):
    assert HOSTILE in set(hostile.services["service"])
    markup = _rendered(lambda: report.table(it_costs.reporting.service_table(hostile)))
    assert "<script>" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup


def test_service_names_are_drawn_as_written(hostile):
    ax = it_costs.plots.service_cost_plot(hostile.services, currency="EUR", period="2025-Q4", previous="2025-Q3")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(label.replace("\\$", "$") == HOSTILE for label in labels)
    ax.figure.canvas.draw()  # math text would fail or mangle "$x^2$"
    plt.close(ax.figure)


def test_a_cloud_only_run_without_optional_inputs_still_answers():
    params = it_costs.Parameters.validate_values({
        "ledger_path": "", "allocation_path": "", "volumes_path": "", "licences_path": "", "last_active_path": "",
        "users_path": "", "expenses_path": "", "period": "M",
    })
    result = it_costs.analyse(it_costs.load_inputs(params), params)
    sentences = it_costs.headline(result)
    assert sentences[0].startswith("IT cost ") and " in 2025-12 (cloud " in sentences[0]
    assert sentences[1].endswith("(100%) of it is not allocated to any service.")  # no allocation table
    assert result.unit_costs is None and result.shelfware is None and result.shadow_it is None
    published = it_costs.results(result)
    assert published["shelfware"] == [] and published["shadow_it"] == [] and published["unit_costs"] == []
    assert layout_problems(published) == []
    assert published["shelfware_totals"] is None and "unused_seats" not in published["units"]


@pytest.mark.parametrize("plot", ["unit_cost_plot", "shelfware_plot", "shadow_it_plot", "cost_trend_plot"])
def test_an_empty_chart_says_why(plot):
    import pandas as pd

    empty = pd.DataFrame(columns=["service", "unit", "unit_cost_change", "product", "cost_per_year", "seats",
                                  "unused_seats", "leaver_seats", "unassigned_seats", "cost_center", "merchant_group",
                                  "amount", "period", "cloud_cost", "ledger_cost", "unallocated_cost", "complete"])
    kwargs = {"unit_cost_plot": {"period": "2025-Q4", "previous": None}, "shelfware_plot": {"currency": "EUR", "days": 90},
              "shadow_it_plot": {"currency": "EUR", "period": "2025-Q4"}, "cost_trend_plot": {"currency": "EUR"}}[plot]
    ax = getattr(it_costs.plots, plot)(empty, **kwargs)
    assert ax.texts and ax.texts[0].get_text()
    plt.close(ax.figure)
