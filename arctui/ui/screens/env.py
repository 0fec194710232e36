"""The environment view: every value of the layered env files, masked, with its source."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from arctui.config.envfiles import EnvLayers
from arctui.ops.envinfo import env_rows, env_warnings


class EnvScreen(ModalScreen[None]):
    """Env layering with provenance (`.env` -> `.env.<env>` -> per-service files)."""

    BINDINGS = [Binding("escape,q,e", "dismiss", "Close", id="env.close")]
    DEFAULT_CSS = """
    EnvScreen { align: center middle; }
    EnvScreen > Vertical {
        width: 95%; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    EnvScreen #env-notes { height: auto; color: $warning; }
    EnvScreen DataTable { height: 1fr; }
    """

    def __init__(self, layers: EnvLayers | None, base: Path | None, env: str) -> None:
        super().__init__()
        self.env_layers = layers
        self.base = base
        self.env = env

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="env-notes")
            yield DataTable(id="env-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        notes = self.query_one("#env-notes", Static)
        table = self.query_one("#env-table", DataTable)
        title = Text(f"Environment '{self.env}': later files win; secrets masked", style="bold")
        if self.env_layers is None:
            title.append("\nThe demo platform reads no env files.", style="")
            notes.update(title)
            return
        for warning in env_warnings(self.env_layers, self.base):
            title.append("\n⚠ " + warning)
        files = ", ".join(str(p.name) for p in self.env_layers.files) or "none"
        title.append(f"\nfiles passed to compose: {files}", style="")
        notes.update(title)
        table.add_columns("Scope", "Key", "Value", "From", "Replaced")
        for row in env_rows(self.env_layers, self.base):
            source = row.source + (" (shell overrides)" if row.shell_overrides else "")
            table.add_row(
                Text(row.scope),
                Text(row.key),
                Text(row.value, style="bold" if row.placeholder else ""),
                Text(source),
                Text(row.overridden, style="dim"),
            )
        table.focus()
