"""Turns engine log records into LogLines and feeds them to the tab or the CLI (no Textual).

- `LineMaker`: bytes -> one safe line (arctui.text.clean: escapes stripped, controls
  made visible, invalid UTF-8 replaced, length capped with a marker), redacted with the
  session's redactor, tagged with its service, its level parsed.
- `LogFeed`: follows a log source on a daemon thread. Lines wait in a bounded intake
  until the UI takes them; when the UI falls behind by more than the buffer holds, the
  oldest waiting lines are dropped (they would be evicted on arrival anyway) and
  counted, so the producer threads never block and the count stays exact.
- `read_lines`: one-shot read for `arctui logs` without --follow.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

from arctui.config.masking import Redactor
from arctui.sources.base import SourceError
from arctui.sources.docker_logs import LogRecord, LogTarget, LogWindow
from arctui.sources.log_levels import is_continuation, parse_level
from arctui.tabs.logs.buffer import DEFAULT_CAPACITY
from arctui.tabs.logs.models import Level, LogLine
from arctui.text import clean

if TYPE_CHECKING:
    from arctui.session import Session


class LogSource(Protocol):
    """What the Logs tab reads: the engine (DockerLogSource) or the demo."""

    def targets(self, services: Sequence[str] = ()) -> list[LogTarget]:
        """The containers whose logs can be read."""
        ...

    def history(
        self, services: Sequence[str] = (), window: LogWindow | None = None
    ) -> list[LogRecord]:
        """Stored lines in the window, merged in time order."""
        ...

    def follow(
        self,
        services: Sequence[str],
        window: LogWindow,
        sink: Callable[[list[LogRecord]], None],
        stop: threading.Event,
        on_error: Callable[[SourceError | None], None] | None = None,
    ) -> None:
        """Deliver the window's lines (one first call, even empty), then new ones, until `stop`."""
        ...

    def close(self) -> None:
        """End open streams."""
        ...


CHUNK = 500  # records turned into lines between two yields to the UI thread
YIELD = 0.5  # the line thread sleeps this fraction of its working time
HOLD_MAX = 0.2  # the longest the line thread waits for the UI to answer a key
# A line holding none of these (case-insensitively) cannot match the redactor's patterns
# (secret-named keys, URL passwords, bearer/basic tokens): only known values are masked.
SECRET_HINTS = ("pass", "pwd", "secret", "token", "key", "auth", "cookie", "salt",
                "private", "cred", "dsn", "cipher", "bearer", "basic", "://")  # fmt: skip


_HINTED = re.compile("|".join(map(re.escape, SECRET_HINTS)), re.IGNORECASE).search


def fast_redact(redactor: Redactor) -> Callable[[str], str]:
    """`redactor.redact`, skipping its pattern pass (~80 µs a line) on lines that cannot
    match it; the known secret values (learnt at any time) are masked on every line."""

    def redact(text: str) -> str:
        if _HINTED(text):  # one C-level search rather than a substring test per hint
            return redactor.redact(text)
        return redactor.redact_known(text)

    return redact


def source_tag(service: str, replica: int) -> str:
    """The tag shown for a line: the service, with `#N` for replicas after the first."""
    return service if replica <= 1 else f"{service}#{replica}"


class LineMaker:
    """Builds safe LogLines from records (thread-safe: one container per thread)."""

    def __init__(
        self,
        redact: Callable[[str], str] = lambda s: s,
        prefix: str = "",
        seq: Iterator[int] | None = None,
    ) -> None:
        self.redact = redact
        self.prefix = prefix  # `ENGINE/` before every tag over several engines (fleet_feed)
        # Arrival order; the makers of several engines share one count, so (ts, seq)
        # stays unique across them (the view's cache and place go by it).
        self._seq = itertools.count() if seq is None else seq
        self._last: dict[str, Level | None] = {}

    def make(self, rec: LogRecord) -> LogLine:
        """One record -> one LogLine."""
        text = clean(rec.data.decode("utf-8", errors="replace"))
        if rec.cut:
            text += f"… [line cut: {rec.cut} more bytes]"
        text = self.redact(text.replace("\n", " "))
        level = parse_level(text)
        cid = rec.target.id
        if level is None and is_continuation(text):
            level = self._last.get(cid)
        self._last[cid] = level
        t = rec.target
        return LogLine(
            seq=next(self._seq),
            ts_ns=rec.ts_ns,
            service=t.service,
            source=self.prefix + source_tag(t.service, t.replica),
            container=t.name,
            stream=rec.stream,
            level=level,
            text=text,
        )


def session_source(session: Session) -> LogSource:
    """The session's log source: the demo's simulation, or the real engine."""
    from arctui.ops.log_source import log_source

    source: LogSource = log_source(session)
    return source


def session_maker(
    session: Session, prefix: str = "", seq: Iterator[int] | None = None
) -> LineMaker:
    """A LineMaker redacting with the session's secrets (`prefix` before every tag)."""
    from arctui.ops.audit import redactor_for

    return LineMaker(fast_redact(redactor_for(session)), prefix, seq)


def read_lines(
    source: LogSource, services: Sequence[str], window: LogWindow, maker: LineMaker
) -> list[LogLine]:
    """The stored lines of the window, merged, as LogLines. Raises SourceError."""
    return [maker.make(r) for r in source.history(services, window)]


class FeedBatch(NamedTuple):
    """What one `LogFeed.take()` hands over."""

    lines: list[LogLine]
    dropped: int  # lines that overflowed the intake since the last take
    history_loaded: bool  # every stored line of the window has been handed over


class LogFeed:
    """Follows a source on a daemon thread; the consumer takes ready lines in batches."""

    def __init__(
        self,
        source: LogSource,
        services: Sequence[str],
        window: LogWindow,
        maker: LineMaker,
        capacity: int = DEFAULT_CAPACITY,
        on_ready: Callable[[], None] | None = None,
        hold: Callable[[], bool] | None = None,
    ) -> None:
        self.source = source
        self.hold = hold  # true while the UI wants the interpreter (a key being answered)
        self.services = tuple(services)
        self.window = window
        self.maker = maker
        self.capacity = capacity
        self.on_ready = on_ready
        self.error: SourceError | None = None
        self.history_loaded = False  # the window's stored lines have all arrived
        self._pending: deque[LogLine] = deque(maxlen=capacity)  # full: the oldest go
        self._raw: list[LogRecord] = []
        self._raw_ready = threading.Event()
        self._history_seen = False
        self._dropped = 0
        self._notified = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start following (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="arctui-logs", daemon=True)
            self._thread.start()
            threading.Thread(target=self._process, name="arctui-logs-lines", daemon=True).start()

    def _run(self) -> None:
        try:
            self.source.follow(self.services, self.window, self._sink, self._stop, self._failed)
        except SourceError as exc:
            self._failed(exc)
        except Exception as exc:  # a bug must not end the app: say what happened
            self._failed(SourceError(f"log follower stopped: {exc!r}"[:300]))

    def _failed(self, exc: SourceError | None) -> None:
        changed = (exc is None) != (self.error is None)
        self.error = exc
        if changed:
            self._notify()

    def _sink(self, records: list[LogRecord]) -> None:
        """Follower threads: hand raw records over (cheap; the work is done elsewhere)."""
        with self._lock:
            self._history_seen = True
            self._raw.extend(records)
            over = len(self._raw) - self.capacity
            if over > 0:  # the processor fell behind by a whole buffer: the oldest go
                del self._raw[:over]
                self._dropped += over
        self._raw_ready.set()

    def _process(self) -> None:
        """One thread turns raw records into lines, so that a flood keeps one thread
        (not one per container) competing with the UI for the interpreter."""
        while not self._stop.is_set():
            if not self._raw_ready.wait(0.5):
                continue
            with self._lock:
                self._raw_ready.clear()
                raw, self._raw = self._raw, []
                history = self._history_seen
            for i in range(0, len(raw), CHUNK):
                self._hold()
                started = time.monotonic()
                lines = [self.maker.make(r) for r in raw[i : i + CHUNK]]
                with self._lock:
                    self._dropped += max(0, len(self._pending) + len(lines) - self.capacity)
                    self._pending.extend(lines)
                # Leave the interpreter to the UI for half as long as the chunk took: in a
                # flood the screen keeps answering keys, and lines beyond what fits are
                # dropped (and counted) instead of the app falling behind.
                time.sleep(min(0.05, (time.monotonic() - started) * YIELD))
            if history and not self.history_loaded:
                with self._lock:
                    self.history_loaded = True
            self._notify()

    def _hold(self) -> None:
        """Wait while the UI is answering a key (`hold()` true), at most HOLD_MAX: the
        keypress gets the interpreter to itself, lines wait (or overflow and are counted)."""
        if self.hold is None:
            return
        deadline = time.monotonic() + HOLD_MAX
        while self.hold() and time.monotonic() < deadline and not self._stop.is_set():
            time.sleep(0.005)

    def _notify(self) -> None:
        with self._lock:
            if self._notified:
                return
            self._notified = True
        if self.on_ready is not None:
            self.on_ready()

    def take(self) -> FeedBatch:
        """Lines waiting (time-sorted), how many were dropped before they got here, and
        whether the history is complete with these lines."""
        with self._lock:
            lines, self._pending = list(self._pending), deque(maxlen=self.capacity)
            dropped, self._dropped = self._dropped, 0
            self._notified = False
            loaded = self.history_loaded
        lines.sort(key=lambda ln: ln.key)
        return FeedBatch(lines, dropped, loaded)

    def wait(self, timeout: float) -> bool:
        """Block until stopped or `timeout` passes (the CLI's polling loop); True if stopped."""
        return self._stop.wait(timeout)

    def stop(self) -> None:
        """Stop following; open streams are closed so the threads end."""
        self._stop.set()
        self.source.close()
