"""Usage figures of containers and the host: what the cgroup and Engine API readers measure.

Immutable values, built on a worker thread (the Resources tab's reader, or the demo) and
never mutated after construction. Rates are per second; CPU is counted in cores (1.0 = one
full core, what `docker stats` shows as 100 %), so per-core and whole-host percentages
are both derived from one number and cannot disagree. Below the tabs: the doctor's memory
wizard reads them too; the Resources tab's models re-export them.
"""

from __future__ import annotations

from dataclasses import dataclass

from arctui.sources.counters import VolumeUsage

MEM_WARN_FRACTION = 0.8  # a row above 80 % of its memory limit is flagged


@dataclass(frozen=True)
class ContainerStats:
    """One container's usage at one moment (None: not measured, e.g. not running)."""

    id: str
    name: str
    service: str
    state: str  # engine state: running, exited, restarting, paused ...
    cpu: float | None = None  # cores in use (1.0 = one full core)
    cpu_limit: float | None = None  # cores allowed (NanoCpus / CFS quota); None = unlimited
    mem: int | None = None  # bytes in use, page cache (inactive_file) excluded
    mem_limit: int | None = None  # bytes; None = unlimited
    net_rx: float | None = None  # bytes/s
    net_tx: float | None = None
    host_network: bool = False  # network_mode host: its counters would be the host's
    blk_read: float | None = None  # bytes/s
    blk_write: float | None = None
    pids: int | None = None
    restarts: int = 0
    oom_killed: bool = False  # last exit was an OOM kill, or an oom event was seen
    started_at: float | None = None  # unix seconds
    sampled_at: float | None = None  # unix seconds the counters were read
    declared_mem_limit: int | None = None  # from the compose files (deploy.resources.limits)
    declared_cpu_limit: float | None = None

    @property
    def short_id(self) -> str:
        """The 12-character id the docker CLI prints."""
        return self.id[:12]

    @property
    def running(self) -> bool:
        """Whether the container runs (only then are there numbers)."""
        return self.state == "running"

    @property
    def cpu_pct(self) -> float | None:
        """CPU as `docker stats` shows it: 100 % = one core."""
        return None if self.cpu is None else self.cpu * 100.0

    @property
    def cpu_limit_pct(self) -> float | None:
        """CPU as a share of the container's CPU limit."""
        if self.cpu is None or not self.cpu_limit:
            return None
        return self.cpu / self.cpu_limit * 100.0

    def cpu_host_pct(self, ncpu: int) -> float | None:
        """CPU as a share of the whole host (all `ncpu` cores = 100 %)."""
        if self.cpu is None or ncpu <= 0:
            return None
        return self.cpu / ncpu * 100.0

    @property
    def mem_pct(self) -> float | None:
        """Memory as a share of the memory limit; None when unlimited."""
        if self.mem is None or not self.mem_limit:
            return None
        return self.mem / self.mem_limit * 100.0

    @property
    def mem_warning(self) -> bool:
        """Above 80 % of its memory limit."""
        pct = self.mem_pct
        return pct is not None and pct >= MEM_WARN_FRACTION * 100

    @property
    def limits_drift(self) -> bool:
        """The compose files declare other limits than the running container has."""
        mem = self.declared_mem_limit is not None and self.declared_mem_limit != self.mem_limit
        cpu = self.declared_cpu_limit is not None and (
            self.cpu_limit is None or abs(self.declared_cpu_limit - self.cpu_limit) > 1e-6
        )
        return mem or cpu


@dataclass(frozen=True)
class HostStats:
    """The machine the engine runs on (local: read from /proc; remote: from `docker info`)."""

    ncpu: int
    cpu: float | None = None  # % of all host CPUs busy
    mem_total: int | None = None
    mem_available: int | None = None
    mem_pressure: float | None = None  # PSI `some avg10` (%); None without PSI
    docker_root: str = ""
    disk_total: int | None = None
    disk_free: int | None = None
    local: bool = True

    @property
    def mem_used(self) -> int | None:
        """Bytes not available to new work (MemTotal - MemAvailable)."""
        if self.mem_total is None or self.mem_available is None:
            return None
        return self.mem_total - self.mem_available


@dataclass(frozen=True)
class OomEvent:
    """The kernel's OOM killer struck inside a container."""

    time: float  # unix seconds
    container_id: str
    name: str
    service: str = ""


@dataclass(frozen=True)
class VolumesSnapshot:
    """Volume sizes (slow to read: refreshed rarely, on its own)."""

    volumes: tuple[VolumeUsage, ...]
    taken_at: float
    error: str | None = None


@dataclass(frozen=True)
class ResourcesSnapshot:
    """Everything the Resources tab shows, read at one moment."""

    project: str
    containers: tuple[ContainerStats, ...]
    host: HostStats
    taken_at: float  # unix seconds the read finished
    mode: str  # how it was read: "cgroup v1", "cgroup v2", "engine API", "demo", mixes
    oom_events: tuple[OomEvent, ...] = ()  # newest last, bounded

    def container(self, cid: str) -> ContainerStats | None:
        """The container with this id, if shown."""
        return next((c for c in self.containers if c.id == cid), None)

    @property
    def oldest_sample(self) -> float | None:
        """When the stalest row was measured (to tell how far behind the screen is)."""
        times = [c.sampled_at for c in self.containers if c.sampled_at is not None]
        return min(times) if times else None
