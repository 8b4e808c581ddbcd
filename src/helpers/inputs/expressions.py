"""SQL expressions in column maps: the user's text checked, then written for the engine that evaluates it.

A map value that is not a column of the input (``reopen_count > 0``, ``'web'``,
``coalesce(resolved_at, closed_at)``) is an expression in DuckDB's SQL dialect. It is user text, so
it is parsed with sqlglot (the SQL parser and transpiler Ibis compiles with) and accepted only if
every node of its syntax tree is on a short list: column names, constants, arithmetic,
comparisons, ``AND``/``OR``/``NOT``, ``CASE``, ``CAST``, and scalar functions that compute from
their arguments alone (:data:`FUNCTIONS`). Anything else is refused with a sentence naming it: a
subquery, a second statement, a table-qualified name, an aggregate or window function, a
parameter placeholder, and every function not listed, among them those that read files, URLs
or settings (DuckDB's ``read_csv``, ``read_text``, ``getenv``, httpfs URLs through them).

The SQL that runs is written back from the checked tree, not taken from the text: identifiers
quoted, comments dropped, in the dialect of the engine that evaluates it (DuckDB for files,
PostgreSQL or Spark SQL for tables held there). A construct that dialect cannot express is
refused there with a sentence (:class:`ExpressionError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

__all__ = ["Expression", "ExpressionError", "FUNCTIONS", "describe_node", "parse_expression"]

#: The longest syntax tree accepted, in nodes: a map value is a small scalar expression.
MAX_NODES = 200

#: Scalar functions a map may call, by the name users write (sqlglot's node class beside it).
FUNCTIONS: dict[str, type[exp.Expression]] = {
    "abs": exp.Abs,
    "ceil": exp.Ceil,
    "coalesce": exp.Coalesce,
    "concat": exp.Concat,
    "contains": exp.Contains,
    "floor": exp.Floor,
    "greatest": exp.Greatest,
    "least": exp.Least,
    "left": exp.Left,
    "length": exp.Length,
    "lower": exp.Lower,
    "nullif": exp.Nullif,
    "regexp_extract": exp.RegexpExtract,
    "regexp_matches": exp.RegexpLike,
    "regexp_replace": exp.RegexpReplace,
    "replace": exp.Replace,
    "right": exp.Right,
    "round": exp.Round,
    "split_part": exp.SplitPart,
    "starts_with": exp.StartsWith,
    "strptime": exp.StrToTime,
    "substring": exp.Substring,
    "to_timestamp": exp.UnixToTime,
    "trim": exp.Trim,
    "upper": exp.Upper,
}

# Structure that computes nothing by itself, operators, and the CASE/CAST forms.
_SYNTAX: tuple[type[exp.Expression], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Neg, exp.Not,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.Like, exp.ILike, exp.In, exp.Between,
    exp.And, exp.Or, exp.DPipe, exp.Case, exp.If, exp.Cast, exp.TryCast, exp.DataType, exp.DataTypeParam,
)
_ALLOWED = frozenset(_SYNTAX) | frozenset(FUNCTIONS.values())
_TYPES = frozenset({
    exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR,
    exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.INT, exp.DataType.Type.BIGINT,
    exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE, exp.DataType.Type.DECIMAL,
    exp.DataType.Type.BOOLEAN, exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPTZ,
})
# What a refused node is called in the sentence, when its class name would not say it.
_NAMES = {
    exp.Subquery: "a subquery", exp.Select: "a SELECT", exp.Exists: "EXISTS", exp.Star: "*",
    exp.Placeholder: "a parameter placeholder", exp.Window: "a window (OVER)", exp.Alias: "an alias (AS)",
    exp.Dot: "a dotted name", exp.Bracket: "an index ([...])", exp.Lambda: "a lambda",
}


class ExpressionError(ValueError):
    """An expression refused or that an engine cannot evaluate; the message is the reason, lower case, no full stop."""


@dataclass(frozen=True)
class Expression:
    """A checked map expression.

    Attributes
    ----------
    text : str
        As the user wrote it (what messages quote).
    columns : tuple of str
        The input's columns it reads.
    """

    text: str
    columns: tuple[str, ...]
    tree: exp.Expression = field(repr=False, compare=False)

    @property
    def is_constant(self) -> bool:
        """It reads no column (``'web'``, ``1``)."""
        return not self.columns

    def sql(self, dialect: str = "duckdb") -> str:
        """The expression in ``dialect`` (``duckdb``, ``postgres``, ``spark``), written from the checked tree.

        Raises
        ------
        ExpressionError
            When the dialect has no equivalent of a construct used.
        """
        try:
            return self.tree.sql(dialect=dialect, identify=True, comments=False, unsupported_level=ErrorLevel.RAISE)
        except UnsupportedError as exc:
            raise ExpressionError(f"{dialect} cannot evaluate it ({_first_line(str(exc))})") from None


def parse_expression(text: str) -> Expression:
    """Parse and check a map expression (DuckDB SQL).

    Raises
    ------
    ExpressionError
        With the reason: not one expression, or a construct outside the allowed list.
    """
    if not text.strip():
        raise ExpressionError("it is empty")
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except (ParseError, sqlglot.errors.TokenError) as exc:
        raise ExpressionError(f"it is not SQL the kit can read ({_first_line(str(exc))})") from None
    if len(statements) != 1:
        raise ExpressionError("it holds more than one statement; a map value is one expression")
    tree = statements[0]
    nodes = list(tree.walk())
    if len(nodes) > MAX_NODES:
        raise ExpressionError(f"it is longer than a column map needs ({len(nodes)} parts; at most {MAX_NODES})")
    columns: list[str] = []
    for node in nodes:
        if type(node) not in _ALLOWED:
            raise ExpressionError(f"it uses {describe_node(node)}, which a column map may not use; {_allowed_sentence()}")
        if isinstance(node, exp.Column):
            if node.table or node.args.get("db") or node.args.get("catalog"):
                raise ExpressionError(f"it names a table ({node.sql()}); name the input's columns alone")
            if not isinstance(node.this, exp.Identifier):
                raise ExpressionError(f"it uses {describe_node(node.this)}, which a column map may not use")
            if node.name not in columns:
                columns.append(node.name)
        elif isinstance(node, exp.DataType) and node.this not in _TYPES:
            raise ExpressionError(
                f"it casts to {node.sql(dialect='duckdb')}; cast to VARCHAR, INTEGER, BIGINT, DOUBLE, DECIMAL, BOOLEAN, "
                "DATE or TIMESTAMP"
            )
        elif isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest") or node.args.get("field")):
            raise ExpressionError("it uses IN over a query; list the values: x IN ('a', 'b')")
    return Expression(text=text, columns=tuple(columns), tree=tree)


def describe_node(node: exp.Expression) -> str:
    """A syntax node as a sentence names it: ``the function read_csv``, ``a subquery``."""
    for kind, name in _NAMES.items():
        if isinstance(node, kind):
            return name
    if isinstance(node, exp.Func):
        name = node.sql_name() if not isinstance(node, exp.Anonymous) else node.name
        return f"the function {name.lower()}"
    return f"{type(node).__name__}"


def _allowed_sentence() -> str:
    return (
        "allowed are the input's column names, constants ('web', 1), arithmetic, comparisons, AND/OR/NOT, "
        "CASE, CAST and the functions " + ", ".join(sorted(FUNCTIONS))
    )


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return line if len(line) <= 120 else line[:117] + "..."
