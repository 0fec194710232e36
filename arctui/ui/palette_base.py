"""The command palette: arctui's screen (two Textual races closed), and providers that
list text from outside (Redis keys, Postgres queries, service names) as plain text.

Textual's `Matcher.highlight` and the palette's help line parse strings as markup: a key
named `cache:[/]` raised a MarkupError and `[@click=app.quit]` made a clickable action.
Here every title and help is a `Content` built from the plain string, never parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, cast

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

Command = tuple[str, Callable[[], Any], str]  # title, callback, help


def highlighted(matcher: Matcher, text: str) -> Content:
    """`text` as plain content, the characters the query matched styled."""
    content = Content(text)
    _, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def plain(text: str) -> str:
    """Help text as content the palette shows as is (it accepts a `Content` at run time:
    `Content.from_markup` returns one unchanged)."""
    return cast(str, Content(text)) if text else ""


class PlainProvider(Provider):
    """A provider from `(all commands, the ones listed before anything is typed)`."""

    def _commands(self) -> tuple[list[Command], list[Command]]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        """Before typing: the suggested commands."""
        for name, callback, help_text in self._commands()[1]:
            yield DiscoveryHit(Content(name), callback, text=name, help=plain(help_text))

    async def search(self, query: str) -> Hits:
        """Fuzzy match over every command."""
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands()[0]:
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score, highlighted(matcher, name), callback, text=name, help=plain(help_text)
                )


class ArcPalette(CommandPalette):
    """Textual's command palette with two of its races closed (Textual 8.2.8).

    - PageUp/PageDown right after the first results fill an empty list crashed the app
      with `KeyError: 0` in `OptionList._move_page`: the list measures its lines only
      once it has a size, and it gets one at the next layout pass. A page key now waits
      for that pass when the list has no size yet.
    - The "No matches found" timer (0.5 s) could fire while the closing palette's
      widgets were being removed: `NoMatches: 'CommandList'`. It is stopped when the
      palette is suspended (this calls Textual's private `_stop_no_matches_countdown`,
      the only way to reach that timer).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown", "page(1)", "Next page", show=False, id="palette.page_down"),
        Binding("pageup", "page(-1)", "Previous page", show=False, id="palette.page_up"),
    ]

    def action_page(self, direction: int, waited: bool = False) -> None:
        """A page through the commands, once the list has been laid out."""
        commands = self.query(CommandList)
        if not commands:
            return
        command_list = commands.first()
        if not command_list.option_count:
            return
        if not command_list.scrollable_content_region:
            if not waited:  # filled since the last layout: page once it is measured
                self.call_after_refresh(self.action_page, direction, True)
            return
        if direction < 0:
            command_list.action_page_up()
        else:
            command_list.action_page_down()

    def on_screen_suspend(self, event: events.ScreenSuspend) -> None:
        self._stop_no_matches_countdown()


def open_palette(app: App) -> None:
    """Open arctui's command palette (ctrl+p and `:`), unless it is open already."""
    if app.use_command_palette and not CommandPalette.is_open(app):
        app.push_screen(ArcPalette(id="--command-palette"))
