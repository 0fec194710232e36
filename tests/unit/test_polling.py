"""The poller's scheduling: never overlapping, bursts collapsed, failures backed off."""

from __future__ import annotations

from arctui.ui.polling import BACKOFF_MAX, StackPoller


class FakeHost:
    """Records worker starts instead of running threads."""

    def __init__(self) -> None:
        self.started = 0

    def run_worker(self, *args, **kwargs) -> None:
        self.started += 1

    def post_message(self, message) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(interval: float = 10.0) -> tuple[StackPoller, FakeHost, Clock]:
    host, clock = FakeHost(), Clock()
    poller = StackPoller(host, reader=None, interval=interval, clock=clock)  # type: ignore[arg-type]
    return poller, host, clock


def test_requests_while_running_collapse_into_one_more_read():
    poller, host, _ = make()
    poller.request()
    for _ in range(50):  # a burst of engine events
        poller.request()
    assert host.started == 1
    poller.finished(ok=True)
    assert host.started == 2  # exactly one follow-up read
    poller.finished(ok=True)
    assert host.started == 2


def test_tick_starts_a_read_only_when_due_and_idle():
    poller, host, clock = make(interval=10)
    poller.tick()
    assert host.started == 1
    poller.tick()  # still running: skipped
    assert host.started == 1
    poller.finished(ok=True)
    clock.now += 9
    poller.tick()
    assert host.started == 1
    clock.now += 1
    poller.tick()
    assert host.started == 2


def test_failures_back_off_doubling_to_the_cap_and_success_resets():
    poller, _host, clock = make(interval=10)
    delays = []
    for _ in range(8):
        poller.tick()
        delays.append(poller.finished(ok=False))
        clock.now += delays[-1]
    assert delays == [1, 2, 4, 8, 16, BACKOFF_MAX, BACKOFF_MAX, BACKOFF_MAX]
    poller.tick()
    assert poller.finished(ok=True) == 10
    poller.tick()
    clock.now += 10
    poller.tick()
    assert poller.finished(ok=False) == 1


def test_manual_refresh_bypasses_backoff():
    poller, host, _clock = make()
    poller.tick()
    poller.finished(ok=False)
    poller.tick()
    assert host.started == 1  # backing off
    poller.request(force_compose=True)
    assert host.started == 2
