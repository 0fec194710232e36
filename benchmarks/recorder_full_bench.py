"""Issue 20's full recorder benchmark: 50 health-checked containers with a busy loop,
Postgres under pgbench and Redis under load (bench_stack.py's own compose project), the
real `arctui record` at 5 s and, beside it, `atop -w` at the same interval.

    .venv/bin/python benchmarks/recorder_full_bench.py [-p arctui-bench20] [--pairs 6]
        [--window 30]

One recorder, under the same load throughout, in windows that take turns: recording,
and paused by SIGSTOP (no sample, no engine call, no query; its connections stay open).
The turns go ABBA so that load from other jobs, drifting during the run, weighs on both
kinds alike (a shared machine made one idle period followed by one recording period
useless: -19 % "extra"). Recorder CPU = its own process over the recording windows, plus
the engine's (dockerd, containerd, the databases' shims) and the Postgres and Redis
containers' (cgroup cpuacct) CPU over recording windows less over paused ones; each
pair's difference is printed as a range. The engine API calls of 12 samples are counted
with strace (one short connection per call): a figure load cannot blur. The doctor's run
(every 15 minutes, probes exec into containers) falls before the windows. atop runs
through all windows and is measured by its own process; it records host processes, not
containers, health, Postgres or Redis. Store growth: bytes per frame times frames per
hour, plus the events' bytes over the run.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import statistics
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


def _payload(path: Path, since: float) -> tuple[float, float, float, float]:
    """Mean bytes of a packed frame and of a keyframe, keyframes per frame, and events'
    bytes per second, stored from `since`."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    q = "SELECT COALESCE(SUM(LENGTH(blob)), 0), COUNT(*) FROM frames WHERE ts >= ? AND key_id IS"
    packed, n_packed = conn.execute(q + " NOT NULL", (since,)).fetchone()
    keys, n_keys = conn.execute(q + " NULL", (since,)).fetchone()
    (last,) = conn.execute("SELECT MAX(ts) FROM frames").fetchone()
    (events,) = conn.execute(
        "SELECT COALESCE(SUM(LENGTH(blob)), 0) FROM events WHERE ts >= ?", (since,)
    ).fetchone()
    conn.close()
    span = max(1.0, float(last or since) - since)
    return (packed / max(1, n_packed), keys / max(1, n_keys),
            n_keys / max(1, n_keys + n_packed), events / span)  # fmt: skip


def _store_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _api_calls(pid: int, seconds: float) -> int | None:
    """Connections the recorder opens to the engine's socket in `seconds` (strace; one
    short connection per API call, the event stream stays open): a count, not a timing."""
    if not shutil.which("strace"):
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as out:
        tracer = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=connect", "-o", out.name,
                                   "-p", str(pid)], stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(seconds)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
        return sum("docker.sock" in line for line in out.read().splitlines())


def _windows(rec: subprocess.Popen[bytes], meter: Meter, pairs: int, window: float) -> dict:
    """Recording and paused (SIGSTOP) windows in turn, ABBA within each pair so that a
    load that drifts during the run weighs on both alike; per window the engine's and the
    databases' CPU seconds per second, and the recorder's own over its recording windows."""
    rates: dict[str, list[tuple[float, float]]] = {"on": [], "off": []}
    own = wall_on = 0.0
    for i in range(pairs):
        for state in ("on", "off") if i % 2 == 0 else ("off", "on"):
            rec.send_signal(signal.SIGCONT if state == "on" else signal.SIGSTOP)
            time.sleep(1.0 if state == "off" else 0.0)  # a sample under way ends first
            (e0, d0), r0, t0 = meter.read(), cpu_ticks(rec.pid), time.monotonic()
            time.sleep(window)
            (e1, d1), r1, dt = meter.read(), cpu_ticks(rec.pid), time.monotonic() - t0
            rates[state].append(((e1 - e0) / dt, (d1 - d0) / dt))
            if state == "on":
                own, wall_on = own + (r1 - r0) / TICK, wall_on + dt
    rec.send_signal(signal.SIGCONT)
    return {"rates": rates, "own": own / wall_on * 100, "wall_on": wall_on}


def _pct(values: list[float]) -> str:
    return (f"{min(values) * 100:+.2f} .. {max(values) * 100:+.2f}, median "
            f"{statistics.median(values) * 100:+.2f}")  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("-p", "--project", default="arctui-bench20")
    p.add_argument("-n", type=int, default=50)
    p.add_argument("--pairs", type=int, default=6, help="recording/paused window pairs")
    p.add_argument("--window", type=float, default=30, help="seconds of each window")
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
    total = 2 * a.pairs * (a.window + 1) + 120
    load = _load(a.project, total + 60)
    rec = atop = None
    try:
        meter = Meter(a.project)
        argv = [sys.executable, "-m", "arctui", "--project-dir", str(compose.parent),
                "-p", a.project, "-f", str(compose), "--store", str(store),
                "record", "--interval", str(a.interval)]  # fmt: skip
        rec = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        while _store_bytes(store) == 0:
            time.sleep(0.2)
        time.sleep(3 * a.interval)  # past the first samples (every reader built, the doctor)
        if shutil.which("atop"):
            raw = str(tmp / "atop.raw")
            atop = subprocess.Popen(["atop", "-w", raw, str(int(a.interval))],
                                    stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
        t0, a0, w0 = time.time(), cpu_ticks(atop.pid) if atop else 0, time.monotonic()
        got = _windows(rec, meter, a.pairs, a.window)
        wall = time.monotonic() - w0
        a1 = cpu_ticks(atop.pid) if atop else 0
        raw1 = (tmp / "atop.raw").stat().st_size if atop else 0
        calls = _api_calls(rec.pid, 12 * a.interval)
    finally:
        for proc in (rec, atop):
            if proc is not None:
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
                proc.wait(timeout=60)
        for proc in load:
            proc.terminate()
    on, off = got["rates"]["on"], got["rates"]["off"]
    engine = [x[0] - y[0] for x, y in zip(on, off, strict=True)]
    dbs = [x[1] - y[1] for x, y in zip(on, off, strict=True)]
    engine_extra = (sum(e for e, _ in on) - sum(e for e, _ in off)) / len(on) * 100
    db_extra = (sum(d for _, d in on) - sum(d for _, d in off)) / len(on) * 100
    own = got["own"]
    print(f"{a.n} containers + Postgres (pgbench -R 50) + Redis (~100 cmd/s), {a.interval:g} s, "
          f"{a.pairs} x ({a.window:g} s recording + {a.window:g} s paused by SIGSTOP)")  # fmt: skip
    print(f"recorder CPU: own {own:.2f} %, engine extra {engine_extra:+.2f} % (pairs "
          f"{_pct(engine)}), Postgres+Redis extra {db_extra:+.2f} % (pairs {_pct(dbs)}) "
          f"-> total {own + engine_extra + db_extra:.2f} % of one core (goal <= 1 %)")  # fmt: skip
    if calls is not None:
        print(f"engine API calls: {calls} in {12 * a.interval:g} s (12 samples; strace, "
              "one connection per call)")  # fmt: skip
    packed, key, key_share, events_per_s = _payload(store, t0)
    frames_h, ev_h = 3600 / a.interval, events_per_s * 3600
    # A short run holds more keyframes per frame than an hour may: beside the run's own
    # share, the hour at the floor of one keyframe every 15 minutes (store.py).
    run_h = (packed * (1 - key_share) + key * key_share) * frames_h + ev_h
    floor_h = packed * (frames_h - 4) + key * 4 + ev_h
    print(f"store: {run_h / 1e6:.2f} MB/h at this run's keyframes ({key_share * frames_h:.0f} "
          f"an hour), {floor_h / 1e6:.2f} MB/h at 4 an hour (goal <= 1 MB/h); {packed:.0f} "
          f"bytes a packed frame, {key:.0f} a keyframe, events {ev_h / 1e6:.2f} MB/h")  # fmt: skip
    if atop:
        print(f"atop -w {a.interval:g}: {(a1 - a0) / TICK / wall * 100:.2f} % of one core, "
              f"{raw1 / 1e6 * 3600 / wall:.2f} MB/h (host processes only: no "
              "containers, health, Postgres or Redis)")  # fmt: skip
    else:
        print("atop: not installed (apt-get install atop)")
    if not a.keep:
        bench_stack.down(a.project)
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept: the project and {store}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
