"""Pieces every tab's presenters share: semantic palettes, table rows, durations.

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


def human_duration(seconds: float | None) -> str:
    """Compact age: 45s, 12m, 3h05m, 4d02h."""
    if seconds is None:
        return "-"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"
