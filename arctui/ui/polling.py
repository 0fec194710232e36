"""Keeps the stack snapshot fresh without blocking the UI or piling up polls.

- One thread worker reads the stack at a time; a request while it runs marks the
  poller dirty and one more read follows (bursts of events collapse into one).
- The engine's event stream (a daemon thread) asks for an immediate read; a slow
  reconcile poll is the safety net; failures back off 1, 2, 4 ... 30 s.
- Workers only post messages; state changes happen in handlers on the main thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from textual.dom import DOMNode
from textual.message import Message

from arctui.models import SourceFailure, StackSnapshot
from arctui.ops.status import StackReader
from arctui.sources.base import EngineEvent, SourceError

BACKOFF_MAX = 30.0


class StackUpdated(Message):
    """A fresh snapshot was read."""

    def __init__(self, snapshot: StackSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class StackFailed(Message):
    """Reading the stack failed."""

    def __init__(self, failure: SourceFailure, retry_in: float) -> None:
        super().__init__()
        self.failure = failure
        self.retry_in = retry_in


class EngineEventSeen(Message):
    """The event stream saw a container event (or ended); a refresh is due."""

    def __init__(self, event: EngineEvent | None) -> None:
        super().__init__()
        self.event = event


@dataclass
class _PollState:
    running: bool = False
    dirty: bool = False
    next_due: float = 0.0
    backoff: float = 0.0
    force_compose: bool = False


class StackPoller:
    """Schedules reads of a StackReader on thread workers of `host`."""

    def __init__(
        self,
        host: DOMNode,
        reader: StackReader,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = host
        self.reader = reader
        self.interval = interval
        self.clock = clock
        self.state = _PollState()
        self._stop = threading.Event()
        self._events: threading.Thread | None = None

    # Scheduling (main thread) -------------------------------------------------
    def tick(self) -> None:
        """Called every second: start a read if one is due."""
        if not self.state.running and self.clock() >= self.state.next_due:
            self._start()

    def request(self, force_compose: bool = False) -> None:
        """Read as soon as possible (an event, or the operator pressed refresh)."""
        self.state.force_compose |= force_compose
        if self.state.running:
            self.state.dirty = True
            return
        self.state.next_due = 0.0
        self._start()

    def _start(self) -> None:
        self.state.running, self.state.dirty = True, False
        force, self.state.force_compose = self.state.force_compose, False
        self.host.run_worker(
            lambda: self._read(force),
            thread=True,
            exit_on_error=False,
            group="stack-poll",
            description="read stack",
        )

    def finished(self, ok: bool) -> float:
        """Record the end of a read; returns seconds until the next one."""
        self.state.running = False
        if ok:
            self.state.backoff = 0.0
            delay = self.interval
        else:
            self.state.backoff = min(BACKOFF_MAX, max(1.0, self.state.backoff * 2))
            delay = self.state.backoff
        self.state.next_due = self.clock() + delay
        if self.state.dirty and ok:
            self.request()
        return delay

    # Worker thread ------------------------------------------------------------
    def _read(self, force_compose: bool) -> None:
        try:
            snapshot = self.reader.read(force_compose=force_compose)
        except SourceError as exc:
            failure = SourceFailure("docker", exc.reason, exc.fix, time.time())
            self.host.post_message(StackFailed(failure, 0.0))
        except Exception as exc:  # never let a poll kill the app; say what happened
            failure = SourceFailure("docker", f"unexpected error: {exc!r}"[:300], "", time.time())
            self.host.post_message(StackFailed(failure, 0.0))
        else:
            self.host.post_message(StackUpdated(snapshot))

    # Event stream (daemon thread) --------------------------------------------
    def start_events(self) -> None:
        """Follow the engine's events on a daemon thread, resubscribing after failures."""
        if self._events is None:
            self._events = threading.Thread(
                target=self._follow, name="arctui-docker-events", daemon=True
            )
            self._events.start()

    def _follow(self) -> None:
        backoff = 1.0
        source = self.reader.containers

        def seen(event: EngineEvent) -> None:
            self.host.post_message(EngineEventSeen(event))

        while not self._stop.is_set():
            started = time.monotonic()
            try:
                source.follow_events(
                    self.reader.project,
                    seen,
                    self._stop,
                )
            except SourceError:
                pass
            except Exception:  # a bug in one event must not end the follower
                pass
            if self._stop.is_set():
                return
            # The stream ended: the daemon restarted or went away. Refresh, then resubscribe.
            self.host.post_message(EngineEventSeen(None))
            backoff = 1.0 if time.monotonic() - started > 30 else min(BACKOFF_MAX, backoff * 2)
            self._stop.wait(backoff)

    def stop(self) -> None:
        """Stop following events; a blocked stream is closed so the thread ends."""
        self._stop.set()
        self.reader.containers.close()
