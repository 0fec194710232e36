"""A bad user theme is one short notification, whatever the size of its value."""

from __future__ import annotations

from pathlib import Path

from textual.widgets._toast import Toast

from arctui.config.settings import Settings
from arctui.session import demo_session
from arctui.ui.app import ArcApp
from tests.ui.conftest import frozen_clock, loaded, wait_for


async def test_a_long_bad_colour_is_no_taller_than_a_short_one(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "arctui" / "themes"  # conftest's XDG_CONFIG_HOME
    folder.mkdir(parents=True)
    (folder / "long.yaml").write_text(f"name: long\nprimary: '{'z' * 1500}'\n")
    (folder / "shrt.yaml").write_text("name: shrt\nprimary: 'zz'\n")
    app = ArcApp(demo_session(Settings(), clock=frozen_clock))
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await loaded(pilot)
        about = [str(n.message) for n in app._notifications if "long.yaml" in str(n.message)]
        assert len(about) == 1 and "1,500 characters" in about[0]

        def rows(name: str) -> list[int]:
            return [
                toast.region.height
                for toast in app.screen.query(Toast)
                if name in str(toast._notification.message)
            ]

        await wait_for(pilot, lambda: bool(rows("long.yaml")) and bool(rows("shrt.yaml")))
        # The 1,500 characters filled 27 rows, quoted whole; the 40 quoted characters
        # and the count cost up to three.
        assert rows("long.yaml")[0] <= rows("shrt.yaml")[0] + 3
