"""Typed notebook parameters, declared once and used by both the runner and the notebook.

Each analysis declares a :class:`NotebookParameters` subclass next to its logic
(e.g. ``helpers.nps_trends.Parameters``). Its fields carry the type, the default and
a one-line help. The notebook's ``parameters`` cell repeats the literal defaults,
one line each with a comment giving type and help (papermill needs literals there;
:func:`parameters_cell` writes it and ``tests/running/test_notebooks.py`` keeps it, the
declaration and ``params/<notebook>/default.yml`` equal) and the next cell calls ``Parameters.from_notebook(globals())``, which
raises :class:`~helpers.exceptions.ParameterError` with the same one-sentence
message the runner prints before any kernel starts.

Input files are declared with :func:`InputPath`, which names the input kind
(``"sales"``, ``"responses"``...) so that the runner can validate the data too. Every input
parameter ``X_path`` also takes, with no declaration of its own, ``X_columns`` (a column map) and
``X_profile`` (a tool's export profile): see :mod:`helpers.inputs.maps`. They are parameters of
every analysis, validated here and injected like the others, but not lines of the notebook's
``parameters`` cell: absent, an input carries the kit's own column names.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import types
import typing
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self

from annotated_types import Ge, Gt, Le, Lt
from pydantic import AfterValidator, BaseModel, ConfigDict, PrivateAttr, ValidationError

from helpers import privacy
from helpers.exceptions import ParameterError
from helpers.inputs.sources import parse_source

__all__ = [
    "NotebookParameters",
    "InputPath",
    "OptionalInputPath",
    "InputFile",
    "ParameterInfo",
    "parameters_cell",
    "python_literal",
    "TimeZone",
    "CurrencyCode",
    "TypeName",
    "Engine",
    "MAX_TEXT_LENGTH",
    "MAX_PATH_LENGTH",
    "MAX_ITEMS",
    "show_value",
]

#: Longest text a parameter may hold (a label, a column name, a currency), in characters.
MAX_TEXT_LENGTH = 500
#: Longest input source (a path, a glob, ``duckdb:...?table=``), in characters.
MAX_PATH_LENGTH = 4096
#: Most items in a list or mapping parameter (segments, events, holidays, channels).
MAX_ITEMS = 1000


@dataclass(frozen=True)
class InputFile:
    """Marks a parameter as an input source of a given kind (a schema an installed analysis declares)."""

    kind: str
    optional: bool = False


def InputPath(kind: str) -> Any:  # noqa: N802 - reads like a type in declarations
    """The type of a required input source parameter of the given kind."""
    return Annotated[str, InputFile(kind)]


def OptionalInputPath(kind: str) -> Any:  # noqa: N802
    """The type of an optional input source parameter; an empty string or None means "none"."""
    return Annotated[str | None, InputFile(kind, optional=True)]


@dataclass(frozen=True)
class TypeName:
    """Says in words what a constrained type accepts, for messages and ``itvalue describe``."""

    text: str


def _known_time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone") from None
    return name


def _currency_code(text: str) -> str:
    # By hand, not pydantic's StringConstraints: that arrived after pydantic 2.0, the floor analysts may have.
    code = text.strip()
    if not re.fullmatch(r"[A-Za-z]{3}", code):
        raise ValueError("not a currency code")
    return code.upper()


#: An IANA time zone name; naive timestamps in the inputs are read in it.
TimeZone = Annotated[str, AfterValidator(_known_time_zone), TypeName("a time zone name such as 'UTC' or 'Europe/Berlin'")]

#: A currency as ISO 4217 codes it (three letters, kept in capitals): the unit of money in reports and results.json.
#: A free label once widened the report index to 2,558 px; every analysis with money declares its currency so.
CurrencyCode = Annotated[
    str, AfterValidator(_currency_code), TypeName("a three-letter currency code (ISO 4217) such as 'EUR'")
]


#: The engine the queries run on: DuckDB in the notebook's process, or Spark (local or a cluster,
#: as Spark's own configuration says); see ``helpers.inputs.loading.connect_engine``.
Engine = Literal["duckdb", "pyspark"]

#: The help of every notebook's ``engine`` parameter.
ENGINE_HELP = "Query engine: duckdb on this machine, or pyspark (Spark, local or the cluster Spark's configuration names)"


@dataclass(frozen=True)
class ParameterInfo:
    """One parameter as ``itvalue describe`` shows it."""

    name: str
    type: str
    default: Any
    help: str
    input_kind: str | None = None


class NotebookParameters(BaseModel):
    """Base class of each notebook's parameter declaration."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    #: Pairs of parameters that must not be in reverse order, e.g. ``(("start", "end"),)``.
    ordered: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: The date parameters that bound the days analysed (``("as_of",)``); by default those of :attr:`ordered`.
    #: A day before all the data in each of them leaves nothing to analyse: a ParameterError, never an empty report.
    window: ClassVar[tuple[str, ...]] = ()
    #: The parameter holding the fewest people a published figure may describe (``"min_n"``); None when the
    #: report's figures are not about groups of people.
    smallest_group_parameter: ClassVar[str | None] = None

    # The column maps and profiles given (X_columns, X_profile), as the user wrote them.
    _input_options: dict[str, Any] = PrivateAttr(default_factory=dict)

    # --- construction -----------------------------------------------------------------
    @classmethod
    def validate_values(cls, values: Mapping[str, Any], *, check_inputs: bool = True) -> Self:
        """Validate a mapping of parameter values (defaults fill what is missing).

        Raises
        ------
        ParameterError
            With one sentence naming the key, the expected type and the value given,
            an unknown key and the closest valid name, or a missing input file.
        """
        options = cls.input_options()
        unknown = [key for key in values if key not in cls.model_fields and key not in options]
        if unknown:
            raise ParameterError(unknown_parameter_message(unknown[0], [*cls.model_fields, *options]))
        cls._check_sizes(values)
        fields = {key: value for key, value in values.items() if key not in options}
        try:
            params = cls.model_validate(_lists_from_scalars(cls, fields))
        except ValidationError as exc:
            raise ParameterError(_explain(cls, exc)) from None
        params._bind_column_maps({key: value for key, value in values.items() if key in options})
        params._check_smallest_group()
        for first, last in cls.ordered:
            a, b = getattr(params, first), getattr(params, last)
            if a is not None and b is not None and b < a:
                raise ParameterError(f"Parameter '{last}' ({b}) must not be before '{first}' ({a}).")
        if check_inputs:
            params.check_input_files()
        return params

    def _check_smallest_group(self) -> None:
        """The smallest group is never under the kit's floor, whatever a parameter asks (:data:`helpers.privacy.MIN_N_FLOOR`)."""
        floor = privacy.MIN_N_FLOOR
        if self.smallest_group_parameter is not None and self.smallest_group() < floor:
            raise ParameterError(
                f"Parameter '{self.smallest_group_parameter}' is {self.smallest_group()}; no report shows a group of "
                f"fewer than {floor} people, so it must be at least {floor}."
            )

    @classmethod
    def _check_sizes(cls, values: Mapping[str, Any]) -> None:
        """Refuse text too long to be a label or a path, and lists too long to be a choice.

        A 100,000-character currency label once ran a kernel to 7.8 GB; no parameter needs that.
        """
        inputs = cls.input_fields()
        for key, value in values.items():
            limit = MAX_PATH_LENGTH if key in inputs else MAX_TEXT_LENGTH
            for text in _texts(value):
                if len(text) > limit:
                    raise ParameterError(
                        f"Parameter '{key}' holds text of {len(text):,} characters; at most {limit:,} are allowed."
                    )
            if isinstance(value, (list, dict)) and len(value) > MAX_ITEMS:
                raise ParameterError(f"Parameter '{key}' has {len(value):,} items; at most {MAX_ITEMS:,} are allowed.")
            marker = inputs.get(key)
            if marker is not None and not marker.optional and (value is None or not str(value).strip()):
                raise ParameterError(
                    f"Parameter '{key}' needs a path to {marker.kind.replace('_', ' ')} data; it is empty."
                )

    @classmethod
    def from_notebook(cls, namespace: Mapping[str, Any]) -> Self:
        """Validate the parameters a notebook's ``parameters`` cell (or papermill) defined.

        Call it as ``params = Parameters.from_notebook(globals())``.
        """
        names = [*cls.model_fields, *cls.input_options()]
        return cls.validate_values({name: namespace[name] for name in names if name in namespace})

    # --- introspection ----------------------------------------------------------------
    @classmethod
    def describe(cls) -> list[ParameterInfo]:
        """Each parameter with its type, default and help, in declaration order."""
        infos = []
        for name, field in cls.model_fields.items():
            marker = _input_marker(field.metadata)
            infos.append(
                ParameterInfo(
                    name=name,
                    type=cls.type_of(name),
                    default=_jsonable(field.default),
                    help=field.description or "",
                    input_kind=marker.kind if marker else None,
                )
            )
        return infos

    @classmethod
    def type_of(cls, name: str) -> str:
        """A parameter's type in the user's words, with the bounds that really hold.

        The smallest group's parameter is declared ``>= 1`` but never goes below the kit's floor
        (:meth:`_check_smallest_group`), so that is the bound ``describe``, the notebook's
        ``parameters`` cell and error messages show: ``an integer >= 10``.
        """
        field = cls.model_fields[name]
        metadata = list(field.metadata)
        if name == cls.smallest_group_parameter:
            metadata = _with_floor(metadata, privacy.MIN_N_FLOOR)
        return describe_type(field.annotation, metadata)

    @classmethod
    def input_options(cls) -> dict[str, tuple[str, str]]:
        """The column map and profile parameters every input has: ``{"tickets_columns": ("tickets_path", "columns"), ...}``."""
        from helpers.inputs.maps import option_names

        options = {}
        for name in cls.input_fields():
            columns, profile = option_names(name)
            options[columns] = (name, "columns")
            options[profile] = (name, "profile")
        return options

    @classmethod
    def describe_input_options(cls) -> list[ParameterInfo]:
        """The column map and profile parameters of each input, as ``itvalue describe`` lists them."""
        from helpers.inputs.profiles import available

        infos = []
        for name, (parameter, what) in cls.input_options().items():
            kind = cls.input_fields()[parameter].kind
            if what == "columns":
                infos.append(ParameterInfo(
                    name=name, type="a mapping of column names to your column names or SQL expressions (or empty)",
                    default=None, input_kind=kind,
                    help=f"Your own columns for {parameter}, e.g. {{kit_column: your_column, other: \"your_count > 0\"}}",
                ))
            else:
                profiles = ", ".join(available(kind)) or "none shipped"
                infos.append(ParameterInfo(
                    name=name, type="a profile's name, or {name: NAME, CHOICE: column} (or empty)", default=None,
                    input_kind=kind, help=f"Read {parameter} as a tool exports it; {kind.replace('_', ' ')} profiles: {profiles}",
                ))
        return infos

    @property
    def input_maps(self) -> dict[str, Any]:
        """The column maps and profiles given, as written (``{"tickets_profile": "servicenow"}``)."""
        return dict(self._input_options)

    def _bind_column_maps(self, given: Mapping[str, Any]) -> None:
        """Check the maps and profiles given and let each input's source carry its own (a MappedSource)."""
        from helpers.inputs.maps import MappedSource, build_column_map

        options = self.input_options()
        kept = {key: value for key, value in given.items() if value not in (None, "", {})}
        for parameter, marker in self.input_fields().items():
            columns, profile = (key for key, (of, _) in options.items() if of == parameter)
            column_map = build_column_map(parameter, marker.kind, kept.get(columns), kept.get(profile))
            value = getattr(self, parameter)
            if value:
                # Fields are frozen; the source is the same text, now carrying how its columns are read.
                self.__dict__[parameter] = MappedSource(value, column_map)
        self._input_options = {key: _jsonable(value) for key, value in kept.items()}

    @classmethod
    def input_fields(cls) -> dict[str, InputFile]:
        """The parameters that name input sources, with their kinds."""
        return {
            name: marker
            for name, field in cls.model_fields.items()
            if (marker := _input_marker(field.metadata)) is not None
        }

    def inputs(self) -> dict[str, tuple[str, str]]:
        """The input sources given: ``{parameter: (kind, source)}``, skipping empty optional ones."""
        return {
            name: (marker.kind, value)
            for name, marker in self.input_fields().items()
            if (value := getattr(self, name))
        }

    def check_input_files(self) -> None:
        """Raise ParameterError naming the parameter and path of the first input that is not there."""
        for name, (_kind, source) in self.inputs().items():
            try:
                parse_source(source)
            except FileNotFoundError as exc:
                raise ParameterError(f"Parameter '{name}': input {exc}.") from None

    def check_input_columns(self, columns: Mapping[str, list[str]]) -> None:
        """Rules between parameters and the columns their inputs hold (e.g. segment columns).

        The runner calls this with ``{parameter: column names}`` once the inputs are validated,
        before any kernel starts; analyses call it when they load. Raise ParameterError.
        """

    def grouping_columns(self) -> dict[str, tuple[str, list[str], tuple[str, ...]]]:
        """The columns a report is broken down by: ``{input parameter: (parameter, columns, not groups)}``.

        ``not groups`` are the input's identifier and free-text columns, never a grouping. The
        runner refuses, before any kernel, a grouping column that identifies people (see
        :mod:`helpers.privacy`); groups are then shown only with :meth:`smallest_group` members.
        """
        return {}

    def smallest_group(self) -> int:
        """The fewest people (rows) a figure of the report may describe: :attr:`smallest_group_parameter`'s value, or 1."""
        return 1 if self.smallest_group_parameter is None else int(getattr(self, self.smallest_group_parameter))

    @classmethod
    def window_fields(cls) -> tuple[str, ...]:
        """The date parameters that bound the days analysed: :attr:`window`, else the date pairs of :attr:`ordered`."""
        if cls.window:
            return cls.window
        return tuple(name for pair in cls.ordered for name in pair if _is_date_type(cls.model_fields[name].annotation))

    def as_dict(self) -> dict[str, Any]:
        """The values as plain JSON types (dates as ISO strings), as papermill injects them; maps and profiles given last."""
        return self.model_dump(mode="json") | self.input_maps


def _is_date_type(annotation: Any) -> bool:
    """A date, an optional date or a list of dates."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _is_date_type(args[0])
    if origin in (typing.Union, types.UnionType, list):
        return any(_is_date_type(a) for a in args if a is not type(None))
    return annotation is dt.date


def _is_list_type(annotation: Any) -> bool:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _is_list_type(args[0])
    if origin in (typing.Union, types.UnionType):
        return any(_is_list_type(a) for a in args if a is not type(None))
    return origin is list


def _lists_from_scalars(cls: type[NotebookParameters], values: Mapping[str, Any]) -> dict[str, Any]:
    """A single value where a list is expected is a one-item list: ``-p segments=region``."""
    return {
        key: [value]
        if value is not None and not isinstance(value, (list, tuple)) and _is_list_type(cls.model_fields[key].annotation)
        else value
        for key, value in values.items()
    }


def parameters_cell(cls: type[NotebookParameters]) -> str:
    """The notebook's ``parameters`` cell, generated from the declaration: one literal default per
    line, with a comment giving the type (allowed values) and the help. A test keeps each notebook's
    cell equal to this."""
    lines = []
    for info in cls.describe():
        # papermill reads a line with a second "=" as no parameter at all, so the comment has none
        comment = f"{info.type}: {info.help}".replace(">=", "≥").replace("<=", "≤").replace(" = ", ": ")
        lines.append(f"{info.name} = {python_literal(info.default)}  # {comment.replace('=', ':')}")
    return "\n".join(lines)


def python_literal(value: Any) -> str:
    """A JSON-typed value as a Python literal, strings in double quotes: ``[{"date": "2025-02-03"}]``."""
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


# --- messages -----------------------------------------------------------------------------

def unknown_parameter_message(key: str, valid: list[str]) -> str:
    """One sentence for an unknown parameter, suggesting the closest valid name."""
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else "valid names: " + ", ".join(valid) + "."
    return f"Unknown parameter '{key}'; {hint}"


def _explain(cls: type[NotebookParameters], exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    key = str(error["loc"][0]) if error["loc"] else "?"
    field = cls.model_fields.get(key)
    expected = cls.type_of(key) if field else "a valid value"
    given = error.get("input")
    examples = getattr(field, "examples", None) if field else None
    syntax = f" Write it as: {key}: {examples[0]}." if examples else ""
    if len(error["loc"]) > 1:
        # The problem is inside a list or mapping: name where, in words, never the library's message.
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"][1:])
        problem = {"missing": "is missing", "extra_forbidden": "is not a known key"}.get(
            error.get("type", ""), f"is not valid (got {_show(given)})"
        )
        return f"Parameter '{key}' must be {expected}; {key}{where} {problem}.{syntax}"
    return f"Parameter '{key}' must be {expected}; got {_show(given)}.{syntax}"


def show_value(value: Any) -> str:
    """A parameter value for a message: as the user wrote it, and at most 80 characters whatever its size."""
    return _show(value)


def _show(value: Any) -> str:
    # Lists and mappings as the user wrote them (YAML/JSON-like), not as Python reprs; built
    # from a bounded part of the value, so a huge or deeply aliased value costs no more to show.
    text = _brief(value) if isinstance(value, (list, dict)) else repr(value[:100] if isinstance(value, str) else value)
    return text if len(text) <= 80 else text[:77] + "..."


def _brief(value: Any, depth: int = 0) -> str:
    """JSON-like text of at most a few items per level and a few levels."""
    if depth > 3:
        return "..."
    if isinstance(value, list):
        parts = [_brief(item, depth + 1) for item in value[:6]] + (["..."] if len(value) > 6 else [])
        return "[" + ", ".join(parts) + "]"
    if isinstance(value, dict):
        items = list(value.items())
        parts = [f"{_brief(str(k), depth + 1)}: {_brief(v, depth + 1)}" for k, v in items[:6]]
        return "{" + ", ".join(parts + (["..."] if len(items) > 6 else [])) + "}"
    if isinstance(value, str):
        value = value[:100]
    return json.dumps(_jsonable(value), ensure_ascii=False, default=str)


def _texts(value: Any, depth: int = 0) -> Iterator[str]:
    """The strings in a parameter value (keys included), a few levels deep."""
    if isinstance(value, str):
        yield value
    elif depth < 4 and isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key, depth + 1)
            yield from _texts(item, depth + 1)
    elif depth < 4 and isinstance(value, list):
        for item in value[:MAX_ITEMS + 1]:
            yield from _texts(item, depth + 1)


def _with_floor(metadata: list[Any], floor: int) -> list[Any]:
    """The constraints with every lower bound raised to ``floor`` (one added when there is none)."""
    raised = [Ge(max(item.ge, floor)) if isinstance(item, Ge) else item for item in metadata]
    return raised if any(isinstance(item, Ge) for item in raised) else [*raised, Ge(floor)]


def describe_type(annotation: Any, metadata: list[Any] | tuple = ()) -> str:
    """A type in the user's words: ``an integer >= 1``, ``one of 'W', 'M', 'Q'``, ``a list of text``."""
    constraints = []
    for item in metadata:
        for attr, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            bound = getattr(item, attr, None)
            if isinstance(item, (Ge, Gt, Le, Lt)) or bound is not None:
                if bound is not None:
                    constraints.append(f"{op} {bound}")
        if getattr(item, "max_length", None) is not None and not isinstance(item, (Ge, Gt, Le, Lt)):
            constraints.append(f"of at most {item.max_length} characters")
    base = _describe(annotation, metadata)
    if not constraints:
        return base
    # "an integer >= 1 (or empty)", not "an integer (or empty) >= 1"
    core, optional, _ = base.partition(" (or empty)")
    return f"{core} {' and '.join(constraints)}{optional}"


def _describe(annotation: Any, metadata: Any = ()) -> str:
    named = next((item for item in metadata or () if isinstance(item, TypeName)), None)
    if named is not None:
        return named.text
    marker = _input_marker(metadata)
    if marker is not None:
        return f"a path to {marker.kind.replace('_', ' ')} data" + (" (or empty for none)" if marker.optional else "")
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _describe(args[0], args[1:])
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        text = " or ".join(_describe(a) for a in rest)
        return text + (" (or empty)" if len(rest) < len(args) else "")
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is list:
        return f"a list of {_plural(_describe(args[0]))}" if args else "a list"
    if origin is dict:
        return f"a mapping of {_plural(_describe(args[0]))} to {_plural(_describe(args[1]))}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a mapping with keys " + ", ".join(annotation.model_fields)
    return {
        bool: "true or false",
        int: "an integer",
        float: "a number",
        str: "text",
        dt.date: "a date (YYYY-MM-DD)",
        dt.datetime: "a date-time (ISO 8601)",
    }.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _plural(text: str) -> str:
    for article in ("an ", "a "):
        if text.startswith(article):
            noun, sep, rest = text[len(article):].partition(" ")
            return noun + ("" if noun.endswith(")") else "s") + sep + rest
    return text


def _input_marker(metadata: Any) -> InputFile | None:
    for item in metadata or ():
        if isinstance(item, InputFile):
            return item
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
