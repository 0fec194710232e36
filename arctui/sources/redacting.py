"""Sources that teach the session's redactor every secret they read, and redact their errors.

The containers' environment (and secret-named labels) and the compose file's declared
environment hold secrets the env files may not: each read adds them to the session's one
`Redactor`, so a secret learnt from a container is masked in every later output (table,
detail pane, status, action output, screenshots). Error texts from these sources
(compose's own "invalid containerPort: <the password>") are redacted where they are
raised, so the banner, `status --json` and the logs never see them. No Textual here.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from typing import Any

from arctui.config.masking import Redactor, env_secrets
from arctui.models import ComposeModel, ContainerInfo
from arctui.sources.base import ComposeSource, ContainerSource, EngineEvent, SourceError


def _redacted(exc: SourceError, redactor: Redactor) -> SourceError:
    return SourceError(redactor.redact(exc.reason), redactor.redact(exc.fix))


class LearningContainers:
    """A ContainerSource whose reads feed the redactor; everything else is the inner one."""

    def __init__(self, inner: ContainerSource, redactor: Redactor) -> None:
        self.inner = inner
        self.redactor = redactor

    def __getattr__(self, name: str) -> Any:
        # The demo's `simulate_action` and any source-specific extra.
        return getattr(self.inner, name)

    @property
    def endpoint(self) -> str:
        """Where the engine is reached."""
        return self.inner.endpoint

    def containers(
        self, project: str, known: Mapping[str, ContainerInfo] | None = None
    ) -> list[ContainerInfo]:
        """The inner source's containers; their secrets learnt."""
        try:
            found = self.inner.containers(project, known)
        except SourceError as exc:
            raise _redacted(exc, self.redactor) from None
        self.redactor.learn_containers(found)
        return found

    def container(self, project: str, container_id: str) -> ContainerInfo | None:
        """One container; its secrets learnt."""
        try:
            info = self.inner.container(project, container_id)
        except SourceError as exc:
            raise _redacted(exc, self.redactor) from None
        if info is not None:
            self.redactor.learn_containers([info])
        return info

    def follow_events(
        self,
        project: str,
        on_event: Callable[[EngineEvent], None],
        stop: threading.Event,
        since: float | None = None,
    ) -> None:
        """The inner source's event stream."""
        try:
            self.inner.follow_events(project, on_event, stop, since=since)
        except SourceError as exc:
            raise _redacted(exc, self.redactor) from None

    def close(self) -> None:
        """Close the inner source."""
        self.inner.close()


class LearningCompose:
    """A ComposeSource whose declared environment feeds the redactor; errors redacted."""

    def __init__(self, inner: ComposeSource, redactor: Redactor) -> None:
        self.inner = inner
        self.redactor = redactor

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def model(self) -> ComposeModel:
        """The declared services; compose's error text redacted."""
        try:
            model = self.inner.model()
        except SourceError as exc:
            raise _redacted(exc, self.redactor) from None
        for service in model.services:
            self.redactor.learn(env_secrets(service.environment))
            self.redactor.learn(env_secrets(service.labels.items()))
        problem = getattr(model, "problem", None)  # a file set that rendered in part
        if problem:
            model = dataclasses.replace(model, problem=self.redactor.redact(problem))
        return model
