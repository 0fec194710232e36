"""Pieces every tab's presenters share: semantic colours and table rows.

Pure (no widgets); a tab maps the palette's kinds onto its theme's colours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.text import Text

# Semantic style kinds; the tab maps them onto theme colours.
Colours = Mapping[str, str]
DEFAULT_COLOURS: Colours = {
    "up": "green",
    "down": "red",
    "degraded": "yellow",
    "muted": "grey50",
    "accent": "cyan",
}


@dataclass(frozen=True)
class Row:
    """One table row: its key (service name) and its cells."""

    key: str
    cells: tuple[Text, ...]
