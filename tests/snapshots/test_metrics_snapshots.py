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


def _replay_app(tmp_path):
    """A replay of a demo recording whose frames carry the RED figures."""
    import dataclasses

    from arctui.config.settings import Settings
    from arctui.record.replay_session import replay_session
    from arctui.session import demo_session
    from arctui.tabs.metrics.demo import DemoMetrics
    from arctui.ui.app import ArcApp
    from tests.replay_support import START, STEP, demo_frames, write_store

    frames, events = demo_frames(count=6)
    frames = [
        dataclasses.replace(f, metrics=DemoMetrics("1m", clock=lambda ts=f.ts: ts).read_red())
        for f in frames
    ]
    store = write_store(tmp_path / "red.sqlite", frames, events)
    return ArcApp(replay_session(demo_session(Settings()), f"@{START + 4 * STEP}", store))


async def _replayed(pilot) -> None:
    from textual.widgets import Static

    from arctui.tabs.metrics.view.replay import ReplayMetricsTab

    await pilot.press("7")
    await wait_for(pilot, lambda: bool(pilot.app.query(ReplayMetricsTab)))
    body = pilot.app.query_one(ReplayMetricsTab).query_one("#metrics-replay-body", Static)
    await wait_for(pilot, lambda: "REQ/S" in str(body.render()))
    await pilot.pause()


def test_metrics_replay_80x24(snap_compare, tmp_path):
    assert snap_compare(_replay_app(tmp_path), terminal_size=(80, 24), run_before=_replayed)
