"""The kit inside a Jupyter kernel: its errors read as one sentence, and its notebooks check the kernel first.

On the first ``import helpers`` in an IPython kernel (:func:`on_import`), the kit registers an
IPython custom exception handler (``InteractiveShell.set_custom_exc``) for its own errors
(:class:`~helpers.exceptions.KitError`): a cell that raises one shows the kit's sentence, as
``itvalue`` prints it, and the traceback folded under "Technical details", one click away. The
error still reaches the notebook as an ``error`` output with its ``ename`` and ``evalue``, so
papermill, nbclient and the runner see a failed cell as before. Then it checks the installed
dependencies against their floors (:mod:`helpers.installation`).

The check that can only live in the notebook is :data:`CHECK_CELL`, the first code cell of every
notebook of the kit: a kernel that cannot import the kit at all, or a ``helpers.py`` beside the
notebook that hides it, gets one sentence with what to do (a test keeps the notebooks' cell equal to it).
"""

from __future__ import annotations

import html
import sys
import traceback
from typing import Any

from helpers.exceptions import KitError
from helpers.installation import check_dependencies

__all__ = ["CHECK_CELL", "KERNEL_DISPLAY_NAME", "KERNEL_NAME", "on_import", "show_kit_errors"]

#: The kernel spec the kit's notebooks name (``itvalue kernel install`` registers it).
KERNEL_NAME = "itvalue"
#: How JupyterLab lists that kernel.
KERNEL_DISPLAY_NAME = "Python (itvalue)"

#: The first code cell of each of the kit's notebooks. It cannot use the kit (it checks that the kit is
#: there), so it carries its own sentences; importing ``helpers.jupyter`` runs :func:`on_import`.
CHECK_CELL = r'''# First, this kernel must import the itvalue kit; if it cannot, one sentence says what to do.
import sys


class KitNotFound(Exception):
    def _render_traceback_(self):  # IPython shows the sentence alone, no traceback
        return [f"\x1b[31m{self}\x1b[0m"]


try:
    import helpers.jupyter  # noqa: F401 - only the kit has it; importing it checks the kit's dependencies
except ModuleNotFoundError as missing:
    if missing.name not in ("helpers", "helpers.jupyter"):
        raise
    hiding = getattr(sys.modules.get("helpers"), "__file__", None)
    raise KitNotFound(
        f"'helpers' is {hiding} here, not the itvalue kit: rename that file, which hides the kit." if hiding else
        f"This kernel's Python ({sys.executable}) cannot import the itvalue kit: choose the kernel 'Python (itvalue)' "
        "(Kernel > Change Kernel), or register it with 'itvalue kernel install --user' where itvalue is installed."
    ) from None'''

_RED, _RESET = "\x1b[31m", "\x1b[0m"
_DETAILS = (
    '<details class="itvalue-traceback"><summary>Technical details (the error\'s traceback)</summary>'
    '<pre style="white-space: pre-wrap">{}</pre></details>'
)


def on_import() -> None:
    """In an IPython kernel: register :func:`show_kit_errors` and check the dependencies; elsewhere nothing.

    Raises :class:`~helpers.installation.DependencyError` (shown as one sentence by the handler just
    registered) when a dependency is missing or below its floor.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    if KitError not in getattr(shell, "custom_exceptions", ()):
        shell.set_custom_exc((KitError,), show_kit_errors)
    check_dependencies()


def show_kit_errors(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> list[str]:
    """IPython's custom exception handler for KitError: the sentence as the cell's error, the traceback folded.

    The ``error`` output holds the exception's own name and message (what papermill and the runner read)
    and, as its traceback, that one line; a ``display_data`` after it holds the full traceback in a closed
    ``<details>`` (``%tb`` prints it in a terminal).
    """
    sentence = [f"{_RED}{etype.__name__}: {value}{_RESET}"]
    # %tb and the debugger read the last exception from sys, as after any other error.
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    shell._showtraceback(etype, value, sentence)
    frames = tb.tb_next if tb is not None and tb.tb_next is not None else tb  # the first frame is IPython's
    text = "".join(traceback.format_exception(etype, value, frames))
    from IPython.display import display

    display(
        {"text/html": _DETAILS.format(html.escape(text)), "text/plain": "(%tb shows the traceback.)"},
        raw=True,
    )
    return sentence
