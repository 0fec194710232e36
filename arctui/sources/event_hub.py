"""One subscription to the engine's state events, fanned out to every reader that wants them.

The app (stack snapshot), the Resources reader and the Logs follower each used to hold
their own `/events` stream with its own reconnect policy. Now one daemon thread reads
the project's state events (`STATE_EVENTS`, filtered at the engine) and hands each to
every `Subscription`:

- each subscription has its own queue and delivery thread, so a slow subscriber never
  stalls the reading thread or the others; a queue that overflows is emptied and its
  subscriber gets `None` ("events were lost: read everything again");
- when the stream ends (daemon restart) or fails, every subscriber gets `None`, and the
  hub resubscribes with `since=` the last event's time, so nothing in between is lost
  (events delivered already are skipped); backoff 1-30 s, reset when a stream lasted,
  or at once when `engine_back()` says the engine answers again;
- the first subscription reaches `REPLAY` seconds back (recent OOM kills); those past
  events go only to subscribers that ask for them (`replay=True`), also when they
  subscribe later.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from arctui.lazylog import get_logger
from arctui.sources.base import EngineEvent, SourceError

if TYPE_CHECKING:
    from arctui.sources.base import ContainerSource

log = get_logger(__name__)

REPLAY = 3600.0  # seconds of past events asked for on the first subscription
BACKOFF_MIN, BACKOFF_MAX = 1.0, 30.0
LASTED = 30.0  # a stream that lived this long starts the backoff over
QUEUE_MAX = 1000  # events one subscriber may fall behind by before it re-reads instead
HISTORY_MAX = 1000  # events kept for replay subscribers that come later

Listener = Callable[[EngineEvent | None], None]


class Subscription:
    """One subscriber's queue and delivery thread. `None` means: read everything again."""

    def __init__(self, hub: EventHub, on_event: Listener, name: str, replay: bool) -> None:
        self.hub = hub
        self.name = name
        self.replay = replay
        self._on_event = on_event
        self._queue: deque[EngineEvent | None] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self.delivered = 0
        self.overflows = 0
        self._thread = threading.Thread(target=self._run, name=f"arctui-events-{name}", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """Whether the hub is subscribed now (events can be trusted to announce changes)."""
        return self.hub.alive.is_set()

    def put(self, event: EngineEvent | None) -> None:
        """Queue an event (any thread; never blocks)."""
        with self._ready:
            if self._closed:
                return
            if len(self._queue) >= QUEUE_MAX:
                self._queue.clear()  # a full re-read replaces what was missed
                self.overflows += 1
                log.warning("event subscriber %s fell behind: events dropped, re-read", self.name)
                event = None
            self._queue.append(event)
            self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if self._closed:
                    return
                event = self._queue.popleft()
            try:
                self._on_event(event)
                self.delivered += 1
            except Exception:  # one subscriber's bug must not end its deliveries
                log.exception("event subscriber %s failed on %r", self.name, event)

    def close(self) -> None:
        """Stop deliveries; the hub forgets this subscriber."""
        with self._ready:
            self._closed = True
            self._queue.clear()
            self._ready.notify()
        self.hub.unsubscribe(self)


class EventHub:
    """The session's one follower of the engine's state events (see the module doc)."""

    def __init__(
        self,
        project: str,
        source: ContainerSource,
        clock: Callable[[], float] = time.time,
        replay: float = REPLAY,
    ) -> None:
        self.project = project
        self.source = source
        self._clock = clock
        self._replay = replay
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()
        self._history: deque[EngineEvent] = deque(maxlen=HISTORY_MAX)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.alive = threading.Event()  # set while a stream is open
        self.started_at: float | None = None
        self.connections = 0  # streams opened, for tests and diagnostics
        self.last_error: str | None = None
        self._last_time: float | None = None
        self._seen: deque[tuple[float, str, str]] = deque(maxlen=256)

    # Subscribers ------------------------------------------------------------------
    def subscribe(self, on_event: Listener, name: str, replay: bool = False) -> Subscription:
        """Deliver every state event (and `None` when some may be lost) to `on_event`,
        on the subscription's own thread. `replay`: the past events too."""
        sub = Subscription(self, on_event, name, replay)
        with self._lock:
            self._subs.append(sub)
            if replay:
                for event in self._history:
                    sub.put(event)
            if self._thread is None and not self._stop.is_set():
                self.started_at = self._clock()
                self._thread = threading.Thread(
                    target=self._run, name="arctui-event-hub", daemon=True
                )
                self._thread.start()
        return sub

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """The subscribers now (diagnostics and tests)."""
        with self._lock:
            return tuple(self._subs)

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a subscriber (its `close()` calls this)."""
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def engine_back(self) -> None:
        """The engine answers again: resubscribe now instead of sleeping out the backoff."""
        self._wake.set()

    def is_replay(self, event: EngineEvent) -> bool:
        """Whether an event happened before the hub started (sent as history)."""
        return self.started_at is not None and event.time < self.started_at - 1.0

    def close(self) -> None:
        """End the stream and every delivery thread."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.close()
        try:
            self.source.close()  # unblocks the stream read
        except Exception as exc:
            log.info("closing the event source: %r", exc)

    # The one follower ---------------------------------------------------------------
    def _fan_out(self, event: EngineEvent | None) -> None:
        with self._lock:
            subs = list(self._subs)
            if event is not None:
                self._history.append(event)
        replay = event is not None and self.is_replay(event)
        for sub in subs:
            if not replay or sub.replay:
                sub.put(event)

    def _on_event(self, event: EngineEvent) -> None:
        key = (event.time, event.container_id, event.action)
        if self._last_time is not None and event.time <= self._last_time and key in self._seen:
            return  # delivered before the resubscription
        self._seen.append(key)
        self._last_time = max(self._last_time or event.time, event.time)
        self._fan_out(event)

    def _run(self) -> None:
        start = self.started_at if self.started_at is not None else self._clock()
        since = start - self._replay if self._replay else start
        backoff = BACKOFF_MIN
        while not self._stop.is_set():
            opened, began = self._clock(), time.monotonic()
            self.connections += 1
            self.alive.set()
            try:
                self.source.follow_events(self.project, self._on_event, self._stop, since=since)
                self.last_error = None
                log.info("engine event stream ended (daemon restart?): resubscribing")
            except SourceError as exc:
                self.last_error = exc.reason
                log.info("engine event stream failed: %s", exc.reason)
            except Exception:  # a bug in one event must not end the follower
                self.last_error = "unexpected error in the event follower"
                log.exception("engine event follower failed")
            finally:
                self.alive.clear()
            if self._stop.is_set():
                return
            # From the last event seen (those at that instant are skipped as seen), else
            # from when this stream opened: nothing between two streams is lost.
            since = self._last_time if self._last_time is not None else opened
            self._fan_out(None)  # the stream was cut: everyone re-reads everything
            if time.monotonic() - began >= LASTED:
                backoff = BACKOFF_MIN
            woken = self._wake.wait(backoff)
            self._wake.clear()
            backoff = BACKOFF_MIN if woken else min(BACKOFF_MAX, backoff * 2)
