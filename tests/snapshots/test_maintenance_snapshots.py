"""SVG snapshots of the Maintenance tab over the demo platform (frozen clock, UTC)."""

from __future__ import annotations

import time

import pytest

from tests.ui.conftest import loaded, make_demo_app, wait_for


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _panel(key: str | None):
    async def run(pilot) -> None:
        from arctui.tabs.maintenance.view.tab import MaintenanceTab

        await loaded(pilot)
        await pilot.press("8")
        tab = pilot.app.query_one(MaintenanceTab)
        await wait_for(pilot, lambda: tab.snapshot is not None and tab.snapshot.disk is not None)
        if key:
            await pilot.press(key)
        tab.poller.stop()
        await pilot.pause()

    return run


def test_maintenance_calendar_80x24(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(80, 24), run_before=_panel(None))


def test_maintenance_disk_80x24(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(80, 24), run_before=_panel("k"))


def test_maintenance_disk_160x48(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(160, 48), run_before=_panel("k"))
