"""Big-key scan of a million keys: `arctui redis bigkeys` vs `redis-cli --memkeys` / `--bigkeys`.

    .venv/bin/python benchmarks/redis_bench.py [--keys 1000000] [--rounds 3]

Starts its own redis-server on a free loopback port (stopped by its pid at the end),
builds the keyspace (strings, hashes, lists, sets, zsets with a realistic spread plus a
few planted big keys of each type), then in the same run, round after round with the
order rotated:
- **arctui**: the headless `arctui redis bigkeys --url ... --json` (a new Python process,
  startup included: what an operator types);
- **redis-cli --memkeys** and **redis-cli --bigkeys** on the same data;
- **idle**: nothing, for the latency baseline.
During each, `redis-cli --latency` runs in parallel (what other clients see: PING round
trips, min/avg/max ms as redis-cli reports them), and the server's CPU is read from
/proc. Prints a table and whether each tool found the same biggest key per type.
Not a test: a loaded machine slows every tool; compare figures within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.test_redis_support import throwaway_redis  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
PLANTED = {
    "list": ("planted:list", 250_000),
    "hash": ("planted:hash", 120_000),
    "set": ("planted:set", 90_000),
    "zset": ("planted:zset", 60_000),
    "string": ("planted:string", 2_000_000),
}


def _resp(*parts: bytes | str | int) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        data = p if isinstance(p, bytes) else str(p).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def build(port: int, keys: int) -> None:
    """Fill db 0 with exactly `keys` keys."""
    rng = random.Random(11)
    cli = ["redis-cli", "-p", str(port)]
    aggregates = keys // 10
    strings = keys - aggregates - len(PLANTED)
    subprocess.run([*cli, "DEBUG", "POPULATE", str(strings), "session", "120"], check=True,
                   capture_output=True)  # fmt: skip
    cmds: list[bytes] = []
    for i in range(aggregates):
        kind = i % 10
        if kind < 6:
            fields: list[str | int] = []
            for f in range(rng.randint(4, 20)):
                fields += [f"f{f}", rng.randint(0, 10**9)]
            cmds.append(_resp("HSET", f"user:{i}", *fields))
        elif kind < 8:
            cmds.append(_resp("RPUSH", f"queue:{i}", *range(rng.randint(1, 60))))
        elif kind < 9:
            cmds.append(_resp("SADD", f"tags:{i}", *range(rng.randint(1, 30))))
        else:
            members: list[int] = []
            for m in range(rng.randint(1, 30)):
                members += [rng.randint(0, 1000), m]
            cmds.append(_resp("ZADD", f"rank:{i}", *members))
    big_list, n = PLANTED["list"]
    for start in range(0, n, 10_000):
        cmds.append(_resp("RPUSH", big_list, *range(start, min(n, start + 10_000))))
    name, n = PLANTED["hash"]
    for start in range(0, n, 5_000):
        fields = []
        for f in range(start, min(n, start + 5_000)):
            fields += [f"field{f}", "value"]
        cmds.append(_resp("HSET", name, *fields))
    name, n = PLANTED["set"]
    for start in range(0, n, 10_000):
        cmds.append(_resp("SADD", name, *range(start, min(n, start + 10_000))))
    name, n = PLANTED["zset"]
    for start in range(0, n, 5_000):
        zmembers: list[int | str] = []
        for m in range(start, min(n, start + 5_000)):
            zmembers += [m, f"m{m}"]
        cmds.append(_resp("ZADD", name, *zmembers))
    name, n = PLANTED["string"]
    cmds.append(_resp("SET", name, b"x" * n))
    subprocess.run([*cli, "--pipe"], input=b"".join(cmds), check=True, capture_output=True)
    size = int(subprocess.run([*cli, "DBSIZE"], capture_output=True, text=True).stdout)
    if size != keys:
        raise SystemExit(f"built {size} keys, wanted {keys}")


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _latency(text: str) -> tuple[float, float, float, int]:
    """The last `min max avg samples` line redis-cli --latency printed (not on a tty)."""
    for line in reversed(text.strip().splitlines()):
        parts = line.split()
        if len(parts) == 4:
            return float(parts[0]), float(parts[1]), float(parts[2]), int(parts[3])
    return 0.0, 0.0, 0.0, 0


def measure(cmd: list[str] | None, port: int, server_pid: int, idle: float) -> dict:
    """Run `cmd` (None: sleep `idle` s) with redis-cli --latency beside it."""
    lat = subprocess.Popen(
        ["redis-cli", "-p", str(port), "--latency"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    time.sleep(0.5)
    server0 = _cpu(server_pid)
    started = time.monotonic()
    out, cpu = "", 0.0
    if cmd is None:
        time.sleep(idle)
    else:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"{cmd[0]} exited {proc.returncode}")
    wall = time.monotonic() - started
    server = _cpu(server_pid) - server0
    lat.terminate()  # this redis-cli only, by its pid
    text, _ = lat.communicate(timeout=10)
    lo, hi, avg, samples = _latency(text)
    return {"wall": wall, "cpu": cpu, "server": server, "lat": (lo, hi, avg, samples), "out": out}


def _child_cpu(before: os.times_result) -> float:
    now = os.times()
    return (now.children_user - before.children_user) + (
        now.children_system - before.children_system
    )


def biggest_from_memkeys(text: str) -> dict[str, str]:
    """redis-cli's `Biggest <type> found '"key"' has ...` lines."""
    out = {}
    for line in text.splitlines():
        if line.startswith("Biggest"):
            words = line.split()
            out[words[1]] = words[3].strip("'\"")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--counts", type=int, nargs="+", default=[250, 1000], help="arctui SCAN COUNT(s) to run"
    )
    args = parser.parse_args()
    project = Path(tempfile.mkdtemp(prefix="arctui-redis-bench-"))
    (project / "docker-compose.yml").write_text("services:\n  redis:\n    image: redis:7\n")
    with throwaway_redis("--enable-debug-command", "yes", startup=30) as server:
        port = server.port
        t0 = time.monotonic()
        build(port, args.keys)
        print(f"built {args.keys:,} keys in {time.monotonic() - t0:.1f} s (port {port})")
        used = subprocess.run(
            ["redis-cli", "-p", str(port), "INFO", "memory"], capture_output=True, text=True
        ).stdout
        print(next(x for x in used.splitlines() if x.startswith("used_memory_human")))
        url = f"redis://127.0.0.1:{port}/0"
        tools: dict[str, list[str] | None] = {}
        for count in args.counts:  # arctui at each SCAN COUNT asked for
            tools[f"arctui/{count}"] = [
                sys.executable, "-m", "arctui", "--project-dir", str(project), "redis",
                "bigkeys", "--url", url, "--json", "--top", "10", "--count", str(count),
            ]  # fmt: skip
        tools["memkeys"] = ["redis-cli", "-p", str(port), "--memkeys"]
        tools["bigkeys"] = ["redis-cli", "-p", str(port), "--bigkeys"]
        tools["idle"] = None
        results: dict[str, list[dict]] = {name: [] for name in tools}
        order = list(tools)
        for r in range(args.rounds):
            for name in order[r % len(order) :] + order[: r % len(order)]:
                before = os.times()
                idle = (
                    statistics.median(x["wall"] for x in results["memkeys"])
                    if (results["memkeys"])
                    else 10.0
                )
                res = measure(tools[name], port, server.pid, idle)
                res["cpu"] = _child_cpu(before)  # the tool (and the latency probe: small)
                results[name].append(res)
                _lo, hi, avg, n = res["lat"]
                print(
                    f"round {r + 1} {name:<8} wall {res['wall']:6.1f} s  tool cpu"
                    f" {res['cpu']:5.1f} s  server cpu {res['server']:5.1f} s  latency"
                    f" avg {avg:.2f} max {hi:.0f} ms ({n} pings)",
                    flush=True,
                )
        print()
        print(f"{'tool':<10}{'wall median':>12}{'min':>8}{'tool CPU':>10}{'server CPU':>12}"
              f"{'lat avg':>9}{'lat max':>9}{'vs memkeys':>12}")  # fmt: skip
        base = statistics.median(x["wall"] for x in results["memkeys"])
        for name, runs in results.items():
            walls = [x["wall"] for x in runs]
            med = statistics.median(walls)
            print(
                f"{name:<10}{med:>11.1f}s{min(walls):>7.1f}s"
                f"{statistics.median(x['cpu'] for x in runs):>9.1f}s"
                f"{statistics.median(x['server'] for x in runs):>11.1f}s"
                f"{statistics.median(x['lat'][2] for x in runs):>8.2f}ms"
                f"{max(x['lat'][1] for x in runs):>7.0f}ms"
                + (f"{med / base:>11.2f}x" if name != "idle" else "")
            )
        found = json.loads(results[f"arctui/{args.counts[0]}"][-1]["out"])
        ours = {t["type"]: t["biggest"]["key"] for t in found["types"] if t["biggest"]}
        theirs = biggest_from_memkeys(results["memkeys"][-1]["out"])
        print("\nbiggest by memory per type (arctui / redis-cli --memkeys):")
        for kind in sorted(set(ours) | set(theirs)):
            same = "same" if ours.get(kind) == theirs.get(kind) else "DIFFERENT"
            print(f"  {kind:<7} {ours.get(kind)!s:<22} {theirs.get(kind)!s:<22} {same}")
        print(f"arctui scanned {found['scanned']:,} keys, complete={found['complete']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
