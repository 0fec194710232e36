"""The Resources tab over several engines (issue 24): one usage feed per other engine.

Each other engine's `ResourcesFeed` has its own poller (`resources@NAME`, its own thread
and backoff), so a hung engine delays only its own rows, which then show stale with the
reason. The rows of every engine are rebuilt only for the engines whose reading changed,
so the cost per container stays what it is with one engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from arctui.models import SourceFailure
from arctui.tabs.resources.models import ResourcesSnapshot
from arctui.tabs.resources.rates import History
from arctui.tabs.resources.view.polling import ResourcesFeed
from arctui.tabs.resources.view.presenters import resource_row, visible_containers
from arctui.ui.cells import Colours, Row
from arctui.ui.fleet_cells import EngineTag, engine_matches, parse_filter, with_engine

if TYPE_CHECKING:
    from textual.widget import Widget

    from arctui.session import Session

PREFIX = "resources@"


@dataclass
class EngineUsage:
    """One engine's last reading, its failure, its chart history and its rows."""

    session: Session
    feed: ResourcesFeed | None = None  # None: the primary (the tab's own feed)
    snapshot: ResourcesSnapshot | None = None
    failure: SourceFailure | None = None
    history: History = field(default_factory=History)
    rows: list[Row] | None = None  # the rows as last built (None: build again)
    rows_for: tuple[object, ...] = ()

    @property
    def name(self) -> str:
        return self.session.engine_name

    def tag(self) -> EngineTag:
        stale = self.failure.reason if self.failure is not None else ""
        return EngineTag(self.name, self.session.production, stale)


class FleetUsage:
    """Every engine's usage, the primary first (its reading comes from the tab's feed)."""

    def __init__(self, host: Widget, sessions: Sequence[Session], interval: float) -> None:
        self.engines: dict[str, EngineUsage] = {}
        for i, session in enumerate(sessions):
            feed = None
            if i and session.resources is not None:
                feed = ResourcesFeed(host, session.resources, interval, engine=session.engine_name)
            self.engines[session.engine_name] = EngineUsage(session, feed)
        self.primary = next(iter(self.engines.values()))

    @property
    def feeds(self) -> list[ResourcesFeed]:
        return [e.feed for e in self.engines.values() if e.feed is not None]

    def start(self) -> None:
        for feed in self.feeds:
            feed.start()

    def stop(self) -> None:
        for feed in self.feeds:
            feed.stop()

    def engine_of(self, source: str) -> EngineUsage | None:
        """The engine a `resources@NAME` message is from."""
        if not source.startswith(PREFIX):
            return None
        return self.engines.get(source[len(PREFIX) :])

    def updated(
        self, usage: EngineUsage, snapshot: ResourcesSnapshot, past: list[ResourcesSnapshot]
    ) -> None:
        """A reading of an engine: its history grows, its rows are rebuilt next time."""
        usage.failure = None
        usage.history.extend(past)
        usage.history.add(snapshot)
        usage.snapshot = snapshot
        usage.rows = None

    def failed(self, usage: EngineUsage, failure: SourceFailure) -> None:
        usage.failure = failure
        usage.rows = None  # the Engine cell says stale

    def rows(self, query: str, column: str, reverse: bool, palette: Colours) -> list[Row]:
        """Rows of every engine the filter lets through, grouped by engine."""
        wanted, rest = parse_filter(query)
        out: list[Row] = []
        for usage in self.engines.values():
            snap = usage.snapshot
            if snap is None or not engine_matches(wanted, usage.name):
                continue
            key = (rest, column, reverse, id(palette), usage.failure)
            if usage.rows is None or usage.rows_for != key:
                tag, ncpu = usage.tag(), snap.host.ncpu
                shown = visible_containers(snap, rest, column, reverse)
                usage.rows = [
                    with_engine(resource_row(c, ncpu, palette), tag, palette) for c in shown
                ]
                usage.rows_for = key
            out += usage.rows
        return out

    def total(self) -> int:
        """Containers of every engine (to tell "no match" from "nothing running")."""
        return sum(len(e.snapshot.containers) for e in self.engines.values() if e.snapshot)

    def stale(self) -> list[str]:
        """`NAME: reason` of each other engine whose last reading failed."""
        return [
            f"{e.name}: {e.failure.reason}" for e in self.engines.values() if e.failure and e.feed
        ]
