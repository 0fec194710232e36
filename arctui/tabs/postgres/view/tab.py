"""The Postgres tab: overview, live activity with its blocking tree, tables, slow
queries and locks; cancel/terminate/VACUUM/CREATE EXTENSION behind confirmation.

Here: the layout and the keys that move around. The state and the display are in
base.py, the actions in actions.py (PostgresTab < PostgresActions < PostgresTabBase)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input, Static

from arctui.tabs.postgres.view.actions import PgConfirmModal, PostgresActions
from arctui.tabs.postgres.view.presenters import SORT_KEYS
from arctui.ui.colours import on_theme_change
from arctui.ui.polling import Poller
from arctui.ui.widgets.filter_box import close_filter
from arctui.ui.widgets.table import ArcTable

__all__ = ["PgConfirmModal", "PostgresTab"]  # the modal is imported from here too

RATES = (0.5, 1.0, 2.0, 5.0, 10.0)


class PostgresTab(PostgresActions):
    """The platform's Postgres as the last read saw it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "view('activity')", "Activity", show=False, id="postgres.activity"),
        Binding("b", "view('tables')", "Tables", show=False, id="postgres.tables"),
        Binding("Q", "view('queries')", "Slow queries", key_display="Q", id="postgres.queries"),
        Binding("L", "view('locks')", "Locks", show=False, key_display="L", id="postgres.locks"),
        Binding("t", "view('settings')", "Settings", show=False, id="postgres.settings"),
        Binding("equals_sign", "set", "Set", show=False, id="postgres.alter_system"),
        Binding("X", "explain", "Explain", show=False, key_display="X", id="postgres.explain"),
        Binding("slash", "filter", "Filter", show=False, id="postgres.filter"),
        Binding("i", "toggle_idle", "Idle", show=False, id="postgres.hide_idle"),
        Binding("s", "sort", "Sort", show=False, id="postgres.sort"),
        Binding("S", "reverse", "Reverse", show=False, key_display="S", id="postgres.reverse"),
        Binding("p", "pause", "Pause", show=False, id="postgres.pause"),
        Binding("plus", "rate(-1)", "Faster", show=False, id="postgres.faster"),
        Binding("minus", "rate(1)", "Slower", show=False, id="postgres.slower"),
        Binding("w", "wide", "Wide query", show=False, id="postgres.wide"),
        Binding("enter", "toggle_detail", "Details", id="postgres.detail"),
        Binding("escape", "close", "Close", show=False, id="postgres.close"),
        Binding("space", "mark", "Mark", show=False, id="postgres.mark"),
        Binding("C", "pg('cancel')", "Cancel query", key_display="C", id="postgres.cancel"),
        Binding("K", "pg('terminate')", "Terminate", key_display="K", id="postgres.terminate"),
        Binding("V", "pg('vacuum')", "Vacuum", show=False, key_display="V", id="postgres.vacuum"),
        Binding(
            "E",
            "pg('create-extension')",
            "Create ext",
            show=False,
            key_display="E",
            id="postgres.create_extension",
        ),
        Binding("y", "copy('query')", "Copy query", show=False, id="postgres.copy_query"),
        Binding(
            "Y", "copy('pid')", "Copy pid", show=False, key_display="Y", id="postgres.copy_pid"
        ),
    ]

    # Layout ---------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text("connecting to Postgres …"), id="postgres-overview")
        yield Static(id="postgres-views")
        yield Input(placeholder="filter: db:NAME user:NAME min:SECONDS text (Esc clears)",
                    id="postgres-filter")  # fmt: skip
        table = ArcTable(id="postgres-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(id="postgres-status")
        with VerticalScroll(id="postgres-detail"):
            yield Static(id="postgres-detail-body")

    def on_mount(self) -> None:
        self.query_one("#postgres-filter", Input).display = False
        self.query_one("#postgres-detail").display = False
        self._show_views()
        on_theme_change(self, self._rebuild)
        self.poller = Poller(self, "postgres", self._read, interval=self.rate, hidden_interval=None)
        self.poller.start()
        self.poller.request()

    def on_show(self) -> None:
        # The tab was just shown: keys go to its table, and the data should be fresh.
        self.table.focus()
        if self.poller is not None:
            self.poller.request()

    def on_unmount(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        self.source.close()

    # Data -------------------------------------------------------------------------
    # Selection and detail ---------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.selected = str(event.row_key.value)
            self._update_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle_detail()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self._rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.table.focus()

    # Actions ----------------------------------------------------------------------
    def action_view(self, view: str) -> None:
        """Switch between activity, tables, slow queries and locks."""
        self.view = view
        self.selected = None
        self._show_views()
        self._rebuild()

    def action_filter(self) -> None:
        """Show the filter box and focus it."""
        box = self.query_one("#postgres-filter", Input)
        box.display = True
        box.focus()

    def action_toggle_idle(self) -> None:
        """Show or hide idle sessions."""
        self.hide_idle = not self.hide_idle
        self._rebuild()

    def action_sort(self) -> None:
        """Sort by the next column of this view."""
        keys = SORT_KEYS[self.view]
        self.sort[self.view] = keys[(keys.index(self.sort[self.view]) + 1) % len(keys)]
        self._rebuild()
        self.notify(f"sorted by {self.sort[self.view]}", timeout=2)

    def action_reverse(self) -> None:
        """Reverse the sort order."""
        self.reverse = not self.reverse
        self._rebuild()

    def action_pause(self) -> None:
        """Freeze the display and stop reading (no load on the server while paused)."""
        if self.poller is None:
            return
        self.poller.schedule.paused = not self.poller.schedule.paused
        if not self.poller.schedule.paused:
            self.poller.request()
        self._show_views()

    def action_rate(self, step: int) -> None:
        """Change the refresh interval (0.5 .. 10 s)."""
        i = min(range(len(RATES)), key=lambda k: abs(RATES[k] - self.rate))
        self.rate = RATES[max(0, min(len(RATES) - 1, i + step))]
        if self.poller is not None:
            self.poller.schedule.interval = self.rate
        self._show_views()

    def action_wide(self) -> None:
        """Query column: one line (120 chars) or wide (400)."""
        self.width = "wide" if self.width == "one-line" else "one-line"
        self._rows_stale = True  # the query column changes width: rows anew
        self._rebuild()

    def action_toggle_detail(self) -> None:
        """Open or close the pane with the selected row's full query."""
        detail = self.query_one("#postgres-detail")
        detail.display = not detail.display
        self._update_detail()

    def action_close(self) -> None:
        """Escape: clear the filter, then marks, then close the detail pane."""
        if close_filter(self.query_one("#postgres-filter", Input), self.table):
            return
        if self.marked:
            self.marked.clear()
            self._rebuild()
            return
        self.query_one("#postgres-detail").display = False

    def action_mark(self) -> None:
        """Mark or unmark the selected backend (for cancel/terminate of several)."""
        pid = self._selected_pid() if self.view == "activity" else None
        if pid is None:
            return
        self.marked.symmetric_difference_update({pid})
        self._rebuild()
        self.table.action_cursor_down()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key in SORT_KEYS[self.view]:
            if key == self.sort[self.view]:
                self.reverse = not self.reverse
            self.sort[self.view] = key
            self._rebuild()
