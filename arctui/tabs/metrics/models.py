"""Frozen snapshots the Metrics tab shows (no Textual). Label values are outside text:
the presenters clean them before they reach the screen or a printer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from arctui.ops.telemetry import Flow

Points = tuple[tuple[float, float], ...]  # (unix time, value)


@dataclass(frozen=True)
class Red:
    """Rate, errors, duration of one service (or one operation), latencies in seconds."""

    name: str
    rate: float = 0.0  # requests per second
    errors: float = 0.0  # failed requests per second
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    # The quantile fell into the +Inf bucket: Prometheus answers the highest finite bound,
    # so the true figure is at least this.
    p95_capped: bool = False
    p99_capped: bool = False

    @property
    def error_ratio(self) -> float:
        """Errors / requests (0 without traffic)."""
        return self.errors / self.rate if self.rate > 0 else 0.0

    @property
    def badness(self) -> tuple[float, float, float]:
        """Worst first: error ratio, then P95, then rate."""
        return (round(self.error_ratio, 4), self.p95 or 0.0, self.rate)


@dataclass(frozen=True)
class Missing:
    """A series the tab needs that Prometheus does not have, who writes it and how."""

    series: str
    producer: str
    snippet: tuple[str, ...]


@dataclass(frozen=True)
class DownTarget:
    """A scrape target that is not up."""

    job: str
    instance: str
    url: str
    health: str
    error: str
    last_scrape: str = ""


@dataclass(frozen=True)
class Alert:
    """A firing (or pending) alert with its labels."""

    name: str
    state: str
    labels: Mapping[str, str] = field(default_factory=dict)
    summary: str = ""
    active_at: str = ""
    value: str = ""


@dataclass(frozen=True)
class FailingRule:
    """A rule whose last evaluation failed."""

    group: str
    name: str
    error: str


@dataclass(frozen=True)
class PromHealth:
    """Prometheus itself: its targets, alerts and rules."""

    targets_up: int = 0
    down: tuple[DownTarget, ...] = ()
    alerts: tuple[Alert, ...] = ()
    failing_rules: tuple[FailingRule, ...] = ()
    rules: int = 0

    @property
    def firing(self) -> tuple[Alert, ...]:
        """Alerts in state firing."""
        return tuple(a for a in self.alerts if a.state == "firing")


@dataclass(frozen=True)
class MetricsSnapshot:
    """One read of the Metrics tab. `absent`: the stack has no Prometheus (why, how)."""

    target: str = ""  # Prometheus' URL (no password)
    origin: str = ""
    taken_at: float = 0.0
    window: str = "5m"
    unit: str = ""  # milliseconds | seconds | "" (no duration histogram)
    services: tuple[Red, ...] = ()  # worst first
    focus: str | None = None  # the service whose operations were read
    operations: tuple[Red, ...] = ()
    # figure -> service -> points of the last hour (rate, errors, p50, p95, p99)
    history: Mapping[str, Mapping[str, Points]] = field(default_factory=dict)
    flow: Flow = field(default_factory=Flow)
    prom: PromHealth = field(default_factory=PromHealth)
    missing: tuple[Missing, ...] = ()
    partial: tuple[tuple[str, str], ...] = ()  # part, why it could not be read
    absent: tuple[str, str] | None = None  # (reason, fix)
    queries: int = 0  # requests this read cost Prometheus
    demo: bool = False

    def service(self, name: str) -> Red | None:
        """The RED figures of one service."""
        return next((s for s in self.services if s.name == name), None)


@dataclass(frozen=True)
class QueryResult:
    """The answer to a PromQL prompt: an instant vector and, if asked, its last hour."""

    expr: str
    at: float
    samples: tuple[tuple[Mapping[str, str], float], ...] = ()
    series: tuple[tuple[Mapping[str, str], Points], ...] = ()
    error: str = ""


@dataclass(frozen=True)
class RecordedRed:
    """What the flight recorder keeps of the Metrics tab each sample: per service the
    request rate, the error rate and P95 (seconds), over `window`, worst first."""

    taken_at: float
    window: str
    target: str = ""  # Prometheus' URL (no password)
    services: tuple[Red, ...] = ()  # p50 and p99 are not recorded (None)

    def service(self, name: str) -> Red | None:
        """The recorded figures of one service."""
        return next((s for s in self.services if s.name == name), None)
