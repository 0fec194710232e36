"""The session's log source, for every reader of logs (the Logs tab, doctor, diagnostics,
the recorder): the demo's simulation, or the real engine through the session's one engine
client and event subscription."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arctui.session import Session


def log_source(session: Session) -> Any:
    """A new log source over the session's engine (same interface for demo and real)."""
    if session.demo:
        from arctui.demo.logs import DemoLogSource

        return DemoLogSource(clock=session.clock)
    from arctui.sources.docker_logs import DockerLogSource

    return DockerLogSource(
        session.project, environ=session.environ, engine=session.engine, hub=session.events
    )
