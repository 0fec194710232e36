"""The big-key scan: incremental SCAN with MEMORY USAGE and type-aware sizes. No Textual.

Never `KEYS *`, never a command whose cost grows with a key's size:
- `SCAN cursor [MATCH p] COUNT n` walks the keyspace in small steps;
- per batch, one pipeline of `TYPE` + `MEMORY USAGE` (default sampling: an aggregate's
  size is estimated from 5 elements, as `redis-cli --memkeys` does; `SAMPLES 0` would
  walk every element of a million-item hash and block the server);
- then one pipeline of the O(1) length command for each type (STRLEN, LLEN, HLEN,
  SCARD, ZCARD, XLEN).
So the server never does more than a few hundred microseconds of work at a time and
other clients are served between batches. Memory use here is bounded too: only the top
keys (heaps), per-type totals and a capped prefix table are kept, never the keyspace.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from arctui.sources.base import SourceError
from arctui.sources.redis_client import RedisLike
from arctui.tabs.redis.models import (
    BigKey,
    BigKeysResult,
    PrefixSummary,
    ScanProgress,
    TypeSummary,
    escape_bytes,
)

BATCH = 250  # SCAN COUNT per step: as fast as 1000 at 1M keys, shorter pipelines (benchmarks)
TOP = 100  # keys kept per ranking (by memory and by elements)
MAX_PREFIXES = 10_000  # distinct prefixes tracked before the rest counts as "other"
PREFIXES_SHOWN = 50
PROGRESS_EVERY = 0.25  # seconds between progress reports
KEY_DISPLAY_LIMIT = 256  # characters of a key shown (escaped)
NO_PREFIX = "(no prefix)"
_LENGTH = {
    "string": "STRLEN",
    "list": "LLEN",
    "hash": "HLEN",
    "set": "SCARD",
    "zset": "ZCARD",
    "stream": "XLEN",
}


def prefix_of(raw: bytes, separator: bytes = b":") -> bytes | None:
    """`session:abc:1` -> `session:`; None for a key without the separator."""
    cut = raw.find(separator)
    return raw[: cut + len(separator)] if cut > 0 else None


@dataclass
class _Totals:
    keys: int = 0
    memory: int = 0
    elements: int = 0
    biggest: BigKey | None = None


@dataclass
class _Typed:
    """A batch whose types and memory are known, waiting for its lengths."""

    keys: list[bytes]
    types: list[str]
    memories: list[Any]


@dataclass
class _State:
    by_memory: list[tuple[int, int, BigKey]] = field(default_factory=list)
    by_elements: list[tuple[int, int, BigKey]] = field(default_factory=list)
    types: dict[str, _Totals] = field(default_factory=dict)
    prefixes: dict[bytes | None, list[int]] = field(default_factory=dict)
    other_prefixes: int = 0
    seq: int = 0


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class BigKeyScan:
    """One scan of one database; `run()` blocks (call it on a worker thread)."""

    def __init__(
        self,
        source: RedisLike,
        pattern: str | None = None,
        top: int = TOP,
        batch: int = BATCH,
        pause: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.pattern = pattern or None
        self.top = max(1, top)
        self.batch = max(1, batch)
        self.pause = pause  # seconds between batches (like redis-cli -i), 0 = none
        self.clock = clock
        self.stop = threading.Event()
        self._state = _State()
        self._memory_error: str | None = None

    def run(self, on_progress: Callable[[ScanProgress], None] | None = None) -> BigKeysResult:
        """Scan until the cursor returns to 0, `stop` is set, or an error; the result.

        One round trip per batch: the lengths of the previous batch, TYPE and MEMORY
        USAGE of this one and the next SCAN step go out together, and the bookkeeping
        of the batch before runs while the server works (`while_waiting`). Raises
        SourceError only when nothing could be scanned (server unreachable at the
        start); an error later ends the scan with a partial result naming it.
        """
        started = self.clock()
        dbsize = self.source.dbsize()
        cursor, scanned, error = 0, 0, None
        last_report = started
        complete = False
        keys: list[bytes] = []  # scanned, not yet typed
        typed: _Typed | None = None  # typed, lengths not yet read
        ready: list[tuple[bytes, str, Any, Any]] = []  # complete, not yet counted
        first = True
        while True:
            more = first or (cursor != 0 and not self.stop.is_set())
            if not (more or keys or typed):
                break
            commands, n_lengths = self._commands(typed, keys)
            if more:
                commands.append(self._scan_command(cursor))
            batch = ready

            def count(batch: list[tuple[bytes, str, Any, Any]] = batch) -> None:
                for item in batch:
                    self._add(*item)

            try:
                replies = self.source.pipeline(commands, "SCAN/TYPE/MEMORY USAGE", count)
                ready = self._lengths(typed, replies[:n_lengths])
                typed = self._typed(keys, replies[n_lengths : len(replies) - more])
                keys = []
                if more:
                    cursor, keys = self._scan_reply(replies[-1])
                    scanned += len(keys)
                    complete = cursor == 0
                    first = False
            except SourceError as exc:
                error = exc.reason
                break
            now = self.clock()
            if on_progress is not None and now - last_report >= PROGRESS_EVERY:
                last_report = now
                on_progress(ScanProgress(scanned, dbsize, now - started))
            if self.pause:
                self.stop.wait(self.pause)
        for item in ready:
            self._add(*item)
        elapsed = self.clock() - started
        if on_progress is not None:
            on_progress(ScanProgress(scanned, dbsize, elapsed, done=True))
        return self._result(scanned, dbsize, elapsed, complete and error is None, error)

    def _scan_command(self, cursor: int) -> tuple[Any, ...]:
        if self.pattern:
            return ("SCAN", cursor, "MATCH", self.pattern, "COUNT", self.batch)
        return ("SCAN", cursor, "COUNT", self.batch)

    def _scan_reply(self, reply: Any) -> tuple[int, list[bytes]]:
        if isinstance(reply, Exception):
            raise SourceError(f"Redis at {self.source.label}: SCAN failed: {_text(reply)[:200]}")
        return int(reply[0]), list(reply[1])

    def _commands(
        self, typed: _Typed | None, keys: list[bytes]
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Length commands for the typed batch, then TYPE (+ MEMORY USAGE) for `keys`."""
        commands: list[tuple[Any, ...]] = []
        if typed is not None:
            for key, kind in zip(typed.keys, typed.types, strict=True):
                command = _LENGTH.get(kind)
                if command:
                    commands.append((command, key))
        n_lengths = len(commands)
        commands += [("TYPE", k) for k in keys]
        if self._memory_error is None:
            commands += [("MEMORY", "USAGE", k) for k in keys]
        return commands, n_lengths

    def _typed(self, keys: list[bytes], replies: list[Any]) -> _Typed | None:
        """TYPE and MEMORY USAGE replies for `keys`."""
        if not keys:
            return None
        failed = next((t for t in replies[: len(keys)] if isinstance(t, Exception)), None)
        if failed is not None:
            raise SourceError(f"Redis at {self.source.label}: TYPE failed: {_text(failed)[:200]}")
        types = [_text(t) for t in replies[: len(keys)]]
        memories: list[Any] = replies[len(keys) :] or [None] * len(keys)
        for i, memory in enumerate(memories):
            if isinstance(memory, Exception):
                if self._memory_error is None:
                    self._memory_error = f"MEMORY USAGE failed: {_text(memory)[:200]}"
                memories[i] = None
        return _Typed(keys, types, memories)

    def _lengths(
        self, typed: _Typed | None, replies: list[Any]
    ) -> list[tuple[bytes, str, Any, Any]]:
        """The typed batch with its lengths: (key, type, memory, elements) per live key."""
        if typed is None:
            return []
        out = []
        answers = iter(replies)
        for key, kind, memory in zip(typed.keys, typed.types, typed.memories, strict=True):
            if kind == "none":
                continue  # deleted or expired between SCAN and TYPE
            length = next(answers) if kind in _LENGTH else None
            out.append(
                (
                    key,
                    kind,
                    memory if isinstance(memory, int) else None,
                    length if isinstance(length, int) else None,
                )
            )
        return out

    def _add(self, raw: bytes, kind: str, memory: int | None, elements: int | None) -> None:
        # Called once per key (a million times in a big scan): kept flat on purpose.
        s = self._state
        s.seq += 1
        mem = memory or 0
        count = elements or 0
        totals = s.types.get(kind)
        if totals is None:
            totals = s.types[kind] = _Totals()
        totals.keys += 1
        totals.memory += mem
        totals.elements += count
        big: BigKey | None = None
        biggest = totals.biggest
        if biggest is None or (mem, count) > (biggest.memory or 0, biggest.elements or 0):
            big = totals.biggest = self._key(raw, kind, memory, elements)
        top = self.top
        heap = s.by_memory
        if len(heap) < top or mem > heap[0][0]:  # the usual key stops at this test
            big = self._rank(heap, mem, big or self._key(raw, kind, memory, elements))
        heap = s.by_elements
        if len(heap) < top or count > heap[0][0]:
            big = self._rank(heap, count, big or self._key(raw, kind, memory, elements))
        cut = raw.find(b":")
        prefix = raw[: cut + 1] if cut > 0 else None
        entry = s.prefixes.get(prefix)
        if entry is None:
            if len(s.prefixes) >= MAX_PREFIXES:
                s.other_prefixes += 1
                return
            entry = s.prefixes[prefix] = [0, 0]
        entry[0] += 1
        entry[1] += mem

    @staticmethod
    def _key(raw: bytes, kind: str, memory: int | None, elements: int | None) -> BigKey:
        return BigKey(escape_bytes(raw, KEY_DISPLAY_LIMIT), raw, kind, memory, elements)

    def _rank(self, heap: list[tuple[int, int, BigKey]], rank: int, big: BigKey) -> BigKey:
        """Keep `big` among the top keys of one ranking (a min-heap of `top` entries)."""
        entry = (rank, -self._state.seq, big)
        if len(heap) < self.top:
            heapq.heappush(heap, entry)
        else:
            heapq.heapreplace(heap, entry)
        return big

    def _result(
        self, scanned: int, dbsize: int, elapsed: float, complete: bool, error: str | None
    ) -> BigKeysResult:
        s = self._state
        keys: dict[int, BigKey] = {}
        for _, _, big in [*s.by_memory, *s.by_elements]:
            keys[id(big)] = big
        types = tuple(
            TypeSummary(kind, t.keys, t.memory, t.elements, t.biggest)
            for kind, t in sorted(s.types.items(), key=lambda kv: -kv[1].memory)
        )
        ranked = sorted(s.prefixes.items(), key=lambda kv: (-kv[1][1], -kv[1][0]))
        prefixes = tuple(
            PrefixSummary(NO_PREFIX if prefix is None else escape_bytes(prefix, 64) + "*", n, mem)
            for prefix, (n, mem) in ranked[:PREFIXES_SHOWN]
        )
        return BigKeysResult(
            target=self.source.label,
            pattern=self.pattern,
            scanned=scanned,
            dbsize=dbsize,
            elapsed=elapsed,
            complete=complete,
            stopped=self.stop.is_set() and not complete,
            keys=tuple(keys.values()),
            types=types,
            prefixes=prefixes,
            other_prefixes=s.other_prefixes,
            memory_error=self._memory_error,
            error=error,
        )
