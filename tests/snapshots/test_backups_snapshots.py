"""SVG snapshots of the Backups tab over the demo source (frozen clock, fixed data)."""

from __future__ import annotations

from tests.ui.conftest import loaded, make_demo_app, wait_for


async def _shown(pilot) -> None:
    from arctui.tabs.backups.view.tab import BackupsTab

    await loaded(pilot)  # the header counts the services: the compose model must be in
    await pilot.press("6")
    tab = pilot.app.query_one(BackupsTab)
    await wait_for(pilot, lambda: tab.snapshot is not None and tab.table.row_count > 0)
    # On a loaded machine another read could still be on its way: wait for every poller.
    await wait_for(pilot, lambda: not any(p.schedule.running for p in pilot.app.pollers))
    await pilot.pause()


async def _restore_modal(pilot) -> None:
    await _shown(pilot)
    await pilot.press("R")
    await pilot.pause()


def test_backups_120x36(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(120, 36), run_before=_shown)


def test_backups_80x24(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(80, 24), run_before=_shown)


def test_backups_restore_production_120x36(snap_compare):
    assert snap_compare(
        make_demo_app(env="prod"), terminal_size=(120, 36), run_before=_restore_modal
    )
