"""What a notebook shows: the kit's theme, headline, notes, tables, data-quality list and the
results hand-off, plus the chart pieces the analyses share (:mod:`.plotting`).

Every function here escapes the text it is given; notebooks show dynamic text only through them.
"""

from helpers.report.display import Table, data_quality, heading, headline, note, parameters_table, table
from helpers.report.results import publish_results, to_jsonable
from helpers.report.theme import PALETTE, use_theme

__all__ = [
    "PALETTE",
    "Table",
    "data_quality",
    "heading",
    "headline",
    "note",
    "parameters_table",
    "publish_results",
    "table",
    "to_jsonable",
    "use_theme",
]
