"""`?` lists the keys of the tab on screen from the active keymap; the footer shows each
tab's action keys and fits in 80 columns."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Footer

from arctui.tabs import TABS
from arctui.ui.screens.help import HelpScreen
from tests.ui.conftest import loaded, make_demo_app, wait_for


def _rows(app) -> dict[str, tuple[str, bool]]:
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    return {r.binding_id: (r.keys, r.enabled) for r in screen.rows}


def _what(app, binding_id: str) -> str:
    """The "What" cell the person reads for one key."""
    table = app.screen.query_one("#help-table", DataTable)
    i = next(i for i, r in enumerate(app.screen.rows) if r.binding_id == binding_id)
    return str(table.get_row(f"row-{i}")[1])


async def test_help_lists_the_services_keys_and_closes() -> None:
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = _rows(app)
        assert rows["services.restart"] == ("R", True)
        assert rows["services.stop"] == ("x", True)
        assert rows["table.down"][0] == "↓"
        assert rows["app.help"][0] == "?"
        assert not any(i.startswith("postgres.") for i in rows)  # only this tab's keys
        assert app.screen.query_one(DataTable).row_count > len(rows)  # + section rows
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_help_follows_the_tab_and_the_keymap() -> None:
    app = make_demo_app(keymap="vim")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("3")
        await wait_for(pilot, lambda: bool(app.query("#postgres-tab")))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = _rows(app)
        assert "postgres.queries" in rows and "services.restart" not in rows
        assert rows["table.down"][0].split() == ["↓", "j"]  # vim's key, arrows kept
        assert rows["app.next_tab"][0].split() == ["]", "l"]
        await pilot.press("question_mark")  # ? closes it again
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_help_marks_read_only_keys_off() -> None:
    app = make_demo_app(read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = _rows(app)
        assert rows["services.restart"] == ("R", False)
        assert rows["stack.down"][1] is False
        assert rows["services.filter"] == ("/", True)
        assert "off: read-only" in _what(app, "services.restart")


async def test_a_key_off_for_another_reason_does_not_blame_read_only() -> None:
    # One engine: E (cycle engines) is off, and the app is not read-only.
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert _rows(app)["services.engine"][1] is False
        what = _what(app, "services.engine")
        assert "off here" in what and "read-only" not in what


def _footer(app) -> tuple[int, list[str]]:
    keys = list(app.screen.query_one(Footer).query("FooterKey"))
    return sum(k.outer_size.width for k in keys), [k.key_display for k in keys]


@pytest.mark.parametrize("read_only", [False, True])
async def test_footer_fits_80_columns_on_every_tab(read_only: bool) -> None:
    app = make_demo_app(read_only=read_only)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        for i, spec in enumerate(TABS, start=1):
            await pilot.press(str(i))
            await wait_for(pilot, lambda s=spec: bool(app.query(f"#{s.id}-tab")))
            # The footer shows the focused widget's keys: the tab's own widget has the focus.
            await wait_for(pilot, lambda s=spec: app.tab_of(app.focused) == s.id)
            await pilot.pause()
            width, keys = _footer(app)
            badge = 11 if read_only else 0  # READ-ONLY takes the footer's first cells
            assert width + badge <= 80, f"{spec.id}: {width} columns: {keys}"
            assert "?" in keys, spec.id
            if i == 1 and not read_only:
                assert {"R", "x", "u", "K"} <= set(keys)  # the action keys are discoverable
            if i == 1 and read_only:
                assert not {"R", "x", "u", "K"} & set(keys)


async def test_k9s_keys_work_and_help_shows_them() -> None:
    app = make_demo_app(keymap="k9s")
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        detail = app.query_one("#services-detail")
        assert not detail.display
        await pilot.press("d")  # k9s: describe
        await wait_for(pilot, lambda: detail.display)
        await pilot.press("escape", "question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = _rows(app)
        assert rows["services.detail"][0].split() == ["⏎", "d"]
        assert rows["services.shell"][0] == "s"
        assert rows["table.page_down"][0].split() == ["pgdn", "^f"]
