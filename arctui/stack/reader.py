"""Reading the stack's state: shared by the Services tab and `arctui status`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from arctui.models import ComposeModel, StackSnapshot
from arctui.sources.base import ComposeSource, ContainerSource, SourceError
from arctui.stack.catalog import Catalog, default_catalog
from arctui.stack.model import build_services


class StackReader:
    """Reads one compose project: engine state every call, compose config when files change."""

    def __init__(
        self,
        project: str,
        containers: ContainerSource,
        compose: ComposeSource | None,
        watched_files: tuple[Path, ...] = (),
        catalog: Catalog | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.project = project
        self.containers = containers
        self.compose = compose
        self._watched = watched_files
        self._catalog = catalog or default_catalog()
        self._clock = clock
        self._compose_key: tuple[float, ...] | None = None
        self._model: ComposeModel | None = None
        self._compose_error: str | None = None

    def _files_key(self) -> tuple[float, ...]:
        key = []
        for path in self._watched:
            try:
                key.append(path.stat().st_mtime)
            except OSError:
                key.append(-1.0)
        return tuple(key)

    def compose_model(self, force: bool = False) -> tuple[ComposeModel | None, str | None]:
        """The declared services, re-rendered only when a compose or env file changed."""
        if self.compose is None:
            return None, None
        key = self._files_key()
        if force or key != self._compose_key:
            try:
                self._model, self._compose_error = self.compose.model(), None
            except SourceError as exc:
                self._model, self._compose_error = None, exc.reason
            self._compose_key = key
        return self._model, self._compose_error

    def read(self, force_compose: bool = False) -> StackSnapshot:
        """A fresh snapshot. Raises SourceError when the engine cannot be read."""
        model, error = self.compose_model(force_compose)
        containers = self.containers.containers(self.project)
        return StackSnapshot(
            project=self.project,
            services=build_services(containers, model, self._catalog),
            taken_at=self._clock(),
            endpoint=self.containers.endpoint,
            compose_error=error,
        )
