"""How the Resources tab is fed: two pollers of the one poller kind, plus engine events.

- usage: full rate (the tab's interval) while visible, every 15 s while hidden so the
  history keeps going; the first read also backfills the charts (demo);
- volume sizes: `docker system df -v` is slow, so once a minute and only while visible;
- engine events (start, die, oom ...) on a daemon thread ask for an early usage read.
"""

from __future__ import annotations

import os
import threading
import time

from textual.message import Message
from textual.widget import Widget

from arctui.tabs.resources.models import ResourcesSnapshot, VolumesSnapshot
from arctui.tabs.resources.source import ResourcesSource
from arctui.ui.polling import Poller

HIDDEN_INTERVAL = 15.0  # hidden tab: keep the history going, slowly
VOLUMES_INTERVAL = 60.0  # `docker system df -v` is slow: rarely
HISTORY_WINDOW = 300.0  # seconds the charts show


class EngineChanged(Message):
    """The engine reported a container event (start, die, oom ...): read soon."""

    def __init__(self, action: str, engine: str | None = None) -> None:
        super().__init__()
        self.action = action
        self.engine = engine  # None: the primary engine


class ResourcesFeed:
    """The usage and volume pollers of one Resources tab, and its event thread."""

    def __init__(
        self, host: Widget, source: ResourcesSource, interval: float, engine: str | None = None
    ) -> None:
        self.source = source
        self.engine = engine
        self._backfilled = False
        self._stop = threading.Event()
        # Another engine of the fleet (issue 24): its own poller, `resources@NAME`, its
        # own thread and backoff; the volume sizes in the host strip stay the primary's.
        suffix = "" if engine is None else f"@{engine}"
        self.usage = Poller(host, "resources" + suffix, self._read, interval, HIDDEN_INTERVAL)
        self.volumes: Poller | None = None
        if engine is None:
            self.volumes = Poller(host, "volumes", self._read_volumes, VOLUMES_INTERVAL)
        self._host = host

    def start(self) -> None:
        """Start the pollers and follow engine events."""
        self.usage.start()
        if self.volumes is not None:
            self.volumes.start()
        engine = self.engine
        threading.Thread(
            target=self.source.follow_events,
            args=(
                lambda action: self._host.post_message(EngineChanged(action, engine)),
                self._stop,
            ),
            name="arctui-resources-events",
            daemon=True,
        ).start()

    def stop(self) -> None:
        """Stop the pollers and the event thread; release the source's connections."""
        self._stop.set()
        self.usage.stop()
        if self.volumes is not None:
            self.volumes.stop()
        self.source.close()

    def _read(self) -> tuple[ResourcesSnapshot, list[ResourcesSnapshot]]:
        """A reading, and on the first one the history to seed the charts with."""
        past = [] if self._backfilled else self.source.backfill(HISTORY_WINDOW)
        self._backfilled = True
        return self.source.read(), past

    def _read_volumes(self) -> VolumesSnapshot:
        try:
            return self.source.volumes()
        except Exception as exc:  # the sources return their errors; be safe anyway
            return VolumesSnapshot((), time.time(), f"unexpected error: {exc!r}"[:200])


def bench_log_path() -> str | None:
    """ARCTUI_BENCH_LOG: append one line per displayed reading (benchmarks/ reads it)."""
    return os.environ.get("ARCTUI_BENCH_LOG") or None


def bench_log(path: str, snapshot: ResourcesSnapshot, engine: str | None = None) -> None:
    """`<shown at> <oldest sample> <rows>`: the benchmark derives the data age from it.
    Another engine's reading (issue 24) adds its name: `... <rows> <engine>`."""
    oldest = snapshot.oldest_sample or snapshot.taken_at
    named = f" {engine}" if engine is not None else ""
    with open(path, "a", encoding="ascii") as f:
        f.write(f"{time.time():.3f} {oldest:.3f} {len(snapshot.containers)}{named}\n")
