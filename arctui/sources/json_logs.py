"""Container logs read straight from the engine's json-file log files (arctui on the host).

The json-file driver appends one JSON object a line (`{"log": "...\\n", "stream":
"stdout", "time": "..."}`) to the file `inspect` names as `LogPath`; a line over 16 KiB
is split over several objects, the last one ending in a newline; rotation (`max-size`)
renames the file to `.1` and starts a new one. Reading the new bytes at sample time costs
the engine nothing, where following through the API keeps a stream (and a file watcher)
open in dockerd for every container. `LogFiles` keeps each file open, so the end of a
rotated (or compressed, or removed) file is still read. No Textual, no policy: the
caller decides when this applies (a local engine, the json-file driver, a readable file).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from arctui.sources.docker_logs import LogRecord, LogTarget
from arctui.sources.log_stream import LINE_LIMIT, STDERR, STDOUT, parse_ts

READ_MAX = 8 << 20  # bytes read from one file per call; the rest waits for the next call
ROTATED_MAX = 20  # rotated files looked through (max-file)


class NotReadable(Exception):
    """The container's log cannot be read from a file here (the reason is the message)."""


def log_file(inspect: dict) -> str:
    """The json-file path of an `inspect` answer. Raises NotReadable."""
    driver = str(((inspect.get("HostConfig") or {}).get("LogConfig") or {}).get("Type", ""))
    if driver != "json-file":
        raise NotReadable(f"log driver {driver or 'unknown'}")
    path = str(inspect.get("LogPath") or "")
    if not path:
        raise NotReadable("no log path")
    if not os.access(path, os.R_OK):
        raise NotReadable(f"{path} cannot be read here")
    return path


@dataclass
class _Open:
    target: LogTarget
    path: str
    fh: BinaryIO
    since_ns: int  # lines stamped before this are skipped (0: none)
    tail: bytes = b""  # an object not yet complete (the engine is writing it)
    partial: dict[str, tuple[int, bytearray, int]] = field(default_factory=dict)


class LogFiles:
    """The new lines of some containers' json-file logs, read on demand."""

    def __init__(self) -> None:
        self._open: dict[str, _Open] = {}

    def __contains__(self, cid: object) -> bool:
        return cid in self._open

    def ids(self) -> set[str]:
        """The containers being read."""
        return set(self._open)

    def add(self, target: LogTarget, path: str, at_end: bool, since_ns: int = 0) -> None:
        """Read `target`'s file from its end (lines from now on) or from its start (lines
        stamped `since_ns` or later). Raises NotReadable."""
        try:
            fh = open(path, "rb")  # noqa: SIM115 - kept open across calls on purpose
        except OSError as exc:
            raise NotReadable(f"{path}: {exc.strerror or exc}") from exc
        if at_end:
            fh.seek(0, os.SEEK_END)
        self.remove(target.id)
        self._open[target.id] = _Open(target, path, fh, 0 if at_end else since_ns)

    def remove(self, cid: str) -> None:
        """Stop reading one container (its file is closed)."""
        f = self._open.pop(cid, None)
        if f is not None:
            f.fh.close()

    def keep(self, cids: Iterable[str]) -> None:
        """Stop reading every container not in `cids` (removed from the project)."""
        for cid in self.ids() - set(cids):
            self.remove(cid)

    def read(self) -> list[LogRecord]:
        """Every complete line written since the last call, per container in file order."""
        out: list[LogRecord] = []
        for f in list(self._open.values()):
            out += self._read_one(f)
        return out

    def _read_one(self, f: _Open) -> list[LogRecord]:
        try:
            st = os.stat(f.path)
        except OSError:
            st = None  # removed (the container is going): the open file is read out
        out = self._parse(f, f.fh.read(READ_MAX))
        if st is None:
            return out
        own = os.fstat(f.fh.fileno())
        if (st.st_ino, st.st_dev) != (own.st_ino, own.st_dev):
            # Rotated: the old file was read to its end above (the engine writes only
            # to the new one once it exists); the new one is read from its start.
            out += self._parse(f, f.fh.read(READ_MAX))
            # More than one rotation since the last call: the files rotated after ours
            # (`.k-1` down to `.1`) are read whole (a compressed one cannot be: lost).
            for newer in self._rotated_after(f.path, own):
                with open(newer, "rb") as fh_rotated:
                    f.tail = b""
                    out += self._parse(f, fh_rotated.read(READ_MAX))
            try:
                fh = open(f.path, "rb")  # noqa: SIM115
            except OSError:
                return out
            f.fh.close()
            f.fh, f.tail = fh, b""
            out += self._parse(f, fh.read(READ_MAX))
        elif st.st_size < f.fh.tell():  # truncated in place (copytruncate)
            f.fh.seek(0)
            f.tail = b""
            out += self._parse(f, f.fh.read(READ_MAX))
        return out

    @staticmethod
    def _rotated_after(path: str, own: os.stat_result) -> list[str]:
        """The rotated files newer than the open one (oldest first); none if it is gone."""
        found: list[str] = []
        for k in range(1, ROTATED_MAX + 1):
            try:
                st = os.stat(f"{path}.{k}")
            except OSError:
                return []
            if (st.st_ino, st.st_dev) == (own.st_ino, own.st_dev):
                return found[::-1]
            found.append(f"{path}.{k}")
        return []

    def _parse(self, f: _Open, data: bytes) -> list[LogRecord]:
        if not data:
            return []
        data = f.tail + data
        end = data.rfind(b"\n")
        if end < 0:
            f.tail = data[-LINE_LIMIT * 8 :]  # an object is at most ~16 KiB, escaped
            return []
        f.tail = data[end + 1 :]
        out: list[LogRecord] = []
        for raw in data[:end].split(b"\n"):
            try:
                obj = json.loads(raw)
                text, stream, stamp = obj["log"], obj.get("stream", STDOUT), obj.get("time")
            except (ValueError, KeyError, TypeError):
                continue  # not an object of this format (a torn write): skipped
            stream = STDERR if stream == STDERR else STDOUT
            try:
                ts = parse_ts(stamp.encode("ascii")) if isinstance(stamp, str) else 0
            except (ValueError, UnicodeError):
                ts = 0
            line = self._line(f, stream, ts, str(text).encode("utf-8", "replace"))
            if line is not None and (not f.since_ns or line.ts_ns >= f.since_ns):
                out.append(line)
        return out

    @staticmethod
    def _line(f: _Open, stream: str, ts: int, data: bytes) -> LogRecord | None:
        done = data.endswith(b"\n")
        if done:
            data = data[:-1]
        pending = f.partial.pop(stream, None)
        if pending is None and done and len(data) <= LINE_LIMIT:
            return LogRecord(f.target, stream, ts, data)  # the common case: one object
        first, buf, cut = pending if pending is not None else (ts, bytearray(), 0)
        room = max(LINE_LIMIT - len(buf), 0)
        buf += data[:room]
        cut += max(len(data) - room, 0)
        if not done:
            f.partial[stream] = (first, buf, cut)
            return None
        return LogRecord(f.target, stream, first, bytes(buf), cut)

    def close(self) -> None:
        """Close every file."""
        for cid in self.ids():
            self.remove(cid)
