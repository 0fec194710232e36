"""The Logs tab under a flood, against `docker compose logs -f | grep` on the same flood.

    .venv/bin/python benchmarks/logs_bench.py [--containers 10] [--rate 20000] [--seconds 60]

A compose project of its own (`arctui-logbench`, the test stack's busybox image, host
network, no ports) runs N containers; at a start time agreed in advance each writes
rate/N lines per second in bursts of a tenth of a second (logfmt; every 100th line is
`level=ERROR`) for the given seconds, then idles. Two runs on two identical floods:

1. **arctui**: the real TUI in tmux (160x45), Logs tab open (key 5) before the flood,
   search `level=ERROR` with only-matching on (`/`, `o`), default buffer. During the
   flood a key (`t`, time column on/off) is sent every second and the screen polled
   until the change shows: keypress-to-screen latency. After the flood: the status line
   gives lines held and dropped; written lines are counted from `docker logs`.
2. **compose | grep**: `docker compose logs -f --no-color | grep --line-buffered
   level=ERROR > file`, started before the flood; matching lines printed vs written.

CPU (user+system, all threads) and peak RSS (VmHWM) of the watcher processes, and the
engine's extra CPU, over the flood and its catch-up. The project is removed at the end.
No arctui import: arctui is measured from the outside.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TICK, EngineWindow, cpu_ticks, peak_rss, wait_quiet

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "arctui-logbench"
IMAGE = "arctui-test/busybox:local"
FILTER = "level=ERROR"

GENERATOR = r"""trap 'exit 0' TERM INT
while [ "$(date +%s)" -lt "$START" ]; do sleep 0.1; done
awk -v id="$ID" -v dur="$DURATION" -v per="$PER_TICK" 'BEGIN {
  n = 0
  for (t = 0; t < dur * 10; t++) {
    for (i = 0; i < per; i++) {
      n++
      if (n % 100 == 0)
        printf "c=%s n=%d level=ERROR msg=\"upstream timeout\" up=oracle:5432\n", id, n
      else
        printf "c=%s n=%d level=info msg=\"request done\" path=/v1/items/%d code=200\n", id, n, n
    }
    fflush()
    system("sleep 0.1")
  }
  printf "c=%s done n=%d\n", id, n
  fflush()
}'
while true; do sleep 3600 & wait; done
"""


def compose_file(n: int) -> str:
    services = []
    for i in range(n):
        services.append(
            f"""  gen{i}:
    image: {IMAGE}
    network_mode: host
    command: ["sh", "/gen.sh"]
    volumes: ["./gen.sh:/gen.sh:ro"]
    environment: {{ID: "gen{i}", START: "${{START}}", DURATION: "${{DURATION}}",
                  PER_TICK: "${{PER_TICK}}"}}
    stop_grace_period: 1s
"""
        )
    return f"name: {PROJECT}\nservices:\n" + "".join(services)


def compose(directory: Path, env: dict[str, str], *args: str) -> str:
    cmd = ["docker", "compose", "-p", PROJECT, "-f", str(directory / "docker-compose.yml"), *args]
    proc = subprocess.run(cmd, cwd=directory, env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {proc.stderr}")
    return proc.stdout


def container_ids(directory: Path, env: dict[str, str]) -> list[str]:
    return compose(directory, env, "ps", "-q").split()


def wait_done(ids: list[str], timeout: float = 600) -> float:
    """Wait until every generator printed its last line; returns when (monotonic)."""
    deadline = time.monotonic() + timeout
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for cid in list(pending):
            tail = subprocess.run(["docker", "logs", "--tail", "1", cid], capture_output=True)
            if b" done n=" in tail.stdout:
                pending.discard(cid)
        time.sleep(0.2)
    return time.monotonic()


def written(ids: list[str]) -> tuple[int, int]:
    """(all lines, matching lines) the containers wrote, as the engine stored them."""
    total = matching = 0
    for cid in ids:
        out = subprocess.run(["docker", "logs", cid], capture_output=True, timeout=300).stdout
        lines = out.splitlines()
        total += len(lines)
        matching += sum(1 for x in lines if FILTER.encode() in x)
    return total, matching


def start_flood(directory: Path, args: argparse.Namespace, delay: float) -> tuple[dict, float]:
    start = int(time.time() + delay)
    env = {
        **os.environ,
        "START": str(start),
        "DURATION": str(args.seconds),
        "PER_TICK": str(args.rate // args.containers // 10),
    }
    compose(directory, env, "down", "-t", "1", "--remove-orphans")
    compose(directory, env, "up", "-d")
    return env, float(start)


def count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


class Tmux:
    """A tmux server of our own with one pane running a command (exec'ed: pane pid = it)."""

    def __init__(self, command: str, cols: int = 160, rows: int = 45) -> None:
        self.base = ["tmux", "-L", f"{PROJECT}-{os.getpid()}"]
        subprocess.run(
            [*self.base, "-f", "/dev/null", "new-session", "-d", "-s", "bench",
             "-x", str(cols), "-y", str(rows), f"exec {command}"],
            check=True,
        )  # fmt: skip
        self.out("set-option", "-t", "bench", "remain-on-exit", "on")  # keep a crash visible
        self.pid = int(self.out("display", "-p", "-t", "bench", "#{pane_pid}"))

    def out(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], capture_output=True, text=True).stdout.strip()

    def screen(self) -> str:
        return self.out("capture-pane", "-p", "-t", "bench")

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.base, "send-keys", "-t", "bench", *keys], check=True)

    def wait_for(self, pattern: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if re.search(pattern, screen, re.MULTILINE):
                return screen
            time.sleep(0.05)
        raise RuntimeError(f"screen never showed {pattern!r}:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


_STATUS = re.compile(
    r"(?P<state>LIVE|PAUSED).*?· (?P<shown>[\d,]+)/(?P<held>[\d,]+) lines"
    r"(?: · (?P<dropped>[\d,]+) dropped)?"
)


def status(screen: str) -> dict[str, int]:
    m = _STATUS.search(screen)
    if not m:
        return {}
    num = lambda s: int((s or "0").replace(",", ""))  # noqa: E731
    return {"shown": num(m["shown"]), "held": num(m["held"]), "dropped": num(m["dropped"])}


def first_log_row(screen: str) -> str:
    rows = screen.splitlines()
    for i, row in enumerate(rows):
        if "LIVE" in row or "PAUSED" in row:
            return rows[i + 1] if i + 1 < len(rows) else ""
    return ""


def press_t(tmux: Tmux) -> float | None:
    """Seconds from pressing `t` (time column on/off) to the change on screen."""
    stamps_on = first_log_row(tmux.screen())[:2].isdigit()
    sent = time.monotonic()
    tmux.keys("t")
    while time.monotonic() - sent < 5:
        if first_log_row(tmux.screen())[:2].isdigit() != stamps_on:
            return time.monotonic() - sent
        time.sleep(0.002)
    return None


def run_arctui(directory: Path, args: argparse.Namespace) -> dict[str, float]:
    env, start = start_flood(directory, args, delay=25)
    ids = container_ids(directory, env)
    py = ROOT / ".venv" / "bin" / "python"
    cmd = (
        f"env -C {ROOT} {py} -m arctui --project-dir {directory} -p {PROJECT} "
        f"-f {directory / 'docker-compose.yml'}"
    )
    tmux = Tmux(cmd)
    try:
        tmux.wait_for(r"1 Services")
        tmux.keys("5")
        tmux.wait_for(r"LIVE")
        tmux.keys("/")
        time.sleep(0.3)
        tmux.keys("-l", FILTER)
        tmux.keys("Enter")
        time.sleep(0.3)
        tmux.keys("o", "G")
        tmux.wait_for(r"only matching")
        while time.time() < start:
            time.sleep(0.05)
        engine = EngineWindow(ids)
        cpu0, t0 = cpu_ticks(tmux.pid), time.monotonic()
        latencies: list[float] = []
        end = start + args.seconds
        while time.time() < end:
            lat = press_t(tmux)
            if lat is not None:
                latencies.append(lat)
            time.sleep(1.0)
        done = wait_done(ids)
        total, matching = written(ids)
        # Catch-up: until every written line is held or counted as dropped.
        deadline, seen = time.monotonic() + 60, {}
        while time.monotonic() < deadline:
            seen = status(tmux.screen())
            if seen and seen["held"] + seen["dropped"] >= total:
                break
            time.sleep(0.2)
        caught_up = time.monotonic() - done
        cpu = (cpu_ticks(tmux.pid) - cpu0) / TICK
        window = time.monotonic() - t0
        rss = peak_rss(tmux.pid)
        engine_rate = engine.rate()
        # The same keypress once the flood is over: the floor (tmux, polling, one render).
        idle: list[float] = []
        for _ in range(10):
            lat = press_t(tmux)
            if lat is not None:
                idle.append(lat)
            time.sleep(0.3)
        tmux.keys("G")
        time.sleep(0.5)
        seen = status(tmux.screen()) or seen
        tmux.keys("q")
        time.sleep(1)
    finally:
        tmux.close()
    return {
        "written": total,
        "written_matching": matching,
        "held": seen.get("held", -1),
        "dropped": seen.get("dropped", -1),
        "shown_matching": seen.get("shown", -1),
        "catch_up_s": caught_up,
        "cpu_s": cpu,
        "window_s": window,
        "rss_mb": rss / 2**20,
        "engine_cpu": engine_rate if engine_rate is not None else float("nan"),
        "lat_median_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "lat_p95_ms": statistics.quantiles(latencies, n=20)[-1] * 1000
        if len(latencies) > 1
        else float("nan"),
        "lat_max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "lat_n": len(latencies),
        "idle_lat_median_ms": statistics.median(idle) * 1000 if idle else float("nan"),
        "idle_lat_n": len(idle),
    }


def run_grep(directory: Path, args: argparse.Namespace) -> dict[str, float]:
    env, start = start_flood(directory, args, delay=8)
    ids = container_ids(directory, env)
    out_path = directory / "grep.out"
    with open(out_path, "w") as out:
        logs = subprocess.Popen(
            ["docker", "compose", "-p", PROJECT, "-f", str(directory / "docker-compose.yml"),
             "logs", "-f", "--no-color"],
            cwd=directory, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        grep = subprocess.Popen(["grep", "--line-buffered", FILTER], stdin=logs.stdout, stdout=out)
        assert logs.stdout is not None
        logs.stdout.close()
        while time.time() < start:
            time.sleep(0.05)
        engine = EngineWindow(ids)
        t0 = time.monotonic()
        time.sleep(args.seconds)
        done = wait_done(ids)
        total, matching = written(ids)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if count_lines(out_path) >= matching:
                break
            time.sleep(0.2)
        caught_up = time.monotonic() - done
        cpu = (cpu_ticks(logs.pid) + cpu_ticks(grep.pid)) / TICK
        rss = peak_rss(logs.pid) + peak_rss(grep.pid)
        engine_rate = engine.rate()
        window = time.monotonic() - t0
        logs.terminate()
        grep.wait(30)
        logs.wait(30)
    shown = count_lines(out_path)
    return {
        "written": total,
        "written_matching": matching,
        "shown_matching": shown,
        "catch_up_s": caught_up,
        "cpu_s": cpu,
        "window_s": window,
        "rss_mb": rss / 2**20,
        "engine_cpu": engine_rate if engine_rate is not None else float("nan"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--containers", type=int, default=10)
    parser.add_argument("--rate", type=int, default=20_000, help="lines per second in total")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--no-wait", action="store_true", help="do not wait for other jobs")
    parser.add_argument(
        "--arctui-only", action="store_true", help="skip the grep pipeline (A/B runs of arctui)"
    )
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is needed (apt-get install tmux)", file=sys.stderr)
        return 2
    if not args.no_wait and not wait_quiet(600, PROJECT):
        print("warning: other jobs kept loading the engine", file=sys.stderr)
    directory = Path(tempfile.mkdtemp(prefix="arctui-logbench-"))
    (directory / "docker-compose.yml").write_text(compose_file(args.containers))
    (directory / "gen.sh").write_text(GENERATOR)
    env = {**os.environ, "START": "0", "DURATION": "0", "PER_TICK": "0"}
    try:
        arctui = run_arctui(directory, args)
        grep = {} if args.arctui_only else run_grep(directory, args)
    finally:
        with contextlib.suppress(Exception):
            compose(directory, env, "down", "-t", "1", "--remove-orphans")
        shutil.rmtree(directory, ignore_errors=True)
    print(f"flood: {args.containers} containers, {args.rate} lines/s asked, {args.seconds} s")
    for name, r in (("arctui", arctui), ("compose logs -f | grep", grep)):
        if not r:
            continue
        print(f"\n{name}")
        for key, value in r.items():
            print(
                f"  {key:18} {value:,.2f}" if isinstance(value, float) else f"  {key:18} {value:,}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
