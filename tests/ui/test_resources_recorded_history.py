"""Live Resources charts reach back as far as the project's recording does."""

from __future__ import annotations

from pathlib import Path

import pytest

from arctui.config.settings import Settings
from arctui.demo.platform import DEMO_EPOCH
from arctui.record.chart_history import StoreHistory, recorded_usage, with_store_history
from arctui.session import demo_session
from arctui.tabs.resources.rates import History
from arctui.tabs.resources.view.tab import ResourcesTab
from arctui.ui.app import ArcApp
from arctui.ui.widgets.line_view import LineView
from tests.replay_support import demo_frames, write_store
from tests.ui.conftest import frozen_clock, wait_for

REACH = 2 * 3600.0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Two hours up to a minute before the demo's "now", one sample a minute.
    frames, _ = demo_frames(start=DEMO_EPOCH - REACH, count=120, step=60.0, crash_at=10_000)
    return write_store(tmp_path_factory.mktemp("rec") / "demo.sqlite", frames)


def test_recorded_usage_is_spread_over_the_whole_reach(store):
    usage = recorded_usage(store, points=10)
    assert len(usage) == 10
    assert usage[0].taken_at == DEMO_EPOCH - REACH
    assert usage[-1].taken_at == DEMO_EPOCH - REACH + 119 * 60
    assert recorded_usage(store.with_name("none.sqlite"), 10) == []


def test_no_recording_leaves_the_session_alone(tmp_path):
    session = demo_session(Settings(), clock=frozen_clock)
    before = session.resources
    assert with_store_history(session, tmp_path / "none.sqlite").resources is before


def test_a_thinning_history_keeps_its_reach():
    from tests.unit.test_resources_rates import ContainerStats, snap

    h = History(window=10_000, max_points=10)
    h.thin = True
    for t in range(100):
        h.add(snap(t, ContainerStats("a", "a", "", "running", cpu=0.1, sampled_at=float(t))))
    series = h.series("a")
    assert len(series) <= 10 and series[-1].t == 99
    assert series[0].t == 0  # the oldest survives; the middle grew sparse


async def test_the_charts_show_the_recorded_reach(store):
    session = demo_session(Settings(), clock=frozen_clock)
    session = with_store_history(session, store)
    assert isinstance(session.resources, StoreHistory)
    app = ArcApp(session)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        tab = app.query_one(ResourcesTab)
        await wait_for(pilot, lambda: tab.snapshot is not None and len(tab.history) > 0)
        assert tab.chart_window >= REACH - 120
        cid = tab.snapshot.containers[0].id
        assert tab.history.series(cid)[0].t == DEMO_EPOCH - REACH
        cpu = app.query_one("#res-cpu", LineView)
        await wait_for(pilot, lambda: "(recorded)" in cpu.plain)
        assert "last 2h00m (recorded)" in cpu.plain.splitlines()[0]  # the chart's title
