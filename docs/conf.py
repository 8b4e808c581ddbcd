"""Sphinx configuration of the itvalue docs (``make docs``).

Sphinx, not MkDocs: the kit's docstrings are numpydoc with Sphinx roles (:mod:, :class:, :func:), which
numpydoc and autodoc read as written; the guide pages are Markdown through MyST. The pages of each analysis
and the gallery are generated at build time from the installed kit (``_ext/itvalue_docs.py``).
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "itvalue"
author = "the itvalue authors"
copyright = "the itvalue authors, MIT licence"  # noqa: A001 - Sphinx's own name for it
release = metadata.version("itvalue")

extensions = ["sphinx.ext.autodoc", "numpydoc", "myst_parser", "itvalue_docs"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_ext"]
root_doc = "index"

# numpydoc lists a class's members itself only when asked; autodoc's :members: does it once.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the docstrings say the types in the user's words; signatures stay readable
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = f"itvalue {release}"
html_theme_options = {"description": "IT's value in business terms", "page_width": "1180px", "sidebar_width": "240px"}
