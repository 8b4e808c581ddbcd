"""How an input is declared: its columns, their types and rules (the types; each analysis declares its inputs).

Each analysis package declares the kinds of input it defines in its own ``schemas`` module (the
single source of truth for that kind) and lists them in its :class:`~helpers.analysis.contract.Analysis`;
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

A column map or a profile (:mod:`helpers.inputs.maps`) reads a kind from an export with other column
names: it gives each column the user's words (``source``, used in every message), and may add the
date formats the export writes and the zone its naive times are in.
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
    source : str or None
        Set by a column map, never by a schema: the user's column (or SQL expression) this
        column is read from, so that messages speak of it.
    expression : bool
        ``source`` is an SQL expression (or a constant), not a column name.
    formats : tuple of str
        Set by a profile: ``strptime`` formats a text timestamp may also be written in
        (``%d/%m/%Y %H:%M`` reads ``29/2/2016 01:16``), tried in order after ISO 8601.
    naive_zone : str or None
        Set by a profile: the IANA zone the export writes naive timestamps in (``UTC``);
        None = the analysis time zone.
    grouping : bool
        The column groups people (a region, a department, a team), so a report may be broken down
        by it; no other column may (:mod:`helpers.privacy`), unless the project declares it one.
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
    source: str | None = None
    expression: bool = False
    formats: tuple[str, ...] = ()
    naive_zone: str | None = None
    grouping: bool = False

    @property
    def shown(self) -> str:
        """The column as messages name it: ``column 'opened'``, or ``column 'opened_at' (mapped to 'opened')``."""
        if self.source is None or (self.source == self.name and not self.expression):
            return f"column '{self.name}'"
        if self.expression:
            text = self.source if len(self.source) <= 60 else self.source[:57] + "..."
            return f'expression "{text}" (mapped to \'{self.name}\')'
        return f"column '{self.source}' (mapped to '{self.name}')"

    @property
    def short(self) -> str:
        """The user's name of the column where a map renames one (values in messages are labelled with it)."""
        return self.source if self.source is not None and not self.expression else self.name

    @property
    def label(self) -> str:
        """The column's short name in messages: ``'opened'``, or ``'opened_at' (mapped to 'opened')``."""
        return self.shown.removeprefix("column ")

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
        elif self.type == "timestamp" and self.formats:
            written = " or ".join(_written(f) for f in self.formats[:2])
            text = f"a timestamp written like {written}, or ISO 8601 such as 2025-03-01 14:30"
            if len(self.formats) > 2:  # every format, but one example is enough to read them
                text = (f"an ISO 8601 timestamp such as 2025-03-01 14:30, or one written as {_written(self.formats[0])}, "
                        + ", ".join(self.formats[1:]))
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
        return self.rule_between(f"'{self.later}'", f"'{self.earlier}'")

    def rule_between(self, later: str, earlier: str) -> str:
        """The rule with the two columns named as given (their labels when a map renames them)."""
        if self.strict:
            return f"{later} must be after {earlier}"
        return f"{later} must not be before {earlier}"


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
    empty_words : tuple of str
        Cell texts that mean "empty" in this kind of input, as some exporters write them
        (FOCUS exports write ``NULL``), in its own and its extra text columns; compared with the
        cell exactly as written.
    extra_groupings : tuple of str
        Columns the kind often carries beyond its own (a survey's ``region``), declared groupings
        when present; they are not loaded as the schema's columns.
    person : str or None
        The column naming the person a row is about (``user_id``, ``caller_id``): group sizes
        count its distinct values, so a group of 40 tickets of one caller is a group of one.
    """

    kind: str
    description: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()
    order: tuple[Order, ...] = field(default=())
    may_be_empty: bool = False
    empty_words: tuple[str, ...] = ()
    extra_groupings: tuple[str, ...] = ()
    person: str | None = None

    @property
    def groupings(self) -> tuple[str, ...]:
        """The columns a report may be broken down by: those marked ``grouping``, then the extra ones."""
        return (*(c.name for c in self.columns if c.grouping), *self.extra_groupings)

    @property
    def required(self) -> list[str]:
        """Names of the columns that must be present."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """The column of that name."""
        return next(c for c in self.columns if c.name == name)

    def order_rule(self, order: Order) -> str:
        """An order rule as a message says it, naming the columns in the user's words."""
        return order.rule_between(self.column(order.later).label, self.column(order.earlier).label)


def _written(fmt: str) -> str:
    """A strptime format as an example date (29 February 2016, 01:16:09) and the format itself."""
    import datetime as dt

    try:
        example = dt.datetime(2016, 2, 29, 1, 16, 9).strftime(fmt.replace("%-", "%"))
    except ValueError:
        return fmt
    return f"{example} ({fmt})"


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
