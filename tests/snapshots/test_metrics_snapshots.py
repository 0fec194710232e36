"""SVG snapshots of the Metrics tab over the demo source (frozen clock, UTC)."""

from __future__ import annotations

import time

import pytest

from tests.ui.conftest import loaded, make_demo_app, wait_for


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    # Loss onsets are shown in local time: pin the zone.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _metrics(pilot) -> None:
    from arctui.tabs.metrics.view.tab import MetricsTab

    await loaded(pilot)
    await pilot.press("7")
    tab = pilot.app.query_one(MetricsTab)
    await wait_for(pilot, lambda: tab.snapshot is not None)
    tab.poller.stop()
    await pilot.pause()


async def _operations(pilot) -> None:
    from arctui.tabs.metrics.view.tab import MetricsTab

    await loaded(pilot)
    await pilot.press("7")
    tab = pilot.app.query_one(MetricsTab)
    await wait_for(pilot, lambda: tab.snapshot is not None)
    await pilot.press("down", "enter")
    await wait_for(pilot, lambda: tab.snapshot.focus is not None)
    tab.poller.stop()
    await pilot.pause()


def test_metrics_160x48(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(160, 48), run_before=_metrics)


def test_metrics_80x24(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(80, 24), run_before=_metrics)


def test_metrics_operations_120x40(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(120, 40), run_before=_operations)
