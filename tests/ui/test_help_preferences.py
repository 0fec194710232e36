"""NO_COLOR, and a user keymap's problems reported once the app runs."""

from __future__ import annotations

from pathlib import Path

from arctui.config.settings import Settings
from arctui.session import demo_session
from arctui.ui.app import ArcApp
from arctui.ui.widgets.stats_table import StatsTable
from tests.ui.conftest import frozen_clock, loaded, wait_for


async def test_no_color_picks_the_monochrome_theme(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = ArcApp(demo_session(Settings(), clock=frozen_clock))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.theme == "arc-mono"
        assert app.no_color  # Textual greys what is left
        table = app.query_one("#services-table", StatsTable)
        words = {table.row_at(r)[c].plain for r in range(table.row_count) for c in range(3)}
        assert any("running" in w for w in words)  # state is a word, not only a colour


async def test_an_explicit_theme_wins_over_no_color(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = ArcApp(demo_session(Settings(), clock=frozen_clock), theme="arc-light")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.theme == "arc-light"


async def test_empty_no_color_is_not_set(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")
    app = ArcApp(demo_session(Settings(), clock=frozen_clock))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.theme == "arc-dark"


async def test_user_keymap_clash_and_unknown_id_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "arctui" / "keymaps"  # conftest's XDG_CONFIG_HOME
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text(
        "bindings:\n  services.stop: u\n  services.nope: z\n  table.down: j\n"
    )
    app = ArcApp(demo_session(Settings(), clock=frozen_clock), keymap="mine")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)

        def messages() -> list[str]:
            return [n.message for n in app._notifications]

        await wait_for(pilot, lambda: any("keymap mine" in m for m in messages()))
        report = next(m for m in messages() if "keymap mine" in m)
        assert "u is both services.start and services.stop" in report
        assert "unknown binding id 'services.nope'" in report
        assert "table.down" not in report  # a good entry is not reported...
        table = app.query_one("#services-table", StatsTable)
        before = table.cursor
        await pilot.press("j")  # ...and works, though the tab was not loaded at startup
        await wait_for(pilot, lambda: table.cursor == before + 1)


async def test_a_broken_chosen_theme_is_one_message_and_the_default(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "arctui" / "themes"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text("name: mine\nprimary: [unclosed\n")
    app = ArcApp(demo_session(Settings(), clock=frozen_clock), theme="mine")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.theme == "arc-dark"
        about_theme = [n.message for n in app._notifications if "theme" in n.message]
        assert len(about_theme) == 1
        assert "mine.yaml" in about_theme[0] and "using arc-dark" in about_theme[0]


async def test_an_unknown_theme_name_is_one_message(tmp_path: Path) -> None:
    app = ArcApp(demo_session(Settings(), clock=frozen_clock), theme="nope")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.theme == "arc-dark"
        about_theme = [n.message for n in app._notifications if "theme" in n.message]
        assert about_theme == ["no theme called 'nope'; using arc-dark"]


async def test_settings_keys_rebind_over_the_keymap_and_bad_ids_are_reported() -> None:
    settings = Settings(keys={"table.down": "n", "services.nope": "z"})
    app = ArcApp(demo_session(settings, clock=frozen_clock), keymap="vim")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        table = app.query_one("#services-table", StatsTable)
        before = table.cursor
        await pilot.press("n")  # the settings' key for table.down, over vim's j
        await wait_for(pilot, lambda: table.cursor == before + 1)
        await pilot.press("k")  # the rest of the vim keymap still applies
        await wait_for(pilot, lambda: table.cursor == before)

        def report() -> str:
            return " ".join(n.message for n in app._notifications if "keymap vim" in n.message)

        await wait_for(pilot, lambda: "services.nope" in report())
        assert "with the settings' keys" in report()
        assert "unknown binding id 'services.nope'" in report()
