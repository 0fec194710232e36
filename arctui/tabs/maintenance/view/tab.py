"""The Maintenance tab: the guide's calendar, disk and prune, the runbook, and images.

Four panels behind one key each (c, k, u, i). The calendar's Enter does the selected task
(a backup or drill on the Backups tab, a whole-database VACUUM on the Postgres tab, the
security check here, ...); `d` records a task as done (audited). The Images panel is
`view/images_panel.py`'s `ImagesPanel(session, id=...)` when that module exists.
Every mutation goes through `confirm_mutation` and the gate. With several engines (issue
24) the Disk panel shows every engine's: an Engine column on both tables, rows grouped by
engine, one summary line each, and the prune goes to the highlighted row's engine under
that engine's rules.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.notifications import SeverityLevel
from textual.widget import Widget
from textual.widgets import ContentSwitcher, DataTable, Static

from arctui.ops.maintenance.calendar import TaskState
from arctui.ops.maintenance.prune import PruneError, PrunePlan, perform_prune, plan_prune
from arctui.ops.maintenance.runbook import RunError, RunPlan, perform_run, plan_run
from arctui.ops.maintenance.tasks import mark_done, security_audit
from arctui.ops.runner import ActionResult
from arctui.sources.base import SourceError
from arctui.tabs.maintenance.models import MaintenanceSnapshot
from arctui.tabs.maintenance.reader import MaintenanceReader
from arctui.tabs.maintenance.view import presenters as p
from arctui.tabs.maintenance.view.modal import MaintenanceModal, VariablesPrompt
from arctui.text import one_line
from arctui.ui.fleet_cells import split_key
from arctui.ui.palette_commands import run_on_tab
from arctui.ui.polling import Poller, SourceFailed, SourceUpdated
from arctui.ui.shell import shell
from arctui.ui.widgets.rows import sync_rows
from arctui.ui.widgets.table import ArcTable

if TYPE_CHECKING:
    from arctui.session import Session

SOURCE = "maintenance"
PANELS = ("calendar", "disk", "runbook", "images")
IMAGES_PANEL = "arctui.tabs.maintenance.view.images_panel"
_TITLES = {"calendar": "Calendar", "disk": "Disk", "runbook": "Runbook", "images": "Images"}
_KEYS = {"calendar": "c", "disk": "k", "runbook": "u", "images": "i"}


def _table(table_id: str, columns: tuple[tuple[str, str], ...]) -> ArcTable:
    table = ArcTable(id=table_id, cursor_type="row", zebra_stripes=True)
    for key, label in columns:
        table.add_column(label, key=key)
    return table


def images_panel(session: Session) -> Widget:
    """The other half of issue 23's tab: the images panel, or a line saying it is not here."""
    if importlib.util.find_spec(IMAGES_PANEL) is None:
        return Static(Text("Images: not in this build."), id="maintenance-images")
    module = importlib.import_module(IMAGES_PANEL)
    return module.ImagesPanel(session, id="maintenance-images")  # type: ignore[no-any-return]


class MaintenanceTab(Vertical):
    """What is due, disk use and prune, the Makefile and custom commands, images."""

    BINDINGS = [
        # The panel keys are on the tab's own panel bar; the footer keeps the actions.
        Binding("c", "panel('calendar')", "Calendar", show=False, id="maintenance.calendar"),
        Binding("k", "panel('disk')", "Disk", show=False, id="maintenance.disk"),
        Binding("u", "panel('runbook')", "Runbook", show=False, id="maintenance.runbook"),
        Binding("i", "panel('images')", "Images", show=False, id="maintenance.images"),
        Binding("d", "mark_done", "Mark done", id="maintenance.mark_done"),
        Binding("P", "prune", "Prune", key_display="P", id="maintenance.prune"),
        Binding("v", "run_with_vars", "Run with vars", show=False, id="maintenance.run_vars"),
    ]

    can_focus = True  # see _focus_panel

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.reader: MaintenanceReader | None = None
        self.snapshot: MaintenanceSnapshot | None = None
        self.panel = "calendar"
        self.poller: Poller | None = None
        # Several engines (a live fleet): the Disk panel shows every engine's.
        self.multi = session.fleet.multi and session.replay is None

    def compose(self) -> ComposeResult:
        wide = p.engine_columns if self.multi else (lambda columns: columns)
        yield Static(self._panel_bar(), id="maintenance-bar")
        with ContentSwitcher(initial="maintenance-calendar", id="maintenance-panels"):
            with Vertical(id="maintenance-calendar"):
                yield Static(Text("reading the audit log and backups …"), id="calendar-summary")
                yield _table("calendar-table", p.CALENDAR_COLUMNS)
                yield Static(id="calendar-detail")
            with Vertical(id="maintenance-disk", classes="multi" if self.multi else ""):
                first = p.fleet_disk_summary(()) if self.multi else p.disk_summary(None, "")
                yield Static(first, id="disk-summary")
                yield _table("disk-table", wide(p.DISK_COLUMNS))
                yield _table("volumes-table", wide(p.VOLUME_COLUMNS))
            with Vertical(id="maintenance-runbook"):
                yield Static(Text("reading the Makefile …"), id="runbook-summary")
                yield _table("runbook-table", p.RUNBOOK_COLUMNS)
            yield images_panel(self.session)

    def on_mount(self) -> None:
        self.reader = MaintenanceReader(self.session, shell(self.app).audit)
        self.poller = Poller(self, SOURCE, self.reader.read, interval=10.0, hidden_interval=None)
        self.poller.start()
        self.poller.request()

    def on_unmount(self) -> None:
        if self.poller is not None:
            self.poller.stop()

    def on_show(self) -> None:
        if self.poller is not None:
            self.poller.request()
        self._focus_panel()

    # Panels ------------------------------------------------------------------------
    def _panel_bar(self) -> Text:
        out = Text()
        for name in PANELS:
            label = f" {_KEYS[name]} {_TITLES[name]} "
            out.append(label, style="bold reverse" if name == self.panel else "")
            out.append(" ")
        return out

    def action_panel(self, name: str) -> None:
        """Show one panel."""
        self.panel = name
        if name == "disk" and self.reader is not None and self.poller is not None:
            self.reader.refresh_disk()  # df is read rarely: opening the panel reads it now
            self.poller.request()
        self.query_one(ContentSwitcher).current = f"maintenance-{name}"
        self.query_one("#maintenance-bar", Static).update(self._panel_bar())
        self._focus_panel()

    def _focus_panel(self) -> None:
        # The tab itself takes focus when the panel has nothing focusable (the images
        # placeholder): its keys must keep working.
        table_id = {"calendar": "calendar-table", "disk": "disk-table", "runbook": "runbook-table"}
        if self.panel in table_id:
            self.query_one(f"#{table_id[self.panel]}", ArcTable).focus()
            return
        panel = self.query_one("#maintenance-images")
        target = next((w for w in panel.query("*") if w.focusable), None)
        (target or (panel if panel.focusable else self)).focus()

    # Data --------------------------------------------------------------------------
    def on_source_updated(self, message: SourceUpdated) -> None:
        if message.source != SOURCE:
            return
        message.stop()
        self.show_snapshot(message.value)

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.source != SOURCE:
            return
        message.stop()
        text = Text(f"cannot read: {one_line(message.failure.reason, 300)}", style="red")
        self.query_one("#calendar-summary", Static).update(text)

    def show_snapshot(self, snap: MaintenanceSnapshot) -> None:
        """Fill every panel from one snapshot (rows that stay are updated in place)."""
        self.snapshot = snap
        now = snap.taken_at
        self.query_one("#calendar-summary", Static).update(p.calendar_summary(snap.calendar))
        rows = [p.calendar_row(s, now) for s in snap.calendar]
        sync_rows(self.query_one("#calendar-table", ArcTable), rows)
        self._update_detail()
        self._show_disk(snap)
        self.query_one("#runbook-summary", Static).update(p.runbook_summary(snap.runbook))
        sync_rows(self.query_one("#runbook-table", ArcTable), p.runbook_rows(snap.runbook))

    def _show_disk(self, snap: MaintenanceSnapshot) -> None:
        summary = self.query_one("#disk-summary", Static)
        disk_table = self.query_one("#disk-table", ArcTable)
        volumes = self.query_one("#volumes-table", ArcTable)
        if self.multi:
            summary.update(p.fleet_disk_summary(snap.disks))
            sync_rows(disk_table, p.fleet_disk_rows(snap.disks))
            sync_rows(volumes, p.fleet_volume_rows(snap.disks))
            return
        summary.update(p.disk_summary(snap.disk, self.session.project))
        if snap.disk is not None:
            sync_rows(disk_table, p.disk_rows(snap.disk))
            sync_rows(volumes, p.volume_rows(snap.disk))

    def disk_engine(self) -> Session:
        """The engine the Disk panel acts on: the highlighted row's (the volumes table's
        when it has the focus), the primary with one engine."""
        if not self.multi:
            return self.session
        volumes = self.query_one("#volumes-table", ArcTable)
        table_id = "volumes-table" if volumes.has_focus else "disk-table"
        engine, _ = split_key(self._selected(table_id))
        return shell(self.app).engine_session(engine)

    def _selected(self, table_id: str) -> str | None:
        table = self.query_one(f"#{table_id}", ArcTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def selected_task(self) -> TaskState | None:
        """The calendar's highlighted task."""
        chosen = self._selected("calendar-table")
        if self.snapshot is None or chosen is None:
            return None
        return next((s for s in self.snapshot.calendar if s.task.id == chosen), None)

    def _update_detail(self) -> None:
        now = self.snapshot.taken_at if self.snapshot else 0.0
        detail = p.calendar_detail(self.selected_task(), now)
        self.query_one("#calendar-detail", Static).update(detail)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "calendar-table":
            self._update_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.data_table.id == "calendar-table":
            self.do_task()
        elif event.data_table.id == "runbook-table":
            self.run_selected()

    # Calendar ----------------------------------------------------------------------
    def do_task(self, task_id: str | None = None) -> None:
        """The action that does a task (the highlighted one by default)."""
        state = self.selected_task()
        action = state.task.action if task_id is None and state else ""
        if task_id is not None:
            from arctui.ops.maintenance.calendar import task

            action = task(task_id).action
        app: Any = self.app
        if action == "backup":
            run_on_tab(app, "backups", "run_backup")
        elif action == "drill":
            run_on_tab(app, "backups", "drill")
        elif action == "vacuum":  # the activity view's V: the whole database
            run_on_tab(app, "postgres", "view('activity')")
            run_on_tab(app, "postgres", "pg('vacuum')")
        elif action == "queries":
            run_on_tab(app, "postgres", "view('queries')")
        elif action == "logs":
            app.action_show_tab("logs")
        elif action in ("disk", "images"):
            self.action_panel(action)
        elif action == "env":
            app.action_show_env()
        elif action == "security":
            self._security()
        else:
            self.notify("arctui cannot do this one: press d once it is done", severity="warning")

    def _security(self) -> None:
        self.notify("running the security check …", timeout=3)
        audit = shell(self.app).audit

        def work() -> None:
            result, _ = security_audit(self.session, audit)
            self.app.call_from_thread(self._said, "Security audit", result)

        self.run_worker(work, thread=True, exit_on_error=False, group="maintenance")

    def _said(self, title: str, result: ActionResult) -> None:
        severity: SeverityLevel = "information" if result.ok else "error"
        lines = "; ".join(result.output[:5])
        text = one_line(f"{result.outcome}: {result.message}" + (f" ({lines})" if lines else ""))
        self.notify(text, title=title, severity=severity, markup=False, timeout=10)
        if self.poller is not None:
            self.poller.request()

    def action_mark_done(self) -> None:
        """Record the highlighted task as done (an audit entry the calendar reads back)."""
        state = self.selected_task() if self.panel == "calendar" else None
        if state is None:
            self.notify("select a task on the calendar (c) first", severity="warning")
            return
        audit = shell(self.app).audit
        task_id = state.task.id

        def work() -> None:
            result = mark_done(self.session, task_id, audit)
            self.app.call_from_thread(self._said, f"Marked done: {state.task.title}", result)

        self.run_worker(work, thread=True, exit_on_error=False, group="maintenance")

    # Prune -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: prune is hidden from the footer and inert (runs are refused, audited).
        return not (action == "prune" and self.session.read_only)

    def action_prune(self, engine: str | None = None) -> None:
        """Dry run on a worker, then the confirmation listing what would go. The engine:
        `engine`'s, else the Disk panel's highlighted row's (several engines)."""
        session = shell(self.app).engine_session(engine) if engine else self.disk_engine()

        def plan() -> None:
            try:
                found: PrunePlan | str = plan_prune(session)
            except (PruneError, SourceError) as exc:
                found = getattr(exc, "reason", None) or str(exc)
            self.app.call_from_thread(self._confirm_prune, found, session)

        self.run_worker(plan, thread=True, exit_on_error=False, group="maintenance")

    def _confirm_prune(self, plan: PrunePlan | str, session: Session) -> None:
        if isinstance(plan, str):
            self.notify(plan, title="cannot prune", severity="error", markup=False)
            return
        import dataclasses

        action = dataclasses.replace(plan.action, consequence=p.prune_consequence(plan.candidates))
        plan = dataclasses.replace(plan, action=action)
        audit = shell(self.app).audit

        def work(out: Callable[[str], None], cancel: threading.Event) -> ActionResult:
            return perform_prune(session, plan, out, cancel, audit)

        shell(self.app).confirm_mutation(
            action,
            lambda: MaintenanceModal(session, action, audit, work),
            self._run_closed,
            session=session,  # that engine's gate: its read-only and production rules
        )

    def _run_closed(self, result: ActionResult | None) -> None:
        if result is not None and self.reader is not None:
            self.reader.refresh_disk()
        if self.poller is not None:
            self.poller.request()

    # Runbook -----------------------------------------------------------------------
    def run_selected(self, words: tuple[str, ...] = ()) -> None:
        """Plan the highlighted target or command (with `words` as VAR=value) and confirm."""
        chosen = self._selected("runbook-table")
        if chosen is None:
            self.notify("nothing to run", severity="warning")
            return
        self.run_named(chosen.partition(":")[2], words)

    def action_run_with_vars(self) -> None:
        """Ask for VAR=value words, then run the highlighted target."""
        chosen = self._selected("runbook-table") if self.panel == "runbook" else None
        if chosen is None:
            self.notify("select a target on the runbook (u) first", severity="warning")
            return
        service = shell(self.app).selected_service
        initial = f"SERVICE={service}" if service else ""

        def given(text: str | None) -> None:
            if text is not None:
                self.run_named(chosen.partition(":")[2], tuple(text.split()))

        self.app.push_screen(VariablesPrompt(chosen.partition(":")[2], initial), given)

    def run_named(self, name: str, words: tuple[str, ...] = ()) -> None:
        """Plan a run on a worker (it may read the stack for $CONTAINER), then confirm."""
        snap = self.snapshot
        if snap is None:
            self.notify("no data yet", severity="warning")
            return
        stack = shell(self.app).current_snapshot()

        def plan() -> None:
            try:
                found: RunPlan | str = plan_run(self.session, snap.runbook, name, words, stack)
            except (RunError, SourceError) as exc:
                found = getattr(exc, "reason", None) or str(exc)
            self.app.call_from_thread(self._confirm_run, found)

        self.run_worker(plan, thread=True, exit_on_error=False, group="maintenance")

    def _confirm_run(self, plan: RunPlan | str) -> None:
        if isinstance(plan, str):
            self.notify(plan, title="cannot run", severity="error", markup=False)
            return
        audit = shell(self.app).audit

        def work(out: Callable[[str], None], cancel: threading.Event) -> ActionResult:
            return perform_run(self.session, plan, out, cancel, audit)

        shell(self.app).confirm_mutation(
            plan.action,
            lambda: MaintenanceModal(self.session, plan.action, audit, work),
            self._run_closed,
            mutates=plan.mutates,
        )

    # Palette -----------------------------------------------------------------------
    def palette_commands(self) -> list[tuple[str, Any, str]]:
        """Run each target and command by name; mark tasks done; prune (not read-only)."""
        snap = self.snapshot
        if snap is None:
            return []
        read_only = shell(self.app).actions_disabled
        out: list[tuple[str, Any, str]] = []
        for t in snap.runbook.targets:
            if not read_only:
                where = f"make {t.name}" + (" (removes data)" if t.dangerous else "")
                out.append((f"Run make {t.name}", partial(self.run_named, t.name), where))
        for c in snap.runbook.commands:
            if not (read_only and c.dangerous):
                title = f"Run command {c.name}"
                out.append((title, partial(self.run_named, c.name), c.help or "custom command"))
        for s in snap.calendar:
            if s.status != "ok":
                title = f"Do now: {s.task.title}"
                out.append((title, partial(self.do_task, s.task.id), f"{s.status}: {s.task.how}"))
        if not read_only:
            title = "Prune unused images, containers, build cache"
            if self.multi:  # one entry per engine, each under its own engine's rules
                for engine in snap.disks:
                    where = f"on engine {engine.engine} ({engine.env})"
                    out.append(
                        (
                            f"{title} on {engine.engine}",
                            partial(self.action_prune, engine.engine),
                            where,
                        )
                    )
            else:
                out.append((title, self.action_prune, ""))
        # The images panel's own entries (update a service, check the registries).
        images = getattr(self.query_one("#maintenance-images"), "palette_commands", None)
        if callable(images):
            out += images()
        return out
