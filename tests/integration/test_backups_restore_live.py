"""Restores into live datastores, on a PRIVATE stack (`arctui-backuptest`), never the shared one.

The private stack is modelled on tests/stack/docker-compose.yml's postgres and redis
(same local images, host network, loopback ports 25432 / 26379, Redis with
`appendonly yes`) plus `app`, which depends on both: a restore must stop it and start
it again. It is created for this module and removed (with its volumes) at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from arctui.config.backups import BackupSettings
from arctui.config.settings import Settings
from arctui.ops.audit import AuditLog
from arctui.ops.backups import run as ops
from arctui.ops.runner import Outcome
from arctui.session import Session, real_session
from tests.integration.stack import (
    BUSYBOX_IMAGE,
    HOSTROOT_IMAGE,
    STACK_DIR,
    compose_env,
)

PROJECT = "arctui-backuptest"
PG_PORT = 25432
REDIS_PORT = 26379
PASSWORD = "backuptest-secret"
HOST_MOUNTS = [
    "/usr:/usr:ro",
    "/lib:/lib:ro",
    "/lib64:/lib64:ro",
    "/bin:/bin:ro",
    "/sbin:/sbin:ro",
    "/etc:/etc:ro",
]


def compose_yaml() -> dict:
    entrypoint = str(STACK_DIR / "postgres" / "entrypoint.sh")
    return {
        "name": PROJECT,
        "services": {
            "postgres": {
                "container_name": f"{PROJECT}-oracle-sql",
                "image": HOSTROOT_IMAGE,
                "network_mode": "host",
                "user": "${PG_UID}:${PG_GID}",
                "labels": {"arc.service.tech": "postgresql"},
                "entrypoint": ["/bin/sh", "/docker-entrypoint.sh"],
                "environment": {
                    "POSTGRES_USER": "arc",
                    "POSTGRES_PASSWORD": PASSWORD,
                    "POSTGRES_DB": "arc_db",
                    "PGDATA": "/var/lib/postgresql/data/pgdata",
                    "PG_BIN": "${PG_BIN}",
                    "PG_PORT": str(PG_PORT),
                    "LANG": "C.UTF-8",
                    "PATH": "${PG_BIN}:/usr/sbin:/usr/bin:/sbin:/bin",
                },
                "volumes": [
                    *HOST_MOUNTS,
                    f"{entrypoint}:/docker-entrypoint.sh:ro",
                    "pgdata:/var/lib/postgresql/data",
                ],
                "stop_signal": "SIGINT",
                "stop_grace_period": "5s",
                "healthcheck": {
                    "test": [
                        "CMD",
                        "pg_isready",
                        "-q",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(PG_PORT),
                        "-U",
                        "arc",
                        "-d",
                        "arc_db",
                    ],
                    "interval": "1s",
                    "timeout": "3s",
                    "retries": 30,
                },
            },
            "redis": {
                "image": HOSTROOT_IMAGE,
                "network_mode": "host",
                "user": "${REDIS_UID}:${REDIS_GID}",
                "command": [
                    "/usr/bin/redis-server",
                    "--port",
                    str(REDIS_PORT),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    "/data",
                    "--appendonly",
                    "yes",
                ],
                "volumes": [*HOST_MOUNTS, "redisdata:/data"],
                "stop_grace_period": "5s",
                "healthcheck": {
                    "test": ["CMD-SHELL", f"redis-cli -p {REDIS_PORT} ping | grep -q PONG"],
                    "interval": "1s",
                    "timeout": "3s",
                    "retries": 30,
                },
            },
            "app": {
                "image": BUSYBOX_IMAGE,
                "network_mode": "host",
                "labels": {"arc.service.tech": "custom"},
                "command": [
                    "sh",
                    "-c",
                    "trap 'exit 0' TERM INT; while true; do sleep 1 & wait; done",
                ],
                "stop_grace_period": "2s",
                "healthcheck": {"test": ["CMD", "true"], "interval": "1s", "retries": 3},
                "depends_on": ["postgres", "redis"],
            },
        },
        "volumes": {"pgdata": {}, "redisdata": {}},
    }


class Private:
    """The private stack; a subclass may run another copy under its own name and port."""

    project = PROJECT
    pg_port = PG_PORT
    services = 3  # postgres, redis, app

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.file = directory / "docker-compose.yml"
        self.env = compose_env()

    @classmethod
    @contextlib.contextmanager
    def running(cls, tmp_path_factory: Any, name: str, spec: dict[str, Any]) -> Iterator[Any]:
        """A stack of this class from `spec` in a fresh directory: up and healthy for the
        `with` block, removed with its volumes after it."""
        import yaml

        _engine_and_images()
        directory = tmp_path_factory.mktemp(name)
        (directory / ".env").write_text(
            f"POSTGRES_USER=arc\nPOSTGRES_PASSWORD={PASSWORD}\nPOSTGRES_DB=arc_db\n"
        )
        stack = cls(directory)
        stack.file.write_text(yaml.safe_dump(spec, sort_keys=False))
        try:
            stack.compose("up", "-d")
            stack.wait_healthy()
            yield stack
        finally:
            stack.compose("down", "-v", "--remove-orphans", "--timeout", "3")

    def compose(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run(
            ["docker", "compose", "-p", self.project, "-f", str(self.file), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"compose {args}: {done.stdout}\n{done.stderr}")
        return done.stdout

    def session(self, **kw) -> Session:
        return real_session(
            self.dir,
            env=None,
            files=[str(self.file)],
            project_name=self.project,
            settings=Settings(),
            environ=self.env,
            **kw,
        )

    def pg(self) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.pg_port,
            user="arc",
            password=PASSWORD,
            dbname="arc_db",
            autocommit=True,
            connect_timeout=5,
        )

    def redis(self) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1",
            port=REDIS_PORT,
            socket_timeout=5,
            socket_connect_timeout=5,
        )

    def started_at(self, service: str) -> str:
        ids = self.compose("ps", "-q", service).split()
        out = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.StartedAt}}", *ids],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return out.stdout.strip()

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            rows = [
                json.loads(line)
                for line in self.compose("ps", "--format", "json").splitlines()
                if line.strip()
            ]
            if len(rows) == self.services and all(r.get("Health") == "healthy" for r in rows):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.project} not healthy: {rows}")
            time.sleep(0.5)


def _engine_and_images() -> None:
    """Engine, host packages and the local images; not the shared stack (nor its lock)."""
    from tests.integration import stack

    try:
        stack.ensure_engine()
        stack.check_host()
    except RuntimeError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"private backup stack unavailable: {exc}")
        pytest.skip(f"private backup stack unavailable: {exc}")
    stack.build_images()


@pytest.fixture(scope="module")
def private(tmp_path_factory) -> Iterator[Private]:
    """The private stack, independent of the shared one (it does not wait for its lock)."""
    with Private.running(tmp_path_factory, "backuptest", compose_yaml()) as stack:
        yield stack


@pytest.fixture
def ctx(private: Private, tmp_path: Path) -> ops.Context:
    return ops.Context.of(
        private.session(),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        settings=BackupSettings(tmp_path / "backups"),
    )


def test_postgres_restore_brings_rows_back_and_restarts_dependents(private, ctx) -> None:
    with private.pg() as conn:
        conn.execute("DROP TABLE IF EXISTS items")
        conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5000) g")
    taken = ops.backup(ctx, "postgres")
    assert taken.ok, taken.message
    with private.pg() as conn:
        conn.execute("DELETE FROM items WHERE id % 2 = 0")
        conn.execute("CREATE TABLE after_backup (x int)")
    app_before = private.started_at("app")

    result = ops.restore(ctx, taken.manifest.id)
    assert result.outcome is Outcome.OK, result.message
    assert "RTO 30 min" in result.message and result.data["elapsed_s"] > 0
    with private.pg() as conn:
        assert conn.execute("SELECT count(*), sum(id) FROM items").fetchone() == (5000, 12502500)
    assert private.started_at("app") != app_before  # stopped for the restore, started again
    private.wait_healthy()
    assert ("restore", "ok") in [(e["action"], e["outcome"]) for e in ctx.audit.read()]


def test_a_failing_postgres_restore_says_so_and_leaves_the_database_as_it_was(private, ctx) -> None:
    with private.pg() as conn:
        conn.execute("DROP TABLE IF EXISTS items CASCADE")
        conn.execute("CREATE TABLE items (id int PRIMARY KEY)")
        conn.execute("INSERT INTO items SELECT generate_series(1, 100)")
    taken = ops.backup(ctx, "postgres")
    assert taken.ok, taken.message
    with private.pg() as conn:
        conn.execute("INSERT INTO items SELECT generate_series(101, 150)")
        # A view created after the backup: `DROP TABLE items` (from --clean) now fails.
        conn.execute("CREATE VIEW items_view AS SELECT id FROM items")
    result = ops.restore(ctx, taken.manifest.id)
    assert result.outcome is Outcome.FAILED
    assert "restore FAILED" in result.message and "rolled back" in result.message
    with private.pg() as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (150,)
        conn.execute("DROP VIEW items_view")
    private.wait_healthy()  # the dependents were started again after the failure


def test_redis_restore_with_aof_on_brings_the_keys_back(private, ctx) -> None:
    r = private.redis()
    r.flushall()
    pipe = r.pipeline()
    for i in range(3000):
        pipe.set(f"k:{i}", i)
    pipe.execute()
    taken = ops.backup(ctx, "redis")
    assert taken.ok, taken.message
    assert taken.manifest.keys == 3000 and taken.manifest.keys_exact
    r.flushall()
    r.set("written-after-backup", 1)

    result = ops.restore(ctx, taken.manifest.id)
    assert result.outcome is Outcome.OK, result.message
    assert "3000 keys after restart" in result.message
    r = private.redis()
    assert (
        r.dbsize() == 3000 and r.get("k:2999") == b"2999" and not r.exists("written-after-backup")
    )
    assert r.config_get("appendonly")["appendonly"] == "yes"
    # The AOF now holds the data: a plain restart (which loads the AOF) keeps every key.
    private.compose("restart", "redis")
    private.wait_healthy()
    assert private.redis().dbsize() == 3000
    # Nothing left aside after a good restore.
    ls = private.compose("exec", "-T", "redis", "ls", "-a", "/data")
    assert "pre-restore" not in ls and "appendonlydir" in ls


def test_drill_on_the_private_stack_counts_rows_and_keys(private, ctx) -> None:
    r = private.redis()
    r.flushall()
    r.mset({f"d:{i}": i for i in range(250)})
    with private.pg() as conn:
        conn.execute("DROP TABLE IF EXISTS items CASCADE")
        conn.execute("CREATE TABLE items AS SELECT generate_series(1, 777) AS id")
    assert ops.backup(ctx, "postgres").ok and ops.backup(ctx, "redis").ok
    result = ops.drill(ctx)
    assert result.outcome is Outcome.OK, result.message
    assert any("777 rows" in line for line in result.details), result.details
    assert any("250 keys" in line for line in result.details), result.details


def test_a_lock_held_elsewhere_fails_the_restore_quickly_and_rolls_back(
    private, ctx, monkeypatch
) -> None:
    from arctui.ops.backups import pg_restore

    monkeypatch.setattr(pg_restore, "LOCK_WAIT", 2.0)
    with private.pg() as conn:
        conn.execute("DROP TABLE IF EXISTS items CASCADE")
        conn.execute("CREATE TABLE items AS SELECT generate_series(1, 10) AS id")
    taken = ops.backup(ctx, "postgres")
    assert taken.ok, taken.message
    with private.pg() as conn:
        conn.execute("INSERT INTO items SELECT generate_series(11, 20)")
    holder = private.pg()
    holder.autocommit = False
    holder.execute("SELECT count(*) FROM items")  # ACCESS SHARE until the transaction ends
    try:
        started = time.monotonic()
        result = ops.restore(ctx, taken.manifest.id)
        assert result.outcome is Outcome.FAILED and "waited" in result.message
        assert "held by" in result.message and "SELECT count(*) FROM items" in result.message
        assert time.monotonic() - started < 60
    finally:
        holder.rollback()
        holder.close()
    with private.pg() as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (20,)
