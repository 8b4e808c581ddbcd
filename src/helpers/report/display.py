"""What a notebook shows in its report: headline, headings, notes, the parameter table, tables, data quality.

Every function here escapes the text it is given: survey comments, CI names and
parameter values are data, never markup. Notebooks show dynamic text only
through these functions (a Markdown display would pass raw HTML through).
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from IPython.display import HTML, display

__all__ = [
    "Table",
    "headline",
    "heading",
    "note",
    "parameters_table",
    "table",
    "data_quality",
    "is_missing",
]


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
    """The report's first paragraph: plain sentences with the key figures (escaped)."""
    text = " ".join(s.strip() for s in sentences if s and s.strip())
    _html(f'<p class="itvalue-headline" style="font-size:1.15em;line-height:1.5">{html.escape(text)}</p>')


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
        The validated parameters (``NpsParameters.from_notebook(globals())``) or a plain dict.
    """
    values = params.as_dict() if hasattr(params, "as_dict") else dict(params)
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(key))}</th>"
        f"<td style='text-align:left'>{html.escape(_show_value(value))}</td></tr>"
        for key, value in values.items()
    )
    _html(
        "<details open class='itvalue-parameters'><summary><b>Run parameters</b></summary>"
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
    formatters = {column: _formatter(fmt) for column, fmt in (formats or {}).items() if column in shown.columns}
    table_id = f"itvalue-table-{next(_TABLE_IDS)}"
    body = shown.to_html(
        index=index,
        escape=True,
        formatters=formatters,
        na_rep="—",
        border=0,
        classes="itvalue-table",
        table_id=table_id,
    )
    # Numbers line up on the right, text on the left; pandas does not mark which is which.
    offset = shown.index.nlevels if index else 0
    numeric = [offset + position + 1 for position, column in enumerate(shown.columns) if _is_figures(shown[column])]
    rules = "".join(
        f".jp-RenderedHTMLCommon #{table_id} td:nth-child({k}),.jp-RenderedHTMLCommon #{table_id} th:nth-child({k}),"
        f"#{table_id} td:nth-child({k}),#{table_id} th:nth-child({k}){{text-align:right}}"
        for k in numeric
    )
    parts = [f"<style>{rules}</style>"] if rules else []
    if caption:
        cut = f" (first {max_rows} of {len(data)} rows)" if max_rows is not None and len(data) > max_rows else ""
        parts.append(f"<p><b>{html.escape(caption + cut)}</b></p>")
    parts.append(body)
    _html("".join(parts))


def _formatter(fmt: str) -> Any:
    """A pandas formatter: the format string for values, an em dash for missing ones."""
    return lambda value: "—" if is_missing(value) else fmt.format(value)


# A figure already formatted as text: "1,234", "-5.2", "12%", "9 to 18", "+0.7 to +1.1", "<0.001".
_FIGURE = re.compile(r"^[<>≈~]?[-+−]?[\d,.]+%?( to [-+−]?[\d,.]+%?)?$")


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


