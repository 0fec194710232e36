"""The Services tab: one row per service, sortable, filterable, with a detail pane."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Static

from arctui.models import ServiceState, StackSnapshot
from arctui.tabs.services.view.presenters import (
    COLUMNS,
    CUTTABLE,
    PRIORITY,
    SORT_KEYS,
    Colours,
    service_detail,
    service_row,
    visible_services,
)
from arctui.text import one_line
from arctui.ui.colours import ThemeColours, on_theme_change
from arctui.ui.fleet_cells import (
    ENGINE_COLUMN,
    engine_matches,
    next_filter,
    parse_filter,
    split_key,
    with_engine,
)
from arctui.ui.messages import ActionRequested
from arctui.ui.shell import shell
from arctui.ui.widgets.filter_box import close_filter
from arctui.ui.widgets.stats_table import Column, StatsTable

if TYPE_CHECKING:
    from arctui.session import Session


class ServicesTab(Vertical):
    """Services of the stack as the last snapshot saw them."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="services.filter"),
        Binding("s", "sort", "Sort", show=False, id="services.sort"),
        Binding("S", "reverse", "Reverse", show=False, key_display="S", id="services.reverse"),
        Binding("enter", "toggle_detail", "Details", show=True, id="services.detail"),
        Binding("escape", "close", "Close", show=False, id="services.close"),
        Binding("y", "copy_id", "Copy id", show=False, id="services.copy_id"),
        # Lifecycle actions: each opens a confirmation; capitals for the harsh ones.
        Binding("x", "service('stop')", "Stop", id="services.stop"),
        Binding("R", "service('restart')", "Restart", key_display="R", id="services.restart"),
        Binding("u", "service('start')", "Start", id="services.start"),
        Binding("K", "service('kill')", "Kill", key_display="K", id="services.kill"),
        Binding("p", "service('pause')", "Pause/unpause", show=False, id="services.pause"),
        Binding("plus", "service('scale')", "Scale", show=False, id="services.scale"),
        Binding("exclamation_mark", "service('shell')", "Shell", show=False, id="services.shell"),
        # Several engines: the filter's `engine:NAME` word, to the next engine and back.
        Binding("E", "cycle_engine", "Engine", show=False, key_display="E", id="services.engine"),
    ]

    def __init__(self, session: Session, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.clock = session.clock
        self.snapshot: StackSnapshot | None = None
        self.sort_column = "name"
        self.sort_reverse = False
        self.query_text = ""
        self.selected: str | None = None
        self._palette = ThemeColours()
        self._header: tuple[str, bool, bool] | None = None
        self.engine: str | None = None  # the selected row's engine (None: one engine)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter services (Esc clears)", id="services-filter")
        # The line-API table repaints only the rows whose cells changed (a DataTable
        # re-renders every visible row on any change: most of the at-rest CPU at N = 50).
        yield StatsTable(id="services-table", name_cap=60)
        with VerticalScroll(id="services-detail"):
            yield Static(id="services-detail-body")

    def on_mount(self) -> None:
        self.query_one("#services-filter", Input).display = False
        self.query_one("#services-detail").display = False
        self._rebuild()
        self.table.focus()
        self.watch(self.app, "snapshot", self._snapshot_changed, init=False)
        on_theme_change(self, self._rebuild)
        if shell(self.app).multi_engine:  # every engine's rows (ui/fleet_app.py)
            self.watch(self.app, "fleet_version", self._fleet_changed, init=False)

    def _fleet_changed(self, _: int) -> None:
        self._rebuild()

    def on_show(self) -> None:
        self.table.focus()  # back from another tab: the keys act on the table again

    def _snapshot_changed(self, snapshot: StackSnapshot | None) -> None:
        if snapshot is not None:
            self.show_snapshot(snapshot)

    @property
    def table(self) -> StatsTable:
        """The services table."""
        return self.query_one("#services-table", StatsTable)

    def palette(self) -> Colours:
        """Semantic colours from the current theme."""
        return self._palette.get(self.app)

    def show_snapshot(self, snapshot: StackSnapshot) -> None:
        """Display a new snapshot, keeping the selected row and the filter."""
        self.snapshot = snapshot
        self._rebuild()

    def _rebuild(self) -> None:
        """Show the snapshot; the table repaints only the rows that changed."""
        table = self.table
        multi = shell(self.app).multi_engine
        header = (self.sort_column, self.sort_reverse, multi)
        if header != self._header:
            arrow = " ▼" if self.sort_reverse else " ▲"
            table.set_columns(
                [Column(key, label) for key, label in ((ENGINE_COLUMN,) if multi else ())]
                + [
                    Column(
                        key,
                        label + (arrow if key == self.sort_column else ""),
                        priority=PRIORITY.get(key, 0),
                        min_width=CUTTABLE.get(key),
                        keep_end=key in CUTTABLE,
                    )
                    for key, label in COLUMNS
                ]
            )
            self._header = header
        if multi:
            self._rebuild_fleet()
            return
        if self.snapshot is None:
            return
        now = self.clock()
        palette = self.palette()
        services = visible_services(
            self.snapshot, self.query_text, self.sort_column, self.sort_reverse, now
        )
        table.set_rows(
            [service_row(service, now, palette) for service in services], follow=self.selected
        )
        if self.snapshot.services and not services:
            table.set_empty_text(f"no service matches the filter {self.query_text!r}")
        else:
            table.set_empty_text("no service declared and no container in this project")
        self._update_detail()

    def _rebuild_fleet(self) -> None:
        """Rows of every engine, grouped by engine (the primary first), sorted in each."""
        now, palette = self.clock(), self.palette()
        wanted, query = parse_filter(self.query_text)
        rows, total = [], 0
        for tag, snapshot in shell(self.app).engine_views():
            if snapshot is None:
                continue
            total += len(snapshot.services)
            if not engine_matches(wanted, tag.name):
                continue
            services = visible_services(snapshot, query, self.sort_column, self.sort_reverse, now)
            rows += [with_engine(service_row(s, now, palette), tag, palette) for s in services]
        table = self.table
        table.set_rows(rows, follow=self.selected)
        if total and not rows:
            table.set_empty_text(f"no service matches the filter {self.query_text!r}")
        else:
            table.set_empty_text("no service declared and no container in this project")
        self._update_detail()

    def _shown_snapshot(self) -> StackSnapshot | None:
        """The snapshot of the selected row's engine."""
        if self.engine is None:
            return self.snapshot
        return shell(self.app).engine_snapshot(self.engine)

    def _service_name(self) -> str | None:
        return split_key(self.selected)[1]

    def _update_detail(self) -> None:
        detail = self.query_one("#services-detail")
        snapshot = self._shown_snapshot()
        if not detail.display or snapshot is None:
            return
        service = snapshot.service(self._service_name() or "")
        body = self.query_one("#services-detail-body", Static)
        if service is None:
            body.update("No service selected.")
        else:
            body.update(service_detail(service, self.clock(), snapshot))

    def on_stats_table_highlighted(self, event: StatsTable.Highlighted) -> None:
        self.selected = event.key
        self.engine = split_key(event.key)[0]
        shell(self.app).selected_service = self._service_name()
        self._update_detail()

    def on_stats_table_selected(self, event: StatsTable.Selected) -> None:
        event.stop()
        self.action_toggle_detail()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value.strip()
        self._rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: the action keys are hidden from the footer and inert.
        if action == "cycle_engine":
            return shell(self.app).multi_engine
        if action == "service":  # read-only: hidden from the footer and inert
            return not shell(self.app).engine_session(self.engine).read_only
        return True

    def action_service(self, verb: str) -> None:
        """Ask the app for a lifecycle action on the selected service, on its engine."""
        snapshot, name = self._shown_snapshot(), self._service_name()
        if snapshot is None or name is None:
            self.notify("select a service first", severity="warning")
            return
        service = snapshot.service(name)
        if verb == "pause" and service is not None and service.state is ServiceState.PAUSED:
            verb = "unpause"
        self.post_message(ActionRequested(verb, name, self.engine))

    def action_cycle_engine(self) -> None:
        """Show the next engine's rows only (then every engine's again)."""
        names = [tag.name for tag, _ in shell(self.app).engine_views()]
        box = self.query_one("#services-filter", Input)
        box.value = next_filter(box.value, names)
        box.display = bool(box.value)
        self.query_text = box.value.strip()
        self._rebuild()
        self.table.focus()

    def action_copy_id(self) -> None:
        """Copy the selected service's container ids (OSC 52: works over SSH)."""
        snapshot = self._shown_snapshot()
        service = snapshot.service(self._service_name() or "") if snapshot else None
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
        if close_filter(self.query_one("#services-filter", Input), self.table):
            return
        self.query_one("#services-detail").display = False

    def on_stats_table_header_clicked(self, event: StatsTable.HeaderClicked) -> None:
        key = event.column
        if key in SORT_KEYS:
            if key == self.sort_column:
                self.sort_reverse = not self.sort_reverse
            self.sort_column = key
            self._rebuild()
