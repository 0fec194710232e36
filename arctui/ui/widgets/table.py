"""The DataTable every tab uses: movement keys with ids, so keymaps (vim) can rebind them."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class ArcTable(DataTable):
    """A DataTable whose movement keys have ids, so keymaps (vim) can rebind them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", "Down", show=False, id="table.down"),
        Binding("up", "cursor_up", "Up", show=False, id="table.up"),
        Binding("home", "scroll_top", "Top", show=False, id="table.top"),
        Binding("end", "scroll_bottom", "Bottom", show=False, id="table.bottom"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
    ]
