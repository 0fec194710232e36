"""What one recorder sample holds, and the events between samples.

A `Frame` is built from the same readers the tabs use (so replay shows what the tab would
have shown), one snapshot per source; a source that could not be read is `None` with its
reason in `down`. An `Event` is one line of the post-mortem timeline. Both are plain data:
the store encodes them, the alert rules read them, replay decodes them. No Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from arctui.models import StackSnapshot
from arctui.tabs.backups.models import BackupsSnapshot
from arctui.tabs.metrics.models import RecordedRed
from arctui.tabs.postgres.models import PostgresSnapshot
from arctui.tabs.redis.models import RedisSnapshot
from arctui.tabs.resources.models import ResourcesSnapshot

# The sources a frame carries, in the order the store writes them.
SOURCES = ("stack", "resources", "postgres", "redis", "backups", "logs")


@dataclass(frozen=True)
class ServiceLogCounts:
    """One service's log figures over one interval."""

    lines: int
    errors: int  # lines at error level or worse
    last_errors: tuple[str, ...] = ()  # the last few, sanitized, redacted and capped


@dataclass(frozen=True)
class LogCounts:
    """Log figures of every service over the interval ending at the frame's time."""

    interval: float  # seconds covered
    services: dict[str, ServiceLogCounts] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeSizes:
    """The project volumes' sizes at one reading (taken every few minutes, not every
    sample: each frame carries the latest, so a frame read alone has one)."""

    taken_at: float
    sizes: dict[str, int] = field(default_factory=dict)  # volume name -> bytes
    how: str = ""  # "walk" (the mountpoints, on the engine's host) or "engine" (/system/df)


@dataclass(frozen=True)
class Frame:
    """Everything recorded at one moment (wall-clock unix seconds)."""

    ts: float
    stack: StackSnapshot | None = None
    resources: ResourcesSnapshot | None = None
    postgres: PostgresSnapshot | None = None
    redis: RedisSnapshot | None = None
    backups: BackupsSnapshot | None = None
    logs: LogCounts | None = None
    volumes: VolumeSizes | None = None
    # source name (one of SOURCES, or "volumes") -> why it could not be read this interval
    down: dict[str, str] = field(default_factory=dict)
    # RED per service from the stack's Prometheus (None: no Prometheus, or older stores)
    metrics: RecordedRed | None = None


# Event kinds, for filters and the timeline's labels.
EVENT_KINDS = (
    "state",  # a container's state changed (engine event, as it happened)
    "health",  # a service's health changed
    "restart",
    "oom",
    "blocker",  # a Postgres backend blocked others
    "setting",  # a Postgres or Redis setting changed
    "eviction",  # Redis evicted keys
    "slowlog",  # a new Redis slowlog entry
    "action",  # an audit entry (lifecycle, backup, restore ...)
    "backup",
    "doctor",  # doctor findings changed
    "alert",  # an alert fired
    "alert-resolved",
    "delivery",  # an alert message's delivery outcome (sent, retrying, gave-up, dropped)
    "source-down",
    "source-up",
    "recorder",  # the recorder started, paused (disk full), resumed, fell behind
)


@dataclass(frozen=True)
class Event:
    """One line of the timeline. `text` is one line, already sanitized and redacted."""

    ts: float
    kind: str  # one of EVENT_KINDS
    service: str  # "" when it is about the stack or a datastore as a whole
    text: str
    data: dict[str, Any] = field(default_factory=dict)  # JSON-able details
