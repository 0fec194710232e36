"""SVG snapshots of the Logs tab over the demo logs (frozen clock, fixed seed; times UTC)."""

from __future__ import annotations

from tests.ui.conftest import make_demo_app, wait_for


async def _logs(pilot) -> None:
    from arctui.tabs.logs.view.tab import LogsTab

    await pilot.press("5")
    tab = pilot.app.query_one(LogsTab)
    await wait_for(pilot, lambda: tab.feed is not None and tab.feed.history_loaded and tab.buffer)
    await pilot.pause(0.2)


async def _errors_search(pilot) -> None:
    await _logs(pilot)
    await pilot.press("L", "L", "slash", *"timeout", "enter")
    await pilot.pause()


def test_logs_120x32(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(120, 32), run_before=_logs)


def test_logs_warn_search_160x40(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(160, 40), run_before=_errors_search)
