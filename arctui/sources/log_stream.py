"""The Engine API's log stream, parsed (pure): frames, split lines, stamps, the resume cursor.

- Non-TTY containers multiplex stdout/stderr behind 8-byte headers (`FrameDecoder`).
- The daemon splits lines over 16 KiB into partial frames; `LineAssembler` joins them
  and keeps at most `LINE_LIMIT` bytes (the rest only counted), so a 1 MB line costs
  16 KiB of memory.
- `Cursor` says where a resubscription starts (`since=`) and which lines it repeats.
No I/O here: `sources/docker_logs.py` reads the stream. No Textual.
"""

from __future__ import annotations

import calendar
import struct
import time
from collections.abc import Iterator

from arctui.text import MAX_LINE

LINE_LIMIT = MAX_LINE  # bytes kept of one line; the rest is counted in LogRecord.cut
STDOUT, STDERR = "stdout", "stderr"
_STREAMS = {0: STDOUT, 1: STDOUT, 2: STDERR}

_SECONDS_CACHE: dict[bytes, int] = {}


def parse_ts(stamp: bytes) -> int:
    """RFC 3339 (`2026-12-01T14:07:50.864112976Z`, or with an offset) -> unix ns."""
    head = stamp[:19]
    seconds = _SECONDS_CACHE.get(head)
    if seconds is None:
        seconds = calendar.timegm(time.strptime(head.decode("ascii"), "%Y-%m-%dT%H:%M:%S"))
        if len(_SECONDS_CACHE) > 4096:
            _SECONDS_CACHE.clear()
        _SECONDS_CACHE[head] = seconds
    rest = stamp[19:]
    nanos = 0
    if rest[:1] == b".":
        digits = bytearray()
        for b in rest[1:]:
            if not 48 <= b <= 57:
                break
            digits.append(b)
        rest = rest[1 + len(digits) :]
        nanos = int((bytes(digits) + b"000000000")[:9])
    if rest[:1] in (b"+", b"-") and len(rest) >= 6:
        offset = int(rest[1:3]) * 3600 + int(rest[4:6]) * 60
        seconds += -offset if rest[:1] == b"+" else offset
    return seconds * 1_000_000_000 + nanos


def since_param(ns: int) -> str:
    """The Engine API's `since` value with full nanosecond precision."""
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"


class FrameDecoder:
    """Splits the logs endpoint's byte stream into (stream, payload) frames.

    Non-TTY containers multiplex stdout/stderr behind 8-byte headers; TTY containers
    send raw bytes (everything is stdout), split here at newlines.
    """

    def __init__(self, tty: bool = False) -> None:
        self.tty = tty
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> Iterator[tuple[str, bytes]]:
        """The complete frames that `chunk` finishes."""
        buf = self._buf
        buf += chunk
        if self.tty:
            end = buf.rfind(b"\n")
            if end >= 0:
                for line in bytes(buf[: end + 1]).splitlines(keepends=True):
                    yield STDOUT, line
                del buf[: end + 1]
            return
        pos = 0
        while len(buf) - pos >= 8:
            kind, size = struct.unpack_from(">BxxxL", buf, pos)
            if len(buf) - pos - 8 < size:
                break
            yield _STREAMS.get(kind, STDOUT), bytes(buf[pos + 8 : pos + 8 + size])
            pos += 8 + size
        if pos:
            del buf[:pos]


class LineAssembler:
    """Joins the daemon's partial frames into lines, keeping at most `limit` bytes each."""

    def __init__(self, limit: int = LINE_LIMIT) -> None:
        self.limit = limit
        self._partial: dict[str, tuple[int, bytearray, int]] = {}

    def add(self, stream: str, payload: bytes) -> tuple[str, int, bytes, int] | None:
        """A finished (stream, ts_ns, data, cut), or None while a line is still partial."""
        stamp, _, data = payload.partition(b" ")
        try:
            ts = parse_ts(stamp)
        except (ValueError, UnicodeDecodeError):  # no timestamp: keep the text whole
            ts, data = 0, payload
        done = data.endswith(b"\n")
        if done:
            data = data[:-1]
        pending = self._partial.pop(stream, None)
        if pending is not None:
            ts, buf, cut = pending
        else:
            buf, cut = bytearray(), 0
        room = self.limit - len(buf)
        if len(data) > room:
            buf += data[: max(room, 0)]
            cut += len(data) - max(room, 0)
        else:
            buf += data
        if not done:
            self._partial[stream] = (ts, buf, cut)
            return None
        return stream, ts, bytes(buf), cut


# How far before the cursor a resubscription starts (`since=`): the lines in between are
# read again and skipped by the cursor. It covers the small disorder between streams below.
RESUME_MARGIN_NS = 1_000_000_000


class Cursor:
    """Where one container's delivered lines end, per stream: resubscribing from it
    repeats nothing and loses nothing.

    Per stream, because the daemon stamps stdout and stderr lines as it reads each pipe
    but writes them to its log in the order it handles them: a stderr line can come
    before the stdout line stamped just before it. One cursor over both streams dropped
    that stdout line as already seen. Within one stream stamps only grow (the parts of a
    split line share one stamp and arrive joined), so a line at or before the stream's
    last stamp was delivered already.
    """

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    @property
    def ts_ns(self) -> int | None:
        """Where to resubscribe: a margin before the stream that is furthest behind."""
        if not self._last:
            return None
        return max(0, min(self._last.values()) - RESUME_MARGIN_NS)

    def accept(self, stream: str, ts: int, data: bytes, cut: int) -> bool:
        """True for a line not delivered yet (and records it)."""
        if ts == 0:
            return True  # no stamp (not asked for): nothing to compare
        last = self._last.get(stream)
        if last is not None and ts <= last:
            return False
        self._last[stream] = ts
        return True
