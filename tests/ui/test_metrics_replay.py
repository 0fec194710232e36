"""The Metrics tab in a replay: the RED figures the recorder kept at the moment shown, or
the notice that nothing was recorded (a store written before they were, or no Prometheus)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import Static

from arctui.config.settings import Settings
from arctui.record.replay_session import replay_session
from arctui.session import demo_session
from arctui.tabs.metrics.demo import DemoMetrics
from arctui.tabs.metrics.view.replay import ReplayMetricsTab
from arctui.ui.app import ArcApp
from tests.replay_support import START, STEP, demo_frames, write_store
from tests.ui.conftest import wait_for

SIZE = (160, 45)
RECORDED_FROM = 6  # frames before this one carry no RED figures (an older recorder)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames, events = demo_frames(count=12)
    with_red = []
    for i, f in enumerate(frames):
        red = DemoMetrics(window="1m", clock=lambda ts=f.ts: ts).read_red()  # type: ignore[misc]
        with_red.append(dataclasses.replace(f, metrics=red) if i >= RECORDED_FROM else f)
    return write_store(tmp_path_factory.mktemp("rec") / "red.sqlite", with_red, events)


def body(app: ArcApp) -> str:
    views = app.query(ReplayMetricsTab)
    if not views:
        return ""
    return str(views.first().query_one("#metrics-replay-body", Static).render())


def notice(app: ArcApp) -> Static:
    return app.query_one("#metrics-replay-empty", Static)


async def test_replay_shows_the_recorded_red_figures_then_says_not_recorded(store):
    at = START + (RECORDED_FROM + 2) * STEP
    want = DemoMetrics(window="1m", clock=lambda: at).read_red().services[0]
    app = ArcApp(replay_session(demo_session(Settings()), f"@{at}", store))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("7")
        await wait_for(pilot, lambda: want.name in body(app))
        text = body(app)
        assert "P95" in text and "REQ/S" in text and "over the 1m ending" in text
        view = app.query_one(ReplayMetricsTab)
        assert view.display and not notice(app).display
        app.replay.move_to(START + 2 * STEP)  # before the recorder kept them
        app._moved(-1)
        await wait_for(pilot, lambda: notice(app).display and not view.display)
        assert "nothing recorded for the RED figures" in str(notice(app).render())
