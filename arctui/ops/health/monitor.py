"""Continuous monitoring: state changes between two readings become events with times.

What an operator running `watch -n 10 make health-all` is looking for, without watching:
a service became unhealthy (or recovered), a container restarted, was OOM-killed, went
down or came back. `changes()` compares two stack snapshots (what the app already
holds, so monitoring costs no extra engine call); `verdict_changes()` compares two health
reports (probe-based verdicts). `EventHistory` keeps the last events in memory and, when
given a path, appends them to a JSON-lines file (the XDG state dir by default) so "what
happened at 03:10?" has an answer after arctui was closed. No Textual.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from arctui.config.masking import Redactor, active_redactor
from arctui.models import ContainerInfo, StackSnapshot
from arctui.ops.health.models import FINE, HealthReport
from arctui.text import one_line

KEEP = 500
MAX_FILE_BYTES = 2 * 1024 * 1024  # the file is cut to its newer half past this

# Event kinds and how loud they are.
SEVERITY = {
    "unhealthy": "error",
    "oom": "error",
    "down": "error",
    "restarted": "warning",
    "verdict": "warning",
    "recovered": "information",
    "up": "information",
}


@dataclass(frozen=True)
class HealthEvent:
    """One state change of one service."""

    time: float  # unix seconds
    service: str
    kind: str  # unhealthy | recovered | restarted | oom | down | up | verdict
    text: str  # one line for a person
    container: str = ""

    @property
    def severity(self) -> str:
        """`error`, `warning` or `information` (Textual's notification levels)."""
        return SEVERITY.get(self.kind, "information")


def _by_id(snapshot: StackSnapshot) -> dict[str, ContainerInfo]:
    return {c.id: c for s in snapshot.services for c in s.containers}


def changes(old: StackSnapshot | None, new: StackSnapshot) -> list[HealthEvent]:
    """Container-level changes from `old` to `new` (none on the first reading)."""
    if old is None:
        return []
    now = new.taken_at
    before = _by_id(old)
    out: list[HealthEvent] = []
    for c in _by_id(new).values():
        prev = before.get(c.id)
        if prev is None:
            continue  # created: not a state change of something that ran
        svc = c.service or c.name
        if c.oom_killed and (not prev.oom_killed or c.finished_at != prev.finished_at):
            out.append(HealthEvent(now, svc, "oom", f"{c.name} was OOM-killed", c.name))
        if c.restart_count > prev.restart_count:
            code = f" (exit {c.exit_code})" if c.exit_code is not None else ""
            out.append(
                HealthEvent(
                    now,
                    svc,
                    "restarted",
                    f"{c.name} restarted{code}: {c.restart_count} restarts",
                    c.name,
                )
            )
        elif prev.state == "running" and c.state in ("exited", "dead"):
            code = f" with exit {c.exit_code}" if c.exit_code is not None else ""
            out.append(HealthEvent(now, svc, "down", f"{c.name} stopped{code}", c.name))
        elif prev.state in ("exited", "dead", "created") and c.state == "running":
            out.append(HealthEvent(now, svc, "up", f"{c.name} is running again", c.name))
        if c.health == "unhealthy" and prev.health != "unhealthy":
            out.append(HealthEvent(now, svc, "unhealthy", f"{c.name} became unhealthy", c.name))
        elif prev.health == "unhealthy" and c.health == "healthy":
            out.append(HealthEvent(now, svc, "recovered", f"{c.name} is healthy again", c.name))
    return out


def verdict_changes(old: HealthReport | None, new: HealthReport) -> list[HealthEvent]:
    """Verdict changes between two health reports (probes included)."""
    if old is None or old.error or new.error:
        return []
    out = []
    for entry in new.services:
        prev = old.service(entry.service)
        if prev is None or prev.verdict == entry.verdict:
            continue
        kind = "recovered" if entry.ok else "verdict"
        out.append(
            HealthEvent(new.taken_at, entry.service, kind, f"{prev.verdict} -> {entry.line()}")
        )
    return out


def failing(report: HealthReport) -> list[str]:
    """Services whose verdict is not fine."""
    return [s.service for s in report.services if s.verdict not in FINE]


class EventHistory:
    """The last events (newest last), thread-safe; optionally appended to a file."""

    def __init__(
        self, path: Path | None = None, keep: int = KEEP, redactor: Redactor | None = None
    ) -> None:
        self.path = path
        self._events: deque[HealthEvent] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._redactor = redactor
        self.write_error: str | None = None

    def add(self, events: Iterable[HealthEvent]) -> list[HealthEvent]:
        """Record events; returns them (cleaned and redacted) for notifications."""
        redact = (self._redactor or active_redactor()).redact
        added = [
            HealthEvent(e.time, e.service, e.kind, redact(one_line(e.text, 300)), e.container)
            for e in events
        ]
        if not added:
            return added
        with self._lock:
            self._events.extend(added)
        if self.path is not None:
            self._append(added)
        return added

    def _append(self, events: list[HealthEvent]) -> None:
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                for e in events:
                    handle.write(json.dumps(asdict(e), ensure_ascii=True) + "\n")
            if self.path.stat().st_size > MAX_FILE_BYTES:
                lines = self.path.read_bytes().splitlines(keepends=True)
                self.path.write_bytes(b"".join(lines[len(lines) // 2 :]))
            self.write_error = None
        except OSError as exc:
            self.write_error = str(exc)

    def events(self) -> tuple[HealthEvent, ...]:
        """Events in memory, oldest first."""
        with self._lock:
            return tuple(self._events)

    def load(self, limit: int = KEEP) -> tuple[HealthEvent, ...]:
        """Events from the file (an earlier run's too), oldest first."""
        if self.path is None or not self.path.is_file():
            return ()
        out = []
        with contextlib.suppress(OSError):
            for line in self.path.read_text("utf-8", errors="replace").splitlines()[-limit:]:
                with contextlib.suppress(ValueError, TypeError):
                    d = json.loads(line)
                    out.append(
                        HealthEvent(
                            float(d["time"]),
                            str(d["service"]),
                            str(d["kind"]),
                            str(d["text"]),
                            str(d.get("container", "")),
                        )
                    )
        return tuple(out)


def default_history_path(project: str) -> Path:
    """`$XDG_STATE_HOME/arctui/health/<project>.jsonl`: one history per project (one file
    for all showed another project's services in this one's history)."""
    from arctui.config.settings import project_state_file

    return project_state_file("health", project, ".jsonl")
