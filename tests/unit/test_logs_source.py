"""The Engine API log stream: frames, split lines, timestamps, resuming without repeats."""

from __future__ import annotations

import struct
import threading
import time
from typing import Any

from arctui.sources.base import SourceError
from arctui.sources.docker_logs import (
    RESUME_MARGIN_NS,
    Cursor,
    DockerLogSource,
    FrameDecoder,
    LineAssembler,
    LogRecord,
    LogWindow,
    parse_ts,
    since_param,
)

T0 = 1_796_134_157_000_000_000  # 2026-12-01T14:09:17Z


def frame(kind: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", kind, len(payload)) + payload


def stamped(ns: int, text: str, end: str = "\n") -> bytes:
    s, n = divmod(ns, 1_000_000_000)
    head = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
    return f"{head}.{n:09d}Z {text}{end}".encode()


def test_parse_ts_nanoseconds_offsets_and_trimmed_zeros() -> None:
    assert parse_ts(b"2026-12-01T14:09:17.000000001Z") == T0 + 1
    assert parse_ts(b"2026-12-01T14:09:17.5Z") == T0 + 500_000_000
    assert parse_ts(b"2026-12-01T14:09:17Z") == T0
    assert parse_ts(b"2026-12-01T15:09:17.25+01:00") == T0 + 250_000_000
    assert since_param(T0 + 42) == "1796134157.000000042"


def test_frames_split_anywhere_are_reassembled_with_their_stream() -> None:
    data = frame(1, b"out\n") + frame(2, b"err\n") + frame(1, b"last\n")
    dec = FrameDecoder()
    got = []
    for i in range(0, len(data), 3):  # three bytes at a time
        got.extend(dec.feed(data[i : i + 3]))
    assert got == [("stdout", b"out\n"), ("stderr", b"err\n"), ("stdout", b"last\n")]


def test_tty_stream_is_split_at_newlines() -> None:
    dec = FrameDecoder(tty=True)
    assert list(dec.feed(b"a\nb")) == [("stdout", b"a\n")]
    assert list(dec.feed(b"c\n")) == [("stdout", b"bc\n")]


def test_partial_frames_join_and_a_long_line_is_cut_and_counted() -> None:
    asm = LineAssembler(limit=10)
    assert asm.add("stdout", stamped(T0, "x" * 8, end="")) is None
    assert asm.add("stderr", stamped(T0 + 5, "other")) == ("stderr", T0 + 5, b"other", 0)
    assert asm.add("stdout", stamped(T0, "y" * 8, end="")) is None
    assert asm.add("stdout", stamped(T0, "zz")) == ("stdout", T0, b"x" * 8 + b"yy", 8)


def test_payload_without_timestamp_is_kept_whole() -> None:
    assert LineAssembler().add("stdout", b"no stamp here\n") == ("stdout", 0, b"no stamp here", 0)


def test_cursor_skips_what_was_delivered_before_the_resume_point() -> None:
    cur = Cursor()
    assert cur.accept("stdout", T0 + 1, b"a", 0) and cur.accept("stderr", T0 + 2, b"b", 0)
    assert cur.accept("stdout", T0 + 2, b"c", 0)
    # Resubscribed a margin before the cursor: the daemon repeats these lines.
    assert cur.ts_ns == T0 + 2 - RESUME_MARGIN_NS
    for stream, ts, data in (("stdout", T0 + 1, b"a"), ("stderr", T0 + 2, b"b"),
                             ("stdout", T0 + 2, b"c")):  # fmt: skip
        assert not cur.accept(stream, ts, data, 0)
    assert cur.accept("stdout", T0 + 3, b"d", 0)
    assert cur.ts_ns == T0 + 2 - RESUME_MARGIN_NS  # stderr is the stream furthest behind


def test_cursor_keeps_a_line_the_log_wrote_after_a_later_line_of_the_other_stream() -> None:
    # The daemon's log order: stderr tick 11 (stamped T0 + 11), then stdout tick 10
    # (stamped T0 + 10). Both are new lines.
    cur = Cursor()
    assert cur.accept("stdout", T0 + 9, b"tick 9", 0)
    assert cur.accept("stderr", T0 + 11, b"tick 11", 0)
    assert cur.accept("stdout", T0 + 10, b"tick 10", 0)
    assert not cur.accept("stdout", T0 + 10, b"tick 10", 0)


# --- following, against a scripted engine ------------------------------------------------


class FakeStream:
    """An EngineStream: scripted chunks, then (optionally) quiet until closed."""

    def __init__(self, chunks: list[bytes], block: threading.Event | None = None) -> None:
        self._chunks, self.block = chunks, block
        self.closed = False

    def chunks(self):
        yield from self._chunks
        if self.block is not None:
            self.block.wait(10)

    def lines(self):
        if self.block is not None:
            self.block.wait(10)
        return iter(())

    def close(self) -> None:
        self.closed = True
        if self.block is not None:
            self.block.set()


class ScriptedEngine:
    """An EngineClient with one container; each follow request gets the next script
    entry; a daemon outage after the first stream."""

    endpoint = "unix:///fake.sock"

    def __init__(self, follows: list[list[tuple[int, str, str]]]) -> None:
        self.follows = follows
        self.calls: list[dict[str, Any]] = []
        self.down_once = True
        self.parked = threading.Event()
        self.event_streams = 0

    def containers(self, **kw: Any) -> list[dict[str, Any]]:
        labels = {"com.docker.compose.service": "api", "com.docker.compose.container-number": "1"}
        return [{"Id": "c1", "Names": ["/p-api-1"], "Labels": labels, "State": "running"}]

    def inspect_container(self, cid: str) -> dict[str, Any]:
        follows_done = sum(1 for c in self.calls if c["follow"])
        if follows_done == 1 and self.down_once:  # the daemon restarts after the 1st stream
            self.down_once = False
            raise SourceError("no Docker engine answers at unix:///fake.sock")
        return {"Config": {"Tty": False}, "State": {"Running": True}}

    def stream(self, path: str, params: dict[str, Any] | None = None) -> FakeStream:
        assert path == "/events"
        self.event_streams += 1
        return FakeStream([], self.parked)

    def logs(self, cid: str, params: dict[str, Any]) -> FakeStream:
        self.calls.append(dict(params))
        if not params["follow"]:
            return FakeStream([frame(1, stamped(T0 + 1, "history"))])
        script = self.follows.pop(0) if self.follows else None
        if script is None:
            return FakeStream([], self.parked)  # quiet until stopped
        return FakeStream([frame(k, stamped(T0 + ns, text)) for ns, k, text in script])

    def close(self) -> None:
        pass


def test_follow_resumes_after_a_daemon_restart_without_duplicates() -> None:
    engine = ScriptedEngine(
        [
            [(1, 1, "history"), (2, 1, "a"), (3, 2, "b")],  # stream ends: daemon restarts
            [(2, 1, "a"), (3, 2, "b"), (4, 1, "c")],  # since= repeats a and b
        ]
    )
    src = DockerLogSource("p", rescan=0.2, engine=engine)  # type: ignore[arg-type]
    got: list[LogRecord] = []
    stop = threading.Event()
    t = threading.Thread(target=src.follow, args=((), LogWindow(tail=10), got.extend, stop))
    t.start()
    deadline = time.monotonic() + 10
    while len(got) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    stop.set()
    engine.parked.set()
    t.join(10)
    assert [(r.data, r.stream) for r in got] == [
        (b"history", "stdout"),
        (b"a", "stdout"),
        (b"b", "stderr"),
        (b"c", "stdout"),
    ]
    follows = [c for c in engine.calls if c["follow"]]
    # Resumes a margin before the history's end, then before the stream furthest behind
    # (stdout's "a" at T0 + 2); the repeats are skipped.
    assert follows[0]["since"] == since_param(T0 + 1 - RESUME_MARGIN_NS)
    assert follows[1]["since"] == since_param(T0 + 2 - RESUME_MARGIN_NS)
    assert follows[1]["tail"] == "all"


class CrashLoopEngine(ScriptedEngine):
    """A container in a restart policy's back-off: Running and Restarting at once, and
    every follow stream ends at once, repeating the last line."""

    def __init__(self) -> None:
        super().__init__([])
        self.restarting = True

    def inspect_container(self, cid: str) -> dict[str, Any]:
        return {"Config": {"Tty": False}, "State": {"Running": True, "Restarting": self.restarting}}

    def logs(self, cid: str, params: dict[str, Any]) -> FakeStream:
        self.calls.append(dict(params))
        if not params["follow"]:
            return FakeStream([frame(1, stamped(T0 + 1, "fatal"))])
        if self.restarting:
            return FakeStream([frame(1, stamped(T0 + 1, "fatal"))])
        return FakeStream([frame(1, stamped(T0 + 2, "booted"))], self.parked)


def test_a_crash_looping_container_is_not_followed_again_until_it_runs() -> None:
    engine = CrashLoopEngine()
    src = DockerLogSource("p", rescan=0.3, engine=engine)  # type: ignore[arg-type]
    got: list[LogRecord] = []
    stop = threading.Event()
    t = threading.Thread(target=src.follow, args=((), LogWindow(tail=10), got.extend, stop))
    t.start()
    try:
        time.sleep(1.5)
        # One follow per wake-up at most (the rescan, 0.3 s): the old loop reopened the
        # stream as fast as the engine answered, hundreds of times in this window.
        assert len([c for c in engine.calls if c["follow"]]) <= 8
        engine.restarting = False  # the container runs again: its new lines arrive
        deadline = time.monotonic() + 10
        while not any(r.data == b"booted" for r in got) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r.data for r in got] == [b"fatal", b"booted"]
    finally:
        stop.set()
        engine.parked.set()
        t.join(10)
