"""SVG snapshots of the Redis tab over the demo Redis (frozen clock, fixed seed, UTC)."""

from __future__ import annotations

import time

import pytest

from tests.ui.conftest import loaded, make_demo_app, wait_for


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    # The last save time is shown in local time: pin the zone.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _redis(pilot) -> None:
    from arctui.tabs.redis.view.tab import RedisTab

    await loaded(pilot)  # the header counts services: compose model in
    await pilot.press("4")
    tab = pilot.app.query_one(RedisTab)
    tab.scan_clock = lambda: 0.0  # a scan "takes" 0.0 s: the picture never moves
    # Two readings (charts need two points), then no more: the picture never moves.
    await wait_for(pilot, lambda: tab.snapshot is not None and len(tab.snapshot.history) >= 2)
    tab.poller.stop()
    await pilot.pause()


async def _bigkeys(pilot) -> None:
    from arctui.tabs.redis.view.tab import RedisTab

    await _redis(pilot)
    tab = pilot.app.query_one(RedisTab)
    await pilot.press("n")
    await wait_for(pilot, lambda: tab.scan_result is not None and tab._scan is None)
    await pilot.pause()


def test_redis_120x40(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(120, 40), run_before=_redis)


def test_redis_bigkeys_120x40(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(120, 40), run_before=_bigkeys)


def test_redis_80x24(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(80, 24), run_before=_redis)
