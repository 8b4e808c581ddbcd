"""``itvalue kernel install``: the Jupyter kernel the kit's notebooks name, for the Python itvalue lives in.

The notebooks ask for the kernel spec ``itvalue`` ("Python (itvalue)"); this registers it with
ipykernel's own installer (``ipykernel.kernelspec.install``), so it starts this environment's Python,
the one that imports this kit. ``itvalue init`` registers it too.

- ``--sys-prefix`` (the default): in this environment's ``share/jupyter/kernels``, seen by a JupyterLab
  installed in the same environment (``pip install 'itvalue[lab]'``); several environments each keep their own.
- ``--user``: in the user's Jupyter folder, seen by every JupyterLab of the user, one installed elsewhere
  included (one spec per user: the last environment registered this way wins). A JupyterLab in a virtual
  environment prefers that environment's own spec (jupyter_core's ``JUPYTER_PREFER_ENV_PATH``).

The runner itself does not need it: ``itvalue run`` uses ipykernel's ``python3`` spec, its own Python.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from helpers.exceptions import KitError
from helpers.jupyter import KERNEL_DISPLAY_NAME, KERNEL_NAME

__all__ = ["InstalledKernel", "install_kernel"]


@dataclass(frozen=True)
class InstalledKernel:
    """Where the kernel spec was written, and what Jupyter will start for the name ``itvalue``."""

    path: Path
    user: bool
    #: The kernel spec Jupyter finds first for the name, when it is not the one just written.
    shadowed_by: Path | None = None

    @property
    def sentence(self) -> str:
        """What ``itvalue init`` and ``itvalue kernel install`` print."""
        where = "for this user" if self.user else "in this environment"
        said = f"Jupyter kernel '{KERNEL_DISPLAY_NAME}' ({sys.executable}) registered {where}: {self.path}"
        if self.shadowed_by is not None:
            said += (
                f"; but Jupyter finds the kernel '{KERNEL_NAME}' in {self.shadowed_by} first, which starts another Python: "
                "run 'itvalue kernel install --user' to make this environment's the one"
            )
        return said + "."


def install_kernel(*, user: bool | None = False) -> InstalledKernel:
    """Register the ``itvalue`` kernel spec for this Python and say where.

    ``user`` False: in this environment; True: in the user's Jupyter folder; None: in this environment
    if it can be written, else in the user's folder (``itvalue init``).

    Raises KitError (one sentence, exit 2) when the chosen folder cannot be written.
    """
    # ipykernel's installer imports its debugger, whose pydevd warns about frozen modules on every import.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    from ipykernel.kernelspec import install

    def register(for_user: bool) -> Path:
        prefix = None if for_user else sys.prefix
        return Path(install(user=for_user, kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME, prefix=prefix))

    try:
        path = register(bool(user))
        chosen_user = bool(user)
    except OSError as exc:
        if user is not None:
            folder = "the user's Jupyter folder" if user else f"{sys.prefix}/share/jupyter"
            hint = "" if user else "; use --user"
            raise KitError(f"The kernel could not be registered in {folder} ({exc.strerror or exc}){hint}.") from None
        path, chosen_user = register(True), True  # an environment that is not ours to write (a system Python)
    return InstalledKernel(path, chosen_user, _shadowing(path))


def _shadowing(path: Path) -> Path | None:
    from jupyter_client.kernelspec import KernelSpecManager

    found = KernelSpecManager().find_kernel_specs().get(KERNEL_NAME)
    if found is None or Path(found).resolve() == path.resolve():
        return None
    try:
        argv = KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv
    except Exception:  # noqa: BLE001 - an unreadable spec elsewhere is that spec's problem
        return Path(found)
    same = argv and os.path.realpath(argv[0]) == os.path.realpath(sys.executable)
    return None if same else Path(found)
