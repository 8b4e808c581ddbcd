"""The kit in a Jupyter kernel: its errors as one sentence (traceback folded), and its notebooks' first cell."""

from __future__ import annotations

import nbformat
import papermill
import pytest
from nbclient import NotebookClient
from papermill.exceptions import PapermillExecutionError

from helpers.jupyter import CHECK_CELL, KERNEL_DISPLAY_NAME, KERNEL_NAME
from helpers.paths import NOTEBOOKS_DIR

pytestmark = pytest.mark.notebook

_RAISE = """\
from helpers.exceptions import ParameterError

def check(period):
    raise ParameterError(f"Parameter 'period' must be one of 'W', 'M', 'Q'; got {period!r}.")

check('X')
"""


def _execute(cells: list[str], folder, *, allow_errors: bool = True) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    client = NotebookClient(
        nb, kernel_name="python3", timeout=180, allow_errors=allow_errors, resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    return nb


def test_a_kit_error_in_a_cell_is_its_sentence_with_the_traceback_folded(tmp_path):
    nb = _execute(["import helpers", _RAISE, "%tb"], tmp_path)
    error, details = nb.cells[1].outputs
    sentence = "Parameter 'period' must be one of 'W', 'M', 'Q'; got 'X'."
    assert (error.output_type, error.ename, error.evalue) == ("error", "ParameterError", sentence)
    assert error.traceback == [f"\x1b[31mParameterError: {sentence}\x1b[0m"], "one line, not 30"
    folded = details.data["text/html"]
    assert folded.startswith('<details class="itvalue-traceback">') and "<details open" not in folded
    assert "Traceback (most recent call last)" in folded and "in check" in folded
    assert "&#x27;X&#x27;" in folded, "the traceback's text is escaped"
    assert details.data["text/plain"] == "(%tb shows the traceback.)"
    assert any("Traceback" in line for line in nb.cells[2].outputs[0].traceback), "%tb shows the whole traceback"


def test_other_errors_keep_ipythons_traceback(tmp_path):
    nb = _execute(["import helpers", "def f():\n    raise ValueError('not the kit')\nf()"], tmp_path)
    (error,) = nb.cells[1].outputs
    assert error.ename == "ValueError" and len(error.traceback) > 2


def test_papermill_still_sees_the_kit_error(tmp_path):
    notebook = tmp_path / "raises.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CHECK_CELL), nbformat.v4.new_code_cell(_RAISE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebook)
    with pytest.raises(PapermillExecutionError) as caught:
        papermill.execute_notebook(str(notebook), str(tmp_path / "out.ipynb"), kernel_name="python3", progress_bar=False)
    assert caught.value.ename == "ParameterError"
    assert caught.value.evalue == "Parameter 'period' must be one of 'W', 'M', 'Q'; got 'X'."


def test_the_first_cell_names_a_helpers_py_that_hides_the_kit(tmp_path):
    (tmp_path / "helpers.py").write_text("answer = 42\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CHECK_CELL), nbformat.v4.new_code_cell("print('ran')")])
    client = NotebookClient(nb, kernel_name="python3", timeout=180, resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(Exception):  # noqa: B017 - nbclient's CellExecutionError; the outputs are what matter
        client.execute()
    (error,) = nb.cells[0].outputs
    assert error.ename == "KitNotFound"
    assert error.evalue == f"'helpers' is {tmp_path / 'helpers.py'} here, not the itvalue kit: rename that file, which hides the kit."
    assert error.traceback == [f"\x1b[31m{error.evalue}\x1b[0m"]
    assert nb.cells[1].outputs == []


def test_the_first_cell_tells_a_kernel_without_the_kit_what_to_do(tmp_path):
    # A kernel whose Python cannot import the kit (the import is blocked, as if it were not installed).
    nb = _execute(["import sys\nsys.modules['helpers'] = None", CHECK_CELL], tmp_path)
    (error,) = nb.cells[1].outputs
    assert error.ename == "KitNotFound" and len(error.traceback) == 1
    assert "cannot import the itvalue kit: choose the kernel 'Python (itvalue)' (Kernel > Change Kernel)" in error.evalue
    assert "'itvalue kernel install --user'" in error.evalue


def test_the_first_cell_passes_quietly_where_the_kit_is(tmp_path):
    nb = _execute([CHECK_CELL], tmp_path, allow_errors=False)
    assert nb.cells[0].outputs == []


@pytest.mark.parametrize("path", sorted(NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_starts_with_the_check_and_names_the_kits_kernel(path):
    nb = nbformat.read(path, as_version=4)
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert first.source == CHECK_CELL, "regenerate the first code cell from helpers.jupyter.CHECK_CELL"
    assert nb.metadata["kernelspec"]["name"] == KERNEL_NAME
    assert nb.metadata["kernelspec"]["display_name"] == KERNEL_DISPLAY_NAME
    assert f"'{KERNEL_DISPLAY_NAME}'" in CHECK_CELL
