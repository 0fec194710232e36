"""Rates from deltas of cumulative counters, and a bounded usage history per container.

Pure arithmetic, shared by the cgroup and the Engine API paths, unit-tested on its own.
A counter that went backwards (the container restarted, its cgroup was recreated) gives
no rate for that interval rather than a huge or negative one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from arctui.tabs.resources.models import Counters, ResourcesSnapshot


@dataclass(frozen=True)
class Rates:
    """Per-second figures between two readings (None: not computable)."""

    cpu: float | None = None  # cores
    net_rx: float | None = None  # bytes/s
    net_tx: float | None = None
    blk_read: float | None = None
    blk_write: float | None = None


def per_second(before: int | None, after: int | None, seconds: float) -> float | None:
    """(after - before) / seconds; None if unknown, no time passed, or the counter reset."""
    if before is None or after is None or seconds <= 0 or after < before:
        return None
    return (after - before) / seconds


def cpu_cores(prev: Counters, cur: Counters) -> float | None:
    """Cores in use between two readings: Δcpu time / Δclock (0.5 = half a core)."""
    elapsed = cur.clock_ns - prev.clock_ns
    used = cur.cpu_ns - prev.cpu_ns
    if elapsed <= 0 or used < 0:
        return None
    return used / elapsed


def rates(prev: Counters | None, cur: Counters, max_cores: float = 0) -> Rates:
    """Rates between `prev` and `cur` (all None on the first reading).

    `max_cores` (the host's CPUs, 0 = unknown): a container cannot use more. A CPU figure
    above it is a counter read out of step with its clock (seen once in CI: 348% on a
    2-core VM over a short interval), so that interval gets no CPU figure instead.
    """
    if prev is None:
        return Rates()
    dt = cur.at - prev.at
    if dt <= 0:  # API timestamps can repeat when the daemon served a cached sample
        dt = (cur.clock_ns - prev.clock_ns) / 1e9
    cpu = cpu_cores(prev, cur)
    if cpu is not None and max_cores > 0 and cpu > max_cores * 1.05:
        cpu = None
    return Rates(
        cpu=cpu,
        net_rx=per_second(prev.net_rx, cur.net_rx, dt),
        net_tx=per_second(prev.net_tx, cur.net_tx, dt),
        blk_read=per_second(prev.blk_read, cur.blk_read, dt),
        blk_write=per_second(prev.blk_write, cur.blk_write, dt),
    )


class HostCpu:
    """Host CPU % from successive /proc/stat (busy, total) readings."""

    def __init__(self) -> None:
        self._prev: tuple[int, int] | None = None

    def update(self, busy: int, total: int) -> float | None:
        """% of all CPUs busy since the previous call (None on the first)."""
        prev, self._prev = self._prev, (busy, total)
        if prev is None or total <= prev[1] or busy < prev[0]:
            return None
        return (busy - prev[0]) / (total - prev[1]) * 100.0


@dataclass(frozen=True)
class Point:
    """One history sample of a container."""

    t: float
    cpu: float | None  # cores
    mem: int | None  # bytes


class History:
    """The last `window` seconds of CPU and memory per container, bounded in length."""

    def __init__(self, window: float = 600.0, max_points: int = 1200) -> None:
        self.window = window
        self.max_points = max_points
        # True: a full series thins its older half instead of dropping its oldest point,
        # so a long window (charts backed by a recording) keeps its reach.
        self.thin = False
        self._series: dict[str, deque[Point]] = {}

    def add(self, snapshot: ResourcesSnapshot) -> None:
        """Append every running container's sample; forget containers no longer shown."""
        shown = set()
        for c in snapshot.containers:
            shown.add(c.id)
            if not c.running or c.sampled_at is None:
                continue
            series = self._series.setdefault(c.id, deque(maxlen=self.max_points))
            point = Point(c.sampled_at, c.cpu, c.mem)
            if series and point.t < series[-1].t:
                series.clear()  # time went back (a replay moved back, the clock jumped)
            if series and series[-1].t >= point.t:
                series[-1] = point  # same instant again (a frozen clock): replace
            else:
                if self.thin and len(series) == series.maxlen:
                    kept = list(series)
                    half = len(kept) // 2
                    series.clear()
                    series.extend(kept[:half:2] + kept[half:])
                series.append(point)
            while series and series[0].t < point.t - self.window:
                series.popleft()
        for cid in set(self._series) - shown:
            del self._series[cid]

    def extend(self, snapshots: Iterable[ResourcesSnapshot]) -> None:
        """Add several snapshots, oldest first (a demo backfill)."""
        for snap in snapshots:
            self.add(snap)

    def series(self, cid: str) -> list[Point]:
        """The samples of one container, oldest first."""
        return list(self._series.get(cid, ()))

    def __len__(self) -> int:
        return sum(len(s) for s in self._series.values())
