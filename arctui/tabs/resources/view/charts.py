"""The two history charts (CPU, memory) of the selected container, with limits drawn.

A chart is redrawn only when what it shows changed: with one column per few seconds of
history, most ticks change nothing, and an unchanged chart costs no CPU and no bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from arctui.tabs.resources.models import ContainerStats
from arctui.tabs.resources.rates import History, Point
from arctui.tabs.resources.view.polling import HISTORY_WINDOW
from arctui.tabs.resources.view.presenters import percent
from arctui.text import one_line
from arctui.ui.cells import Colours
from arctui.ui.widgets.charts import GUTTER, Line, bar_chart, nice_ceiling, resample
from arctui.ui.widgets.line_view import LineView
from arctui.units import duration, size_compact

_MIB = 1024 * 1024


def update_text(static: Static, text: Text, fixed: bool = False) -> None:
    """Update a Static if its text changed, with a layout pass only if its shape did.

    A layout pass repaints the whole screen; doing one per second for every changing
    number was most of the tab's cost. `fixed`: the CSS sizes the widget, not its text.
    """
    drawn = (text.plain, str(text.style), tuple(text.spans))
    if getattr(static, "_arctui_drawn", None) == drawn:
        return  # the same text again: nothing to repaint
    static._arctui_drawn = drawn  # type: ignore[attr-defined]
    shape = () if fixed else tuple(len(line) for line in text.plain.split("\n"))
    changed = getattr(static, "_arctui_shape", None) != shape
    static._arctui_shape = shape  # type: ignore[attr-defined]
    static.update(text, layout=changed)


def _chart(
    title: str,
    note: str,
    values: list[float | None],
    height: int,
    limit: float | None,
    floor: float,
    label: Callable[[float], str],
    styles: tuple[str, str],
    window: float = HISTORY_WINDOW,
) -> list[Line]:
    peak = max((v for v in values if v is not None), default=0.0)
    top = nice_ceiling(max(peak, (limit or 0) * 1.1, floor))
    span = "last 5 min" if window == HISTORY_WINDOW else f"last {duration(window)} (recorded)"
    head: Line = ((title, "bold"), (f"  max {label(peak)} · {note} · {span}", "dim"))
    return [head, *bar_chart(values, height, top, limit, label, *styles)]


def _series(
    history: History,
    c: ContainerStats,
    get: Callable[[Point], float | None],
    now: float,
    w: int,
    window: float = HISTORY_WINDOW,
) -> list[float | None]:
    values = resample(history.series(c.id), get, now, window, w)
    return [None if v is None else round(v, 1) for v in values]


def cpu_chart(
    c: ContainerStats,
    history: History,
    now: float,
    width: int,
    height: int,
    palette: Colours,
    window: float = HISTORY_WINDOW,
) -> tuple[tuple, Callable[[], list[Line]]]:
    """CPU in docker-stats percent (100 = one core), limit dashed: (what it shows, drawer)."""
    cores = lambda p: None if p.cpu is None else p.cpu * 100  # noqa: E731
    values = _series(history, c, cores, now, width, window)
    limit = c.cpu_limit * 100 if c.cpu_limit else None
    note = f"limit {c.cpu_limit:g} CPU = {limit:g}%" if limit else "no CPU limit"
    note += " · 100% = one core"
    key = ("cpu", c.id, c.name, values, limit, height, window, tuple(palette.values()))
    return key, lambda: _chart(
        f"CPU% {one_line(c.name, 40)}",
        note,
        values,
        height,
        limit,
        5.0,
        lambda v: f"{percent(v)}%" if v < 10 else f"{v:.0f}%",
        (palette["accent"], palette["down"]),
        window,
    )


def mem_chart(
    c: ContainerStats,
    history: History,
    now: float,
    width: int,
    height: int,
    palette: Colours,
    window: float = HISTORY_WINDOW,
) -> tuple[tuple, Callable[[], list[Line]]]:
    """Memory in use (page cache excluded), limit dashed: (what it shows, drawer)."""
    mib = lambda p: None if p.mem is None else p.mem / _MIB  # noqa: E731
    values = _series(history, c, mib, now, width, window)
    limit = c.mem_limit / _MIB if c.mem_limit else None
    note = f"limit {size_compact(c.mem_limit)}" if c.mem_limit else "no memory limit"
    key = ("mem", c.id, values, limit, height, window, tuple(palette.values()))
    return key, lambda: _chart(
        "Mem",
        note + " · page cache excluded",
        values,
        height,
        limit,
        1.0,
        lambda v: size_compact(v * _MIB),
        (palette["up"], palette["down"]),
        window,
    )


def render_charts(
    tab: Widget,
    c: ContainerStats | None,
    history: History,
    now: float,
    palette: Colours,
    window: float = HISTORY_WINDOW,
) -> None:
    """Draw both charts into the tab's #res-cpu and #res-mem, sized to fit them.

    `window`: the seconds shown (longer when a recording backs the history)."""
    for wid, make in (("#res-cpu", cpu_chart), ("#res-mem", mem_chart)):
        view = tab.query_one(wid, LineView)
        if c is None or not c.running:
            reason = (
                "no container selected" if c is None else f"{one_line(c.name, 40)} is {c.state}"
            )
            key: tuple = ("none", reason)
            lines: list[Line] = [((reason, "dim"),)] if wid == "#res-cpu" else []
            draw: Callable[[], list[Line]] = lines.copy
        else:
            width = max(10, view.size.width - GUTTER)
            height = max(1, view.size.height - 1)
            key, draw = make(c, history, now, width, height, palette, window)
        if getattr(view, "_arctui_chart", None) != key:
            view._arctui_chart = key  # type: ignore[attr-defined]
            view.set_lines(draw())
