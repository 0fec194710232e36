"""A theme chosen at runtime restyles the tables at once, from the rows already read:
cells built with the old theme's colours used to stay until the next read."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from arctui.config.settings import Settings
from arctui.session import demo_session
from arctui.ui.app import ArcApp
from tests.ui.conftest import frozen_clock, loaded, wait_for
from tests.ui.test_every_tab_every_theme import tab_read


def styles(cells: Any) -> set[str]:
    """Every style a table's cells use (their own and their spans')."""
    out: set[str] = set()
    for cell in cells:
        if isinstance(cell, Text):
            out.add(str(cell.style))
            out.update(str(span.style) for span in cell.spans)
    return out


def colours(tab: Any) -> set[str]:
    palette = tab._palette.get(tab.app)
    return {v for v in palette.values() if v}


async def test_switching_theme_restyles_services_and_backups_without_a_read() -> None:
    app = ArcApp(demo_session(Settings(), clock=frozen_clock), theme="arc-light")
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("6")  # Backups: a DataTable filled by sync_rows
        backups = app.query_one("#backups-tab")
        await wait_for(pilot, lambda: tab_read(app, "backups"))
        services = app.query_one("#services-tab")
        for poller in app.pollers:  # no read may come between the switch and the check
            poller.stop()
        await pilot.pause()

        def cell_styles() -> tuple[set[str], set[str]]:
            table = services.table
            svc = styles(c for i in range(table.row_count) for c in table.row_at(i))
            dt = backups.table
            bak = styles(c for key in dt.rows for c in dt.get_row(key))
            return svc, bak

        old = colours(services)
        before = cell_styles()
        for used in before:
            assert any(c in s for s in used for c in old), before  # the check can see colours
        app.theme = "arc-16"
        await pilot.pause()
        new = colours(services)
        gone = old - new
        assert gone, "the two themes must differ for this test to mean anything"
        svc, bak = cell_styles()
        for used in (svc, bak):
            assert not any(c in s for s in used for c in gone), used
            assert any(c in s for s in used for c in new), used


async def test_switching_theme_restyles_resources_without_a_read() -> None:
    app = ArcApp(demo_session(Settings(), clock=frozen_clock), theme="arc-light")
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("2")
        resources = app.query_one("#resources-tab")
        await wait_for(pilot, lambda: resources.table.row_count > 0)
        for poller in app.pollers:
            poller.stop()
        await pilot.pause()
        table = resources.table

        def used() -> set[str]:
            return styles(c for i in range(table.row_count) for c in table.row_at(i))

        old = colours(resources)
        assert any(c in s for s in used() for c in old)
        app.theme = "arc-16"
        await pilot.pause()
        gone = old - colours(resources)
        assert gone
        assert not any(c in s for s in used() for c in gone), used()
