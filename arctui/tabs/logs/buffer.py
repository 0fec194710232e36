"""A bounded, time-ordered buffer of log lines with an exact count of what it dropped.

Lines arrive in batches from several containers. Each batch is sorted and merged in:
the fast path appends; a line older than the newest one held (another container's
stream was a little behind) is inserted at its place near the end. When the buffer
holds more than `capacity` lines or `max_chars` characters, the oldest go, and are
counted in `dropped`, so `len(buffer) + dropped == received` at every moment.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter

from arctui.tabs.logs.models import LogLine

DEFAULT_CAPACITY = 100_000
DEFAULT_MAX_CHARS = 64 * 1024 * 1024


# The sort key (time order, then arrival) as a C-level getter: it runs for every line.
line_key = attrgetter("ts_ns", "seq")


class KeyView:
    """The sort keys of a sequence of lines, for bisect."""

    def __init__(self, lines: Sequence[LogLine]) -> None:
        self.lines = lines

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, i: int) -> tuple[int, int]:
        return line_key(self.lines[i])  # type: ignore[no-any-return]


def tail_start(lines: Sequence[LogLine], key: tuple[int, int]) -> int:
    """Index of the first line whose key is greater than `key`, searched from the end.

    Late lines belong near the end: galloping back (1, 2, 4 ... lines) touches only the
    tail, where a deque's items are cheap to reach, then bisects that stretch.
    """
    n, step, hi = len(lines), 1, len(lines)
    while step <= n and line_key(lines[n - step]) > key:
        hi = n - step
        step *= 2
    return bisect.bisect_right(KeyView(lines), key, max(0, n - step), hi)


class LogBuffer:
    """Time-ordered lines, oldest evicted first; `dropped` counts every eviction."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, max_chars: int = DEFAULT_MAX_CHARS):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.max_chars = max_chars
        self.lines: deque[LogLine] = deque()
        self.chars = 0
        self.received = 0
        self.dropped = 0
        self.unmoved = 0  # after add(): lines at the front that it left where they were

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self) -> Iterator[LogLine]:
        return iter(self.lines)

    def __getitem__(self, i: int) -> LogLine:
        return self.lines[i]

    def add(
        self, batch: Iterable[LogLine], on_insert: Callable[[LogLine, bool], None] | None = None
    ) -> list[LogLine]:
        """Merge a batch in; returns the lines evicted to make room (oldest first).

        `on_insert(line, appended)` hears each kept line; `appended` is False for a line
        inserted before the end (late arrival). `unmoved` tells how many lines at the front
        it left in place, so a view measures only the lines after them again.
        """
        lines = self.lines
        new = sorted(batch, key=line_key)
        self.received += len(new)
        self.chars += sum(len(line.text) for line in new)
        last = line_key(lines[-1]) if lines else None
        start = len(lines)
        if last is None or (new and line_key(new[0]) >= last):
            lines.extend(new)  # the usual case: every line is newer than what is held
            if on_insert is not None:
                for line in new:
                    on_insert(line, True)
        elif new:
            # Some lines are late: merge the batch with the part of the tail it overlaps.
            start = tail_start(lines, line_key(new[0]))
            tail = [lines.pop() for _ in range(len(lines) - start)]
            tail.reverse()
            lines.extend(sorted(tail + new, key=line_key))  # two sorted runs: linear
            if on_insert is not None:
                for line in new:
                    on_insert(line, line_key(line) >= last)
        evicted: list[LogLine] = []
        while lines and (len(lines) > self.capacity or self.chars > self.max_chars):
            old = lines.popleft()
            self.chars -= len(old.text)
            evicted.append(old)
        self.dropped += len(evicted)
        self.unmoved = max(0, start - len(evicted))
        return evicted

    def discard_incoming(self, count: int) -> None:
        """Lines that never got in (the intake overflowed): received and dropped at once."""
        self.received += count
        self.dropped += count

    def clear(self) -> None:
        """Forget the lines (the operator cleared the view); counters keep counting."""
        self.dropped += len(self.lines)
        self.lines.clear()
        self.chars = 0


class SortedLines:
    """A time-ordered subset of a LogBuffer's lines (the lines a filter shows)."""

    def __init__(self, lines: Sequence[LogLine] = ()) -> None:
        self.lines: deque[LogLine] = deque(lines)

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, i: int) -> LogLine:
        return self.lines[i]

    def __iter__(self) -> Iterator[LogLine]:
        return iter(self.lines)

    def add(self, line: LogLine, appended: bool) -> int:
        """Insert `line` at its place; returns its index."""
        lines = self.lines
        if appended or not lines or line_key(line) >= line_key(lines[-1]):
            lines.append(line)
            return len(lines) - 1
        pos = tail_start(lines, line_key(line))
        lines.insert(pos, line)
        return pos

    def evict(self, gone: Sequence[LogLine]) -> int:
        """Remove the lines evicted from the buffer (they are the oldest); returns how many."""
        lines, n = self.lines, 0
        if not gone:
            return 0
        last = gone[-1].key
        while lines and lines[0].key <= last:
            lines.popleft()
            n += 1
        return n

    def index_at_or_after(self, key: tuple[int, int]) -> int:
        """Index of the first line at or after `key` (to keep the view's place)."""
        return bisect.bisect_left(KeyView(self.lines), key)
