"""The filter box the tabs show on `/`: one place for how Escape closes it."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input


def close_filter(box: Input, table: Widget) -> bool:
    """Escape on a shown filter: clear and hide it, focus back on `table`; False if hidden."""
    if not box.display:
        return False
    box.value = ""
    box.display = False
    table.focus()
    return True
