"""The report template: whatever a chart's alt text holds (incident ids, parameters), it stays one attribute."""

from __future__ import annotations

from html.parser import HTMLParser

import nbformat
import pytest

from helpers.running.export import notebook_to_html

PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


@pytest.mark.parametrize(
    "alt",
    [
        'Costliest incidents: INC" onload="alert(1)" x="',
        "INC' onerror='alert(2)",
        "</div><script>alert(3)</script>",
        "EUR\" autofocus onfocus=\"alert(4)",
        "plain & simple < 5 > 3",
    ],
)
def test_alt_text_from_a_charts_metadata_stays_one_attribute(alt):
    """Before: the template escaped only its fallback text, so a '"' in an incident id broke out of alt=."""
    output = nbformat.v4.new_output("display_data", data={"image/png": PIXEL}, metadata={"image/png": {"alt": alt}})
    page = notebook_to_html(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=[output])]))
    parser = _Images()
    parser.feed(page)
    (image,) = parser.images
    assert set(image) == {"alt", "src"}
    assert image["alt"] == alt
    assert "<script>alert(3)" not in page
