"""The bounded, time-ordered buffer and its dropped count."""

from __future__ import annotations

import itertools

from arctui.tabs.logs.buffer import LogBuffer, SortedLines
from arctui.tabs.logs.models import LogLine

_seq = itertools.count()


def ln(ts: int, text: str = "x") -> LogLine:
    return LogLine(next(_seq), ts, "s", "s", "c", "stdout", None, text)


def test_merges_batches_in_time_order_including_late_lines() -> None:
    buf = LogBuffer(capacity=100)
    buf.add([ln(5), ln(1), ln(3)])
    late: list[tuple[int, bool]] = []
    buf.add([ln(2), ln(9)], on_insert=lambda line, appended: late.append((line.ts_ns, appended)))
    assert [x.ts_ns for x in buf] == [1, 2, 3, 5, 9]
    assert late == [(2, False), (9, True)]


def test_equal_stamps_keep_arrival_order() -> None:
    buf = LogBuffer()
    a, b = ln(7, "a"), ln(7, "b")
    buf.add([b, a])  # sorted by (ts, seq): a arrived first
    assert [x.text for x in buf] == ["a", "b"]


def test_capacity_evicts_oldest_and_counts_exactly() -> None:
    buf = LogBuffer(capacity=3)
    for i in range(10):
        buf.add([ln(i)])
    assert [x.ts_ns for x in buf] == [7, 8, 9]
    assert buf.dropped == 7 and buf.received == 10 and len(buf) + buf.dropped == buf.received
    buf.discard_incoming(5)
    assert len(buf) + buf.dropped == buf.received == 15


def test_char_budget_evicts_too() -> None:
    buf = LogBuffer(capacity=100, max_chars=10)
    evicted = buf.add([ln(1, "aaaa"), ln(2, "bbbb"), ln(3, "cccc")])
    assert [x.text for x in evicted] == ["aaaa"] and buf.chars == 8 and buf.dropped == 1


def test_sorted_subset_follows_evictions_and_late_inserts() -> None:
    buf, shown = LogBuffer(capacity=4), SortedLines()
    buf.add([ln(i, "m" if i % 2 else "-") for i in range(4)])
    shown.lines.extend(x for x in buf if x.text == "m")  # ts 1, 3
    late = ln(2, "m")
    gone = buf.add([late, ln(10, "m")], on_insert=lambda x, app: shown.add(x, app))
    assert [x.ts_ns for x in gone] == [0, 1]
    assert shown.evict(gone) == 1
    assert [x.ts_ns for x in shown] == [2, 3, 10]
    assert shown.index_at_or_after((3, 0)) == 1


def test_clear_counts_the_cleared_lines_as_dropped() -> None:
    buf = LogBuffer()
    buf.add([ln(1), ln(2)])
    buf.clear()
    assert len(buf) == 0 and buf.dropped == 2 == buf.received
