"""A compose project of its own for the recorder benchmarks (issue 20): N containers with
health checks (one runs a capped busy loop), the host's Postgres and Redis (as in
tests/stack, on their own loopback ports), a crash loop and a log writer. Host network
only; brought up and removed by project name.

    .venv/bin/python benchmarks/bench_stack.py up|down [-p arctui-bench20] [-n 50]
"""

from __future__ import annotations

import argparse
import os
import pwd
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRYPOINT = ROOT / "tests" / "stack" / "postgres" / "entrypoint.sh"
BUSYBOX = "arctui-test/busybox:local"
HOSTROOT = "arctui-test/hostroot:local"
PG_PASSWORD = "bench20-pg-pw"
HOST_RO = [
    "/usr:/usr:ro",
    "/lib:/lib:ro",
    "/lib64:/lib64:ro",
    "/bin:/bin:ro",
    "/sbin:/sbin:ro",
    "/etc:/etc:ro",
]


def ports(project: str) -> tuple[int, int]:
    """Postgres and Redis ports of a project, high and apart from tests/stack's."""
    base = 25000 + sum(project.encode()) % 40 * 100
    return base + 32, base + 79


def compose_file(project: str, n: int, health_interval: str = "10s") -> dict:
    pg_port, redis_port = ports(project)
    pg, redis = pwd.getpwnam("postgres"), pwd.getpwnam("redis")
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    services: dict[str, dict] = {}
    for i in range(n):
        loop = "while :; do :; done" if i == 0 else "while true; do sleep 5 & wait; done"
        services[f"app{i:02d}"] = {
            "image": BUSYBOX,
            "network_mode": "host",
            "restart": "unless-stopped",
            "command": ["sh", "-c", f"trap 'exit 0' TERM INT; {loop}"],
            "stop_grace_period": "2s",
            "healthcheck": {
                "test": ["CMD", "true"],
                "interval": health_interval,
                "timeout": "2s",
                "retries": 3,
            },
            **({"cpus": 0.05} if i == 0 else {}),  # the busy loop, capped: a shared host
        }
    services["postgres"] = {
        "image": HOSTROOT,
        "network_mode": "host",
        "restart": "unless-stopped",
        "user": f"{pg.pw_uid}:{pg.pw_gid}",
        "entrypoint": ["/bin/sh", "/docker-entrypoint.sh"],
        "environment": {
            "POSTGRES_USER": "arc",
            "POSTGRES_PASSWORD": PG_PASSWORD,
            "POSTGRES_DB": "arc_db",
            "PGDATA": "/var/lib/postgresql/data/pgdata",
            "PG_BIN": str(pg_bin),
            "PG_PORT": str(pg_port),
            "LANG": "C.UTF-8",
            "PATH": f"{pg_bin}:/usr/sbin:/usr/bin:/sbin:/bin",
        },
        "volumes": [
            *HOST_RO,
            f"{ENTRYPOINT}:/docker-entrypoint.sh:ro",
            "pgdata:/var/lib/postgresql/data",
        ],
        "stop_signal": "SIGINT",
        "stop_grace_period": "5s",
        "healthcheck": {
            "test": ["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(pg_port)],
            "interval": health_interval,
        },
    }
    services["redis"] = {
        "image": HOSTROOT,
        "network_mode": "host",
        "restart": "unless-stopped",
        "user": f"{redis.pw_uid}:{redis.pw_gid}",
        "environment": {"REDIS_PORT": str(redis_port)},
        "command": [
            "/usr/bin/redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--dir",
            "/data",
            "--save",
            "",
        ],
        "volumes": [*HOST_RO, "redisdata:/data"],
        "healthcheck": {
            "test": ["CMD-SHELL", f"redis-cli -p {redis_port} ping | grep -q PONG"],
            "interval": health_interval,
        },
    }
    services["worker"] = {  # the crash loop
        "image": BUSYBOX,
        "network_mode": "host",
        "restart": "always",
        "command": ["sh", "-c", "echo booting; sleep 20; echo 'fatal: cannot connect' >&2; exit 3"],
    }
    services["logger"] = {  # log traffic, an error line now and then
        "image": BUSYBOX,
        "network_mode": "host",
        "restart": "unless-stopped",
        "command": [
            "sh",
            "-c",
            "trap 'exit 0' TERM INT; i=0; while true; do i=$((i+1)); "
            'echo "INFO request $i served in 12ms"; [ $((i % 20)) = 0 ] && '
            'echo "ERROR upstream timeout on request $i" >&2; sleep 1 & wait; done',
        ],
    }
    return {"name": project, "services": services, "volumes": {"pgdata": {}, "redisdata": {}}}


def path_for(project: str) -> Path:
    return Path(f"/tmp/{project}") / "docker-compose.yml"


def up(project: str, n: int, health_interval: str = "10s") -> Path:
    import json

    path = path_for(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(compose_file(project, n, health_interval), indent=1))  # YAML 1.2
    # no --wait: the crash loop would fail it; the benchmarks wait for what they read
    subprocess.run(["docker", "compose", "-p", project, "-f", str(path), "up", "-d"], check=True)
    return path


def down(project: str) -> None:
    subprocess.run(["docker", "compose", "-p", project, "down", "-v", "-t", "3"], check=False)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["up", "down"])
    p.add_argument("-p", "--project", default="arctui-bench20")
    p.add_argument("-n", type=int, default=50)
    p.add_argument("--health-interval", default="10s")
    a = p.parse_args()
    if a.what == "up":
        print(up(a.project, a.n, a.health_interval))
    else:
        down(a.project)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
