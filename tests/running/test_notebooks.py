"""The kit's notebooks: committed clean, parameters in sync with their declarations, and every
parameter set runs on the sample data through a real kernel."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from helpers.analysis.results import layout_problems
from helpers.paths import NOTEBOOKS_DIR, PARAMS_DIR
from helpers.running.catalog import Notebook

NOTEBOOK_PATHS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
PARAM_SETS = [(nb, p) for nb in NOTEBOOK_PATHS for p in sorted((PARAMS_DIR / nb.stem).glob("*.yml"))]

# Beyond the common layout (helpers.analysis.results), the results.json fields each analysis's own tests and
# its issue name (the contract readers and schedulers rely on).
REQUIRED_RESULTS = {
    "nps_trends": {
        "periods": ["period", "n", "promoters", "passives", "detractors", "nps", "nps_low", "nps_high",
                    "change", "change_p_value", "significant"],
        "overall": ["n", "promoters", "passives", "detractors", "nps", "nps_low", "nps_high"],
        "trend": ["points_per_month", "points_per_month_low", "points_per_month_high"],
        "event_changes": ["date", "label", "level_change", "level_change_low", "level_change_high"],
        "by_segment": ["segment", "value", "n", "nps", "nps_low", "nps_high", "suppressed"],
    },
    "config_usage_audit": {
        "attributes": ["ci_class", "attribute", "populated", "fill_rate", "reads", "consumers", "processes",
                       "last_read", "median_age_days", "used", "stale", "quadrant", "hours_per_month"],
        "classes": ["ci_class", "cis", "cis_read", "cis_read_share", "reads_by_process"],
        "totals": ["attributes_unused", "unused_share", "hours_on_unused", "money_on_unused", "attributes_at_risk"],
    },
    "feature_adoption": {
        "features": ["feature_id", "eligible_users", "adopters", "adoption", "adoption_low", "adoption_high",
                     "horizon_days", "median_days_to_first_use", "median_days_low", "median_days_high",
                     "habitual_share", "habitual_share_low", "habitual_share_high", "replaced_feature_id",
                     "switched_share", "still_using_old_share"],
        "totals": ["features", "features_never_used", "features_below_10pct"],
        "by_department": ["feature_id", "department", "eligible_users", "adoption", "adoption_low", "adoption_high"],
    },
    "it_costs": {
        "services": ["service", "cost", "cloud_cost", "ledger_cost", "unit", "unit_cost", "unit_cost_change"],
        "shelfware": ["product", "seats", "unused_seats", "unused_cost_per_year"],
        "shadow_it": ["cost_center", "merchant_group", "amount"],
        "period": ["start", "end"],
        "units": [],
    },
    "service_outcomes": {
        "period": ["start", "end"],
        "units": [],
        "failures": ["reopened", "repeat", "slow", "reassigned", "ping_pong"],
        "periods": ["period", "tickets", "one_job_rate", "one_job_rate_low", "one_job_rate_high", "change",
                    "change_p_value", "significant"],
        "services": ["service", "tickets", "one_job_rate", "one_job_rate_low", "one_job_rate_high", "reopened_share",
                     "repeat_share", "reassigned_share", "lost_user_hours"],
    },
    "downtime_sales": {
        "incidents": ["incident_id", "start", "end", "minutes", "in_campaign", "campaign_id", "actual_revenue",
                      "expected_revenue", "lost_revenue", "lost_revenue_low", "lost_revenue_high",
                      "recovered_revenue", "net_lost_revenue", "net_lost_revenue_low", "net_lost_revenue_high",
                      "lost_revenue_per_minute"],
        "totals": ["net_lost_revenue", "net_lost_revenue_low", "net_lost_revenue_high",
                   "campaign_minute_cost_ratio", "campaign_minute_cost_ratio_low", "campaign_minute_cost_ratio_high"],
        "parameters": [],
        "units": [],
        "period": [],
    },
}


def test_every_notebook_has_its_required_results():
    assert {p.stem for p in NOTEBOOK_PATHS} == set(REQUIRED_RESULTS)


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "commit notebooks without outputs"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert nb.metadata["kernelspec"]["name"] == "itvalue"
    assert code[-1].metadata.get("tags") == ["results"], "the last cell publishes results.json"
    # Notebooks are thin stories over helpers: short cells.
    assert max(len(c.source.splitlines()) for c in code) <= 20


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_parameters_cell_matches_the_declaration(path):
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    literals = {}
    for node in ast.parse(cell.source).body:
        assert isinstance(node, ast.Assign), "the parameters cell holds literal assignments only"
        literals[node.targets[0].id] = ast.literal_eval(node.value)
    declared = Notebook.load(path).parameters_class
    assert declared is not None, "declare the notebook's parameters in metadata.itvalue.parameters"
    defaults = {info.name: info.default for info in declared.describe()}
    assert literals == defaults


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_parameters_cell_comments_come_from_the_declaration(path):
    # One line per parameter with its type and help, so JupyterLab readers see what is allowed.
    from helpers.analysis.parameters import parameters_cell

    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    declared = Notebook.load(path).parameters_class
    assert cell.source == parameters_cell(declared), "regenerate the cell with helpers.analysis.parameters.parameters_cell"
    # papermill must still read every line (it skips lines with a second "=") and shows the comment as help
    inspected = papermill.inspect_notebook(str(path))
    assert list(inspected) == list(declared.model_fields)
    assert all(entry["help"] for entry in inspected.values())


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_default_params_file_equals_the_notebooks_defaults(path):
    # JupyterLab's Run All, `itvalue run <nb> -p ...` and the scheduled default set tell one story.
    from helpers.running.catalog import read_params_file

    default = PARAMS_DIR / path.stem / "default.yml"
    assert default.exists(), f"{path.stem} has no params/{path.stem}/default.yml"
    declared = Notebook.load(path).parameters_class
    values = read_params_file(default)
    assert set(values) == set(declared.model_fields), "default.yml names every parameter"
    from_file = declared.validate_values(values, check_inputs=False).as_dict()
    assert from_file == declared.validate_values({}, check_inputs=False).as_dict()


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_every_parameter_has_help(path):
    for info in Notebook.load(path).describe():
        assert info.help, f"{path.stem}.{info.name} has no help text"


@pytest.mark.parametrize("notebook, params_file", PARAM_SETS, ids=lambda v: v.stem)
def test_params_file_validates(notebook, params_file):
    from helpers.running.catalog import read_params_file

    Notebook.load(notebook).validate(read_params_file(params_file))


@pytest.mark.notebook
@pytest.mark.parametrize("notebook, params_file", PARAM_SETS, ids=lambda v: v.stem)
def test_param_set_runs_on_sample_data(notebook, params_file, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", notebook.stem, "-f", str(params_file),
         "--out", str(tmp_path), "--quiet"],
        capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    set_dir = tmp_path / notebook.stem / params_file.stem
    results = json.loads((set_dir / "results.json").read_text())
    assert layout_problems(results) == []
    for key, fields in REQUIRED_RESULTS[notebook.stem].items():
        assert key in results, f"results.json lacks '{key}'"
        rows = results[key] if isinstance(results[key], list) else [results[key]]
        for row in rows:
            missing = [f for f in fields if f not in row]
            assert not missing, f"results.json {key} lacks {missing}"
    html = (set_dir / "report.html").read_text()
    assert "Run parameters" in html
    assert len(html.encode()) < 5_000_000, "a default report stays under 5 MB"
    assert "<script src" not in html
    assert "Traceback" not in html


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_mistyped_value_fails_in_the_first_cell_after_parameters(path, tmp_path):
    declared = Notebook.load(path).parameters_class
    name = next(i.name for i in declared.describe() if i.type.startswith(("an integer", "a number", "one of")))
    bad = {name: "not-a-valid-value"}
    with pytest.raises(PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(path), str(tmp_path / "out.ipynb"), parameters=bad, cwd=str(NOTEBOOKS_DIR), progress_bar=False
        )
    from helpers.exceptions import ParameterError

    with pytest.raises(ParameterError) as expected:
        declared.validate_values(bad)
    assert caught.value.ename == "ParameterError"
    assert caught.value.evalue == str(expected.value)
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [c for c in executed.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]
    parameters_at = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    first_after_parameters = code[parameters_at + 1]
    assert any(o.get("output_type") == "error" for o in first_after_parameters.outputs)


def test_segment_column_missing_from_the_data_stops_before_any_kernel(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "nps_trends", "-p", "segments=[regoin]", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "itvalue: Parameter 'segments': column 'regoin' is not in responses.csv; "
        "segment columns there: region, tier, channel."
    )
    assert not any(tmp_path.iterdir())


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_runs_by_hand_with_its_defaults_under_plain_papermill(path, tmp_path):
    # What an analyst gets from Run All in JupyterLab: the parameters cell's defaults, kernel in notebooks/.
    out = tmp_path / "executed.ipynb"
    papermill.execute_notebook(str(path), str(out), cwd=str(NOTEBOOKS_DIR), progress_bar=False)
    from helpers.running.runner import extract_results

    assert extract_results(nbformat.read(out, as_version=4)), "the results cell published the key figures"


@pytest.mark.notebook
def test_a_currency_label_with_dollar_signs_stays_text(tmp_path):
    # "$" in data must not switch matplotlib into math mode (it would fail or mangle the label).
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "downtime_sales", "-p", "currency=$a^{$", "-p", "freq=D",
         "--out", str(tmp_path), "--quiet"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    html = (tmp_path / "downtime_sales" / "custom" / "report.html").read_text()
    assert "$a^{$" in html
