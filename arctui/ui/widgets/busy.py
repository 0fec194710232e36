"""A ticking "still running" line on any screen whose `busy` is true.

Commands that print nothing for a while (`docker compose stop` waiting out a stop
timeout, a backup's dump, a restore) must not look hung: after a second, the running
screen gets a line with a spinner and the elapsed time, updated every tick, removed when
the command ends. Screens only have to say `busy`; the app ticks `show_busy`.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import App
from textual.widgets import Static

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
AFTER = 1.0  # seconds before the line appears: short commands never show it


class BusyLine(Static):
    """Spinner, elapsed seconds, how to stop."""

    DEFAULT_CSS = """
    BusyLine {
        dock: bottom; height: 1; width: 100%; padding: 0 1;
        background: $panel; color: $foreground; text-style: bold;
    }
    """

    def __init__(self, started: float) -> None:
        super().__init__(id="busy-line", markup=False)
        self.started = started
        self.frame = 0

    def tick(self, now: float) -> None:
        """Next spinner frame and the elapsed time."""
        self.frame = (self.frame + 1) % len(FRAMES)
        self.update(Text(busy_text(self.frame, now - self.started)))


def busy_text(frame: int, elapsed: float) -> str:
    """`⠙ still running · 1m12s · Esc stops it`."""
    minutes, seconds = divmod(int(elapsed), 60)
    shown = f"{minutes}m{seconds:02d}s" if minutes else f"{seconds} s"
    return f"{FRAMES[frame % len(FRAMES)]} still running · {shown} · Esc stops it"


def show_busy(app: App[Any], now: float | None = None) -> None:
    """Add, tick or remove the line on the screen on top (call about once a second)."""
    now = time.monotonic() if now is None else now
    stack = app.screen_stack
    if not stack:  # shutting down: the screens are gone before the last timer tick
        return
    screen: Any = stack[-1]  # any screen; a modal that runs a command has `busy`
    lines = screen.query(BusyLine)
    if not getattr(screen, "busy", False):
        screen.arctui_busy_since = None
        for line in lines:
            line.remove()
        return
    started = getattr(screen, "arctui_busy_since", None)
    if started is None:
        started = screen.arctui_busy_since = now
    if now - started < AFTER:
        return
    if lines:
        lines.first().tick(now)
    else:
        line = BusyLine(started)
        screen.mount(line)
        line.tick(now)
