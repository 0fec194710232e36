"""Immutable values passed between layers and threads.

Workers build these and post them to the UI; nothing here is ever mutated after
construction, so a snapshot can be shown while the next one is being read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class ServiceState(StrEnum):
    """Aggregate state of a service (all its replicas)."""

    RUNNING = "running"
    RESTARTING = "restarting"
    PAUSED = "paused"
    STOPPED = "stopped"  # exited / created-but-not-started / dead
    PARTIAL = "partial"  # some replicas up, some not
    NOT_CREATED = "not created"  # declared in compose, no container exists


@dataclass(frozen=True)
class PortBinding:
    """One published port: host_ip:host_port -> container_port/proto."""

    container_port: int
    proto: str = "tcp"
    host_ip: str = ""
    host_port: int | None = None

    def label(self) -> str:
        """Compact form: `5432`, `8082->8080`, `127.0.0.1:6379`, `53/udp`; unpublished: `(5432)`."""
        proto = "" if self.proto == "tcp" else f"/{self.proto}"
        if self.host_port is None:
            return f"({self.container_port}{proto})"
        ip = self.host_ip if self.host_ip not in ("", "0.0.0.0", "::") else ""
        host = f"[{ip}]:" if ":" in ip else f"{ip}:" if ip else ""
        inner = "" if self.host_port == self.container_port else f"->{self.container_port}"
        return f"{host}{self.host_port}{inner}{proto}"


@dataclass(frozen=True)
class Mount:
    """A volume or bind mount of a container."""

    type: str  # volume | bind | tmpfs
    source: str  # volume name or host path
    destination: str
    read_only: bool = False


@dataclass(frozen=True)
class HealthCheckResult:
    """One entry of Docker's health-check log."""

    start: float  # unix seconds
    end: float
    exit_code: int
    output: str


@dataclass(frozen=True)
class ContainerInfo:
    """What the engine says about one container (from list + inspect)."""

    id: str
    name: str
    project: str
    service: str  # com.docker.compose.service label ('' if none)
    image: str
    state: str  # engine state: created|running|paused|restarting|removing|exited|dead
    status: str = ""  # engine's human status ("Up 3 minutes (healthy)")
    health: str | None = None  # healthy|unhealthy|starting; None = no healthcheck
    started_at: float | None = None  # unix seconds
    finished_at: float | None = None
    restart_count: int = 0
    exit_code: int | None = None
    oom_killed: bool = False
    replica: int = 1  # com.docker.compose.container-number
    ports: tuple[PortBinding, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    env: tuple[tuple[str, str], ...] = ()
    mounts: tuple[Mount, ...] = ()
    health_log: tuple[HealthCheckResult, ...] = ()
    network_mode: str = ""  # HostConfig.NetworkMode: host, bridge, <project>_default ...

    @property
    def short_id(self) -> str:
        """The 12-character id the docker CLI prints."""
        return self.id[:12]


@dataclass(frozen=True)
class Dependency:
    """One `depends_on` entry: the service waited for and what it waits for."""

    service: str
    condition: str = (
        "service_started"  # service_started | service_healthy | ..._completed_successfully
    )
    required: bool = True


@dataclass(frozen=True)
class HealthCheckSpec:
    """A declared health check (compose `healthcheck:`), durations in seconds."""

    test: tuple[str, ...]
    interval: float | None = None
    timeout: float | None = None
    retries: int | None = None
    start_period: float | None = None

    def command(self) -> str:
        """The check as one line: `CMD-SHELL x` -> `x`, `CMD a b` -> `a b`."""
        if self.test[:1] in (("CMD",), ("CMD-SHELL",)):
            return " ".join(self.test[1:])
        return " ".join(self.test)


@dataclass(frozen=True)
class NetworkAttachment:
    """A network a service joins, its aliases there, and whether the engine has it."""

    key: str  # the name in the compose file (`arc_net`)
    name: str  # the engine's name (`name:` or `<project>_<key>`)
    aliases: tuple[str, ...] = ()
    external: bool = False
    missing: bool = False  # external and not found on the engine: `up` fails on it


@dataclass(frozen=True)
class DeclaredService:
    """A service as the rendered compose configuration declares it."""

    name: str
    image: str = ""
    container_name: str | None = None
    depends_on: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    environment: tuple[tuple[str, str], ...] = ()
    ports: tuple[PortBinding, ...] = ()
    profiles: tuple[str, ...] = ()
    has_healthcheck: bool = False
    replicas: int | None = None
    mem_limit: int | None = None  # bytes, from deploy.resources.limits.memory
    cpu_limit: float | None = None  # CPUs, from deploy.resources.limits.cpus
    stop_grace_period: float | None = None  # seconds
    dependencies: tuple[Dependency, ...] = ()  # depends_on with conditions
    healthcheck: HealthCheckSpec | None = None
    mounts: tuple[Mount, ...] = ()  # declared volumes and binds (sources resolved by compose)
    networks: tuple[NetworkAttachment, ...] = ()
    network_mode: str = ""
    env_files: tuple[str, ...] = ()  # `env_file:` paths, absolute as compose resolves them


@dataclass(frozen=True)
class ComposeModel:
    """The rendered compose project (`docker compose config --format json`)."""

    project: str
    services: tuple[DeclaredService, ...] = ()
    volumes: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    # Set when the full file set did not render and this is what the other files declare.
    problem: str | None = None
    broken_file: str | None = None  # the file whose addition broke the set
    interpolated: bool = True  # False: read with `config --no-interpolate` (values raw)
    warnings: tuple[str, ...] = ()  # compose's distinct warnings (redacted)
    missing_networks: tuple[str, ...] = ()  # external networks the engine does not have

    def service(self, name: str) -> DeclaredService | None:
        """The declared service called `name`, if any."""
        return next((s for s in self.services if s.name == name), None)


@dataclass(frozen=True)
class ServiceView:
    """One service of the stack: its declaration, role and containers (replicas)."""

    name: str
    role: str
    containers: tuple[ContainerInfo, ...] = ()
    declared: DeclaredService | None = None
    depends_on: tuple[str, ...] = ()
    # Containers carry the project's label but no compose file declares the service.
    undeclared: bool = False
    # Started from other compose files (their `config_files` label): where, else ''.
    foreign_config: str = ""

    @property
    def state(self) -> ServiceState:
        """Aggregate state over all replicas."""
        if not self.containers:
            return ServiceState.NOT_CREATED
        states = {c.state for c in self.containers}
        if states == {"running"}:
            return ServiceState.RUNNING
        if "restarting" in states:
            return ServiceState.RESTARTING
        if states == {"paused"}:
            return ServiceState.PAUSED
        if "running" in states:
            return ServiceState.PARTIAL
        return ServiceState.STOPPED

    @property
    def health(self) -> str | None:
        """Worst health over replicas: unhealthy > starting > healthy; None if no check."""
        values = [c.health for c in self.containers if c.health]
        for worst in ("unhealthy", "starting", "healthy"):
            if worst in values:
                return worst
        return None

    @property
    def restart_count(self) -> int:
        """Restarts summed over replicas."""
        return sum(c.restart_count for c in self.containers)

    @property
    def image(self) -> str:
        """Image of the first container, else the declared image."""
        if self.containers:
            return self.containers[0].image
        return self.declared.image if self.declared else ""


@dataclass(frozen=True)
class StackSnapshot:
    """Everything the Services tab shows, read at one moment."""

    project: str
    services: tuple[ServiceView, ...]
    taken_at: float  # unix seconds when the engine was read
    endpoint: str  # where the engine was reached (unix:///var/run/docker.sock ...)
    compose_error: str | None = None  # compose config did not render: why
    # True when compose_error describes a file set that rendered in part (ComposeModel.problem):
    # the services are still what the other files declare, none are missing.
    compose_partial: bool = False

    def service(self, name: str) -> ServiceView | None:
        """The service called `name`, if any."""
        return next((s for s in self.services if s.name == name), None)


@dataclass(frozen=True)
class SourceFailure:
    """A source could not be read: what failed, why, and what the operator can do."""

    source: str  # "docker", "compose", "postgres" ...
    reason: str  # one line, already sanitized of secrets
    fix: str = ""  # a hint, e.g. "start the daemon: sudo systemctl start docker"
    at: float = 0.0


@dataclass(frozen=True)
class EnvValue:
    """One environment variable with where it came from."""

    key: str
    value: str
    source: str  # file path it was read from, or "process environment"
    secret: bool = False
    overridden: tuple[str, ...] = ()  # earlier sources whose value this one replaced
