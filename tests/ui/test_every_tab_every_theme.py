"""Every tab renders under every shipped theme (a 16-colour theme once crashed a tab)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from arctui.config.settings import Settings
from arctui.session import demo_session
from arctui.tabs import TABS
from arctui.ui.app import ArcApp
from tests.ui.conftest import frozen_clock, loaded

THEMES = sorted(
    yaml.safe_load(p.read_text("utf-8"))["name"]
    for p in (Path(__file__).resolve().parents[2] / "themes").glob("*.yaml")
)


@pytest.mark.parametrize("theme", THEMES)
async def test_every_tab_renders_under_the_theme(theme: str) -> None:
    app = ArcApp(demo_session(Settings(), clock=frozen_clock), theme=theme)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        assert app.theme == theme
        for i, spec in enumerate(TABS, start=1):
            await pilot.press(str(i))
            await pilot.pause(0.3)
            assert app.is_running, f"{spec.id} ended the app under {theme}"
            assert app.query_one(f"#{spec.id}-tab").is_mounted
        app.save_screenshot(path=str(Path("/tmp")), filename=f"theme-{theme}.svg")
