"""How a log line and the status bar look (pure: data in, Rich Text out).

Outside text only ever enters a `Text` as plain text (never markup); it was already
cleaned by the reader. Colours come from the theme's variables.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache

from rich.style import Style
from rich.text import Text

from arctui.tabs.logs.filter import LineFilter
from arctui.tabs.logs.fleet_feed import ENGINE_SEP
from arctui.tabs.logs.models import Level, LogLine
from arctui.ui.fleet_cells import PROD_MARK

# Theme variables a service tag may take, in order; the same service always gets the
# same one (crc32 of its name), whatever else is running.
TAG_VARIABLES = ("primary", "accent", "secondary", "success", "role", "primary-lighten-2",
                 "accent-lighten-2", "success-lighten-2", "secondary-lighten-2")  # fmt: skip


TAB = 4


@dataclass(frozen=True)
class LineLook:
    """What changes how every line renders (the cache key besides the line itself)."""

    timestamps: bool = True
    tag_width: int = 12
    colours: tuple[tuple[str, str], ...] = ()  # (kind, colour) from the theme
    # Several engines (issue 24): production engines' names, drawn `prod!/` in bold red.
    production: frozenset[str] = frozenset()

    def colour(self, kind: str) -> str:
        """A theme colour by kind ('' when the theme has none)."""
        return dict(self.colours).get(kind, "")

    @cached_property
    def styles(self) -> dict[str, Style]:
        """Rich styles by kind, built once per look (a line renders many times)."""
        out = {kind: _style(colour) for kind, colour in self.colours}
        for i in range(len(TAG_VARIABLES)):
            out[f"tag{i}"] = _style(self.colour(f"tag{i}"), bold=True)
        try:
            out["hit"] = Style(
                bgcolor=self.colour("match") or None, color=self.colour("match-text") or None
            )
        except Exception:
            out["hit"] = Style(reverse=True)
        out["plain"] = Style()
        out["production"] = _style(self.colour("error"), bold=True)
        return out


def look_colours(variables: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The colours a LineLook needs, from the app's CSS variables."""
    kinds = {
        "error": variables.get("error", ""),
        "warn": variables.get("warning", ""),
        "muted": variables.get("status-muted", variables.get("text-muted", "")),
        "match": variables.get("accent", ""),
        "match-text": variables.get("background", ""),
    }
    for i, name in enumerate(TAG_VARIABLES):
        kinds[f"tag{i}"] = variables.get(name, "")
    return tuple(sorted(kinds.items()))


@lru_cache(maxsize=512)
def tag_kind(service: str) -> str:
    """The stable colour slot of a service."""
    return f"tag{zlib.crc32(service.encode()) % len(TAG_VARIABLES)}"


def _style(colour: str, bold: bool | None = None) -> Style:
    try:
        return Style(color=colour or None, bold=bold)
    except Exception:  # a theme value Rich cannot read: no colour rather than a crash
        return Style(bold=bold)


_SECONDS: dict[int, str] = {}


def clock(ts_ns: int) -> str:
    """`HH:MM:SS.mmm` in UTC (the second's text cached: many lines share it)."""
    seconds, nanos = divmod(ts_ns, 1_000_000_000)
    head = _SECONDS.get(seconds)
    if head is None:
        if len(_SECONDS) > 4096:
            _SECONDS.clear()
        head = _SECONDS[seconds] = datetime.fromtimestamp(seconds, UTC).strftime("%H:%M:%S")
    return f"{head}.{nanos // 1_000_000:03d}"


def line_text(line: LogLine, look: LineLook, flt: LineFilter | None = None) -> Text:
    """One line: `[time] tag |text` with level colour and search matches highlighted."""
    styles = look.styles
    out = Text(no_wrap=True, end="")
    if look.timestamps:
        out.append(clock(line.ts_ns) + " ", style=styles["muted"])
    source = line.source
    engine = production_engine(source, look.production)
    if engine:  # `prod!/api`: the production mark, as in the Engine column
        source = f"{engine}{PROD_MARK}{source[len(engine) :]}"
    tag = source[: look.tag_width].ljust(look.tag_width)
    start = len(out.plain)
    out.append(tag, style=styles[tag_kind(line.service)])
    if engine:
        out.stylize(styles["production"], start, start + len(engine) + len(PROD_MARK))
    if line.stream == "stderr":
        out.append(" ! ", style=styles["warn"])
    else:
        out.append(" │ ", style=styles["muted"])
    start = len(out.plain)
    level = line.level
    if level is not None and level >= Level.ERROR:
        text_style = styles["error"]
    elif level == Level.WARN:
        text_style = styles["warn"]
    elif level == Level.DEBUG:
        text_style = styles["muted"]
    else:
        text_style = styles["plain"]
    text = shown_text(line.text)
    out.append(text, style=text_style)  # plain text: never parsed as markup
    if flt is not None:
        for a, b in flt.spans(text):
            out.stylize(styles["hit"], start + a, start + b)
    return out


def production_engine(source: str, production: frozenset[str]) -> str:
    """The production engine a line's tag names (`prod/api` -> `prod`), else ""."""
    if not production:
        return ""
    engine, sep, _ = source.partition(ENGINE_SEP)
    return engine if sep and engine in production else ""


def tag_width(source: str, production: frozenset[str]) -> int:
    """Cells a line's tag takes (a production engine's mark is one more)."""
    return len(source) + (1 if production_engine(source, production) else 0)


def shown_text(text: str) -> str:
    """The text as drawn: tabs expanded (a raw tab would move the terminal's cursor)."""
    return text.expandtabs(TAB) if "\t" in text else text


def prefix_width(look: LineLook) -> int:
    """Cells before the text: time, tag, stream mark."""
    return (13 if look.timestamps else 0) + look.tag_width + 3


@dataclass(frozen=True)
class StatusInfo:
    """What the status line reports."""

    containers: int
    lines: int
    shown: int
    dropped: int
    live: bool
    new_below: int
    filter_text: str
    only_matching: bool
    wrap: bool
    timestamps: bool
    loading: bool
    error: str = ""
    lost: bool = False  # paused, and the lines it showed were evicted (the buffer is full)


def status_text(info: StatusInfo) -> Text:
    """The line above the log: state, counts, filter, toggles."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if info.error:
        out.append(f"⚠ {info.error}  ", style="bold")
    if info.loading:
        out.append("loading… ", style="bold")
    elif info.live:
        out.append("● LIVE ", style="bold")
    else:
        out.append("❚❚ PAUSED ", style="bold")
        if info.lost:
            out.append("(the lines you were on were evicted: buffer full) ", style="bold")
        if info.new_below:
            out.append(f"(+{info.new_below:,} new, G for live) ")
    plural = "" if info.containers == 1 else "s"
    out.append(f"{info.containers} container{plural} · {info.shown:,}/{info.lines:,} lines")
    if info.dropped:
        out.append(f" · {info.dropped:,} dropped", style="bold")
    out.append(f" · {info.filter_text}")
    if info.only_matching:
        out.append(" · only matching")
    flags = [f"time {'on' if info.timestamps else 'off'}", f"wrap {'on' if info.wrap else 'off'}"]
    out.append(" · " + ", ".join(flags))
    return out


def empty_text(info: StatusInfo) -> str:
    """What an empty view says: why there is no line to show."""
    if info.loading or info.shown:
        return ""
    if info.error:
        return "No lines: the log stream cannot be read (the reason is above)."
    if info.lines:
        return f"No line of the {info.lines:,} held matches: {info.filter_text}."
    return (
        "No log lines yet: no container of this project has written any. A stack that was"
        " never started has none (the Services tab shows what runs)."
    )
