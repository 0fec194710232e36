"""When the Resources tab reads: 1 Hz that stays 1 Hz, slow when hidden, backoff, pause."""

from __future__ import annotations

from arctui.ui.resources_polling import HIDDEN_INTERVAL, VOLUMES_INTERVAL, ResourcesSchedule


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_read_at_a_time_and_booked_from_the_due_time() -> None:
    clock = Clock()
    s = ResourcesSchedule(interval=1.0, clock=clock)
    assert s.due(visible=True)
    assert not s.due(visible=True)  # still running: the tick is skipped
    s.finished(ok=True)
    clock.now = 100.95  # a timer tick a little early still counts
    assert s.due(visible=True)
    s.finished(ok=True)
    assert s.next_due == 102.0  # booked from when it was due, not from the late/early tick
    clock.now = 101.5
    assert not s.due(visible=True)


def test_hidden_tab_reads_slowly_and_soon_reads_at_once() -> None:
    clock = Clock()
    s = ResourcesSchedule(interval=1.0, clock=clock)
    assert s.due(visible=False)
    s.finished(ok=True)
    clock.now += 5
    assert not s.due(visible=False)
    s.soon()
    assert s.due(visible=True)
    s.finished(ok=True)
    assert s.next_due == clock.now + 1.0
    assert HIDDEN_INTERVAL > 5


def test_failures_back_off_and_success_resets() -> None:
    clock = Clock()
    s = ResourcesSchedule(interval=1.0, clock=clock)
    delays = []
    for _ in range(7):
        clock.now = max(clock.now, s.next_due)
        assert s.due(visible=True)
        s.finished(ok=False)
        delays.append(s.backoff)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    clock.now = s.next_due
    assert s.due(visible=True)
    s.finished(ok=True)
    assert s.backoff == 0.0


def test_pause_and_interval_steps() -> None:
    clock = Clock()
    s = ResourcesSchedule(interval=1.0, clock=clock)
    s.paused = True
    assert not s.due(visible=True) and not s.volumes_due_now(visible=True)
    s.paused = False
    assert [s.step(faster=True) for _ in range(3)] == [0.5, 0.5, 0.5]
    assert [s.step(faster=False) for _ in range(5)] == [1.0, 2.0, 5.0, 10.0, 10.0]


def test_volumes_only_while_visible_and_rarely() -> None:
    clock = Clock()
    s = ResourcesSchedule(clock=clock)
    assert not s.volumes_due_now(visible=False)
    assert s.volumes_due_now(visible=True)
    s.volumes_running = False
    clock.now += VOLUMES_INTERVAL - 1
    assert not s.volumes_due_now(visible=True)
    clock.now += 1
    assert s.volumes_due_now(visible=True)
