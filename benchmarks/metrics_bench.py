"""Monitoring load of the Metrics tab: Prometheus' extra CPU and the reader's own CPU.

    .venv/bin/python benchmarks/metrics_bench.py [--seconds 30] [--refresh 2] [--services 50]

Starts the test fixture (tests/integration/metrics_fixture.py: the prometheus_client
exporter, here with N services' spanmetrics series, and Debian's Prometheus in a compose
project of this run, `arctui-bench-metrics-<pid>-<random>`, on free ports), then measures
two phases of the same length:
baseline (Prometheus only scrapes and evaluates its rules) and the Metrics reader at the
refresh interval. Prometheus' CPU is utime+stime of its process from /proc/<pid>/stat
(the container's pid as the engine reports it); the reader's CPU is the thread time of
the thread that reads (the tab's data path; drawing is not included). A third phase runs
the Postgres tab's reader the same way, at the same refresh, against the shared test
stack's Postgres (`python -m tests.integration.stack up`), and the ratio of the two tabs'
CPU is printed (the issue's goal: within 1.2x).

The tab as a whole (`--app-seconds`, 0 to skip): the real app, headless, in a child process
of its own (the exporter's scrape threads are in this one), each tab visible at the same
refresh, and the app's process CPU over the window after the first reads; the same app on
the Services tab (which reads nothing at rest) is measured too and subtracted, so what is
left is the tab's own CPU: its reads, its redraws and the frames they cause. Metrics runs
over the bench's compose project (Prometheus discovered from it), Postgres over the shared
test stack. Prints a table; removes its compose project at the end. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arctui.sources.prometheus import PromClient, PromTarget  # noqa: E402
from arctui.tabs.metrics.reader import MetricsReader  # noqa: E402
from tests.integration import metrics_fixture as fx  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PG = {"host": "127.0.0.1", "port": "15432", "user": "arc", "password": "arctui-test-secret",
      "dbname": "arc_db"}  # fmt: skip
PG_CONTAINER = "arctui-test-oracle-sql"


def postgres_reader() -> object | None:
    """The Postgres tab's reader over the test stack's Postgres, or None when it is down."""
    from arctui.sources.base import SourceError
    from arctui.sources.postgres import PgTarget
    from arctui.tabs.postgres.procs import BackendProcs
    from arctui.tabs.postgres.reader import PostgresReader

    out = subprocess.run(
        ["docker", "inspect", "-f", "{{.Id}}", PG_CONTAINER],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    target = PgTarget(PG, {}, container_id=out.stdout.strip() or None)
    reader = PostgresReader(lambda: target, procs=BackendProcs())
    # The first read connects and discovers: not the steady state. The shared stack's
    # Postgres may be restarting under someone's lifecycle tests: wait for it a while.
    deadline = time.monotonic() + 180
    while True:
        try:
            reader.read()
            return reader
        except SourceError as exc:
            if time.monotonic() > deadline:
                print(f"Postgres tab: not measured ({exc.reason})")
                return None
            time.sleep(2)


def prom_pid(container: str) -> int:
    out = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Pid}}", container],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(out.stdout.strip())


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def phase(pid: int, seconds: float, work: object = None) -> tuple[float, float, int]:
    """(Prometheus CPU s, reader thread CPU s, reads) over `seconds`."""
    result = {"cpu": 0.0, "reads": 0}
    stop = threading.Event()

    def loop() -> None:
        start = time.thread_time()
        while not stop.is_set():
            began = time.monotonic()
            work.read()  # type: ignore[attr-defined]
            result["reads"] += 1
            stop.wait(max(0.0, args.refresh - (time.monotonic() - began)))
        result["cpu"] = time.thread_time() - start

    before = cpu_seconds(pid)
    thread = threading.Thread(target=loop) if work is not None else None
    if thread:
        thread.start()
    time.sleep(seconds)
    stop.set()
    if thread:
        thread.join()
    return cpu_seconds(pid) - before, result["cpu"], result["reads"]


def app_cpu(kind: str, key: str, seconds: float, refresh: float, where: list[str]) -> float:
    """The child's answer: the app's process CPU s over `seconds`, tab `key` visible."""
    argv = [sys.executable, __file__, "--app-child", kind, "--app-key", key,
            "--app-seconds", f"{seconds:g}", "--refresh", f"{refresh:g}", *where]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise RuntimeError(f"app phase {kind}/{key} failed: {done.stderr.strip()[-800:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["cpu"])


async def app_child() -> None:
    """In the child: the app over the named stack, tab `--app-key` shown, CPU measured."""
    from arctui.config.settings import Settings
    from arctui.session import real_session
    from arctui.ui.app import ArcApp

    environ = {k: v for k, v in os.environ.items() if k != "ARCTUI_PROMETHEUS_URL"}
    if args.app_child == "postgres":
        from tests.integration.stack import compose_env

        environ = {k: v for k, v in compose_env().items() if not k.startswith("PG") or "_" in k}
    compose_file = Path(args.compose_file)
    session = real_session(
        compose_file.parent, env=None, files=[str(compose_file)], project_name=args.project,
        settings=Settings(refresh=args.refresh), environ=environ,
    )  # fmt: skip
    app = ArcApp(session)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press(args.app_key)
        await asyncio.sleep(3 * args.refresh)  # the first reads (connect, discover, charts)
        start = time.process_time()
        await asyncio.sleep(args.app_seconds)
        cpu = time.process_time() - start
    print(json.dumps({"cpu": cpu}))


def main() -> int:
    fx.SERVICES = tuple(  # type: ignore[misc]
        fx.Service(f"svc{i:02d}", 5.0 + i, 0.01 * (i % 7), fx.SERVICES[i % 3].shares)
        for i in range(args.services)
    )
    stack = fx.MetricsStack(fx.run_project("arctui-bench-metrics"))
    try:
        pid = prom_pid(stack.container)
        fx.wait_until(lambda: stack.instant("count(up)", time.time()), 30, "Prometheus")
        client = PromClient(PromTarget(stack.prom_url, "bench"))
        reader = MetricsReader(client, "bench", "1m")
        reader.read()  # the first read (charts, onsets) is not the steady state
        base, _, _ = phase(pid, args.seconds)
        asked = client.requests
        extra, own, reads = phase(pid, args.seconds, reader)
        asked = client.requests - asked
        snap = reader.read()
        print(
            f"{args.services} services ({len(snap.services)} read), refresh {args.refresh:g} s,"
            f" {args.seconds:g} s per phase, {asked / max(reads, 1):.1f} requests per refresh"
        )
        print(f"Prometheus CPU baseline      {base / args.seconds * 100:6.2f} % of a core")
        print(f"Prometheus CPU with reader   {extra / args.seconds * 100:6.2f} % of a core")
        print(
            f"  extra                      {(extra - base) / args.seconds * 100:6.2f} % of a core"
        )
        print(
            f"reader thread CPU            {own / args.seconds * 100:6.2f} % of a core"
            f" ({own / max(reads, 1) * 1000:.1f} ms per read, {reads} reads)"
        )
        pg = postgres_reader()
        if pg is not None:
            _, pg_own, pg_reads = phase(pid, args.seconds, pg)
            print(
                f"Postgres tab reader CPU      {pg_own / args.seconds * 100:6.2f} % of a core"
                f" ({pg_own / max(pg_reads, 1) * 1000:.1f} ms per read, {pg_reads} reads)"
            )
            print(f"Metrics / Postgres tab CPU   {own / max(pg_own, 1e-9):6.2f}x (goal: <= 1.2x)")
        if args.app_seconds > 0:
            app_table(stack)
    finally:
        stack.close()
    return 0


def app_table(stack: fx.MetricsStack) -> None:
    """The tabs as a whole: the app's CPU with each tab shown, less the app on Services,
    in `--app-rounds` interleaved rounds (a neighbour's burst on the shared machine hits
    one phase: the median of the rounds' ratios is the figure)."""
    from tests.integration.stack import COMPOSE_FILE, PROJECT

    secs, refresh = args.app_seconds, args.refresh
    where = {
        "metrics": ["--compose-file", str(stack.compose_file), "--project", stack.project],
        "postgres": ["--compose-file", str(COMPOSE_FILE), "--project", PROJECT],
    }
    ratios = []
    for n in range(1, args.app_rounds + 1):
        cpu = {
            (kind, key): app_cpu(kind, key, secs, refresh, where[kind]) / secs * 100
            for kind, key in (
                ("metrics", "7"),
                ("postgres", "3"),
                ("metrics", "1"),
                ("postgres", "1"),
            )
        }
        m_own = cpu["metrics", "7"] - cpu["metrics", "1"]
        p_own = cpu["postgres", "3"] - cpu["postgres", "1"]
        ratio = m_own / p_own if p_own > 0 else math.inf
        ratios.append(ratio)
        print(
            f"round {n}: app with Metrics {cpu['metrics', '7']:.2f} % (on Services"
            f" {cpu['metrics', '1']:.2f} %), with Postgres {cpu['postgres', '3']:.2f} % (on"
            f" Services {cpu['postgres', '1']:.2f} %): tabs' own {m_own:.2f} % vs"
            f" {p_own:.2f} %, {ratio:.2f}x"
        )
    print(
        f"Metrics / Postgres whole tab   {statistics.median(ratios):6.2f}x median (goal: <= 1.2x)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--refresh", type=float, default=2.0)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--app-seconds", type=float, default=30.0)
    parser.add_argument("--app-rounds", type=int, default=3)
    parser.add_argument("--app-child", help=argparse.SUPPRESS)
    parser.add_argument("--app-key", help=argparse.SUPPRESS)
    parser.add_argument("--compose-file", help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app_child:
        asyncio.run(app_child())
        sys.exit(0)
    sys.exit(main())
