"""A lean table for rows that change often (the Services and Resources tabs).

Textual's DataTable re-renders every visible cell through Rich whenever any cell
changes, and a layout refresh repaints the whole screen; at 1 Hz with 100 rows that was
most of arctui's CPU. This widget uses the line API instead: each row is built once per
change as plain padded segments, and only rows whose content changed are repainted, so
only those lines are sent to the terminal (which an SSH link pays for).

Cells are `rich.text.Text` with one base style (what the presenters make); the first
column stays in place when scrolling sideways.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from arctui.ui.cells import Row
from arctui.ui.widgets.line_view import rich_style


@dataclass(frozen=True)
class Column:
    """A column: its key, header, width and how it gives way when the table is too wide.

    `width` is a minimum (None: as wide as its widest cell, capped): a cell is never cut
    unless the column says it may be. When the columns do not fit, the ones with the
    highest `priority` give way first: a column with a `min_width` is cut down to it
    (with an ellipsis, at the start if `keep_end`), then whole columns are hidden.
    Priority 0 is never hidden: names and numbers stay whole.
    """

    key: str
    label: str
    width: int | None = None
    priority: int = 0
    min_width: int | None = None
    keep_end: bool = False


def fit_widths(columns: Sequence[Column], natural: Sequence[int], room: int) -> list[int]:
    """Each column's shown width for `room` cells (0: hidden); each takes 2 of padding.

    Lower-priority columns shrink to their `min_width`, then hide, until the rest fits;
    if even the priority-0 columns do not, they are kept whole (the table scrolls).
    """
    order = sorted(
        (i for i, c in enumerate(columns) if c.priority > 0),
        key=lambda i: (-columns[i].priority, -i),
    )
    widths = list(natural)
    for hidden_count in range(len(order) + 1):
        widths = list(natural)
        for i in order[:hidden_count]:
            widths[i] = 0
        excess = sum(w + 2 for w in widths if w) - room
        for i in order[hidden_count:]:
            floor = columns[i].min_width
            if excess <= 0:
                break
            if floor is not None and widths[i] > floor:
                cut = min(excess, widths[i] - floor)
                widths[i] -= cut
                excess -= cut
        if excess <= 0:
            return widths
    return widths


def _as_style(style: str | Style) -> Style:
    return style if isinstance(style, Style) else rich_style(style)


def _signature(cells: Sequence[Text]) -> tuple[tuple[str, str], ...]:
    return tuple((c.plain, f"{c.style}{c.spans}" if c.spans else str(c.style)) for c in cells)


def cut(text: str, width: int, keep_end: bool = False) -> str:
    """`text` in `width` cells, an ellipsis where it was cut (at the start if `keep_end`)."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return set_cell_size("…", width)
    if not keep_end:
        return set_cell_size(text, width - 1) + "…"
    tail = text
    while cell_len(tail) > width - 1:
        tail = tail[1:]
    return "…" + set_cell_size(tail, width - 1)


class StatsTable(ScrollView, can_focus=True):
    """Rows of Text cells with a row cursor; repaints only the rows that changed."""

    BINDINGS = [
        Binding("down", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("up", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("home", "cursor_to(0)", "Top", show=False, id="table.top"),
        Binding("end", "cursor_to(-1)", "Bottom", show=False, id="table.bottom"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("right", "scroll_right", "Right", show=False, id="table.right"),
        Binding("left", "scroll_left", "Left", show=False, id="table.left"),
        Binding("enter", "select", "Select", show=False, id="table.select"),
    ]
    COMPONENT_CLASSES = {
        "stats-table--header",
        "stats-table--cursor",
        "stats-table--even-row",
    }
    DEFAULT_CSS = """
    StatsTable {
        background: $surface;
        color: $foreground;
        & > .stats-table--header { text-style: bold; background: $panel; }
        & > .stats-table--even-row { background: $surface-lighten-1 50%; }
        & > .stats-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .stats-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    class Highlighted(Message):
        """The cursor moved onto a row."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class Selected(Message):
        """Enter (or a click on the cursor row) on a row."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class HeaderClicked(Message):
        """A column header was clicked."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(self, name_cap: int = 40, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.name_cap = name_cap
        self.columns: list[Column] = []
        self._widths: list[int] = []  # as wide as the cells (they only grow)
        self._shown: list[int] = []  # what fits the widget (0: column hidden)
        self._rows: list[Row] = []
        self._signatures: list[tuple[tuple[str, str], ...]] = []
        self._strips: dict[str, tuple[Strip, Strip]] = {}  # key -> (fixed part, rest)
        self._header: tuple[Strip, Strip] | None = None
        self._styles: dict[str, Style] = {}
        self._base: Style | None = None  # rich_style walks every ancestor: keep it
        self.cursor = 0
        self.empty_text = ""  # shown below the header when there is no row

    # Data ---------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        """How many rows are shown."""
        return len(self._rows)

    @property
    def row_keys(self) -> list[str]:
        """Row keys, top to bottom."""
        return [r.key for r in self._rows]

    @property
    def cursor_key(self) -> str | None:
        """Key of the row under the cursor."""
        return self._rows[self.cursor].key if self._rows else None

    def cell(self, key: str, column: str) -> Text:
        """The cell of a row (KeyError if absent)."""
        return self.row(key)[[c.key for c in self.columns].index(column)]

    def row(self, key: str) -> tuple[Text, ...]:
        """The cells of the row keyed `key` (KeyError if absent)."""
        for r in self._rows:
            if r.key == key:
                return r.cells
        raise KeyError(key)

    def row_at(self, index: int) -> tuple[Text, ...]:
        """The cells of the `index`-th row shown."""
        return self._rows[index].cells

    def move_cursor(self, index: int) -> None:
        """Put the cursor on the `index`-th row (clamped), scrolling it into view."""
        self._move(index)

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Replace the columns (headers, widths); everything is repainted."""
        self.columns = list(columns)
        self._header = None
        self._widths = []  # measured afresh for the new columns
        self._shown = []
        self._strips.clear()
        self._layout()
        self.refresh()

    def set_empty_text(self, text: str) -> None:
        """What the table says when it has no row (why it is empty)."""
        if text != self.empty_text:
            self.empty_text = text
            if not self._rows:
                self.refresh_line(1)

    def set_rows(self, rows: Sequence[Row], follow: str | None = None) -> None:
        """Show these rows; the cursor follows the row keyed `follow` if it is still there."""
        old_keys, old_sigs, before = self.row_keys, self._signatures, self.cursor_key
        self._rows = list(rows)
        self._signatures = [_signature(r.cells) for r in self._rows]
        if self._layout():
            old_keys, old_sigs = [], []
        keys = self.row_keys
        self.virtual_size = Size(self._total(), len(keys) + 1)
        previous = dict(zip(old_keys, old_sigs, strict=True))
        for key, sig in zip(keys, self._signatures, strict=True):
            if previous.get(key) != sig:
                self._strips.pop(key, None)
        for key in set(self._strips) - set(keys):
            del self._strips[key]
        if follow in keys:
            self.cursor = keys.index(follow)
        self.cursor = max(0, min(self.cursor, len(keys) - 1))
        if len(keys) != len(old_keys):
            self.refresh()
        else:
            for i, (key, sig) in enumerate(zip(keys, self._signatures, strict=True)):
                if old_keys[i] != key or old_sigs[i] != sig:
                    self.refresh_line(i + 1)
        if self.cursor_key != before and self.cursor_key is not None:
            self.post_message(self.Highlighted(self.cursor_key))
        self._scroll_to_cursor()

    def _layout(self) -> bool:
        """Recompute widths; True if they changed (then everything is repainted).

        Widths only grow until the columns are set again: a state that comes and goes
        ("restarting" in a crash loop) would otherwise move every column, and repaint
        the whole table, twice per cycle. A fixed width is a minimum: a number that
        outgrows it widens its column instead of losing digits.
        """
        widths = []
        grown = self._widths if len(self._widths) == len(self.columns) else []
        for i, col in enumerate(self.columns):
            widest = max((r.cells[i].cell_len for r in self._rows), default=0)
            width = max(widest, cell_len(col.label), col.width or 0)
            if col.width is None:
                width = min(self.name_cap, width)
            widths.append(max(width, grown[i]) if grown else width)
        shown = fit_widths(self.columns, widths, self._room()) if widths else []
        if widths == self._widths and shown == self._shown:
            return False
        self._widths, self._shown = widths, shown
        self._strips.clear()
        self._header = None
        self.virtual_size = Size(self._total(), len(self._rows) + 1)
        self.refresh()
        return True

    def _room(self) -> int:
        """Cells a row may take: the width less the vertical scrollbar when rows overflow."""
        width = self.size.width
        if not width:
            return 10_000  # not laid out yet: everything, until the first resize
        if len(self._rows) + 1 > self.size.height:
            width -= self.styles.scrollbar_size_vertical
        return width

    def _total(self) -> int:
        return sum(w + 2 for w in self._shown if w)

    def on_resize(self, event: events.Resize) -> None:
        if self._layout():
            self._scroll_to_cursor()

    @property
    def shown_columns(self) -> list[str]:
        """Keys of the columns on screen (the others gave way to a narrow terminal)."""
        return [c.key for c, w in zip(self.columns, self._shown, strict=False) if w]

    # Rendering ----------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None
        self._styles.clear()
        self._strips.clear()
        self._header = None

    def _style(self, part: str) -> Style:
        if part not in self._styles:
            style = self.get_component_rich_style(f"stats-table--{part}")
            # Zebra stripes change the background only: cells keep their colours.
            self._styles[part] = Style(bgcolor=style.bgcolor) if part == "even-row" else style
        return self._styles[part]

    def _build(self, cells: Sequence[Text], header: bool = False) -> tuple[Strip, Strip]:
        parts: list[list[Segment]] = [[], []]
        for i, (cell, width) in enumerate(zip(cells, self._shown, strict=False)):
            if not width:
                continue  # hidden: the terminal is too narrow for it
            right = cell.justify == "right" and not header
            if cell.spans:  # a cell with a styled part (a marker after a name)
                parts[0 if i == 0 else 1].extend(self._spanned(cell, width, right))
                continue
            keep_end = self.columns[i].keep_end if i < len(self.columns) else False
            text = cut(cell.plain, width, keep_end) if cell.cell_len > width else cell.plain
            pad = width - cell_len(text)
            text = " " * pad + text if right else text + " " * pad
            style = cell.style if isinstance(cell.style, Style) else rich_style(cell.style)
            parts[0 if i == 0 else 1].append(Segment(f" {text} ", style))
        return Strip(parts[0]), Strip(parts[1])

    def _spanned(self, cell: Text, width: int, right: bool) -> list[Segment]:
        """Segments of a cell whose spans carry their own styles, cut and padded."""
        text = cell.copy()
        # Theme colours may be Textual names (ansi_yellow) that Rich cannot parse.
        text.style = _as_style(text.style)
        text.spans = [Span(x.start, x.end, _as_style(x.style)) for x in text.spans]
        text.truncate(width, overflow="ellipsis")
        pad = width - text.cell_len
        if right:
            text.pad_left(pad + 1)
            text.pad_right(1)
        else:
            text.pad_left(1)
            text.pad_right(pad + 1)
        return list(text.render(self.app.console))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._base is None:
            self._base = self.rich_style
        base = self._base
        if y == 0:
            if self._header is None:
                self._header = self._build([Text(c.label) for c in self.columns], header=True)
            fixed, rest, style = *self._header, self._style("header")
        else:
            index = int(self.scroll_y) + y - 1
            if index >= len(self._rows):
                if index == 0 and self.empty_text:
                    hint = Text(" " + self.empty_text, style="italic", no_wrap=True)
                    hint.truncate(width, overflow="ellipsis", pad=True)
                    return Strip(hint.render(self.app.console), width).apply_style(base)
                return Strip.blank(width, base)
            row = self._rows[index]
            if row.key not in self._strips:
                self._strips[row.key] = self._build(row.cells)
            fixed, rest = self._strips[row.key]
            style = Style()
            if index == self.cursor:
                style = self._style("cursor")
            elif index % 2 == 0:
                style = self._style("even-row")
        scroll_x = int(self.scroll_x)
        visible = max(0, width - fixed.cell_length)
        line = Strip.join([fixed, rest.crop(scroll_x, scroll_x + visible)])
        segments = Segment.apply_style(line, base + style if y == 0 else base, None)
        if y and style:
            segments = Segment.apply_style(segments, None, style)
        return Strip(segments).adjust_cell_length(width, base)

    # Cursor -------------------------------------------------------------------------
    def _move(self, index: int) -> None:
        if not self._rows:
            return
        index = max(0, min(index, len(self._rows) - 1))
        if index == self.cursor:
            return
        old, self.cursor = self.cursor, index
        self.refresh_line(old + 1)
        self.refresh_line(index + 1)
        self._scroll_to_cursor()
        self.post_message(self.Highlighted(self._rows[index].key))

    def _scroll_to_cursor(self) -> None:
        visible_rows = max(1, self.size.height - 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible_rows:
            self.scroll_to(y=self.cursor - visible_rows + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        """Move the cursor by `step` rows."""
        self._move(self.cursor + step)

    def action_cursor_to(self, index: int) -> None:
        """First row (0) or last (-1)."""
        self._move(index if index >= 0 else len(self._rows) - 1)

    def action_page(self, direction: int) -> None:
        """A page down or up."""
        self._move(self.cursor + direction * max(1, self.size.height - 2))

    def action_select(self) -> None:
        """Enter on the cursor row."""
        if self.cursor_key is not None:
            self.post_message(self.Selected(self.cursor_key))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = (
                event.x
                if event.x < (self._shown[0] + 2 if self._shown else 0)
                else (event.x + int(self.scroll_x))
            )
            edge = 0
            for col, width in zip(self.columns, self._shown, strict=False):
                if not width:
                    continue
                edge += width + 2
                if x < edge:
                    self.post_message(self.HeaderClicked(col.key))
                    return
            return
        index = int(self.scroll_y) + event.y - 1
        if index == self.cursor:
            self.action_select()
        else:
            self._move(index)
