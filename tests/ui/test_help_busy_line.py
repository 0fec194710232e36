"""Anything running for more than a second shows a ticking line with its elapsed time."""

from __future__ import annotations

from textual.screen import ModalScreen
from textual.widgets import Static

from arctui.ui.widgets.busy import BusyLine, busy_text
from tests.ui.conftest import loaded, make_demo_app, wait_for


class Working(ModalScreen[None]):
    busy = True

    def compose(self):
        yield Static("working")


def test_the_line_says_how_long() -> None:
    assert busy_text(0, 1.4) == "⠋ still running · 1 s · Esc stops it"
    assert busy_text(11, 72.0) == "⠙ still running · 1m12s · Esc stops it"


async def test_the_app_shows_it_after_a_second_and_removes_it() -> None:
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        screen = Working()
        await app.push_screen(screen)
        await pilot.pause(0.3)
        assert not screen.query(BusyLine)  # short commands never show it
        await wait_for(pilot, lambda: bool(screen.query(BusyLine)), timeout=5)
        assert "still running" in str(screen.query_one(BusyLine).render())
        screen.busy = False
        await wait_for(pilot, lambda: not screen.query(BusyLine), timeout=5)


async def test_a_tick_during_shutdown_does_nothing() -> None:
    # The header timer can fire once more after the last screen is gone (a CI crash).
    from arctui.ui.widgets.busy import show_busy

    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
    assert not app.screen_stack
    show_busy(app)
