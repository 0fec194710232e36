"""Issue 20's full recorder benchmark: 50 health-checked containers with a busy loop,
Postgres under pgbench and Redis under load (bench_stack.py's own compose project), the
real `arctui record` at 5 s and, beside it, `atop -w` at the same interval.

    .venv/bin/python benchmarks/recorder_full_bench.py [-p arctui-bench20] [--seconds 180]

Two periods of the same length, both under the same load: idle (no recorder) and
recording. Recorder CPU = its own process, plus the extra over idle of the engine
(dockerd, containerd) and of the Postgres and Redis containers (their cgroups' cpuacct).
atop runs in the recording period and is measured by its own process; it records host
processes, not containers, health, Postgres or Redis. Store growth is the recorder's
store over the recording period.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_stack
from benchmarks._common import TICK, cpu_ticks, engine_pids, engine_ticks


def _container_ids(project: str, service: str | None = None) -> list[str]:
    flt = ["--filter", f"label=com.docker.compose.project={project}"]
    if service:
        flt += ["--filter", f"label=com.docker.compose.service={service}"]
    out = subprocess.run(["docker", "ps", "-q", "--no-trunc", *flt], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return out.split()


def _cgroup_cpu_s(cid: str) -> float:
    for base in ("/sys/fs/cgroup/cpuacct/docker", "/sys/fs/cgroup/cpu,cpuacct/docker"):
        p = Path(base) / cid / "cpuacct.usage"
        if p.exists():
            return int(p.read_text()) / 1e9
    p = Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/cpu.stat")
    if p.exists():
        usage = dict(line.split() for line in p.read_text().splitlines())
        return int(usage["usage_usec"]) / 1e6
    return 0.0


class Meter:
    """CPU seconds of the engine and of the database containers since `start`."""

    def __init__(self, project: str) -> None:
        self.dbs = _container_ids(project, "postgres") + _container_ids(project, "redis")
        self.engine = engine_pids(self.dbs)

    def read(self) -> tuple[float, float]:
        eng = sum(engine_ticks(self.engine).values()) / TICK
        return eng, sum(_cgroup_cpu_s(c) for c in self.dbs)


def _load(project: str, seconds: float) -> list[subprocess.Popen[bytes]]:
    pg_port, redis_port = bench_stack.ports(project)
    env = {"PGPASSWORD": bench_stack.PG_PASSWORD, "PATH": "/usr/bin:/bin"}
    pg = ["-h", "127.0.0.1", "-p", str(pg_port), "-U", "arc", "arc_db"]
    subprocess.run(["pgbench", "-i", "-q", "-s", "2", *pg], env=env, check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    return [
        subprocess.Popen(["pgbench", "-c", "4", "-R", "50", "-T", str(int(seconds)), *pg],
                         env=env, **quiet),  # type: ignore[call-overload]
        # ~100 commands a second: set and get of a growing key space
        subprocess.Popen(["redis-cli", "-p", str(redis_port), "-r", "-1", "-i", "0.01",
                          "eval", "redis.call('set', 'k'..math.random(100000), ARGV[1]) "
                          "return redis.call('get', 'k'..math.random(100000))", "0", "x" * 64],
                         **quiet),  # type: ignore[call-overload]
    ]  # fmt: skip


def _payload(path: Path, since: float) -> tuple[int, float]:
    """Bytes of the frames and events stored from `since`, and the seconds they cover."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    frames, last = conn.execute(
        "SELECT COALESCE(SUM(LENGTH(blob)), 0), MAX(ts) FROM frames WHERE ts >= ?", (since,)
    ).fetchone()
    (events,) = conn.execute(
        "SELECT COALESCE(SUM(LENGTH(blob)), 0) FROM events WHERE ts >= ?", (since,)
    ).fetchone()
    conn.close()
    return int(frames + events), max(1.0, float(last or since) - since)


def _store_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("-p", "--project", default="arctui-bench20")
    p.add_argument("-n", type=int, default=50)
    p.add_argument("--seconds", type=float, default=180)
    p.add_argument("--interval", type=float, default=5)
    p.add_argument("--keep", action="store_true", help="leave the project up (already up)")
    a = p.parse_args()
    compose = bench_stack.path_for(a.project)
    if not compose.exists() or not a.keep:
        compose = bench_stack.up(a.project, a.n)
    deadline = time.monotonic() + 300
    while len(_container_ids(a.project, "postgres")) == 0 and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(15)  # Postgres accepts connections (pg_isready in the health check)
    tmp = Path(tempfile.mkdtemp(prefix="arctui-full-"))
    store = tmp / "bench.sqlite"
    load = _load(a.project, 2 * a.seconds + 60)
    try:
        meter = Meter(a.project)
        time.sleep(10)  # the load settles
        e0, d0 = meter.read()
        time.sleep(a.seconds)
        e1, d1 = meter.read()
        argv = [sys.executable, "-m", "arctui", "--project-dir", str(compose.parent),
                "-p", a.project, "-f", str(compose), "--store", str(store),
                "record", "--interval", str(a.interval)]  # fmt: skip
        rec = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        atop = None
        if shutil.which("atop"):
            raw = str(tmp / "atop.raw")
            atop = subprocess.Popen(["atop", "-w", raw, str(int(a.interval))],
                                    stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
        while _store_bytes(store) == 0:
            time.sleep(0.2)
        time.sleep(2 * a.interval)  # past the first samples (every reader built)
        r0, s0, (e2, d2), t0 = cpu_ticks(rec.pid), _store_bytes(store), meter.read(), time.time()
        a0 = cpu_ticks(atop.pid) if atop else 0
        raw0 = (tmp / "atop.raw").stat().st_size if atop else 0
        time.sleep(a.seconds)
        r1, s1, (e3, d3), wall = (
            cpu_ticks(rec.pid),
            _store_bytes(store),
            meter.read(),
            time.time() - t0,
        )
        a1 = cpu_ticks(atop.pid) if atop else 0
        raw1 = (tmp / "atop.raw").stat().st_size if atop else 0
        rec.send_signal(signal.SIGTERM)
        rec.wait(timeout=60)
        if atop:
            atop.terminate()
            atop.wait(timeout=30)
    finally:
        for proc in load:
            proc.terminate()
    idle_engine, idle_db = (e1 - e0) / a.seconds, (d1 - d0) / a.seconds
    own = (r1 - r0) / TICK / wall * 100
    engine_extra = ((e3 - e2) / wall - idle_engine) * 100
    db_extra = ((d3 - d2) / wall - idle_db) * 100
    print(f"{a.n} containers + Postgres (pgbench -R 50) + Redis (~100 cmd/s), {a.interval:g} s, "
          f"{wall:.0f} s recorded against {a.seconds:.0f} s idle")  # fmt: skip
    print(f"recorder CPU: own {own:.2f} %, engine extra {engine_extra:+.2f} %, "
          f"Postgres+Redis extra {db_extra:+.2f} % -> total {own + engine_extra + db_extra:.2f} % "
          "of one core (goal <= 1 %)")  # fmt: skip
    payload, span = _payload(store, t0)
    print(f"store: {payload / 1e6 * 3600 / span:.2f} MB/h of frames and events "
          f"(goal <= 1 MB/h); the file grew {(s1 - s0) / 1e6:.2f} MB in {wall:.0f} s "
          "(SQLite's WAL grows to its checkpoint first)")  # fmt: skip
    if atop:
        print(f"atop -w {a.interval:g}: {(a1 - a0) / TICK / wall * 100:.2f} % of one core, "
              f"{(raw1 - raw0) / 1e6 * 3600 / wall:.2f} MB/h (host processes only: no "
              "containers, health, Postgres or Redis)")  # fmt: skip
    else:
        print("atop: not installed (apt-get install atop)")
    if not a.keep:
        bench_stack.down(a.project)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
