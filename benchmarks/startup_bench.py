"""Benchmark: time to the first frame with data, against a minimal Textual app.

Each contender is launched in a tmux pane of 160x48 (a tmux server of its own, socket
`arctui-startbench`; the pane is respawned for every launch, so tmux's own start-up is not
counted) and `tmux capture-pane -p` is polled every `--poll` s until a service name is on
screen:

1. **minimal**: a Textual app with one `Static` holding a name (written to a temp file),
   run by the project's Python;
2. **demo**: `arctui --demo` (waits for the service `traefik`);
3. **real**: arctui against a real 10-service stack with health checks (the at-rest
   benchmark's `arctui-restbench` project; waits for the service `app01`).

4. **headless** (`--only headless`, or with the others): `arctui status`, `status --json`
   and `health --no-probe` against `docker compose ps` on the same real stack, each run
   as a plain subprocess to its exit, interleaved, median of `--runs` (goal: at most
   1.0x `docker compose ps`), with each one's CPU time. The rendered compose config is
   cached (`$XDG_CACHE_HOME/arctui/compose`, a temp dir here): the warm-up fills it.
   `--stack test` runs them on the shared test stack from its project dir; `--idle S`
   sleeps S seconds before each command (cold-ish: the engine idle, CPU caches cold).

One untimed warm-up launch each (`--warmup`), then `--runs` timed launches each,
interleaved (minimal, demo, real, minimal, ...) so a change in machine load hits all
three alike. Prints the median seconds and the ratios to the minimal app (goals: demo at
most 2x, real at most 3x), then the top imports of `import arctui.ui.app` by cumulative
time (`python -X importtime`, second of two runs so the .pyc files exist). The stack is
removed at the end, also on failure. Needs the local busybox image (built when missing).

    python benchmarks/startup_bench.py --runs 3
"""

from __future__ import annotations

import argparse
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from at_rest_bench import ARCTUI, PROJECT, RestStack, service_names

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".venv" / "bin" / "python"
SOCKET = "arctui-startbench"
SESSION = "startbench"
MINIMAL_NAME = "startbench-minimal"
KINDS = ("minimal", "demo", "real")

MINIMAL_APP = f'''\
from textual.app import App, ComposeResult
from textual.widgets import Static


class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("{MINIMAL_NAME}")


Minimal().run()
'''


def tmux(*argv: str) -> str:
    cmd = ["tmux", "-L", SOCKET, *argv]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=10).stdout


@dataclass
class Contender:
    name: str
    argv: list[str]
    marker: str  # on screen = first frame with data
    times: list[float]


def launch(c: Contender, env: dict[str, str], timeout: float, poll: float) -> float:
    """Seconds from respawning the pane with the command to the marker on screen."""
    command = shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), *c.argv])
    t0 = time.monotonic()
    tmux("respawn-pane", "-k", "-t", SESSION, command)
    while time.monotonic() - t0 < timeout:
        if c.marker in tmux("capture-pane", "-p", "-t", SESSION):
            took = time.monotonic() - t0
            break
        time.sleep(poll)
    else:
        screen = tmux("capture-pane", "-p", "-t", SESSION)
        raise RuntimeError(f"{c.name}: {c.marker!r} not on screen after {timeout:g} s:\n{screen}")
    tmux("respawn-pane", "-k", "-t", SESSION, "sleep 3600")  # SIGHUP ends the app
    time.sleep(1.0)  # let it exit before the next launch
    return took


def headless_commands(compose_ps: list[str], project: list[str]) -> dict[str, list[str]]:
    """`docker compose ps` and the arctui commands compared with it (`project`: -p, -f)."""
    return {
        "docker compose ps": compose_ps,
        "arctui status": [str(ARCTUI), *project, "status"],
        "arctui status --json": [str(ARCTUI), *project, "status", "--json"],
        "arctui health --no-probe": [str(ARCTUI), *project, "health", "--no-probe"],
    }


def shared_stack_commands() -> tuple[dict[str, list[str]], dict[str, str], Path]:
    """The commands on the shared test stack (`arctui-test`, left running), its env and
    its project dir (where they run from, as an operator would)."""
    sys.path.insert(0, str(REPO))
    from tests.integration.stack import COMPOSE_FILE, STACK_DIR, compose_cmd, compose_env
    from tests.integration.stack import PROJECT as TEST_PROJECT

    project = ["-p", TEST_PROJECT, "-f", str(COMPOSE_FILE)]
    return headless_commands(compose_cmd("ps"), project), compose_env(), STACK_DIR


def headless(
    commands: dict[str, list[str]],
    env: dict[str, str],
    runs: int,
    warmup: int,
    cwd: Path | None = None,
    idle: float = 0.0,
) -> list[str]:
    """Median seconds of each headless command against `docker compose ps`, and ratios.

    Each run also records the command's CPU time (user + system, from the children's
    rusage): on a loaded machine wall times swing 2-3x, CPU time much less. `idle`:
    seconds of sleep before each command (cold-ish: engine idle, CPU caches cold).
    """
    import os
    import resource

    full_env = {**os.environ, **env}
    # A real install has its .pyc files: the warm-up writes them (else every run compiles).
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(warmup + runs):
        for name, argv in commands.items():
            if idle:
                time.sleep(idle)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            subprocess.run(
                argv, env=full_env, cwd=cwd, capture_output=True, timeout=120, check=False
            )
            took = time.monotonic() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if i >= warmup:
                times[name].append(took)
                cpu[name].append(
                    after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                )
    base = statistics.median(times["docker compose ps"])
    low = min(times["docker compose ps"])
    base_cpu = statistics.median(cpu["docker compose ps"])
    out = [
        "| headless command | median (s) | min (s) | / compose ps (median) | (min)"
        " | CPU median (s) | CPU / compose ps |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, taken in times.items():
        med = statistics.median(taken)
        med_cpu = statistics.median(cpu[name])
        out.append(
            f"| {name} | {med:.3f} | {min(taken):.3f} | {med / base:.2f}x"
            f" | {min(taken) / low:.2f}x | {med_cpu:.3f} | {med_cpu / base_cpu:.2f}x |"
        )
    out.append("goal: each arctui command at most 1.0x `docker compose ps`")
    return out


def importtime(top: int) -> str:
    """The imports of arctui.ui.app with the largest cumulative time (and by package)."""
    cmd = [str(PYTHON), "-X", "importtime", "-c", "import arctui.ui.app"]
    for _ in range(2):  # the first run may compile .pyc files
        err = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cum, name = line.removeprefix("import time:").split("|")
        rows.append((int(cum), int(own), name.rstrip()))
    total = max(cum for cum, _, _ in rows)
    out = [f"python -X importtime -c 'import arctui.ui.app': {total / 1e6:.3f} s in all"]
    out.append(f"top {top} by cumulative time (ms; indentation = nesting):")
    out += [
        f"  {cum / 1e3:8.1f} {own / 1e3:7.1f}  {name}"
        for cum, own, name in sorted(rows)[::-1][:top]
    ]
    packages = sorted((r for r in rows if "." not in r[2].strip()), reverse=True)
    out.append(f"top {top} top-level packages by cumulative time (where first imported):")
    out += [f"  {cum / 1e3:8.1f}  {name.strip()}" for cum, _, name in packages[:top]]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed launches of each")
    parser.add_argument("--warmup", type=int, default=1, help="untimed launches of each first")
    parser.add_argument("--poll", type=float, default=0.02, help="capture-pane interval (s)")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--size", type=lambda s: tuple(map(int, s.split("x"))), default=(160, 48))
    parser.add_argument("--top", type=int, default=15, help="imports listed")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["minimal", "demo", "real", "headless"],
        default=["minimal", "demo", "real"],
    )
    parser.add_argument("--keep", action="store_true", help="leave the stack running")
    parser.add_argument(
        "--idle",
        type=float,
        default=0.0,
        help="headless: seconds idle before each command (cold-ish runs; default back to back)",
    )
    parser.add_argument(
        "--stack",
        choices=["bench", "test"],
        default="bench",
        help="headless: the benchmark's own stack, or the shared test stack arctui-test"
        " (must be up; never brought down)",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still remove the stack
    load0 = Path("/proc/loadavg").read_text().strip()
    with ExitStack() as cleanup, tempfile.TemporaryDirectory(prefix="arctui-startbench-") as tmp:
        app = Path(tmp) / "minimal_app.py"
        app.write_text(MINIMAL_APP)
        env = {"TERM": "tmux-256color"}
        for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
            env[var] = f"{tmp}/{var.lower()}"  # no user settings, no shared audit log
        contenders = {
            "minimal": Contender("minimal Textual app", [str(PYTHON), str(app)], MINIMAL_NAME, []),
            "demo": Contender("arctui --demo", [str(ARCTUI), "--demo"], "traefik", []),
        }
        stack = None
        on_test_stack = args.stack == "test" and "real" not in args.only
        if "real" in args.only or ("headless" in args.only and not on_test_stack):
            stack = cleanup.enter_context(RestStack(10, keep=args.keep))
            real = [str(ARCTUI), "-p", PROJECT, "-f", str(stack.file)]
            name = "arctui, real 10-service stack"
            contenders["real"] = Contender(name, real, service_names(10)[0], [])
        table: list[str] = []
        if "headless" in args.only and on_test_stack:
            commands, stack_env, stack_dir = shared_stack_commands()
            table = headless(
                commands, {**stack_env, **env}, args.runs, args.warmup, stack_dir, args.idle
            )
        elif "headless" in args.only and stack is not None:
            project = ["-p", PROJECT, "-f", str(stack.file)]
            compose_ps = ["docker", "compose", *project, "ps"]
            table = headless(
                headless_commands(compose_ps, project), env, args.runs, args.warmup, None, args.idle
            )
        chosen = [contenders[k] for k in args.only if k != "headless"]
        if not chosen:
            print("\n".join(table))
            print(f"loadavg before: {load0}; after: {Path('/proc/loadavg').read_text().strip()}")
            return 0
        cols, rows = args.size
        if _has_server():
            tmux("kill-server")
        tmux("new-session", "-d", "-s", SESSION, "-x", str(cols), "-y", str(rows), "sleep 3600")
        cleanup.callback(lambda: tmux("kill-server"))
        for i in range(args.warmup + args.runs):
            for c in chosen:
                took = launch(c, env, args.timeout, args.poll)
                if i >= args.warmup:
                    c.times.append(took)
                print(f"{c.name}: {took:.3f} s", file=sys.stderr, flush=True)
    print("| first frame with data | median (s) | all runs (s) | / minimal |")
    print("|---|---:|---|---:|")
    base = statistics.median(contenders["minimal"].times) if "minimal" in args.only else None
    for c in chosen:
        med = statistics.median(c.times)
        ratio = f"{med / base:.2f}x" if base else "n/a"
        runs = ", ".join(f"{t:.2f}" for t in c.times)
        print(f"| {c.name} | {med:.2f} | {runs} | {ratio} |")
    print("\ngoals: demo at most 2x the minimal app, a real stack at most 3x")
    if table:
        print("\n" + "\n".join(table))
    print(f"loadavg before: {load0}; after: {Path('/proc/loadavg').read_text().strip()}\n")
    print(importtime(args.top))
    return 0


def _has_server() -> bool:
    cmd = ["tmux", "-L", SOCKET, "has-session"]
    return subprocess.run(cmd, capture_output=True).returncode == 0


if __name__ == "__main__":
    raise SystemExit(main())
