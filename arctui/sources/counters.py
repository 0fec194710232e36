"""Values the engine and cgroup readers build, below the tabs that show them.

`Counters` are one container's cumulative readings (rates come from two of them);
`VolumeUsage` is a named volume's size. The Resources tab's models re-export both.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VolumeUsage:
    """A named volume of the project and its size on disk."""

    name: str
    size: int | None  # bytes; None = unknown (the engine did not say)
    containers: int = 0  # how many containers use it


@dataclass(frozen=True)
class Counters:
    """Cumulative counters of one container at one reading; rates come from two of these.

    `clock_ns` is the time base CPU is measured against: monotonic wall time when read
    from cgroups, `system_cpu_usage / online_cpus` when read from the Engine API (the
    formula `docker stats` uses), so `Δcpu_ns / Δclock_ns` is cores in use either way.
    """

    at: float  # unix seconds of the reading
    cpu_ns: int
    clock_ns: float
    mem: int | None = None  # page cache excluded
    mem_limit: int | None = None  # None = unlimited
    pids: int | None = None
    net_rx: int | None = None  # cumulative bytes; None = host network or unknown
    net_tx: int | None = None
    blk_read: int | None = None
    blk_write: int | None = None
