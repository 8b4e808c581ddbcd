"""The conformance suite: every registered analysis, the kit's and any installed beside it, keeps the one contract.

As Ibis runs one suite over every backend, each test here runs once per entry of
:func:`helpers.analysis.registry.analyses` on that analysis's own generated sample
(``ANALYSIS.sample``), and learns what it needs from the analysis's declarations, never from a
table of analyses kept here:

- the contract's functions and types (``ANALYSIS``, ``__all__``, ``dir()``);
- ``Result``: a frozen dataclass carrying ``params`` and ``quality_notes``;
- an input with a header and no rows is an ``InputDataError``; a window with no data (every parameter of
  ``Parameters.window_fields()`` set to a day before all the data) is a ``ParameterError``, before any
  kernel (``data_check``) and in the analysis;
- ``results.json`` in the common layout (:func:`helpers.analysis.results.layout_problems`), and every
  headline field the index shows is in it;
- the kernel warms exactly the modules the notebook uses (read from the notebook's source);
- privacy: for every grouping the analysis offers (``Parameters.grouping_columns()``), small groups planted
  in the data can neither be read nor worked out as a total minus the groups shown, in any table the
  notebook shows or in ``results.json``.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import importlib
import inspect
import json
import re
import shutil
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers import cell_key, privacy  # noqa: E402
from helpers.analysis import registry  # noqa: E402
from helpers.analysis.contract import CONTRACT, Analysis  # noqa: E402
from helpers.analysis.parameters import NotebookParameters, python_literal  # noqa: E402
from helpers.analysis.results import layout_problems  # noqa: E402
from helpers.exceptions import InputDataError, ParameterError  # noqa: E402
from helpers.paths import NOTEBOOKS_DIR  # noqa: E402

#: Every registered analysis, as the runner finds them.
ANALYSES = registry.analyses()
#: The seed of every generated sample here.
SEED = 21
#: A day before all the data of any analysis.
BEFORE_ALL_DATA = dt.date(1900, 1, 1)


# --- the sample each analysis generates ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """``samples(name)``: the folder of the analysis's generated sample (made once per test module)."""
    made: dict[str, Path] = {}

    def sample(name: str) -> Path:
        if name not in made:
            analysis = ANALYSES[name]
            if analysis.sample is None:
                pytest.skip(f"{name} declares no sample generator")
            folder = tmp_path_factory.mktemp(f"sample-{name}")
            analysis.sample(folder, scale=1, seed=SEED)
            made[name] = folder
        return made[name]

    return sample


def _on_sample(analysis: Analysis, folder: Path, **values: Any) -> NotebookParameters:
    """The default parameters with every input that the sample holds read from ``folder``."""
    defaults = analysis.Parameters.validate_values({}, check_inputs=False)
    paths = {}
    for name in analysis.Parameters.input_fields():
        default = getattr(defaults, name)
        if default and (folder / Path(default).name).is_file():
            paths[name] = str(folder / Path(default).name)
    return analysis.Parameters.validate_values({**paths, **values})


@pytest.fixture(scope="module")
def sample_runs(samples):
    """``sample_runs(name)``: ``(params, result)`` of the analysis on its sample, computed once."""
    done: dict[str, tuple[NotebookParameters, Any]] = {}

    def run(name: str) -> tuple[NotebookParameters, Any]:
        if name not in done:
            analysis = ANALYSES[name]
            params = _on_sample(analysis, samples(name))
            done[name] = params, analysis.analyse(analysis.load_inputs(params), params)
        return done[name]

    return run


# --- the contract --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ANALYSES))
def test_the_package_exposes_the_contract(name):
    analysis = ANALYSES[name]
    assert isinstance(analysis, Analysis) and analysis.name == name
    package = importlib.import_module(analysis.package)
    assert package.ANALYSIS is analysis and package.Parameters is analysis.Parameters
    assert issubclass(analysis.Parameters, NotebookParameters)
    assert tuple(package.__all__) == ("ANALYSIS", *CONTRACT), f"{analysis.package} exposes {package.__all__}"
    assert set(CONTRACT) <= set(dir(package)), "dir() (tab completion, help()) lists the contract"
    # Called as the contract calls them (helpers.analysis.contract.Analysis): positions, and con by keyword.
    calls = {"load_inputs": ((object(),), {"con": None}), "analyse": ((object(), object()), {}),
             "headline": ((object(),), {}), "results": ((object(),), {})}
    for function, (args, kwargs) in calls.items():
        assert callable(getattr(package, function)), f"{analysis.package}.{function}"
        inspect.signature(getattr(package, function)).bind(*args, **kwargs)


@pytest.mark.parametrize("name", list(ANALYSES))
def test_the_result_is_frozen_and_carries_its_params_and_quality_notes(name, sample_runs):
    analysis = ANALYSES[name]
    result_type = importlib.import_module(analysis.package).Result
    assert dataclasses.is_dataclass(result_type) and result_type.__dataclass_params__.frozen
    assert {"params", "quality_notes"} <= {field.name for field in dataclasses.fields(result_type)}
    params, result = sample_runs(name)
    assert type(result) is result_type and result.params == params
    assert isinstance(result.quality_notes, list)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.params = params
    assert all(isinstance(sentence, str) and sentence for sentence in analysis.headline(result))


# --- errors: no rows, and a window with no data ------------------------------------------------------------------


def _inputs_that_need_rows() -> list[Any]:
    cases = []
    for name, analysis in ANALYSES.items():
        for parameter, marker in analysis.Parameters.input_fields().items():
            if not registry.get_schema(marker.kind).may_be_empty:
                cases.append(pytest.param(name, parameter, id=f"{name}-{parameter}"))
    return cases


@pytest.mark.parametrize("name, parameter", _inputs_that_need_rows())
def test_an_input_with_a_header_and_no_rows_is_an_input_data_error(name, parameter, samples, tmp_path):
    analysis = ANALYSES[name]
    schema = registry.get_schema(analysis.Parameters.input_fields()[parameter].kind)
    if not getattr(_on_sample(analysis, samples(name)), parameter):
        pytest.skip(f"{name}'s sample set reads no {parameter} (an optional input it pairs with another)")
    empty = tmp_path / f"empty_{schema.kind}.csv"
    empty.write_text(",".join(column.name for column in schema.columns if column.required) + "\n", encoding="utf-8")
    params = _on_sample(analysis, samples(name), **{parameter: str(empty)})
    with pytest.raises(InputDataError) as caught:
        analysis.analyse(analysis.load_inputs(params), params)
    assert empty.name in str(caught.value) and "\n" not in str(caught.value)


def _before_all_data(parameters: type[NotebookParameters], field: str) -> Any:
    """A day before all the data as the parameter takes it: a date, a one-day window of two dates, or a year (a
    period named as text, ``2025`` or ``2025-Q2``)."""
    annotation = parameters.model_fields[field].annotation
    if annotation is str:
        return str(BEFORE_ALL_DATA.year)
    is_list = typing.get_origin(annotation) is list
    return [BEFORE_ALL_DATA.isoformat()] * 2 if is_list else BEFORE_ALL_DATA.isoformat()


@pytest.mark.parametrize("name", list(ANALYSES))
def test_a_window_with_no_data_is_a_parameter_error_before_any_kernel_and_in_the_analysis(name, samples):
    analysis = ANALYSES[name]
    window = analysis.Parameters.window_fields()
    assert window, f"{name} declares no window (Parameters.window, or date pairs in Parameters.ordered)"
    values = {field: _before_all_data(analysis.Parameters, field) for field in window}
    params = _on_sample(analysis, samples(name), **values)
    assert analysis.data_check is not None, "a window with no data is knowable before the kernel: declare data_check"
    from helpers.inputs.loading import connect

    con = connect(params.timezone)
    try:
        with pytest.raises(ParameterError) as before_kernel:
            analysis.data_check(params, con=con)
    finally:
        con.disconnect()
    with pytest.raises(ParameterError) as in_analysis:
        analysis.analyse(analysis.load_inputs(params), params)
    for caught in (before_kernel, in_analysis):
        assert "\n" not in str(caught.value) and any(f"'{field}'" in str(caught.value) for field in window), (
            "one sentence naming the parameter"
        )


# --- results.json ---------------------------------------------------------------------------------------------


def _published(analysis: Analysis, result: Any) -> dict[str, Any]:
    from helpers.report.results import to_jsonable

    results = to_jsonable(analysis.results(result))
    json.dumps(results, allow_nan=False)
    return results


@pytest.mark.parametrize("name", list(ANALYSES))
def test_results_json_has_the_common_layout(name, sample_runs):
    params, result = sample_runs(name)
    results = _published(ANALYSES[name], result)
    assert layout_problems(results) == []
    assert results["analysis"] == name and results["parameters"] == params.as_dict()


def _lookup(results: Any, dotted: str) -> tuple[bool, Any]:
    value = results
    for part in dotted.split("."):
        if isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return False, None
    return True, value


@pytest.mark.parametrize("name", list(ANALYSES))
def test_every_headline_field_the_index_shows_is_in_the_results(name, sample_runs):
    analysis = ANALYSES[name]
    results = _published(analysis, sample_runs(name)[1])
    fields = [field.as_dict() for field in analysis.headline_fields]
    assert fields, f"{name} shows no headline figure in the index"
    for field in fields:
        for key in ("value", "low", "high", "unit_from"):
            if key in field:
                found, _ = _lookup(results, field[key])  # its value may be null (no event measured)
                assert found, f"index headline {field['label']!r} reads {field[key]!r}, which results() lacks"
        unit = field.get("unit") if "unit" in field else _lookup(results, field["unit_from"])[1]
        assert isinstance(unit, str), f"index headline {field['label']!r} has no unit"


@pytest.mark.parametrize("name", list(ANALYSES))
def test_every_money_field_the_value_page_shows_is_in_the_results(name, sample_runs):
    analysis = ANALYSES[name]
    results = _published(analysis, sample_runs(name)[1])
    for field in analysis.money_fields:
        found, unit = _lookup(results, field.as_dict()["unit_from"]) if field.unit is None else (True, field.unit)
        assert found and isinstance(unit, str) and unit, f"{name}: money {field.label!r} has no unit"
        rows = [results]
        if field.rows is not None:
            found, rows = _lookup(results, field.rows)
            assert found and isinstance(rows, list) and rows, f"{name}: money {field.label!r} reads rows {field.rows!r}"
            field.row_label.format_map(rows[0])  # names only keys the rows have
        for key in ("value", "low", "high"):
            path = getattr(field, key)
            if path is not None:
                assert all(_lookup(row, path)[0] for row in rows), f"{name}: money {field.label!r} reads {path!r}"
        if field.level_from is not None:
            found, level = _lookup(results, field.level_from)
            assert found and 0 < level < 1, f"{name}: money {field.label!r}'s interval level {field.level_from!r}"


# --- the kernel's warm modules ----------------------------------------------------------------------------------


def _notebook(analysis: Analysis) -> nbformat.NotebookNode:
    path = NOTEBOOKS_DIR / analysis.notebook_file
    if not path.is_file():
        pytest.skip(f"this project has no notebook {analysis.notebook_file}")
    return nbformat.read(path, as_version=4)


def _modules_used(source: str, package: str) -> set[str]:
    """The modules of ``package`` a notebook's code reaches: ``nps.plots.x`` -> plots, ``nps.analyse`` -> analysis."""
    tree = ast.parse(source)
    aliases, direct = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == package.rpartition(".")[0]:
            aliases |= {a.asname or a.name for a in node.names if a.name == package.rpartition(".")[2]}
        elif isinstance(node, ast.ImportFrom) and node.module == package:
            direct |= {f"{package}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname for a in node.names if a.name == package and a.asname}
    module = importlib.import_module(package)
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            used.add(_home(getattr(module, node.attr)))
    for name in direct:
        used.add(_home(getattr(module, name.rpartition(".")[2])) if "." in name else name)
    return used


def _home(value: Any) -> str:
    return value.__name__ if inspect.ismodule(value) else inspect.unwrap(value).__module__


@pytest.mark.parametrize("name", list(ANALYSES))
def test_the_kernel_warms_exactly_the_modules_the_notebook_uses(name):
    analysis = ANALYSES[name]
    source = "\n".join(cell.source for cell in _notebook(analysis).cells if cell.cell_type == "code")
    # What importing the package loads anyway (its parameters and schemas) needs no warming.
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, {analysis.package}; print(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    used = {m for m in _modules_used(source, analysis.package) if m.startswith(f"{analysis.package}.")}
    needed = {m.removeprefix(f"{analysis.package}.") for m in used if m not in loaded}
    assert set(analysis.warm) == needed


# --- privacy ----------------------------------------------------------------------------------------------------
#
# The attack: a breakdown publishes its total (all groups of a line: the departments of one feature, the values of
# one segment column) and the groups it shows; the groups it hides hold the total minus the shown ones. That
# difference must hold nobody or at least the smallest group the analysis may publish (min_n people), so that no
# hidden group's count or figure can be worked out. Sizes come from a reference run of the same notebook on the
# same data with the smallest group set to 1, where every group is shown.


@dataclasses.dataclass
class _Published:
    """What a notebook run shows: its tables (as data), results.json and every sentence."""

    tables: list[tuple[str, pd.DataFrame]] = dataclasses.field(default_factory=list)
    results: dict[str, Any] = dataclasses.field(default_factory=dict)
    texts: list[str] = dataclasses.field(default_factory=list)

    def everything(self) -> str:
        frames = [frame.to_csv(index=False) + " ".join(map(str, frame.columns)) for _, frame in self.tables]
        return "\n".join([*self.texts, *frames, json.dumps(self.results, default=str)])


def _run_notebook(analysis: Analysis, values: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> _Published:
    """Run the notebook's code as written, here, with ``values`` injected after its parameters cell."""
    import matplotlib.pyplot as plt

    from helpers import report
    from helpers.report import display
    from helpers.report.results import to_jsonable

    shown = _Published()

    def table(data: Any, **options: Any) -> None:
        frame = data.data if isinstance(data, display.Table) else data
        caption = options.get("caption") or getattr(data, "caption", None) or " ".join(map(str, frame.columns))
        shown.tables.append((caption, frame.astype(str)))

    monkeypatch.setattr(report, "table", table)
    monkeypatch.setattr(report, "publish_results", lambda results: shown.results.update(to_jsonable(results)))
    monkeypatch.setattr(report, "note", lambda text: shown.texts.append(str(text)))
    monkeypatch.setattr(report, "headline", lambda *sentences: shown.texts.extend(map(str, sentences)))
    monkeypatch.setattr(report, "heading", lambda text, level=2: shown.texts.append(str(text)))
    monkeypatch.setattr(report, "data_quality", lambda notes: shown.texts.extend(
        f"{n.input}: {n.issue} ({n.rows}) {getattr(n, 'examples', '')}" for n in notes))
    namespace: dict[str, Any] = {}
    for cell in _notebook(analysis).cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, analysis.notebook_file, "exec"), namespace)  # noqa: S102 - the kit's own notebook
        if "parameters" in cell.metadata.get("tags", []):
            exec("\n".join(f"{k} = {python_literal(v)}" for k, v in values.items()), namespace)  # noqa: S102
        plt.close("all")
    return shown


def _read(path: Path) -> pd.DataFrame:
    if path.read_bytes()[:4] == b"PAR1":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path: Path) -> None:
    if path.read_bytes()[:4] == b"PAR1":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def _offered_groupings(params: NotebookParameters) -> list[tuple[str, str, Any, list[str]]]:
    """Each grouping the analysis offers, turned on: ``(input parameter, parameter, value, columns)``.

    A parameter that lists columns (NPS ``segments``) groups by two further columns the input's schema declares
    groupings (only a declared column may group a report), planted in the input; a switch (``departments``) by
    the columns the declaration names once it is on.
    """
    offered = []
    for key, (parameter, columns, _not_groups) in params.grouping_columns().items():
        annotation = type(params).model_fields[parameter].annotation
        if typing.get_origin(annotation) is list:
            kind = type(params).input_fields()[key].kind
            value: Any = [c for c in registry.get_schema(kind).groupings if c not in columns][:2]
        elif annotation is bool:
            value = True
        else:
            continue
        on = type(params).validate_values({**params.as_dict(), parameter: value}, check_inputs=False)
        offered.append((key, parameter, value, list(on.grouping_columns()[key][1])))
    return offered


def _plant(path: Path, columns: list[str], smallest: int, rng: np.random.Generator) -> set[str]:
    """Put small groups (fewer than ``smallest`` rows, two per column) into ``columns`` of the input; the labels."""
    frame = _read(path)
    sizes = [max(1, smallest // 6), max(1, smallest // 4)]
    small = set()
    for position, column in enumerate(columns):
        if column not in frame:  # a new column: four large groups, and small ones (one in the first column)
            frame[column] = np.array(["Group A", "Group B", "Group C", "Group D"])[np.arange(len(frame)) % 4]
            plant = sizes[:1] if position == 0 else sizes
        else:
            plant = sizes
        rows = rng.permutation(len(frame))
        start = 0
        for number, size in enumerate(plant, start=1):
            label = f"Planted {column} {number}"
            frame.loc[frame.index[rows[start:start + size]], column] = label
            small.add(label)
            start += size
    _write(frame, path)
    return small


_DIGIT = re.compile(r"\d")


def _count(cell: str) -> int | None:
    text = cell.replace(",", "").strip()
    return int(text) if text.isdigit() else None


def _shows_figures(cells: list[Any]) -> bool:
    return any(_DIGIT.search(str(c)) and not str(c).startswith("fewer than") for c in cells)


def _lines(published: _Published, labels: set[str]) -> dict[tuple, dict[str, int | None]]:
    """Every line of every breakdown that states group sizes: ``{line: {group shown: its size}}``.

    In ``results.json`` a breakdown is a list of records with a field naming groups (a label of the
    grouping column); its line is the record's other text fields, the group's size its largest count. In a
    table, the group column's left holds the line, the first figure right of it the group's size.
    """
    found: dict[tuple, dict[str, int | None]] = {}

    def records(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                records(item, f"{path}.{key}")
        elif isinstance(value, list):
            rows = [r for r in value if isinstance(r, dict)]
            group = next((k for r in rows for k, v in r.items() if isinstance(v, str) and v in labels), None)
            for row in rows if group else ():
                line = ("results.json", path, *sorted((k, v) for k, v in row.items() if k != group and isinstance(v, str)))
                counts = [v for v in row.values() if isinstance(v, int) and not isinstance(v, bool)]
                figures = [v for k, v in row.items() if k != group and isinstance(v, (int, float)) and not isinstance(v, bool)]
                if figures:
                    found.setdefault(line, {})[row[group]] = max(counts) if counts else None
            for item in value:
                records(item, path)

    records(published.results, "")
    for caption, frame in published.tables:
        group_columns = [k for k, column in enumerate(frame.columns) if frame[column].isin(labels).any()]
        for k in group_columns[:1]:
            for row in frame.itertuples(index=False):
                cells = list(row)
                if _shows_figures(cells[k + 1:]):
                    line = ("table", caption, *cells[:k])
                    found.setdefault(line, {})[cells[k]] = next(
                        (n for n in map(_count, cells[k + 1:]) if n is not None), None
                    )
    return found


@pytest.mark.parametrize("name", list(ANALYSES))
def test_no_hidden_group_can_be_worked_out_from_what_is_published(name, samples, tmp_path, monkeypatch):
    analysis = ANALYSES[name]
    folder = tmp_path / "data"
    shutil.copytree(samples(name), folder)
    params = _on_sample(analysis, folder)
    threshold_parameter = analysis.Parameters.smallest_group_parameter
    groupings = _offered_groupings(params)
    if threshold_parameter is None or not groupings:
        pytest.skip(f"{name} breaks no figure down by groups of people")
    smallest = params.smallest_group()
    rng = np.random.default_rng(SEED)
    inputs = params.inputs()
    planted: set[str] = set()
    values = dict(params.as_dict())
    for key, parameter, value, columns in groupings:
        planted |= _plant(Path(inputs[key][1]), columns, smallest, rng)
        values[parameter] = value
    labels = set()
    for key, _parameter, _value, columns in groupings:
        labels |= set(_read(Path(inputs[key][1]))[columns].astype(str).stack()) - {""}

    published = _run_notebook(analysis, values, monkeypatch)
    with monkeypatch.context() as reference:
        # The reference run shows every group: the floor no parameter may go below is lifted for it alone.
        reference.setattr(privacy, "MIN_N_FLOOR", 1)
        # and its sizes are exact: the cell-key noise of published counts is lifted too.
        reference.setattr(cell_key, "perturb", lambda counts, key_sums: np.asarray(counts, dtype="int64"))
        everyone = _run_notebook(analysis, {**values, threshold_parameter: 1}, monkeypatch)
    assert published.results and everyone.results, "the notebook published its results"

    # A group under min_n is never named, anywhere.
    text = published.everything()
    assert not [label for label in planted if label in text]
    # Nor can it be worked out: per line, what is hidden holds nobody or at least min_n.
    reference, shown = _lines(everyone, labels), _lines(published, labels)
    assert any(set(groups) & planted for groups in reference.values()), "the planted groups are in the breakdowns"
    derivable = []
    for line, groups in reference.items():
        hidden = {group: size for group, size in groups.items() if group not in shown.get(line, {})}
        held = sum(size or 0 for size in hidden.values())
        if hidden and held < smallest:
            derivable.append(f"{' / '.join(map(str, line))}: {sorted(hidden)} hold {held}, fewer than {smallest}")
    assert derivable == []
