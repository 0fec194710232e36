"""Measuring helpers shared by the benchmarks (CPU from /proc, the engine's CPU, a fixed
size pseudo-terminal that counts what it is sent). No arctui import: the benchmarks
measure arctui from the outside."""

from __future__ import annotations

import fcntl
import itertools
import os
import pty
import signal
import struct
import sys
import termios
import threading
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int, children: bool = True) -> int:
    """utime + stime (+ waited-for children) of a process, in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    ticks = int(fields[11]) + int(fields[12])
    return ticks + (int(fields[13]) + int(fields[14]) if children else 0)


def engine_pids(ids: list[str]) -> list[int]:
    """dockerd, containerd, and the shims of our containers (not other projects')."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            if comm in ("dockerd", "containerd"):
                pids.append(int(entry.name))
            elif comm.startswith("containerd-shim"):
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
                if any(cid in cmdline for cid in ids):
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def engine_ticks(pids: list[int]) -> dict[int, int]:
    """CPU ticks of each engine process still alive."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = int(fields[11]) + int(fields[12])
    return out


class EngineWindow:
    """Engine CPU over a window; invalid if an engine process came or went meanwhile
    (another job restarting dockerd would otherwise make nonsense of the figure)."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.pids = engine_pids(ids)
        self.start = engine_ticks(self.pids)
        self.t0 = time.monotonic()

    def rate(self) -> float | None:
        """CPU seconds per second, or None when the window is unusable."""
        end, dt = engine_ticks(self.pids), time.monotonic() - self.t0
        if set(end) != set(self.start) or set(engine_pids(self.ids)) != set(self.pids):
            return None
        return sum(end[p] - self.start[p] for p in end) / TICK / dt


def foreign_activity(project: str) -> list[str]:
    """Other jobs that load the engine (test runs, compose commands of other projects,
    docker CLI calls other than `docker stats`): the benchmarks wait them out."""
    busy = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            compose = "docker-compose" in cmd and project not in cmd
            docker_cli = cmd.split(" ")[0].endswith("/docker") or cmd.startswith("docker ")
            if "pytest" in cmd or compose or (docker_cli and " stats " not in f"{cmd} "):
                busy.append(cmd[:80])  # (a benchmark's own `docker stats` run is not foreign)
    return busy


def wait_quiet(limit: float, project: str) -> bool:
    """Wait (up to `limit` s) until no other job loads the engine; False if it never did."""
    deadline = time.monotonic() + limit
    while foreign_activity(project):
        if time.monotonic() > deadline:
            return False
        time.sleep(5)
    return True


def peak_rss(pid: int) -> int:
    """VmHWM in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def idle_baselines(idle: list[float]) -> list[float]:
    """Per run, the mean of the idle windows on either side; a window far from the median
    (something else used the engine then) is replaced by the median."""
    ordered = sorted(idle)
    median = ordered[len(ordered) // 2]
    usable = [r if abs(r - median) <= max(0.5 * median, 0.2 / 60) else median for r in idle]
    if usable != idle:
        print(f"idle outlier(s) replaced by the median: {idle} -> {usable}", file=sys.stderr)
    return [(a + b) / 2 for a, b in itertools.pairwise(usable)]


class PtyProcess:
    """A command in a pseudo-terminal of a fixed size; everything it writes is counted."""

    def __init__(self, argv: list[str], env: dict[str, str], cols: int, rows: int) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execve(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.bytes = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            self.bytes += len(data)

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def stop(self, keys: str = "") -> None:
        if keys:
            self.send(keys)
        for _ in range(50):
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.1)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)
