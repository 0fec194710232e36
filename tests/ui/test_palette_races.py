"""The command palette's races (issue 18 item 4): each one ended the app.

- PageUp right after the first results fill an empty list, before the next layout:
  Textual's `OptionList._move_page` raised `KeyError: 0` (the list measures its lines
  only once it has a size). Reproduced here by filling the list the way the palette
  does when results arrive, then paging in the same turn.
- The "No matches found" timer firing while the closing palette's widgets are being
  removed raised `NoMatches: 'CommandList'`: it must be stopped when the palette closes.
"""

from __future__ import annotations

from textual.command import Command, CommandList, CommandPalette, Hit
from textual.content import Content

from arctui.ui.palette_base import ArcPalette
from tests.ui.conftest import loaded, make_demo_app, wait_for


def _options(n: int) -> list[Command]:
    return [
        Command(Content(f"command {i}"), Hit(1.0, Content(f"command {i}"), lambda: None), id=str(i))
        for i in range(n)
    ]


async def _open(pilot) -> CommandPalette:
    await pilot.press("colon")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    return pilot.app.screen


async def test_page_up_as_results_fill_an_empty_list_does_not_crash() -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        palette = await _open(pilot)
        assert isinstance(palette, ArcPalette)  # ctrl+p and `:` open arctui's palette
        command_list = palette.query_one(CommandList)
        await wait_for(pilot, lambda: command_list.option_count > 0)
        await wait_for(pilot, lambda: palette.has_class("-ready"))  # discovery is done
        command_list.clear_options()  # a search with nothing yet: the list has no height
        await wait_for(pilot, lambda: not command_list.scrollable_content_region)
        # Results arrive (what the palette's `_refresh_command_list` does) and the page
        # key that was waiting is handled before any layout pass.
        command_list.clear_options().add_options(_options(40))
        command_list.highlighted = 0
        await palette.run_action("page(-1)")
        await palette.run_action("page(1)")
        await pilot.pause()
        await wait_for(pilot, lambda: bool(command_list.scrollable_content_region))
        await pilot.pause()
        assert command_list.highlighted not in (None, 0)  # the deferred page down moved
        await pilot.press("pageup")
        assert command_list.highlighted == 0
        assert app.return_code is None  # still running


async def test_closing_the_palette_stops_its_no_matches_timer() -> None:
    app = make_demo_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        palette = await _open(pilot)
        await pilot.press(*"zqxjzqxj")  # matches nothing
        # The search ends with no hit and starts the 0.5 s "No matches found" countdown.
        await wait_for(pilot, lambda: palette._no_matches_timer is not None)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))
        await wait_for(pilot, lambda: not palette.is_attached)  # suspended, then removed
        # Stopped when the palette was suspended, before its widgets were removed.
        assert palette._no_matches_timer is None
        await pilot.pause(0.7)
        assert app.return_code is None
