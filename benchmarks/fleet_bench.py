"""Benchmark (issue 24): arctui's Resources tab watching 3 engines x N containers, against
the same arctui watching 1 engine, against three `docker stats` at once, in one run.

    sudo .venv/bin/python benchmarks/fleet_bench.py --n 100 --seconds 60

The engines are the default one and the test suite's two extra dockerds
(tests/integration/extra_engines.py: /run/arctui-e2.sock and /run/arctui-e3.sock, their
own data roots and containerd namespaces, no bridge), started if they are not running and
stopped at the end only if this run started them; the suite's lock is held meanwhile, so
a fleet test never starts or stops them under the benchmark. On each engine, N busybox
containers run as this benchmark's own compose project (`arctui-fleetbench`, host
network), removed by that project at the end, also on failure (`--keep` leaves them):
every container has a health check (`true` every 60 s), 10 write a log line a second, 5
spin under a small shared CPU limit, 1 crashes every few seconds (restart: always), the
rest sleep.

Runs, each for --seconds after a warm-up, with an idle window (nobody watching) before,
between and after (a run's engine extra is its window minus the mean of the idle windows
on either side):

1. **arctui, 1 engine**: the real `arctui` in a 160x48 pseudo-terminal, Resources tab
   (key `2`), refresh 1 s, the default engine only;
2. **arctui, 3 engines**: the same with `--engine e2=... --engine e3=...`;
3. **docker stats x3**: three `docker stats <that engine's N ids>`, one per engine, in
   terminals of the same size, at once.

Figures: own CPU of the watcher process(es) (all threads, and children waited for: the
compose renders), the engine extra of each engine's dockerd and of containerd plus these
containers' shims (the crashing containers' shims come and go: left out), peak RSS,
terminal bytes/s, the data age of each engine's rows (ARCTUI_BENCH_LOG), and the
issue's ratios: arctui's CPU per container at 3 engines over 1 engine (goal: at most
1.2), and arctui at 3 engines over three `docker stats` (goal: at most 0.5). Needs root.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import (
    TICK,
    PtyProcess,
    cpu_ticks,
    engine_ticks,
    idle_baselines,
    peak_rss,
    wait_quiet,
)
from resources_bench import data_age

from tests.integration.extra_engines import (
    EXTRA,
    IMAGE,
    ExtraEngine,
    _lock,
    _parallel,
    ensure_image,
    in_parallel,
)

REPO = Path(__file__).resolve().parents[1]
ARCTUI = REPO / ".venv" / "bin" / "arctui"
PROJECT = "arctui-fleetbench"
LOGGERS, BUSY, CRASH = 10, 5, 1
BUSY_CPUS = 0.02  # each spinning container's limit: 0.3 cores on all three engines
LOGGER_SH = "trap 'exit 0' TERM; i=0; while :; do i=$$((i+1)); echo line $$i; sleep 1; done"
GROUPS = ("dockerd local", *(f"dockerd {n}" for n in EXTRA), "containerd+shims")

COMPOSE = """\
name: {project}
x-common: &common
  image: {image}
  network_mode: host
  stop_grace_period: 1s
  healthcheck: {{test: ["CMD", "true"], interval: 60s, timeout: 5s, retries: 3}}
services:
  busy:
    <<: *common
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do :; done"]
    deploy:
      replicas: {busy}
      resources: {{limits: {{cpus: "{cpus}", memory: 16M}}}}
  logger:
    <<: *common
    command: ["sh", "-c", "{logger}"]
    deploy:
      replicas: {loggers}
      resources: {{limits: {{memory: 16M}}}}
  idle:
    <<: *common
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 86400 & wait $$!"]
    deploy:
      replicas: {idle}
      resources: {{limits: {{memory: 16M}}}}
  crash:
    <<: *common
    command: ["sh", "-c", "echo starting; sleep 3; echo giving up >&2; exit 1"]
    restart: always
    healthcheck: {{disable: true}}
    deploy:
      replicas: {crash}
"""


@dataclass
class Result:
    name: str
    containers: int
    own: float = 0.0  # CPU s/min of the watcher process(es)
    engine: dict[str, float] = field(default_factory=dict)  # extra CPU s/min per group
    rss: int = 0
    bytes_per_s: float = 0.0
    age_mean: float | None = None  # the default engine's rows
    age_max: float | None = None
    ages: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)

    @property
    def engine_extra(self) -> float:
        return sum(self.engine.values())

    @property
    def total(self) -> float:
        return self.own + self.engine_extra


# The engines' CPU, by group -------------------------------------------------------------
def _group_of(pid: int, shims_of: set[str]) -> str | None:
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return None
    if comm == "dockerd":
        return next(
            (f"dockerd {n}" for n in EXTRA if f"/run/arctui-{n}.sock" in cmdline), None
        ) or ("dockerd local")
    if comm == "containerd":
        return "containerd+shims"
    if comm.startswith("containerd-shim") and any(cid in cmdline for cid in shims_of):
        return "containerd+shims"
    return None


def _pids(ids: set[str]) -> dict[int, str]:
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            group = _group_of(int(entry.name), ids)
            if group is not None:
                out[int(entry.name)] = group
    return out


def _ticks(pids: dict[int, str]) -> dict[int, int]:
    return engine_ticks(list(pids))


class GroupWindow:
    """Each engine group's CPU over a window; unusable if one of its processes came or
    went (another job restarting a dockerd)."""

    def __init__(self, ids: set[str]) -> None:
        self.ids = ids
        self.pids = _pids(ids)
        self.start = _ticks(self.pids)
        self.t0 = time.monotonic()

    def rates(self) -> dict[str, float] | None:
        """CPU seconds per second per group, or None."""
        end, dt = _ticks(self.pids), time.monotonic() - self.t0
        if set(end) != set(self.start) or set(_pids(self.ids)) != set(self.pids):
            return None
        out = dict.fromkeys(GROUPS, 0.0)
        for pid, group in self.pids.items():
            out[group] += (end[pid] - self.start[pid]) / TICK / dt
        return out


# Runs -----------------------------------------------------------------------------------
NOISY: list[str] = []  # windows measured while other test runs used the engines


def quiet(args: argparse.Namespace, what: str) -> None:
    if not wait_quiet(args.wait_quiet, PROJECT):
        NOISY.append(what)


def idle_rates(ids: set[str], args: argparse.Namespace) -> dict[str, float]:
    for _ in range(5):
        quiet(args, "idle")
        window = GroupWindow(ids)
        time.sleep(args.idle)
        rates = window.rates()
        if rates is not None:
            return rates
    raise RuntimeError("an engine kept restarting: no valid idle window")


def measure(
    result: Result, procs: list[PtyProcess], ids: set[str], args: argparse.Namespace
) -> tuple[float, float, dict[str, float] | None]:
    """Measure `procs` for --seconds; fills own CPU, RSS, bytes. Returns the wall window
    and the engine groups' rates."""
    t0, w0 = time.monotonic(), time.time()
    own0 = sum(cpu_ticks(p.pid) for p in procs)
    out0 = sum(p.bytes for p in procs)
    window = GroupWindow(ids)
    time.sleep(args.seconds)
    rates = window.rates()
    dt, w1 = time.monotonic() - t0, time.time()
    result.own = (sum(cpu_ticks(p.pid) for p in procs) - own0) / TICK / dt * 60
    result.bytes_per_s = (sum(p.bytes for p in procs) - out0) / dt
    result.rss = sum(peak_rss(p.pid) for p in procs)
    return w0, w1, rates


def run_arctui(
    workdir: Path, engines: list[ExtraEngine], ids: set[str], args: argparse.Namespace
) -> tuple[Result, dict[str, float] | None]:
    log = workdir / f"bench-{len(engines)}.log"
    log.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
    env |= {"TERM": "xterm-256color", "ARCTUI_BENCH_LOG": str(log)}
    env["XDG_CONFIG_HOME"] = str(workdir / "config")  # no user settings
    env["XDG_STATE_HOME"] = str(workdir / "state")  # its own diagnostics log
    argv = [str(ARCTUI), "--project-dir", str(workdir), "-p", PROJECT]
    for engine in engines:
        if engine.extra:
            argv += ["--engine", f"{engine.name}={engine.host}"]
    cols, rows = args.size
    proc = PtyProcess(argv, env, cols, rows)
    n = args.n * len(engines)
    result = Result(f"arctui, {len(engines)} engine{'s' if len(engines) > 1 else ''}", n)
    try:
        time.sleep(args.startup)
        proc.send("2")  # the Resources tab
        time.sleep(args.warmup)
        w0, w1, rates = measure(result, [proc], ids, args)
        for engine in engines:  # each engine's rows: one slow engine shows as its own age
            result.ages[engine.name] = data_age(log, w0, w1, engine.name if engine.extra else None)
        result.age_mean, result.age_max = result.ages[engines[0].name]
    finally:
        proc.stop("q")
    return result, rates


def run_docker_stats(
    engines: list[ExtraEngine], by_engine: dict[str, list[str]], args: argparse.Namespace
) -> tuple[Result, dict[str, float] | None]:
    docker = shutil.which("docker") or "/usr/bin/docker"
    cols, rows = args.size
    procs = []
    for engine in engines:
        env = engine.env() | {"TERM": "xterm-256color"}
        procs.append(PtyProcess([docker, "stats", *by_engine[engine.name]], env, cols, rows))
    n = sum(len(by_engine[e.name]) for e in engines)
    result = Result(f"docker stats x{len(engines)}", n)
    ids = {i for e in engines for i in by_engine[e.name]}
    try:
        time.sleep(args.warmup)
        _, _, rates = measure(result, procs, ids, args)
    finally:
        for proc in procs:
            with_suppress_kill(proc.pid, signal.SIGINT)
            proc.stop()
    return result, rates


def with_suppress_kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


# Set-up ---------------------------------------------------------------------------------
def compose(engine: ExtraEngine, workdir: Path, *argv: str, timeout: float = 900) -> str:
    cmd = ["docker", "compose", "-p", PROJECT, "-f", str(workdir / "docker-compose.yml"), *argv]
    proc = subprocess.run(
        cmd, env=engine.env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{engine.name}: compose {' '.join(argv)}: {proc.stderr[-1500:]}")
    return proc.stdout


def wait_healthy(engines: list[ExtraEngine], limit: float) -> None:
    """Until no container of the project is still `starting` its health checks."""
    deadline = time.monotonic() + limit
    for engine in engines:
        while time.monotonic() < deadline:
            starting = engine.docker(
                "ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}",
                "--filter", "health=starting",
            ).split()  # fmt: skip
            if not starting:
                break
            time.sleep(5)


def each(engines: list[ExtraEngine], work: Callable[[ExtraEngine], object]) -> None:
    """`work(engine)` on every engine at once; the first failure is raised."""
    in_parallel(engines, work)


def table(results: list[Result], args: argparse.Namespace) -> str:
    cols = f"{'watcher':<20}{'rows':>5}{'own CPU':>9}"
    cols += "".join(f"{g:>18}" for g in GROUPS)
    cols += f"{'total':>8}{'age mean/max':>14}{'RSS MB':>8}{'term B/s':>10}"
    lines = [f"CPU in CPU-seconds per minute; {args.seconds:g} s per run, 1 Hz", cols]
    for r in results:
        age = "n/a" if r.age_mean is None else f"{r.age_mean:.2f}/{r.age_max:.2f}"
        row = f"{r.name:<20}{r.containers:>5}{r.own:>9.2f}"
        row += "".join(f"{r.engine.get(g, 0.0):>18.2f}" for g in GROUPS)
        row += f"{r.total:>8.2f}{age:>14}{r.rss / 1e6:>8.0f}{r.bytes_per_s:>10,.0f}"
        lines.append(row)
    for r in results:
        if len(r.ages) > 1:
            each_age = [
                f"{name} " + ("n/a" if mean is None else f"{mean:.2f}/{worst:.2f}")
                for name, (mean, worst) in r.ages.items()
            ]
            lines.append(f"data age mean/max (s) of {r.name}, by engine: {' · '.join(each_age)}")
    return "\n".join(lines)


def ratios(results: list[Result]) -> str:
    by = {r.name: r for r in results}
    one, three, stats = by["arctui, 1 engine"], by["arctui, 3 engines"], by["docker stats x3"]
    per = lambda r, v: v / r.containers  # noqa: E731
    own = per(three, three.own) / per(one, one.own)
    total = per(three, three.total) / per(one, one.total)
    return "\n".join(
        [
            f"arctui CPU per container, 3 engines / 1 engine (goal <= 1.2): own "
            f"{per(three, three.own) * 1000:.2f} / {per(one, one.own) * 1000:.2f} ms/min = "
            f"{own:.2f}; with engine extra {total:.2f}",
            f"arctui 3 engines / three docker stats (goal <= 0.5): total {three.total:.2f} / "
            f"{stats.total:.2f} = {three.total / stats.total:.2f}; own CPU only "
            f"{three.own:.2f} / {stats.own:.2f} = {three.own / stats.own:.2f}",
        ]
    )


def bench(args: argparse.Namespace) -> list[Result]:
    engines = [ExtraEngine("local"), *(ExtraEngine(n) for n in EXTRA)]
    workdir = Path(tempfile.mkdtemp(prefix="arctui-fleetbench-"))
    idle_n = args.n - LOGGERS - BUSY - CRASH
    (workdir / "docker-compose.yml").write_text(
        COMPOSE.format(
            project=PROJECT,
            image=IMAGE,
            busy=BUSY,
            loggers=LOGGERS,
            idle=idle_n,
            crash=CRASH,
            cpus=f"{BUSY_CPUS:.3f}",
            logger=LOGGER_SH,
        )
    )
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    try:
        ensure_image()
        _parallel(tuple(e for e in engines if e.extra), "start")
        _parallel(tuple(e for e in engines if e.extra), "load_image")
        say(f"engines up; starting {args.n} containers on each...")
        t0 = time.monotonic()
        each(engines, lambda e: compose(e, workdir, "up", "-d", "--quiet-pull"))
        wait_healthy(engines, 180)
        say(f"containers up and healthy in {time.monotonic() - t0:.0f} s")
        by_engine: dict[str, list[str]] = {}
        steady: set[str] = set()  # the shims that stay (not the crashing containers')
        for engine in engines:
            by_engine[engine.name] = compose(engine, workdir, "ps", "-aq").split()
            steady |= set(compose(engine, workdir, "ps", "-q", "busy", "logger", "idle").split())
            assert len(by_engine[engine.name]) == args.n, (engine.name, by_engine[engine.name])
        runs = [
            lambda: run_arctui(workdir, engines[:1], steady, args),
            lambda: run_arctui(workdir, engines, steady, args),
            lambda: run_docker_stats(engines, by_engine, args),
        ]
        idle = [idle_rates(steady, args)]
        results: list[tuple[Result, dict[str, float]]] = []
        for run in runs:
            for _attempt in range(3):
                quiet(args, f"run {len(results) + 1}")
                result, rates = run()
                if rates is not None:
                    break
                say(f"an engine restarted during {result.name}: again")
            else:
                raise RuntimeError("an engine kept restarting")
            idle.append(idle_rates(steady, args))
            results.append((result, rates))
            say(f"{result.name} done: own {result.own:.2f} CPU-s/min")
        for group in GROUPS:
            series = [i[group] for i in idle]
            say(f"idle {group} CPU-s/min in the gaps: {', '.join(f'{s * 60:.2f}' for s in series)}")
            for (result, rates), base in zip(results, idle_baselines(series), strict=True):
                result.engine[group] = (rates[group] - base) * 60
        return [r for r, _ in results]
    finally:
        if not args.keep:
            each(engines, lambda e: _down(e, workdir))
            shutil.rmtree(workdir, ignore_errors=True)
            _parallel(tuple(e for e in engines if e.extra), "stop")  # only those started here


def _down(engine: ExtraEngine, workdir: Path) -> None:
    if engine.answers(timeout=10):
        compose(engine, workdir, "down", "-t", "1", "--remove-orphans")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="containers per engine")
    parser.add_argument("--seconds", type=float, default=60.0, help="measurement window")
    parser.add_argument("--idle", type=float, default=30.0, help="each idle window")
    parser.add_argument("--startup", type=float, default=10.0, help="seconds before pressing 2")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds before measuring")
    parser.add_argument("--size", type=lambda s: tuple(map(int, s.split("x"))), default=(160, 48))
    parser.add_argument("--wait-quiet", type=float, default=120, help="max wait for test runs")
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root: the dockerds' CPU is read from /proc", file=sys.stderr)
        return 2
    if args.n < LOGGERS + BUSY + CRASH + 1:
        parser.error(f"--n must be at least {LOGGERS + BUSY + CRASH + 1}")
    print("waiting for the fleet tests' lock (/tmp/arctui-fleet.lock)...", file=sys.stderr)
    # The fleet tests' engines: nobody starts or stops them meanwhile.
    with _lock("benchmarks/fleet_bench.py"):
        results = bench(args)
    print(table(results, args))
    print(ratios(results))
    if NOISY:
        print(f"measured while other test runs used the engines: {', '.join(NOISY)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
