"""Interfaces every stack source implements: the real engine and the demo alike.

The UI and `ops/` only ever see these protocols, so they cannot tell the demo
platform from a real Docker engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from arctui.models import ComposeModel, ContainerInfo


class SourceError(Exception):
    """A source could not be read. `reason` is one line; `fix` is a hint for the operator."""

    def __init__(self, reason: str, fix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


@dataclass(frozen=True)
class EngineEvent:
    """A container event from the engine's event stream."""

    action: str  # start, die, health_status: healthy, oom, destroy ...
    container_id: str
    service: str
    time: float


class ContainerSource(Protocol):
    """Reads the containers of one compose project from an engine."""

    @property
    def endpoint(self) -> str:
        """Where the engine is reached (for the header), e.g. unix:///var/run/docker.sock."""
        ...

    def containers(self, project: str) -> list[ContainerInfo]:
        """All containers (running or not) labelled with this compose project.

        Raises SourceError when the engine cannot be reached.
        """
        ...

    def follow_events(
        self,
        project: str,
        on_event: Callable[[EngineEvent], None],
        stop: threading.Event,
    ) -> None:
        """Block, calling `on_event` for each container event of the project, until `stop`.

        Returns normally when the stream ends (daemon restart) so the caller can
        resubscribe; raises SourceError when the engine cannot be reached.
        """
        ...

    def close(self) -> None:
        """Release connections; makes a blocked `follow_events` return."""
        ...


class ComposeSource(Protocol):
    """Renders the compose configuration of the project."""

    def model(self) -> ComposeModel:
        """The declared services. Raises SourceError with compose's own message on failure."""
        ...
