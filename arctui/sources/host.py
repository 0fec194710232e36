"""The Docker host itself, read from /proc and statvfs (only meaningful on that host).

CPU from /proc/stat (busy and total jiffies, rates from deltas by the caller), memory
from /proc/meminfo (MemAvailable, what `free` calls available), memory pressure from
PSI (/proc/pressure/memory, kernels >= 4.20), free disk of Docker's data root with
statvfs (`df -h /var/lib/docker`). Roots injectable for tests; no Textual.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


class HostReader:
    """Reads the local machine's counters."""

    def __init__(
        self,
        proc: Path = Path("/proc"),
        statvfs: Callable[[str], os.statvfs_result] = os.statvfs,
    ) -> None:
        self.proc = proc
        self._statvfs = statvfs

    def readable(self) -> bool:
        """Whether /proc/stat and /proc/meminfo can be read."""
        return os.access(self.proc / "stat", os.R_OK) and os.access(self.proc / "meminfo", os.R_OK)

    def cpu_times(self) -> tuple[int, int, int]:
        """(busy, total jiffies, online cpus) from /proc/stat; iowait counts as idle."""
        busy = total = ncpu = 0
        with open(self.proc / "stat", encoding="ascii") as f:
            for line in f:
                if line.startswith("cpu "):
                    fields = [int(x) for x in line.split()[1:9]]
                    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
                    total = sum(fields)
                    busy = total - idle
                elif line.startswith("cpu"):
                    ncpu += 1
                else:
                    break
        return busy, total, ncpu

    def meminfo(self) -> tuple[int | None, int | None]:
        """(MemTotal, MemAvailable) in bytes."""
        values: dict[str, int] = {}
        with open(self.proc / "meminfo", encoding="ascii") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("MemTotal", "MemAvailable"):
                    values[key] = int(rest.split()[0]) * 1024
                if len(values) == 2:
                    break
        return values.get("MemTotal"), values.get("MemAvailable")

    def pressure(self) -> float | None:
        """PSI memory `some avg10` (% of time some task waited on memory), None without PSI."""
        try:
            with open(self.proc / "pressure" / "memory", encoding="ascii") as f:
                first = f.readline()
        except OSError:
            return None
        for field in first.split():
            key, _, value = field.partition("=")
            if key == "avg10":
                try:
                    return float(value)
                except ValueError:
                    return None
        return None

    def disk(self, path: str) -> tuple[int | None, int | None]:
        """(size, free for unprivileged users) bytes of the filesystem holding `path`,
        the size as `df` counts it for its Use% (see `df_size`)."""
        if not path:
            return None, None
        try:
            st = self._statvfs(path)
        except OSError:
            return None, None
        return df_size(st), st.f_bavail * st.f_frsize


def df_size(st: os.statvfs_result) -> int:
    """Used plus available bytes: what `df`'s Use% is a share of. Blocks reserved for root
    are left out, so "69% used" never shows for a disk `df` calls 24% used (a filesystem
    with a large reserve)."""
    return (st.f_blocks - st.f_bfree + st.f_bavail) * st.f_frsize
