"""A verified arctui backup of a >= 1 GB database vs a bare `pg_dump -Fc`, in the same run.

    .venv/bin/python benchmarks/backups_bench.py [--gb 1.0] [--rounds 2]

Starts a Postgres of its own (compose project `arctui-backupbench`, the test stack's
local images, host network, loopback port 25433), fills a throwaway database with
`--gb` of table data (md5 text, which compresses roughly like real rows), then
alternates, `--rounds` times:
- bare: `docker exec <pg> pg_dump -Fc ... > file`, the same command arctui runs, nothing else;
- arctui: `arctui.ops.backups.run.backup(ctx, "postgres")`: dump, fsync, pg_restore --list,
  a full pg_restore read, sha256, manifest, rename (the audit line included).
Prints wall times, the ratio (goal: at most 1.3x) and arctui's phase split, then removes
the container and its volume. Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from tests.integration.stack import (  # noqa: E402
    HOSTROOT_IMAGE,
    STACK_DIR,
    build_images,
    compose_env,
    ensure_engine,
)

PROJECT = "arctui-backupbench"
PORT = 25433
PASSWORD = "bench-only-pw"
DB = "benchdb"
MOUNTS = [
    "/usr:/usr:ro",
    "/lib:/lib:ro",
    "/lib64:/lib64:ro",
    "/bin:/bin:ro",
    "/sbin:/sbin:ro",
    "/etc:/etc:ro",
]


def compose_file(directory: Path) -> Path:
    spec = {
        "name": PROJECT,
        "services": {
            "postgres": {
                "container_name": f"{PROJECT}-pg",
                "image": HOSTROOT_IMAGE,
                "network_mode": "host",
                "user": "${PG_UID}:${PG_GID}",
                "labels": {"arc.service.tech": "postgresql"},
                "entrypoint": ["/bin/sh", "/docker-entrypoint.sh"],
                "environment": {
                    "POSTGRES_USER": "arc",
                    "POSTGRES_PASSWORD": PASSWORD,
                    "POSTGRES_DB": DB,
                    "PGDATA": "/var/lib/postgresql/data/pgdata",
                    "PG_BIN": "${PG_BIN}",
                    "PG_PORT": str(PORT),
                    "LANG": "C.UTF-8",
                    "PATH": "${PG_BIN}:/usr/sbin:/usr/bin:/sbin:/bin",
                },
                "volumes": [
                    *MOUNTS,
                    f"{STACK_DIR / 'postgres' / 'entrypoint.sh'}:/docker-entrypoint.sh:ro",
                    "pgdata:/var/lib/postgresql/data",
                ],
                "stop_signal": "SIGINT",
                "healthcheck": {
                    "test": ["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(PORT)],
                    "interval": "1s",
                    "retries": 60,
                },
            }
        },
        "volumes": {"pgdata": {}},
    }
    path = directory / "docker-compose.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    (directory / ".env").write_text(
        f"POSTGRES_USER=arc\nPOSTGRES_PASSWORD={PASSWORD}\nPOSTGRES_DB={DB}\n"
    )
    return path


def compose(path: Path, *args: str) -> None:
    base = ["docker", "compose", "-p", PROJECT, "-f", str(path)]
    subprocess.run([*base, *args], env=compose_env(), check=True, capture_output=True, timeout=600)


def psql(sql: str) -> str:
    out = subprocess.run(
        [
            "docker",
            "exec",
            f"{PROJECT}-pg",
            "psql",
            "-h",
            "/tmp",
            "-p",
            str(PORT),
            "-U",
            "arc",
            "-d",
            DB,
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-c",
            sql,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    return out.stdout.strip()


def fill(gb: float) -> int:
    """Add rows of ~150 bytes until the table data reaches `gb`; returns its size."""
    psql("CREATE TABLE IF NOT EXISTS big (id bigint, a text, b text, c timestamptz)")
    batch = 1_000_000
    while True:
        size = int(psql("SELECT pg_total_relation_size('big')"))
        if size >= gb * 1e9:
            return size
        start = int(psql("SELECT coalesce(max(id), 0) FROM big")) + 1
        psql(
            f"INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text), md5((g * 13)::text),"
            f" now() - g * interval '1 second' FROM generate_series({start}, {start + batch - 1}) g"
        )


def wait_ready(timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = subprocess.run(
            ["docker", "exec", f"{PROJECT}-pg", "pg_isready", "-q", "-h", "/tmp", "-p", str(PORT)],
            capture_output=True,
            timeout=30,
        )
        if done.returncode == 0:
            return
        time.sleep(0.5)
    raise RuntimeError("bench Postgres did not start")


def bare(directory: Path) -> tuple[float, int]:
    out = directory / "bare.dump"
    started = time.monotonic()
    with out.open("wb") as f:
        subprocess.run(
            [
                "docker",
                "exec",
                "-e",
                "PGPASSWORD",
                f"{PROJECT}-pg",
                "pg_dump",
                "-Fc",
                "-h",
                "/tmp",
                "-p",
                str(PORT),
                "-U",
                "arc",
                "-d",
                DB,
                "-w",
            ],
            stdout=f,
            check=True,
            timeout=7200,
            env={**compose_env(), "PGPASSWORD": PASSWORD},
        )
    took = time.monotonic() - started
    size = out.stat().st_size
    out.unlink()
    return took, size


def arctui_backup(path: Path, directory: Path) -> tuple[float, int, dict[str, float]]:
    from arctui.config.backups import BackupSettings
    from arctui.config.settings import Settings
    from arctui.ops.audit import AuditLog
    from arctui.ops.backups import run as ops
    from arctui.session import real_session

    session = real_session(
        path.parent,
        env="bench",
        files=[str(path)],
        project_name=PROJECT,
        settings=Settings(),
        environ=compose_env(),
    )
    marks: list[tuple[float, str]] = []
    ctx = ops.Context.of(
        session,
        audit=AuditLog(directory / "audit.jsonl"),
        progress=lambda line: marks.append((time.monotonic(), line)),
        settings=BackupSettings(directory / "backups"),
    )
    started = time.monotonic()
    result = ops.backup(ctx, "postgres")
    took = time.monotonic() - started
    if not result.ok or result.manifest is None:
        raise RuntimeError(result.message)
    phases: dict[str, float] = {}
    names = [
        ("pg_dump -Fc", "dump"),
        ("verifying: pg_restore --list", "list"),
        ("verifying: full read", "full read"),
        ("sha256", "sha256"),
    ]
    starts = [(t, dict(names)[p]) for t, line in marks for p, _ in names if line.startswith(p)]
    for (t0, name), (t1, _) in zip(starts, [*starts[1:], (started + took, "end")], strict=True):
        phases[name] = t1 - t0
    size = result.manifest.size
    ctx.store.delete(result.manifest)
    return took, size, phases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0, help="table data to create (1.0)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (2)")
    parser.add_argument(
        "--keep", action="store_true", help="leave the bench Postgres and its data for a rerun"
    )
    args = parser.parse_args()
    ensure_engine()
    build_images()
    with tempfile.TemporaryDirectory(prefix="arctui-backupbench-") as tmp:
        directory = Path(tmp)
        path = compose_file(directory)
        try:
            compose(path, "up", "-d")
            wait_ready()
            t = time.monotonic()
            size = fill(args.gb)
            print(
                f"database {DB}: {size / 1e9:.2f} GB (pg_total_relation_size), filled in"
                f" {time.monotonic() - t:.0f} s"
            )
            bare_times, ours, split = [], [], []
            for i in range(args.rounds):
                b, bsize = bare(directory)
                a, asize, phases = arctui_backup(path, directory)
                bare_times.append(b)
                ours.append(a)
                split.append(phases)
                print(
                    f"round {i + 1}: bare pg_dump -Fc {b:.1f} s ({bsize / 1e6:.0f} MB);"
                    f" arctui verified backup {a:.1f} s ({asize / 1e6:.0f} MB);"
                    f" ratio {a / b:.2f}x"
                )
                print(
                    "         arctui phases: "
                    + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
                )
            mb, ma = statistics.median(bare_times), statistics.median(ours)
            checks = statistics.median(
                sum(v for k, v in phases.items() if k != "dump") for phases in split
            )
            print(
                f"verification (list + full read + sha256): median {checks:.1f} s ="
                f" {checks / mb:.0%} of the median bare dump; the dump phase is the same command"
            )
            print(
                f"median: bare {mb:.1f} s, arctui {ma:.1f} s, ratio {ma / mb:.2f}x (goal <= 1.3x)"
            )
        finally:
            if not args.keep:
                compose(path, "down", "-v", "--timeout", "5")
    return 0


if __name__ == "__main__":
    sys.exit(main())
