"""The papermill engine ``itvalue``: papermill's nbclient engine on a warm kernel of its own.

Registered with papermill's engine registry when this module is imported (``import
helpers.running.engine`` and papermill's Python API takes ``engine_name="itvalue"``; a kernel is
started on demand when none was prepared). Not by entry point: papermill loads entry points
while it is itself being imported, and this module subclasses papermill's engine, so an entry
point would make the two imports depend on each other.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from papermill.engines import NBClientEngine, papermill_engines

from helpers.inputs import trust
from helpers.running.kernels import KernelStartError, take

__all__ = ["ENGINE_NAME", "WarmKernelEngine"]

#: The engine's name for papermill.
ENGINE_NAME = "itvalue"


class WarmKernelEngine(NBClientEngine):
    """Papermill's nbclient engine, run on a warm kernel used by this run alone.

    Extra keywords: ``itvalue_checked``, the inputs the caller has checked (see
    :mod:`helpers.inputs.trust`), written where the kernel looks for them; ``itvalue_kernel_log``,
    where to keep the kernel's own output (if it said anything: a dead kernel's last words);
    ``itvalue_project``, the project the caller checked the run in, which the kernel is told (papermill
    has changed the working folder by now, so it cannot be found here).
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
        checked = kwargs.pop("itvalue_checked", None)
        kept_log = kwargs.pop("itvalue_kernel_log", None)
        project = kwargs.pop("itvalue_project", None)
        try:
            kernel = take(kernel_name, os.getcwd(), project=project)  # papermill has moved into the run's working folder
        except KernelStartError as exc:
            if kept_log:
                with contextlib.suppress(OSError):
                    shutil.copyfile(exc.log, kept_log)
            exc.log.unlink(missing_ok=True)
            raise
        try:
            if checked:
                trust.write_record(kernel.checked_record, checked)
            return super().execute_managed_notebook(nb_man, kernel_name, km=kernel.manager, **kwargs)
        finally:
            if kept_log:
                kernel.keep_log(Path(kept_log))
            kernel.shutdown()


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
