"""SVG snapshots of the health view and a wizard over the demo platform (frozen clock)."""

from __future__ import annotations

from tests.ui.conftest import loaded, make_demo_app, wait_for


async def _health(pilot) -> None:
    from arctui.ui.screens.health import HealthScreen

    await loaded(pilot)
    await pilot.press("H")
    await wait_for(
        pilot, lambda: isinstance(pilot.app.screen, HealthScreen) and pilot.app.screen.report
    )
    await pilot.pause()


async def _memory_wizard(pilot) -> None:
    from textual.widgets import OptionList

    from arctui.ui.screens.wizard import DoctorScreen

    await loaded(pilot)
    await pilot.press("T")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, DoctorScreen))
    pilot.app.screen.query_one(OptionList).highlighted = 1
    await pilot.press("enter")
    await wait_for(pilot, lambda: "memory" in pilot.app.screen.results)
    await pilot.pause()


def test_health_120x36(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(120, 36), run_before=_health)


def test_health_80x24(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(80, 24), run_before=_health)


def test_memory_wizard_120x36(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(120, 36), run_before=_memory_wizard)
