"""Small pieces every chart helper shares."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

__all__ = ["plain_text", "new_axes"]


def plain_text(text: Any) -> str:
    """Text that matplotlib draws literally: ``$`` in data (``budget $ (USD)``) would start math mode."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def new_axes(ax: Axes | None = None, figsize: tuple[float, float] | None = None) -> Axes:
    """The Axes to draw on: the caller's, or a new figure's (seaborn's ``ax=`` convention)."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize)
    return ax
