"""The pages generated from the installed kit: one per analysis, the gallery, and the analyses' API.

At ``builder-inited`` (before Sphinx reads its sources) this lays out a project with ``itvalue init``,
runs each registered analysis's ``default`` parameter set there with ``itvalue run``, and writes
``docs/generated/``:

- ``analyses/<name>.md``: the question, the notebook's introduction, the parameters (their declaration),
  the inputs (their schemas: columns, types, rules), the method (the notebook's "Method notes"), and every
  ``results.json`` field with its type and the value the sample run gave;
- ``gallery.md`` and ``gallery/<name>.png``: each report as headless Chromium (Debian's ``chromium``) shows it;
- ``api_analyses.md``: the API of each analysis package.

Everything comes from the registry (``helpers.analysis.registry.analyses()``), so a newly registered analysis
appears without editing the docs. Screenshots are taken by the build, not committed: they always show what
the code makes today, and the repository holds no images that go stale.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat

#: Width of the gallery's screenshots and how much of each report they show (CSS pixels).
SCREEN = (1280, 2400)


def setup(app: Any) -> dict[str, Any]:
    """Register the generator with Sphinx."""
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def generate(app: Any) -> None:
    """Write ``generated/`` under the docs' source folder from the installed analyses and their sample runs."""
    from helpers.analysis.registry import analyses, problems

    if problems():
        raise RuntimeError("; ".join(problems()))
    out = Path(app.srcdir) / "generated"
    shutil.rmtree(out, ignore_errors=True)
    (out / "analyses").mkdir(parents=True)
    (out / "gallery").mkdir()
    found = analyses()
    # The sample project lives beside the built site; `make docs` starts from an empty one, so what it shows
    # is what the code makes now (a build by hand reuses the runs it finds).
    project = Path(app.outdir).parent / "sample-project"
    if not project.is_dir():
        _itvalue("init", "--no-kernel", str(project), cwd=Path(app.outdir).parent)
    for name, analysis in found.items():
        run = project / "reports" / name / "default"
        if not (run / "results.json").is_file():
            _itvalue("run", name, "--quiet", cwd=project)
        results = json.loads((run / "results.json").read_text(encoding="utf-8"))
        notebook = nbformat.read(project / "notebooks" / analysis.notebook_file, as_version=4)
        (out / "analyses" / f"{name}.md").write_text(_analysis_page(analysis, notebook, results), encoding="utf-8")
        _screenshot(run / "report.html", out / "gallery" / f"{name}.png")
    (out / "analyses" / "index.md").write_text(_analyses_index(found), encoding="utf-8")
    (out / "gallery.md").write_text(_gallery(found), encoding="utf-8")
    (out / "api_analyses.md").write_text(_analyses_api(found), encoding="utf-8")


def _itvalue(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=1800
    )
    if done.returncode != 0:
        raise RuntimeError(f"itvalue {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")


def _screenshot(report: Path, png: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("The gallery needs Debian's chromium: run 'make browser'.")
    with tempfile.TemporaryDirectory(prefix="itvalue-chromium-") as profile:
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-background-networking", f"--user-data-dir={profile}", f"--screenshot={png}",
             f"--window-size={SCREEN[0]},{SCREEN[1]}", report.resolve().as_uri()],
            capture_output=True, timeout=300, check=True, env={**os.environ, "HOME": profile},
        )
    if not png.is_file() or png.stat().st_size < 10_000:
        raise RuntimeError(f"Chromium made no screenshot of {report}.")


def _analyses_index(found: dict[str, Any]) -> str:
    lines = ["# The analyses", "", "Each page is generated from the analysis as it is registered and from a run of its",
             "`default` parameter set on the bundled sample data.", "", "```{toctree}", ":maxdepth: 1", ""]
    lines += list(found)
    return "\n".join([*lines, "```", ""])


def _gallery(found: dict[str, Any]) -> str:
    lines = ["# Gallery", "",
             f"The top of each report of the sample data's `default` set, as headless Chromium shows it at "
             f"{SCREEN[0]} px (taken when these docs were built).", ""]
    for name, analysis in found.items():
        lines += [f"## {analysis.title}", "", f"[{analysis.question}](analyses/{name}.md)", "",
                  f"```{{image}} gallery/{name}.png", f":alt: The {analysis.title} report on the sample data",
                  ":width: 100%", "```", ""]
    return "\n".join(lines)


def _analyses_api(found: dict[str, Any]) -> str:
    lines = ["# The analyses' API", "",
             "Every analysis package exposes the same names (`ANALYSIS`, `Parameters`, `load_inputs`, `analyse`,",
             "`headline`, `results`); its `plots` and `reporting` modules hold its charts and tables.", ""]
    for analysis in found.values():
        lines += [f"## {analysis.package}", "", "```{eval-rst}", f".. automodule:: {analysis.package}", "   :no-members:", ""]
        lines += [f".. autofunction:: {analysis.package}.{module}.{function}" for function, module in
                  (("load_inputs", "loading"), ("analyse", "analysis"))]
        lines.append("")
        for module in ("result", "plots", "reporting"):
            lines += [f".. automodule:: {analysis.package}.{module}", "   :members:", ""]
        lines += ["```", ""]
    return "\n".join(lines)


def _analysis_page(analysis: Any, notebook: Any, results: dict[str, Any]) -> str:
    from helpers.analysis.registry import get_schema

    intro = _markdown_cells(notebook)
    title, _, introduction = intro[0].partition("\n") if intro else ("", "", "")
    lines = [f"# {analysis.title}", "", f"**The question.** {analysis.question}", "",
             f"Notebook `notebooks/{analysis.notebook_file}`; run it with `itvalue run {analysis.name}` "
             f"(`itvalue describe {analysis.name}` lists the parameters).", "", introduction.strip(), ""]
    infos = analysis.Parameters.describe()
    lines += ["## Parameters", "", "| parameter | type | default | what it is |", "|---|---|---|---|"]
    lines += [f"| `{i.name}` | {_cell(i.type)} | `{_cell(json.dumps(i.default, default=str))}` | {_cell(i.help)} |"
              for i in infos]
    lines += ["", "## Inputs", ""]
    for info in infos:
        if not info.input_kind:
            continue
        schema = get_schema(info.input_kind)
        lines += [f"### `{info.name}`: {info.input_kind.replace('_', ' ')}", "", schema.description, "",
                  "| column | required | rule | what it is |", "|---|---|---|---|"]
        lines += [f"| `{c.name}` | {'yes' if c.required else 'no'} | {_cell(c.rule)} | {_cell(c.description)} |"
                  for c in schema.columns]
        lines.append("")
    lines += ["## Method", "", *_method(notebook), ""]
    lines += ["## results.json", "",
              "`itvalue run` writes `results.json` beside each report. The fields, with the value the `default` set "
              "gives on the sample data (`[]` marks a list of records; a list shows its first record) and its unit "
              "from `units` (`share` is a fraction from 0 to 1):", "",
              "| field | type | unit | sample value |", "|---|---|---|---|"]
    lines += [f"| `{path}` | {kind} | {_cell(_unit(path, results))} | {_cell(example)} |"
              for path, kind, example in _fields(results)]
    lines += ["", "```{eval-rst}", f".. autofunction:: {analysis.package}.reporting.results", "   :no-index:", "```", ""]
    return "\n".join(lines)


def _markdown_cells(notebook: Any) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]


def _method(notebook: Any) -> list[str]:
    """The notebook's markdown from its "Method notes" heading on, one heading level down."""
    cells = _markdown_cells(notebook)
    start = next((i for i, text in enumerate(cells) if text.lstrip().lower().startswith("## method")), None)
    if start is None:
        raise RuntimeError("A notebook of the kit has no '## Method notes' section.")
    text = "\n\n".join(cells[start:])
    body = text.split("\n", 1)[1] if "\n" in text else ""
    return [line.replace("## ", "### ", 1) if line.startswith("## ") else line for line in body.splitlines()]


def _fields(value: Any, path: str = "") -> list[tuple[str, str, str]]:
    """Every field of a results.json: dotted path, JSON type, the sample's value (records merged key by key)."""
    if isinstance(value, dict):
        if not value and path:
            return [(path, "object", "{}")]
        return [row for key, item in value.items() for row in _fields(item, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        records = [item for item in value if isinstance(item, dict)]
        if records:
            merged: dict[str, Any] = {}
            for record in records:
                for key, item in record.items():
                    if merged.get(key) is None:
                        merged[key] = item
            return _fields(merged, f"{path}[]")
        kind = f"list of {_kind(value[0])}" if value else "list"
        return [(path, kind, json.dumps(value[:4]) + (" ..." if len(value) > 4 else ""))]
    return [(path, _kind(value), json.dumps(value))]


def _unit(path: str, results: dict[str, Any]) -> str:
    """A figure's unit: ``units`` names it by key, wherever the key appears (helpers.analysis.results)."""
    if path.split(".")[0] in ("analysis", "parameters", "period", "units"):
        return ""
    return str(results.get("units", {}).get(path.rsplit(".", 1)[-1].removesuffix("[]"), ""))


def _kind(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "text", type(None): "null"}.get(type(value), "object")


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")[:300]
