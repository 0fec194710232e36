"""The Logs tab over several engines (issue 24): one LogFeed per engine, taken as one.

Each engine's feed follows its own engine on its own threads, with its own errors and
retries (a dead engine reports its reason; the others keep streaming). Its lines are
tagged `ENGINE/service` where they are made (`LineMaker(prefix=...)`), so the tab draws,
searches and saves them as before. With one engine the tab keeps its single LogFeed and
no line names an engine. No Textual.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from arctui.sources.docker_logs import LogWindow
from arctui.tabs.logs.reader import FeedBatch, LogFeed, session_maker, session_source

if TYPE_CHECKING:
    from arctui.session import Session
    from arctui.tabs.logs.models import LogLine

ENGINE_SEP = "/"  # between an engine's name and the line's own tag (names hold no `/`)


def line_engine(line: LogLine) -> str | None:
    """The engine a line was tagged with, or None (a one-engine line)."""
    engine, sep, _rest = line.source.partition(ENGINE_SEP)
    return engine if sep else None


class FleetFeed:
    """Every engine's LogFeed, the primary first; `take()` merges their batches."""

    def __init__(
        self,
        sessions: Sequence[Session],
        window: LogWindow,
        capacity: int,
        on_ready: Callable[[], None] | None = None,
        hold: Callable[[], bool] | None = None,
    ) -> None:
        self.feeds: dict[str, LogFeed] = {}
        seq = itertools.count()  # one arrival order: (ts, seq) names one line of any engine
        for session in sessions:
            name = session.engine_name
            maker = session_maker(session, name + ENGINE_SEP, seq)
            self.feeds[name] = LogFeed(
                session_source(session), (), window, maker, capacity, on_ready, hold
            )

    def start(self) -> None:
        for feed in self.feeds.values():
            feed.start()

    def stop(self) -> None:
        for feed in self.feeds.values():
            feed.stop()

    @property
    def history_loaded(self) -> bool:
        """Every engine handed over its history, or says why it cannot."""
        return all(f.history_loaded or f.error is not None for f in self.feeds.values())

    def errors(self) -> list[tuple[str, str]]:
        """(engine, reason) of each engine whose logs cannot be read now."""
        return [(name, f.error.reason) for name, f in self.feeds.items() if f.error is not None]

    def take(self) -> FeedBatch:
        """Every engine's waiting lines, in time order (the buffer merges them in)."""
        lines: list[LogLine] = []
        dropped = 0
        for feed in self.feeds.values():
            batch = feed.take()
            lines += batch.lines
            dropped += batch.dropped
        lines.sort(key=lambda ln: ln.key)
        return FeedBatch(lines, dropped, self.history_loaded)
