"""How an input is declared: its columns, their types and rules (the types; each analysis declares its inputs).

Each analysis package declares the kinds of input it defines in its own ``schemas`` module (the
single source of truth for that kind) and lists them in its :class:`~helpers.analysis.Analysis`;
:func:`helpers.analysis.registry.get_schema` finds a kind among every registered analysis.
Each :class:`Schema` lists its columns with their type, whether the column must be present,
whether cells may be empty, the value rules and the value an absent or empty optional column
takes. :mod:`helpers.inputs` validates and loads against these; ``data/README.md`` documents
them (``tests/inputs/test_inputs.py`` keeps the two in step).

Types, in the user's words, and how they load:

- ``text``: a string (ids are text even when they look like numbers);
- ``number``: a float64 (currency amounts, hours);
- ``integer``: an int64 (a whole number; ``7.0`` is accepted, ``7.5`` is not);
- ``timestamp``: ISO 8601 text or a Parquet/DuckDB timestamp, loaded as a naive
  wall-clock time in the analysis time zone;
- ``boolean``: ``true``/``false`` (also ``1``/``0``, ``yes``/``no``, ``t``/``f``).

Exports from an ITSM tool (``incidents``, ``incident_events``) are read as the tool writes
them: a column may declare ``missing`` markers (ServiceNow data sets write ``?`` for an
empty field) and a timestamp column may accept ``day_first`` dates (``29/2/2016 01:16``,
also with ``-`` or ``.``), the format of many instances' list exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["TIMESTAMP_HELP", "Column", "ColumnType", "Order", "Schema"]

ColumnType = Literal["text", "number", "integer", "timestamp", "boolean"]


@dataclass(frozen=True)
class Column:
    """One column of an input.

    Attributes
    ----------
    name : str
        The exact column name.
    type : {"text", "number", "integer", "timestamp", "boolean"}
        What the values must be.
    description : str
        One line for ``data/README.md``, with the unit.
    required : bool
        The column must be present in the file.
    nullable : bool
        Cells may be empty.
    minimum, maximum : float or None
        Inclusive bounds of numeric values.
    allowed : tuple of str
        The values a text column may hold (after ``fill``); empty = any.
    fill : object
        The value of an absent optional column and of its empty cells (None = null).
    missing : tuple of str
        Cell values that mean "empty" besides a blank cell, e.g. ``("?",)`` in ServiceNow data sets.
    day_first : bool
        A timestamp column also accepts day-first dates, ``29/2/2016 01:16`` (``/``, ``-`` or ``.``);
        month-first dates are ambiguous and are not read.
    """

    name: str
    type: ColumnType
    description: str
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = ()
    fill: object = None
    missing: tuple[str, ...] = ()
    day_first: bool = False

    @property
    def rule(self) -> str:
        """The rule a value must follow, as it reads in an error message."""
        if self.type == "integer":
            if self.minimum is not None and self.maximum is not None:
                text = f"an integer from {_num(self.minimum)} to {_num(self.maximum)}"
            else:
                text = "an integer" + _bounds(self)
        elif self.type == "number":
            text = "a number" + _bounds(self)
        elif self.type == "timestamp" and self.day_first:
            text = "an ISO 8601 timestamp such as 2025-03-01 14:30, or day first such as 1/3/2025 14:30"
        elif self.type == "timestamp":
            text = "an ISO 8601 timestamp such as 2025-03-01 14:30 or 2025-03-01T14:30:00+01:00"
        elif self.type == "boolean":
            text = "true or false"
        elif self.allowed:
            text = "one of " + ", ".join(repr(v) for v in self.allowed)
        else:
            return "must not be empty"
        return "must be " + text


@dataclass(frozen=True)
class Order:
    """A rule between two timestamp columns of a row: ``later`` comes after ``earlier``.

    ``strict`` means strictly after (``end > start``); otherwise equal is allowed
    (``resolved >= opened``). Rows where either value is empty are not checked.
    """

    later: str
    earlier: str
    strict: bool = True

    @property
    def rule(self) -> str:
        """The rule as it reads in an error message."""
        if self.strict:
            return f"'{self.later}' must be after '{self.earlier}'"
        return f"'{self.later}' must not be before '{self.earlier}'"


@dataclass(frozen=True)
class Schema:
    """The columns and rules of one kind of input.

    Attributes
    ----------
    kind : str
        The input kind, as parameters name it (``InputPath("sales")``).
    description : str
        What one row is.
    columns : tuple of Column
        Required and optional columns, in the order they load.
    unique : tuple of str
        Columns whose values (together) identify a row; duplicates are an error.
    order : tuple of Order
        Rules between timestamp columns of a row.
    may_be_empty : bool
        A file with a header and no rows is valid.
    """

    kind: str
    description: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()
    order: tuple[Order, ...] = field(default=())
    may_be_empty: bool = False

    @property
    def required(self) -> list[str]:
        """Names of the columns that must be present."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """The column of that name."""
        return next(c for c in self.columns if c.name == name)


def _num(value: float) -> str:
    return f"{value:g}"


def _bounds(column: Column) -> str:
    parts = []
    if column.minimum is not None:
        parts.append(f">= {_num(column.minimum)}")
    if column.maximum is not None:
        parts.append(f"<= {_num(column.maximum)}")
    return (" " + " and ".join(parts)) if parts else ""


#: How a timestamp column's description ends in every schema.
TIMESTAMP_HELP = "ISO 8601; naive = the analysis time zone"
