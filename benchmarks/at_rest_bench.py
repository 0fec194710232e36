"""Benchmark: arctui at rest against a stack whose containers have health checks.

For each N it starts N busybox containers as a compose project of its own
(`arctui-restbench`, host network), every one with a Docker health check every 2 s
(`["CMD", "true"]`): N - 2 sleep, one crash-loops (exits after 11 s, `restart: always`,
so the engine's back-off stays short and it dies every ~11 s) and one writes a log line
per second, as the platform has all three. Then, in the same run and for `--seconds`
each, nobody touching the keyboard:

1. arctui on that stack, Services tab, then (another launch) Resources tab (key `2`);
2. `arctui --demo` at the same refresh, on both tabs;
3. `watch -n 2 docker compose -p arctui-restbench -f <file> ps` (what operators run);

each in a pseudo-terminal of 160x48 (`_common.PtyProcess`, which counts every byte the
process writes to its terminal), with an idle window (nobody watching) before, between and
after. Figures per run: own CPU of the process and of the children it waited for (watch's
`docker compose ps` calls), the engine's extra CPU over the idle windows on either side
(dockerd + containerd + the shims of the stack's steady containers), peak RSS (the
process's VmHWM, or the largest sampled RSS of the process tree when larger: watch's
children) and terminal bytes/s. Then the ratios real/demo (goal at most 1.5x) and
real/watch (goal below 1).

Every container it made is removed at the end (`docker compose down`), also on failure or
SIGTERM (`--keep` leaves them). Needs root (dockerd's /proc entries) and the local busybox
image (built with tests/stack/build-images.sh when missing).

    python benchmarks/at_rest_bench.py --n 10 50 --seconds 60

`--tabs` checks instead that visiting the tabs costs nothing once left (issue 18: opening
Logs once pinned a core for the rest of the session). On the real test stack (project
`arctui-test`, up already: `python -m tests.integration.stack up`), two arctui run side by
side, so both see the same machine load: one stays on Services, the other shows every tab
once (keys 2-6, `--dwell` s each), then goes back to Services. Their own CPU is measured
over the same windows; the toured one must stay at most 1.5x the other (`--limit`), else
FAIL and exit 1.

    python benchmarks/at_rest_bench.py --tabs --seconds 60
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from _common import (
    TICK,
    EngineWindow,
    PtyProcess,
    cpu_ticks,
    foreign_activity,
    idle_baselines,
    wait_quiet,
)
from resources_bench import IMAGE, Result, measure

REPO = Path(__file__).resolve().parents[1]
ARCTUI = REPO / ".venv" / "bin" / "arctui"
PROJECT = "arctui-restbench"
CRASHER = "crashloop"
LOGGER = "logger"

_SERVICE = """\
  {name}:
    image: {image}
    network_mode: host
    labels: {{arctui-restbench: "1"}}
    command: ["sh", "-c", "{command}"]
    stop_grace_period: 1s
    healthcheck: {{test: ["CMD", "true"], interval: 2s, timeout: 2s, retries: 3}}
{extra}"""
SLEEP = "trap 'exit 0' TERM; while :; do sleep 1; done"
CRASH = "sleep 11; echo crashing; exit 1"  # > 10 s: Docker resets its restart back-off
LOG = "trap 'exit 0' TERM; i=0; while :; do i=$$((i+1)); echo log line $$i; sleep 1; done"


def service_names(n: int) -> list[str]:
    """The N services: app01.. then the crash-looper and the logger."""
    return [f"app{i:02d}" for i in range(1, n - 1)] + [CRASHER, LOGGER]


def compose_yaml(n: int) -> str:
    parts = [f"name: {PROJECT}\nservices:\n"]
    for name in service_names(n):
        command = {CRASHER: CRASH, LOGGER: LOG}.get(name, SLEEP)
        extra = "    restart: always\n" if name == CRASHER else ""
        parts.append(_SERVICE.format(name=name, image=IMAGE, command=command, extra=extra))
    return "".join(parts)


def ensure_image() -> None:
    have = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True)
    if have.returncode != 0:
        subprocess.run(["bash", str(REPO / "tests/stack/build-images.sh")], check=True)


class RestStack:
    """The benchmark's compose project, up for the `with` block, removed after it."""

    def __init__(self, n: int, keep: bool = False) -> None:
        self.n, self.keep = n, keep
        self.workdir = Path(tempfile.mkdtemp(prefix="arctui-restbench-"))
        self.file = self.workdir / "docker-compose.yml"
        self.file.write_text(compose_yaml(n))
        self.ids: list[str] = []
        self.steady: list[str] = []  # all but the crash-looper (its shim comes and goes)

    def compose(self, *argv: str, timeout: float = 600) -> str:
        cmd = ["docker", "compose", "-p", PROJECT, "-f", str(self.file), *argv]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout)
        return done.stdout

    def __enter__(self) -> RestStack:
        ensure_image()
        try:
            self.compose("down", "-t", "1", "--remove-orphans")  # a leftover of a killed run
            self.compose("up", "-d", "--quiet-pull")
            self.ids = self.compose("ps", "-q").split()
            crasher = set(self.compose("ps", "-q", CRASHER).split())
            self.steady = [i for i in self.ids if i not in crasher]
            self.wait_healthy()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def wait_healthy(self, limit: float = 60) -> None:
        """Until every steady container reports healthy (the health checks are running)."""
        deadline = time.monotonic() + limit
        fmt = "{{.State.Health.Status}}"
        while time.monotonic() < deadline:
            out = subprocess.run(
                ["docker", "inspect", "-f", fmt, *self.steady], capture_output=True, text=True
            ).stdout.split()
            if out and all(s == "healthy" for s in out):
                return
            time.sleep(1)
        print(f"{PROJECT}: not every container healthy after {limit:g} s", file=sys.stderr)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.keep:
            self.compose("down", "-t", "1", "--remove-orphans")
            shutil.rmtree(self.workdir, ignore_errors=True)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants now."""
    kids, todo, total = _children(), [pid], 0
    while todo:
        p = todo.pop()
        todo += kids.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


@dataclass
class RssSampler:
    """Largest RSS of a process tree, sampled every `every` s in a thread."""

    pid: int
    every: float = 0.25
    peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> RssSampler:
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, tree_rss(self.pid))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


@dataclass
class Run:
    name: str
    argv: list[str]
    keys: str = ""  # sent after start-up (the tab)
    quit: str = "q"  # "" = SIGINT (watch)
    foreign: list[str] = field(default_factory=list)  # other jobs seen during the window


@dataclass
class RestResult(Result):
    tree_rss: int = 0  # with its children (arctui's `docker compose`, watch's commands)


def exited(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True


def run_one(
    run: Run, stack: RestStack, args: argparse.Namespace
) -> tuple[RestResult, float | None]:
    env = {**os.environ, "TERM": "xterm-256color"}
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        env[var] = str(stack.workdir / var.lower())  # no user settings, no shared audit log
    cols, rows = args.size
    proc = PtyProcess(run.argv, env, cols, rows)
    try:
        with RssSampler(proc.pid) as sampler:
            time.sleep(args.startup)
            if run.keys:
                proc.send(run.keys)
            run.foreign = foreign_activity(PROJECT)
            measured, _, _, engine = measure(run.name, proc, args.seconds, stack.steady, 3.0)
            run.foreign += foreign_activity(PROJECT)
        result = RestResult(**vars(measured), tree_rss=max(measured.rss, sampler.peak))
        if exited(proc.pid):
            print(f"{run.name} exited before the end of its window", file=sys.stderr)
            engine = None  # measured nothing: run it again
    finally:
        if run.quit:
            proc.stop(run.quit)
        else:
            os.kill(proc.pid, signal.SIGINT)
            proc.stop()
    return result, engine


def idle_rate(stack: RestStack, args: argparse.Namespace) -> float:
    """The engine's CPU seconds per second with nobody watching (retried until valid)."""
    for _ in range(5):
        wait_quiet(args.wait_quiet, PROJECT)
        window = EngineWindow(stack.steady)
        time.sleep(args.idle)
        rate = window.rate()
        if rate is not None:
            return rate
    raise RuntimeError("the engine kept restarting: no valid idle window")


def runs_for(stack: RestStack, args: argparse.Namespace) -> list[Run]:
    refresh = ["--refresh", f"{args.refresh:g}"]
    real = [str(ARCTUI), "-p", PROJECT, "-f", str(stack.file), *refresh]
    demo = [str(ARCTUI), "--demo", *refresh]
    watch = shutil.which("watch") or "/usr/bin/watch"
    compose_ps = ["docker", "compose", "-p", PROJECT, "-f", str(stack.file), "ps"]
    return [
        Run("arctui Services", real),
        Run("demo Services", demo),
        Run("arctui Resources", real, keys="2"),
        Run("demo Resources", demo, keys="2"),
        Run("watch compose ps", [watch, "-n", "2", *compose_ps], quit=""),
    ]


def bench(n: int, args: argparse.Namespace) -> list[RestResult]:
    print(f"N={n}: starting {n} containers with health checks...", file=sys.stderr, flush=True)
    with RestStack(n, keep=args.keep) as stack:
        time.sleep(3)
        idle = [idle_rate(stack, args)]
        results: list[RestResult] = []
        engines: list[float] = []
        for run in runs_for(stack, args):
            for _attempt in range(3):
                wait_quiet(args.wait_quiet, PROJECT)
                result, engine = run_one(run, stack, args)
                if engine is not None:
                    break
                print(f"N={n}: {run.name}: no valid window (see above): again", file=sys.stderr)
            else:
                raise RuntimeError("the engine kept restarting")
            idle.append(idle_rate(stack, args))
            results.append(result)
            engines.append(engine)
            others = f" (other jobs seen: {len(set(run.foreign))})" if run.foreign else ""
            load = Path("/proc/loadavg").read_text().split()[0]
            print(f"N={n}: {run.name} done, load {load}{others}", file=sys.stderr, flush=True)
        for result, engine, base in zip(results, engines, idle_baselines(idle), strict=True):
            result.engine_extra = (engine - base) * 60
        rates = ", ".join(f"{r * 60:.2f}" for r in idle)
        print(f"N={n}: engine idle CPU s/min in the gaps: {rates}", file=sys.stderr, flush=True)
        return results


def table(rows: list[tuple[int, RestResult]], seconds: float) -> str:
    out = [
        "| N | watcher | own CPU s/min | engine extra s/min | total s/min | "
        "peak RSS (MB) own / with children | terminal bytes/s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for n, r in rows:
        out.append(
            f"| {n} | {r.name} | {r.cpu_per_min:.2f} | {r.engine_extra:.2f} | {r.total:.2f} | "
            f"{r.rss / 1e6:.0f} / {r.tree_rss / 1e6:.0f} | {r.bytes_per_s:,.0f} |"
        )
    out.append(f"\n{seconds:g} s per measurement; CPU in CPU-seconds per minute.")
    return "\n".join(out)


def ratio(a: float, b: float) -> str:
    return f"{a:.2f} / {b:.2f} = {a / b:.2f}x" if b > 0 else f"{a:.2f} / {b:.2f}"


def ratios(rows: list[tuple[int, RestResult]]) -> str:
    """Totals (own + engine extra), and own CPU alone: on a loaded machine the engine's
    extra is the difference of two large, noisy figures (see the idle rates printed)."""
    by = {(n, r.name): r for n, r in rows}
    out = [
        "| N | tab | real / demo total (goal <= 1.5x) | real / watch total (goal < 1) "
        "| real / demo own CPU | real / watch own CPU |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for n in sorted({n for n, _ in rows}):
        watch = by[(n, "watch compose ps")]
        for tab in ("Services", "Resources"):
            real, demo = by[(n, f"arctui {tab}")], by[(n, f"demo {tab}")]
            out.append(
                f"| {n} | {tab} | {ratio(real.total, demo.total)}"
                f" | {ratio(real.total, watch.total)}"
                f" | {ratio(real.cpu_per_min, demo.cpu_per_min)}"
                f" | {ratio(real.cpu_per_min, watch.cpu_per_min)} |"
            )
    return "\n".join(out)


TEST_STACK = REPO / "tests" / "stack"
TEST_PROJECT = "arctui-test"
TOUR = "23456"  # every tab after Services, each shown once


@dataclass
class Side:
    """One arctui of the side-by-side check, and what its windows measured."""

    name: str
    proc: PtyProcess
    ticks: list[int] = field(default_factory=list)  # own CPU ticks per window
    sent: list[int] = field(default_factory=list)  # terminal bytes per window

    def reading(self) -> tuple[int, int]:
        return cpu_ticks(self.proc.pid), self.proc.bytes


def tabs_check(args: argparse.Namespace) -> int:
    """Every tab visited once, then idle on Services, against Services only (same run)."""
    sys.path.insert(0, str(REPO))
    from tests.integration.stack import compose_env  # the uids the compose file interpolates

    compose = TEST_STACK / "docker-compose.yml"
    label = f"label=com.docker.compose.project={TEST_PROJECT}"
    ps = subprocess.run(["docker", "ps", "-q", "--filter", label], capture_output=True, text=True)
    if not ps.stdout.split():
        print(f"{TEST_PROJECT} is not up: python -m tests.integration.stack up", file=sys.stderr)
        return 2
    argv = [args.arctui, "--project-dir", str(TEST_STACK), "-p", TEST_PROJECT, "-f", str(compose)]
    argv += ["--refresh", f"{args.refresh:g}"]
    cols, rows = args.size
    with tempfile.TemporaryDirectory(prefix="arctui-tabsbench-") as tmp:
        env = {**compose_env(), "TERM": "xterm-256color"}
        for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
            env[var] = str(Path(tmp) / var.lower())  # no user settings, no shared audit log
        sides = [Side(name, PtyProcess(argv, env, cols, rows)) for name in ("still", "toured")]
        still, toured = sides
        try:
            time.sleep(args.startup)
            for key in args.tour:
                toured.proc.send(key)
                time.sleep(args.dwell)
            toured.proc.send("1")
            time.sleep(args.dwell)  # Services again: what follows is the session at rest
            for _ in range(args.windows):
                start = [side.reading() for side in sides]
                time.sleep(args.seconds)
                for side, (ticks, sent) in zip(sides, start, strict=True):
                    now_ticks, now_sent = side.reading()
                    side.ticks.append(now_ticks - ticks)
                    side.sent.append(now_sent - sent)
            gone = [side.name for side in sides if exited(side.proc.pid)]
        finally:
            for side in sides:
                side.proc.stop("q")
    if gone:
        print(f"FAIL: arctui ({', '.join(gone)}) exited during the run", file=sys.stderr)
        return 1
    return tabs_report(still, toured, args)


def tabs_report(still: Side, toured: Side, args: argparse.Namespace) -> int:
    """Print both figures per window and in all; the check is on the totals."""
    print("| window | Services only: CPU ticks (s/min) | every tab, then Services | ratio |")
    print("|---|---:|---:|---:|")
    per_min = 60 / args.seconds / TICK
    for i, (a, b) in enumerate(zip(still.ticks, toured.ticks, strict=True), start=1):
        shown = f"{b / a:.2f}x" if a else "-"
        print(f"| {i} | {a} ({a * per_min:.2f}) | {b} ({b * per_min:.2f}) | {shown} |")
    a, b = sum(still.ticks), sum(toured.ticks)
    ratio = b / max(a, 1)
    print(
        f"\n{args.windows} x {args.seconds:g} s, clock ticks of {TICK}/s; terminal bytes/s "
        f"{sum(still.sent) / args.windows / args.seconds:,.0f} (Services only) and "
        f"{sum(toured.sent) / args.windows / args.seconds:,.0f} (after the tour)"
    )
    verdict = "PASS" if ratio <= args.limit else "FAIL"
    print(f"{verdict}: every tab then Services / Services only = {b} / {a} = {ratio:.2f}x "
          f"(limit {args.limit:g}x)")  # fmt: skip
    return 0 if verdict == "PASS" else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--seconds", type=float, default=60.0, help="measurement window")
    parser.add_argument("--idle", type=float, default=20.0, help="each idle engine window")
    parser.add_argument("--startup", type=float, default=4.0, help="seconds before the keys")
    parser.add_argument("--refresh", type=float, default=2.0, help="arctui --refresh (both)")
    parser.add_argument("--size", type=lambda s: tuple(map(int, s.split("x"))), default=(160, 48))
    parser.add_argument(
        "--wait-quiet", type=float, default=30, help="max wait for other engine users (s)"
    )
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    parser.add_argument(
        "--tabs", action="store_true", help="the tab tour check on the test stack (see above)"
    )
    parser.add_argument("--dwell", type=float, default=3.0, help="--tabs: seconds on each tab")
    parser.add_argument("--windows", type=int, default=3, help="--tabs: measurement windows")
    parser.add_argument("--limit", type=float, default=1.5, help="--tabs: the largest ratio")
    parser.add_argument("--tour", default=TOUR, help="--tabs: the tab keys visited")
    parser.add_argument("--arctui", default=str(ARCTUI), help="--tabs: the arctui to run")
    args = parser.parse_args()
    if args.tabs:
        return tabs_check(args)
    if os.geteuid() != 0:
        print("run as root: dockerd's CPU is read from /proc", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still remove the containers
    load0 = Path("/proc/loadavg").read_text().strip()
    rows: list[tuple[int, RestResult]] = []
    for n in args.n:
        rows += [(n, r) for r in bench(n, args)]
        print(table(rows, args.seconds), file=sys.stderr, flush=True)
    print(table(rows, args.seconds))
    print()
    print(ratios(rows))
    print(f"\nloadavg before: {load0}; after: {Path('/proc/loadavg').read_text().strip()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
