"""The Services tab: one row per service, sortable, filterable, with a detail pane."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static

from arctui.models import ServiceState, StackSnapshot
from arctui.text import one_line
from arctui.ui.messages import ActionRequested
from arctui.ui.presenters import (
    COLUMNS,
    SORT_KEYS,
    Palette,
    service_detail,
    service_row,
    visible_services,
)

_PALETTE_VARS = {
    "up": "status-up",
    "down": "status-down",
    "degraded": "status-degraded",
    "muted": "status-muted",
    "accent": "role",
}


class ArcTable(DataTable):
    """A DataTable whose movement keys have ids, so keymaps (vim) can rebind them."""

    BINDINGS = [
        Binding("down", "cursor_down", "Down", show=False, id="table.down"),
        Binding("up", "cursor_up", "Up", show=False, id="table.up"),
        Binding("home", "scroll_top", "Top", show=False, id="table.top"),
        Binding("end", "scroll_bottom", "Bottom", show=False, id="table.bottom"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
    ]


class ServicesTab(Vertical):
    """Services of the stack as the last snapshot saw them."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="services.filter"),
        Binding("s", "sort", "Sort", id="services.sort"),
        Binding("S", "reverse", "Reverse", key_display="S", id="services.reverse"),
        Binding("enter", "toggle_detail", "Details", show=True, id="services.detail"),
        Binding("escape", "close", "Close", show=False, id="services.close"),
        Binding("y", "copy_id", "Copy id", show=False, id="services.copy_id"),
        # Lifecycle actions: each opens a confirmation; capitals for the harsh ones.
        Binding("x", "service('stop')", "Stop", show=False, id="services.stop"),
        Binding(
            "R", "service('restart')", "Restart", show=False, key_display="R", id="services.restart"
        ),
        Binding("u", "service('start')", "Start", show=False, id="services.start"),
        Binding("K", "service('kill')", "Kill", show=False, key_display="K", id="services.kill"),
        Binding("p", "service('pause')", "Pause/unpause", show=False, id="services.pause"),
        Binding("plus", "service('scale')", "Scale", show=False, id="services.scale"),
        Binding("exclamation_mark", "service('shell')", "Shell", show=False, id="services.shell"),
    ]

    def __init__(self, clock: Callable[[], float], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self.snapshot: StackSnapshot | None = None
        self.sort_column = "name"
        self.sort_reverse = False
        self.query_text = ""
        self.selected: str | None = None
        self._palette: tuple[str, Palette] | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter services (Esc clears)", id="services-filter")
        table = ArcTable(id="services-table", cursor_type="row", zebra_stripes=True)
        table.loading = False
        yield table
        with VerticalScroll(id="services-detail"):
            yield Static(id="services-detail-body")

    def on_mount(self) -> None:
        self.query_one("#services-filter", Input).display = False
        self.query_one("#services-detail").display = False
        self._rebuild()
        self.table.focus()

    @property
    def table(self) -> ArcTable:
        """The services table."""
        return self.query_one("#services-table", ArcTable)

    def palette(self) -> Palette:
        """Semantic colours from the current theme (cached per theme)."""
        theme = self.app.theme
        if self._palette is None or self._palette[0] != theme:
            variables = self.app.get_css_variables()
            self._palette = (
                theme,
                {kind: variables.get(var, "") for kind, var in _PALETTE_VARS.items()},
            )
        return self._palette[1]

    def show_snapshot(self, snapshot: StackSnapshot) -> None:
        """Display a new snapshot, keeping the selected row and the filter."""
        self.snapshot = snapshot
        self._rebuild()

    def _rebuild(self) -> None:
        table = self.table
        table.clear(columns=True)
        for key, label in COLUMNS:
            if key == self.sort_column:
                label += " ▼" if self.sort_reverse else " ▲"
            table.add_column(label, key=key)
        if self.snapshot is None:
            return
        now = self.clock()
        palette = self.palette()
        services = visible_services(
            self.snapshot, self.query_text, self.sort_column, self.sort_reverse, now
        )
        for service in services:
            row = service_row(service, now, palette)
            table.add_row(*row.cells, key=row.key)
        names = [s.name for s in services]
        if self.selected in names:
            table.move_cursor(row=names.index(self.selected), animate=False)
        self._update_detail()

    def _update_detail(self) -> None:
        detail = self.query_one("#services-detail")
        if not detail.display or self.snapshot is None:
            return
        service = self.snapshot.service(self.selected or "")
        body = self.query_one("#services-detail-body", Static)
        if service is None:
            body.update("No service selected.")
        else:
            body.update(service_detail(service, self.clock()))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.selected = str(event.row_key.value)
            self._update_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle_detail()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value.strip()
        self._rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: the action keys are hidden from the footer and inert.
        return not (action == "service" and getattr(self.app, "actions_disabled", True))

    def action_service(self, verb: str) -> None:
        """Ask the app for a lifecycle action on the selected service."""
        if self.snapshot is None or self.selected is None:
            self.notify("select a service first", severity="warning")
            return
        service = self.snapshot.service(self.selected)
        if verb == "pause" and service is not None and service.state is ServiceState.PAUSED:
            verb = "unpause"
        self.post_message(ActionRequested(verb, self.selected))

    def action_copy_id(self) -> None:
        """Copy the selected service's container ids (OSC 52: works over SSH)."""
        service = self.snapshot.service(self.selected or "") if self.snapshot else None
        if service is None or not service.containers:
            self.notify("no container to copy", severity="warning")
            return
        self.app.copy_to_clipboard("\n".join(c.id for c in service.containers))
        names = ", ".join(c.name for c in service.containers)
        self.notify(f"copied the id of {one_line(names, 80)}", timeout=3, markup=False)

    def action_filter(self) -> None:
        """Show the filter box and focus it."""
        box = self.query_one("#services-filter", Input)
        box.display = True
        box.focus()

    def action_sort(self) -> None:
        """Sort by the next column."""
        i = SORT_KEYS.index(self.sort_column)
        self.sort_column = SORT_KEYS[(i + 1) % len(SORT_KEYS)]
        self._rebuild()
        self.notify(f"sorted by {self.sort_column}", timeout=2)

    def action_reverse(self) -> None:
        """Reverse the sort order."""
        self.sort_reverse = not self.sort_reverse
        self._rebuild()

    def action_toggle_detail(self) -> None:
        """Open or close the detail pane of the selected service."""
        detail = self.query_one("#services-detail")
        detail.display = not detail.display
        self._update_detail()

    def action_close(self) -> None:
        """Escape: clear the filter first, then close the detail pane."""
        box = self.query_one("#services-filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.table.focus()
            return
        self.query_one("#services-detail").display = False

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key in SORT_KEYS:
            if key == self.sort_column:
                self.sort_reverse = not self.sort_reverse
            self.sort_column = key
            self._rebuild()
