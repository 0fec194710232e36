"""Following the engine's container events for the Resources reader.

A daemon thread runs `follow()`; events go into a thread-safe queue that the reader
drains at the start of each read (so no state is shared between threads but the queue).
The stream is resubscribed with `since=` after it ends (the daemon restarted), with a
backoff; the first subscription replays the last hour, so recent OOM kills are listed.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from arctui.sources.base import EngineEvent, SourceError
from arctui.sources.docker_stats import ContainerGone, EngineStats

# Events after which a container's inspect data (state, pid, restarts, limits) is stale.
RELEVANT = frozenset(
    "create start restart die oom destroy update rename pause unpause stop kill".split()  # noqa: SIM905
)
REPLAY = 3600.0  # seconds of past events asked for on the first subscription


class EngineEvents:
    """A queue of the project's container events, fed by `follow()` on another thread."""

    def __init__(
        self, engine: EngineStats, project: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.project = project
        self._clock = clock
        self._queue: queue.SimpleQueue[tuple[EngineEvent, str]] = queue.SimpleQueue()
        self.alive = threading.Event()  # subscribed: the reader can trust events for changes

    def drain(self) -> list[tuple[EngineEvent, str]]:
        """Every (event, container name) received since the last call."""
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

    def follow(self, on_change: Callable[[str], None], stop: threading.Event) -> None:
        """Block until `stop`; `on_change(action)` for each new relevant event."""
        since = self._clock() - REPLAY
        backoff = 1.0
        while not stop.is_set():
            subscribed, started = self._clock(), time.monotonic()
            self.alive.set()
            try:
                self.engine.follow_events(
                    self.project, self._callback(on_change, subscribed), stop, since
                )
            except (SourceError, ContainerGone):
                pass
            finally:
                self.alive.clear()
            if stop.is_set():
                return
            since = subscribed
            on_change("")  # the stream ended (daemon restart?): read now, then resubscribe
            backoff = 1.0 if time.monotonic() - started > 30 else min(30.0, backoff * 2)
            stop.wait(backoff)

    def _callback(
        self, on_change: Callable[[str], None], subscribed: float
    ) -> Callable[[EngineEvent, str], None]:
        def seen(event: EngineEvent, name: str) -> None:
            self._queue.put((event, name))
            if event.action in RELEVANT and event.time >= subscribed - 1:  # not a replay
                on_change(event.action)

        return seen
