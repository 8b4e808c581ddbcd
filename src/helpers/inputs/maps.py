"""Column maps: reading an input whose columns carry an export's names, not the kit's.

Every input parameter ``X_path`` of every analysis has two companions, declared once for all
analyses in :class:`helpers.analysis.parameters.NotebookParameters` (no analysis declares them):

- ``X_columns``: the kit's column -> the export's, each a column name, an SQL expression over
  the export's columns, or a constant (``{ticket_id: number, reopened: "reopen_count > 0",
  channel: "'web'"}``; expressions are checked in :mod:`.expressions`);
- ``X_profile``: a named, ready map with the parsing rules of a tool's export (:mod:`.profiles`),
  ``servicenow`` or ``{name: survey_export, score_column: Q3}``. ``X_columns`` overrides it column
  by column.

Validation gives the path parameter's value as a :class:`MappedSource`, a ``str`` that carries its
:class:`ColumnMap`: analyses hand it to :func:`helpers.inputs.loading.open_input` as they always
did, and the map travels with it (through :func:`helpers.inputs.sources.parse_source` too). What a
map means for a given file is :func:`resolve`d once its columns are known: which column or
expression fills each of the kit's columns (:class:`Binding`), which messages then name in the
user's words (``column 'opened_at' (mapped to 'opened')``). Applying it is :mod:`.mapping`.

``header_rows: auto`` (a profile for survey exports whose tools write 0, 1 or 2 extra header rows):
the leading records, at most three, in which a column mapped to one of the kit's number or integer
columns holds text that is not a number (a question's wording, ``Response``, ``{"ImportId": ...}``).

Standard library and pydantic only (the parameters import it); sqlglot loads when an expression is read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from helpers.analysis.schemas import Schema
from helpers.exceptions import InputDataError, ParameterError

__all__ = [
    "Binding",
    "ColumnMap",
    "MappedSource",
    "Resolved",
    "build_column_map",
    "carry",
    "columns_found",
    "option_names",
    "resolve",
]

#: What ``X_profile`` may hold beside the profile's name: its choices.
_PROFILE_NAME_KEY = "name"
#: At most this many leading records are taken for extra header rows (``header_rows: auto``).
AUTO_HEADER_ROWS = 3


def option_names(parameter: str) -> tuple[str, str]:
    """The map and profile parameters of an input parameter: ``tickets_path`` -> ``tickets_columns``, ``tickets_profile``."""
    stem = parameter.removesuffix("_path")
    return f"{stem}_columns", f"{stem}_profile"


@dataclass(frozen=True)
class ColumnMap:
    """How one input parameter's source is read: the user's map, a profile, or neither.

    Attributes
    ----------
    parameter : str
        The input parameter (``tickets_path``); its options are :func:`option_names` of it.
    kind : str
        The input kind.
    columns : mapping of str to str
        ``X_columns`` as given: the kit's column -> a column name or an SQL expression.
    profile : helpers.inputs.profiles.Profile or None
        The profile ``X_profile`` names.
    choices : mapping of str to str
        The profile's choices given with it (``score_column``).
    """

    parameter: str
    kind: str
    columns: Mapping[str, str] = field(default_factory=dict)
    profile: Any = None
    choices: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.columns and self.profile is None

    @property
    def options(self) -> tuple[str, str]:
        return option_names(self.parameter)

    def record(self) -> dict[str, Any]:
        """What ``run.json`` records (and the runner's check stamps): the map, the profile and its file's sha256."""
        record: dict[str, Any] = {}
        if self.columns:
            record["columns"] = dict(self.columns)
        if self.profile is not None:
            record.update(self.profile.record())
        if self.choices:
            record["choices"] = dict(self.choices)
        return record


class MappedSource(str):
    """An input source string that carries how its columns are read (what an input parameter holds)."""

    column_map: ColumnMap

    def __new__(cls, text: str, column_map: ColumnMap) -> MappedSource:
        self = super().__new__(cls, text)
        self.column_map = column_map
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (MappedSource, (str(self), self.column_map))


def carry(original: str, text: str) -> str:
    """``text`` carrying the map of ``original`` (the same source written another way, e.g. made absolute)."""
    column_map = getattr(original, "column_map", None)
    return MappedSource(text, column_map) if column_map is not None else text


# --- the parameters --------------------------------------------------------------------------

def build_column_map(parameter: str, kind: str, columns: Any, profile: Any) -> ColumnMap:
    """Check ``X_columns`` and ``X_profile`` as given; raise ParameterError with one sentence otherwise."""
    from helpers.analysis.registry import get_schema
    from helpers.inputs.profiles import load_profile

    columns_option, profile_option = option_names(parameter)
    schema = get_schema(kind)
    known = [c.name for c in schema.columns]
    mapped: dict[str, str] = {}
    if columns not in (None, "", {}):
        if not isinstance(columns, Mapping):
            raise ParameterError(
                f"Parameter '{columns_option}' must be a mapping of {_words(kind)} columns to your columns; "
                f"got {_brief(columns)}. Write it as: {columns_option}: {{{known[0]}: your_column}}."
            )
        for key, value in columns.items():
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise ParameterError(
                    f"Parameter '{columns_option}': '{str(key)[:60]}' is not a column of {_words(kind)} data; {hint}"
                    f"its columns: {', '.join(known)}."
                )
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, (int, float)):
                text = repr(value)
            elif isinstance(value, str) and value.strip():
                text = value
            else:
                raise ParameterError(
                    f"Parameter '{columns_option}': '{key}' must name a column or hold an SQL expression; got {_brief(value)}."
                )
            mapped[str(key)] = text
    chosen = None
    choices: dict[str, str] = {}
    if profile not in (None, "", {}):
        if isinstance(profile, str):
            name = profile
        elif isinstance(profile, Mapping) and isinstance(profile.get(_PROFILE_NAME_KEY), str):
            name = profile[_PROFILE_NAME_KEY]
            choices = {str(k): v for k, v in profile.items() if k != _PROFILE_NAME_KEY}
        else:
            raise ParameterError(
                f"Parameter '{profile_option}' must be a profile's name, or a mapping with its name and choices; "
                f"got {_brief(profile)}. Write it as: {profile_option}: NAME, or "
                f"{profile_option}: {{name: NAME, CHOICE: column}}."
            )
        try:
            chosen = load_profile(kind, name)
        except ParameterError as exc:
            raise ParameterError(f"Parameter '{profile_option}': {exc}") from None
        for key, value in choices.items():
            if key not in chosen.choices:
                offered = ", ".join(chosen.choices) or "none"
                raise ParameterError(
                    f"Parameter '{profile_option}': '{key[:60]}' is not a choice of the {name} profile (its choices: {offered})."
                )
            if not isinstance(value, str) or not value.strip():
                raise ParameterError(f"Parameter '{profile_option}': '{key}' must name one of your columns; got {_brief(value)}.")
    return ColumnMap(parameter=parameter, kind=kind, columns=mapped, profile=chosen, choices=choices)


# --- resolving against a file's columns --------------------------------------------------------

@dataclass(frozen=True)
class Binding:
    """What fills one of the kit's columns.

    Attributes
    ----------
    column : str
        The kit's column.
    source : str
        The user's words for it: a column name, or the expression as written.
    how : {"column", "expression", "record_number"}
        A column of the file as it is, an expression (or constant) over its columns, or the
        record's number in its file.
    expression : helpers.inputs.expressions.Expression or None
        The checked expression, for ``how == "expression"``.
    """

    column: str
    source: str
    how: Literal["column", "expression", "record_number"]
    expression: Any = None

    @property
    def reads(self) -> tuple[str, ...]:
        """The file's columns it reads."""
        if self.how == "column":
            return (self.source,)
        return tuple(self.expression.columns) if self.expression is not None else ()


@dataclass(frozen=True)
class Resolved:
    """A map resolved against one file's columns: bindings, and the parsing rules of its profile."""

    bindings: dict[str, Binding]
    missing: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    zone: str | None = None
    header_rows: int | str = 0
    one_row_per: tuple[str, str | None] | None = None
    keep: Any = None

    @property
    def text_columns(self) -> set[str]:
        """The file's columns read as they are (as text from a CSV file, to quote cells as written)."""
        return {b.source for b in self.bindings.values() if b.how == "column"}

    @property
    def is_identity(self) -> bool:
        """Nothing to do: every binding is the kit's own column name and no parsing rule applies."""
        return (
            all(b.how == "column" and b.source == b.column for b in self.bindings.values())
            and not (self.missing or self.formats or self.zone or self.header_rows or self.one_row_per or self.keep)
        )

    def schema(self, schema: Schema) -> Schema:
        """``schema`` with each column in the user's words and the profile's timestamp rules."""
        columns = []
        for column in schema.columns:
            binding = self.bindings.get(column.name)
            if binding is not None:
                column = replace(column, source=binding.source, expression=binding.how != "column")
            if column.type == "timestamp" and (self.formats or self.zone):
                column = replace(column, formats=self.formats, naive_zone=self.zone)
            columns.append(column)
        return replace(schema, columns=tuple(columns))


def resolve(column_map: ColumnMap | None, schema: Schema, file_columns: Sequence[str], name: str) -> Resolved:
    """Which of the file's columns (or which expression) fills each of the kit's columns.

    Parameters
    ----------
    column_map : ColumnMap or None
        The user's map and profile; None reads the kit's own column names.
    schema : Schema
        The input kind's schema.
    file_columns : sequence of str
        The file's columns.
    name : str
        The source's name, for messages.

    Raises
    ------
    InputDataError
        One sentence for columns the map names that the file lacks (listing the file's columns),
        one per expression refused, one for a profile choice that cannot be found.
    """
    present = list(file_columns)
    column_map = column_map or ColumnMap(parameter="", kind=schema.kind)
    profile = column_map.profile
    bindings: dict[str, Binding] = {}
    absent: list[str] = []
    problems: list[str] = []
    for column in schema.columns:
        binding = None
        if column.name in column_map.columns:
            binding = _bind(column.name, column_map.columns[column.name], present, name, absent, problems)
        elif profile is not None and column.name in profile.columns:
            binding = _bind_profile(column, profile, column_map, present, name, absent, problems)
        elif column.name in present:
            binding = Binding(column.name, column.name, "column")
        if binding is not None:
            bindings[column.name] = binding
    if absent:
        noun = "column" if len(absent) == 1 else "columns"
        verb = "is" if len(absent) == 1 else "are"
        problems.insert(0, f"{name}: {noun} {_and(absent)} {verb} not in the file (its columns: {columns_found(present)}).")
    if problems:
        raise InputDataError("\n".join(problems))
    if profile is None:
        return Resolved(bindings=bindings)
    one_row_per = None
    rule = profile.one_row_per
    if rule is not None and rule.key in present and (rule.order is None or rule.order in present):
        # An export without the columns (a plain list, no audit rows) has one row per key already.
        one_row_per = (rule.key, rule.order)
    keep = None
    if profile.keep_rows_where is not None:
        from helpers.inputs.expressions import parse_expression

        keep = parse_expression(profile.keep_rows_where)
        missing = [c for c in keep.columns if c not in present]
        if missing:
            raise InputDataError(
                f"{name}: the {profile.name} profile keeps the rows where {profile.keep_rows_where}, and the file has no "
                f"column {_and([repr(m) for m in missing])} (its columns: {columns_found(present)})."
            )
    return Resolved(
        bindings=bindings,
        missing=profile.missing,
        formats=profile.timestamps.formats,
        zone=profile.timestamps.zone,
        header_rows=profile.header_rows,
        one_row_per=one_row_per,
        keep=keep,
    )


def _bind(column: str, text: str, present: list[str], name: str, absent: list[str], problems: list[str]) -> Binding | None:
    """A value of ``X_columns`` (or of a profile): a column of the file if it names one, else an expression."""
    from helpers.inputs.expressions import ExpressionError, parse_expression

    if text in present:
        return Binding(column, text, "column")
    try:
        expression = parse_expression(text)
    except ExpressionError as exc:
        shown = text if len(text) <= 60 else text[:57] + "..."
        problems.append(
            f"{name}: the value for '{column}', \"{shown}\", is neither a column of the file nor an expression the kit "
            f"accepts: {exc}."
        )
        return None
    missing = [c for c in expression.columns if c not in present]
    if missing:
        if len(expression.columns) == 1 and text.strip().strip('"') == expression.columns[0]:
            absent.append(f"'{missing[0]}' (mapped to '{column}')")
        else:
            absent.append(f"{_and([repr(m) for m in missing])} (in the expression for '{column}')")
        return None
    if len(expression.columns) == 1 and expression.tree.key == "column":
        return Binding(column, expression.columns[0], "column")
    return Binding(column, text, "expression", expression)


def _bind_profile(
    column: Any, profile: Any, column_map: ColumnMap, present: list[str], name: str, absent: list[str], problems: list[str]
) -> Binding | None:
    from helpers.inputs.profiles import FromChoice, RecordNumber

    entry = profile.columns[column.name]
    if isinstance(entry, RecordNumber):
        return Binding(column.name, "the record's number in its file", "record_number")
    if isinstance(entry, FromChoice):
        return _bind_choice(column, entry.choice, profile, column_map, present, name, absent, problems)
    candidates = (entry,) if isinstance(entry, str) else entry
    for candidate in candidates:
        if isinstance(candidate, RecordNumber):
            return Binding(column.name, "the record's number in its file", "record_number")
        if candidate in present or _reads_only(candidate, present):
            return _bind(column.name, candidate, present, name, absent, problems)
    if column.name in present:
        return Binding(column.name, column.name, "column")
    if column.required:
        listed = " or ".join(f"'{c}'" for c in candidates)
        problems.append(
            f"{name}: the {profile.name} profile reads '{column.name}' from {listed}, and the file has none of them "
            f"(its columns: {columns_found(present)}); map it with {column_map.options[0]}: {{{column.name}: your_column}}."
        )
    return None


def _bind_choice(
    column: Any, choice: str, profile: Any, column_map: ColumnMap, present: list[str], name: str,
    absent: list[str], problems: list[str],
) -> Binding | None:
    option = column_map.options[1]
    given = column_map.choices.get(choice)
    if given is not None:
        if given not in present:
            absent.append(f"'{given}' ({choice}, mapped to '{column.name}')")
            return None
        return Binding(column.name, given, "column")
    rule = profile.choices[choice]
    paired = [c for c in present if rule.paired_with and c + rule.paired_with in present]
    found = paired or [
        c for c in present
        if any(re.search(p, c) for p in rule.find) and not (rule.paired_with and c.endswith(rule.paired_with))
    ]
    if len(found) == 1:
        return Binding(column.name, found[0], "column")
    if column.name in present:
        return Binding(column.name, column.name, "column")
    if not column.required and not found:
        return None
    looks = f"the columns that look like it: {_and([repr(c) for c in found[:5]])}" if found else "no column looks like it"
    problems.append(
        f"{name}: say which column holds '{column.name}' ({profile.choices[choice].help}); {looks}; "
        f"choose with {option}: {{name: {profile.name}, {choice}: YOUR_COLUMN}}."
    )
    return None


def _reads_only(text: str, present: list[str]) -> bool:
    """A profile candidate that is an expression over columns the file has."""
    from helpers.inputs.expressions import ExpressionError, parse_expression

    try:
        return all(c in present for c in parse_expression(text).columns)
    except ExpressionError:
        return False


# --- words -----------------------------------------------------------------------------------

def columns_found(columns: Sequence[str]) -> str:
    """A file's columns for a message: at most 20, each at most 40 characters."""
    shown = [c if len(c) <= 40 else c[:37] + "..." for c in list(columns)[:20]]
    more = len(columns) - len(shown)
    return (", ".join(shown) + (f" and {more:,} more" if more > 0 else "")) if columns else "none"


def _and(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _words(kind: str) -> str:
    return kind.replace("_", " ")


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
