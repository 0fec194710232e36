"""Frozen values of the health report: probe results, per-service verdicts, the report.

The JSON form (`HealthReport.to_json`) is what `arctui health --json` prints; its shape is
documented in the README and versioned by `SCHEMA`. No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA = 1

# Verdicts, worst first. Only HEALTHY and NOT_CREATED and COMPLETED count as fine.
DOWN = "down"  # stopped, exited, dead, restarting (a crash loop), paused
UNHEALTHY = "unhealthy"  # runs, but Docker's check or arctui's probe fails
DEGRADED = "degraded"  # some replicas up, some not
STARTING = "starting"  # Docker's check has not passed yet
HEALTHY = "healthy"
COMPLETED = "completed"  # a one-shot that exited 0 and is waited for as such
NOT_CREATED = "not created"  # declared, no container (a profile not started)
FINE = frozenset({HEALTHY, COMPLETED, NOT_CREATED})
ORDER = (DOWN, UNHEALTHY, DEGRADED, STARTING, HEALTHY, COMPLETED, NOT_CREATED)


@dataclass(frozen=True)
class ProbeResult:
    """One protocol probe run from arctui (or inside the container when not reachable)."""

    kind: str  # http | postgres | redis | exec
    target: str  # what was asked: `GET http://127.0.0.1:18080/ping`, `SELECT 1 on ...`
    ok: bool | None  # None: inconclusive (a guessed port did not answer; no tool to probe)
    latency_ms: float | None = None
    output: str = ""  # the answer (first bytes), or the error
    via: str = "loopback"  # loopback | exec | simulated | none

    def to_json(self) -> dict[str, Any]:
        """The probe as JSON."""
        return {
            "kind": self.kind,
            "target": self.target,
            "ok": self.ok,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "output": self.output,
            "via": self.via,
        }


@dataclass(frozen=True)
class RootCause:
    """Why a service is not healthy when the reason lies in what it depends on."""

    service: str  # the deepest failing dependency
    verdict: str  # its verdict (down, unhealthy ...)
    chain: tuple[str, ...]  # from the service itself to the root: (flags, postgres)
    evidence: str = ""  # the root's failing probe output or Docker health output

    @property
    def text(self) -> str:
        """`because postgres is down` (`via unleash` when the chain is longer)."""
        via = f" (via {' -> '.join(self.chain[1:-1])})" if len(self.chain) > 2 else ""
        return f"because {self.service} is {self.verdict}{via}"


@dataclass(frozen=True)
class ServiceHealth:
    """One service: Docker's view, arctui's probe, the verdict and its root cause."""

    service: str
    role: str
    state: str  # ServiceState value
    docker_health: str | None  # healthy | unhealthy | starting | None (no check)
    verdict: str
    reason: str = ""  # one line: why the verdict
    probe: ProbeResult | None = None
    root_cause: RootCause | None = None
    restarts: int = 0
    oom_killed: bool = False
    exit_code: int | None = None
    health_output: str = ""  # the last output of Docker's own check when it failed

    @property
    def ok(self) -> bool:
        """Healthy, completed or not created."""
        return self.verdict in FINE

    def line(self) -> str:
        """One line: `flags unhealthy because postgres is down`."""
        text = f"{self.service} {self.verdict}"
        if self.root_cause is not None:
            text += f" {self.root_cause.text}"
        elif self.reason:
            text += f": {self.reason}"
        return text

    def to_json(self) -> dict[str, Any]:
        """The service as JSON."""
        cause = self.root_cause
        return {
            "service": self.service,
            "role": self.role,
            "state": self.state,
            "docker_health": self.docker_health,
            "verdict": self.verdict,
            "ok": self.ok,
            "reason": self.reason,
            "restarts": self.restarts,
            "oom_killed": self.oom_killed,
            "exit_code": self.exit_code,
            "health_output": self.health_output,
            "probe": None if self.probe is None else self.probe.to_json(),
            "root_cause": None
            if cause is None
            else {
                "service": cause.service,
                "verdict": cause.verdict,
                "chain": list(cause.chain),
                "text": cause.text,
                "evidence": cause.evidence,
            },
        }


@dataclass(frozen=True)
class HealthReport:
    """Every service's health at one moment."""

    project: str
    env: str
    taken_at: float
    services: tuple[ServiceHealth, ...]
    error: str | None = None  # the stack could not be read at all
    duration_ms: float = 0.0

    @property
    def healthy(self) -> bool:
        """True when the stack was read and every service is fine."""
        return self.error is None and all(s.ok for s in self.services)

    def service(self, name: str) -> ServiceHealth | None:
        """The entry of one service."""
        return next((s for s in self.services if s.service == name), None)

    def counts(self) -> dict[str, int]:
        """How many services have each verdict (every verdict listed)."""
        out = dict.fromkeys(ORDER, 0)
        for s in self.services:
            out[s.verdict] = out.get(s.verdict, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        """The documented, stable JSON of `arctui health --json` (schema 1)."""
        return {
            "schema": SCHEMA,
            "project": self.project,
            "env": self.env,
            "taken_at": round(self.taken_at, 3),
            "duration_ms": round(self.duration_ms, 1),
            "healthy": self.healthy,
            "error": self.error,
            "counts": self.counts(),
            "services": [s.to_json() for s in self.services],
        }
