"""Several engines in one table (issue 24): row keys, the Engine cell, the engine filter.

Pure (no widgets), shared by the Services, Resources and Logs views. With one engine none
of this shows: row keys stay the bare service / container keys and no Engine column is
added, so a one-engine console looks exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from arctui.text import one_line
from arctui.ui.cells import DEFAULT_COLOURS, Colours, Row

ENGINE_COLUMN = ("engine", "Engine")
FILTER_WORD = "engine:"
SEP = "\x1f"  # between an engine's name and a row's own key (never in a name: NAME_RE)
PROD_MARK = "!"  # the production marker after an engine's name (and the red style)


@dataclass(frozen=True)
class EngineTag:
    """What a row says about its engine: name, production, stale (and why)."""

    name: str
    production: bool = False
    stale: str = ""  # the reason its last read failed; "" when fresh


def row_key(engine: str, key: str) -> str:
    """The table key of a row of `engine` (unique across engines)."""
    return f"{engine}{SEP}{key}"


def split_key(key: str | None) -> tuple[str | None, str | None]:
    """(engine, own key) of a table key; (None, key) for a one-engine key."""
    if key is None:
        return None, None
    engine, sep, own = key.partition(SEP)
    return (engine, own) if sep else (None, key)


def engine_cell(tag: EngineTag, palette: Colours = DEFAULT_COLOURS) -> Text:
    """`prod!` in bold red for production; a stale engine's name is muted, marked `~`."""
    name = one_line(tag.name, 32)
    if tag.production:
        text = Text(name + PROD_MARK, style=f"bold {palette['down']}")
    else:
        text = Text(name, style=palette["accent"])
    if tag.stale:
        text.stylize(palette["muted"])
        text.append(" ~stale", style=f"bold {palette['degraded']}")
    return text


def with_engine(row: Row, tag: EngineTag, palette: Colours = DEFAULT_COLOURS) -> Row:
    """`row` keyed by its engine, the Engine cell first."""
    return Row(key=row_key(tag.name, row.key), cells=(engine_cell(tag, palette), *row.cells))


def parse_filter(query: str) -> tuple[str | None, str]:
    """(`engine:NAME` of the filter, the rest of it). The last engine word wins."""
    engine = None
    rest = []
    for word in query.split():
        if word.casefold().startswith(FILTER_WORD):
            engine = word[len(FILTER_WORD) :] or None
        else:
            rest.append(word)
    return engine, " ".join(rest)


def engine_matches(wanted: str | None, name: str) -> bool:
    """Whether an engine passes the filter's `engine:` word (a prefix, any case)."""
    return wanted is None or name.casefold().startswith(wanted.casefold())


def next_filter(query: str, names: Sequence[str]) -> str:
    """The filter text with the next engine (after the last one, no engine word)."""
    current, rest = parse_filter(query)
    folded = [n.casefold() for n in names]
    if current is None or current.casefold() not in folded:
        following: str | None = names[0] if names else None
    else:
        i = folded.index(current.casefold())
        following = names[i + 1] if i + 1 < len(names) else None
    word = f"{FILTER_WORD}{following}" if following else ""
    return " ".join(p for p in (word, rest) if p)
