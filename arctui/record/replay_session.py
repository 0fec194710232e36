"""The session of a replay: the live one with every outside reader swapped for the frame.

`replay_session(session, when, store_path)` opens the project's store read-only, finds the
moment, and returns the session with `replay_at` (the gate refuses every action), the
`Replay` controller, a clock that reads the moment shown (ages on screen are "as of
then"), a stack reader that returns the frame's stack, and a Resources source that
returns the frame's usage. The engine is replaced by one that refuses every call, so a
path forgotten here fails loudly instead of showing the present as the past.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from arctui.config.errors import ConfigError
from arctui.models import ContainerInfo, StackSnapshot
from arctui.record.replay import FrameStore, Replay, ReplayError
from arctui.record.when import WhenError, parse_when
from arctui.session import Session
from arctui.sources.base import EngineEvent, SourceError
from arctui.stack.reader import StackReader

NO_ENGINE = "replay: the engine is not read (the screen shows a recorded moment)"


class NoEngine:
    """The containers source of a replay: every call refuses (nothing live is read)."""

    endpoint = "replay (recorded)"

    def containers(
        self, project: str, known: Mapping[str, ContainerInfo] | None = None
    ) -> list[ContainerInfo]:
        raise SourceError(NO_ENGINE)

    def container(self, project: str, container_id: str) -> ContainerInfo | None:
        raise SourceError(NO_ENGINE)

    def follow_events(
        self,
        project: str,
        on_event: Callable[[EngineEvent], None],
        stop: threading.Event,
        since: float | None = None,
    ) -> None:
        raise SourceError(NO_ENGINE)

    def close(self) -> None:
        """Nothing is open."""


class ReplayStackReader(StackReader):
    """The stack as recorded at the moment shown (tabs asking `latest()` get it too)."""

    def __init__(self, project: str, replay: Replay) -> None:
        super().__init__(project, NoEngine(), None, clock=replay.clock)
        self.replay = replay

    def _recorded(self) -> StackSnapshot:
        snapshot = self.replay.snapshot("stack")
        if snapshot is None:
            raise SourceError(f"replay: {self.replay.missing('stack')}")
        return snapshot  # type: ignore[no-any-return]

    def read(self, force_compose: bool = False, with_compose: bool = True) -> StackSnapshot:
        return self._recorded()

    def read_next(self, force_compose: bool = False) -> StackSnapshot:
        return self._recorded()

    def latest(self, max_age: float = 5.0) -> StackSnapshot:
        return self._recorded()


class ReplayResources:
    """The Resources tab's source in replay (the `ResourcesSource` protocol)."""

    def __init__(self, project: str, replay: Replay) -> None:
        self.project = project
        self.replay = replay

    def read(self) -> Any:
        return self.replay.reader("resources")()[0]

    def volumes(self) -> Any:
        return self.replay.reader("volumes")()

    def follow_events(self, on_change: Callable[[str], None], stop: threading.Event) -> None:
        stop.wait()  # no engine events in a replay: the moves ask for reads

    def backfill(self, seconds: float) -> list[Any]:
        return []  # the replay reader hands the history with each new moment

    def close(self) -> None:
        """Nothing is open."""


def open_store(path: Path) -> FrameStore:
    """The store at `path`, read-only. Raises ConfigError with why not."""
    from arctui.record.store import Store, StoreError, StoreMissing

    try:
        return Store.open(path, readonly=True)
    except StoreMissing:
        raise ConfigError(
            f"nothing recorded at {path}: run `arctui record` for this project, or pass --store"
        ) from None
    except StoreError as exc:  # a damaged or foreign file: said, never a traceback
        raise ConfigError(f"cannot replay: {exc}") from None


def replay_session(
    session: Session,
    when: str,
    store_path: Path | None,
    store: FrameStore | None = None,
) -> Session:
    """`session` turned into a replay of the moment `when`. Raises ConfigError."""
    from arctui.record.store import default_path

    path = store_path or default_path(session.project)
    if store is None:
        store = open_store(path)
    try:
        at = parse_when(when, session.clock())
        replay = Replay(store, at)
    except (WhenError, ReplayError) as exc:
        store.close()
        raise ConfigError(f"--at: {exc}") from None
    session.close()  # the live session's streams (none opened yet: nothing is read)
    replayed = dataclasses.replace(
        session,
        reader=ReplayStackReader(session.project, replay),
        clock=replay.clock,
        engine=None,
        events=None,  # type: ignore[arg-type]  # a hub over NoEngine; the app never subscribes
        replay_at=at,
        replay=replay,
    )
    object.__setattr__(replayed, "resources", ReplayResources(session.project, replay))
    return replayed
