"""The recorder loop: sample, let the observers add events, write, wait, again.

Timing runs on the monotonic clock, so a wall clock that jumps back neither stalls the
loop for the jump's length nor bursts; the jump itself is written as a `recorder` event
(frames are stored by their wall time, see `store.py`). A sample that takes longer than
the interval skips the missed ticks and says so once.

A failed write (disk full, I/O error) pauses recording: the frame is dropped, the error
is reported once, events wait in memory (bounded), and every interval the next frame is
tried again; the first that is written resumes recording and says for how long it was
paused. Observers (`Callable[[Frame, list[Event]], list[Event]]`, the alert engine) run
after each sample; what they return is stored with the sample's events, and an observer
that raises is reported once and skipped, never the reason a frame is lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from arctui.record import memory
from arctui.record.frame import Event, Frame
from arctui.record.store import Store, StoreError

Observer = Callable[[Frame, list[Event]], list[Event]]
PENDING_MAX = 5000  # events held while the disk is full
CLOCK_SLACK = 1.0  # a frame this far behind the last one means the clock went back


class FrameSource(Protocol):
    """What the loop samples (the Sampler; tests pass their own)."""

    def sample(self) -> tuple[Frame, list[Event]]: ...

    def close(self) -> None: ...


class Recorder:
    """Runs until `stop` is set; `status` hears every line an operator should see."""

    def __init__(
        self,
        sampler: FrameSource,
        store: Store,
        interval: float,
        observers: Sequence[Observer] = (),
        status: Callable[[str, bool], None] = lambda text, bad: None,
        on_frame: Callable[[Frame], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sampler = sampler
        self.store = store
        self.interval = interval
        self.observers = list(observers)
        self.status = status  # (text, is_error)
        self.on_frame = on_frame  # the OpenMetrics endpoint's latest figures
        self.monotonic = monotonic
        self.paused_since: float | None = None
        self.frames = 0
        self.dropped = 0
        self._pending: list[Event] = []
        self._last_ts: float | None = None
        self._broken_observers: set[int] = set()

    def _observe(self, frame: Frame, events: list[Event]) -> list[Event]:
        extra: list[Event] = []
        for i, observer in enumerate(self.observers):
            try:
                extra += observer(frame, list(events))
            except Exception as exc:  # an observer's bug costs its own events only
                if i not in self._broken_observers:
                    self._broken_observers.add(i)
                    self.status(f"an observer failed (skipped from now on): {exc!r}", True)
        return extra

    def _clock_events(self, frame: Frame) -> list[Event]:
        last, self._last_ts = self._last_ts, frame.ts
        if last is not None and frame.ts < last - CLOCK_SLACK:
            text = f"the clock went back {last - frame.ts:.0f} s; frames keep their own times"
            self.status(text, True)
            return [Event(frame.ts, "recorder", "", text, {"from": last, "to": frame.ts})]
        return []

    def step(self) -> Frame | None:
        """One sample written (or held while paused); the frame, or None when paused."""
        frame, events = self.sampler.sample()
        events = events + self._clock_events(frame)
        events += self._observe(frame, events)
        if self.on_frame is not None:
            self.on_frame(frame)
        try:
            if self.paused_since is not None:
                gap = frame.ts - self.paused_since
                text = f"recording resumed after {gap:.0f} s ({self.dropped} frames lost)"
                resumed = Event(frame.ts, "recorder", "", text, {"lost": self.dropped})
                self.store.write_frame(frame)
                self.store.add_events([*self._pending, *events, resumed])
                self.status(text, False)
                self.paused_since, self._pending, self.dropped = None, [], 0
            else:
                self.store.write_frame(frame)
                self.store.add_events(events)
        except StoreError as exc:
            if self.paused_since is None:
                self.paused_since = frame.ts
                self.status(f"{exc}; retrying every {self.interval:g} s", True)
                events.append(Event(frame.ts, "recorder", "", f"recording paused: {exc}"))
            self.dropped += 1
            self._pending = (self._pending + events)[-PENDING_MAX:]
            return None
        self.frames += 1
        return frame

    def run(self, stop: threading.Event) -> int:
        """Sample every interval until `stop`; 0, or 1 when the last write failed."""
        next_at = self.monotonic()
        trim_at = next_at + memory.TRIM_EVERY_S
        behind = False
        while not stop.is_set():
            self.step()
            if self.monotonic() >= trim_at:  # RSS flat over days (memory.py)
                memory.trim()
                trim_at = self.monotonic() + memory.TRIM_EVERY_S
            next_at += self.interval
            now = self.monotonic()
            if now > next_at:  # the sample took longer than the interval
                missed = int((now - next_at) // self.interval) + 1
                if not behind:
                    self.status(f"sampling fell behind: {missed} interval(s) skipped", True)
                behind = True
                next_at += missed * self.interval
            else:
                behind = False
            stop.wait(max(0.0, next_at - self.monotonic()))
        return 1 if self.paused_since is not None else 0
