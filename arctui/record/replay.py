"""Replay (`arctui --at WHEN`): the tabs show a recorded moment instead of the stack.

`Replay` is the controller: the moment shown, the frame at it (the latest recorded at or
before it), and the moves: one sample back or forward, jumps by minutes, a typed time, the
next or previous event, playing at 1x, 10x or 60x. Every store call happens on the thread
that moves (the app's loop); the pollers' threads only read the frame kept in memory, so
a tab's read in replay is an attribute lookup, never the engine or a database.

`reader(source)` gives each poller its read in replay (by the poller's source name), and
raises `SourceError` when nothing was recorded for that source at that moment (with the
recorder's reason when the source was down): nothing is invented. No Textual here.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from arctui.record.frame import Event, Frame
from arctui.record.when import describe, parse_when
from arctui.sources.base import SourceError

SPEEDS = (1.0, 10.0, 60.0)
# The events "next/previous event" stops at: state changes, alerts, actions.
JUMP_KINDS = (
    "state", "health", "restart", "oom", "source-down", "source-up",
    "alert", "alert-resolved", "action", "backup", "blocker",
)  # fmt: skip
# Tab id -> the frame's field it shows.
TAB_SOURCES = {
    "services": "stack",
    "resources": "resources",
    "postgres": "postgres",
    "redis": "redis",
    "backups": "backups",
    "logs": "logs",
    "metrics": "metrics",
}
# Poller source name -> the frame's field ("docker" is the app's stack poller).
POLLER_SOURCES = {**{s: s for s in TAB_SOURCES.values()}, "docker": "stack"}
LABELS = {
    "stack": "the stack",
    "resources": "resource usage",
    "postgres": "Postgres",
    "redis": "Redis",
    "backups": "the backups",
    "logs": "log figures",
    "metrics": "the RED figures (the stack's Prometheus)",
}
HISTORY_WINDOW = 300.0  # seconds of usage history the Resources charts get in replay
CACHE_FRAMES = 256  # decoded frames kept: stepping and playing decode each frame once
_EVENT_WINDOWS = (3600.0, 86400.0, float("inf"))  # searched in turn: the near ones first


class FrameStore(Protocol):
    """What replay reads of a store (`arctui.record.store.Store` provides it)."""

    def frame_at(self, ts: float) -> Frame | None: ...

    def frame_times(self, since: float, until: float) -> Sequence[float]: ...

    def next_frame_time(self, ts: float) -> float | None: ...

    def prev_frame_time(self, ts: float) -> float | None: ...

    def events(
        self,
        since: float,
        until: float,
        kinds: Sequence[str] | None = None,
        services: Sequence[str] | None = None,
    ) -> list[Event]: ...

    def span(self) -> tuple[float, float] | None: ...

    def close(self) -> None: ...


class ReplayError(ValueError):
    """Nothing to replay there (no store, an empty store, a time before the first sample)."""


class Replay:
    """The recorded moment on screen and the moves between moments."""

    def __init__(
        self,
        store: FrameStore,
        at: float,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.wall = wall
        self._monotonic = monotonic
        self._lock = threading.RLock()
        span = store.span()
        if span is None:
            raise ReplayError("the store holds no sample yet (is `arctui record` running?)")
        self.span: tuple[float, float] = span
        if at < span[0]:
            raise ReplayError(
                f"nothing recorded at {describe(at)}: the store reaches back to {describe(span[0])}"
            )
        self.at = at
        self.frame: Frame | None = None
        self.speed = 0.0  # 0: paused
        self.last_event: Event | None = None  # the event the last event jump stopped at
        self.version = 0  # bumped when the frame shown changes: the tabs read again
        self._cache: OrderedDict[float, Frame] = OrderedDict()
        self._past_version = -1  # the frame version whose history the charts have
        self._played_at = monotonic()
        self._load()

    # Moving (the app's thread) -------------------------------------------------------
    def _load(self) -> None:
        """Read the frame at the moment (the charts' history is read by their poller)."""
        frame = self.store.frame_at(self.at)
        if frame is not None:
            frame = self._remember(frame)
        with self._lock:
            changed = frame is not self.frame
            self.frame = frame
            if changed:
                self.version += 1

    def _remember(self, frame: Frame) -> Frame:
        with self._lock:  # the app's thread and the Resources poller's share the cache
            known = self._cache.get(frame.ts)
            if known is not None:
                self._cache.move_to_end(frame.ts)
                return known  # the same object: a step back and forth is no new moment
            self._cache[frame.ts] = frame
            while len(self._cache) > CACHE_FRAMES:
                self._cache.popitem(last=False)
            return frame

    def move_to(self, ts: float) -> bool:
        """Show the moment `ts`, held inside what the store holds; whether it moved."""
        oldest, newest = self.refresh_span()
        ts = min(max(ts, oldest), max(newest, oldest))
        if ts == self.at and self.frame is not None:
            return False
        self.at = ts
        self.last_event = None
        self._load()
        return True

    def refresh_span(self) -> tuple[float, float]:
        """The store's reach, read again (a recorder may still be writing)."""
        self.span = self.store.span() or self.span
        return self.span

    def step(self, count: int) -> bool:
        """One recorded sample forward (count > 0) or back (count < 0)."""
        moved = False
        for _ in range(abs(count)):
            base = self.frame.ts if self.frame is not None else self.at
            if count > 0:
                target = self.store.next_frame_time(max(base, self.at))
            else:
                target = self.store.prev_frame_time(base)
            if target is None:
                break
            moved = self.move_to(target) or moved
        return moved

    def jump(self, seconds: float) -> bool:
        """Move by a duration (the frame shown is the one recorded at or before)."""
        return self.move_to(self.at + seconds)

    def seek(self, text: str) -> bool:
        """Move to a typed time (`03:10`, `2h ago`, ISO). Raises WhenError or ReplayError."""
        ts = parse_when(text, self.wall())
        oldest, newest = self.refresh_span()
        if ts < oldest:
            raise ReplayError(
                f"nothing recorded at {describe(ts)}: the store reaches back to {describe(oldest)}"
            )
        if ts > newest + 1.0:
            raise ReplayError(
                f"nothing recorded at {describe(ts)} yet: the last sample is {describe(newest)}"
            )
        return self.move_to(ts)

    def next_event(self) -> Event | None:
        """Jump to the next state change, alert or action; None when there is none."""
        event = self._find_event(forward=True)
        if event is not None:
            # The first sample at or after the event shows its consequence.
            after = self.store.next_frame_time(event.ts - 1e-6)
            self.move_to(after if after is not None else event.ts)
            self.last_event = event
        return event

    def prev_event(self) -> Event | None:
        """Jump to the previous state change, alert or action; None when there is none."""
        event = self._find_event(forward=False)
        if event is not None:
            after = self.store.next_frame_time(event.ts - 1e-6)
            self.move_to(after if after is not None else event.ts)
            self.last_event = event
        return event

    def _find_event(self, forward: bool) -> Event | None:
        oldest, newest = self.refresh_span()
        # From the event last stopped at (its frame may lie a few seconds past it).
        here = self.last_event.ts if self.last_event is not None else self.at
        for window in _EVENT_WINDOWS:
            if forward:
                since, until = here + 1e-6, min(newest, here + window)
                found = self.store.events(since, until, kinds=JUMP_KINDS)
                if found:
                    return min(found, key=lambda e: e.ts)
                if until >= newest:
                    return None
            else:
                since, until = max(oldest, here - window), here - 1e-6
                found = self.store.events(since, until, kinds=JUMP_KINDS)
                if found:
                    return max(found, key=lambda e: e.ts)
                if since <= oldest:
                    return None
        return None

    # Playing --------------------------------------------------------------------------
    def play(self, speed: float) -> None:
        """Play at `speed` (1, 10, 60 recorded seconds per second); 0 pauses."""
        self.speed = speed
        self._played_at = self._monotonic()

    def next_speed(self) -> float:
        """Paused -> 1x -> 10x -> 60x -> paused (the play key)."""
        order = (0.0, *SPEEDS)
        i = order.index(self.speed) if self.speed in order else 0
        speed = order[(i + 1) % len(order)]
        self.play(speed)
        return speed

    def advance(self) -> bool:
        """While playing: move by the time passed times the speed; pauses at the end."""
        if not self.speed:
            return False
        now = self._monotonic()
        elapsed, self._played_at = now - self._played_at, now
        newest = self.refresh_span()[1]
        target = min(self.at + elapsed * self.speed, newest)
        if target >= newest:
            self.speed = 0.0  # the end of the recording: stop there
        self.at = target
        self.last_event = None
        nxt = self.store.next_frame_time(self.frame.ts) if self.frame is not None else target
        if nxt is not None and nxt <= target:
            self._load()  # a newer sample is due
        return True  # the time shown moved

    # What the tabs read (any thread) ----------------------------------------------------
    def clock(self) -> float:
        """The session's clock in replay: ages on screen are relative to the moment shown."""
        return self.at

    def snapshot(self, name: str) -> Any:
        """The frame's snapshot of one source (a `Frame` field), or None."""
        frame = self.frame
        return None if frame is None else getattr(frame, name, None)

    def missing(self, name: str) -> str | None:
        """Why the moment shown has nothing for a source (a Frame field), or None."""
        frame = self.frame
        what = LABELS.get(name, name)
        if frame is None:
            return f"nothing recorded at or before {describe(self.at)}"
        if getattr(frame, name, None) is not None:
            return None
        reason = frame.down.get(name)
        when = describe(frame.ts)
        if reason:
            return f"{what} could not be read at {when}: {reason}"
        return f"nothing recorded for {what} at {when}"

    def reader(self, poller_source: str) -> Callable[[], Any]:
        """The read a poller of this source name does in replay."""
        if poller_source == "volumes":
            return self._volumes
        if poller_source == "resources":
            return self._resources
        name = POLLER_SOURCES.get(poller_source)
        if name is None:

            def live_only() -> Any:
                raise SourceError(f"replay: {poller_source} is not recorded (live only)")

            return live_only

        def read() -> Any:
            value = self.snapshot(name)
            if value is None:
                raise SourceError(f"replay: {self.missing(name)}")
            return value

        return read

    def _resources(self) -> tuple[Any, list[Any]]:
        """The Resources poller's (snapshot, history): the window before a new moment once.

        The history is read here, on the poller's thread (the store is thread-safe), so a
        move on the app's thread costs one frame, not the window's sixty."""
        with self._lock:
            frame, version = self.frame, self.version
            fresh = self._past_version == version
        value = None if frame is None else frame.resources
        if value is None:
            raise SourceError(f"replay: {self.missing('resources')}")
        if fresh:
            return value, []
        past = self._history(frame)
        with self._lock:
            self._past_version = version
        return value, past

    def _volumes(self) -> Any:
        from arctui.tabs.resources.models import VolumesSnapshot

        return VolumesSnapshot((), self.at, "volume sizes are not recorded")

    def _history(self, frame: Frame | None) -> list[Any]:
        """The usage samples of the window before `frame` (the charts' history)."""
        if frame is None:
            return []
        frames = self.frames_between(frame.ts - HISTORY_WINDOW, frame.ts - 1e-6)
        return [f.resources for f in frames if f.resources is not None]

    def frames_between(self, since: float, until: float) -> list[Frame]:
        """The frames recorded in [since, until], oldest first (each decoded once)."""
        out: list[Frame] = []
        for ts in self.store.frame_times(since, until):
            with self._lock:
                frame = self._cache.get(ts)
            if frame is None:
                found = self.store.frame_at(ts)
                frame = self._remember(found) if found is not None else None
            if frame is not None and (not out or frame.ts > out[-1].ts):
                out.append(frame)
        return out

    def describe_reach(self) -> str:
        """How far the store reaches back, for the banner."""
        from arctui.units import duration

        oldest, newest = self.span
        return f"{describe(oldest)} to {describe(newest)} ({duration(newest - oldest)})"

    def close(self) -> None:
        """Close the store."""
        self.store.close()
