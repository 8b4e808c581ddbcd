"""Is this environment fit to run the kit? Each installed dependency against the floor itvalue declares.

The floors are read from the installed distribution's own metadata (``importlib.metadata``), which
pip wrote from ``pyproject.toml``'s one list of dependencies: nothing here repeats a version. A package
installed below its floor (after ``pip install --no-deps``, or a downgrade by another package) or
missing altogether is one sentence naming the package, the version found and the version needed,
with the pip command that fixes it, before anything imports it. ``itvalue`` checks on start; in a
Jupyter kernel the first ``import helpers`` checks (:mod:`helpers`).

Standard library and ``packaging`` only: this runs before any dependency is trusted.
"""

from __future__ import annotations

import shlex
import sys
from importlib import metadata

from helpers.exceptions import KitError

__all__ = ["DISTRIBUTION", "DependencyError", "check_dependencies", "dependency_problems", "kit_version"]

#: The distribution that installs the ``helpers`` package and the ``itvalue`` command.
DISTRIBUTION = "itvalue"


class DependencyError(KitError):
    """A runtime dependency is missing or older than the floor itvalue declares."""


def kit_version() -> str | None:
    """The installed itvalue's version (None when ``helpers`` runs from a folder on ``sys.path``, uninstalled)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def dependency_problems() -> list[tuple[str, str | None, str]]:
    """``(name, version found or None, requirement)`` for each runtime dependency that does not satisfy its floor.

    Only the dependencies every installation needs (no extra's); an uninstalled kit has none to check.
    """
    try:
        requires = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return []
    try:
        from packaging.requirements import Requirement
        from packaging.version import InvalidVersion, Version
    except ModuleNotFoundError:
        return [("packaging", None, next((r for r in requires if r.startswith("packaging")), "packaging"))]

    problems = []
    for text in requires:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # an extra's dependency ([lab], [test]...) or another platform's
        wanted = f"{requirement.name}{requirement.specifier}"
        try:
            found = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            problems.append((requirement.name, None, wanted))
            continue
        try:
            fits = requirement.specifier.contains(Version(found), prereleases=True)
        except InvalidVersion:
            fits = True  # a local build with a version pip cannot read: not the kit's to judge
        if not fits:
            problems.append((requirement.name, found, wanted))
    return problems


def check_dependencies() -> None:
    """Raise :class:`DependencyError` (one sentence, exit status 2) when a runtime dependency misses its floor."""
    problems = dependency_problems()
    if not problems:
        return
    found = [
        f"{name} {version} but the kit needs {wanted}" if version else f"no {name} but the kit needs {wanted}"
        for name, version, wanted in problems
    ]
    listed = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
    command = f"{shlex.quote(sys.executable)} -m pip install " + " ".join(shlex.quote(w) for _, _, w in problems)
    raise DependencyError(f"This environment ({sys.prefix}) has {listed}; fix it with: {command}")
