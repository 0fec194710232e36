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


def test_unmoved_counts_the_front_lines_an_add_left_in_place() -> None:
    # The view re-measures only the lines after these (issue 18.1).
    buf = LogBuffer(capacity=8)
    before = buf.add([ln(t) for t in (10, 20, 30, 40, 50)])
    assert before == [] and buf.unmoved == 0
    buf.add([ln(60), ln(70)])
    assert buf.unmoved == 5  # appended: everything held stayed
    old = list(buf)
    gone = buf.add([ln(35), ln(80)])  # late: 40 onwards moved; 10 evicted
    assert [x.ts_ns for x in gone] == [10]
    assert buf.unmoved == 2 and list(buf)[:2] == old[1:3]
    assert list(buf)[2].ts_ns == 35


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


def test_random_late_batches_match_a_full_sort() -> None:
    # Ten streams a little out of step, as a flood delivers them: the buffer, the
    # filtered subset and the "appended" flags agree with sorting everything.
    import random

    rnd = random.Random(7)
    buf, shown = LogBuffer(capacity=500), SortedLines()
    received: list[LogLine] = []
    flags: list[tuple[LogLine, bool]] = []

    before: list[tuple[int, int] | None] = [None]

    def inserted(line: LogLine, appended: bool) -> None:
        # "appended": newer than every line held before the batch (the view only adds).
        assert appended == (before[0] is None or line.key >= before[0])
        flags.append((line, appended))
        if line.text == "m":
            shown.add(line, appended)

    for tick in range(200):
        batch = [ln(tick * 10 + rnd.randint(-40, 5), rnd.choice("m-")) for _ in range(5)]
        received += batch
        before[0] = buf.lines[-1].key if buf.lines else None
        gone = buf.add(batch, on_insert=inserted)
        shown.evict(gone)
    everything = sorted(received, key=lambda x: x.key)
    assert list(buf) == everything[-500:]
    assert buf.dropped + len(buf) == buf.received == len(received)
    assert list(shown) == [x for x in everything[-500:] if x.text == "m"]
    assert any(not appended for _, appended in flags)  # late lines did happen


def test_tail_start_finds_the_place_from_either_end() -> None:
    from collections import deque

    from arctui.tabs.logs.buffer import tail_start

    lines = deque(ln(t) for t in range(0, 1000, 2))
    for key_ts in (-5, 0, 1, 501, 997, 998, 999, 5000):
        place = tail_start(lines, (key_ts, 10**9))
        assert all(x.ts_ns <= key_ts for x in list(lines)[:place])
        assert all(x.ts_ns > key_ts for x in list(lines)[place:])
