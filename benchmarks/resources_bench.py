"""Benchmark: arctui's Resources tab against `docker stats` on the same containers.

For each N it starts N busybox containers (compose project `arctui-bench`, host network,
label `arctui-bench=1`; a third of them in a busy loop under a small CPU limit, the rest
asleep), then, in the same run:

1. runs the real `arctui` in a pseudo-terminal of a fixed size, switches to the Resources
   tab (1 Hz) and measures for `--seconds`: CPU of arctui, extra CPU of the engine
   (dockerd + containerd + the shims of these containers), peak RSS, bytes written to
   the terminal, and the age of the data shown (from ARCTUI_BENCH_LOG);
2. does the same for `docker stats` on the same containers;
3. optionally (`--api`) for arctui forced onto the Engine API fallback;

with an idle window (nobody watching) before, between and after the runs: a watcher's
extra engine CPU is its window's minus the mean of the idle windows on either side (an
idle window far off the median, when something else used the engine, counts as the
median). Other jobs using the engine (test runs, compose, docker commands) are waited out
before each window.

Then removes every container it made (`docker compose down`). Prints a table; it is not
a timed test. Needs root (to read dockerd's /proc entries) and the local busybox image
(tests/stack/build-images.sh).

    python benchmarks/resources_bench.py --n 10 50 100 --seconds 60 --api
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import TICK, EngineWindow, PtyProcess, cpu_ticks, idle_baselines, peak_rss, wait_quiet

REPO = Path(__file__).resolve().parents[1]
ARCTUI = REPO / ".venv" / "bin" / "arctui"
PROJECT = "arctui-bench"
IMAGE = "arctui-test/busybox:local"
BUSY_TOTAL = 0.6  # cores for all busy containers together: leave the host room to measure

COMPOSE = """\
name: {project}
services:
  busy:
    image: {image}
    network_mode: host
    labels: {{arctui-bench: "1"}}
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do :; done"]
    stop_grace_period: 1s
    deploy:
      replicas: {busy}
      resources: {{limits: {{cpus: "{cpus}", memory: 32M}}}}
  idle:
    image: {image}
    network_mode: host
    labels: {{arctui-bench: "1"}}
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    stop_grace_period: 1s
    deploy:
      replicas: {idle}
      resources: {{limits: {{memory: 16M}}}}
"""


@dataclass
class Result:
    name: str
    cpu_per_min: float  # CPU seconds per minute of the watcher
    engine_extra: float  # extra engine CPU seconds per minute over idle
    rss: int
    bytes_per_s: float
    age_mean: float | None = None
    age_max: float | None = None

    @property
    def total(self) -> float:
        return self.cpu_per_min + self.engine_extra


def idle_rate(ids: list[str], args: argparse.Namespace) -> float:
    """The engine's CPU seconds per second with nobody watching (retried until valid)."""
    for _ in range(5):
        wait_quiet(args.wait_quiet, PROJECT)
        window = EngineWindow(ids)
        time.sleep(args.idle)
        rate = window.rate()
        if rate is not None:
            return rate
    raise RuntimeError("the engine kept restarting: no valid idle window")


def measure(
    name: str, proc: PtyProcess, seconds: float, ids: list[str], ready: float
) -> tuple[Result, float, float, float | None]:
    """Wait `ready` s, then measure for `seconds`: result, window, engine CPU s/s."""
    time.sleep(ready)
    t0, own0, out0 = time.monotonic(), cpu_ticks(proc.pid), proc.bytes
    w0, window = time.time(), EngineWindow(ids)
    time.sleep(seconds)
    t1, own1, out1 = time.monotonic(), cpu_ticks(proc.pid), proc.bytes
    w1, engine = time.time(), window.rate()
    dt = t1 - t0
    result = Result(
        name=name,
        cpu_per_min=(own1 - own0) / TICK / dt * 60,
        engine_extra=0.0,  # set once the idle windows around it are known
        rss=peak_rss(proc.pid),
        bytes_per_s=(out1 - out0) / dt,
    )
    return result, w0, w1, engine


def data_age(
    log: Path, w0: float, w1: float, engine: str | None = None
) -> tuple[float | None, float | None]:
    """Mean lag at display, and the worst age a row reached before being replaced.
    `engine`: another engine's readings (their lines name it; fleet_bench.py)."""
    rows = []
    for line in log.read_text().splitlines():
        shown, oldest, _, *named = line.split()
        if (named[0] if named else None) == engine:
            rows.append((float(shown), float(oldest)))
    rows = [r for r in rows if w0 <= r[0] <= w1]
    if len(rows) < 2:
        return None, None
    lags = [shown - oldest for shown, oldest in rows]
    worst = [rows[i + 1][0] - rows[i][1] for i in range(len(rows) - 1)]
    worst.append(w1 - rows[-1][1])
    return sum(lags) / len(lags), max(worst)


def run_arctui(
    workdir: Path, args: argparse.Namespace, ids: list[str], api: bool
) -> tuple[Result, float | None]:
    log = workdir / ("bench-api.log" if api else "bench.log")
    log.unlink(missing_ok=True)
    env = {**os.environ, "TERM": "xterm-256color", "ARCTUI_BENCH_LOG": str(log)}
    env["ARCTUI_STATS_SOURCE"] = "api" if api else "auto"
    env["XDG_CONFIG_HOME"] = str(workdir / "config")  # no user settings
    cols, rows = args.size
    proc = PtyProcess([str(ARCTUI), "--project-dir", str(workdir)], env, cols, rows)
    try:
        time.sleep(args.startup)
        proc.send("2")  # the Resources tab
        name = "arctui (API fallback)" if api else "arctui"
        result, w0, w1, engine = measure(name, proc, args.seconds, ids, ready=3.0)
        result.age_mean, result.age_max = data_age(log, w0, w1)
    finally:
        proc.stop("q")
    return result, engine


def run_docker_stats(ids: list[str], args: argparse.Namespace) -> tuple[Result, float | None]:
    env = {**os.environ, "TERM": "xterm-256color"}
    cols, rows = args.size
    docker = shutil.which("docker") or "/usr/local/bin/docker"
    proc = PtyProcess([docker, "stats", *ids], env, cols, rows)
    try:
        result, _, _, engine = measure("docker stats", proc, args.seconds, ids, ready=3.0)
    finally:
        os.kill(proc.pid, signal.SIGINT)
        proc.stop()
    return result, engine


def compose(workdir: Path, *argv: str, timeout: float = 600) -> str:
    cmd = ["docker", "compose", "-p", PROJECT, "-f", str(workdir / "docker-compose.yml"), *argv]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout).stdout


def bench(n: int, args: argparse.Namespace) -> list[Result]:
    busy = max(1, n // 3)
    workdir = Path(tempfile.mkdtemp(prefix="arctui-bench-"))
    (workdir / "docker-compose.yml").write_text(
        COMPOSE.format(
            project=PROJECT, image=IMAGE, busy=busy, idle=n - busy, cpus=f"{BUSY_TOTAL / busy:.3f}"
        )
    )
    print(f"N={n}: starting {n} containers ({busy} busy)...", file=sys.stderr, flush=True)
    try:
        compose(workdir, "up", "-d", "--quiet-pull")
        ids = compose(workdir, "ps", "-q").split()
        assert len(ids) == n, f"expected {n} containers, got {len(ids)}"
        time.sleep(5)  # let start-up settle
        # Idle windows between the runs: the extra a watcher costs the engine is its
        # window's engine CPU minus the mean of the idle windows on either side.
        idle = [idle_rate(ids, args)]
        runs = [lambda: run_arctui(workdir, args, ids, api=False)]
        runs.append(lambda: run_docker_stats(ids, args))
        if args.api:
            runs.append(lambda: run_arctui(workdir, args, ids, api=True))
        results: list[Result] = []
        engines: list[float] = []
        for run in runs:
            for _attempt in range(3):
                wait_quiet(args.wait_quiet, PROJECT)
                result, engine = run()
                if engine is not None:
                    break
                print(f"N={n}: engine restarted during {result.name}: again", file=sys.stderr)
            else:
                raise RuntimeError("the engine kept restarting")
            idle.append(idle_rate(ids, args))
            results.append(result)
            engines.append(engine)
            print(f"N={n}: {result.name} done", file=sys.stderr, flush=True)
        baselines = idle_baselines(idle)
        for result, engine, base in zip(results, engines, baselines, strict=True):
            result.engine_extra = (engine - base) * 60
        rates = ", ".join(f"{r * 60:.2f}" for r in idle)
        print(f"N={n}: engine idle CPU s/min in the gaps: {rates}", file=sys.stderr, flush=True)
        return results
    finally:
        if not args.keep:
            compose(workdir, "down", "-t", "1", "--remove-orphans")
            shutil.rmtree(workdir, ignore_errors=True)


def table(rows: list[tuple[int, Result]], seconds: float) -> str:
    head = (
        "| N | watcher | own CPU s/min | engine extra s/min | total s/min | "
        "data age mean / max (s) | peak RSS (MB) | terminal bytes/s |"
    )
    out = [head, "|---|---|---:|---:|---:|---:|---:|---:|"]
    for n, r in rows:
        age = "n/a" if r.age_mean is None else f"{r.age_mean:.2f} / {r.age_max:.2f}"
        out.append(
            f"| {n} | {r.name} | {r.cpu_per_min:.2f} | {r.engine_extra:.2f} | {r.total:.2f} | "
            f"{age} | {r.rss / 1e6:.0f} | {r.bytes_per_s:,.0f} |"
        )
    out.append(f"\n{seconds:g} s per measurement; CPU in CPU-seconds per minute.")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--seconds", type=float, default=60.0, help="measurement window")
    parser.add_argument("--idle", type=float, default=20.0, help="each idle engine window")
    parser.add_argument("--startup", type=float, default=4.0, help="seconds before pressing 2")
    parser.add_argument("--size", type=lambda s: tuple(map(int, s.split("x"))), default=(160, 48))
    parser.add_argument("--api", action="store_true", help="also measure the API fallback")
    parser.add_argument(
        "--wait-quiet", type=float, default=900, help="max wait for other test runs to end"
    )
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root: dockerd's CPU is read from /proc", file=sys.stderr)
        return 2
    rows: list[tuple[int, Result]] = []
    for n in args.n:
        rows += [(n, r) for r in bench(n, args)]
        print(table(rows, args.seconds), file=sys.stderr, flush=True)
    print(table(rows, args.seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
