"""The environment view: every value of the layered env files, masked, with its source.

Columns are sized to their content and to the screen (at 80x24 the key column must not
eat the value's room); the highlighted row is shown in full, wrapped, below the table,
with what it replaced. Per-service files no compose file reads are marked unused.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from arctui.config.envfiles import EnvLayers
from arctui.config.masking import redact
from arctui.ops.envinfo import EnvRow, compose_reads, env_rows, env_warnings
from arctui.text import one_line

HEADERS = ("Scope", "Key", "Value", "From")
# Natural widths are capped; when the screen is narrow the value keeps at least this share.
CAPS = {"Scope": 22, "Key": 30, "From": 30}
MIN_WIDTH = {"Scope": 7, "Key": 16, "From": 8}
SHRINK_ORDER = ("From", "Scope", "Key")  # what gives way first when the screen is narrow
VALUE_SHARE = 0.35
CHROME = 6  # the modal's border, padding and scrollbar
CELL_PADDING = 2  # DataTable's cell padding, per column


def _clip(text: str, width: int, left: bool = False) -> str:
    """Text cut to width with an ellipsis (at the start for paths, where the end matters)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    return "…" + text[-(width - 1) :] if left else text[: width - 1] + "…"


def column_widths(rows: list[EnvRow], total: int) -> dict[str, int]:
    """Widths for HEADERS that fit `total` columns: content-sized, value gets the rest."""
    natural = {
        "Scope": max([len("Scope"), *(len(r.scope) for r in rows)]),
        "Key": max([len("Key"), *(len(r.key) for r in rows)]),
        "From": max([len("From"), *(len(_source(r)) for r in rows)]),
    }
    widths = {name: min(width, CAPS[name]) for name, width in natural.items()}
    room = max(20, total - CHROME - CELL_PADDING * len(HEADERS))
    value_min = max(12, int(room * VALUE_SHARE))
    for name in SHRINK_ORDER:
        excess = sum(widths.values()) - (room - value_min)
        if excess <= 0:
            break
        widths[name] = max(MIN_WIDTH[name], widths[name] - excess)
    natural_value = max([len("Value"), *(len(r.value) for r in rows)])
    widths["Value"] = max(value_min, min(natural_value, room - sum(widths.values())))
    return widths


def _source(row: EnvRow) -> str:
    text = row.source + (" (shell overrides)" if row.shell_overrides else "")
    return text if row.used else f"{text} (unused)"


def row_detail(row: EnvRow) -> Text:
    """One row in full: key = value (masked, wrapped by the widget), file, what it replaced."""
    out = Text()
    out.append(row.key, style="bold")
    out.append(" = ")
    out.append(redact(row.value) or "(empty)")
    out.append(f"\nfrom {row.source}", style="dim")
    if row.shell_overrides:
        out.append("  (the shell's value wins for interpolation)", style="dim")
    if row.overridden:
        out.append(f"\nreplaced {row.overridden}", style="dim")
    if not row.used:
        out.append("\nunused: no compose file names this file in env_file:", style="bold")
    return out


class EnvScreen(ModalScreen[None]):
    """Env layering with provenance (`.env` -> `.env.<env>` -> per-service files)."""

    BINDINGS = [Binding("escape,q,e", "dismiss", "Close", id="env.close")]
    DEFAULT_CSS = """
    EnvScreen { align: center middle; }
    EnvScreen > Vertical {
        width: 95%; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    EnvScreen #env-notes { height: auto; max-height: 40%; color: $warning; }
    EnvScreen DataTable { height: 1fr; }
    EnvScreen #env-detail {
        height: auto; max-height: 6; border-top: solid $primary-muted; color: $text;
    }
    """

    def __init__(self, layers: EnvLayers | None, base: Path | None, env: str) -> None:
        super().__init__()
        self.env_layers = layers
        self.base = base
        self.env = env
        self.rows: list[EnvRow] = []
        self._width = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="env-notes")
            yield DataTable(id="env-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="env-detail")

    def on_mount(self) -> None:
        notes = self.query_one("#env-notes", Static)
        title = Text(f"Environment '{self.env}': later files win; secrets masked", style="bold")
        if self.env_layers is None:
            title.append("\nThe demo platform reads no env files.", style="")
            notes.update(title)
            return
        reads = compose_reads(self.env_layers, self.base) or ["no env file"]
        title.append("\ncompose reads: " + one_line(redact(", ".join(reads)), 600), style="")
        for warning in env_warnings(self.env_layers, self.base):
            title.append("\n⚠ " + one_line(redact(warning), 600))
        notes.update(title)
        self.rows = env_rows(self.env_layers, self.base)
        self._fill(self.app.size.width)
        self.query_one("#env-table", DataTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        if self.env_layers is not None and event.size.width != self._width:
            self._fill(event.size.width)

    def _fill(self, width: int) -> None:
        """(Re)build the table for this screen width; the cursor stays on its row."""
        self._width = width
        table = self.query_one("#env-table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        widths = column_widths(self.rows, int(width * 0.95))
        for name in HEADERS:
            table.add_column(name, width=widths[name], key=name)
        for row in self.rows:
            dim = "" if row.used else "dim"
            table.add_row(
                Text(_clip(row.scope, widths["Scope"], left=True), style=dim),
                Text(_clip(row.key, widths["Key"]), style=dim),
                Text(
                    _clip(redact(row.value), widths["Value"]),
                    style="bold" if row.placeholder else dim,
                ),
                Text(_clip(_source(row), widths["From"], left=True), style=dim),
            )
        if self.rows:
            table.move_cursor(row=min(max(cursor, 0), len(self.rows) - 1))
            self._show(table.cursor_row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    def _show(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            self.query_one("#env-detail", Static).update(row_detail(self.rows[index]))
