"""SVG snapshots of the Postgres tab over the demo source (frozen clock, fixed seed)."""

from __future__ import annotations

from arctui.tabs.postgres.view.tab import PostgresTab
from tests.ui.conftest import loaded, make_demo_app, wait_for


async def _activity(pilot) -> None:
    await loaded(pilot)  # the header counts services: compose model in
    await pilot.press("3")
    tab = pilot.app.query_one(PostgresTab)
    await wait_for(pilot, lambda: tab.snapshot is not None)
    assert tab.poller is not None
    tab.poller.schedule.paused = True  # no read may land during the capture
    await wait_for(pilot, lambda: not tab.poller.schedule.running)
    await pilot.pause()


async def _tables(pilot) -> None:
    await _activity(pilot)
    await pilot.press("b")
    await pilot.pause()


def test_postgres_activity_160x48(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(160, 48), run_before=_activity)


def test_postgres_tables_120x36(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(120, 36), run_before=_tables)
