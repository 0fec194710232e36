"""A scrolling view over many log lines that renders only the rows on screen.

Like Toolong, it never builds widgets per line: `render_line` draws the rows in view
from the line objects, with a small cache of rendered lines. With wrap on, each line
takes ceil(cells / width) rows (hard fold, so the row count is exact); the first row of
every line is kept in a list, extended as lines arrive and trimmed as old ones go.

`live` sticks the view to the newest line; any move up pauses it, and paused the view
keeps showing the same lines however many arrive or are evicted (it re-finds its top
line and cursor by their sort keys).
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Sequence
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from arctui.tabs.logs.buffer import KeyView
from arctui.tabs.logs.filter import LineFilter
from arctui.tabs.logs.models import LogLine
from arctui.tabs.logs.view.presenters import LineLook, line_text, prefix_width, shown_text

CACHE_LINES = 2048


class Place(NamedTuple):
    """A paused view's place by sort keys: its top line (and row within it), its cursor."""

    top: tuple[int, int] | None
    sub: int
    cursor: tuple[int, int] | None


class LogView(ScrollView, can_focus=True):
    """The log lines of the Logs tab."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"logview--cursor", "logview--selection"}

    class Moved(Message):
        """The cursor or the live state changed (the tab updates its status line)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lines: Sequence[LogLine] = ()
        self.look = LineLook()
        self.flt: LineFilter | None = None
        self.wrap = False
        self.live = True
        self.cursor: int | None = None
        self.mark: int | None = None  # the other end of a selection (v)
        self._cache: OrderedDict[tuple[int, int], Strip] = OrderedDict()
        self._version = 0
        self._starts: list[int] = []  # wrap: absolute first row of each line
        self._end = 0  # wrap: absolute row after the last line
        self._fold = 0  # wrap: the width rows were computed for
        self._max_width = 0
        self._counted = 0  # lines the row bookkeeping has seen
        self._base = Style()  # the widget's own style (background), set by restyle()
        self.empty_text = ""  # shown on the first row when there is no line to show
        self.lost = False  # paused, the lines it showed were evicted (until it moves)

    # --- content ------------------------------------------------------------------------
    def restyle(self, look: LineLook, flt: LineFilter | None, wrap: bool) -> None:
        """New look, highlight or wrap: every line renders again."""
        self.look, self.flt, self.wrap = look, flt, wrap
        self._base = self.rich_style  # computed over the ancestors: ~1 ms, so once here
        self._version += 1
        self._cache.clear()
        self.show(self.lines)

    def show(self, lines: Sequence[LogLine]) -> None:
        """Show another sequence (filter changed); the cursor's line stays selected."""
        key = self._key(self.cursor)
        top = self._top_key()
        self.lines = lines
        self._grow(0)
        self._settle(top, key)

    def place(self) -> Place:
        """Where a paused view is (its top line and cursor, by sort key), taken before the
        sequence changes in place: indexes cannot be trusted after lines came and went."""
        top = self._top_key()
        return Place(top[0] if top else None, top[1] if top else 0, self._key(self.cursor))

    def changed(self, place: Place, removed_front: int, kept: int) -> None:
        """The sequence shown changed in place: `removed_front` lines evicted at the front,
        the `kept` lines after them untouched (every line added came after those).

        Only the lines from `kept` on are measured again: measuring the whole buffer per
        batch pinned a core. A paused view whose top line was evicted says so (`lost`).
        """
        done = min(kept, self._counted - removed_front)
        if done <= 0:
            done = 0
        elif self.wrap:
            starts = self._starts
            if removed_front + done < len(starts):
                self._end = starts[removed_front + done]
                del starts[removed_front + done :]
            del starts[:removed_front]
        self._grow(done)
        top = None if place.top is None else (place.top, place.sub)
        if place.top is not None and self.lines and place.top < self.lines[0].key:
            self.lost, top = True, (place.top, 0)  # shows the oldest line left
        self._settle(top, place.cursor)

    def _key(self, index: int | None) -> tuple[int, int] | None:
        """The sort key of the line at `index` (None: no cursor, or past the end)."""
        if index is None or not 0 <= index < len(self.lines):
            return None
        return self.lines[index].key

    def _top_key(self) -> tuple[tuple[int, int], int] | None:
        if self.live or not self.lines:
            return None
        index, sub = self.locate(int(self.scroll_offset.y))
        if index is None:
            return None
        key = self._key(index)
        return (key, sub) if key is not None else None

    def _grow(self, done: int) -> None:
        """Row bookkeeping for lines[done:] (the ones before are counted) and the size."""
        lines = self.lines
        pw = prefix_width(self.look)
        if self.wrap:
            fold = max(10, self.scrollable_content_region.width or self.size.width or 80)
            if fold != self._fold or done == 0:
                self._fold, done, self._starts, self._end = fold, 0, [], 0
            starts, end = self._starts, self._end
            for i in range(done, len(lines)):
                text = shown_text(lines[i].text)
                cells = pw + (len(text) if text.isascii() else cell_len(text))
                starts.append(end)
                end += max(1, -(-cells // fold))
            self._end = end
            self.virtual_size = Size(fold, end - (starts[0] if starts else 0))
        else:
            widest = self._max_width if done else 0
            for i in range(done, len(lines)):
                text = shown_text(lines[i].text)
                widest = max(widest, pw + (len(text) if text.isascii() else cell_len(text)))
            self._max_width = widest
            self.virtual_size = Size(widest, len(lines))
        self._counted = len(lines)

    def locate(self, row: int) -> tuple[int | None, int]:
        """(line index, row within the line) at a virtual row; None before the start."""
        if row < 0:
            return None, 0
        if not self.wrap:
            return row, 0
        starts = self._starts
        if not starts:
            return None, 0
        absolute = row + starts[0]
        if absolute >= self._end:
            return len(starts), 0
        i = bisect.bisect_right(starts, absolute) - 1
        return i, absolute - starts[i]

    def row_of(self, index: int) -> int:
        """The first virtual row of a line."""
        if not self.wrap or not self._starts:
            return index
        return self._starts[index] - self._starts[0]

    def _settle(self, top: tuple[tuple[int, int], int] | None, key: tuple[int, int] | None) -> None:
        keys = KeyView(self.lines)
        if key is not None:
            self.cursor = min(bisect.bisect_left(keys, key), max(0, len(self.lines) - 1))
        if self.live:
            self.cursor = None
            self._stick()
            self.call_after_refresh(self._stick)  # a scrollbar may appear and shift the end
        elif top is not None:
            row = self.row_of(min(bisect.bisect_left(keys, top[0]), len(self.lines))) + top[1]
            self.scroll_to(y=row, animate=False, immediate=True, force=True)
        self.refresh()

    def _stick(self) -> None:
        if self.live:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    # --- drawing --------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index, sub = self.locate(int(self.scroll_offset.y) + y)
        if index is None or index >= len(self.lines):
            if not self.lines and self.empty_text:
                rows = Text(self.empty_text, style="italic").wrap(self.app.console, width)
                if y < len(rows):
                    segments = list(rows[y].render(self.app.console))
                    return Strip(segments).apply_style(self._base).extend_cell_length(width)
            return Strip.blank(width, self._base)
        strip = self._strip(self.lines[index])
        if self.wrap:
            part = strip.crop(sub * self._fold, (sub + 1) * self._fold)
        else:
            x = int(self.scroll_offset.x)
            part = strip.crop(x, x + width)
        part = part.extend_cell_length(width)
        style = self._row_style(index)
        return part.apply_style(style) if style is not None else part

    def _row_style(self, index: int):  # type: ignore[no-untyped-def]
        if self.cursor is None:
            return None
        if index == self.cursor:
            return self.get_component_rich_style("logview--cursor")
        if self.mark is not None and min(self.mark, self.cursor) <= index <= max(
            self.mark, self.cursor
        ):
            return self.get_component_rich_style("logview--selection")
        return None

    def _strip(self, line: LogLine) -> Strip:
        key = (line.seq, self._version)
        strip = self._cache.get(key)
        if strip is None:
            text = line_text(line, self.look, self.flt)
            strip = Strip(list(text.render(self.app.console))).apply_style(self._base)
            self._cache[key] = strip
            if len(self._cache) > CACHE_LINES:
                self._cache.popitem(last=False)
        return strip

    def on_resize(self, event: events.Resize) -> None:
        if self.wrap:
            self.show(self.lines)
        elif self.live:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    # --- moving -------------------------------------------------------------------------
    def move_cursor(self, index: int) -> None:
        """Select a line (pauses following) and bring it into view."""
        if not self.lines:
            return
        self.live, self.lost = False, False
        self.cursor = max(0, min(index, len(self.lines) - 1))
        row = self.row_of(self.cursor)
        height = self.scrollable_content_region.height
        if row < self.scroll_offset.y:
            self.scroll_to(y=row, animate=False, immediate=True, force=True)
        elif row >= self.scroll_offset.y + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True, force=True)
        self.refresh()
        self.post_message(self.Moved())

    def go_live(self) -> None:
        """Follow the newest line again."""
        self.live, self.cursor, self.mark, self.lost = True, None, None, False
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        self.refresh()
        self.post_message(self.Moved())

    def step(self, delta: int) -> None:
        """Move the cursor by `delta` lines (from the bottom line when live)."""
        if self.cursor is None:
            start = self._last_visible() if delta < 0 else len(self.lines) - 1
            self.move_cursor(start if delta < 0 else start + delta)
        else:
            self.move_cursor(self.cursor + delta)

    def _last_visible(self) -> int:
        row = int(self.scroll_offset.y) + self.scrollable_content_region.height - 1
        index, _ = self.locate(min(row, max(0, self.virtual_size.height - 1)))
        return len(self.lines) - 1 if index is None else index

    def selection(self) -> list[LogLine]:
        """The selected lines (the cursor's, or the range from the anchor)."""
        if self.cursor is None:
            return []
        low, high = self.cursor, self.cursor
        if self.mark is not None:
            low, high = min(self.mark, self.cursor), max(self.mark, self.cursor)
        return [self.lines[i] for i in range(low, min(high + 1, len(self.lines)))]

    def on_click(self, event: events.Click) -> None:
        index, _ = self.locate(int(self.scroll_offset.y) + event.y)
        if index is not None:
            self.move_cursor(index)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.live:
            self.live = False
            self.cursor = self._last_visible()
            self.post_message(self.Moved())

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        if not self.live and self.scroll_offset.y >= self.max_scroll_y:
            self.go_live()
