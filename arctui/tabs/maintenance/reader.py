"""Builds the Maintenance tab's snapshot: calendar each read, disk and runbook less often.

`/system/df` walks every layer and volume (seconds on a big host), so the disk report is
read again only after `disk_every` seconds or when asked (`refresh_disk`). With several
engines (issue 24) every engine's report is read on a thread of its own (`FleetDiskReads`):
a read waits a few seconds for them, then shows what it has; a hung engine's report says
it is still being read (`docker system df` may take 30 s) while the others' are shown and
the calendar goes on. The runbook is read again when the Makefile changes (its mtime) or
the settings' commands do. No Textual.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from arctui.ops.maintenance.calendar import SecretHistory, read_calendar
from arctui.ops.maintenance.disk import DF_TIMEOUT, DiskReport, read_disk
from arctui.ops.maintenance.runbook import Runbook, find_makefile, read_runbook
from arctui.sources.base import SourceError
from arctui.tabs.maintenance.demo import demo_disk, demo_runbook
from arctui.tabs.maintenance.models import READING, EngineDisk, MaintenanceSnapshot

if TYPE_CHECKING:
    from arctui.ops.audit import AuditLog
    from arctui.session import Session

DISK_EVERY = 60.0
WAIT_FOR_DISKS = 3.0  # seconds a read waits for the engines' reports before showing them


def disk_report(session: Session) -> DiskReport:
    """The disk report of the session's engine (the demo's figures for --demo)."""
    if session.demo or session.engine is None:
        place = next((i for i, s in enumerate(session.fleet.all) if s is session), 0)
        return demo_disk(session.clock(), place)
    engine = session.engine
    history = session.volume_history  # the recording's volume sizes (entry layer)
    return read_disk(engine, session.project, session.clock, engine.is_unix_socket, history)


def disk_sessions(session: Session) -> tuple[Session, ...]:
    """The engines whose disk is shown: every engine of a live fleet, else the session's."""
    return session.fleet.all if session.fleet.multi and session.replay is None else (session,)


def fleet_disks(sessions: tuple[Session, ...]) -> tuple[EngineDisk, ...]:
    """Every engine's disk report, read at once (one engine: on this thread)."""
    from arctui.ops.fleet_read import read_fleet

    reads = read_fleet(sessions, disk_report, notices=False, extra=DF_TIMEOUT)
    out = []
    for r in reads:
        report = r.value if r.value is not None else DiskReport(r.session.clock(), error=r.error)
        out.append(EngineDisk(r.name, r.session.env, r.session.production, report))
    return tuple(out)


def runbook_of(session: Session) -> Runbook:
    """The project's Makefile targets and the settings' custom commands."""
    if session.demo:
        book = demo_runbook()
        return Runbook(None, book.targets, session.settings.commands, book.note)
    project_dir = session.spec.project_dir if session.spec else None
    return read_runbook(project_dir, session.settings.commands, session.environ)


class FleetDiskReads:
    """Every engine's disk report, each read on a thread of its own (several engines):
    an engine still being read keeps its last report, or says it is being read."""

    def __init__(self, sessions: tuple[Session, ...]) -> None:
        self.sessions = sessions
        self._lock = threading.Lock()
        self._done: dict[str, EngineDisk] = {}
        self._busy: dict[str, threading.Thread] = {}

    def refresh(self) -> None:
        """Start a read on every engine not being read already."""
        for session in self.sessions:
            with self._lock:
                if session.engine_name in self._busy:
                    continue
                thread = threading.Thread(
                    target=self._read,
                    args=(session,),
                    name=f"arctui-disk-{session.engine_name}",
                    daemon=True,  # a hung engine's call ends with its own timeout
                )
                self._busy[session.engine_name] = thread
            thread.start()

    def _read(self, session: Session) -> None:
        try:
            report = disk_report(session)
        except SourceError as exc:  # read_disk says its errors; a stray one all the same
            report = DiskReport(session.clock(), error=f"unreachable: {exc.reason}")
        found = EngineDisk(session.engine_name, session.env, session.production, report)
        with self._lock:
            self._done[session.engine_name] = found
            self._busy.pop(session.engine_name, None)

    def wait(self, timeout: float) -> None:
        """Until every read started has ended, or `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            busy = list(self._busy.values())
        for thread in busy:
            thread.join(max(0.0, deadline - time.monotonic()))

    def reports(self) -> tuple[EngineDisk, ...]:
        """Every engine's last report, the primary first (READING before its first)."""
        with self._lock:
            done = dict(self._done)
        return tuple(
            done.get(s.engine_name)
            or EngineDisk(s.engine_name, s.env, s.production, DiskReport(s.clock(), error=READING))
            for s in self.sessions
        )


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
        self._disks: tuple[EngineDisk, ...] = ()  # the primary first
        sessions = disk_sessions(session)
        self._fleet = FleetDiskReads(sessions) if len(sessions) > 1 else None
        self._asked: float | None = None  # when the engines' reports were last asked for
        self._book: tuple[object, Runbook] | None = None
        self._want_disk = threading.Event()

    def refresh_disk(self) -> None:
        """Read the disk report again at the next read (after a prune)."""
        self._want_disk.set()

    def _wanted(self) -> bool:
        wanted = self._want_disk.is_set()
        self._want_disk.clear()
        return wanted

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
        wanted = self._wanted()
        if self._fleet is not None:
            if wanted or self._asked is None or now - self._asked >= self.disk_every:
                self._asked = now
                self._fleet.refresh()
                self._fleet.wait(WAIT_FOR_DISKS)
            self._disks = self._fleet.reports()
        elif wanted or not self._disks or now - self._disks[0].report.taken_at >= self.disk_every:
            self._disks = fleet_disks((self.session,))
        first = self._disks[0].report  # the calendar's disk check: the primary's engine
        disk = None if first.error == READING else first
        calendar = read_calendar(self.session, self.audit, self.history, now, disk)
        return MaintenanceSnapshot(now, calendar, disk, self._runbook(), self._disks)
