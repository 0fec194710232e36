"""Monitoring load on Postgres: arctui's Postgres reader vs pg_activity, under pgbench.

    ARCTUI_KEEP_STACK=1 .venv/bin/python -m tests.integration.stack up
    python3 -m venv /tmp/pgact-venv && /tmp/pgact-venv/bin/pip install pg_activity 'psycopg[binary]'
    .venv/bin/python benchmarks/postgres_bench.py [--seconds 60] [--refresh 2]

Same database, same refresh interval, same pgbench load (rate-limited, so the server is
not saturated and the load is the same in every phase). Each tool connects as its own
role, so the figures are separable:
- statements/s: calls counted by pg_stat_statements for that role over the phase
  (utility statements too: track_utility is on by default);
- server CPU: utime+stime of that role's backend processes, read from /proc on this host
  through the container's cgroup and NSpid (what the Postgres tab itself uses);
- client CPU: the tool's own process (pg_activity includes drawing its curses screen;
  arctui's figure is the reader alone, the data path of the tab and `arctui postgres`).
A baseline phase with no tool shows the noise. Prints a table; not a test.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arctui.sources.cgroups import CgroupReader  # noqa: E402
from arctui.tabs.postgres.procs import parse_stat, parse_status  # noqa: E402

HOST, PORT, ADMIN, ADMIN_PW, DB = "127.0.0.1", 15432, "arc", "arctui-test-secret", "arc_db"
CONTAINER = "arctui-test-oracle-sql"
BENCH_DB = "arctui_pgbench"
ROLES = {"arctui": "arctui_bench", "pg_activity": "pgact_bench"}
ROLE_PW = "bench-only-pw"
PGACT = Path("/tmp/pgact-venv/bin/pg_activity")
TICKS = os.sysconf("SC_CLK_TCK")

ARCTUI_LOOP = """
import sys, time
from arctui.sources.postgres import PgTarget
from arctui.tabs.postgres.procs import BackendProcs
from arctui.tabs.postgres.reader import PostgresReader
params = dict(host=sys.argv[1], port=sys.argv[2], user=sys.argv[3], password=sys.argv[4],
              dbname=sys.argv[5])
target = PgTarget(params, {}, container_id=sys.argv[6])
reader = PostgresReader(lambda: target, procs=BackendProcs())
refresh, end = float(sys.argv[7]), time.monotonic() + float(sys.argv[8])
due = time.monotonic()
while time.monotonic() < end:
    reader.read()
    due += refresh
    time.sleep(max(0.0, due - time.monotonic()))
"""


def admin() -> psycopg.Connection:
    return psycopg.connect(host=HOST, port=PORT, user=ADMIN, password=ADMIN_PW, dbname=DB,
                           autocommit=True, connect_timeout=5)  # fmt: skip


def prepare(scale: int) -> None:
    with admin() as c:
        for role in ROLES.values():
            if not c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                c.execute(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{ROLE_PW}'")
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone():
            c.execute(f"CREATE DATABASE {BENCH_DB}")
            subprocess.run(
                ["pgbench", "-i", "-q", "-s", str(scale), "-h", HOST, "-p", str(PORT), "-U",
                 ADMIN, BENCH_DB],
                env={**os.environ, "PGPASSWORD": ADMIN_PW}, check=True, capture_output=True,
            )  # fmt: skip


def container_id() -> str:
    out = subprocess.run(["docker", "inspect", "-f", "{{.Id}}", CONTAINER], capture_output=True,
                         text=True, check=True, timeout=20)  # fmt: skip
    return out.stdout.strip()


class BackendCpu:
    """CPU ticks of one role's backends, sampled so short-lived backends are counted too."""

    def __init__(self, cid: str, role: str) -> None:
        self.role = role
        self.paths = CgroupReader().find(cid)
        if self.paths is None:
            raise SystemExit("the Postgres container's cgroup is not readable here")
        self.seen: dict[tuple[int, int], int] = {}  # (host pid, start) -> ticks
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, conn: psycopg.Connection) -> None:
        pids = {r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE usename = %s", (self.role,))}  # fmt: skip
        if not pids:
            return
        assert self.paths is not None
        for host in (self.paths.cpu / "cgroup.procs").read_text().split():
            try:
                ns, _ = parse_status(Path(f"/proc/{host}/status").read_text())
                if ns in pids:
                    ticks, start = parse_stat(Path(f"/proc/{host}/stat").read_text())
                    self.seen[(int(host), start)] = ticks
            except (OSError, ValueError):
                continue

    def _run(self) -> None:
        with admin() as conn:
            while not self.stop.is_set():
                self._sample(conn)
                self.stop.wait(0.25)
            self._sample(conn)

    def seconds(self) -> float:
        return sum(self.seen.values()) / TICKS


def calls(role: str) -> int:
    with admin() as c:
        row = c.execute(
            "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s"
            " JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = %s", (role,)
        ).fetchone()  # fmt: skip
    return int(row[0]) if row else 0


def proc_cpu(pid: int) -> float:
    try:
        ticks, _ = parse_stat(Path(f"/proc/{pid}/stat").read_text())
    except OSError:
        return 0.0
    return ticks / TICKS


def run_arctui(cid: str, refresh: float, seconds: float) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", ARCTUI_LOOP, HOST, str(PORT), ROLES["arctui"], ROLE_PW, DB, cid,
         str(refresh), str(seconds)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return proc, proc.pid


def run_pg_activity(refresh: float) -> tuple[subprocess.Popen, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
    env = {**os.environ, "PGPASSWORD": ROLE_PW, "TERM": "xterm-256color", "LINES": "48",
           "COLUMNS": "160"}  # fmt: skip
    proc = subprocess.Popen(
        [str(PGACT), "-h", HOST, "-p", str(PORT), "-U", ROLES["pg_activity"], "-d", DB,
         "--refresh", f"{refresh:g}"],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(slave)

    def drain() -> None:
        # blessed asks the terminal where the cursor is and waits for the answer.
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            for _ in range(data.count(b"\x1b[6n")):
                os.write(master, b"\x1b[1;1R")

    threading.Thread(target=drain, daemon=True).start()
    return proc, proc.pid


def phase(name: str, cid: str, refresh: float, seconds: float, warmup: float) -> dict:
    """Start the tool, let it settle for `warmup` s, then measure `seconds` s."""
    role = ROLES.get(name, "nobody")
    cpu = BackendCpu(cid, role)
    cpu.thread.start()
    proc, pid = None, 0
    if name == "arctui":
        proc, pid = run_arctui(cid, refresh, warmup + seconds + 5)
    elif name == "pg_activity":
        proc, pid = run_pg_activity(refresh)
    time.sleep(warmup)
    before = (calls(role), cpu.seconds(), proc_cpu(pid) if pid else 0.0)
    time.sleep(seconds)
    after = (calls(role), cpu.seconds(), proc_cpu(pid) if pid else 0.0)
    if proc is not None:
        if name == "pg_activity":
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    cpu.stop.set()
    cpu.thread.join(10)
    return {
        "statements_s": (after[0] - before[0]) / seconds,
        "server_cpu_pct": 100 * (after[1] - before[1]) / seconds,
        "client_cpu_pct": 100 * (after[2] - before[2]) / seconds,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--refresh", type=float, default=2.0)
    ap.add_argument("--scale", type=int, default=5)
    ap.add_argument("--rate", type=int, default=200, help="pgbench transactions/s")
    ap.add_argument("--warmup", type=float, default=15, help="seconds before measuring")
    args = ap.parse_args()
    if not PGACT.exists():
        print(f"{PGACT} missing: install pg_activity into /tmp/pgact-venv first", file=sys.stderr)
        return 2
    prepare(args.scale)
    cid = container_id()
    total = int((args.seconds + args.warmup) * 3 + 30)
    load = subprocess.Popen(
        ["pgbench", "-c", "4", "-j", "2", "-T", str(total), "-R", str(args.rate), "-n",
         "-h", HOST, "-p", str(PORT), "-U", ADMIN, BENCH_DB],
        env={**os.environ, "PGPASSWORD": ADMIN_PW}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    time.sleep(5)
    results = {}
    try:
        for name in ("baseline", "arctui", "pg_activity"):
            print(f"phase {name} ({args.seconds:g} s) …", file=sys.stderr, flush=True)
            results[name] = phase(name, cid, args.refresh, args.seconds, args.warmup)
    finally:
        load.send_signal(signal.SIGINT)
        load.communicate(timeout=30)
    print(f"\nPostgres monitoring load at refresh {args.refresh:g} s, {args.seconds:g} s per"
          f" phase, pgbench -c 4 -R {args.rate}")  # fmt: skip
    print(f"{'tool':<12} {'statements/s':>13} {'server CPU %':>13} {'client CPU %':>13}")
    for name, r in results.items():
        print(f"{name:<12} {r['statements_s']:>13.2f} {r['server_cpu_pct']:>13.2f}"
              f" {r['client_cpu_pct']:>13.2f}")  # fmt: skip
    print("(server CPU: % of one core used by that tool's backends; baseline has no tool)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
