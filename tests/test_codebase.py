"""The shape of the package: one contract per analysis, no import cycles, light layers, habits.

These read the source (``ast``) or import modules in a fresh interpreter; none runs a kernel.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.analysis import registry
from helpers.analysis.contract import CONTRACT
from helpers.paths import NOTEBOOKS_DIR, PARAMS_DIR, PROJECT_ROOT

#: The kit's own analyses (the registry, as the installed entry points give it).
ANALYSES = tuple(registry.analyses())

PACKAGE = PROJECT_ROOT / "src" / "helpers"
HEAVY = ("pandas", "numpy", "matplotlib", "seaborn", "duckdb", "ibis", "statsmodels", "scipy", "IPython")


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _module_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``name`` imports at module level (type-checking imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets.add(base)
                targets.update(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks count: a cycle for hints is a cycle
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(tree.body)
    return {target for target in targets if target in known and target != name}


def _function_defs(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


# --- the analysis contract --------------------------------------------------------------------


@pytest.mark.parametrize("name", ANALYSES)
def test_every_analysis_follows_the_contract(name):
    analysis = registry.get(name)
    package = importlib.import_module(analysis.package)
    assert tuple(package.__all__) == ("ANALYSIS", *CONTRACT), f"{analysis.package} exposes {package.__all__}"
    assert package.ANALYSIS is analysis and package.Parameters is analysis.Parameters
    for attribute in CONTRACT:
        assert hasattr(package, attribute), f"{analysis.package} lacks {attribute}"
        assert attribute in dir(package), f"{analysis.package}.{attribute} does not tab-complete"
    assert (NOTEBOOKS_DIR / f"{name}.ipynb").is_file(), f"{name} has no notebook of its name"
    metadata = json.loads((NOTEBOOKS_DIR / f"{name}.ipynb").read_text())["metadata"]["itvalue"]
    assert metadata == {"analysis": name}, "a notebook names its analysis, and nothing to import"


def test_every_notebook_is_an_analysis():
    assert sorted(p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb")) == sorted(ANALYSES)


def _lookup(results: dict, dotted: str) -> tuple[bool, object]:
    value: object = results
    for part in dotted.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return False, None
    return True, value


@pytest.fixture(scope="module")
def sample_results():
    """Each analysis run in this process on the bundled sample with its scheduled default set."""
    from helpers.report.results import to_jsonable
    from helpers.running.catalog import read_params_file

    out = {}
    for name in ANALYSES:
        analysis = importlib.import_module(f"helpers.{name}")
        params = analysis.Parameters.validate_values(read_params_file(PARAMS_DIR / name / "default.yml"))
        result = analysis.analyse(analysis.load_inputs(params), params)
        assert result.params == params and isinstance(result.quality_notes, list)
        assert all(isinstance(s, str) and s for s in analysis.headline(result))
        out[name] = to_jsonable(analysis.results(result))
    return out


@pytest.mark.parametrize("name", ANALYSES)
def test_results_are_json_and_hold_every_headline_field_the_index_shows(sample_results, name):
    results = sample_results[name]
    json.dumps(results, allow_nan=False)
    fields = [field.as_dict() for field in registry.get(name).headline_fields]
    assert fields, f"{name} shows no headline figure in the index"
    for figure in fields:
        for key in ("value", "low", "high", "unit_from"):
            if key in figure:
                # The path must exist; its value may be null (e.g. no event was measured).
                found, _ = _lookup(results, figure[key])
                assert found, f"{name}: index headline {figure['label']!r} reads {figure[key]!r}, not in results()"


def test_a_broken_headline_path_is_caught():
    assert _lookup({"totals": {"x": 1}}, "totals.x") == (True, 1)
    assert _lookup({"events": []}, "events.0.level_change") == (False, None)
    assert _lookup({"totals": {"x": None}}, "totals.x") == (True, None)


# --- dependencies -----------------------------------------------------------------------------


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _module_imports(name, path, set(modules)) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            connect(node)
    return found


def test_no_import_cycles():
    graph = _graph()
    # A package's __init__ importing its own submodules is how packages work, not a cycle.
    for name in list(graph):
        graph[name] = {t for t in graph[name] if not (name.startswith(f"{t}.") and PACKAGE.joinpath(*t.split(".")[1:], "__init__.py").exists())}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _imports_anywhere(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_dependencies_point_one_way():
    """analyses -> helpers.analysis <- running: the shared layers import no analysis, and no analysis imports running.

    Checked in both directions and at any depth (imports inside functions too): the runner finds analyses
    through the registry only, and an analysis never reaches up into the layer that runs it.
    """
    analyses = tuple(registry.get(name).package for name in ANALYSES)
    for name, path in _modules().items():
        layer = name.split(".")[1] if "." in name else ""
        imported = _imports_anywhere(path)
        if layer in ("running", "inputs", "report", "analysis", "paths", "exceptions", "privacy"):
            bad = sorted(t for t in imported if t.startswith(tuple(f"{a}." for a in analyses)) or t in analyses)
            assert not bad, f"{name} imports {bad}"
        if name.startswith(analyses):
            bad = sorted(t for t in imported if t.startswith("helpers.running"))
            assert not bad, f"{name} imports the running layer: {bad}"


def test_nothing_is_imported_by_a_string_found_in_a_file():
    """The runner never calls import_module: analyses come from the registry (entry points), never from metadata."""
    offenders = []
    for name, path in _modules().items():
        if not name.startswith("helpers.running"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = node.func if isinstance(node, ast.Call) else None
            if isinstance(called, (ast.Attribute, ast.Name)) and getattr(called, "attr", getattr(called, "id", "")) in (
                "import_module", "__import__",
            ):
                offenders.append(name)
    assert not offenders


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_running_layer_imports_nothing_heavy():
    running = [name for name in _modules() if name.startswith("helpers.running.")]
    loaded = _loaded_after("; ".join(f"import {name}" for name in running))
    heavy = sorted({module.split(".")[0] for module in loaded} & {"pandas", "matplotlib", "duckdb", "ibis", "seaborn"})
    assert not heavy, f"importing the running layer loads {heavy}"
    assert not any(m.startswith(tuple(f"helpers.{a}." for a in ANALYSES)) for m in loaded)


@pytest.mark.parametrize("name", ANALYSES)
def test_parameters_import_without_the_analytical_stack(name):
    loaded = _loaded_after(f"import helpers.{name}; helpers.{name}.Parameters.describe()")
    heavy = sorted({module.split(".")[0] for module in loaded} & set(HEAVY))
    assert not heavy, f"helpers.{name}.Parameters loads {heavy}"


# --- habits -----------------------------------------------------------------------------------

#: Functions allowed past 80 lines, each with its reason.
LONG_FUNCTIONS = {
    "helpers.downtime_sales.baseline.fit_baseline": "one model fit (design, weights, IRLS, drift) read top to bottom",
    "helpers.nps_trends.analysis.analyse": "the analysis as one story: window, periods, tests, trend, segments, tickets",
    "helpers.nps_trends.plots.segment_heatmap": "one chart: cells, hatching, labels and colour scale belong together",
    "helpers.config_usage_audit.plots.usage_quadrant_plot": "one chart: dots, thresholds, quadrant labels, legend",
    "helpers.sample_data.cmdb._write_access_log": "a simulation: each planted trap in the order the truth lists them",
    "helpers.sample_data.cmdb._truth": "the planted truth, one entry per trap",
    "helpers.sample_data.cmdb._plan_streams": "a simulation: one stream of events per planted behaviour",
    "helpers.sample_data.nps._month_chunk": "a simulation of one month of responses, step by step",
    "helpers.sample_data.nps.generate": "the NPS sample, step by step",
}


def _public_functions():
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                yield name, node
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not item.name.startswith("_"):
                        yield f"{name}.{node.name}", item


def test_every_public_function_is_annotated():
    missing = []
    for owner, node in _public_functions():
        arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        unannotated = [a.arg for a in arguments if a.annotation is None and a.arg not in ("self", "cls")]
        if unannotated or node.returns is None:
            missing.append(f"{owner}.{node.name}({', '.join(unannotated)})")
    assert not missing, "public functions without annotations: " + "; ".join(missing)


def test_functions_are_short_and_take_few_positional_arguments():
    too_long, too_many = [], []
    for name, path in _modules().items():
        for node in _function_defs(path):
            qualified = f"{name}.{node.name}"
            length = node.end_lineno - node.lineno + 1
            if length > 80 and qualified not in LONG_FUNCTIONS:
                too_long.append(f"{qualified} ({length} lines)")
            arguments = [*node.args.posonlyargs, *node.args.args]
            positional = len([a for a in arguments if a.arg not in ("self", "cls")])
            if positional >= 9:
                too_many.append(f"{qualified} ({positional} positional)")
    assert not too_long, "functions over 80 lines: " + "; ".join(too_long)
    assert not too_many, "argument clumps (use a small dataclass): " + "; ".join(too_many)


def test_no_figures_travel_in_dataframe_attrs():
    offenders = [str(path) for path in PACKAGE.rglob("*.py") if ".attrs" in path.read_text(encoding="utf-8")]
    assert not offenders
