"""Reading the stack's state: shared by the Services tab and `arctui status`.

A full read lists and inspects every container of the project (and re-renders the compose
config when a compose or env file changed). Between full reads, engine events name the
containers that changed; `read_next()` re-inspects only those. Health checks make the
engine emit exec events every few seconds per container: they are filtered out at the
engine (see `STATE_EVENTS`), which made the difference between 1 % and 34 % of a core.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from pathlib import Path

from arctui.models import ComposeModel, ContainerInfo, StackSnapshot
from arctui.sources.base import ComposeSource, ContainerSource, EngineEvent, SourceError
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
        # Engine state between full reads: container id -> info, and ids events named.
        self._containers: dict[str, ContainerInfo] | None = None
        self._changed: set[str] = set()
        self._full_wanted = False
        self._lock = threading.Lock()  # the event set, taken briefly by any thread
        # Reads share the cached containers and compose model: one at a time, whatever
        # the thread (the app's poller, a tab discovering its datastore, an action).
        self._read_lock = threading.RLock()
        self.last: StackSnapshot | None = None
        self.reconcile_every = math.inf  # seconds between full reads in read_next()
        self._last_full = -math.inf
        self.compose_pending = False  # a full read with the compose model is still owed
        self.full_reads = 0  # counted for the tests and benchmarks
        self.partial_reads = 0

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
        with self._read_lock:
            return self._compose_model(force)

    def _compose_model(self, force: bool) -> tuple[ComposeModel | None, str | None]:
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

    def read(self, force_compose: bool = False, with_compose: bool = True) -> StackSnapshot:
        """A fresh snapshot from a full read. Raises SourceError when the engine cannot be read.

        `with_compose=False` keeps the last compose model (none at first): the container
        list comes first, `docker compose config` (a subprocess, ~0.5 s) right after.
        """
        with self._read_lock:
            return self._read(force_compose, with_compose)

    def _read(self, force_compose: bool, with_compose: bool, reuse: bool = False) -> StackSnapshot:
        with self._lock:
            self._changed.clear()
            self._full_wanted = False
        if with_compose:
            model, error = self.compose_model(force_compose)
        else:
            model, error = self._model, self._compose_error
        # The timed reconcile re-inspects only what the list shows as changed; a forced
        # read (refresh, first read, event stream lost) inspects everything.
        known = self._containers if reuse else None
        if known is None:
            containers = self.containers.containers(self.project)
        else:
            containers = self.containers.containers(self.project, known)
        self._containers = {c.id: c for c in containers}
        self._last_full = time.monotonic()
        self.full_reads += 1
        snapshot = self._snapshot(model, error)
        if with_compose:
            self.compose_pending = False  # only once a snapshot with the model exists
        return snapshot

    def note_event(self, event: EngineEvent | None) -> None:
        """An engine event (any thread): its container is re-read by the next `read_next()`.

        None means the event stream ended (daemon restart): the next read is a full one.
        """
        with self._lock:
            if event is None or not event.container_id:
                self._full_wanted = True
            else:
                self._changed.add(event.container_id)

    def want_full(self) -> None:
        """Make the next `read_next()` a full read (the reconcile poll, or refresh)."""
        with self._lock:
            self._full_wanted = True

    def read_next(self, force_compose: bool = False) -> StackSnapshot:
        """Re-read only the containers events named, or everything when a full read is due."""
        with self._read_lock:
            return self._read_next(force_compose)

    def latest(self, max_age: float = 5.0) -> StackSnapshot:
        """The last snapshot if younger than `max_age` seconds, else a fresh full read.

        For tabs that look up their datastore's container: the app keeps the snapshot
        fresh, so they need not list and inspect the engine on every poll.
        """
        last = self.last
        if last is not None and self._clock() - last.taken_at <= max_age:
            return last
        return self.read()

    def _read_next(self, force_compose: bool) -> StackSnapshot:
        with self._lock:
            changed, self._changed = self._changed, set()
            forced = self._full_wanted or self._containers is None or force_compose
            timed = time.monotonic() - self._last_full >= self.reconcile_every
            full = forced or timed
        if full:
            if self._containers is None and self._compose_key is None and self.compose:
                # The first frame shows what runs; what compose declares follows at once.
                snapshot = self.read(with_compose=False)
                self.compose_pending = True
                self.want_full()
                return snapshot
            return self._read(force_compose, with_compose=True, reuse=not forced)
        known = dict(self._containers or {})
        for cid in changed:
            info = self.containers.container(self.project, cid)
            if info is None:
                known.pop(cid, None)  # destroyed, or not of this project
            else:
                known[cid] = info
        self._containers = known
        self.partial_reads += 1
        return self._snapshot(self._model, self._compose_error)

    def _snapshot(self, model: ComposeModel | None, error: str | None) -> StackSnapshot:
        containers = sorted((self._containers or {}).values(), key=lambda c: c.name)
        self.last = StackSnapshot(
            project=self.project,
            services=build_services(containers, model, self._catalog),
            taken_at=self._clock(),
            endpoint=self.containers.endpoint,
            # A file set that rendered in part: the model says why, and still declares.
            compose_error=error or (model.problem if model else None),
            compose_partial=bool(error is None and model is not None and model.problem),
        )
        return self.last
