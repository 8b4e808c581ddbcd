"""Is this environment fit to run the kit? Each installed dependency against the floor itvalue declares.

The floors are read from the installed distribution's own metadata (``importlib.metadata``), which
pip wrote from ``pyproject.toml``'s one list of dependencies: nothing here repeats a version. A package
installed below its floor (after ``pip install --no-deps``, or a downgrade by another package) or
missing altogether is one sentence naming the package, the version found and the version needed,
with the pip command that fixes it, before anything imports it. ``itvalue`` checks on start; in a
Jupyter kernel the first ``import helpers`` checks (:mod:`helpers`).

Some releases need more of another package than their metadata says, so pip installs them beside a version
they refuse at import (pyarrow 26 raises ImportError under NumPy 1): those pairs are listed here, with what
works, and checked the same way.

Standard library and ``packaging`` only: this runs before any dependency is trusted.
"""

from __future__ import annotations

import shlex
import sys
from importlib import metadata
from typing import NamedTuple

from helpers.exceptions import KitError

__all__ = [
    "DISTRIBUTION", "UNDECLARED_CONFLICTS", "DependencyError", "Problem", "check_dependencies", "dependency_problems",
    "kit_version",
]

#: The distribution that installs the ``helpers`` package and the ``itvalue`` command.
DISTRIBUTION = "itvalue"


#: ``(package, its releases affected, other package, other's releases they fail with, requirement that works)``:
#: what pip cannot see because the package does not declare it. pyarrow 26 dropped NumPy 1 (apache/arrow#48473)
#: without a numpy requirement, so in an environment holding numpy 1.26 pip installs pyarrow 26, whose import fails;
#: pyarrow 25 works with both.
UNDECLARED_CONFLICTS = (("pyarrow", ">=26", "numpy", "<2", "pyarrow<26"),)


class DependencyError(KitError):
    """A runtime dependency is missing, older than the floor itvalue declares, or fails beside another's version."""


def kit_version() -> str | None:
    """The installed itvalue's version (None when ``helpers`` runs from a folder on ``sys.path``, uninstalled)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


class Problem(NamedTuple):
    """A dependency the kit cannot run on, and the pip requirement that fixes it."""

    name: str
    found: str | None  #: the installed version; None when it is missing
    wanted: str  #: a pip requirement, e.g. ``pandas>=2.2``
    beside: str | None = None  #: the other package and version that make ``found`` fail (an undeclared conflict)


def dependency_problems() -> list[Problem]:
    """Each runtime dependency that does not satisfy its floor, then each pair of :data:`UNDECLARED_CONFLICTS` found.

    Only the dependencies every installation needs (no extra's); an uninstalled kit has none to check.
    """
    try:
        requires = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return []
    try:
        from packaging.requirements import Requirement
        from packaging.specifiers import SpecifierSet
        from packaging.version import InvalidVersion, Version
    except ModuleNotFoundError:
        return [Problem("packaging", None, next((r for r in requires if r.startswith("packaging")), "packaging"))]

    problems = []
    for text in requires:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # an extra's dependency ([lab], [test]...) or another platform's
        wanted = f"{requirement.name}{requirement.specifier}"
        try:
            found = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            problems.append(Problem(requirement.name, None, wanted))
            continue
        try:
            fits = requirement.specifier.contains(Version(found), prereleases=True)
        except InvalidVersion:
            fits = True  # a local build with a version pip cannot read: not the kit's to judge
        if not fits:
            problems.append(Problem(requirement.name, found, wanted))
    for name, affected, other, failing, works in UNDECLARED_CONFLICTS:
        try:
            version, other_version = metadata.version(name), metadata.version(other)
            clash = Version(version) in SpecifierSet(affected) and Version(other_version) in SpecifierSet(failing)
        except (metadata.PackageNotFoundError, InvalidVersion):
            continue  # a missing one is reported above; an unreadable version is not the kit's to judge
        if clash:
            problems.append(Problem(name, version, works, beside=f"{other} {other_version}"))
    return problems


def check_dependencies() -> None:
    """Raise :class:`DependencyError` (one sentence, exit status 2) when a runtime dependency misses its floor."""
    problems = dependency_problems()
    if not problems:
        return
    found = [
        f"no {p.name} but the kit needs {p.wanted}" if p.found is None else
        f"{p.name} {p.found} but beside {p.beside} the kit needs {p.wanted}" if p.beside else
        f"{p.name} {p.found} but the kit needs {p.wanted}"
        for p in problems
    ]
    listed = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
    command = f"{shlex.quote(sys.executable)} -m pip install " + " ".join(shlex.quote(p.wanted) for p in problems)
    raise DependencyError(f"This environment ({sys.prefix}) has {listed}; fix it with: {command}")
