"""Anything running for more than a second shows a ticking line with its elapsed time."""

from __future__ import annotations

from textual.screen import ModalScreen
from textual.widgets import Static

from arctui.ui.widgets.busy import BusyLine, show_busy
from tests.ui.conftest import loaded, make_demo_app


class Working(ModalScreen[None]):
    busy = True

    def compose(self):
        yield Static("working")


async def test_busy_line_appears_ticks_and_goes() -> None:
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        screen = Working()
        await app.push_screen(screen)
        show_busy(app, now=100.0)
        await pilot.pause()
        assert not screen.query(BusyLine)  # not in the first second
        show_busy(app, now=101.5)
        await pilot.pause()
        line = screen.query_one(BusyLine)
        assert "still running · 1 s" in str(line.render())
        show_busy(app, now=172.0)
        await pilot.pause()
        assert "1m12s" in str(line.render())
        screen.busy = False
        show_busy(app, now=173.0)
        await pilot.pause()
        assert not screen.query(BusyLine)


async def test_the_app_ticks_it_by_itself() -> None:
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        screen = Working()
        await app.push_screen(screen)
        for _ in range(60):
            if screen.query(BusyLine):
                break
            await pilot.pause(0.1)
        assert screen.query(BusyLine)
