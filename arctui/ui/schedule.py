"""When a source is read: the pure timing rules of the one poller (no Textual, no threads).

- One read at a time: a tick while a read runs is skipped; a request while a read runs
  marks the schedule dirty and one more read follows (bursts collapse into one).
- The next read is due one interval after the previous one was *due* (so 1 s means 1 Hz
  even if a read takes 0.3 s, and timer jitter cannot stretch 1 Hz to 0.8 Hz).
- A visible source reads at `interval`; a hidden one at `hidden_interval`, or not at all.
- Failures back off 1, 2, 4 ... 30 s; a success resets the backoff.
- Requested reads are rate-limited by `min_gap` (an event storm is a few reads).

Every method takes the schedule's lock: the poller's thread calls `finished()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

INTERVALS = (0.5, 1.0, 2.0, 5.0, 10.0)
BACKOFF_MAX = 30.0
EARLY = 0.1  # a tick this much before the due time starts the read (ticks are 0.5 s apart)


@dataclass
class PollSchedule:
    """When the next read of one source is due."""

    interval: float = 1.0
    hidden_interval: float | None = None
    min_gap: float = 0.0
    paused: bool = False
    running: bool = False
    dirty: bool = False
    next_due: float = 0.0
    backoff: float = 0.0
    last_start: float = float("-inf")
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def due(self, visible: bool) -> bool:
        """Whether a read should start now; if so, it is booked as running."""
        with self._lock:
            now = self.clock()
            step = self.interval if visible else self.hidden_interval
            if self.paused or self.running or step is None:
                return False
            if now + EARLY < self.next_due or now - self.last_start < self.min_gap:
                return False
            self.running, self.dirty, self.last_start = True, False, now
            on_time = self.next_due > 0 and now - self.next_due < step
            self.next_due = (self.next_due if on_time else now) + step
            return True

    def finished(self, ok: bool) -> float:
        """A read ended; returns the seconds until the next one is due."""
        with self._lock:
            self.running = False
            now = self.clock()
            if ok:
                self.backoff = 0.0
            else:
                self.backoff = min(BACKOFF_MAX, max(1.0, self.backoff * 2))
                self.next_due = now + self.backoff  # a failing source retries on its backoff
            if self.dirty and ok:
                self.next_due = 0.0
            return max(0.0, self.next_due - now)

    def soon(self) -> None:
        """Read at the next chance (an event, refresh, the tab was just shown).

        This bypasses a failure's backoff: the operator asked, or the engine spoke.
        """
        with self._lock:
            if self.running:
                self.dirty = True
            else:
                self.next_due = 0.0

    def step(self, faster: bool) -> float:
        """Move to the next shorter/longer interval of INTERVALS; returns it."""
        with self._lock:
            i = min(range(len(INTERVALS)), key=lambda k: abs(INTERVALS[k] - self.interval))
            i = max(0, i - 1) if faster else min(len(INTERVALS) - 1, i + 1)
            self.interval = INTERVALS[i]
            self.next_due = min(self.next_due, self.clock() + self.interval)
            return self.interval
