"""SVG snapshots of the Services tab over the demo platform (frozen clock, fixed seed)."""

from __future__ import annotations

from tests.ui.conftest import loaded, make_demo_app


async def _loaded(pilot) -> None:
    await loaded(pilot)


async def _detail(pilot) -> None:
    await loaded(pilot)
    await pilot.press("down", "down", "enter")
    await pilot.pause()


def test_services_80x24(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(80, 24), run_before=_loaded)


def test_services_160x48(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(160, 48), run_before=_loaded)


def test_services_detail_80x24(snap_compare):
    assert snap_compare(make_demo_app(), terminal_size=(80, 24), run_before=_detail)


def test_services_production_160x48(snap_compare):
    assert snap_compare(make_demo_app(env="prod"), terminal_size=(160, 48), run_before=_loaded)
