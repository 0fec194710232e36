"""Semantic colours (up, down, degraded, muted, accent) from the current theme's variables."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App
from textual.widget import Widget

from arctui.ui.cells import Colours

COLOUR_VARS = {
    "up": "status-up",
    "down": "status-down",
    "degraded": "status-degraded",
    "muted": "status-muted",
    "accent": "role",
}


class ThemeColours:
    """The colours of an app's current theme, recomputed only when the theme changes."""

    def __init__(self) -> None:
        self._cached: tuple[str, Colours] | None = None

    def get(self, app: App) -> Colours:
        """Kind -> colour for the theme in use."""
        if self._cached is None or self._cached[0] != app.theme:
            variables = app.get_css_variables()
            colours = {
                kind: rich_colour(variables.get(var, "")) for kind, var in COLOUR_VARS.items()
            }
            self._cached = (app.theme, colours)
        return self._cached[1]


def on_theme_change(widget: Widget, redraw: Callable[[], None]) -> None:
    """Call `redraw` after each theme change: rows built with the old theme's colours keep
    them until the next read otherwise (the tables cache their cells)."""

    def changed(_name: str) -> None:
        redraw()

    widget.watch(widget.app, "theme", changed, init=False)


def rich_colour(value: str) -> str:
    """A Textual colour as Rich understands it: `ansi_bright_black` is `bright_black`.

    Rich raises MissingStyle on Textual's `ansi_` names (a 16-colour theme crashed a tab).
    """
    return " ".join(word.removeprefix("ansi_") for word in value.split())
