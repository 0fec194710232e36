"""The one poller every tab uses: reads on a thread, never overlapping, never blocking the UI.

    poller = Poller(widget, "postgres", reader.read, interval=2.0, hidden_interval=None)
    poller.start()     # registers with the app, which ticks it twice a second
    poller.request()   # read as soon as possible (after an action, on an engine event)

`read` runs on the poller's own long-lived thread (one thread woken per read: a Textual
worker per read cost ~0.1 CPU-s/min at 1 Hz) and returns a snapshot or raises
SourceError. The result arrives as `SourceUpdated` / `SourceFailed`, posted to the widget
that owns the poller; the messages bubble to the app, which shows data age and failures
in the header and banner. Timing rules live in `arctui.ui.schedule`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from textual.message import Message
from textual.message_pump import MessagePump

from arctui.models import SourceFailure
from arctui.sources.base import SourceError
from arctui.text import one_line
from arctui.ui.schedule import PollSchedule
from arctui.ui.shell import shell


class SourceUpdated(Message):
    """A read of `source` succeeded; `value` is its snapshot."""

    def __init__(self, source: str, value: Any, poller: Poller) -> None:
        super().__init__()
        self.source = source
        self.value = value
        self.poller = poller


class SourceFailed(Message):
    """A read of `source` failed; the next try is in `retry_in` seconds."""

    def __init__(self, source: str, failure: SourceFailure, retry_in: float, poller: Poller):
        super().__init__()
        self.source = source
        self.failure = failure
        self.retry_in = retry_in
        self.poller = poller


class PollerHost(Protocol):
    """What the app offers pollers: registration for its tick."""

    def register_poller(self, poller: Poller) -> None: ...

    def unregister_poller(self, poller: Poller) -> None: ...


class Poller:
    """Reads one source on its own thread when its schedule says so."""

    def __init__(
        self,
        host: MessagePump,
        source: str,
        read: Callable[[], Any],
        interval: float,
        hidden_interval: float | None = None,
        min_gap: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = host
        self.source = source
        self.read = read
        self.schedule = PollSchedule(
            interval=interval, hidden_interval=hidden_interval, min_gap=min_gap, clock=clock
        )
        self.last_ok: float | None = None  # wall time of the last good read
        self.failure: SourceFailure | None = None
        self._go = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # Main thread ----------------------------------------------------------------
    def start(self) -> None:
        """Start the reader thread and let the app tick this poller.

        In a replay (`--at`) the read is the recorded frame's, by this poller's source
        name (record/replay.py): no tab reads the engine or a database then.
        """
        replay = shell(self.host.app).session.replay
        if replay is not None:
            self.read = replay.reader(self.source)
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name=f"arctui-poll-{self.source}", daemon=True
            )
            self._thread.start()
            shell(self.host.app).register_poller(self)

    def tick(self, visible: bool) -> None:
        """Start a read if one is due (the app calls this twice a second)."""
        if self.schedule.due(visible):
            self._go.set()

    def request(self) -> None:
        """Read as soon as possible; a request during a read queues exactly one more."""
        self.schedule.soon()
        self.tick(True)

    def stop(self) -> None:
        """Stop the thread (it finishes a read in progress; every read has a timeout)."""
        self._stop.set()
        self._go.set()
        if self.host:
            shell(self.host.app).unregister_poller(self)

    @property
    def age(self) -> float | None:
        """Seconds since the last good read, or None before the first."""
        return None if self.last_ok is None else max(0.0, time.time() - self.last_ok)

    # Reader thread --------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            self._go.wait()
            self._go.clear()
            if self._stop.is_set():
                return
            self._read_once()
            # A request that came in during the read is served at once (rate-limited).
            if self.schedule.dirty and self.schedule.due(True):
                self._go.set()

    def _read_once(self) -> None:
        try:
            value = self.read()
        except SourceError as exc:
            failure = SourceFailure(self.source, exc.reason, exc.fix, time.time())
        except Exception as exc:  # a poll must never end the app: say what happened
            reason = one_line(f"unexpected error: {exc!r}", 300)
            failure = SourceFailure(self.source, reason, "", time.time())
        else:
            self.last_ok, self.failure = time.time(), None
            self.schedule.finished(ok=True)
            self.host.post_message(SourceUpdated(self.source, value, self))
            return
        self.failure = failure
        retry_in = self.schedule.finished(ok=False)
        self.host.post_message(SourceFailed(self.source, failure, retry_in, self))
