"""The Maintenance tab's Images panel: each service's image and whether the registry has
a newer digest for its tag; `U` updates the highlighted service (pull, recreate, wait for
health, roll back by itself), `r` asks the registries again (no cache).

Self-contained: a widget taking the session, with its own poller ("images", started
when the panel is first shown) and bindings (`images.*`). The update goes through
`confirm_mutation` (read-only and production rules, the typed environment name in
production) and the gate, in the tab's `MaintenanceModal`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from arctui.ops.lifecycle import ActionError
from arctui.ops.maintenance.images import ImageRow, ImagesChecker, ImagesReport
from arctui.ops.maintenance.update import UpdateAction, confirmed, perform_update, plan_update
from arctui.ops.runner import ActionResult
from arctui.sources.base import SourceError
from arctui.tabs.maintenance.view.modal import MaintenanceModal
from arctui.text import one_line
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


def detail(row: ImageRow | None) -> Text:
    """The highlighted row's reason, digests in full."""
    if row is None:
        return Text("")
    out = Text(f"{one_line(row.service, 40)}: {one_line(row.image, 120)}", style="bold")
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
        self.checker = ImagesChecker(session)
        self.report: ImagesReport | None = None
        self.poller: Poller | None = None
        self._force = threading.Event()  # the next read asks the registries again

    def compose(self) -> ComposeResult:
        yield Static(summary(None, 0.0), id="images-summary")
        table = ArcTable(id="images-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static(id="images-detail")

    def on_show(self) -> None:
        # The first check waits until the panel is looked at (registries are outside).
        if self.poller is None:
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

    def on_unmount(self) -> None:
        if self.poller is not None:
            self.poller.stop()

    def _read(self) -> ImagesReport:
        force = self._force.is_set()
        self._force.clear()
        report = self.checker.read(shell(self.app).current_snapshot(), force=force)
        if report.error:
            raise SourceError(report.error)
        return report

    # Data --------------------------------------------------------------------------
    def on_source_updated(self, message: SourceUpdated) -> None:
        if message.source != SOURCE:
            return
        message.stop()
        self.report = message.value
        self.query_one("#images-summary", Static).update(
            summary(self.report, time.time(), self.session.read_only)
        )
        sync_rows(self.query_one("#images-table", ArcTable), image_rows(message.value))
        self._update_detail()

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.source != SOURCE:
            return
        message.stop()
        text = Text(f"cannot check images: {one_line(message.failure.reason, 300)}", style="red")
        self.query_one("#images-summary", Static).update(text)

    def selected(self) -> ImageRow | None:
        """The highlighted service's row."""
        key = cursor_key(self.query_one("#images-table", ArcTable))
        return self.report.row(key) if self.report is not None and key else None

    def _update_detail(self) -> None:
        self.query_one("#images-detail", Static).update(detail(self.selected()))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "images-table":
            event.stop()
            self._update_detail()

    # Actions -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: update is hidden from the footer and inert.
        return not (action == "update" and self.session.read_only)

    def action_check(self) -> None:
        """Ask the registries again (no cache)."""
        self._force.set()
        if self.poller is not None:
            self.poller.request()
        self.notify("asking the registries again …", timeout=2)

    def action_update(self, service: str | None = None) -> None:
        """Plan the update of the highlighted service on a worker, then confirm."""
        row = self.selected()
        name = service or (row.service if row else None)
        if name is None:
            self.notify("select a service first", severity="warning")
            return
        audit = shell(self.app).audit
        snapshot = shell(self.app).current_snapshot()

        def plan() -> None:
            try:
                found: UpdateAction | str = plan_update(
                    self.session, name, self.checker, audit, snapshot=snapshot
                )
            except (ActionError, SourceError) as exc:
                found = getattr(exc, "reason", None) or str(exc)
            self.app.call_from_thread(self._confirm, found)

        self.run_worker(plan, thread=True, exit_on_error=False, group="images")

    def _confirm(self, planned: UpdateAction | str) -> None:
        if isinstance(planned, str):
            self.notify(planned, title="cannot update", severity="error", markup=False)
            return
        # The modal asks for the environment name in production: that is the typed name
        # an untested digest needs (the gate checks it again when the work starts).
        action = confirmed(planned)
        audit = shell(self.app).audit

        def work(out: Callable[[str], None], cancel: threading.Event) -> ActionResult:
            return perform_update(self.session, action, out, cancel, audit)

        shell(self.app).confirm_mutation(
            action,
            lambda: MaintenanceModal(self.session, action, audit, work),
            self._update_closed,
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
        for r in self.report.rows:
            if r.update_available:
                where = f"{r.image} -> {_short(r.remote_digest)}"
                out.append(
                    (f"Update image of {r.service}", partial(self.action_update, r.service), where)
                )
        return out
