"""One frame every interval, from the same readers the tabs use, and the events between.

Each source (stack, resources, postgres, redis, backups, logs) is read as its tab reads
it. A source that fails is recorded in `frame.down` with its reason and retried with
the tabs' backoff (1 s doubling to 30 s; `ui/schedule.py`), so a Postgres that is down
costs one failed connect per backoff step, not one per sample. Engine state events
arrive on the session's event hub as they happen and are timestamped by the engine.

Figures are cut to 3 significant digits (`codec.Quantizer`) before the frame is built:
the noise below that is what makes consecutive frames differ (and the store grow).
Redis's in-memory chart history is dropped from the frame: the store is the history.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arctui.models import SourceFailure
from arctui.record import changes
from arctui.record.codec import Quantizer
from arctui.record.frame import Event, Frame, VolumeSizes
from arctui.record.log_counts import LogCounter
from arctui.session import Session
from arctui.sources.base import EngineEvent, SourceError
from arctui.text import one_line

BACKOFF_MIN, BACKOFF_MAX = 1.0, 30.0
DIGITS = 3
DOCTOR_EVERY = 900.0  # seconds between doctor runs (its probes exec into containers)
EVENTS_MAX = 10_000  # engine events held between two samples (a flood is cut)
VOLUMES_EVERY = 300.0  # seconds between volume size readings (growth is per day)


@dataclasses.dataclass
class _Backoff:
    failures: int = 0
    retry_at: float = 0.0
    reason: str = ""

    def failed(self, reason: str, now: float) -> None:
        self.failures += 1
        delay = min(BACKOFF_MAX, BACKOFF_MIN * 2 ** (self.failures - 1))
        self.retry_at = now + delay
        self.reason = reason


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SourceError):
        return one_line(exc.reason, 300)
    if isinstance(exc, SourceFailure):  # pragma: no cover - a value, never raised
        return exc.reason
    return one_line(f"{type(exc).__name__}: {exc}", 300)


class Sampler:
    """Builds frames; `sample()` returns the frame and the events since the last one."""

    def __init__(
        self,
        session: Session,
        audit_path: Path | None = None,
        doctor_every: float = DOCTOR_EVERY,
        clock: Callable[[], float] | None = None,
        volumes_every: float = VOLUMES_EVERY,
    ) -> None:
        self.session = session
        self.volumes_every = volumes_every
        self._volumes: VolumeSizes | None = None
        self._volumes_at: float | None = None
        self.clock = clock or session.clock
        self.doctor_every = doctor_every
        self._readers: dict[str, Any] = {}
        # One per source: each remembers its own previous answer's objects.
        sources = ("stack", "resources", "postgres", "redis", "metrics")
        self._quant = {n: Quantizer(DIGITS) for n in sources}
        self._backoff: dict[str, _Backoff] = {}
        self._prev: Frame | None = None
        self._events: list[Event] = []
        self._engine_ooms: set[str] = set()
        self._lock = threading.Lock()
        self._slowlog_seen: int | None = None
        self._doctor_at = 0.0
        self._doctor: set[tuple[str, str, str]] | None = None
        self._audit = changes.AuditTail(audit_path or self._audit_path())
        self._sub = session.events.subscribe(self._on_engine_event, "recorder")

    @staticmethod
    def _audit_path() -> Path:
        from arctui.ops.audit import default_audit_path

        return default_audit_path()

    # --- engine events (the hub's thread) -------------------------------------------

    def _on_engine_event(self, event: EngineEvent | None) -> None:
        self.session.reader.note_event(event)
        if event is None or self.session.events.is_replay(event):
            return
        with self._lock:
            if len(self._events) < EVENTS_MAX:
                self._events.append(changes.engine_event(event))
            if event.action.startswith("oom"):
                self._engine_ooms.add(event.container_id[:12])

    # --- readers, built on first use like the tabs' ---------------------------------

    def _build(self, name: str) -> Any:
        s = self.session
        if name == "postgres":
            from arctui.tabs.postgres.cli import source_for

            return source_for(s)
        if name == "redis":
            from arctui.tabs.redis.reader import reader_for

            return reader_for(s)
        if name == "backups":
            from arctui.tabs.backups.reader import BackupsReader

            return BackupsReader(s, clock=self.clock)
        if name == "logs":
            return LogCounter(s)
        if name == "metrics":  # RED per service; None (nothing recorded) without Prometheus
            from arctui.tabs.metrics.recorded import RecordedRedSource

            return RecordedRedSource(s)
        raise LookupError(name)

    def _read(self, name: str, now: float) -> Any:
        if name == "stack":
            return self.session.reader.read_next()
        if name == "resources":
            return self.session.resources.read()
        reader = self._readers.get(name)
        if reader is None:
            reader = self._readers[name] = self._build(name)
        if name == "logs":
            return reader.take(now)
        return reader.read()

    def _drop(self, name: str) -> None:
        if name not in ("postgres", "redis", "metrics"):
            return  # the others recover by themselves
        reader = self._readers.pop(name, None)  # rediscover the server next time
        if reader is not None:
            with contextlib.suppress(Exception):
                reader.close()

    def _source(self, name: str, now: float, down: dict[str, str], events: list[Event]) -> Any:
        back = self._backoff.setdefault(name, _Backoff())
        if back.failures and now < back.retry_at:
            down[name] = back.reason
            return None
        try:
            value = self._read(name, now)
        except Exception as exc:  # any failure of one source is that source's down
            reason = _reason(exc)
            if not back.failures:
                events.append(Event(now, "source-down", "", f"{name}: {reason}", {"source": name}))
            back.failed(reason, now)
            down[name] = reason
            self._drop(name)
            return None
        if back.failures:
            events.append(Event(now, "source-up", "", f"{name}: back", {"source": name}))
            self._backoff[name] = _Backoff()
        return value

    # --- one sample -------------------------------------------------------------------

    def sample(self) -> tuple[Frame, list[Event]]:
        """Read every source once; the frame and the events since the previous sample."""
        now = self.clock()
        down: dict[str, str] = {}
        events: list[Event] = []
        values = {
            name: self._source(name, now, down, events)
            for name in ("stack", "resources", "postgres", "redis", "backups", "logs", "metrics")
        }
        redis = values["redis"]
        if redis is not None:
            redis = dataclasses.replace(redis, history=())
        frame = Frame(
            ts=now,
            stack=self._quant["stack"](values["stack"]),
            resources=self._quant["resources"](values["resources"]),
            postgres=self._quant["postgres"](values["postgres"]),
            redis=self._quant["redis"](redis),
            backups=values["backups"],
            logs=values["logs"],
            volumes=self._volume_sizes(now, down),
            down=down,
            metrics=self._quant["metrics"](values["metrics"]),
        )
        with self._lock:
            engine, self._events = self._events, []
            ooms, self._engine_ooms = self._engine_ooms, set()
        events += engine
        events += changes.stack_changes(self._prev, frame, ooms)
        events += changes.postgres_changes(self._prev, frame)
        events += changes.redis_changes(self._prev, frame, self._slowlog_seen)
        if frame.redis is not None:
            ids = [e.id for e in frame.redis.slowlog]
            self._slowlog_seen = max([*ids, self._slowlog_seen or -1])
        events += changes.backup_changes(self._prev, frame)
        events += self._audit.read()
        events += self._doctor_events(now)
        self._prev = frame
        events.sort(key=lambda e: e.ts)
        return frame, events

    def _volume_sizes(self, now: float, down: dict[str, str]) -> VolumeSizes | None:
        """The latest reading, taken again every `volumes_every` (or after a clock jump)."""
        at = self._volumes_at
        if self.volumes_every <= 0 or (at is not None and 0 <= now - at < self.volumes_every):
            return self._volumes
        self._volumes_at = now
        from arctui.ops.maintenance.volumes import measure_volumes

        try:
            found = measure_volumes(self.session)
        except Exception as exc:  # sizes are a bonus: the last reading stays
            down["volumes"] = _reason(exc)
            return self._volumes
        if found is not None:
            self._volumes = VolumeSizes(now, found[1], found[0])
        return self._volumes

    def _doctor_events(self, now: float) -> list[Event]:
        if self.doctor_every <= 0 or now - self._doctor_at < self.doctor_every:
            return []
        self._doctor_at = now
        from arctui.ops.doctor import run_doctor

        try:
            report = run_doctor(self.session)
        except Exception:  # the doctor is a bonus: never the reason a frame is lost
            return []
        found = {(f.wizard, f.check, f.service) for r in report.results for f in r.findings}
        events = changes.doctor_changes(self._doctor or set(), found, now)
        self._doctor = found
        return events

    def close(self) -> None:
        """Unsubscribe and close every reader this sampler opened."""
        with contextlib.suppress(Exception):
            self._sub.close()
        for reader in self._readers.values():
            with contextlib.suppress(Exception):
                reader.close()
        self._readers.clear()
