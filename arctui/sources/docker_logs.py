"""Container logs from the Docker Engine API: timestamps, stdout/stderr apart, resumable.

- One HTTP stream per container (`/containers/{id}/logs?timestamps=1`), demultiplexed
  by hand so every line keeps its stream; the daemon splits lines over 16 KiB into
  partial frames, joined again and cut at `LINE_LIMIT` bytes (the format's parsing is
  `sources/log_stream.py`), so a 1 MB line costs 16 KiB of memory.
- A stream ends when its container stops (or is in a restart back-off) and, silently,
  when the daemon restarts. The follower waits for the container to run again (events
  wake it; a slow container list is the safety net) and resubscribes with `since=` the
  last line's nanosecond timestamp, skipping lines at that instant already delivered.
- Containers that appear (recreated, scaled up) are found by the same events and list.
- Requests have timeouts; a following stream has none on purpose (a quiet container is
  not a failure); `stop` shuts its socket down so the thread ends at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from arctui.lazylog import get_logger
from arctui.sources.base import EngineEvent, SourceError
from arctui.sources.docker_engine import DockerSource
from arctui.sources.engine import EngineClient, EngineNotFound, EngineStream
from arctui.sources.event_hub import EventHub
from arctui.sources.log_stream import (
    LINE_LIMIT,
    RESUME_MARGIN_NS,
    STDERR,
    STDOUT,
    Cursor,
    FrameDecoder,
    LineAssembler,
    parse_ts,
    since_param,
)

log = get_logger(__name__)

_FOLLOW_EVENTS = ("start", "restart", "unpause", "create", "destroy", "rename")
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
NUMBER_LABEL = "com.docker.compose.container-number"


@dataclass(frozen=True)
class LogTarget:
    """One container whose logs are read."""

    id: str
    name: str
    service: str
    replica: int = 1
    running: bool = True
    tty: bool = False
    created: bool = False  # created but never started (compose's temporary name, maybe)


@dataclass(frozen=True)
class LogRecord:
    """One log line as the engine stored it (raw bytes, not yet cleaned)."""

    target: LogTarget
    stream: str  # stdout | stderr
    ts_ns: int  # unix time in nanoseconds, as stamped by the daemon
    data: bytes  # without the trailing newline; at most LINE_LIMIT bytes
    cut: int = 0  # bytes of the line dropped beyond LINE_LIMIT


@dataclass(frozen=True)
class LogWindow:
    """Where reading starts: the last `tail` lines per container and/or `since` a time."""

    since_ns: int | None = None
    tail: int | None = None


Sink = Callable[[list[LogRecord]], None]


def target_from_row(row: Mapping[str, Any]) -> LogTarget:
    """A LogTarget from one entry of the container list."""
    labels = row.get("Labels") or {}
    number = str(labels.get(NUMBER_LABEL, "1"))
    names = row.get("Names") or [""]
    return LogTarget(
        id=str(row.get("Id", "")),
        name=str(names[0]).lstrip("/"),
        service=str(labels.get(SERVICE_LABEL, "")),
        replica=int(number) if number.isdigit() else 1,
        running=str(row.get("State", "")) in ("running", "restarting", "paused"),
        created=str(row.get("State", "")) == "created",
    )


@dataclass
class _Follow:
    target: LogTarget
    cursor: Cursor = field(default_factory=Cursor)
    wake: threading.Event = field(default_factory=threading.Event)
    since_ns: int | None = None
    gone: bool = False


class DockerLogSource:
    """Reads and follows the logs of one compose project's containers.

    Over the session's one `EngineClient`; container events come from the session's
    `EventHub` (one made over the same client when none is given, e.g. headless).
    """

    def __init__(
        self,
        project: str,
        environ: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        rescan: float = 10.0,
        engine: EngineClient | None = None,
        hub: EventHub | None = None,
    ) -> None:
        self.project = project
        self.timeout = timeout
        self.rescan = rescan
        self.engine = engine or EngineClient(environ, timeout=timeout)
        self._hub = hub
        self._open: set[EngineStream] = set()
        self._fresh: set[str] = set()  # ids of containers an event announced

    @property
    def endpoint(self) -> str:
        """Where the engine is reached."""
        return self.engine.endpoint

    # --- engine plumbing ------------------------------------------------------------
    def targets(self, services: Sequence[str] = ()) -> list[LogTarget]:
        """The project's containers (running or not), optionally of some services only."""
        labels = [f"{PROJECT_LABEL}={self.project}"]
        rows = self.engine.containers(all=True, filters={"label": labels})
        found = [target_from_row(r) for r in rows]
        wanted = set(services)
        return sorted(
            (t for t in found if not wanted or t.service in wanted),
            key=lambda t: (t.service, t.replica, t.name),
        )

    def _tty(self, target: LogTarget) -> LogTarget:
        try:
            data = self.engine.inspect_container(target.id)
        except (EngineNotFound, SourceError) as exc:
            # The stream read after this says what is wrong; keep what the list said.
            log.info("inspect of %s before reading its logs failed: %s", target.name, exc)
            return target
        tty = bool((data.get("Config") or {}).get("Tty"))
        state = data.get("State") or {}
        running = bool(state.get("Running")) or bool(state.get("Restarting"))
        name = str(data.get("Name") or target.name).lstrip("/")  # renamed by a recreate
        created = state.get("Status") == "created"
        return LogTarget(target.id, name, target.service, target.replica, running, tty, created)

    def _stream(
        self, target: LogTarget, since_ns: int | None, tail: int | None, follow: bool
    ) -> Iterator[tuple[str, int, bytes, int]]:
        """Lines of one container's log stream: (stream, ts_ns, data, cut)."""
        for lines in self._stream_chunks(target, since_ns, tail, follow):
            yield from lines

    def _stream_chunks(
        self, target: LogTarget, since_ns: int | None, tail: int | None, follow: bool
    ) -> Iterator[list[tuple[str, int, bytes, int]]]:
        """The same lines, a list per read from the daemon: a follower hands each list
        over at once (one lock and one wake-up per read, not per line, in a flood)."""
        params: dict[str, Any] = {
            "stdout": 1,
            "stderr": 1,
            "timestamps": 1,
            "follow": int(follow),
            "tail": "all" if tail is None else max(int(tail), 0),
        }
        if since_ns:
            params["since"] = since_param(since_ns)
        try:
            # No read timeout on a stream: quiet is normal; `close()`/stop end the read.
            res = self.engine.logs(target.id, params)
        except EngineNotFound:
            return
        self._open.add(res)
        decoder, lines = FrameDecoder(target.tty), LineAssembler()
        try:
            for chunk in res.chunks():
                done = [
                    line
                    for stream, payload in decoder.feed(chunk)
                    if (line := lines.add(stream, payload)) is not None
                ]
                if done:
                    yield done
        finally:
            self._open.discard(res)
            res.close()

    # --- one-shot reading -------------------------------------------------------------
    def history(
        self, services: Sequence[str] = (), window: LogWindow | None = None
    ) -> list[LogRecord]:
        """Every stored line in the window of the services' containers, merged in time order."""
        window = window or LogWindow()
        out: list[LogRecord] = []
        for target in self.targets(services):
            target = self._tty(target)
            for stream, ts, data, cut in self._stream(target, window.since_ns, window.tail, False):
                out.append(LogRecord(target, stream, ts, data, cut))
        out.sort(key=lambda r: r.ts_ns)
        return out

    # --- following --------------------------------------------------------------------
    def follow(
        self,
        services: Sequence[str],
        window: LogWindow,
        sink: Sink,
        stop: threading.Event,
        on_error: Callable[[SourceError | None], None] | None = None,
    ) -> None:
        """Deliver the window's lines (merged, one batch), then new lines, until `stop`.

        The first `sink` call is the whole history, even when empty (the caller knows
        the window is loaded); later calls carry new lines.
        Followed: every container of the services (all when empty) that exists now or
        appears later. `on_error` hears engine failures (and None once reads work again).
        """
        follows: dict[str, _Follow] = {}
        threads: list[threading.Thread] = []
        report = on_error or (lambda _e: None)
        wanted = set(services)

        def start(target: LogTarget, since_ns: int | None, cursor: Cursor | None = None) -> None:
            f = _Follow(target, since_ns=since_ns)
            if cursor is not None:
                f.cursor = cursor
            follows[target.id] = f
            t = threading.Thread(
                target=self._follow_one, args=(f, sink, stop, report),
                name=f"arctui-logs-{target.name}", daemon=True,
            )  # fmt: skip
            threads.append(t)
            t.start()

        # History first, merged across containers, so the view starts in time order.
        while not stop.is_set():
            try:
                targets = [self._tty(t) for t in self.targets(services)]
                cursors: dict[str, Cursor] = {t.id: Cursor() for t in targets}
                batch: list[LogRecord] = []
                for t in targets:
                    for stream, ts, data, cut in self._stream(
                        t, window.since_ns, window.tail, False
                    ):
                        if cursors[t.id].accept(stream, ts, data, cut):
                            batch.append(LogRecord(t, stream, ts, data, cut))
            except SourceError as exc:
                report(exc)
                stop.wait(2.0)
                continue
            report(None)
            batch.sort(key=lambda r: r.ts_ns)
            sink(batch)  # always once, even empty: the history is complete
            for t in targets:
                cur = cursors[t.id]
                start(t, cur.ts_ns if cur.ts_ns is not None else window.since_ns, cur)
            break

        own_hub = self._hub is None
        hub = self._hub or EventHub(self.project, DockerSource(self.engine), replay=0.0)
        sub = hub.subscribe(partial(self._on_event, follows), "logs")
        next_scan = time.monotonic() + self.rescan
        while not stop.wait(0.5):
            due = time.monotonic() >= next_scan
            if not due and not self._fresh:
                continue
            self._fresh = set()
            next_scan = time.monotonic() + self.rescan
            try:
                current = self.targets(services)
            except SourceError as exc:
                report(exc)
                continue
            for t in current:
                f = follows.get(t.id)
                if f is None and not t.created and (not wanted or t.service in wanted):
                    # Appeared while following: all its lines. Not before it starts: compose
                    # creates a replacement under a temporary name, renamed before start.
                    start(self._tty(t), None)
                elif f is not None and t.running:
                    f.wake.set()
        sub.close()
        if own_hub:
            hub.close()
        self.close()

    def _on_event(self, follows: dict[str, _Follow], event: EngineEvent | None) -> None:
        """The hub's thread: wake followers (and the rescan) on container events."""
        if event is None:  # events were lost: wake everyone and rescan now
            for each in list(follows.values()):
                each.wake.set()
            self._fresh = {*self._fresh, ""}
            return
        if event.action.partition(":")[0] not in _FOLLOW_EVENTS:
            return
        cid = event.container_id
        f = follows.get(cid)
        if f is not None:
            f.wake.set()
        elif cid:
            self._fresh = {*self._fresh, cid}

    def _follow_one(
        self,
        f: _Follow,
        sink: Sink,
        stop: threading.Event,
        report: Callable[[SourceError | None], None],
    ) -> None:
        """Follow one container across stops, restarts and daemon restarts."""
        backoff = 1.0
        caught_up = False  # everything the container wrote before it stopped was read
        while not stop.is_set():
            f.wake.clear()
            since = f.cursor.ts_ns if f.cursor.ts_ns is not None else f.since_ns
            try:
                target = self._tty(f.target)
                f.target = target
                if caught_up and (not target.running or self._state(target.id) != "running"):
                    f.wake.wait(self.rescan)  # an event or the rescan wakes us on start
                    continue
                for lines in self._stream_chunks(target, since, None, True):
                    records = [
                        LogRecord(target, stream, ts, data, cut)
                        for stream, ts, data, cut in lines
                        if f.cursor.accept(stream, ts, data, cut)
                    ]
                    if records:
                        sink(records)
                backoff = 1.0
            except SourceError as exc:
                if stop.is_set():
                    return
                report(exc)
                caught_up = False
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if stop.is_set():
                return
            # The stream ended: the container stopped, or the daemon went away.
            state = self._state(f.target.id)
            if state == "gone":
                f.gone = True
                return
            caught_up = state in ("stopped", "restarting")
            if state == "unknown":
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)

    def _state(self, cid: str) -> str:
        """running | restarting | stopped | gone | unknown (engine unreachable)."""
        try:
            data = self.engine.inspect_container(cid)
        except EngineNotFound:
            return "gone"
        except SourceError as exc:
            log.info("container %s state unknown: %s", cid[:12], exc.reason)
            return "unknown"
        state = data.get("State") or {}
        if state.get("Restarting"):
            return "restarting"
        return "running" if state.get("Running") else "stopped"

    def close(self) -> None:
        """End every open stream (their threads return); the client is the session's."""
        for res in list(self._open):
            self._open.discard(res)
            res.close()


def merge(records: Iterable[LogRecord]) -> list[LogRecord]:
    """Records of several containers in time order (stable for equal stamps)."""
    return sorted(records, key=lambda r: r.ts_ns)


# The stream format's names, re-exported for the callers that knew them here.
__all__ = [
    "LINE_LIMIT",
    "RESUME_MARGIN_NS",
    "STDERR",
    "STDOUT",
    "Cursor",
    "DockerLogSource",
    "FrameDecoder",
    "LineAssembler",
    "LogRecord",
    "LogTarget",
    "LogWindow",
    "merge",
    "parse_ts",
    "since_param",
    "target_from_row",
]
