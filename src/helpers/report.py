"""What a notebook shows in its report: headline, parameter table, tables, notes, results.

Every function here escapes the text it is given: survey comments, CI names and
parameter values are data, never markup. Notebooks show dynamic text only
through these functions (a Markdown display would pass raw HTML through).
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import math
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML, display

__all__ = [
    "RESULTS_MIMETYPE",
    "use_theme",
    "headline",
    "heading",
    "note",
    "parameters_table",
    "table",
    "data_quality",
    "publish_results",
    "to_jsonable",
]

#: The MIME type under which a notebook hands its key figures to the runner (results.json).
RESULTS_MIMETYPE = "application/vnd.itvalue.results+json"

_TABLE_IDS = itertools.count(1)

#: The kit's colours: one palette for every report, colour-blind safe.
PALETTE = "colorblind"


def use_theme() -> None:
    """Set the kit's seaborn theme and quiet library chatter; call once, in a notebook's setup cell."""
    import matplotlib as mpl  # plotting libraries load only in notebooks, not in the runner
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(
        {
            "figure.figsize": (10, 4.5),
            "figure.dpi": 96,
            # PNG at a modest resolution keeps a default report well under 5 MB.
            "savefig.dpi": 96,
            "axes.titleweight": "bold",
            "axes.titlesize": 13,
            "figure.autolayout": True,
            # Math text stays on (log-axis tick labels are math text); labels made of data go
            # through helpers.plotting.plain_text instead, so a "$" in them is just a dollar.
        }
    )
    # Library warnings (pandas, statsmodels convergence chatter) are for analysts, not managers;
    # anything that matters to the result is said in the report's data-quality or method sections.
    warnings.filterwarnings("ignore")
    pd.set_option("display.max_columns", 30)


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
    data: pd.DataFrame,
    *,
    caption: str | None = None,
    formats: Mapping[str, str] | None = None,
    index: bool = False,
    max_rows: int | None = 50,
) -> None:
    """Show a table; every cell and header is escaped.

    Parameters
    ----------
    data : DataFrame
        The rows to show (already aggregated: reports show aggregates, not respondents).
    caption : str, optional
        A caption above the table; say the unit of the figures here or in the column names.
    formats : mapping of column to format string, optional
        E.g. ``{"net_lost_revenue": "{:,.0f}"}``. Missing values show as an em dash.
    max_rows : int or None
        Rows shown at most; the caption says when rows were left out.
    """
    shown = data if max_rows is None else data.head(max_rows)
    formatters = {
        column: (lambda fmt: (lambda v: "—" if _is_missing(v) else fmt.format(v)))(fmt)
        for column, fmt in (formats or {}).items()
        if column in shown.columns
    }
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


# A figure already formatted as text: "1,234", "-5.2", "12%", "9 to 18", "+0.7 to +1.1", "<0.001".
_FIGURE = re.compile(r"^[<>≈~]?[-+−]?[\d,.]+%?( to [-+−]?[\d,.]+%?)?$")


def _is_figures(column: pd.Series) -> bool:
    """Numbers, or text that only holds formatted numbers (right-aligned so digits line up)."""
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    values = [str(v).strip() for v in column if not _is_missing(v) and str(v).strip() not in ("", "—")]
    return bool(values) and all(_FIGURE.match(v) for v in values)


def _is_missing(value: Any) -> bool:
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


def publish_results(results: Mapping[str, Any]) -> None:
    """Hand the run's key figures to the runner, which writes them to ``results.json``.

    The figures travel inside the executed notebook (a display output of MIME type
    :data:`RESULTS_MIMETYPE`), so plain papermill runs keep them too. Numpy and
    pandas values become JSON types; NaN becomes null.
    """
    payload = to_jsonable(results)
    json.dumps(payload, allow_nan=False)  # fail here, in the notebook, not later in the runner
    display({RESULTS_MIMETYPE: payload, "text/plain": "results published for results.json"}, raw=True)


def to_jsonable(value: Any) -> Any:
    """Convert nested results to JSON types: numpy/pandas scalars, NaN/NaT -> None, dates -> ISO."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(row) for row in value.to_dict(orient="records")]
    if isinstance(value, (set, frozenset)):
        return [to_jsonable(v) for v in sorted(value, key=str)]  # sorted: the same output every run
    if isinstance(value, (list, tuple, pd.Series, pd.Index, np.ndarray)):
        return [to_jsonable(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (pd.Timedelta, dt.timedelta)):
        return pd.Timedelta(value).total_seconds()
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, Path):
        return value.as_posix()
    if _is_missing(value):
        return None
    return value if isinstance(value, str) else str(value)
