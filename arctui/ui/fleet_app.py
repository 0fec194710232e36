"""The app's other engines (issue 24): one stack poller and one event subscription each.

The primary engine stays what it always was (`app.poller`, `app.snapshot`, the header's
stale state), so a one-engine console is unchanged. Each other engine of
`session.fleet` gets an `EngineWatch`: its own `Poller` (its own thread, schedule and
backoff: a hung engine blocks only its own reads) and its own subscription to its own
event hub. Tabs watch `fleet_version`, bumped whenever any engine's snapshot or failure
changed, and read what they show through `engine_views()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.reactive import var

from arctui import fleet as fleet_mod
from arctui.models import StackSnapshot
from arctui.sources.base import EngineEvent
from arctui.sources.event_hub import Subscription
from arctui.ui.fleet_cells import EngineTag
from arctui.ui.polling import Poller, SourceFailed, SourceUpdated
from arctui.ui.replay import ReplayApp

if TYPE_CHECKING:
    from arctui.session import Session

FLEET_PREFIX = "docker@"  # the source name of another engine's stack poller


class FleetEventSeen(Message):
    """Another engine's event stream saw a state change (or ended): a read is due."""

    def __init__(self, engine: str) -> None:
        super().__init__()
        self.engine = engine


class EngineWatch:
    """One other engine: its stack poller, its event subscription, its last snapshot."""

    def __init__(self, app: FleetApp, session: Session, reconcile: float) -> None:
        self.app = app
        self.session = session
        self.name = session.engine_name
        self.snapshot: StackSnapshot | None = None
        self.force_compose = False
        self.was_failing = False
        session.reader.reconcile_every = reconcile
        self.poller = Poller(
            app, FLEET_PREFIX + self.name, self._read, reconcile, reconcile, min_gap=0.5
        )
        self.sub: Subscription | None = None

    def _read(self) -> StackSnapshot:
        """The poller's thread: the events' containers, or a full read when one is due."""
        force, self.force_compose = self.force_compose, False
        return self.session.reader.read_next(force_compose=force)

    def _event(self, event: EngineEvent | None) -> None:
        """The subscription's thread: note what to re-read, ask the loop for a read."""
        self.session.reader.note_event(event)
        self.app.post_message(FleetEventSeen(self.name))

    def start(self) -> None:
        self.poller.start()
        self.poller.request()
        self.sub = self.session.events.subscribe(self._event, f"app@{self.name}")

    def stop(self) -> None:
        if self.sub is not None:
            self.sub.close()
        self.poller.stop()


class FleetApp(ReplayApp):
    """Base of ArcApp: every other engine's stack, its failures and notices."""

    # Bumped when any engine's snapshot, failure or notice changed: the tabs that show
    # rows of every engine watch it (a var: setting it repaints nothing by itself).
    fleet_version: var[int] = var(0, always_update=True)
    _watches: dict[str, EngineWatch] | None = None
    _notices: dict[str, tuple[str, ...]] | None = None

    snapshot: Any  # ArcApp's reactive: the primary engine's stack
    _header: Any

    @property
    def multi_engine(self) -> bool:
        """More than one engine: rows name their engine, the Engine column shows."""
        return self.session.fleet.multi and self.session.replay is None

    @property
    def watches(self) -> dict[str, EngineWatch]:
        if self._watches is None:
            self._watches = {}
        return self._watches

    def fleet_start(self, reconcile: float) -> None:
        """Start every other engine's poller and subscription; ask each for its notices."""
        if not self.multi_engine:
            if self.session.replay is None:
                self._ask_notices((self.session,))
            return
        for member in self.session.fleet.members:
            watch = EngineWatch(self, member, reconcile)
            self.watches[member.engine_name] = watch
            watch.start()
        self._ask_notices(self.session.fleet.all)
        self._update_header()

    def fleet_stop(self) -> None:
        """End the other engines' subscriptions and pollers (their sessions close later)."""
        for watch in self.watches.values():
            watch.stop()

    def _ask_notices(self, sessions: tuple[Session, ...]) -> None:
        # /info is a call to each engine: on a thread each, so a hung one delays no other.
        for session in sessions:
            self.run_worker(
                self._read_notices(session), thread=True, exit_on_error=False, group="notices"
            )

    def _read_notices(self, session: Session) -> Callable[[], None]:
        def read() -> None:
            notices = fleet_mod.engine_notices(session)
            if notices:
                self.call_from_thread(self._noticed, session.engine_name, notices)

        return read

    def _noticed(self, engine: str, notices: tuple[str, ...]) -> None:
        if self._notices is None:
            self._notices = {}
        self._notices[engine] = notices
        self._fleet_changed()
        self._show_notes()

    def _show_notes(self) -> None:
        """The banner (ArcApp draws it)."""

    # What the tabs and the banner ask ------------------------------------------------
    def engine_session(self, engine: str | None) -> Session:
        """The session of the engine called `engine` (None or unknown: the primary)."""
        if engine is None:
            return self.session
        return self.session.fleet.by_name(engine) or self.session

    def engine_snapshot(self, engine: str | None) -> StackSnapshot | None:
        """The last stack snapshot of an engine (None: the primary's)."""
        session = self.engine_session(engine)
        if session is self.session:
            return self.snapshot  # type: ignore[no-any-return]
        watch = self.watches.get(session.engine_name)
        return watch.snapshot if watch is not None else None

    def engine_tag(self, session: Session) -> EngineTag:
        """The engine's name, production rule and, when its last read failed, why."""
        if session is self.session:
            stale = self._header.stale_reason if self._header is not None else ""
        else:
            watch = self.watches.get(session.engine_name)
            failure = watch.poller.failure if watch is not None else None
            stale = failure.reason if failure is not None else ""
        return EngineTag(session.engine_name, session.production, stale)

    def engine_views(self) -> list[tuple[EngineTag, StackSnapshot | None]]:
        """Every engine's tag and last stack snapshot, the primary first."""
        return [(self.engine_tag(s), self.engine_snapshot(s.engine_name)) for s in self.fleet_all]

    @property
    def fleet_all(self) -> tuple[Session, ...]:
        return self.session.fleet.all if self.multi_engine else (self.session,)

    def engine_request(self, engine: str | None) -> None:
        """Read an engine's stack now (after an action on one of its rows)."""
        watch = self.watches.get(engine or "")
        if watch is None or self.engine_session(engine) is self.session:
            self.poller.request()
        else:
            watch.poller.request()

    def fleet_notes(self) -> list[str]:
        """Banner lines: each other engine that fails (rows stale, why), every notice."""
        lines: list[str] = []
        for session in self.fleet_all:
            watch = self.watches.get(session.engine_name)
            failure = watch.poller.failure if watch is not None else None
            if watch is not None and failure is not None:
                retry = max(0.0, watch.poller.schedule.next_due - time.monotonic())
                lines.append(
                    f"engine {session.engine_name}: {failure.reason} - its rows are stale;"
                    f" retrying in {retry:.0f} s"
                )
            lines.extend((self._notices or {}).get(session.engine_name, ()))
        return lines

    # Messages ---------------------------------------------------------------------
    def on_fleet_event_seen(self, message: FleetEventSeen) -> None:
        watch = self.watches.get(message.engine)
        if watch is not None:
            watch.poller.request()

    def on_source_updated(self, message: SourceUpdated) -> None:
        # ArcApp's own handler ran first (the primary's stack, the banner).
        if message.source.startswith(FLEET_PREFIX):
            watch = self.watches.get(message.source[len(FLEET_PREFIX) :])
            if watch is None:
                return
            if watch.was_failing:  # the engine answers again: resubscribe without backoff
                watch.was_failing = False
                watch.session.events.engine_back()
            watch.snapshot = message.value
            if watch.session.reader.compose_pending:
                watch.poller.request()
            self._fleet_changed()
        elif message.source == "docker" and self.multi_engine:
            self._fleet_changed()

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.source.startswith(FLEET_PREFIX):
            watch = self.watches.get(message.source[len(FLEET_PREFIX) :])
            if watch is not None:
                watch.was_failing = True
            self._fleet_changed()
        elif message.source == "docker" and self.multi_engine:
            self._fleet_changed()

    def _fleet_changed(self) -> None:
        self._update_header()
        self.fleet_version += 1

    def _update_header(self) -> None:
        header = self._header
        if header is None or not self.multi_engine or not header.is_mounted:
            return
        header.engines = tuple(self.engine_views())
