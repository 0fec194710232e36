"""The one poller's timing: never overlapping, bursts collapsed, hidden tabs slow or idle,
failures backed off, steady rates that do not drift."""

from __future__ import annotations

from arctui.ui.schedule import BACKOFF_MAX, PollSchedule


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_read_at_a_time_and_booked_from_the_due_time() -> None:
    clock = Clock()
    s = PollSchedule(interval=1.0, clock=clock)
    assert s.due(visible=True)
    assert not s.due(visible=True)  # still running: the tick is skipped
    s.finished(ok=True)
    clock.now = 100.95  # a timer tick a little early still counts
    assert s.due(visible=True)
    s.finished(ok=True)
    assert s.next_due == 102.0  # booked from when it was due, not from the early tick
    clock.now = 101.5
    assert not s.due(visible=True)


def test_requests_during_a_read_collapse_into_exactly_one_more() -> None:
    clock = Clock()
    s = PollSchedule(interval=10.0, clock=clock)
    assert s.due(visible=True)
    for _ in range(50):  # a burst of engine events while the read runs
        s.soon()
    assert not s.due(visible=True)
    s.finished(ok=True)
    assert s.due(visible=True)  # the one follow-up read
    s.finished(ok=True)
    assert not s.due(visible=True)  # and no more until the interval


def test_min_gap_rate_limits_requested_reads() -> None:
    clock = Clock()
    s = PollSchedule(interval=10.0, min_gap=0.5, clock=clock)
    assert s.due(visible=True)
    s.finished(ok=True)
    s.soon()
    assert not s.due(visible=True)  # 0 s after the last start
    clock.now += 0.5
    assert s.due(visible=True)


def test_hidden_reads_at_the_hidden_rate_or_not_at_all() -> None:
    clock = Clock()
    slow = PollSchedule(interval=1.0, hidden_interval=15.0, clock=clock)
    assert slow.due(visible=False)
    slow.finished(ok=True)
    clock.now += 5
    assert not slow.due(visible=False)
    slow.soon()
    assert slow.due(visible=True)
    slow.finished(ok=True)
    assert slow.next_due == clock.now + 1.0
    idle = PollSchedule(interval=1.0, hidden_interval=None, clock=clock)
    assert not idle.due(visible=False)
    assert idle.due(visible=True)


def test_failures_back_off_to_the_cap_and_success_resets() -> None:
    clock = Clock()
    s = PollSchedule(interval=10.0, clock=clock)
    delays = []
    for _ in range(8):
        clock.now = max(clock.now, s.next_due)
        assert s.due(visible=True)
        delays.append(s.finished(ok=False))
    assert delays == [1, 2, 4, 8, 16, BACKOFF_MAX, BACKOFF_MAX, BACKOFF_MAX]
    clock.now = s.next_due
    assert s.due(visible=True)
    assert s.finished(ok=True) == 10
    assert s.backoff == 0.0


def test_a_request_bypasses_the_backoff() -> None:
    clock = Clock()
    s = PollSchedule(interval=10.0, clock=clock)
    s.due(visible=True)
    s.finished(ok=False)
    assert not s.due(visible=True)  # backing off
    s.soon()  # the operator pressed refresh
    assert s.due(visible=True)


def test_pause_and_interval_steps() -> None:
    clock = Clock()
    s = PollSchedule(interval=1.0, clock=clock)
    s.paused = True
    assert not s.due(visible=True)
    s.paused = False
    assert [s.step(faster=True) for _ in range(3)] == [0.5, 0.5, 0.5]
    assert [s.step(faster=False) for _ in range(5)] == [1.0, 2.0, 5.0, 10.0, 10.0]
