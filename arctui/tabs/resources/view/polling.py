"""Scheduling for the Resources tab: one read at a time, full rate only while visible.

Workers only post these messages; the tab changes state in their handlers. The next read
is due one interval after the previous one *started* (so 1 s means 1 Hz even if a read
takes 0.3 s); a tick while a read runs is skipped; failures back off 1, 2, 4 ... 30 s.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message
from textual.widget import Widget

from arctui.models import SourceFailure
from arctui.ops.resources import ResourcesSource
from arctui.resources_models import ResourcesSnapshot, VolumesSnapshot
from arctui.sources.base import SourceError

INTERVALS = (0.5, 1.0, 2.0, 5.0, 10.0)
HIDDEN_INTERVAL = 15.0  # hidden tab: keep the history going, slowly
VOLUMES_INTERVAL = 60.0  # `docker system df -v` is slow: rarely
BACKOFF_MAX = 30.0
EARLY = 0.1  # a tick this much before the due time starts the read (ticks are 0.5 s apart)
HISTORY_WINDOW = 300.0  # seconds the charts show


class ResourcesUpdated(Message):
    """A reading finished; `past` seeds the history (demo backfill) on the first one."""

    def __init__(self, snapshot: ResourcesSnapshot, past: list[ResourcesSnapshot]) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.past = past


class ResourcesFailed(Message):
    """A reading failed."""

    def __init__(self, failure: SourceFailure) -> None:
        super().__init__()
        self.failure = failure


class VolumesUpdated(Message):
    """Volume sizes were read."""

    def __init__(self, volumes: VolumesSnapshot) -> None:
        super().__init__()
        self.volumes = volumes


class EngineChanged(Message):
    """The engine reported a container event (start, die, oom ...): read soon."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action


@dataclass
class ResourcesSchedule:
    """When the next reads are due (main thread only)."""

    interval: float = 1.0
    paused: bool = False
    running: bool = False
    next_due: float = 0.0
    volumes_running: bool = False
    volumes_due: float = 0.0
    backoff: float = 0.0
    clock: Callable[[], float] = time.monotonic

    def due(self, visible: bool) -> bool:
        """Whether a read should start now (and book the next one if so).

        A tick slightly early still counts, and the next read is booked from when this
        one was due rather than from now, so timer jitter cannot stretch 1 Hz to 0.8 Hz.
        """
        now = self.clock()
        if self.paused or self.running or now + EARLY < self.next_due:
            return False
        self.running = True
        step = self.interval if visible else HIDDEN_INTERVAL
        on_time = self.next_due > 0 and now - self.next_due < step
        self.next_due = (self.next_due if on_time else now) + step
        return True

    def volumes_due_now(self, visible: bool) -> bool:
        """Whether volume sizes should be read now (visible tab only)."""
        now = self.clock()
        if not visible or self.paused or self.volumes_running or now < self.volumes_due:
            return False
        self.volumes_running = True
        self.volumes_due = now + VOLUMES_INTERVAL
        return True

    def finished(self, ok: bool) -> None:
        """A read ended; on failure push the next one out by the backoff."""
        self.running = False
        if ok:
            self.backoff = 0.0
            return
        self.backoff = min(BACKOFF_MAX, max(1.0, self.backoff * 2))
        self.next_due = max(self.next_due, self.clock() + self.backoff)

    def soon(self) -> None:
        """Read at the next tick (an event, or the tab was just shown)."""
        self.next_due = 0.0

    def step(self, faster: bool) -> float:
        """Move to the next shorter/longer interval; returns it."""
        i = min(range(len(INTERVALS)), key=lambda k: abs(INTERVALS[k] - self.interval))
        i = max(0, i - 1) if faster else min(len(INTERVALS) - 1, i + 1)
        self.interval = INTERVALS[i]
        self.next_due = min(self.next_due, self.clock() + self.interval)
        return self.interval


class ResourcesPoller:
    """Reads a ResourcesSource on thread workers of `host` when the schedule says so."""

    def __init__(self, host: Widget, source: ResourcesSource, interval: float) -> None:
        self.host = host
        self.source = source
        self.schedule = ResourcesSchedule(interval=interval)
        self._backfilled = False
        self._backfill_next = False
        self._stop = threading.Event()
        # One long-lived reader thread, woken per read: a Textual worker per read (a new
        # thread, a Worker and its state messages each second) cost ~0.1 CPU-s/min, which
        # at N = 10 was the difference between under and over half of `docker stats`.
        # It never lets an exception out (see _read) and only posts messages.
        self._go = threading.Event()
        self._reader = threading.Thread(target=self._loop, name="arctui-resources", daemon=True)

    def start_events(self) -> None:
        """Start the reader thread, and follow engine events on another (early reads)."""
        self._reader.start()
        threading.Thread(
            target=self.source.follow_events,
            args=(lambda action: self.host.post_message(EngineChanged(action)), self._stop),
            name="arctui-resources-events",
            daemon=True,
        ).start()

    def stop(self) -> None:
        """Stop the threads and release the source's connections."""
        self._stop.set()
        self._go.set()
        self.source.close()

    def _loop(self) -> None:
        while True:
            self._go.wait()
            self._go.clear()
            if self._stop.is_set():
                return
            self._read(self._backfill_next)

    def tick(self, visible: bool) -> None:
        """Start a read and/or a volume reading if due (main thread)."""
        if self.schedule.due(visible):
            backfill, self._backfilled = not self._backfilled, True
            self._backfill_next = backfill
            self._go.set()
        if self.schedule.volumes_due_now(visible):
            self.host.run_worker(
                self._read_volumes,
                thread=True,
                exit_on_error=False,
                group="resources-volumes",
                description="read volume sizes",
            )

    def _read(self, backfill: bool) -> None:
        try:
            past = self.source.backfill(HISTORY_WINDOW) if backfill else []
            snapshot = self.source.read()
        except SourceError as exc:
            failure = SourceFailure("docker", exc.reason, exc.fix, time.time())
            self.host.post_message(ResourcesFailed(failure))
        except Exception as exc:  # a poll must never end the app: say what happened
            failure = SourceFailure("docker", f"unexpected error: {exc!r}"[:300], "", time.time())
            self.host.post_message(ResourcesFailed(failure))
        else:
            self.host.post_message(ResourcesUpdated(snapshot, past))

    def _read_volumes(self) -> None:
        try:
            volumes = self.source.volumes()
        except Exception as exc:  # the sources return their errors; be safe anyway
            volumes = VolumesSnapshot((), time.time(), f"unexpected error: {exc!r}"[:200])
        self.host.post_message(VolumesUpdated(volumes))


def bench_log_path() -> str | None:
    """ARCTUI_BENCH_LOG: append one line per displayed reading (benchmarks/ reads it)."""
    return os.environ.get("ARCTUI_BENCH_LOG") or None


def bench_log(path: str, snapshot: ResourcesSnapshot) -> None:
    """`<shown at> <oldest sample> <rows>`: the benchmark derives the data age from it."""
    oldest = snapshot.oldest_sample or snapshot.taken_at
    with open(path, "a", encoding="ascii") as f:
        f.write(f"{time.time():.3f} {oldest:.3f} {len(snapshot.containers)}\n")
