"""Images over several engines (issue 24): each engine's check on a thread of its own.

Every engine runs the same project, but each has its own images (a pull on staging
changes nothing on production), so each is checked against its own engine and its own
registry client (insecure registries come from that engine's `/info`). An engine that
does not answer within its budget gets a report with the error; the others' rows show.
A fleet of one is checked on the calling thread, as before.

The panel reads through `FleetImageReads`: each engine on a thread of its own, a read
waits a few seconds and shows what it has (an engine still being checked keeps its last
report, or says it is being read); an engine that ends later calls `on_late`, and the
next read shows it without starting new checks. No Textual.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arctui.ops.fleet_read import read_fleet
from arctui.ops.maintenance.images import ImagesChecker, ImagesReport
from arctui.sources.base import SourceError
from arctui.sources.registry import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from arctui.models import StackSnapshot
    from arctui.session import Session

# A check HEADs the registries after the engine answered: a few rounds of their timeout.
REGISTRY_BUDGET = 3 * DEFAULT_TIMEOUT
WAIT = 3.0  # seconds the panel's read waits for the engines before showing what it has
READING = "still being read"


@dataclass(frozen=True)
class EngineImages:
    """One engine's images report, named by its engine and env."""

    engine: str
    env: str
    production: bool
    read_only: bool
    report: ImagesReport

    def as_json(self) -> dict[str, Any]:
        """The report with its engine's name, env and rules."""
        return {
            "engine": self.engine,
            "env": self.env,
            "production": self.production,
            "read_only": self.read_only,
            **self.report.as_json(),
        }


def checkers_for(sessions: Sequence[Session]) -> dict[str, ImagesChecker]:
    """One checker (and registry cache) per engine, by engine name."""
    return {s.engine_name: ImagesChecker(s) for s in sessions}


def fleet_images(
    checkers: Sequence[ImagesChecker],
    snapshot_of: Callable[[str], StackSnapshot | None] = lambda _name: None,
    force: bool = False,
) -> list[EngineImages]:
    """Every checker's engine checked at once, in `checkers`' order.

    `snapshot_of(engine)`: the engine's last stack snapshot (None: its reader's latest)."""
    by_name = {c.session.engine_name: c for c in checkers}

    def read(session: Session) -> ImagesReport:
        return by_name[session.engine_name].read(snapshot_of(session.engine_name), force=force)

    sessions = tuple(c.session for c in checkers)
    reads = read_fleet(sessions, read, notices=False, extra=REGISTRY_BUDGET)
    out = []
    for r in reads:
        s = r.session
        report = r.value
        if report is None:
            report = ImagesReport(s.project, (), s.clock(), error=r.error or "not read")
        out.append(EngineImages(s.engine_name, s.env, s.production, s.read_only, report))
    return out


class FleetImageReads:
    """Every engine's images check on a thread of its own (the panel, several engines)."""

    def __init__(
        self,
        checkers: Sequence[ImagesChecker],
        snapshot_of: Callable[[str], StackSnapshot | None],
        on_late: Callable[[], None],
    ) -> None:
        self.checkers = tuple(checkers)
        self.snapshot_of = snapshot_of
        self.on_late = on_late
        self._lock = threading.Lock()
        self._done: dict[str, EngineImages] = {}
        self._busy: dict[str, threading.Thread] = {}
        self._waiting = False  # a read waits: what ends now is shown by it
        self._late = False  # an engine ended after its read returned: show it, check nothing

    def read(self, force: bool = False, wait: float | None = None) -> tuple[EngineImages, ...]:
        """Start a check on every engine not being checked (unless only a late result is
        to be shown), wait up to `wait` s, then every engine's last report."""
        with self._lock:
            start = force or not self._late
            self._late = False
            self._waiting = True
        if start:
            self._start(force)
        deadline = time.monotonic() + (WAIT if wait is None else wait)
        with self._lock:
            busy = list(self._busy.values())
        for thread in busy:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._waiting = False
            done = dict(self._done)
        return tuple(done.get(c.session.engine_name) or _reading(c.session) for c in self.checkers)

    def _start(self, force: bool) -> None:
        for checker in self.checkers:
            name = checker.session.engine_name
            with self._lock:
                if name in self._busy:
                    continue
                thread = threading.Thread(
                    target=self._read,
                    args=(checker, force),
                    name=f"arctui-images-{name}",
                    daemon=True,  # a hung engine's call ends with its own timeout
                )
                self._busy[name] = thread
            thread.start()

    def _read(self, checker: ImagesChecker, force: bool) -> None:
        s = checker.session
        try:
            report = checker.read(self.snapshot_of(s.engine_name), force=force)
        except SourceError as exc:  # read() says its errors; a stray one all the same
            report = ImagesReport(s.project, (), s.clock(), error=f"unreachable: {exc.reason}")
        found = EngineImages(s.engine_name, s.env, s.production, s.read_only, report)
        with self._lock:
            self._done[s.engine_name] = found
            self._busy.pop(s.engine_name, None)
            late = not self._waiting
            self._late = self._late or late
        if late:
            self.on_late()


def _reading(s: Session) -> EngineImages:
    report = ImagesReport(s.project, (), s.clock(), error=READING)
    return EngineImages(s.engine_name, s.env, s.production, s.read_only, report)
