"""A simulated A.R.C. platform for `--demo`, screenshots and snapshot tests.

It implements the same ContainerSource / ComposeSource interfaces as the real engine, so
the UI cannot tell them apart. Names follow the current platform layout
(arc-platform project, arc-oracle-sql, arc-sonic-cache ...). Everything derives from
the seed and the clock, so a fixed clock gives the same screen every time.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from arctui.demo.actions import DemoActions
from arctui.models import (
    ComposeModel,
    ContainerInfo,
    DeclaredService,
    HealthCheckResult,
    Mount,
    PortBinding,
)
from arctui.sources.base import EngineEvent

PROJECT = "arc-platform"
DEMO_EPOCH = 1_795_000_000.0  # a fixed "now" for snapshot tests (2026-11-17)
CRASH_PERIOD = 30.0  # seconds between restarts of the crash-looping service


@dataclass(frozen=True)
class _Spec:
    service: str
    container: str | None
    tech: str
    image: str
    layer: str
    ports: tuple[int, ...] = ()
    depends_on: tuple[str, ...] = ()
    replicas: int = 1
    created: bool = True
    mem_limit: int | None = None
    profiles: tuple[str, ...] = ()


_M = 1024 * 1024
_SPECS: tuple[_Spec, ...] = (
    _Spec("traefik", "arc-heimdall-gateway", "traefik", "traefik:v3.1", "core", (80, 443)),
    _Spec(
        "otel-collector",
        "arc-widow-otel",
        "opentelemetry",
        "otel/opentelemetry-collector-contrib:0.109.0",
        "core",
        (4317, 4318, 13133),
        mem_limit=512 * _M,
    ),
    _Spec(
        "postgres",
        "arc-oracle-sql",
        "postgresql",
        "postgres:16-alpine",
        "core",
        (5432,),
        mem_limit=2048 * _M,
    ),
    _Spec(
        "redis", "arc-sonic-cache", "redis", "redis:7-alpine", "core", (6379,), mem_limit=512 * _M
    ),
    _Spec("nats", "arc-flash-pulse", "nats", "nats:2.10-alpine", "core", (4222, 8222)),
    _Spec(
        "pulsar",
        "arc-strange-stream",
        "pulsar",
        "apachepulsar/pulsar:3.3.1",
        "core",
        (6650, 8082),
        mem_limit=2048 * _M,
    ),
    _Spec("loki", "arc-watson-logs", "loki", "grafana/loki:3.1.1", "plugin", (3100,)),
    _Spec(
        "prometheus",
        "arc-house-metrics",
        "prometheus",
        "prom/prometheus:v2.54.1",
        "plugin",
        (9090,),
    ),
    _Spec(
        "jaeger",
        "arc-columbo-traces",
        "jaeger",
        "jaegertracing/all-in-one:1.60",
        "plugin",
        (16686,),
        mem_limit=512 * _M,
    ),
    _Spec(
        "grafana",
        "arc-friday-viz",
        "grafana",
        "grafana/grafana:11.2.0",
        "plugin",
        (3000,),
        ("loki", "prometheus"),
    ),
    _Spec(
        "kratos",
        "arc-deckard-identity",
        "kratos",
        "oryd/kratos:v1.2.0",
        "plugin",
        (4433, 4434),
        ("postgres",),
    ),
    _Spec(
        "unleash",
        "arc-mystique-flags",
        "unleash",
        "unleashorg/unleash-server:6.2",
        "plugin",
        (4242,),
        ("postgres",),
    ),
    _Spec(
        "infisical",
        "arc-fury-vault",
        "infisical",
        "infisical/infisical:v0.90.0",
        "plugin",
        (3001,),
        ("postgres", "redis"),
    ),
    _Spec(
        "livekit",
        "arc-daredevil-voice",
        "livekit",
        "livekit/livekit-server:v1.7",
        "plugin",
        (7880, 7881),
        ("redis",),
        created=False,
        profiles=("voice",),
    ),
    _Spec(
        "raymond",
        None,
        "custom",
        "ghcr.io/arc-framework/raymond:0.4.2",
        "application",
        (),
        ("postgres", "redis", "nats", "otel-collector"),
        replicas=2,
        mem_limit=512 * _M,
    ),
)

_ENV = {
    "postgres": {
        "POSTGRES_USER": "arc",
        "POSTGRES_PASSWORD": "demo-pg-s3cret",
        "POSTGRES_DB": "arc_db",
        "PGDATA": "/var/lib/postgresql/data/pgdata",
    },
    "redis": {"REDIS_PASSWORD": "", "REDIS_MAXMEMORY": "512mb"},
    "unleash": {
        "DATABASE_URL": "postgres://arc:demo-pg-s3cret@arc-oracle-sql:5432/unleash",
        "UNLEASH_ADMIN_TOKEN": "*:*.demo-admin-token",
        "LOG_LEVEL": "info",
    },
    "grafana": {"GF_SECURITY_ADMIN_USER": "admin", "GF_SECURITY_ADMIN_PASSWORD": "demo-admin"},
    "raymond": {
        "NATS_URL": "nats://arc-flash-pulse:4222",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://arc-widow-otel:4317",
        "LOG_LEVEL": "info",
    },
}

_HEALTH_OUT = {
    "pulsar": (1, "curl: (7) Failed to connect to localhost port 8080: Connection refused"),
    "unleash": (1, "Error: connect ECONNREFUSED arc-oracle-sql:5432"),
}


class DemoPlatform:
    """The simulated platform: a ContainerSource and a ComposeSource in one object."""

    def __init__(self, seed: int = 7, clock: Callable[[], float] = time.time) -> None:
        self.seed = seed
        self.clock = clock
        self.started = clock()
        self._closed = threading.Event()
        self.actions = DemoActions(clock)

    @property
    def endpoint(self) -> str:
        """Shown in the header where the engine address would be."""
        return "demo (simulated engine)"

    # ComposeSource
    def model(self) -> ComposeModel:
        """What the demo platform's compose files declare."""
        return ComposeModel(
            project=PROJECT,
            services=tuple(
                DeclaredService(
                    name=s.service,
                    image=s.image,
                    container_name=s.container,
                    depends_on=s.depends_on,
                    labels=_labels(s),
                    environment=tuple(sorted(_ENV.get(s.service, {}).items())),
                    ports=tuple(PortBinding(p, "tcp", "", p) for p in s.ports),
                    profiles=s.profiles,
                    has_healthcheck=True,
                    replicas=s.replicas if s.replicas > 1 else None,
                    mem_limit=s.mem_limit,
                )
                for s in _SPECS
            ),
            volumes=(
                "arc_postgres_data",
                "arc_redis_data",
                "arc_pulsar_data",
                "arc_prometheus_data",
                "arc_grafana_data",
                "arc_loki_data",
            ),
            files=(
                "deployments/docker/docker-compose.base.yml",
                "deployments/docker/docker-compose.core.yml",
            ),
        )

    # ContainerSource
    def containers(
        self, project: str, known: Mapping[str, ContainerInfo] | None = None
    ) -> list[ContainerInfo]:
        """The simulated containers at the current clock."""
        if project != PROJECT or self.actions.stack_down:
            return []
        now = self.clock()
        rng = random.Random(self.seed)
        out = []
        for spec in _SPECS:
            count = self.actions.replicas(spec.service, spec.replicas if spec.created else 0)
            for n in range(1, count + 1):
                out.append(self.actions.adjust(self._container(spec, n, now, rng)))
        return out

    def container(self, project: str, container_id: str) -> ContainerInfo | None:
        """One simulated container by id."""
        return next((c for c in self.containers(project) if c.id == container_id), None)

    def simulate_action(
        self, verb: str, scope: str, target: str, replicas: int | None
    ) -> list[str]:
        """Apply a lifecycle action to the simulation; compose-like progress lines."""
        return self.actions.apply(verb, scope, target, replicas, (s.service for s in _SPECS))

    def _container(self, spec: _Spec, n: int, now: float, rng: random.Random) -> ContainerInfo:
        name = spec.container or f"{PROJECT}-{spec.service}-{n}"
        cid = f"{rng.getrandbits(128):032x}{rng.getrandbits(128):032x}"
        uptime = 3 * 86400 + rng.randint(0, 86400)
        started = now - uptime
        state, restarts, oom = "running", 0, False
        health: str | None = "healthy"
        exit_code: int | None = None
        finished: float | None = None
        if spec.service == "unleash":  # crash-looping: migrations fail against postgres
            elapsed = now - self.started
            restarts = 41 + int(elapsed // CRASH_PERIOD)
            phase = elapsed % CRASH_PERIOD
            started = now - phase
            if phase > CRASH_PERIOD - 8:
                state, health, exit_code = "restarting", "starting", 1
                finished = now - (phase - (CRASH_PERIOD - 8))
            else:
                health = "starting"
        elif spec.service == "pulsar":
            health = "unhealthy"
        elif spec.service == "jaeger":  # killed by the OOM killer an hour ago
            state, health, exit_code, oom = "exited", None, 137, True
            # Anchored to the simulation's start: a time that moved with `now` was a new
            # OOM kill at every reading (the health toasts said so again and again).
            finished = self.started - 3600 - rng.randint(0, 600)
        if spec.service == "raymond":
            restarts = n - 1
        log_code, log_out = _HEALTH_OUT.get(spec.service, (0, "ok"))
        health_log = (
            tuple(
                HealthCheckResult(now - 10 * k - 1, now - 10 * k - 0.95, log_code, log_out)
                for k in range(4, -1, -1)
            )
            if health
            else ()
        )
        status = {
            "running": f"Up {_human(now - started)}" + (f" ({health})" if health else ""),
            "restarting": f"Restarting ({exit_code}) {_human(now - (finished or now))} ago",
            "exited": f"Exited ({exit_code}) {_human(now - (finished or now))} ago",
        }[state]
        labels = dict(_labels(spec))
        labels.update(
            {
                "com.docker.compose.project": PROJECT,
                "com.docker.compose.service": spec.service,
                "com.docker.compose.container-number": str(n),
            }
        )
        mounts: tuple[Mount, ...] = ()
        if spec.service in ("postgres", "redis", "pulsar", "prometheus", "grafana", "loki"):
            dest = {"postgres": "/var/lib/postgresql/data", "redis": "/data"}.get(
                spec.service, "/data"
            )
            mounts = (Mount("volume", f"arc_{spec.service}_data", dest),)
        return ContainerInfo(
            id=cid,
            name=name,
            project=PROJECT,
            service=spec.service,
            image=spec.image,
            state=state,
            status=status,
            health=health if state != "exited" else None,
            started_at=started,
            finished_at=finished,
            restart_count=restarts,
            exit_code=exit_code,
            oom_killed=oom,
            replica=n,
            ports=tuple(PortBinding(p, "tcp", "0.0.0.0", p) for p in spec.ports),
            labels=labels,
            env=tuple(sorted(_ENV.get(spec.service, {}).items())),
            mounts=mounts,
            health_log=health_log,
        )

    def follow_events(
        self,
        project: str,
        on_event: Callable[[EngineEvent], None],
        stop: threading.Event,
        since: float | None = None,
    ) -> None:
        """Emit the crash loop's die/start events until stopped (no past to replay)."""
        while not stop.is_set() and not self._closed.is_set():
            if stop.wait(CRASH_PERIOD / 2):
                return
            for c in self.containers(project):
                if c.service == "unleash":
                    on_event(EngineEvent("die", c.id, c.service, self.clock()))

    def close(self) -> None:
        """Unblock follow_events."""
        self._closed.set()


def _labels(spec: _Spec) -> dict[str, str]:
    return {
        "arc.service.tech": spec.tech,
        "arc.service.layer": spec.layer,
        "arc.service.codename": (spec.container or spec.service).split("-")[1]
        if spec.container
        else spec.service,
    }


def _human(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"
