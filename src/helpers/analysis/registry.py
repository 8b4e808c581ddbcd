"""The registry of analyses: every :class:`~helpers.analysis.Analysis` installed, found by entry point.

As papermill finds its engines and Ibis its backends, analyses register under the entry point group
``itvalue.analyses`` (``nps_trends = "helpers.nps_trends:ANALYSIS"`` in the kit's own
``pyproject.toml``); a package installed beside the kit registers its own the same way and is listed,
described, run and indexed like the kit's. Loading an entry point imports only its package's
``__init__`` (parameters and schemas: pydantic and the standard library).

The catalog, the kernels, the runner and the index read this registry; nothing imports an analysis
by a string found in a notebook or a file.
"""

from __future__ import annotations

import difflib
import sys
from importlib.metadata import entry_points

from helpers.analysis.contract import Analysis
from helpers.analysis.schemas import Schema
from helpers.exceptions import KitError

__all__ = ["GROUP", "analyses", "for_parameters", "get", "get_schema", "problems", "register", "schemas"]

#: The entry point group analyses register under.
GROUP = "itvalue.analyses"

_LOADED: dict[tuple[str, ...], tuple[dict[str, Analysis], list[str]]] = {}
_REGISTERED: dict[str, Analysis] = {}


def analyses() -> dict[str, Analysis]:
    """Every installed analysis by name, sorted; entry points that cannot load are left out (see :func:`problems`)."""
    return _load()[0]


def problems() -> list[str]:
    """One sentence per registered analysis that could not be loaded (a broken or foreign package)."""
    return list(_load()[1])


def get(name: str) -> Analysis:
    """The analysis ``name``; a KitError naming the installed ones (and the closest) otherwise."""
    found = analyses()
    if name in found:
        return found[name]
    close = difflib.get_close_matches(name, list(found), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; installed: {', '.join(found) or 'none'}."
    raise KitError(f"No analysis named '{name[:100]}' is installed{hint}")


def for_parameters(declaration: type) -> Analysis | None:
    """The analysis whose ``Parameters`` is ``declaration``, if any."""
    return next((a for a in analyses().values() if a.Parameters is declaration), None)


def schemas() -> dict[str, Schema]:
    """Every input kind any installed analysis defines, by kind."""
    return {schema.kind: schema for analysis in analyses().values() for schema in analysis.schemas}


def get_schema(kind: str) -> Schema:
    """The schema of an input kind; ValueError naming the valid kinds otherwise."""
    known = schemas()
    try:
        return known[kind]
    except KeyError:
        close = difflib.get_close_matches(kind, list(known), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ValueError(f"Unknown input kind {kind!r}; {hint}valid kinds: {', '.join(sorted(known))}.") from None


def register(analysis: Analysis) -> None:
    """Register an analysis in this process (as ``papermill_engines.register`` does); an entry point does it for good."""
    if not isinstance(analysis, Analysis):
        raise TypeError(f"register() takes an Analysis, not {type(analysis).__name__}")
    _REGISTERED[analysis.name] = analysis
    _LOADED.clear()


def _load() -> tuple[dict[str, Analysis], list[str]]:
    # Keyed on sys.path: a package that becomes importable (a test's fixture, a venv added) is found.
    key = tuple(sys.path)
    if key not in _LOADED:
        found: dict[str, Analysis] = {}
        broken: list[str] = []
        for point in entry_points(group=GROUP):
            try:
                analysis = point.load()
            except Exception as exc:  # noqa: BLE001 - one broken package must not hide the others
                broken.append(f"The analysis '{point.name}' ({point.value}) could not be loaded: {type(exc).__name__}: {exc}")
                continue
            if not isinstance(analysis, Analysis) or analysis.name != point.name:
                broken.append(f"The entry point '{point.name}' ({point.value}) is not an Analysis named '{point.name}'.")
                continue
            if point.name in found and found[point.name] is not analysis:
                broken.append(f"Two packages register an analysis named '{point.name}'; the first one found is used.")
                continue
            found[point.name] = analysis
        found.update(_REGISTERED)
        _LOADED[key] = (dict(sorted(found.items())), broken)
    return _LOADED[key]
