"""``itvalue inspect FILE --input KIND``: what a file holds, which profile fits it, and what each missing column needs.

A newcomer's first command on their own data. It prints the file's columns with a few values,
ranks the input kind's profiles by how many of the kit's required columns they find in the file
(and checks the best one by every rule, as a run would), and for each required column that no
map fills it tries the file's columns whose names are closest: each one either fits, or the
first rule it breaks is quoted, in the same sentence a run would stop with. It ends with the
parameters to use: ``tickets_profile: servicenow``, or a ``tickets_columns`` map to complete.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb

from helpers.analysis.registry import get_schema
from helpers.analysis.schemas import Column, Schema
from helpers.exceptions import InputDataError
from helpers.inputs.checking import find_problems
from helpers.inputs.converting import checked_select
from helpers.inputs.mapping import map_relation
from helpers.inputs.maps import ColumnMap, MappedSource, resolve
from helpers.inputs.profiles import available, load_profile
from helpers.inputs.reading import RawRelation, quote_name, read_raw
from helpers.inputs.sources import parse_source

__all__ = ["Fit", "inspect_input", "report"]

#: How many of the file's columns are tried for a required column no map fills.
CANDIDATES = 3


@dataclass(frozen=True)
class Fit:
    """How one profile (or none: the kit's own names) reads the file."""

    name: str | None
    title: str
    found: list[str]
    required: list[str]
    bindings: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return set(self.required) <= set(self.found)


def inspect_input(spec: str, kind: str, *, timezone: str = "UTC") -> list[str]:
    """The lines ``itvalue inspect`` prints (see the module docstring).

    Raises
    ------
    InputDataError
        When the file itself cannot be read (not CSV or Parquet, not UTF-8...).
    """
    schema = get_schema(kind)
    try:
        source = parse_source(spec)
    except FileNotFoundError as exc:
        raise InputDataError(f"{exc}.") from None
    if source.is_engine:
        raise InputDataError(
            f"{spec}: itvalue inspect reads files (CSV, Parquet, DuckDB tables); this is a table an engine holds."
        )
    db = duckdb.connect()
    try:
        raw = read_raw(db, source, text_columns=set(), repeated_names=True)
        lines = _columns(db, raw)
        lines += ["", _kind_line(schema)]
        fits = [_fit(db, source, schema, None)]
        fits += [_fit(db, source, schema, name) for name in available(kind)]
        lines += [""] + _verdict(db, source, schema, raw, fits)
    finally:
        db.close()
    return lines


def report(spec: str, kind: str, *, timezone: str = "UTC") -> str:
    """:func:`inspect_input` as one text."""
    return "\n".join(inspect_input(spec, kind, timezone=timezone))


# --- the file --------------------------------------------------------------------------------

def _columns(db: duckdb.DuckDBPyConnection, raw: RawRelation) -> list[str]:
    (rows,) = db.execute(f"SELECT count(*) FROM ({raw.select()})").fetchone()
    how = raw.format.upper()
    if raw.delimiters:
        delimiters = {d for d in raw.delimiters.values()}
        how += ", " + " and ".join("tab" if d == "\t" else repr(d) for d in sorted(delimiters)) + " separated"
    lines = [f"{raw.name}: {how}, {len(raw.columns)} columns, {rows:,} rows"]
    width = min(max((len(c) for c in raw.columns), default=0), 32)
    for column, examples in _examples(db, raw).items():
        shown = column if len(column) <= 32 else column[:29] + "..."
        lines.append(f"  {shown:<{width}}  {raw.columns[column].lower():<9} {examples}")
    return lines


def _examples(db: duckdb.DuckDBPyConnection, raw: RawRelation) -> dict[str, str]:
    """The first three distinct non-empty values of each column (at most 60 columns shown)."""
    columns = list(raw.columns)[:60]
    if not columns:
        return {}
    picks = ", ".join(
        f"list_slice(list_sort(list(DISTINCT CAST({quote_name(c)} AS VARCHAR)) FILTER (WHERE {quote_name(c)} IS NOT NULL)), 1, 3)"
        for c in columns
    )
    values = db.execute(f"SELECT {picks} FROM (SELECT * FROM ({raw.select()}) LIMIT 1000)").fetchone()
    out = {}
    for column, examples in zip(columns, values):
        texts = [_short(v) for v in (examples or [])]
        out[column] = ", ".join(texts) if texts else "(empty)"
    return out


def _short(value: Any) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= 24 else text[:21] + "..."


def _kind_line(schema: Schema) -> str:
    required = [c.name for c in schema.columns if c.required]
    optional = [c.name for c in schema.columns if not c.required]
    return (
        f"A {schema.kind.replace('_', ' ')} input has the columns {', '.join(required)} (required)"
        + (f" and {', '.join(optional)} (optional)." if optional else ".")
    )


# --- profiles ----------------------------------------------------------------------------------

def _fit(db: duckdb.DuckDBPyConnection, source: Any, schema: Schema, name: str | None) -> Fit:
    """How a profile (None: the kit's own column names) reads the file: what it finds, and every rule the result breaks."""
    profile = load_profile(schema.kind, name) if name is not None else None
    column_map = ColumnMap(parameter=f"{schema.kind}_path", kind=schema.kind, profile=profile)
    required = [c.name for c in schema.columns if c.required]
    title = profile.title if profile is not None else "the kit's own column names"
    raw = read_raw(db, source, text_columns=set(), missing=profile.missing if profile is not None else (), repeated_names=True)
    try:
        resolved = resolve(column_map, schema, list(raw.columns), raw.name)
    except InputDataError as exc:
        found = [c for c in required if c in raw.columns]
        return Fit(name, title, found, required, problems=str(exc).splitlines())
    found = [c for c in required if c in resolved.bindings]
    bindings = {column: binding.source for column, binding in resolved.bindings.items()}
    if set(required) - set(found):
        return Fit(name, title, found, required, bindings)
    try:
        from helpers.inputs.loading import check_input

        check_input(MappedSource(source.spec, column_map), schema.kind)
    except InputDataError as exc:
        return Fit(name, title, found, required, bindings, problems=str(exc).splitlines())
    return Fit(name, title, found, required, bindings)


def _verdict(db: duckdb.DuckDBPyConnection, source: Any, schema: Schema, raw: RawRelation, fits: list[Fit]) -> list[str]:
    option_columns, option_profile = _options(schema.kind)
    ranked = sorted(fits, key=lambda f: (-len(f.found), len(f.problems), f.name is not None, f.name or ""))
    best = ranked[0]
    lines = []
    if best.complete and not best.problems:
        what = f"the {best.name} profile ({best.title})" if best.name else "the kit's own column names"
        lines.append(f"Fits: {what}; every required column is there and every rule holds.")
        lines += _bindings(best, schema)
        lines.append("")
        lines.append(f"Use it with: {option_profile}: {best.name}" if best.name else "Use it as it is: no map is needed.")
    elif best.complete:
        what = f"the {best.name} profile ({best.title})" if best.name else "the kit's own column names"
        lines.append(f"Closest: {what}; every required column is there, but these rules are broken:")
        lines += [f"  {problem}" for problem in best.problems]
        lines += _bindings(best, schema)
        if best.name:
            lines += ["", f"Use it with {option_profile}: {best.name} once the data is fixed, or override a column with "
                      f"{option_columns}."]
    else:
        what = f"the {best.name} profile" if best.name else "the kit's own column names"
        lines.append(
            f"No profile finds every required column; closest: {what} ({len(best.found)} of {len(best.required)})."
        )
        lines += _bindings(best, schema)
        for problem in best.problems:
            lines.append(f"  {problem}")
        suggestion = dict(best.bindings)
        unfilled = []
        for column in (c for c in best.required if c not in best.found):
            lines.append("")
            lines += _candidates(db, source, schema, raw, schema.column(column), suggestion)
            if column not in suggestion:
                unfilled.append(column)
        if unfilled:
            lines += ["", (
                f"No column fits {', '.join(repr(c) for c in unfilled)} as it is: map an SQL expression to it, or write "
                f"a profile (profiles/{schema.kind}/NAME.yml) with the export's date formats and words for empty "
                "(data/README.md, 'Your own profile')."
            )]
        lines += ["", "Try:"]
        if best.name:
            lines.append(f"  {option_profile}: {best.name}")
        mapped = {c: s for c, s in suggestion.items() if c in best.required and (c not in best.bindings or not best.name)}
        if mapped:
            lines.append(f"  {option_columns}: {{{', '.join(f'{c}: {_yaml(s)}' for c, s in mapped.items())}}}")
    others = [f for f in ranked if f is not best and f.name is not None]
    if others:
        lines.append("")
        lines.append("Other profiles: " + "; ".join(
            f"{f.name} ({len(f.found)} of {len(f.required)} required columns"
            + (", rules broken" if f.complete and f.problems else "") + ")"
            for f in others
        ) + ".")
    return lines


def _bindings(fit: Fit, schema: Schema) -> list[str]:
    width = max((len(c) for c in fit.bindings), default=0)
    return [f"  {column:<{width}} <- {source}" for column, source in fit.bindings.items()]


def _candidates(
    db: duckdb.DuckDBPyConnection, source: Any, schema: Schema, raw: RawRelation, column: Column, suggestion: dict[str, str]
) -> list[str]:
    """The file's columns closest in name to a required column, each with the first rule it breaks (or that it fits)."""
    names = list(raw.columns)
    scored = sorted(names, key=lambda n: -_similarity(column.name, n))
    lines = [f"'{column.name}' ({column.type}; {column.description.rstrip('.')}) is not mapped. Closest columns:"]
    for candidate in scored[:CANDIDATES]:
        problem = _first_problem(db, source, schema, column, candidate)
        if problem is None:
            lines.append(f"  {candidate}: fits")
            suggestion.setdefault(column.name, candidate)
        else:
            lines.append(f"  {candidate}: {problem}")
    return lines


def _first_problem(db: duckdb.DuckDBPyConnection, source: Any, schema: Schema, column: Column, candidate: str) -> str | None:
    """The sentence of the first rule ``column`` breaks when read from ``candidate`` (None: no rule broken)."""
    alone = Schema(kind=schema.kind, description=schema.description, columns=(replace(column, required=True),),
                   unique=tuple(k for k in schema.unique if k == column.name))
    column_map = ColumnMap(parameter=f"{schema.kind}_path", kind=schema.kind, columns={column.name: candidate})
    try:
        raw = read_raw(db, source, text_columns={candidate}, repeated_names=True)
        resolved = resolve(column_map, alone, list(raw.columns), raw.name)
        mapped = map_relation(db, raw, alone, resolved)
        labelled = resolved.schema(alone)
        checked = checked_select(labelled, mapped, timezone="UTC", numbered=False)
        numbered = checked_select(labelled, mapped, timezone="UTC", numbered=True)
        problems = find_problems(db, labelled, mapped, checked=checked, numbered=numbered, timezone="UTC")
    except (InputDataError, duckdb.Error) as exc:
        return str(exc).splitlines()[0]
    return re.sub(r"^[^:]+: ", "", problems[0]) if problems else None


def _similarity(kit: str, name: str) -> float:
    a, b = _words(kit), _words(name)
    return difflib.SequenceMatcher(None, a, b).ratio() + (0.5 if a in b or b in a else 0)


def _words(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def _options(kind: str) -> tuple[str, str]:
    """The map and profile parameters of the first analysis input of this kind (``usage_columns`` for feature usage)."""
    from helpers.analysis.registry import analyses
    from helpers.inputs.maps import option_names

    for analysis in analyses().values():
        for parameter, marker in analysis.Parameters.input_fields().items():
            if marker.kind == kind:
                return option_names(parameter)
    return option_names(f"{kind}_path")


def _yaml(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) else '"' + text.replace('"', '\\"') + '"'
