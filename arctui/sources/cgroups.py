"""A container's usage read straight from its cgroup, as dockerd itself does for `docker stats`.

Far cheaper than the Engine API when arctui runs on the Docker host: a handful of small
file reads per container and tick, no daemon work. Both layouts are handled:

- cgroup v2 (unified): `<root>/system.slice/docker-<id>.scope` (systemd driver) or
  `<root>/docker/<id>` (cgroupfs driver);
- cgroup v1: one hierarchy per controller, `<root>/{cpuacct,memory,blkio,pids}/docker/<id>`
  (or `.../system.slice/docker-<id>.scope`), controllers possibly co-mounted
  (`cpu,cpuacct`);

and anything else (rootless, nested) through `/proc/<pid>/cgroup` of the container's init
process. Network counters come from `/proc/<pid>/net/dev` (the container's namespace).
The roots are injectable so tests run on fake trees. No Textual, no policy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from arctui.sources.counters import Counters

UNLIMITED = 1 << 60  # v1 reports "no limit" as a huge page-aligned number
CLOCK_TRIES = 3  # reads of the CPU counter when its clock bracket is wide
CLOCK_BRACKET_NS = 5_000_000  # a bracket this narrow pairs counter and clock closely
_V1_CONTROLLERS = ("cpuacct", "memory", "blkio", "pids")


@dataclass(frozen=True)
class CgroupPaths:
    """Where one container's counters live (v2: the same directory for everything)."""

    version: int
    cpu: Path
    memory: Path
    blkio: Path
    pids: Path
    pid: int | None = None  # the init pid, when /proc here shows it inside this container


def _read(path: Path) -> str:
    with open(path, encoding="ascii", errors="replace") as f:
        return f.read()


def _int(path: Path) -> int | None:
    try:
        text = _read(path).strip()
    except FileNotFoundError:
        raise
    except OSError:
        return None
    return int(text) if text.lstrip("-").isdigit() else None


def _flat_keyed(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            out[key] = int(value)
    return out


def memory_in_use(usage: int, stat: dict[str, int]) -> int:
    """Usage without reclaimable page cache, exactly as the docker CLI computes it."""
    inactive = stat.get("total_inactive_file")  # v1
    if inactive is not None and inactive < usage:
        return usage - inactive
    inactive = stat.get("inactive_file", 0)  # v2 (and v1 without hierarchy)
    return usage - inactive if inactive < usage else usage


def parse_blkio_v1(text: str) -> tuple[int, int]:
    """(read, write) bytes from blkio.*io_service_bytes_recursive."""
    read = write = 0
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            if parts[1] == "Read":
                read += int(parts[2])
            elif parts[1] == "Write":
                write += int(parts[2])
    return read, write


def parse_io_stat_v2(text: str) -> tuple[int, int]:
    """(read, write) bytes from io.stat."""
    read = write = 0
    for line in text.splitlines():
        for field in line.split()[1:]:
            key, _, value = field.partition("=")
            if value.isdigit():
                if key == "rbytes":
                    read += int(value)
                elif key == "wbytes":
                    write += int(value)
    return read, write


def parse_net_dev(text: str) -> tuple[int, int]:
    """(rx, tx) bytes over every interface but loopback, from /proc/<pid>/net/dev."""
    rx = tx = 0
    for line in text.splitlines()[2:]:
        name, _, data = line.partition(":")
        fields = data.split()
        if name.strip() == "lo" or len(fields) < 9:
            continue
        rx += int(fields[0])
        tx += int(fields[8])
    return rx, tx


class CgroupReader:
    """Finds and reads container cgroups under `root`, processes under `proc`."""

    def __init__(
        self,
        root: Path = Path("/sys/fs/cgroup"),
        proc: Path = Path("/proc"),
        monotonic_ns: Callable[[], int] = time.monotonic_ns,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root
        self.proc = proc
        self._monotonic_ns = monotonic_ns
        self._clock = clock
        self._paths: dict[str, CgroupPaths] = {}
        self._controllers: dict[str, Path | None] = {}

    @property
    def version(self) -> int | None:
        """2 for a unified hierarchy, 1 for per-controller hierarchies, None if unreadable."""
        if (self.root / "cgroup.controllers").is_file():
            return 2
        if self._controller("memory") is not None:
            return 1
        return None

    def _controller(self, name: str) -> Path | None:
        """A v1 controller's mount (`cpuacct` may only exist as `cpu,cpuacct`)."""
        if name not in self._controllers:
            found = None
            direct = self.root / name
            if direct.is_dir():
                found = direct
            else:
                try:
                    entries = sorted(self.root.iterdir())
                except OSError:
                    entries = []
                found = next((e for e in entries if name in e.name.split(",")), None)
            self._controllers[name] = found
        return self._controllers[name]

    def _proc_cgroup(self, pid: int | None) -> dict[str, str]:
        """controller -> path from /proc/<pid>/cgroup ("" key: the v2 path)."""
        if not pid:
            return {}
        try:
            text = _read(self.proc / str(pid) / "cgroup")
        except OSError:
            return {}
        out: dict[str, str] = {}
        for line in text.splitlines():
            _, controllers, path = [*line.split(":", 2), "", ""][:3]
            for c in controllers.split(",") if controllers else [""]:
                out[c.removeprefix("name=")] = path.lstrip("/")
        return out

    def find(self, cid: str, pid: int | None = None) -> CgroupPaths | None:
        """The container's cgroup directories, or None when they cannot be read here."""
        if cid in self._paths:
            return self._paths[cid]
        version = self.version
        guesses = [f"system.slice/docker-{cid}.scope", f"docker/{cid}"]
        from_proc = self._proc_cgroup(pid)
        # A pid from inspect is only ours to read if /proc here shows it in this container
        # (arctui in another pid namespace would read some unrelated process).
        own_pid = pid if any(cid in path for path in from_proc.values()) else None
        found: CgroupPaths | None = None
        if version == 2:
            candidates = [self.root / g for g in guesses]
            if from_proc.get("") and cid in from_proc[""]:
                candidates.append(self.root / from_proc[""])
            hit = next((c for c in candidates if (c / "memory.current").is_file()), None)
            if hit is not None:
                found = CgroupPaths(2, hit, hit, hit, hit, own_pid)
        elif version == 1:
            dirs: dict[str, Path] = {}
            for ctrl in _V1_CONTROLLERS:
                mount = self._controller(ctrl)
                if mount is None:
                    continue
                candidates = [mount / g for g in guesses]
                if cid in from_proc.get(ctrl, ""):
                    candidates.append(mount / from_proc[ctrl])
                hit = next((c for c in candidates if c.is_dir()), None)
                if hit is not None:
                    dirs[ctrl] = hit
            if "cpuacct" in dirs and "memory" in dirs:
                found = CgroupPaths(
                    1,
                    dirs["cpuacct"],
                    dirs["memory"],
                    dirs.get("blkio", dirs["memory"]),
                    dirs.get("pids", dirs["memory"]),
                    own_pid,
                )
        if found is not None:
            self._paths[cid] = found
        return found

    def forget(self, cid: str) -> None:
        """Drop a cached location (the container is gone or restarted)."""
        self._paths.pop(cid, None)

    def read(self, paths: CgroupPaths, host_network: bool) -> Counters:
        """Current counters. FileNotFoundError: the cgroup is gone (container stopped)."""
        at = self._clock()
        cpu_ns, clock = self._cpu_at(paths)
        if paths.version == 2:
            usage = _int(paths.memory / "memory.current") or 0
            stat = _flat_keyed(_read(paths.memory / "memory.stat"))
            raw_max = _read(paths.memory / "memory.max").strip()
            limit = int(raw_max) if raw_max.isdigit() else None
            blk = self._optional(paths.blkio / "io.stat", parse_io_stat_v2)
        else:
            usage = _int(paths.memory / "memory.usage_in_bytes") or 0
            stat = _flat_keyed(_read(paths.memory / "memory.stat"))
            limit = _int(paths.memory / "memory.limit_in_bytes")
            blk = self._optional(
                paths.blkio / "blkio.throttle.io_service_bytes_recursive", parse_blkio_v1
            )
        if limit is not None and (limit >= UNLIMITED or limit <= 0):
            limit = None
        try:
            pids = _int(paths.pids / "pids.current")
        except FileNotFoundError:
            pids = None
        net = None if host_network or not paths.pid else self._net(paths.pid)
        return Counters(
            at=at,
            cpu_ns=cpu_ns,
            clock_ns=float(clock),
            mem=memory_in_use(usage, stat),
            mem_limit=limit,
            pids=pids,
            net_rx=net[0] if net else None,
            net_tx=net[1] if net else None,
            blk_read=blk[0] if blk else None,
            blk_write=blk[1] if blk else None,
        )

    def _cpu_at(self, paths: CgroupPaths) -> tuple[int, float]:
        """The CPU counter and the monotonic time it was read at, bracketed by two clocks.

        A thread stalled between the clock and the counter (a busy host, the GIL) paired
        a counter with a clock from long before it: 194.6 % for a one-thread burner over a
        short interval. Retry while the bracket is wide; use the narrowest one's middle.
        """
        best: tuple[int, int, int] | None = None  # (width, cpu_ns, middle)
        for _ in range(CLOCK_TRIES):
            before = self._monotonic_ns()
            if paths.version == 2:
                cpu_stat = _flat_keyed(_read(paths.cpu / "cpu.stat"))
                cpu_ns = cpu_stat.get("usage_usec", 0) * 1000
            else:
                cpu_ns = _int(paths.cpu / "cpuacct.usage") or 0
            after = self._monotonic_ns()
            width = after - before
            if best is None or width < best[0]:
                best = (width, cpu_ns, (before + after) // 2)
            if width <= CLOCK_BRACKET_NS:
                break
        assert best is not None
        return best[1], float(best[2])

    @staticmethod
    def _optional(path: Path, parse: Callable[[str], tuple[int, int]]) -> tuple[int, int] | None:
        try:
            return parse(_read(path))
        except OSError:
            return None

    def _net(self, pid: int) -> tuple[int, int] | None:
        try:
            return parse_net_dev(_read(self.proc / str(pid) / "net" / "dev"))
        except (OSError, ValueError):
            return None
