"""CPU, memory and I/O of Postgres backends in a container, read from /proc on the host.

`pg_stat_activity.pid` is the pid inside the container's pid namespace, so a tool that
looks it up in the host's /proc (pg_activity) finds nothing or the wrong process. On the
Docker host the container's processes are listed in its cgroup (`cgroup.procs`, host
pids), and `/proc/<host pid>/status` has an `NSpid:` line with the host pid first and the
pid inside the container last: that maps one to the other. Our own monitoring backend's
pid must turn up in the map, which proves the connection really goes to this container.
No Textual.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from arctui.sources.cgroups import CgroupReader
from arctui.tabs.postgres.models import ProcStats

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class _Sample:
    start: int  # process start time (ticks since boot): tells a reused pid apart
    cpu_ticks: int
    read_bytes: int | None
    write_bytes: int | None
    at: float


def parse_status(text: str) -> tuple[int | None, int | None]:
    """(pid in the innermost namespace, VmRSS bytes) from /proc/<pid>/status."""
    ns_pid = rss = None
    for line in text.splitlines():
        if line.startswith("NSpid:"):
            parts = line.split()[1:]
            ns_pid = int(parts[-1]) if parts else None
        elif line.startswith("VmRSS:"):
            parts = line.split()
            rss = int(parts[1]) * 1024 if len(parts) >= 2 else None
    return ns_pid, rss


def parse_stat(text: str) -> tuple[int, int]:
    """(utime + stime ticks, start time ticks) from /proc/<pid>/stat."""
    rest = text[text.rindex(")") + 2 :].split()
    # fields after the comm: state(3) ... utime(14) stime(15) ... starttime(22)
    return int(rest[11]) + int(rest[12]), int(rest[19])


def parse_io(text: str) -> tuple[int | None, int | None]:
    """(read_bytes, write_bytes) from /proc/<pid>/io (storage, not page cache)."""
    values = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    r, w = values.get("read_bytes"), values.get("write_bytes")
    return (int(r) if r else None, int(w) if w else None)


class BackendProcs:
    """Per-backend OS figures for the Postgres container, keyed by the in-container pid."""

    def __init__(
        self,
        cgroups: CgroupReader | None = None,
        proc: Path = Path("/proc"),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cgroups = cgroups or CgroupReader(proc=proc)
        self.proc = proc
        self._clock = clock
        self._prev: dict[int, _Sample] = {}

    def _read(self, name: str, pid: int) -> str:
        with open(self.proc / str(pid) / name, encoding="ascii", errors="replace") as f:
            return f.read()

    def _host_pids(self, container_id: str) -> list[int] | None:
        paths = self.cgroups.find(container_id)
        if paths is None:
            return None
        try:
            text = (paths.cpu / "cgroup.procs").read_text()
        except OSError:
            self.cgroups.forget(container_id)
            return None
        return [int(x) for x in text.split() if x.isdigit()]

    def read(
        self, container_id: str | None, own_pid: int | None
    ) -> tuple[dict[int, ProcStats], str]:
        """(in-container pid -> stats, why empty). Rates need a previous read (else None)."""
        if container_id is None:
            return {}, "no Postgres container in the stack for this connection"
        pids = self._host_pids(container_id)
        if pids is None:
            return (
                {},
                "the container's cgroup is not readable here (arctui is not on the Docker host)",
            )
        now = self._clock()
        out: dict[int, ProcStats] = {}
        seen: dict[int, _Sample] = {}
        for host_pid in pids:
            try:
                ns_pid, rss = parse_status(self._read("status", host_pid))
                ticks, start = parse_stat(self._read("stat", host_pid))
            except (OSError, ValueError, IndexError):
                continue  # the backend just ended
            try:
                rb, wb = parse_io(self._read("io", host_pid))
            except OSError:
                rb = wb = None
            if ns_pid is None:
                continue
            sample = _Sample(start, ticks, rb, wb, now)
            seen[host_pid] = sample
            prev = self._prev.get(host_pid)
            cpu = read_bps = write_bps = None
            if prev is not None and prev.start == start and now > prev.at:
                dt = now - prev.at
                cpu = 100.0 * (ticks - prev.cpu_ticks) / _TICKS / dt
                if rb is not None and prev.read_bytes is not None:
                    read_bps = max(0.0, (rb - prev.read_bytes) / dt)
                if wb is not None and prev.write_bytes is not None:
                    write_bps = max(0.0, (wb - prev.write_bytes) / dt)
            out[ns_pid] = ProcStats(cpu, rss, read_bps, write_bps, host_pid)
        self._prev = seen
        if own_pid is not None and own_pid not in out:
            # Our backend is not in this container: the connection goes elsewhere.
            return {}, "the server arctui is connected to is not the stack's Postgres container"
        return out, ""
