"""Builds the Maintenance tab's snapshot: calendar each read, disk and runbook less often.

`/system/df` walks every layer and volume (seconds on a big host), so the disk report is
read again only after `disk_every` seconds or when asked (`refresh_disk`). The runbook is
read again when the Makefile changes (its mtime) or the settings' commands do. No Textual.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from arctui.ops.maintenance.calendar import SecretHistory, read_calendar
from arctui.ops.maintenance.disk import DiskReport, read_disk
from arctui.ops.maintenance.runbook import Runbook, find_makefile, read_runbook
from arctui.tabs.maintenance.demo import demo_disk, demo_runbook
from arctui.tabs.maintenance.models import MaintenanceSnapshot

if TYPE_CHECKING:
    from arctui.ops.audit import AuditLog
    from arctui.session import Session

DISK_EVERY = 60.0


def disk_report(session: Session) -> DiskReport:
    """The disk report of the session's engine (the demo's figures for --demo)."""
    if session.demo or session.engine is None:
        return demo_disk(session.clock())
    engine = session.engine
    history = session.volume_history  # the recording's volume sizes (entry layer)
    return read_disk(engine, session.project, session.clock, engine.is_unix_socket, history)


def runbook_of(session: Session) -> Runbook:
    """The project's Makefile targets and the settings' custom commands."""
    if session.demo:
        book = demo_runbook()
        return Runbook(None, book.targets, session.settings.commands, book.note)
    project_dir = session.spec.project_dir if session.spec else None
    return read_runbook(project_dir, session.settings.commands, session.environ)


class MaintenanceReader:
    """One reader per tab (the poller's thread calls `read`)."""

    def __init__(
        self,
        session: Session,
        audit: AuditLog | None = None,
        history: SecretHistory | None = None,
        disk_every: float = DISK_EVERY,
    ) -> None:
        self.session = session
        self.audit = audit
        self.history = history
        self.disk_every = disk_every
        self._disk: DiskReport | None = None
        self._book: tuple[object, Runbook] | None = None
        self._want_disk = threading.Event()

    def refresh_disk(self) -> None:
        """Read the disk report again at the next read (after a prune)."""
        self._want_disk.set()

    def _runbook(self) -> Runbook:
        project_dir = self.session.spec.project_dir if self.session.spec else None
        makefile = find_makefile(project_dir)
        try:
            stamp: object = (makefile, makefile.stat().st_mtime_ns if makefile else None)
        except OSError:
            stamp = (makefile, None)
        key = (stamp, self.session.settings.commands)
        if self._book is None or self._book[0] != key:
            self._book = (key, runbook_of(self.session))
        return self._book[1]

    def read(self) -> MaintenanceSnapshot:
        """The calendar now; the disk report when stale; the runbook when changed."""
        now = self.session.clock()
        stale = self._disk is None or now - self._disk.taken_at >= self.disk_every
        if stale or self._want_disk.is_set():
            self._want_disk.clear()
            self._disk = disk_report(self.session)
        calendar = read_calendar(self.session, self.audit, self.history, now, self._disk)
        return MaintenanceSnapshot(now, calendar, self._disk, self._runbook())
