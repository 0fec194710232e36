"""A tab whose feature has not landed yet: says so plainly, shows nothing invented."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class NotBuiltTab(Static):
    """Placeholder content naming what the tab will do once built."""

    def __init__(self, title: str, plan: str, **kwargs: object) -> None:
        text = Text()
        text.append(f"{title}: not built yet\n\n", style="bold")
        text.append(plan)
        text.append("\n\nNothing here is simulated: this tab shows no data until it is built.")
        super().__init__(text, classes="not-built", **kwargs)  # type: ignore[arg-type]
