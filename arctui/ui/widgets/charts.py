"""Small history charts as Text: vertical eighth-block bars, a y scale, a dashed limit line.

Pure functions (no widgets), so they are cheap to redraw every second and easy to test.
Chosen over plotext because the output is plain cells the theme colours, the limit line
is exact, and a frozen clock gives the same picture every time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from rich.text import Text


class Sample(Protocol):
    """A history sample: anything with a time (a tab's points; the shell knows no tab)."""

    @property
    def t(self) -> float: ...


P = TypeVar("P", bound=Sample)

BLOCKS = " ▁▂▃▄▅▆▇█"
GUTTER = 7  # y labels


def resample(
    points: Sequence[P],
    get: Callable[[P], float | None],
    now: float,
    window: float,
    width: int,
) -> list[float | None]:
    """`width` buckets covering the last `window` seconds; each the max of its samples.

    Bucket edges sit on multiples of the bucket length, not on `now`, so from one second
    to the next only the newest bucket changes and the chart needs no redraw at all.
    """
    if width <= 0:
        return []
    out: list[float | None] = [None] * width
    step = window / width
    end = math.floor(now / step) * step + step  # the newest bucket holds `now`
    start = end - window
    for p in points:
        value = get(p)
        if value is None or p.t < start or p.t > now:
            continue
        i = min(width - 1, int((p.t - start) / step))
        current = out[i]
        out[i] = value if current is None else max(current, value)
    return out


def nice_ceiling(value: float) -> float:
    """The next 1, 2, 2.5 or 5 x 10^k at or above `value` (a readable top of scale)."""
    if value <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * base * 1.0000001:
            return step * base
    return 10 * base  # pragma: no cover


Run = tuple[str, str]  # text, style
Line = tuple[Run, ...]


def bar_chart(
    values: Sequence[float | None],
    height: int,
    top: float,
    limit: float | None,
    label: Callable[[float], str],
    style: str = "",
    limit_style: str = "",
) -> list[Line]:
    """Bars from the bottom; the limit as a dashed line where no bar covers it.

    Lines of (text, style) runs, top first: a line view repaints only the lines that
    changed (usually one or two per tick), and `as_text` makes a Text of them.
    """
    if height <= 0 or top <= 0:
        return []
    levels = [None if v is None else max(0, round(v / top * height * 8)) for v in values]
    limit_row = None
    if limit is not None and 0 < limit <= top:
        limit_row = height - 1 - min(height - 1, int(limit / top * height - 1e-9))
    out = []
    for r in range(height):
        base = (height - 1 - r) * 8
        if r == 0:
            gutter = label(top)
        elif r == limit_row:
            gutter = "lim"
        elif r == height - 1:
            gutter = "0"
        else:
            gutter = ""
        chars = []
        for level in levels:
            fill = 0 if level is None else min(8, max(0, level - base))
            chars.append("┄" if fill == 0 and r == limit_row else BLOCKS[fill])
        out.append(
            ((f"{gutter:>{GUTTER - 1}} ", "dim"), *_runs("".join(chars), style, limit_style))
        )
    return out


def _runs(line: str, style: str, limit_style: str) -> list[Run]:
    """Split a row into runs: dashes styled as the limit, blocks as bars."""
    runs, start = [], 0
    for i in range(1, len(line) + 1):
        if i == len(line) or (line[i] == "┄") != (line[start] == "┄"):
            runs.append((line[start:i], limit_style if line[start] == "┄" else style))
            start = i
    return runs


def as_text(lines: Sequence[Line]) -> Text:
    """The lines as one Text (for tests and for widgets that want Text)."""
    out = Text(no_wrap=True)
    for i, line in enumerate(lines):
        if i:
            out.append("\n")
        for text, style in line:
            out.append(text, style=style)
    return out
