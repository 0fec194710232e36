# ruff: noqa: E501  (command lines kept whole)
"""`arctui health` against the guide's `make health-all` done by hand, on the test stack.

Reference (what `make health-all` amounts to): for every container of the project,
`docker inspect` its health, then `curl` (or `pg_isready` / `redis-cli ping` through
`docker exec`) each service's health endpoint, one after the other. arctui does the
same work with one container list and parallel probes, each with a timeout.

    .venv/bin/python benchmarks/health_bench.py --rounds 5

Prints wall time per round (median and worst) for both, and whether they agree on
which services are unhealthy. Needs the test stack up (tests/integration/stack.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.integration.stack import COMPOSE_FILE, PROJECT, STACK_DIR, compose_env  # noqa: E402

ENDPOINTS = {  # what the stack's health checks probe, as an operator would curl them
    "gateway": ["curl", "-fsS", "-m", "3", "http://127.0.0.1:18080/ping"],
    "flags": ["curl", "-fsS", "-m", "3", "http://127.0.0.1:18081/health"],
}


def reference() -> tuple[float, set[str]]:
    """`docker inspect` every container, then probe each endpoint: (seconds, unhealthy)."""
    started = time.monotonic()
    ids = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    bad = set()
    for cid in ids:
        out = subprocess.run(
            ["docker", "inspect", "-f",
             '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} '
             "{{if .State.Health}}{{.State.Health.Status}}{{end}}", cid],
            capture_output=True, text=True, check=False,
        ).stdout.split()  # fmt: skip
        if len(out) >= 2 and (out[1] != "running" or out[2:] == ["unhealthy"]):
            bad.add(out[0])
    for service, cmd in ENDPOINTS.items():
        if subprocess.run(cmd, capture_output=True, check=False).returncode != 0:
            bad.add(service)
    for service, cmd in (
        ("postgres", ["docker", "exec", "arctui-test-oracle-sql", "pg_isready", "-h", "127.0.0.1", "-p", "15432"]),
        ("redis", ["docker", "exec", "arctui-test-redis-1", "redis-cli", "-p", "16379", "ping"]),
    ):  # fmt: skip
        if subprocess.run(cmd, capture_output=True, check=False).returncode != 0:
            bad.add(service)
    return time.monotonic() - started, bad


def arctui() -> tuple[float, set[str]]:
    """`arctui health --json` as a subprocess: (seconds, services not fine)."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "arctui", "-p", PROJECT, "-f", str(COMPOSE_FILE), "health", "--json"],
        cwd=STACK_DIR, env=compose_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    doc = json.loads(proc.stdout)
    bad = {s["service"] for s in doc["services"] if not s["ok"]}
    return seconds, bad


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ref, ours = [], []
    for _ in range(args.rounds):  # interleaved, so load drifts hit both alike
        t, ref_bad = reference()
        ref.append(t)
        t, our_bad = arctui()
        ours.append(t)
    print(f"rounds: {args.rounds}")
    print(
        f"reference (inspect + curl/exec, serial): median {statistics.median(ref):.2f} s,"
        f" worst {max(ref):.2f} s; unhealthy: {sorted(ref_bad)}"
    )
    print(
        f"arctui health --json (process start included): median {statistics.median(ours):.2f} s,"
        f" worst {max(ours):.2f} s; not fine: {sorted(our_bad)}"
    )
    print(
        f"agree on the failing services: {ref_bad == our_bad}"
        + (
            ""
            if ref_bad == our_bad
            else f" (only reference: {sorted(ref_bad - our_bad)},"
            f" only arctui: {sorted(our_bad - ref_bad)})"
        )
    )


if __name__ == "__main__":
    main()
