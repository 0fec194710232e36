"""A widget showing lines of (text, style) runs, repainting only the lines that changed.

For charts refreshed every second: a Static re-renders and resends all its lines on any
update, this sends the one or two lines whose content moved.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import lru_cache

from rich.errors import StyleSyntaxError
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

Line = tuple[tuple[str, str], ...]


@lru_cache(maxsize=256)
def rich_style(name: str) -> Style:
    """A Rich Style from a style string that may hold Textual colour names (ansi_green).

    Theme variables give colours in Textual's vocabulary, which Rich does not parse.
    """
    try:
        return Style.parse(name) if name else Style()
    except StyleSyntaxError:
        pass
    words, colour = [], None
    for token in name.split():
        try:
            colour = Color.parse(token).rich_color
        except ColorParseError:
            words.append(token)
    return Style.parse(" ".join(words)) + Style(color=colour)


def text_lines(text: Text) -> list[Line]:
    """A Text (one base style plus spans) as lines of (text, style) runs."""
    out = []
    for line in text.split("\n", allow_blank=True):
        base = str(line.style) if line.style else ""
        cuts = sorted({0, len(line.plain)} | {p for sp in line.spans for p in (sp.start, sp.end)})
        runs = []
        for a, b in itertools.pairwise(cuts):
            if a >= b:
                continue
            styles = [base] + [str(sp.style) for sp in line.spans if sp.start <= a and sp.end >= b]
            runs.append((line.plain[a:b], " ".join(x for x in styles if x)))
        out.append(tuple(runs))
    return out


class LineView(Widget):
    """Lines of styled runs, no wrapping: a line too long ends in an ellipsis.

    Its height follows the number of lines unless the CSS fixes it.
    """

    DEFAULT_CSS = """
    LineView { height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._lines: list[Line] = []
        self._strips: dict[int, Strip] = {}
        self._base: Style | None = None  # rich_style walks every ancestor: keep it

    @property
    def plain(self) -> str:
        """The text shown, without styles."""
        return "\n".join("".join(text for text, _ in line) for line in self._lines)

    def set_lines(self, lines: Sequence[Sequence[tuple[str, str]]]) -> None:
        """Show these lines; only those that differ from before are repainted."""
        new = [tuple(line) for line in lines]
        if len(new) != len(self._lines):
            self.refresh(layout=True)  # height: auto follows the line count
        width = max(1, self.size.width)
        for y in range(max(len(new), len(self._lines))):
            before = self._lines[y] if y < len(self._lines) else None
            after = new[y] if y < len(new) else None
            if before != after:
                self._strips.pop(y, None)
                self.refresh(Region(0, y, width, 1))
        self._lines = new

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._base = None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._base is None:
            self._base = self.rich_style
        base = self._base
        if y >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._strips.get(y)
        if strip is None or strip.cell_length != width:
            segments = [Segment(text, base + rich_style(style)) for text, style in self._lines[y]]
            strip = Strip(segments)
            if strip.cell_length > width > 1:
                strip = Strip.join([strip.crop(0, width - 1), Strip([Segment("…", base)])])
            strip = strip.crop_extend(0, width, base)
            self._strips[y] = strip
        return strip
