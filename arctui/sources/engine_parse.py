"""Engine API replies -> the values the Resources reader uses (pure, unit-tested).

`counters_from_stats` reads one stats object the way `docker stats` does: memory without
the page cache (total_inactive_file on cgroup v1, inactive_file on v2), CPU against
`system_cpu_usage / online_cpus` so that deltas give cores in use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arctui.sources.counters import Counters
from arctui.sources.docker_engine import SERVICE_LABEL, _ts


@dataclass(frozen=True)
class ContainerMeta:
    """What the Resources tab needs from `docker inspect` (cached between changes)."""

    id: str
    name: str
    service: str
    state: str
    pid: int | None = None
    started_at: float | None = None
    finished_at: float | None = None
    restarts: int = 0
    oom_killed: bool = False
    host_network: bool = False
    mem_limit: int | None = None
    cpu_limit: float | None = None


@dataclass(frozen=True)
class EngineInfo:
    """Host facts from `docker info`."""

    ncpu: int
    mem_total: int | None
    docker_root: str


def meta_from_inspect(data: Mapping[str, Any]) -> ContainerMeta:
    """The fields of `docker inspect` the Resources tab uses."""
    state = data.get("State") or {}
    host = data.get("HostConfig") or {}
    labels = (data.get("Config") or {}).get("Labels") or {}
    nano = int(host.get("NanoCpus") or 0)
    quota, period = int(host.get("CpuQuota") or 0), int(host.get("CpuPeriod") or 0) or 100_000
    cpu_limit = nano / 1e9 if nano > 0 else (quota / period if quota > 0 else None)
    status = str(state.get("Status", "unknown"))
    return ContainerMeta(
        id=str(data.get("Id", "")),
        name=str(data.get("Name", "")).lstrip("/"),
        service=str(labels.get(SERVICE_LABEL, "")),
        state=status,
        pid=int(state.get("Pid") or 0) or None,
        started_at=_ts(state.get("StartedAt")),
        finished_at=_ts(state.get("FinishedAt")),
        restarts=int(data.get("RestartCount") or 0),
        oom_killed=bool(state.get("OOMKilled")),
        host_network=str(host.get("NetworkMode", "")) == "host",
        mem_limit=int(host.get("Memory") or 0) or None,
        cpu_limit=cpu_limit,
    )


def counters_from_stats(data: Mapping[str, Any], ncpu: int) -> Counters:
    """Counters from one Engine API stats object (one-shot: no precpu needed)."""
    cpu = data.get("cpu_stats") or {}
    usage = cpu.get("cpu_usage") or {}
    online = int(cpu.get("online_cpus") or len(usage.get("percpu_usage") or ()) or ncpu or 1)
    mem = data.get("memory_stats") or {}
    mem_usage = mem.get("usage")
    stat = mem.get("stats") or {}
    in_use = None
    if mem_usage is not None:
        inactive = stat.get("total_inactive_file", stat.get("inactive_file", 0))
        in_use = int(mem_usage) - int(inactive) if inactive < mem_usage else int(mem_usage)
    networks = data.get("networks")
    rx = sum(int(n.get("rx_bytes", 0)) for n in networks.values()) if networks else None
    tx = sum(int(n.get("tx_bytes", 0)) for n in networks.values()) if networks else None
    blkio = data.get("blkio_stats")
    entries = (blkio or {}).get("io_service_bytes_recursive") or ()
    blk_r = sum(int(e.get("value", 0)) for e in entries if str(e.get("op")).lower() == "read")
    blk_w = sum(int(e.get("value", 0)) for e in entries if str(e.get("op")).lower() == "write")
    return Counters(
        at=_ts(data.get("read")) or 0.0,
        cpu_ns=int(usage.get("total_usage") or 0),
        clock_ns=float(cpu.get("system_cpu_usage") or 0) / online,
        mem=in_use,
        mem_limit=None,  # the API reports host memory for "unlimited": use inspect's
        pids=(data.get("pids_stats") or {}).get("current"),
        net_rx=rx,
        net_tx=tx,
        blk_read=blk_r if blkio is not None else None,
        blk_write=blk_w if blkio is not None else None,
    )
