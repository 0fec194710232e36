"""The command palette's providers list text from outside (Redis keys, Postgres queries,
service names) as plain text.

Textual's `Matcher.highlight` and the palette's help line parse strings as markup: a key
named `cache:[/]` raised a MarkupError and `[@click=app.quit]` made a clickable action.
Here every title and help is a `Content` built from the plain string, never parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
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
