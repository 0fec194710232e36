"""Every tab renders under every shipped theme (a 16-colour theme once crashed a tab),
and stays legible on a 16-colour terminal: no letter or digit is drawn in the colour of
its own background once both are rounded to the 16 ANSI colours (`TERM=xterm`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rich.color import ColorSystem

from arctui.config.settings import Settings
from arctui.session import demo_session
from arctui.tabs import TABS
from arctui.ui.app import ArcApp
from tests.ui.conftest import frozen_clock, loaded, wait_for

THEMES = sorted(
    yaml.safe_load(p.read_text("utf-8"))["name"]
    for p in (Path(__file__).resolve().parents[2] / "themes").glob("*.yaml")
)


def invisible_on_16_colours(app: ArcApp) -> list[str]:
    """Text on screen whose colour equals its background's in 16 colours."""
    bad = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        for segment in strip:
            style = segment.style
            if style is None or not any(c.isalnum() for c in segment.text):
                continue  # box drawing and bars may melt into the background by design
            fg, bg = style.color, style.bgcolor
            if fg is None or bg is None:
                continue
            if style.reverse:
                fg, bg = bg, fg
            if (
                fg.downgrade(ColorSystem.STANDARD).number
                == bg.downgrade(ColorSystem.STANDARD).number
            ):
                bad.append(f"row {y}: {segment.text.strip()[:30]!r}")
    return bad


def tab_read(app: ArcApp, tab_id: str) -> bool:
    """The tab's pollers have each finished a read (ok or failed) and no worker runs.

    The Services tab reads through the app's poller (`loaded`); Logs has no poller: its
    feed's lines are in once it counts a writing container.
    """
    tab = app.query_one(f"#{tab_id}-tab")
    pollers = [p for p in app.pollers if app.tab_of(p.host) == tab_id]
    read = all(
        not p.schedule.running and (p.last_ok is not None or p.failure is not None) for p in pollers
    )
    lines = tab_id != "logs" or getattr(tab, "containers", 0) > 0
    return read and lines and not any(not w.is_finished for w in app.workers)


def test_the_check_finds_invisible_text() -> None:
    from rich.segment import Segment
    from rich.style import Style

    class Fake:
        class screen:
            class _compositor:
                @staticmethod
                def render_strips():
                    return [[Segment("hidden", Style(color="#ffffff", bgcolor="#f0f0f0"))]]

    assert invisible_on_16_colours(Fake) == ["row 0: 'hidden'"]  # type: ignore[arg-type]


def test_the_new_themes_are_covered() -> None:
    assert {"arc-dark", "arc-light", "arc-mono", "arc-contrast", "arc-16"} <= set(THEMES)


@pytest.mark.parametrize("theme", THEMES)
async def test_every_tab_renders_under_the_theme(theme: str) -> None:
    app = ArcApp(demo_session(Settings(), clock=frozen_clock), theme=theme)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        assert app.theme == theme
        for i, spec in enumerate(TABS, start=1):
            await pilot.press(str(i))
            # The tab drawn with its data: waited for, not a fixed pause.
            await wait_for(pilot, lambda spec=spec: tab_read(app, spec.id))
            await pilot.pause()
            assert app.is_running, f"{spec.id} ended the app under {theme}"
            assert app.query_one(f"#{spec.id}-tab").is_mounted
            assert invisible_on_16_colours(app) == [], f"{spec.id} under {theme}"
        app.save_screenshot(path=str(Path("/tmp")), filename=f"theme-{theme}.svg")
