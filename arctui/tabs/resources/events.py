"""The engine's container events, as the Resources reader takes them.

The session's one `EventHub` (sources/event_hub.py) delivers them on this subscription's
own thread into a queue that the reader drains at the start of each read (no state is
shared between threads but the queue). Past events (the hub's first subscription reaches
an hour back) are delivered too, so recent OOM kills are listed; only new ones ask for an
early read. `None` in the queue means events were lost (the stream was cut, or this
queue overflowed): the reader lists the project again.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from arctui.sources.base import EngineEvent
from arctui.sources.event_hub import EventHub

# Events after which a container's inspect data (state, pid, restarts, limits) is stale.
RELEVANT = frozenset(
    "create start restart die oom destroy update rename pause unpause stop kill".split()  # noqa: SIM905
)


class EngineEvents:
    """A queue of the project's container events, fed by the hub while `follow()` runs."""

    def __init__(self, hub: EventHub | None) -> None:
        self.hub = hub
        self._queue: queue.SimpleQueue[EngineEvent | None] = queue.SimpleQueue()

    @property
    def alive(self) -> threading.Event:
        """Set while the hub is subscribed: the reader can trust events for changes."""
        return self.hub.alive if self.hub is not None else threading.Event()

    def drain(self) -> list[EngineEvent | None]:
        """Every event received since the last call (None: some were lost)."""
        out: list[EngineEvent | None] = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

    def follow(self, on_change: Callable[[str], None], stop: threading.Event) -> None:
        """Block until `stop`; `on_change(action)` for each new relevant event, and `""`
        when events were lost (read now)."""
        hub = self.hub
        if hub is None:
            stop.wait()
            return

        def seen(event: EngineEvent | None) -> None:
            self._queue.put(event)
            if event is None:
                on_change("")
            elif event.action in RELEVANT and not hub.is_replay(event):
                on_change(event.action)

        sub = hub.subscribe(seen, "resources", replay=True)
        try:
            stop.wait()
        finally:
            sub.close()
