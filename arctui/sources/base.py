"""Interfaces every stack source implements: the real engine and the demo alike.

The UI and `ops/` only ever see these protocols, so they cannot tell the demo
platform from a real Docker engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
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
    name: str = ""  # the container's name, as the event's actor attributes carry it


# Container events that change what arctui shows. Exec events (health checks every few
# seconds per container) are not state changes; the engine is asked to filter them out.
STATE_EVENTS = (
    "create", "start", "restart", "die", "stop", "kill", "oom", "pause", "unpause",
    "destroy", "rename", "update", "health_status",
)  # fmt: skip


def is_state_event(action: str) -> bool:
    """Whether an event action (`health_status: healthy` included) changes container state."""
    return action.partition(":")[0].strip() in STATE_EVENTS


class ContainerSource(Protocol):
    """Reads the containers of one compose project from an engine."""

    @property
    def endpoint(self) -> str:
        """Where the engine is reached (for the header), e.g. unix:///var/run/docker.sock."""
        ...

    def containers(
        self, project: str, known: Mapping[str, ContainerInfo] | None = None
    ) -> list[ContainerInfo]:
        """All containers (running or not) labelled with this compose project.

        `known` (the last read, by id) lets a source skip re-inspecting containers whose
        listed state has not changed.

        Raises SourceError when the engine cannot be reached.
        """
        ...

    def container(self, project: str, container_id: str) -> ContainerInfo | None:
        """One container of the project, inspected; None if gone or of another project.

        Raises SourceError when the engine cannot be reached.
        """
        ...

    def follow_events(
        self,
        project: str,
        on_event: Callable[[EngineEvent], None],
        stop: threading.Event,
        since: float | None = None,
    ) -> None:
        """Block, calling `on_event` for each state event (STATE_EVENTS) of the project,
        from `since` (unix seconds; None: from now).

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
