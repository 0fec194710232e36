"""Recordings for the replay tests: frames built from the demo platform's own readers.

`demo_frames(start, count, step)` samples the simulated platform at recorded times (its
clock pinned to each), as the recorder samples the tabs' readers; one service
("raymond") is marked exited from frame `crash_at` on, with a `state` event, so stepping
across that moment changes what the Services tab shows. `write_store` puts frames and
events through the real store's write path; `MemoryStore` is the same API in memory.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path

from arctui.record.frame import Event, Frame, LogCounts, ServiceLogCounts
from arctui.session import demo_session
from arctui.tabs.backups.demo import demo_snapshot
from arctui.tabs.postgres.demo import DemoPostgres
from arctui.tabs.redis.demo import DemoRedis
from arctui.tabs.redis.reader import RedisReader

START = 1_765_000_000.0  # a fixed moment: pictures and times are reproducible
STEP = 5.0
CRASHED = "raymond"


def _crashed(frame: Frame) -> Frame:
    """The frame with every container of CRASHED exited (137, OOM-killed)."""
    stack = frame.stack
    assert stack is not None
    services = []
    for s in stack.services:
        if s.name == CRASHED:
            dead = tuple(
                dataclasses.replace(c, state="exited", exit_code=137, oom_killed=True, health=None)
                for c in s.containers
            )
            s = dataclasses.replace(s, containers=dead)
        services.append(s)
    return dataclasses.replace(frame, stack=dataclasses.replace(stack, services=tuple(services)))


def demo_frames(
    start: float = START,
    count: int = 24,
    step: float = STEP,
    crash_at: int = 12,
    postgres_down_at: Sequence[int] = (),
) -> tuple[list[Frame], list[Event]]:
    """`count` frames `step` seconds apart from `start`, and the events between them."""
    now = [start]
    session = demo_session(clock=lambda: now[0])
    postgres = DemoPostgres(clock=lambda: now[0])
    redis = RedisReader(DemoRedis(), "demo", clock=lambda: now[0])
    frames: list[Frame] = []
    events: list[Event] = []
    for i in range(count):
        now[0] = start + i * step
        stack = session.reader.read()
        resources = session.resources.read()
        down: dict[str, str] = {}
        pg = None
        if i in postgres_down_at:
            down["postgres"] = "cannot connect to 127.0.0.1:5432: connection refused"
        else:
            pg = postgres.read(force=True)
        logs = LogCounts(
            interval=step,
            services={
                "raymond": ServiceLogCounts(
                    lines=10 + i, errors=i % 3, last_errors=(f"ERROR frame {i} failed",)
                ),
                "postgres": ServiceLogCounts(lines=3, errors=0),
            },
        )
        frame = Frame(
            ts=now[0],
            stack=stack,
            resources=resources,
            postgres=pg,
            redis=redis.read(),
            backups=demo_snapshot(now[0], session.settings.backups),
            logs=logs,
            down=down,
        )
        if i >= crash_at:
            frame = _crashed(frame)
        if i == crash_at:
            events.append(
                Event(now[0] - 2.0, "oom", CRASHED, f"{CRASHED} was killed: out of memory")
            )
        frames.append(frame)
    events.append(Event(start + 3 * step + 1, "action", CRASHED, "restart raymond (audit)"))
    events.sort(key=lambda e: e.ts)
    return frames, events


def write_store(path: Path, frames: Iterable[Frame], events: Iterable[Event] = ()) -> Path:
    """Frames and events through the real store's write path (as `arctui record` does)."""
    from arctui.record.store import Store

    store = Store.open(path)
    try:
        for frame in frames:
            store.write_frame(frame)
        store.add_events(list(events))
    finally:
        store.close()
    return path


class MemoryStore:
    """The store's read API over lists (the controller's unit tests)."""

    def __init__(self, frames: Sequence[Frame], events: Sequence[Event] = ()) -> None:
        self.frames = sorted(frames, key=lambda f: f.ts)
        self.times = [f.ts for f in self.frames]
        self.all_events = sorted(events, key=lambda e: e.ts)
        self.reads = 0
        self.closed = False

    def frame_at(self, ts: float) -> Frame | None:
        self.reads += 1
        i = bisect.bisect_right(self.times, ts) - 1
        return self.frames[i] if i >= 0 else None

    def frame_times(self, since: float, until: float) -> list[float]:
        return [t for t in self.times if since <= t <= until]

    def next_frame_time(self, ts: float) -> float | None:
        i = bisect.bisect_right(self.times, ts)
        return self.times[i] if i < len(self.times) else None

    def prev_frame_time(self, ts: float) -> float | None:
        i = bisect.bisect_left(self.times, ts) - 1
        return self.times[i] if i >= 0 else None

    def events(
        self,
        since: float,
        until: float,
        kinds: Sequence[str] | None = None,
        services: Sequence[str] | None = None,
    ) -> list[Event]:
        return [
            e
            for e in self.all_events
            if since <= e.ts <= until
            and (kinds is None or e.kind in kinds)
            and (services is None or e.service in services)
        ]

    def span(self) -> tuple[float, float] | None:
        return (self.times[0], self.times[-1]) if self.times else None

    def close(self) -> None:
        self.closed = True
