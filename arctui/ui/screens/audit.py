"""The audit log view: newest first; the selected entry's command and detail below."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from arctui.ops.audit import AuditLog
from arctui.text import clean, one_line

SHOWN = 500
_OUTCOME_STYLE = {
    "ok": "green",
    "simulated": "yellow",
    "failed": "bold red",
    "refused": "red",
    "cancelled": "yellow",
    "declined": "dim",
}


class AuditScreen(ModalScreen[None]):
    """What arctui ran or refused, from the audit log file."""

    BINDINGS = [Binding("escape,q,A", "dismiss", "Close", id="audit.close")]
    DEFAULT_CSS = """
    AuditScreen { align: center middle; }
    AuditScreen > Vertical {
        width: 96%; height: 92%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    AuditScreen #audit-title { height: auto; }
    AuditScreen DataTable { height: 1fr; }
    AuditScreen #audit-detail {
        height: auto; max-height: 8; border-top: solid $primary;
    }
    """

    def __init__(self, audit: AuditLog) -> None:
        super().__init__()
        self.audit = audit
        self.entries: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="audit-title")
            yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="audit-detail")

    def on_mount(self) -> None:
        self.entries = list(reversed(self.audit.read(SHOWN)))
        title = Text("Audit log ", style="bold")
        where = one_line(str(self.audit.path), 200)  # XDG_STATE_HOME is outside text too
        title.append(f"{where}  ·  {len(self.entries)} newest entries  ·  Esc closes")
        self.query_one("#audit-title", Static).update(title)
        table = self.query_one("#audit-table", DataTable)
        table.add_columns("Time", "User", "Env", "Action", "Target", "Outcome", "Took")
        for i, entry in enumerate(self.entries):
            target = one_line(str(entry.get("target", "")), 40)
            if entry.get("replicas") is not None:
                target += f"={entry['replicas']}"
            outcome = str(entry.get("outcome", "?"))
            took = entry.get("duration_s")
            table.add_row(
                Text(one_line(str(entry.get("time", "")), 32).replace("T", " ")[:19]),
                Text(one_line(str(entry.get("user", "")), 40)),
                Text(one_line(str(entry.get("env", "")), 20)),
                Text(one_line(str(entry.get("action", "")), 20)),
                Text(target),
                Text(one_line(outcome, 12), style=_OUTCOME_STYLE.get(outcome, "")),
                Text(f"{took:.1f}s" if isinstance(took, int | float) else "-"),
                key=str(i),
            )
        if not self.entries:
            self.query_one("#audit-detail", Static).update(
                Text("No actions recorded yet.", style="dim")
            )
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.row_key.value is None:
            return
        entry = self.entries[int(event.row_key.value)]
        text = Text("$ ", style="bold")
        text.append(clean(str(entry.get("command", "")), 4000))
        text.append(f"\nproject {one_line(str(entry.get('project', '')), 60)}")
        if entry.get("exit_code") is not None:
            text.append(f" · exit code {entry['exit_code']}")
        if entry.get("detail"):
            text.append("\n" + clean(str(entry["detail"]), 2000))
        self.query_one("#audit-detail", Static).update(text)
