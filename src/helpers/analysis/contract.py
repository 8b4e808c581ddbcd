"""The one contract every analysis follows, as a type: :class:`Analysis`.

An analysis is a package (``helpers.nps_trends``) that declares one :class:`Analysis` object,
registered under the entry point group ``itvalue.analyses`` (see :mod:`.registry`). The object
says what the runner, the index and a newcomer may rely on:

``Parameters``
    The pydantic model of the notebook's parameters (a :class:`~helpers.analysis.parameters.NotebookParameters`);
    its module imports pydantic and the standard library only, so listing stays fast.
``load_inputs(params, *, con=None) -> Inputs``
    Open and validate the inputs in the query engine (``con``: an Ibis backend; a new DuckDB
    connection when None).
``analyse(inputs, params) -> Result``
    Everything the report shows; ``Result`` is frozen and carries ``params`` and ``quality_notes``.
    Run with one BLAS thread (:mod:`.reproducible`), so the figures do not depend on the machine.
``headline(result) -> list[str]``
    The report's opening sentences, plain text.
``results(result) -> dict``
    Exactly what ``results.json`` holds, in the common layout (:mod:`helpers.analysis.results`).

and, beside those, the package's input kinds (``schemas``), the index's headline figures
(``headline_fields``), its money figures for the index's page "IT value beside IT cost"
(``money_fields``), the check of parameters against data made before any kernel starts
(``data_check``), the modules a kernel warms for its notebook (``warm``) and the sample-data
generator (``sample``). The package exports the contract functions lazily (:func:`lazy_exports`):
``import helpers.nps_trends`` loads its parameters and nothing of the analytical stack.

A notebook reads as that story: parameters, ``load_inputs``, ``analyse``, ``headline``, charts and
tables, ``results``. This module imports the standard library only (and the vocabulary's types).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from helpers.analysis.parameters import NotebookParameters
    from helpers.analysis.schemas import Schema

__all__ = ["CONTRACT", "RESULTS_MIMETYPE", "STANDARD_EXPORTS", "Analysis", "HeadlineField", "MoneyField", "lazy_exports"]

#: The MIME type under which a notebook hands its key figures to the runner (results.json).
RESULTS_MIMETYPE = "application/vnd.itvalue.results+json"

#: The names every analysis package exposes.
CONTRACT = ("Parameters", "load_inputs", "analyse", "headline", "results")

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


@dataclass(frozen=True)
class HeadlineField:
    """One figure the reports index shows for a run: a path into ``results.json`` and how to read it.

    ``value``, ``low`` and ``high`` are dotted paths (``totals.net_lost_revenue``, ``periods.-1.nps``);
    the unit is ``unit``, else read from the results at ``unit_from`` (by default ``units.<figure>``);
    ``no_effect`` is the value meaning "no effect" (0 for a change, 1 for a ratio): an interval that
    spans it is called inconclusive.
    """

    label: str
    value: str
    low: str | None = None
    high: str | None = None
    unit: str | None = None
    unit_from: str | None = None
    no_effect: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The field as ``run.json`` records it (what the index reads for runs of an analysis no longer installed)."""
        spec: dict[str, Any] = {"label": self.label, "value": self.value}
        for key in ("low", "high", "unit", "unit_from", "no_effect"):
            if getattr(self, key) is not None:
                spec[key] = getattr(self, key)
        if self.unit is None and self.unit_from is None:
            spec["unit_from"] = f"units.{self.value.split('.')[-1]}"
        return spec


#: What a money figure's value covers: the run's period (``period`` in results.json), or a rate per month or year.
MONEY_PER = ("period", "month", "year")
#: Which side of the page "IT value beside IT cost" a money figure stands on.
MONEY_SIDES = ("cost", "at_stake")


@dataclass(frozen=True)
class MoneyField(HeadlineField):
    """One money figure of an analysis for the reports index's page "IT value beside IT cost".

    As a :class:`HeadlineField` (dotted paths into ``results.json``; the unit, a currency code, from
    ``unit`` or ``unit_from``), plus:

    ``per``
        ``"period"``: the value is a total over the run's period (``period.start`` to ``period.end``
        of the common layout); ``"month"`` or ``"year"``: a rate, at the period's end.
    ``side``
        ``"cost"``: what IT spends (per service, per unit, outside IT's books); ``"at_stake"``: money the
        business loses or pays for nothing (sales lost to outages, unused licence seats, unread data's upkeep).
    ``level_from``
        A path to the interval's level, a share from 0 to 1 (``parameters.confidence``), shown beside it.
    ``rows``, ``row_label``
        A path to a list in ``results.json``: the field is then read in every row (``value``, ``low`` and
        ``high`` relative to the row, ``unit_from`` from the top), each named by ``row_label`` formatted with
        the row's values (``"{service}, per {unit}"``); a row whose value is null is left out (the figure does
        not apply to it).
    """

    per: str = "period"
    side: str = "cost"
    level_from: str | None = None
    rows: str | None = None
    row_label: str | None = None

    def __post_init__(self) -> None:
        if self.per not in MONEY_PER:
            raise ValueError(f"MoneyField {self.label!r}: per must be one of {MONEY_PER}, not {self.per!r}")
        if self.side not in MONEY_SIDES:
            raise ValueError(f"MoneyField {self.label!r}: side must be one of {MONEY_SIDES}, not {self.side!r}")
        if (self.rows is None) != (self.row_label is None):
            raise ValueError(f"MoneyField {self.label!r}: rows and row_label go together")

    def as_dict(self) -> dict[str, Any]:
        """The field as the index reads it (:meth:`HeadlineField.as_dict` plus ``per``, ``side``, the level and the rows)."""
        spec = {**super().as_dict(), "per": self.per, "side": self.side}
        if self.level_from is not None:
            spec["level_from"] = self.level_from
        if self.rows is not None:
            spec.update(rows=self.rows, row_label=self.row_label)
        return spec


@dataclass(frozen=True)
class Analysis:
    """One analysis: its notebook's name, its parameters, its inputs, its figures, and the contract's functions.

    Attributes
    ----------
    name : str
        The notebook's name (``notebooks/<name>.ipynb``) and the registry's key.
    package : str
        The package that implements the contract (``helpers.nps_trends``).
    title, question : str
        As the index and ``itvalue list`` show them; the question in one sentence.
    Parameters : type
        The parameter declaration.
    schemas : tuple of Schema
        The input kinds this analysis defines (others it reads, e.g. ``responses``, belong to another).
    headline_fields : tuple of HeadlineField
        The index's figures for a run, first the one the "at a glance" line shows.
    money_fields : tuple of MoneyField
        The run's money figures for the index's page "IT value beside IT cost" (what outages cost in sales,
        what IT costs per service...): read from the latest good run of the default set, never added up.
    data_check : callable, optional
        ``data_check(params, con=...)`` checks parameters against the inputs' data before any kernel starts
        (a window with no data, a channel the sales do not have), on ``con``, an Ibis DuckDB connection the
        runner gives it (never another engine's: the runner starts no Spark session); ParameterError or
        InputDataError.
    warm : tuple of str
        Submodules a kernel imports while it waits for this analysis's notebook (those the notebook uses).
    sample : callable, optional
        ``sample(out_dir, scale=..., seed=...) -> dict`` writes the bundled sample inputs into ``out_dir``
        and returns their planted truth (``truth.json``'s entry for this analysis).
    """

    name: str
    package: str
    title: str
    question: str
    Parameters: type[NotebookParameters]  # noqa: N815 - the contract's name for it
    schemas: tuple[Schema, ...] = ()
    headline_fields: tuple[HeadlineField, ...] = ()
    money_fields: tuple[MoneyField, ...] = ()
    data_check: Callable[[Any], None] | None = None
    warm: tuple[str, ...] = ("loading", "analysis", "plots", "reporting")
    sample: Callable[..., dict[str, Any]] | None = field(default=None, compare=False)

    # --- the contract's functions, loaded on first use --------------------------------------------
    def load_inputs(self, params: Any, *, con: Any = None) -> Any:
        """The validated inputs (see the package's ``load_inputs``)."""
        return self._export("load_inputs")(params, con=con)

    def analyse(self, inputs: Any, params: Any, **options: Any) -> Any:
        """The ``Result`` (see the package's ``analyse``), computed with one BLAS thread."""
        from helpers.analysis.reproducible import one_blas_thread

        return one_blas_thread(self._export("analyse"))(inputs, params, **options)

    def headline(self, result: Any) -> list[str]:
        """The report's opening sentences."""
        return self._export("headline")(result)

    def results(self, result: Any) -> dict[str, Any]:
        """What ``results.json`` holds."""
        return self._export("results")(result)

    def kernel_imports(self) -> tuple[str, ...]:
        """The modules a kernel imports ahead of this analysis's notebook: the package and its :attr:`warm` modules."""
        return (self.package, *(f"{self.package}.{module}" for module in self.warm))

    @property
    def notebook_file(self) -> str:
        """The notebook's file name in a project's ``notebooks/``."""
        return f"{self.name}.ipynb"

    def _export(self, name: str) -> Callable[..., Any]:
        return getattr(importlib.import_module(self.package), name)


def lazy_exports(package: str, extra: Mapping[str, str] | None = None) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's ``__getattr__`` and ``__dir__`` that import :data:`STANDARD_EXPORTS` (plus ``extra``,
    ``{attribute: submodule}``) on first use, and list them for tab completion and ``help()``.

    An analysis package's ``Parameters`` must import without pandas, DuckDB or matplotlib, yet
    ``helpers.nps_trends.analyse`` must work as a plain attribute: the heavy submodules load only
    when one of their names is first asked for. A name mapped to itself is a submodule. As Ibis does,
    ``__dir__`` lists what ``__getattr__`` would give, so ``nps.<Tab>`` offers every name.
    ``analyse`` comes wrapped to compute with one BLAS thread (:mod:`.reproducible`).
    """
    names = {**STANDARD_EXPORTS, **(extra or {})}
    module = sys.modules[package]

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module-level hook of PEP 562
        try:
            submodule = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        loaded = importlib.import_module(f"{package}.{submodule}")
        value = loaded if submodule == name else getattr(loaded, name)
        if name == "analyse":
            from helpers.analysis.reproducible import one_blas_thread  # the same figures however the run was started

            value = one_blas_thread(value)
        return value

    def __dir__() -> list[str]:  # noqa: N807 - the module-level hook of PEP 562
        return sorted({*getattr(module, "__all__", ()), *names})

    return __getattr__, __dir__

