"""Smoke tests: the real test stack is up in the exact state arctui's tests rely on."""

from __future__ import annotations

import urllib.error
import urllib.request

import psycopg
import redis
from dotenv import dotenv_values

from tests.integration import stack
from tests.integration.stack import RunningStack


def test_constants_match_env_file() -> None:
    """stack.py's constants and tests/stack/.env agree."""
    env = dotenv_values(stack.ENV_FILE)
    assert env["POSTGRES_USER"] == stack.PG_USER
    assert env["POSTGRES_PASSWORD"] == stack.PG_PASSWORD
    assert env["POSTGRES_DB"] == stack.PG_DB
    assert env["PG_PORT"] == str(stack.PG_PORT)
    assert env["REDIS_PORT"] == str(stack.REDIS_PORT)
    assert env["GATEWAY_PORT"] == str(stack.GATEWAY_PORT)
    assert env["FLAGS_PORT"] == str(stack.FLAGS_PORT)


def test_compose_cmd_targets_this_project() -> None:
    """compose_cmd pins project, compose file and env file."""
    cmd = stack.compose_cmd("ps")
    assert cmd[:4] == ["docker", "compose", "-p", "arctui-test"]
    assert str(stack.COMPOSE_FILE) in cmd and str(stack.ENV_FILE) in cmd
    assert cmd[-1] == "ps"


def test_containers_have_expected_states(test_stack: RunningStack) -> None:
    """Every service is in its designed state, read back through the Docker SDK."""
    dc = test_stack.client
    # Other tests stop and start containers; let health checks settle again first.
    stack.wait_settled(dc, timeout=60)

    pg = dc.containers.get(stack.PG_CONTAINER)
    assert pg.status == "running"
    assert stack.health(pg) == "healthy"
    assert pg.labels["arc.service.tech"] == "postgresql"
    assert pg.labels["arc.service.layer"] == "core"
    assert pg.labels["arc.service.codename"] == "oracle"

    rd = dc.containers.get(stack.REDIS_CONTAINER)
    assert rd.status == "running"
    assert stack.health(rd) == "healthy"
    assert not any(k.startswith("arc.") for k in rd.labels)

    gw = dc.containers.get(stack.GATEWAY_CONTAINER)
    assert stack.health(gw) == "healthy"
    assert gw.labels["arc.service.tech"] == "traefik"

    flags = dc.containers.get(stack.FLAGS_CONTAINER)
    assert flags.status == "running"
    assert stack.health(flags) == "unhealthy"
    assert flags.labels["arc.service.tech"] == "unleash"

    worker = dc.containers.get(stack.WORKER_CONTAINER)
    assert stack.restart_count(worker) >= 1
    assert worker.attrs["HostConfig"]["RestartPolicy"]["Name"] == "always"

    replicas = test_stack.containers("raymond")
    assert sorted(c.name for c in replicas) == list(stack.RAYMOND_CONTAINERS)
    for c in replicas:
        assert c.status == "running"
        assert stack.health(c) == "healthy"
        assert c.attrs["HostConfig"]["Memory"] == 64 * 1024 * 1024
        assert c.attrs["HostConfig"]["NanoCpus"] == 500_000_000

    assert test_stack.containers("extra") == []
    for c in test_stack.containers():
        assert c.attrs["HostConfig"]["NetworkMode"] == "host"


def test_declared_services_include_profiled_extra(test_stack: RunningStack) -> None:
    """`extra` is declared (with its profile) but was not created by `up`."""
    declared = set(test_stack.compose("--profile", "*", "config", "--services").split())
    assert declared == set(stack.SERVICES)
    default = set(test_stack.compose("config", "--services").split())
    assert "extra" not in default


def test_postgres_accepts_password_login(test_stack: RunningStack) -> None:
    """A real TCP login to Postgres works and pg_stat_statements is preloaded."""
    with psycopg.connect(test_stack.pg_dsn, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        row = conn.execute("SHOW shared_preload_libraries").fetchone()
        assert row is not None and "pg_stat_statements" in row[0]
        ext = conn.execute(
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"
        ).fetchone()
        assert ext == (1,)


def test_postgres_rejects_wrong_password(test_stack: RunningStack) -> None:
    """Host connections really use password auth (no trust on 127.0.0.1)."""
    dsn = test_stack.pg_dsn.replace(test_stack.pg_password, "wrong-password")
    try:
        psycopg.connect(dsn, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        assert "password authentication failed" in str(exc)
    else:
        raise AssertionError("login with a wrong password succeeded")


def test_redis_ping_set_get(test_stack: RunningStack) -> None:
    """A real Redis connection: PING, SET and GET."""
    r = redis.Redis(
        host=test_stack.host,
        port=test_stack.redis_port,
        socket_timeout=3,
        socket_connect_timeout=3,
    )
    try:
        assert r.ping() is True
        assert r.set("arctui-test:smoke", "ok", ex=60) is True
        assert r.get("arctui-test:smoke") == b"ok"
    finally:
        r.close()


def test_http_stand_ins(test_stack: RunningStack) -> None:
    """The gateway answers /ping; the flags service answers 404 to /health."""
    base = f"http://{test_stack.host}"
    with urllib.request.urlopen(f"{base}:{test_stack.gateway_port}/ping", timeout=3) as resp:
        assert resp.status == 200
    try:
        urllib.request.urlopen(f"{base}:{test_stack.flags_port}/health", timeout=3).close()
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
    else:
        raise AssertionError("flags /health unexpectedly answered 2xx")
