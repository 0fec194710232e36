"""`:` opens the command palette; every tab's actions are there by name, and actions
named after the current state run through the same paths as the keys."""

from __future__ import annotations

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from arctui.tabs.backups.view.palette import palette_commands as backup_commands
from arctui.ui.palette_commands import TabCommands, app_commands, tab_commands
from arctui.ui.widgets.stats_table import StatsTable
from tests.ui.conftest import loaded, make_demo_app, wait_for


async def _search(pilot, text: str) -> list[str]:
    app = pilot.app
    await pilot.press("colon")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*text)
    found: list[str] = []

    def listed() -> bool:
        found[:] = []
        options = app.screen.query_one(CommandList)
        for i in range(options.option_count):
            found.append(str(options.get_option_at_index(i).prompt).split("\n")[0])
        return bool(found)

    await wait_for(pilot, listed)
    # The search is done: its text is in and the palette gathers no more (its workers).
    palette = app.screen
    await wait_for(
        pilot,
        lambda: (
            palette.query_one(Input).value == text
            and not any(w.node is palette and not w.is_finished for w in app.workers)
        ),
    )
    await pilot.pause()
    listed()
    return found


async def _open_tab(pilot, key: str, tab_id: str):
    """Show a tab (built when first shown) and wait for its first snapshot."""
    await pilot.press(key)
    await wait_for(
        pilot, lambda: getattr(pilot.app.query_one(f"#{tab_id}-tab"), "snapshot", None) is not None
    )
    return pilot.app.query_one(f"#{tab_id}-tab")


async def test_colon_opens_the_palette_with_state_named_actions() -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        found = await _search(pilot, "back up postgres")
        assert found[0] == "Back up Postgres now"
        await pilot.press("enter")
        from arctui.tabs.backups.view.modal import BackupActionModal

        await wait_for(pilot, lambda: isinstance(app.screen, BackupActionModal))
        await pilot.press("escape")  # declines: nothing runs


async def test_every_tab_is_in_the_palette() -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        names = [c[0] for c in TabCommands(app.screen)._commands()[0]]
        for title in ("Services", "Resources", "Postgres", "Redis", "Logs", "Backups"):
            assert f"Go to {title} tab" in names
        for expected in (
            "Postgres: Slow queries",
            "Postgres: Cancel query",
            "Redis: Big keys",
            "Logs: Search",
            "Backups: Back up now",
            "Resources: CPU",
            "Open health view",
            "Back up Redis now",
            "Help: keys of this tab",
            "Theme: arc-16",
            "Keymap: k9s",
        ):
            assert expected in names, expected
        service = app.snapshot.services[0].name
        everything = [c[0] for c in _all_commands(app)]
        assert f"Restart service {service}" in everything
        assert any(n.startswith("Open wizard: High memory") for n in names)


def _all_commands(app) -> list[tuple]:
    from arctui.ui.commands import ActionCommands

    return ActionCommands(app.screen)._commands()[0] + TabCommands(app.screen)._commands()[0]


async def test_a_tab_action_from_the_palette_switches_and_runs() -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await _search(pilot, "postgres slow queries")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_tab == "postgres")
        await wait_for(
            pilot, lambda: getattr(app.query_one("#postgres-tab"), "view", "") == "queries"
        )


async def test_read_only_offers_no_mutation() -> None:
    app = make_demo_app(read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        assert backup_commands(app) == []
        await pilot.press("6")
        await wait_for(pilot, lambda: bool(app.query("#backups-tab")))
        from arctui.tabs import tab

        names = [c[0] for c in tab_commands(app, tab("backups"))]
        assert "Backups: Verify" in names
        assert "Backups: Back up now" not in names and "Backups: Restore" not in names


async def test_keymap_switches_live_from_the_palette() -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        command = next(c for c in app_commands(app) if c[0] == "Keymap: vim")
        command[1]()
        assert app.keymap_name == "vim"
        table = app.query_one("#services-table", StatsTable)
        before = table.cursor
        await pilot.press("j")
        await wait_for(pilot, lambda: table.cursor == before + 1)


@pytest.mark.parametrize("name", ["arc-16", "arc-contrast"])
async def test_theme_switches_live_from_the_palette(name: str) -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        command = next(c for c in app_commands(app) if c[0] == f"Theme: {name}")
        command[1]()
        await pilot.pause()
        assert app.theme == name


async def test_a_tab_can_name_its_own_state_based_commands() -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        ran = []
        tab = app.query_one("#services-tab")
        tab.palette_commands = lambda: [("Open the thing", lambda: ran.append(1), "help")]
        from arctui.tabs import tab as spec_of

        commands = {c[0]: c for c in tab_commands(app, spec_of("services"))}
        commands["Services: Open the thing"][1]()
        assert ran == [1]
        tab.palette_commands = lambda: 1 / 0  # a broken one costs only its own commands
        assert "Go to Services tab" in [c[0] for c in tab_commands(app, spec_of("services"))]


async def test_inside_the_palette_state_of_built_tabs_is_seen() -> None:
    """The palette is a screen of its own: the tabs live on the screen below it."""
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await _open_tab(pilot, "6", "backups")
        await pilot.press("1")
        found = await _search(pilot, "restore backup")
        assert any(name.startswith("Restore backup ") for name in found), found


async def test_read_only_palette_search_has_no_mutation() -> None:
    app = make_demo_app(read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("6")
        await wait_for(pilot, lambda: bool(app.query("#backups-tab")))
        found = await _search(pilot, "backups")
        assert "Backups: Verify" in found
        assert not any("Back up" in name or "Restore" in name for name in found), found


@pytest.mark.parametrize("read_only", [False, True])
async def test_postgres_sessions_and_tables_are_named_in_the_palette(read_only: bool) -> None:
    from arctui.tabs.postgres.view.tab import PgConfirmModal

    app = make_demo_app(read_only=read_only)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await _open_tab(pilot, "3", "postgres")
        found = await _search(pilot, "terminate pid 2811")
        if read_only:
            assert not any("Terminate pid" in name for name in found), found
            return
        assert found[0].startswith("Postgres: Terminate pid 2811 ("), found
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PgConfirmModal))
        assert app.screen.plan.action.verb == "pg-terminate"
        assert "2811" in app.screen.plan.action.summary
        await pilot.press("escape")  # declined: nothing runs


async def test_redis_big_keys_of_the_last_scan_are_named_in_the_palette() -> None:
    from arctui.tabs.redis.view.modals import RedisConfirmModal

    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        tab = await _open_tab(pilot, "4", "redis")
        await pilot.press("n")  # big-key scan
        await wait_for(pilot, lambda: tab.scan_result is not None, timeout=20)
        biggest = tab.scan_result.by_memory()[0]
        found = await _search(pilot, "delete big key")
        assert found[0].startswith(f"Redis: Delete big key {biggest.key} ("), found
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RedisConfirmModal))
        assert biggest.key in app.screen.plan.action.summary
        await pilot.press("escape")  # declined: nothing runs


@pytest.mark.parametrize("typed", ["", "big key"])  # the list before typing, and a search
async def test_outside_text_in_the_palette_is_never_markup(typed: str) -> None:
    # A Redis key or query text with markup in it: shown literally, no crash, no action.
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        hostile = [
            ("Delete big key cache:[/]", lambda: None, "SELECT a[1] FROM t [/]"),
            ("Delete big key [@click=app.quit]boom[/]", lambda: None, "[red]x[/red] $var"),
        ]
        app.query_one("#services-tab").palette_commands = lambda: hostile
        await _search(pilot, typed)
        options = app.screen.query_one(CommandList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        text = "\n".join(prompts)
        assert "Services: Delete big key cache:[/]\nSELECT a[1] FROM t [/]" in text, text
        assert "Services: Delete big key [@click=app.quit]boom[/]\n[red]x[/red] $var" in text
        assert app.is_running
