"""The one contract every analysis follows, and the hand-off of its figures to the runner.

An analysis is a subpackage of :mod:`helpers` named like its notebook
(``helpers.nps_trends`` for ``notebooks/nps_trends.ipynb``) that exposes exactly:

``Parameters``
    The pydantic model of the notebook's parameters (a
    :class:`helpers.running.parameters.NotebookParameters`); its module imports pydantic and
    the standard library only, so listing and describing notebooks stays fast.
``load_inputs(params, *, con=None) -> Inputs``
    Open and validate the inputs in the query engine (``con``: an Ibis backend; a new
    DuckDB connection when None).
``analyse(inputs, params) -> Result``
    Everything the report shows; ``Result`` carries ``params`` and ``quality_notes``.
``headline(result) -> list[str]``
    The report's opening sentences, plain text.
``results(result) -> dict``
    Exactly what ``results.json`` holds (JSON types only).

A notebook reads as that story: parameters, ``load_inputs``, ``analyse``, ``headline``,
charts and tables, ``results``. This module imports the standard library only: the
runner reads :data:`RESULTS_MIMETYPE` from here without pulling in pandas or IPython.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["ANALYSES", "CONTRACT", "RESULTS_MIMETYPE", "STANDARD_EXPORTS", "Analysis", "lazy_exports"]

#: The MIME type under which a notebook hands its key figures to the runner (results.json).
RESULTS_MIMETYPE = "application/vnd.itvalue.results+json"

#: The names every analysis package exposes.
CONTRACT = ("Parameters", "load_inputs", "analyse", "headline", "results")

#: The kit's analyses: package names under :mod:`helpers`, each with ``notebooks/<name>.ipynb``.
ANALYSES = ("config_usage_audit", "downtime_sales", "feature_adoption", "nps_trends", "service_outcomes")


@runtime_checkable
class Analysis(Protocol):
    """What the runner, the index and a newcomer may rely on in every analysis package."""

    Parameters: type
    load_inputs: Callable[..., Any]
    analyse: Callable[..., Any]
    headline: Callable[[Any], list[str]]
    results: Callable[[Any], dict[str, Any]]


#: Where every analysis package keeps the contract's heavy names, and its chart and report modules.
STANDARD_EXPORTS = {
    "Inputs": "loading",
    "load_inputs": "loading",
    "analyse": "analysis",
    "Result": "result",
    "headline": "reporting",
    "results": "reporting",
    "plots": "plots",
    "reporting": "reporting",
}


def lazy_exports(package: str, extra: Mapping[str, str] | None = None) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports :data:`STANDARD_EXPORTS` (plus ``extra``,
    ``{attribute: submodule}``) on first use.

    An analysis package's ``Parameters`` must import without pandas, DuckDB or matplotlib, yet
    ``helpers.nps_trends.analyse`` must work as a plain attribute: the heavy submodules load
    only when one of their names is first asked for. A name mapped to itself is a submodule.
    """
    names = {**STANDARD_EXPORTS, **(extra or {})}

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module-level hook of PEP 562
        try:
            module = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        loaded = importlib.import_module(f"{package}.{module}")
        return loaded if module == name else getattr(loaded, name)

    return __getattr__
