"""Simulated resource usage of the demo platform, for `--demo`, screenshots and snapshots.

Same interface as the real reader (`ResourcesSource`). Every number is a smooth function
of the clock plus seeded noise, so a fixed clock and seed give the same screen every
time, while a real clock gives believable moving figures. The story matches the demo
platform: pulsar and the otel collector run close to their memory limits, jaeger was
OOM-killed an hour ago, a raymond worker lost a child process to the OOM killer.
"""

from __future__ import annotations

import math
import random
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from arctui.demo.platform import PROJECT, DemoPlatform
from arctui.models import ContainerInfo
from arctui.tabs.resources.models import (
    ContainerStats,
    HostStats,
    OomEvent,
    ResourcesSnapshot,
    VolumesSnapshot,
    VolumeUsage,
)

_K, _M, _G = 1024, 1024**2, 1024**3


@dataclass(frozen=True)
class _Profile:
    cpu: float  # cores, mean
    cpu_swing: float
    mem: int  # bytes, mean
    cpu_limit: float | None = None
    net: float = 20 * _K  # rx bytes/s mean; tx is a multiple
    tx_ratio: float = 1.0
    blk_write: float = 0.0
    pids: int = 8


_PROFILES = {
    "traefik": _Profile(0.08, 0.05, 72 * _M, None, 1.4 * _M, 2.6, 0, 14),
    "otel-collector": _Profile(0.22, 0.08, 436 * _M, 1.0, 900 * _K, 0.4, 0, 18),
    "postgres": _Profile(0.35, 0.25, 820 * _M, 2.0, 310 * _K, 1.8, 2.4 * _M, 26),
    "redis": _Profile(0.06, 0.03, 182 * _M, 0.5, 220 * _K, 1.3, 96 * _K, 5),
    "nats": _Profile(0.04, 0.02, 41 * _M, None, 140 * _K, 1.0, 0, 9),
    "pulsar": _Profile(1.1, 0.4, int(1.76 * _G), 2.0, 620 * _K, 1.1, 1.1 * _M, 112),
    "loki": _Profile(0.12, 0.06, 318 * _M, None, 410 * _K, 0.2, 640 * _K, 15),
    "prometheus": _Profile(0.28, 0.12, int(1.1 * _G), None, 180 * _K, 0.3, 880 * _K, 17),
    "grafana": _Profile(0.03, 0.02, 152 * _M, None, 12 * _K, 2.0, 0, 21),
    "kratos": _Profile(0.02, 0.01, 61 * _M, None, 8 * _K, 1.5, 0, 11),
    "unleash": _Profile(0.15, 0.1, 96 * _M, None, 4 * _K, 1.0, 0, 7),
    "infisical": _Profile(0.05, 0.03, 264 * _M, None, 30 * _K, 1.2, 0, 23),
    "raymond": _Profile(0.18, 0.1, 214 * _M, 1.0, 90 * _K, 1.4, 0, 6),
}
_VOLUMES = {
    "arc_postgres_data": 3.2 * _G,
    "arc_redis_data": 118 * _M,
    "arc_pulsar_data": 7.9 * _G,
    "arc_prometheus_data": 2.4 * _G,
    "arc_grafana_data": 52 * _M,
    "arc_loki_data": 1.3 * _G,
}
HOST_CPUS = 8
HOST_MEM = 32 * _G
RAYMOND_OOM_AGO = 1520.0  # seconds before the demo started


class DemoResources:
    """ResourcesSource over the simulated platform."""

    def __init__(self, platform: DemoPlatform, clock: Callable[[], float] | None = None) -> None:
        self.platform = platform
        self.project = PROJECT
        self.clock = clock or platform.clock
        self.seed = platform.seed
        self._closed = threading.Event()
        self._limits = {s.name: s.mem_limit for s in platform.model().services}
        self._phases: dict[str, tuple[float, float, float, float]] = {}

    def _wave(self, key: str, t: float) -> float:
        """A smooth wave in [-1, 1] with seeded phases and periods, plus a little noise."""
        if key not in self._phases:
            rng = random.Random(f"{self.seed}:{key}")
            self._phases[key] = (
                rng.uniform(40, 90),
                rng.uniform(9, 23),
                rng.uniform(0, math.tau),
                rng.uniform(0, math.tau),
            )
        p1, p2, f1, f2 = self._phases[key]
        noise = zlib.crc32(f"{self.seed}:{key}:{int(t)}".encode()) / 2**31 - 1
        value = 0.55 * math.sin(math.tau * t / p1 + f1) + 0.3 * math.sin(math.tau * t / p2 + f2)
        return value + 0.15 * noise

    def _stats(self, t: float, infos: list[ContainerInfo]) -> tuple[ContainerStats, ...]:
        out = []
        for c in infos:
            prof = _PROFILES.get(c.service, _Profile(0.05, 0.02, 64 * _M))
            limit = self._limits.get(c.service)
            base = ContainerStats(
                id=c.id,
                name=c.name,
                service=c.service,
                state=c.state,
                cpu_limit=prof.cpu_limit,
                mem_limit=limit,
                restarts=c.restart_count,
                oom_killed=c.oom_killed or (c.service == "raymond" and c.replica == 2),
                started_at=c.started_at,
                declared_mem_limit=limit,
                declared_cpu_limit=prof.cpu_limit,
            )
            if c.state != "running":
                out.append(base)
                continue
            key = c.name
            cpu = max(0.0, prof.cpu + prof.cpu_swing * self._wave(key + "cpu", t))
            mem = int(prof.mem * (1 + 0.03 * self._wave(key + "mem", t / 4)))
            net = prof.net * (1 + 0.5 * self._wave(key + "net", t))
            blk = prof.blk_write * (1 + 0.6 * self._wave(key + "blk", t))
            out.append(
                replace(
                    base,
                    cpu=cpu,
                    mem=mem,
                    net_rx=net,
                    net_tx=net * prof.tx_ratio,
                    blk_read=blk * 0.15,
                    blk_write=blk,
                    pids=prof.pids + int(2 * abs(self._wave(key + "pid", t / 8))),
                    sampled_at=t,
                )
            )
        return tuple(out)

    def _snapshot(self, t: float, infos: list[ContainerInfo] | None = None) -> ResourcesSnapshot:
        infos = self.platform.containers(PROJECT) if infos is None else infos
        containers = self._stats(t, infos)
        used_cpu = sum(c.cpu or 0 for c in containers)
        used_mem = sum(c.mem or 0 for c in containers) + int(5.5 * _G)
        oom = [
            OomEvent(c.finished_at, c.id, c.name, c.service)
            for c in infos
            if c.oom_killed and c.finished_at
        ]
        oom += [
            OomEvent(self.platform.started - RAYMOND_OOM_AGO, c.id, c.name, c.service)
            for c in containers
            if c.service == "raymond" and c.oom_killed
        ]
        return ResourcesSnapshot(
            project=PROJECT,
            containers=containers,
            host=HostStats(
                ncpu=HOST_CPUS,
                cpu=min(100.0, used_cpu / HOST_CPUS * 100 + 3.0),
                mem_total=HOST_MEM,
                mem_available=HOST_MEM - used_mem,
                mem_pressure=round(max(0.0, 1.2 + self._wave("psi", t)), 2),
                docker_root="/var/lib/docker",
                disk_total=200 * _G,
                disk_free=int(61.4 * _G),
            ),
            taken_at=t,
            mode="demo",
            oom_events=tuple(sorted(oom, key=lambda o: o.time)),
        )

    def read(self) -> ResourcesSnapshot:
        """The simulated usage at the current clock."""
        return self._snapshot(self.clock())

    def backfill(self, seconds: float) -> list[ResourcesSnapshot]:
        """One snapshot per second of the last `seconds`, so the charts start full."""
        now, infos = self.clock(), self.platform.containers(PROJECT)
        return [self._snapshot(now - k, infos) for k in range(int(seconds), 0, -1)]

    def volumes(self) -> VolumesSnapshot:
        """Fixed volume sizes, growing slowly with the clock."""
        grow = 1 + (self.clock() - self.platform.started) / 86400 * 0.01
        return VolumesSnapshot(
            tuple(VolumeUsage(n, int(s * grow), 1) for n, s in _VOLUMES.items()),
            self.clock(),
        )

    def follow_events(self, on_change: Callable[[str], None], stop: threading.Event) -> None:
        """Nothing happens in the simulated event stream; wait for the stop."""
        while not stop.is_set() and not self._closed.is_set():
            stop.wait(1.0)

    def close(self) -> None:
        """Unblock follow_events."""
        self._closed.set()
