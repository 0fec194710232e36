"""The Backups tab: RPO per datastore, every backup with its verified state, and actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from arctui.models import SourceFailure
from arctui.ops.backups import run as ops
from arctui.ops.backups.datastore import KINDS, replaced_by_restore
from arctui.tabs.backups.models import BackupsSnapshot
from arctui.tabs.backups.reader import BackupsReader
from arctui.tabs.backups.view.modal import BackupAction, confirm_backup
from arctui.tabs.backups.view.presenters import COLUMNS, backup_detail, backup_row, summary
from arctui.text import one_line
from arctui.ui.colours import ThemeColours, on_theme_change
from arctui.ui.polling import Poller, SourceFailed, SourceUpdated
from arctui.ui.shell import shell
from arctui.ui.widgets.rows import sync_rows
from arctui.ui.widgets.table import ArcTable

if TYPE_CHECKING:
    from arctui.ops.backups.run import RunResult
    from arctui.ops.runner import ActionResult
    from arctui.session import Session

SOURCE = "backups"
_MUTATING = ("run_backup", "delete", "restore", "drill", "prune")


class BackupsTab(Vertical):
    """Backups as the backup directory says, re-read every few seconds while shown."""

    BINDINGS = [
        Binding("b", "run_backup", "Back up now", id="backups.run"),
        Binding("v", "verify", "Verify", id="backups.verify"),
        Binding("R", "restore", "Restore", key_display="R", id="backups.restore"),
        Binding("D", "delete", "Delete", key_display="D", show=False, id="backups.delete"),
        Binding("t", "drill", "DR drill", id="backups.drill"),
        Binding("P", "prune", "Prune", key_display="P", show=False, id="backups.prune"),
        Binding("enter", "toggle_detail", "Details", id="backups.detail"),
        Binding("escape", "close", "Close", show=False, id="backups.close"),
    ]

    def __init__(self, session: Session, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.session = session
        self.clock = session.clock
        self.reader = BackupsReader(session, clock=session.clock)
        self.snapshot: BackupsSnapshot | None = None
        self.failure: SourceFailure | None = None
        self.selected: str | None = None
        self._palette = ThemeColours()
        self.poller: Poller | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("reading the backup directory …"), id="backups-summary")
        table = ArcTable(id="backups-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        with VerticalScroll(id="backups-detail"):
            yield Static(id="backups-detail-body")

    def on_mount(self) -> None:
        self.query_one("#backups-detail").display = False
        on_theme_change(self, self._restyle)
        self.poller = Poller(self, SOURCE, self.reader.read, interval=5.0, hidden_interval=None)
        self.poller.start()
        self.poller.request()

    def on_unmount(self) -> None:
        if self.poller is not None:
            self.poller.stop()

    def on_show(self) -> None:
        if self.poller is not None:
            self.poller.request()
        self.table.focus()

    @property
    def table(self) -> ArcTable:
        """The backups table."""
        return self.query_one("#backups-table", ArcTable)

    # Data ------------------------------------------------------------------------
    def on_source_updated(self, message: SourceUpdated) -> None:
        if message.source != SOURCE:
            return
        message.stop()
        self.failure = None
        self.show_snapshot(message.value)

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.source != SOURCE:
            return
        self.failure = message.failure
        text = Text(f"cannot read backups: {one_line(message.failure.reason, 300)}")
        if message.failure.fix:
            text.append(f"\nfix: {one_line(message.failure.fix, 300)}")
        self.query_one("#backups-summary", Static).update(text)

    def palette(self) -> dict[str, str]:
        """Theme colours as Rich understands them (a Static renders through Rich)."""
        from rich.errors import StyleSyntaxError
        from rich.style import Style

        from arctui.ui.cells import DEFAULT_COLOURS

        out = {}
        for kind, default in DEFAULT_COLOURS.items():
            value = self._palette.get(self.app).get(kind, "") or default
            value = value.removeprefix("ansi_")
            try:
                Style.parse(value)
            except StyleSyntaxError:
                value = default
            out[kind] = value
        return out

    def _restyle(self) -> None:
        if self.snapshot is not None:
            self.show_snapshot(self.snapshot)

    def show_snapshot(self, snapshot: BackupsSnapshot) -> None:
        """Show a snapshot; rows that persist are updated cell by cell."""
        self.snapshot = snapshot
        palette = self.palette()
        now = self.clock()
        self.query_one("#backups-summary", Static).update(summary(snapshot, now, palette))
        rows = [backup_row(m, now, palette) for m in snapshot.backups]
        sync_rows(self.table, [(r.key, r.cells) for r in rows], follow=self.selected)
        self._update_detail()

    def _chosen(self) -> str | None:
        if self.snapshot is None or not self.snapshot.backups:
            self.notify("no backup selected", severity="warning")
            return None
        return self.selected or self.snapshot.backups[0].id

    def _update_detail(self) -> None:
        detail = self.query_one("#backups-detail")
        if not detail.display or self.snapshot is None:
            return
        found = [m for m in self.snapshot.backups if m.id == self.selected]
        body = self.query_one("#backups-detail-body", Static)
        body.update(backup_detail(found[0], self.clock()) if found else Text("No backup selected."))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.selected = str(event.row_key.value)
            self._update_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle_detail()

    def action_toggle_detail(self) -> None:
        """Open or close the selected backup's manifest."""
        detail = self.query_one("#backups-detail")
        detail.display = not detail.display
        self._update_detail()

    def action_close(self) -> None:
        """Close the detail pane."""
        self.query_one("#backups-detail").display = False

    # Actions ---------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: mutating keys are hidden from the footer and inert.
        return not (action in _MUTATING and self.session.read_only)

    def _open(self, request: BackupAction) -> None:
        ctx = ops.Context.of(self.session, audit=shell(self.app).audit)
        confirm_backup(self.app, ctx, request, self._done)

    def _done(self, result: ActionResult | None) -> None:
        if self.poller is not None:
            self.poller.request()

    def action_run_backup(self) -> None:
        """Back up Postgres and Redis now (verified)."""

        def both(ctx: ops.Context) -> RunResult:
            results = [ops.backup(ctx, kind) for kind in KINDS]
            failed = [r for r in results if not r.ok]
            first = failed[0] if failed else results[-1]
            details = tuple(f"{r.target}: {r.outcome.upper()}: {r.message}" for r in results)
            return ops.RunResult(
                "backup",
                "all",
                first.outcome,
                first.message if failed else "both backups taken and verified",
                details=details,
            )

        self._open(
            BackupAction(
                "backup", "all", "Back up Postgres and Redis now", "arctui backup all", both
            )
        )

    def action_verify(self) -> None:
        """Check the selected backup again (sha256, then the archive)."""
        chosen = self._chosen()
        if chosen:
            self._open(
                BackupAction(
                    "backup-verify",
                    chosen,
                    f"Verify backup {chosen}",
                    f"arctui backup verify {chosen}",
                    lambda ctx: ops.verify(ctx, chosen),
                )
            )

    def action_delete(self) -> None:
        """Delete the selected backup (typed confirmation)."""
        chosen = self._chosen()
        if chosen:
            self._open(
                BackupAction(
                    "backup-delete",
                    chosen,
                    f"Delete backup {chosen}",
                    f"arctui backup delete {chosen}",
                    lambda ctx: ops.delete(ctx, chosen),
                    consequence="The backup file and its manifest are removed for good.",
                    destructive=True,
                )
            )

    def action_restore(self) -> None:
        """Restore the selected backup into the stack (typed confirmation)."""
        chosen = self._chosen()
        if chosen is None or self.snapshot is None:
            return
        m = next(m for m in self.snapshot.backups if m.id == chosen)
        if not m.verified:
            self.notify(
                f"{chosen} is not verified: it cannot be restored", severity="error", markup=False
            )
            return
        what = replaced_by_restore(m.kind)
        self._open(
            BackupAction(
                "restore",
                chosen,
                f"Restore {chosen} into {m.datastore}",
                f"arctui restore {chosen}",
                lambda ctx: ops.restore(ctx, chosen),
                consequence=f"The live {m.datastore} loses everything written since the backup"
                f" ({what} is replaced); services that depend on it are stopped meanwhile.",
                destructive=True,
            )
        )

    def action_drill(self) -> None:
        """DR drill: newest backups restored into scratch, checked, removed."""
        self._open(
            BackupAction(
                "drill",
                "backups",
                "DR drill: restore the newest backups into"
                " a scratch database and a throwaway Redis",
                "arctui drill",
                ops.drill,
            )
        )

    def action_prune(self) -> None:
        """Apply retention (never the newest verified backup; never after a failed run)."""
        self._open(
            BackupAction(
                "backup-prune",
                "backups",
                "Prune backups past retention",
                "arctui backup prune",
                lambda ctx: ops.prune(ctx),
            )
        )
