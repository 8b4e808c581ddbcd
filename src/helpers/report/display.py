"""What a notebook shows in its report: headline, headings, notes, the parameter table, tables, data quality.

Every function here escapes the text it is given: survey comments, CI names and
parameter values are data, never markup. Notebooks show dynamic text only
through these functions (a Markdown display would pass raw HTML through).
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from IPython.display import HTML, display

from helpers.inputs.secrets import masked_parameters

__all__ = [
    "Table",
    "headline",
    "heading",
    "note",
    "parameters_table",
    "table",
    "data_quality",
    "interval",
    "is_missing",
    "with_interval",
]

#: Tables longer than this show their first :data:`TOP_ROWS` rows, with every row folded below.
FOLD_AFTER_ROWS = 15
TOP_ROWS = 10


_TABLE_IDS = itertools.count(1)
#: "Not given": a :class:`Table`'s own row limit applies.
_UNSET: Any = object()


@dataclass(frozen=True)
class Table:
    """A table as an analysis hands it to the report: its rows, its caption and its formats.

    Each analysis's table builders return one, so the units and number formats of a table are
    set once, beside the code that knows them, never in the notebook.

    Attributes
    ----------
    data : DataFrame
        The rows (aggregates only).
    caption : str or None
        Says the unit of the figures.
    formats : mapping of column to format string
        E.g. ``{"Net lost": "{:,.0f}"}``; columns not named are shown as they are.
    max_rows : int or None
        Rows shown at most (None: all).
    """

    data: pd.DataFrame
    caption: str | None = None
    formats: Mapping[str, str] = field(default_factory=dict)
    max_rows: int | None = 50

def _html(markup: str) -> None:
    display(HTML(markup))


def headline(*sentences: str) -> None:
    """The report's summary box: three to five plain sentences with the key figures (escaped).

    What was measured and over which period, how much, how sure, and what to do; method words
    belong in the method notes, not here.
    """
    text = " ".join(s.strip() for s in sentences if s and s.strip())
    _html(
        '<div class="itvalue-summary" role="note" style="border-left:5px solid #0173b2;background:#f2f7fb;'
        'padding:0.6em 1.1em;margin:0.6em 0 1em">'
        '<p style="margin:0.2em 0"><b>In short</b></p>'
        f'<p class="itvalue-headline" style="font-size:1.1em;line-height:1.5;margin:0.2em 0">{html.escape(text)}</p>'
        "</div>"
    )


#: How a number becomes text: a format string (``"{:,.0f}"``) or a function (a share as a percentage).
Format = str | Callable[[float], str]


def with_interval(
    value: Any, low: Any, high: Any, fmt: Format = "{:,.0f}", *, unit: str = "",
    limits: tuple[float, float] | None = None,
) -> str:
    """A figure with its interval, the one way every report writes it: ``4,922 (3,137–7,065)``.

    The bounds follow :func:`interval`: joined by a dash, or by "to" when one is negative
    (``1,903 (-230 to 4,230)``, a dash there would read as a minus), or when the format writes signs
    (``+0.12 to +0.50``); an interval open at one end
    reads ``19 days (18 or more)``. An em dash when the figure is missing.

    Parameters
    ----------
    value, low, high : float
        The figure and its interval's bounds, in the same unit.
    fmt : str or callable
        How each number is written: a format string, or a function such as a share as a percentage.
    unit : str
        Written once, after the figure (``"days"``, ``"points"``).
    limits : (float, float), optional
        The scale's ends (``(-100, 100)`` for NPS): bounds beyond are shown at the end, and said so.
    """
    if is_missing(value):
        return "—"
    shown = _number(value, fmt) + (f" {unit}" if unit else "")
    if is_missing(low) and is_missing(high):
        return shown
    return f"{shown} ({interval(low, high, fmt, limits=limits)})"


def interval(low: Any, high: Any, fmt: Format = "{:,.0f}", *, limits: tuple[float, float] | None = None) -> str:
    """An interval's bounds as :func:`with_interval` writes them, for a column or sentence of their own.

    ``3,137–7,065``; ``-230 to 4,230`` when a bound is negative; ``18 or more`` / ``4 or less`` when
    open at one end; ``-100 to 100, clipped to the -100..100 scale`` when a bound lies beyond
    ``limits``; an em dash when both are missing. Never ``-0``.
    """
    if is_missing(low) and is_missing(high):
        return "—"
    clipped = False
    if limits is not None:
        lowest, highest = limits
        clipped = (not is_missing(low) and low < lowest) or (not is_missing(high) and high > highest)
        low = low if is_missing(low) else max(low, lowest)
        high = high if is_missing(high) else min(high, highest)
    if is_missing(high):
        text = f"{_number(low, fmt)} or more"
    elif is_missing(low):
        text = f"{_number(high, fmt)} or less"
    else:
        bounds = _number(low, fmt), _number(high, fmt)
        joint = " to " if any(b.startswith(("-", "−", "+")) for b in bounds) else "–"
        text = joint.join(bounds)
    if clipped:
        text += f", clipped to the {_number(limits[0], fmt)}..{_number(limits[1], fmt)} scale"
    return text


def _number(value: float, fmt: Format) -> str:
    """``value`` written with ``fmt``, never as a signed zero (``-0``, ``+0.00``, ``-0.0%``)."""
    text = fmt(value) if callable(fmt) else fmt.format(value)
    return text[1:] if _NEGATIVE_ZERO.fullmatch(text) else text


# A sign, zeros (and separators) only, then a unit without digits: "-0", "+0.00", "-0.0%", "-0 days".
_NEGATIVE_ZERO = re.compile(r"[-−+][0.,]*0[0.,]*(?:[^\d.,][^\d]*)?")


def heading(text: str, level: int = 2) -> None:
    """A section heading made of data (e.g. a segment name); static headings belong in Markdown cells."""
    level = min(max(int(level), 1), 6)
    _html(f"<h{level}>{html.escape(text)}</h{level}>")


def note(text: str) -> None:
    """A paragraph of plain text (escaped)."""
    _html(f"<p>{html.escape(text)}</p>")


def parameters_table(params: Any) -> None:
    """The "Run parameters" table: every parameter and the value this run used.

    Parameters
    ----------
    params : NotebookParameters or mapping
        The validated parameters (``Parameters.from_notebook(globals())``) or a plain dict.
    """
    values = masked_parameters(params.as_dict() if hasattr(params, "as_dict") else dict(params))
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(key))}</th>"
        f"<td style='text-align:left'>{html.escape(_show_value(value))}</td></tr>"
        for key, value in values.items()
    )
    _html(
        "<details class='itvalue-parameters'><summary><b>Run parameters</b> (the settings of this run)</summary>"
        f"<table>{rows}</table></details>"
    )


def _show_value(value: Any) -> str:
    if value is None or (isinstance(value, (str, list, dict)) and not value):
        return "(none)"
    if isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
        return "; ".join(", ".join(f"{k}: {v}" for k, v in item.items()) for item in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def table(
    data: pd.DataFrame | Table,
    *,
    caption: str | None = None,
    formats: Mapping[str, str] | None = None,
    index: bool = False,
    max_rows: int | None = _UNSET,
) -> None:
    """Show a table; every cell and header is escaped.

    Parameters
    ----------
    data : DataFrame or Table
        The rows to show (already aggregated: reports show aggregates, not respondents). A
        :class:`Table` brings its own caption, formats and row limit; arguments given here win.
    caption : str, optional
        A caption above the table; say the unit of the figures here or in the column names.
    formats : mapping of column to format string, optional
        E.g. ``{"net_lost_revenue": "{:,.0f}"}``. Missing values show as an em dash.
    max_rows : int or None
        Rows shown at most; the caption says when rows were left out.
    """
    if isinstance(data, Table):
        caption = caption if caption is not None else data.caption
        formats = formats if formats is not None else data.formats
        max_rows = data.max_rows if max_rows is _UNSET else max_rows
        data = data.data
    elif max_rows is _UNSET:
        max_rows = 50
    shown = data if max_rows is None else data.head(max_rows)
    table_id = f"itvalue-table-{next(_TABLE_IDS)}"
    parts = [_column_rules(shown, table_id, index=index)]
    if caption:
        cut = f" (first {max_rows} of {len(data)} rows)" if max_rows is not None and len(data) > max_rows else ""
        parts.append(f"<p><b>{html.escape(caption + cut)}</b></p>")
    if len(shown) > FOLD_AFTER_ROWS:
        parts.append(_table_html(shown.head(TOP_ROWS), formats, index=index, table_id=table_id))
        parts.append(
            f"<details class='itvalue-more'><summary>Show all {len(shown):,} rows</summary>"
            f"{_table_html(shown, formats, index=index, table_id=table_id + '-all')}</details>"
        )
    else:
        parts.append(_table_html(shown, formats, index=index, table_id=table_id))
    _html("".join(parts))


def _table_html(shown: pd.DataFrame, formats: Mapping[str, str] | None, *, index: bool, table_id: str) -> str:
    """The rows as HTML; the class named like the first table's id carries the column rules."""
    formatters = {column: _formatter(fmt) for column, fmt in (formats or {}).items() if column in shown.columns}
    return shown.to_html(
        index=index,
        escape=True,
        formatters=formatters,
        na_rep="—",
        border=0,
        classes=f"itvalue-table {table_id.removesuffix('-all')}",
        table_id=table_id,
    )


def _column_rules(shown: pd.DataFrame, table_id: str, *, index: bool) -> str:
    """CSS for a table and its folded copy: figures right-aligned; short cells (ids, dates) never wrap."""
    offset = shown.index.nlevels if index else 0
    right, nowrap = [], []
    for position, column in enumerate(shown.columns):
        k = offset + position + 1
        if _is_figures(shown[column]):
            right.append(k)
        if _is_short(shown[column]):
            nowrap.append(k)
    scope = f".{table_id}"
    rules = "".join(
        f".jp-RenderedHTMLCommon {scope} td:nth-child({k}),.jp-RenderedHTMLCommon {scope} th:nth-child({k}),"
        f"{scope} td:nth-child({k}),{scope} th:nth-child({k}){{text-align:right}}"
        for k in right
    ) + "".join(f"{scope} td:nth-child({k}){{white-space:nowrap}}" for k in nowrap)
    return f"<style>{rules}</style>" if rules else ""


def _is_short(column: pd.Series) -> bool:
    """Ids, dates and figures (``INC-0031``, ``15 Apr 2024 18:43``, ``230 further loss``): short cells that
    should never break. Words (``Summer clearance``) and lists (``a, b, c``) may."""
    texts = [str(v) for v in column.head(200) if not is_missing(v)]
    return all(len(t) <= 24 and ", " not in t and (" " not in t or t[:1].isdigit()) for t in texts)


def _formatter(fmt: str) -> Any:
    """A pandas formatter: the format string for values, an em dash for missing ones."""
    return lambda value: "—" if is_missing(value) else fmt.format(value)


# A figure already formatted as text: "1,234", "-5.2", "12%", "9 to 18", "+0.7 to +1.1", "<0.001",
# "4,922 (3,137–7,065)", "1.3x"; a suppressed small group ("fewer than 30") sits among figures.
_NUMBER = r"[<>≈~]?[-+−]?[\d,.]+(%|x| min| h)?"
_FIGURE = re.compile(
    rf"^({_NUMBER}( to {_NUMBER})?( \({_NUMBER}[–-]{_NUMBER}\)| \({_NUMBER} to {_NUMBER}\))?( significant)?"
    rf"|fewer than [\d,]+)$"
)


def _is_figures(column: pd.Series) -> bool:
    """Numbers, or text that only holds formatted numbers (right-aligned so digits line up)."""
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    values = [str(v).strip() for v in column if not is_missing(v) and str(v).strip() not in ("", "—")]
    return bool(values) and all(_FIGURE.match(v) for v in values)


def is_missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def data_quality(notes: Iterable[Any]) -> None:
    """The "Data quality" section: one line per legal-but-suspicious finding, with its row count.

    Parameters
    ----------
    notes : iterable of QualityNote
        Objects with ``input``, ``issue``, ``rows`` and optional ``examples`` and ``unit``
        (what ``rows`` counts; "rows" if absent).
    """
    notes = list(notes)
    if not notes:
        _html("<p>No data-quality warnings: every input passed its checks with nothing suspicious.</p>")
        return
    items = "".join(
        "<li><b>{}</b>: {} ({:,} {}){}</li>".format(
            html.escape(str(n.input)),
            html.escape(str(n.issue)),
            int(n.rows),
            html.escape(getattr(n, "unit", "rows")),
            html.escape(f"; e.g. {n.examples}") if getattr(n, "examples", "") else "",
        )
        for n in notes
    )
    _html(f"<ul class='itvalue-quality'>{items}</ul>")


