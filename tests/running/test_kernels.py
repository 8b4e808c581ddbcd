"""What a warm kernel imports, and the HTML exporter a process builds once and reuses."""

from __future__ import annotations

import subprocess
import sys

import nbformat

from helpers.running import kernels
from helpers.running.catalog import find_notebook
from helpers.running.export import notebook_to_html
from helpers.running.failures import find_failure


def test_a_kernel_warms_the_notebooks_own_analysis_and_nothing_it_never_uses():
    imports = kernels.imports_for(find_notebook("nps_trends").analysis)
    assert imports[: len(kernels.WARM_IMPORTS)] == kernels.WARM_IMPORTS
    assert {"helpers.nps_trends", "helpers.nps_trends.analysis", "helpers.nps_trends.plots"} <= set(imports)
    assert not any(name.startswith(("helpers.downtime_sales", "helpers.feature_adoption")) for name in imports)
    assert "statsmodels.api" not in imports


def test_a_notebook_without_a_kit_analysis_warms_the_common_stack():
    assert kernels.imports_for(None) == kernels.WARM_IMPORTS


def test_listing_what_to_warm_does_not_load_the_analytical_stack():
    code = (
        "import sys\nfrom helpers.running import kernels\nfrom helpers.running.catalog import find_notebook\n"
        "kernels.imports_for(find_notebook('nps_trends').analysis)\n"
        "print(sorted(m for m in ('scipy', 'statsmodels', 'matplotlib', 'seaborn', 'ibis') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _page(*, failed: bool) -> nbformat.NotebookNode:
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="bad month", traceback=[])
    shown = nbformat.v4.new_output("stream", name="stdout", text="after the failure\n")
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("## Before"),
            nbformat.v4.new_code_cell("", outputs=[error] if failed else []),
            nbformat.v4.new_markdown_cell("## After"),
            nbformat.v4.new_code_cell("", outputs=[shown]),
        ]
    )


def test_reports_rendered_one_after_another_carry_nothing_from_the_one_before():
    failed = _page(failed=True)
    first = notebook_to_html(failed, failure=find_failure(failed), footer="first run")
    second = notebook_to_html(_page(failed=False), footer="second run")
    third = notebook_to_html(failed, failure=find_failure(failed), footer="third run")
    assert "This run failed" in first and "after the failure" not in first
    assert "This run failed" not in second and "after the failure" in second
    assert "first run" not in second and "second run" in second
    assert third.replace("third run", "first run") == first
