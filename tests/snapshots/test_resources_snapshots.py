"""SVG snapshots of the Resources tab over the demo source (frozen clock, fixed seed, UTC)."""

from __future__ import annotations

import time

import pytest

from tests.ui.conftest import loaded, make_demo_app, wait_for


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    # OOM kill times are shown in local time: pin the zone so the picture is the same anywhere.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _resources(pilot) -> None:
    from arctui.tabs.resources.view.tab import ResourcesTab

    await loaded(pilot)
    await pilot.press("2")
    tab = pilot.app.query_one(ResourcesTab)
    await wait_for(
        pilot,
        lambda: tab.snapshot is not None and tab.volumes is not None and not tab.schedule.running,
    )
    await pilot.pause()
    tab.refresh_view()  # charts sized to their final layout
    await pilot.pause()


async def _with_charts(pilot) -> None:
    await _resources(pilot)
    await pilot.press("enter")
    await pilot.pause()


def test_resources_80x24(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(80, 24), run_before=_resources)


def test_resources_charts_80x24(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(80, 24), run_before=_with_charts)


def test_resources_160x48(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(160, 48), run_before=_resources)
