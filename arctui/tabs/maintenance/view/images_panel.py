"""The Maintenance tab's Images panel: each service's image and whether the registry has
a newer digest for its tag; `U` updates the highlighted service (pull, recreate, wait for
health, roll back by itself), `r` asks the registries again (no cache).

Self-contained: a widget taking the session, with its own poller ("images", started
when the panel is first shown) and bindings (`images.*`). The update goes through
`confirm_mutation` (read-only and production rules, the typed environment name in
production) and the gate, in the tab's `MaintenanceModal`.

Several engines (issue 24): every engine's images, each checked against its own engine
(`ops/maintenance/images_fleet.py`), an Engine column first, rows grouped by engine, one
summary line per engine; `U` updates the highlighted row's service on THAT engine, under
its env rules (its gate: read-only, production's typed name).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from arctui.ops.lifecycle import ActionError
from arctui.ops.maintenance.images import ImageRow, ImagesReport
from arctui.ops.maintenance.images_fleet import (
    READING,
    EngineImages,
    FleetImageReads,
    checkers_for,
)
from arctui.ops.maintenance.update import UpdateAction, confirmed, perform_update, plan_update
from arctui.ops.runner import ActionResult
from arctui.sources.base import SourceError
from arctui.tabs.maintenance.view.modal import MaintenanceModal
from arctui.text import one_line
from arctui.ui.fleet_cells import ENGINE_COLUMN, EngineTag, engine_cell, row_key, split_key
from arctui.ui.polling import Poller, SourceFailed, SourceUpdated
from arctui.ui.shell import shell
from arctui.ui.widgets.rows import cursor_key, sync_rows
from arctui.ui.widgets.table import ArcTable

if TYPE_CHECKING:
    from arctui.models import StackSnapshot
    from arctui.session import Session

SOURCE = "images"
INTERVAL = 60.0  # engine reads each time; registry answers from the client's cache
COLUMNS = (  # the status first: at 80 columns the digests are what falls off
    ("service", "Service"),
    ("status", "Status"),
    ("image", "Image"),
    ("running", "Running"),
    ("digest", "Digest"),
    ("registry", "Registry"),
)
_STATUS_STYLE = {
    "update available": "bold yellow",
    "pulled, not running": "bold yellow",
    "up to date": "green",
    "unknown": "red",
}


def _short(value: str, n: int = 19) -> str:
    return value[:n] if value else "-"


def image_rows(report: ImagesReport) -> list[tuple[str, list[Text]]]:
    """One table row per service (outside text as Text, never markup)."""
    out = []
    for r in report.rows:
        status = Text(r.status, style=_STATUS_STYLE.get(r.status, ""))
        if r.flagged:
            status.append(" !floating", style="bold red")
        out.append(
            (
                r.service,
                [
                    Text(one_line(r.service, 40)),
                    status,
                    Text(one_line(r.image, 60)),
                    Text(_short(r.running_id.removeprefix("sha256:"), 12)),
                    Text(_short(r.local_digest)),
                    Text(_short(r.remote_digest)),
                ],
            )
        )
    return out


def _tag(engine: EngineImages) -> EngineTag:
    return EngineTag(engine.engine, engine.production)


def fleet_rows(engines: Sequence[EngineImages]) -> list[tuple[str, list[Text]]]:
    """Every engine's rows, grouped by engine, keyed by it, the Engine cell first."""
    return [
        (row_key(e.engine, key), [engine_cell(_tag(e)), *cells])
        for e in engines
        for key, cells in image_rows(e.report)
    ]


def fleet_summary(engines: Sequence[EngineImages], now: float) -> Text:
    """One line per engine (its updates, services, age), then the notes once."""
    if not engines:
        return Text("checking every engine's images against the registries …")
    out = Text(no_wrap=True, overflow="ellipsis")
    notes: dict[str, None] = {}
    for i, e in enumerate(engines):
        out.append("\n" if i else "")
        out.append_text(engine_cell(_tag(e)))
        out.append(": ")
        report = e.report
        if report.error == READING:
            out.append(f"images {READING} …", style="grey50")
            continue
        if report.error:
            out.append(f"cannot read the images: {one_line(report.error, 300)}", style="red")
            continue
        available = sum(r.update_available for r in report.rows)
        style = "bold yellow" if available else "green"
        out.append(f"{available} update(s) available", style=style)
        out.append(f" · {len(report.rows)} services · checked")
        out.append(f" {max(0, now - report.checked_at):.0f} s ago in {report.elapsed:.2f} s")
        flagged = sum(r.flagged for r in report.rows)
        if flagged:
            out.append(f" · {flagged} datastore(s) on a floating tag", style="bold red")
        if report.note:
            notes[one_line(report.note, 200)] = None
    if notes:  # the keys are in the footer: at 80x24 every line here is a table row
        out.append(f"\nnote: {'; '.join(notes)}", style="dim")
    return out


def summary(report: ImagesReport | None, now: float, read_only: bool = False) -> Text:
    """The line over the table: how many updates, when checked, notes."""
    if report is None:
        return Text("checking images against the registries …")
    if report.error:
        return Text(f"cannot read the images: {one_line(report.error, 300)}", style="red")
    available = sum(r.update_available for r in report.rows)
    flagged = sum(r.flagged for r in report.rows)
    out = Text()
    out.append(f"{available} update(s) available", style="bold yellow" if available else "green")
    out.append(
        f" · {len(report.rows)} services · checked {max(0, now - report.checked_at):.0f} s ago"
    )
    out.append(f" in {report.elapsed:.2f} s")
    if flagged:
        out.append(f" · {flagged} datastore(s) on a floating tag", style="bold red")
    keys = "r asks the registries again" if read_only else "U update, r ask the registries again"
    out.append(f"  ({keys})", style="dim")
    if report.note:
        out.append(f"\nnote: {one_line(report.note, 300)}", style="dim")
    return out


def detail(row: ImageRow | None, engine: EngineImages | None = None) -> Text:
    """The highlighted row's reason, digests in full (`engine`: several engines)."""
    if row is None:
        return Text("")
    out = Text()
    if engine is not None:
        out.append_text(engine_cell(_tag(engine)))
        out.append("/")
    out.append(f"{one_line(row.service, 40)}: {one_line(row.image, 120)}", style="bold")
    if row.remote_digest:
        out.append(f"\nnew {row.remote_digest}")
    if row.local_digest:
        out.append(f"\nrun {row.local_digest}")
    if row.reason:
        out.append(f"\n{one_line(row.reason, 300)}", style="red" if row.flagged else "")
    return out


class ImagesPanel(Vertical):
    """Images per service; update with health-gated rollback."""

    BINDINGS = [
        Binding("U", "update", "Update image", key_display="U", id="images.update"),
        Binding("r", "check", "Check registries", id="images.refresh"),
    ]
    DEFAULT_CSS = """
    ImagesPanel { height: 1fr; }
    ImagesPanel #images-summary {
        height: auto; max-height: 4; padding: 0 1; border-bottom: solid $primary;
    }
    ImagesPanel #images-table { height: 1fr; }
    ImagesPanel #images-detail {
        height: auto; max-height: 5; padding: 0 1; border-top: solid $primary;
        background: $surface;
    }
    """

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        # Several engines (a live fleet): every engine's images, each its own checker.
        self.multi = session.fleet.multi and session.replay is None
        self.checkers = checkers_for(session.fleet.all if self.multi else (session,))
        self.checker = self.checkers[session.engine_name]
        self.report: ImagesReport | None = None  # the primary's (its services, its errors)
        self.reports: tuple[EngineImages, ...] = ()  # every engine's, the primary first
        self.poller: Poller | None = None
        self._force = threading.Event()  # the next read asks the registries again
        self.fleet_reads: FleetImageReads | None = None  # several engines: one thread each

    def compose(self) -> ComposeResult:
        first = fleet_summary((), 0.0) if self.multi else summary(None, 0.0)
        yield Static(first, id="images-summary")
        table = ArcTable(id="images-table", cursor_type="row", zebra_stripes=True)
        for key, label in (ENGINE_COLUMN, *COLUMNS) if self.multi else COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static(id="images-detail")

    def on_mount(self) -> None:
        if self.multi:  # a line per engine, the notes' line, the border
            self.query_one("#images-summary", Static).styles.max_height = len(self.checkers) + 2

    def on_show(self) -> None:
        # The first check waits until the panel is looked at (registries are outside).
        if self.poller is None:
            if self.multi:
                checkers = list(self.checkers.values())
                app = shell(self.app)
                self.fleet_reads = FleetImageReads(checkers, app.engine_snapshot, self._late)
            self.poller = Poller(self, SOURCE, self._read, interval=INTERVAL)
            self.poller.start()
            # The first stack read may not know every service yet (never-created ones come
            # with the compose model): check again when the set of services changes.
            self.watch(self.app, "snapshot", self._snapshot_changed, init=False)
        self.poller.request()

    def _snapshot_changed(self, snapshot: StackSnapshot | None) -> None:
        if self.report is None or snapshot is None or self.poller is None:
            return
        if {s.name for s in snapshot.services} != {r.service for r in self.report.rows}:
            self.poller.request()

    def _late(self) -> None:
        """An engine's check ended after the read that waited for it (its thread)."""
        with contextlib.suppress(RuntimeError):  # the app is closing: nothing to show
            self.app.call_from_thread(self._request)

    def _request(self) -> None:
        if self.poller is not None:
            self.poller.request()

    def on_unmount(self) -> None:
        if self.poller is not None:
            self.poller.stop()

    def _read(self) -> tuple[EngineImages, ...]:
        force = self._force.is_set()
        self._force.clear()
        if self.fleet_reads is not None:  # each engine's error is its own line; a slow
            return self.fleet_reads.read(force)  # engine's rows follow when it answers
        s = self.session
        report = self.checker.read(shell(self.app).current_snapshot(), force=force)
        if report.error:
            raise SourceError(report.error)
        return (EngineImages(s.engine_name, s.env, s.production, s.read_only, report),)

    # Data --------------------------------------------------------------------------
    def on_source_updated(self, message: SourceUpdated) -> None:
        if message.source != SOURCE:
            return
        message.stop()
        self.reports = message.value
        self.report = self.reports[0].report
        table = self.query_one("#images-table", ArcTable)
        if self.multi:
            self.query_one("#images-summary", Static).update(
                fleet_summary(self.reports, time.time())
            )
            sync_rows(table, fleet_rows(self.reports))
        else:
            self.query_one("#images-summary", Static).update(
                summary(self.report, time.time(), self.session.read_only)
            )
            sync_rows(table, image_rows(self.report))
        self._update_detail()

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.source != SOURCE:
            return
        message.stop()
        text = Text(f"cannot check images: {one_line(message.failure.reason, 300)}", style="red")
        self.query_one("#images-summary", Static).update(text)

    def _engine(self, name: str | None) -> EngineImages | None:
        """The engine's report (None: the primary's)."""
        name = name or self.session.engine_name
        return next((e for e in self.reports if e.engine == name), None)

    def selected_at(self) -> tuple[EngineImages | None, ImageRow | None]:
        """The highlighted row's engine report and row."""
        engine, service = split_key(cursor_key(self.query_one("#images-table", ArcTable)))
        found = self._engine(engine)
        if found is None or service is None:
            return found, None
        return found, found.report.row(service)

    def selected(self) -> ImageRow | None:
        """The highlighted service's row."""
        return self.selected_at()[1]

    def _update_detail(self) -> None:
        engine, row = self.selected_at()
        text = detail(row, engine if self.multi else None)
        self.query_one("#images-detail", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "images-table":
            event.stop()
            self._update_detail()

    # Actions -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: update is hidden from the footer and inert (several engines: when
        # every engine is read-only; the gate refuses a read-only row's update).
        read_only = all(c.session.read_only for c in self.checkers.values())
        return not (action == "update" and read_only)

    def action_check(self) -> None:
        """Ask the registries again (no cache)."""
        self._force.set()
        if self.poller is not None:
            self.poller.request()
        self.notify("asking the registries again …", timeout=2)

    def action_update(self, service: str | None = None, engine: str | None = None) -> None:
        """Plan the update of the highlighted service on a worker, then confirm. The
        engine: `engine`'s, else the highlighted row's (the primary with one engine)."""
        at, row = self.selected_at()
        name = service or (row.service if row else None)
        if name is None:
            self.notify("select a service first", severity="warning")
            return
        app = shell(self.app)
        target = engine if service else (at.engine if at is not None else None)
        session = app.engine_session(target) if self.multi else self.session
        checker = self.checkers.get(session.engine_name, self.checker)
        audit = app.audit
        snapshot = app.engine_snapshot(target) if self.multi else app.current_snapshot()

        def plan() -> None:
            try:
                found: UpdateAction | str = plan_update(
                    session, name, checker, audit, snapshot=snapshot
                )
            except (ActionError, SourceError) as exc:
                found = getattr(exc, "reason", None) or str(exc)
            self.app.call_from_thread(self._confirm, found, session)

        self.run_worker(plan, thread=True, exit_on_error=False, group="images")

    def _confirm(self, planned: UpdateAction | str, session: Session) -> None:
        if isinstance(planned, str):
            title = f"cannot update on {session.engine_name}" if self.multi else "cannot update"
            self.notify(planned, title=title, severity="error", markup=False)
            return
        # The modal asks for the environment name in production: that is the typed name
        # an untested digest needs (the gate checks it again when the work starts).
        action = confirmed(planned)
        audit = shell(self.app).audit

        def work(out: Callable[[str], None], cancel: threading.Event) -> ActionResult:
            return perform_update(session, action, out, cancel, audit)

        shell(self.app).confirm_mutation(
            action,
            lambda: MaintenanceModal(session, action, audit, work),
            self._update_closed,
            session=session,  # that engine's gate: its read-only and production rules
        )

    def _update_closed(self, result: ActionResult | None) -> None:
        if result is not None:
            self.notify(
                one_line(f"{result.outcome}: {result.message}", 400),
                title="Image update",
                severity="information" if result.ok else "error",
                markup=False,
                timeout=10,
            )
        if self.poller is not None:
            self.poller.request()

    def palette_commands(self) -> list[tuple[str, Any, str]]:
        """Update each service with an update available (not read-only); check again."""
        out: list[tuple[str, Any, str]] = [
            ("Check images against the registries", self.action_check, "no cache")
        ]
        if self.report is None or shell(self.app).actions_disabled:
            return out
        for e in self.reports:
            if e.read_only:
                continue
            on = f" on {e.engine}" if self.multi else ""
            for r in e.report.rows:
                if r.update_available:
                    where = f"{r.image} -> {_short(r.remote_digest)}"
                    call = partial(self.action_update, r.service, e.engine)
                    out.append((f"Update image of {r.service}{on}", call, where))
        return out
