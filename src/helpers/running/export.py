"""Executed notebook -> self-contained HTML report, with nbconvert and the kit's template.

The report is for managers who never read code: code, prompts, the injected
parameters and the results hand-off are hidden; a failed run gets a banner
naming the failed cell and its error.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from helpers.analysis.contract import RESULTS_MIMETYPE
from helpers.running.failures import CAUSES, Failure

__all__ = ["notebook_to_html", "prepare_exporter", "with_contents"]

TEMPLATES_DIR = Path(__file__).parent / "templates"

# Papermill marks its own error banner and the injected cell with these tags; the kit adds "results".
_ALWAYS_REMOVED = {"injected-parameters", "papermill-error-cell-tag", "results"}


class _HideForReaders(Preprocessor):
    """Drop what a manager should not see: stderr chatter and the results hand-off output."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [
                out
                for out in cell.get("outputs", [])
                if not (out.get("output_type") == "stream" and out.get("name") == "stderr")
                and RESULTS_MIMETYPE not in out.get("data", {})
            ]
        return cell, resources


class _StopAtFailure(Preprocessor):
    """A failed run's report ends with the failed step: the sections after it would be empty."""

    def preprocess(self, nb, resources):
        for position, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                nb.cells = nb.cells[: position + 1]
                break
        return nb, resources


#: A section heading as nbconvert renders a Markdown ``##`` (its id is the anchor target).
_SECTION = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.DOTALL)
_CELL_START = re.compile(r'<div\s+class="jp-Cell\b')
#: Pages with at least this many sections get a table of contents (about two screens and more).
MIN_SECTIONS_FOR_CONTENTS = 4


def with_contents(body: str) -> str:
    """The page with a table of contents from its ``h2`` headings, before the first section.

    Pages with fewer than :data:`MIN_SECTIONS_FOR_CONTENTS` sections are returned unchanged.
    """
    sections = _SECTION.findall(body)
    if len(sections) < MIN_SECTIONS_FOR_CONTENTS:
        return body
    items = "".join(
        f'<li><a href="#{anchor}">{html.escape(_plain(title))}</a></li>' for anchor, title in sections
    )
    nav = f'<nav class="itvalue-contents" aria-label="Contents"><b>Contents</b><ol>{items}</ol></nav>\n'
    first = body.index(f'<h2 id="{sections[0][0]}"')
    starts = [m.start() for m in _CELL_START.finditer(body, 0, first)]
    at = starts[-1] if starts else first
    return body[:at] + nav + body[at:]


def _plain(fragment: str) -> str:
    """A heading's text: its anchor link ("¶") and any markup dropped."""
    fragment = re.sub(r'<a class="anchor-link".*?</a>', "", fragment, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def notebook_to_html(
    nb: nbformat.NotebookNode,
    *,
    show_code: bool = False,
    failure: Failure | None = None,
    footer: str = "",
) -> str:
    """Render an executed notebook as one self-contained HTML page.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook.
    show_code : bool
        Keep code cells (hidden by default).
    failure : Failure, optional
        Shown as a banner at the top of the report.
    footer : str
        A line of provenance (kit version, run time) at the bottom; escaped.
    """
    exporter = _exporter(show_code=show_code, failed=failure is not None)
    shown = None
    if failure is not None:
        shown = {"where": failure.where, "error": failure.error, "advice": CAUSES[failure.cause][1]}
    resources = {"itvalue": {"failure": shown, "footer": footer}}
    title = nb.metadata.get("itvalue", {}).get("title")
    if title:
        nb = nbformat.from_dict(nb)  # a copy: the executed notebook on disk keeps its own metadata
        nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return with_contents(body)


def prepare_exporter(*, show_code: bool = False) -> None:
    """Build the exporter of a good run and compile its templates now (the runner does it while the kernel works)."""
    _exporter(show_code=show_code, failed=False)


@functools.cache
def _exporter(*, show_code: bool, failed: bool) -> HTMLExporter:
    """One exporter per kind of report and process: its Jinja templates compile once (a quarter of a
    second, half of what exporting a report costs), not once per report; every run passes its own resources."""
    exporter = HTMLExporter(template_name="itvalue", extra_template_basedirs=[str(TEMPLATES_DIR)])
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=_ALWAYS_REMOVED), enabled=True)
    if not show_code:
        exporter.register_preprocessor(_HideForReaders(), enabled=True)
    if failed:
        exporter.register_preprocessor(_StopAtFailure(), enabled=True)
    # Templates compile, and Markdown and HTML parsers load, on first use: a page of each kind of cell
    # and output a report holds renders them all once, here.
    exporter.from_notebook_node(_SAMPLE_PAGE, resources={"itvalue": {"failure": None, "footer": ""}})
    return exporter


#: A 1x1 PNG: the smallest chart output.
_PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
_SAMPLE_PAGE = nbformat.v4.new_notebook(
    cells=[
        nbformat.v4.new_markdown_cell("# Title\n\n## Section\n\nText with `code`, **bold** and a [link](#section)."),
        nbformat.v4.new_code_cell(
            "",
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="text\n"),
                nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td>1 &amp; 2&nbsp;%</td></tr></table>"}),
                nbformat.v4.new_output("display_data", data={"image/png": _PIXEL, "text/plain": "<Figure>"}),
            ],
        ),
    ]
)
