"""A tab whose feature has not landed yet: says so plainly, shows nothing invented."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from arctui.tabs import tab


class NotBuiltTab(Static):
    """Placeholder content naming what the tab will do once built."""

    def __init__(self, session: object, id: str) -> None:
        # Built from the registry like every tab: the id names the tab ("postgres-tab").
        spec = tab(id.removesuffix("-tab"))
        title, plan = spec.title, spec.plan
        text = Text()
        text.append(f"{title}: not built yet\n\n", style="bold")
        text.append(plan)
        text.append("\n\nNothing here is simulated: this tab shows no data until it is built.")
        super().__init__(text, classes="not-built", id=id)
