"""Resources figures from an `ssh://` engine (issue 24): `arctui agent` on the host,
against the Engine API fallback, against `docker stats` over ssh.

    .venv/bin/python benchmarks/fleet_ssh_bench.py --n 30 --seconds 20

The remote is this machine through the test suite's loopback sshd (127.0.0.1:2222, keys
made under a temp dir: tests/integration/sshd.py), so "the host" and "here" are one
machine and one clock: data age is exact. N busybox containers run as a compose project
of their own (`arctui-sshbench`, host network), a third of them in a busy loop under a
shared CPU limit. Each way of reading runs for --seconds at 1 Hz, on the same
containers, in the same run, with idle windows before, between and after:

1. **agent**: `AgentResources` (what an ssh:// engine's Resources tab uses): `arctui
   agent -p P --interval 1` on the host over the one SSH master;
2. **API fallback**: the same source when the agent cannot run there: one-shot stats per
   container through the forwarded engine socket (`ResourcesReader`, mode api);
3. **docker stats**: `docker -H ssh://arctui-sshd stats --format json` (the CLI's own ssh
   helper: `ssh host docker system dial-stdio`).

Figures per run:
- **host CPU**: CPU of dockerd + containerd + these containers' shims + every process
  under sshd (the session, the agent, `dial-stdio`) during the window, minus the mean of
  the idle windows on either side, as CPU-seconds per minute;
  "of it sshd side" is the part under sshd alone (the agent itself, `dial-stdio`, the
  SSH sessions), which has no idle load to subtract: the steadier figure on a busy box;
- **local CPU**: the reader here (this process's threads for 1-2, the docker CLI for 3)
  plus the local ssh master or client;
- **data age**: when a snapshot is available here minus its oldest container sample
  (mean / max). `docker stats` prints no sample times: its update period is shown;
- **SSH connections**: connections sshd accepted during the window (its log).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import TICK, EngineWindow, cpu_ticks, idle_baselines

from tests.integration.sshd import ALIAS, Sshd, start_sshd, stop_sshd

PROJECT = "arctui-sshbench"
IMAGE = "arctui-test/busybox:local"
BUSY_TOTAL = 0.3  # cores for the busy containers together (the machine is shared)
COMPOSE = """\
name: {project}
services:
  busy:
    image: {image}
    network_mode: host
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do :; done"]
    stop_grace_period: 1s
    deploy:
      replicas: {busy}
      resources: {{limits: {{cpus: "{cpus}", memory: 32M}}}}
  idle:
    image: {image}
    network_mode: host
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    stop_grace_period: 1s
    deploy:
      replicas: {idle}
      resources: {{limits: {{memory: 16M}}}}
"""


@dataclass
class Result:
    name: str
    host_cpu: float = 0.0  # CPU s/min, idle subtracted
    local_cpu: float = 0.0  # CPU s/min
    ages: list[float] = field(default_factory=list)
    period: float | None = None  # docker stats: seconds between a container's updates
    connections: int = 0
    mode: str = ""
    raw_host: float = 0.0
    ssh_side: float = 0.0  # CPU s/min of what runs under sshd (part of host CPU)


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            continue
    return out


class HostWindow:
    """The host's CPU over a window: the engine (EngineWindow) plus everything sshd runs."""

    def __init__(self, ids: list[str], sshd: Sshd) -> None:
        self.engine = EngineWindow(ids)
        self.sshd = sshd
        self.start = {p: cpu_ticks(p) for p in _tree(sshd.pid)}
        self.t0 = time.monotonic()
        self.ssh_rate = 0.0  # the part under sshd (agent, dial-stdio, sessions): no idle

    def rate(self) -> float | None:
        engine = self.engine.rate()
        if engine is None:
            return None
        end = {p: cpu_ticks(p) for p in _tree(self.sshd.pid)}
        ssh = sum(end[p] - self.start.get(p, 0) for p in end) / TICK
        self.ssh_rate = ssh / (time.monotonic() - self.t0)
        return engine + self.ssh_rate


def _self_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def idle_rate(ids: list[str], sshd: Sshd, seconds: float) -> float:
    for _ in range(3):
        window = HostWindow(ids, sshd)
        time.sleep(seconds)
        rate = window.rate()
        if rate is not None:
            return rate
    raise RuntimeError("the engine kept restarting")


def run_source(kind: str, ids: list[str], sshd: Sshd, seconds: float) -> tuple[Result, float]:
    from arctui.sources.engine import EngineClient
    from arctui.tabs.resources.reader import real_reader
    from arctui.tabs.resources.remote import AgentResources

    client = EngineClient({"DOCKER_HOST": sshd.url}, timeout=10)
    host = client.ssh_host()
    assert host is not None
    api = real_reader(PROJECT, {}, mode="api", engine=client)
    command = os.environ["ARCTUI_AGENT_COMMAND"] if kind == "agent" else "/nonexistent/arctui"
    source = AgentResources(PROJECT, host, api, command=command)
    stop = threading.Event()
    follower = threading.Thread(
        target=source.follow_events, args=(lambda _a: None, stop), daemon=True
    )
    follower.start()
    result = Result("agent" if kind == "agent" else "API fallback")
    try:
        for _ in range(5):  # warm up: connected, the agent running, rates known
            source.read()
            time.sleep(1)
        before, cpu0 = sshd.accepted(), _self_cpu()
        master0 = cpu_ticks(host.master_pid or 0)
        window = HostWindow(ids, sshd)
        t_end = time.monotonic() + seconds
        next_at = time.monotonic()
        while time.monotonic() < t_end:
            snap = source.read()
            now = time.time()
            sampled = [c.sampled_at for c in snap.containers if c.sampled_at]
            if sampled:
                result.ages.append(now - min(sampled))
            result.mode = snap.mode
            next_at += 1.0
            time.sleep(max(0.0, next_at - time.monotonic()))
        rate = window.rate()
        result.ssh_side = window.ssh_rate * 60
        elapsed = seconds
        master = (cpu_ticks(host.master_pid or 0) - master0) / TICK
        result.local_cpu = (_self_cpu() - cpu0 + master) / elapsed * 60
        result.connections = sshd.accepted() - before
    finally:
        stop.set()
        source.close()
        client.close()
        host.close()
    if rate is None:
        raise RuntimeError("the engine restarted during the run")
    return result, rate


def run_docker_stats(ids: list[str], sshd: Sshd, seconds: float) -> tuple[Result, float]:
    env = sshd.environ() | {"DOCKER_HOST": f"ssh://{ALIAS}"}
    proc = subprocess.Popen(
        ["docker", "stats", "--format", "{{json .}}", *ids],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    seen: dict[str, list[float]] = {}
    measuring = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            start = line.find("{")  # after the screen-clearing escapes of each refresh
            if start < 0:
                continue
            line = line[start:]
            try:
                cid = json.loads(line).get("ID", "")
            except ValueError:
                continue
            if measuring.is_set():
                seen.setdefault(cid, []).append(time.monotonic())

    threading.Thread(target=pump, daemon=True).start()
    result = Result("docker stats")
    try:
        time.sleep(5)  # warm up
        before = sshd.accepted()
        local0 = sum(cpu_ticks(p) for p in _tree(proc.pid))
        window = HostWindow(ids, sshd)
        measuring.set()
        time.sleep(seconds)
        rate = window.rate()
        result.ssh_side = window.ssh_rate * 60
        local = (sum(cpu_ticks(p) for p in _tree(proc.pid)) - local0) / TICK
        result.local_cpu = local / seconds * 60
        result.connections = sshd.accepted() - before
        gaps = [b - a for times in seen.values() for a, b in itertools.pairwise(times)]
        result.period = statistics.median(gaps) if gaps else None
        result.mode = f"{len(seen)} containers updated"
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):  # the CLI and its ssh, by group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=3)
                break
            except subprocess.TimeoutExpired:
                continue
    if rate is None:
        raise RuntimeError("the engine restarted during the run")
    return result, rate


def compose(workdir: Path, *argv: str) -> str:
    cmd = ["docker", "compose", "-p", PROJECT, "-f", str(workdir / "docker-compose.yml"), *argv]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="containers")
    parser.add_argument("--seconds", type=float, default=20, help="seconds per run")
    parser.add_argument("--idle", type=float, default=8, help="seconds per idle window")
    args = parser.parse_args()
    busy = max(1, args.n // 3)
    workdir = Path(tempfile.mkdtemp(prefix="arctui-sshbench-"))
    (workdir / "docker-compose.yml").write_text(
        COMPOSE.format(
            project=PROJECT,
            image=IMAGE,
            busy=busy,
            idle=args.n - busy,
            cpus=f"{BUSY_TOTAL / busy:.3f}",
        )
    )
    run_dir = Path(tempfile.mkdtemp(prefix="arctui-sshbench-run-"))
    run_dir.chmod(0o700)
    sshd, sshd_proc = start_sshd()
    os.environ.update(sshd.environ() | {"XDG_RUNTIME_DIR": str(run_dir)})
    try:
        compose(workdir, "up", "-d", "--quiet-pull")
        ids = compose(workdir, "ps", "-q").split()
        print(f"{len(ids)} containers ({busy} busy)", file=sys.stderr, flush=True)
        time.sleep(3)
        idle = [idle_rate(ids, sshd, args.idle)]
        results: list[Result] = []
        runs = (
            lambda: run_source("agent", ids, sshd, args.seconds),
            lambda: run_source("api", ids, sshd, args.seconds),
            lambda: run_docker_stats(ids, sshd, args.seconds),
        )
        for run in runs:
            for _attempt in range(3):  # another job's dockerd came or went: measure again
                try:
                    result, rate = run()
                    break
                except RuntimeError as exc:
                    print(f"{exc}: again", file=sys.stderr, flush=True)
            else:
                raise RuntimeError("the engine kept restarting")
            result.raw_host = rate
            results.append(result)
            idle.append(idle_rate(ids, sshd, args.idle))
            print(f"{result.name} done: {result}", file=sys.stderr, flush=True)
        for result, base in zip(results, idle_baselines(idle), strict=True):
            result.host_cpu = (result.raw_host - base) * 60
        print(f"idle host CPU s/min in the gaps: {', '.join(f'{r * 60:.2f}' for r in idle)}")
        print(table(results, len(ids), args.seconds))
        print(verdict(results))
    finally:
        compose(workdir, "down", "-t", "1", "--remove-orphans")
        shutil.rmtree(workdir, ignore_errors=True)
        stop_sshd(sshd_proc, sshd.root)
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0


def verdict(results: list[Result]) -> str:
    """The ratios against `docker stats` there, and whether they bear out the default
    (an ssh:// engine's Resources start `arctui agent`, the API only as its fallback)."""
    by = {r.name: r for r in results}
    agent, api, stats = by["agent"], by["API fallback"], by["docker stats"]

    def total(r: Result) -> float:
        return r.host_cpu + r.local_cpu

    lines = []
    for r in (agent, api):
        lines.append(
            f"{r.name} / docker stats: host CPU {r.host_cpu:.2f} / {stats.host_cpu:.2f} = "
            f"{r.host_cpu / stats.host_cpu:.2f}; host + local {total(r):.2f} / "
            f"{total(stats):.2f} = {total(r) / total(stats):.2f}"
        )
    cheaper = agent.host_cpu < api.host_cpu and total(agent) < total(api)
    lines.append(
        "default: the agent (API fallback only when it cannot run there): "
        + ("the figures agree" if cheaper else "the figures DISAGREE: the API was cheaper")
    )
    return "\n".join(lines)


def table(results: list[Result], n: int, seconds: float) -> str:
    head = f"N={n}, {seconds:.0f} s each, 1 Hz"
    cols = f"{'reader':<14}{'host CPU s/min':>15}{'of it sshd side':>16}{'local CPU s/min':>16}"
    cols += f"{'age mean':>10}{'age max':>9}{'ssh conns':>10}  mode"
    lines = [head, cols]
    for r in results:
        if r.ages:
            mean, top = f"{statistics.mean(r.ages):.2f}", f"{max(r.ages):.2f}"
        else:
            mean, top = "-", f"<{r.period:.2f}" if r.period else "-"
        lines.append(
            f"{r.name:<14}{r.host_cpu:>15.2f}{r.ssh_side:>16.2f}{r.local_cpu:>16.2f}{mean:>10}{top:>9}"
            f"{r.connections:>10}  {r.mode[:60]}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
