"""SVG snapshots of Services, Resources and the Disk panel over three demo engines (issue 24)
at 120x30."""

from __future__ import annotations

import time

import pytest

from tests.ui.conftest import wait_for
from tests.ui.test_fleet_pilot import all_loaded, fleet_app


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _resources(pilot) -> None:
    from arctui.tabs.resources.view.tab import ResourcesTab

    await all_loaded(pilot)
    await pilot.press("2")
    tab = pilot.app.query_one(ResourcesTab)

    def settled() -> bool:
        fleet = tab.fleet
        return (
            fleet is not None
            and all(e.snapshot is not None for e in fleet.engines.values())
            and tab.volumes is not None
            and not any(s.running for s in tab.schedules)
        )

    await wait_for(pilot, settled)
    tab.refresh_view()
    await pilot.pause(0.3)


def test_fleet_services_120x30(snap_compare):
    assert snap_compare(fleet_app(), terminal_size=(120, 30), run_before=all_loaded)


def test_fleet_resources_120x30(snap_compare):
    assert snap_compare(fleet_app(), terminal_size=(120, 30), run_before=_resources)


async def _disk(pilot) -> None:
    from arctui.tabs.maintenance.view.tab import MaintenanceTab

    await all_loaded(pilot)
    await pilot.press("8", "k")
    tab = pilot.app.query_one(MaintenanceTab)
    await wait_for(pilot, lambda: tab.snapshot is not None and tab.snapshot.multi)
    await pilot.pause(0.3)


def test_fleet_maintenance_disk_120x30(snap_compare):
    assert snap_compare(fleet_app(), terminal_size=(120, 30), run_before=_disk)
