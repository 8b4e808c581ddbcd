"""The papermill engine ``itvalue``: papermill's nbclient engine on a warm kernel of its own.

Registered with papermill's engine registry when this module is imported (``import
helpers.running.engine`` and papermill's Python API takes ``engine_name="itvalue"``; a kernel is
started on demand when none was prepared). Not by entry point: papermill loads entry points
while it is itself being imported, and this module subclasses papermill's engine, so an entry
point would make the two imports depend on each other.
"""

from __future__ import annotations

import os
from typing import Any

from papermill.engines import NBClientEngine, papermill_engines

from helpers.inputs import trust
from helpers.running.kernels import take

__all__ = ["ENGINE_NAME", "WarmKernelEngine"]

#: The engine's name for papermill.
ENGINE_NAME = "itvalue"


class WarmKernelEngine(NBClientEngine):
    """Papermill's nbclient engine, run on a warm kernel used by this run alone.

    Extra keyword ``itvalue_checked``: the inputs the caller has checked (see
    :mod:`helpers.inputs.trust`), written where the kernel looks for them.
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
        checked = kwargs.pop("itvalue_checked", None)
        kernel = take(kernel_name, os.getcwd())  # papermill has moved into the run's working folder
        try:
            if checked:
                trust.write_record(kernel.checked_record, checked)
            return super().execute_managed_notebook(nb_man, kernel_name, km=kernel.manager, **kwargs)
        finally:
            kernel.shutdown()


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
