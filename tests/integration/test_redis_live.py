"""The Redis tab's data layer and `arctui redis` against the real Redis of the test stack.

The stack's Redis (127.0.0.1:16379, appendonly yes) is found the way an operator's
arctui finds it: the compose service `redis` (role from its name, host network) and
REDIS_PORT from tests/stack/.env. Figures are checked against an independent reading:
`redis-cli` inside the container. Keys are planted under a unique prefix and removed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from arctui.config.settings import Settings
from arctui.ops.audit import AuditLog
from arctui.ops.runner import Outcome
from arctui.session import Session, real_session
from arctui.sources.base import SourceError
from arctui.tabs.redis.actions import plan_redis_action
from arctui.tabs.redis.models import BigKey
from arctui.tabs.redis.perform import perform_redis
from arctui.tabs.redis.reader import RedisReader, source_for
from arctui.tabs.redis.scan import BigKeyScan
from arctui.tabs.redis.view.presenters import parse_monitor
from tests.integration.stack import REDIS_CONTAINER, RunningStack, compose_env

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _session(stack: RunningStack) -> Session:
    return real_session(
        stack.stack_dir,
        env=None,
        files=[str(stack.compose_file)],
        project_name=stack.project,
        settings=Settings(),
        environ={k: v for k, v in compose_env().items() if not k.startswith("REDIS_")},
    )


def redis_cli(stack: RunningStack, *args: str) -> str:
    """An independent reading: redis-cli inside the Redis container."""
    container = stack.client.containers.get(REDIS_CONTAINER)
    code, out = container.exec_run(["redis-cli", "-p", str(stack.redis_port), *args])
    assert code == 0, out
    return out.decode("utf-8", "replace")


def info_dict(text: str) -> dict[str, str]:
    """`INFO` text as a dict."""
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, _, v = line.strip().partition(":")
            out[k] = v
    return out


@pytest.fixture
def plant(test_stack: RunningStack) -> Iterator[tuple[redis.Redis, str]]:
    """A direct client and a unique key prefix; the prefix's keys are removed afterwards."""
    client = redis.Redis(host=test_stack.host, port=test_stack.redis_port, socket_timeout=10)
    prefix = f"arctui-t11-{uuid.uuid4().hex[:8]}:"
    try:
        yield client, prefix
    finally:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def test_discovery_finds_the_stack_redis(test_stack: RunningStack) -> None:
    source, origin = source_for(_session(test_stack))
    try:
        assert source.label == f"127.0.0.1:{test_stack.redis_port}/0"
        assert "service redis (host network" in origin
    finally:
        source.close()


def test_overview_matches_info(test_stack: RunningStack) -> None:
    prefix = "arctui-t11:"
    client = redis.Redis(host=test_stack.host, port=test_stack.redis_port, db=7)  # its own db
    client.flushdb()
    client.mset({f"{prefix}{i}": i for i in range(5)})
    client.expire(f"{prefix}0", 600)
    source, origin = source_for(_session(test_stack))
    try:
        snap = RedisReader(source, origin).read()
    finally:
        source.close()
    ref = info_dict(redis_cli(test_stack, "INFO"))
    ov, p = snap.overview, snap.persistence
    assert ov.version == ref["redis_version"] and ov.role == ref["role"]
    assert ov.maxmemory == int(ref["maxmemory"]) and ov.maxmemory_policy == ref["maxmemory_policy"]
    assert ov.maxclients == int(ref["maxclients"])
    assert abs(ov.uptime_s - int(ref["uptime_in_seconds"])) <= 2
    assert abs(ov.used_memory - int(ref["used_memory"])) < 0.2 * int(ref["used_memory"])
    assert p.aof_enabled and ref["aof_enabled"] == "1"
    assert p.rdb_last_save_time == int(ref["rdb_last_save_time"])
    assert p.rdb_last_bgsave_status == ref["rdb_last_bgsave_status"]
    db7 = next(d for d in ov.keyspace if d.db == 7)
    assert (db7.keys, db7.expires) == (5, 1)
    assert ref["db7"].startswith("keys=5,expires=1")
    assert p.appendfsync == "everysec" and p.save_schedule is not None
    client.flushdb()
    client.close()


def test_bigkeys_finds_the_planted_list_hash_and_string(test_stack: RunningStack, plant) -> None:
    client, prefix = plant
    client.rpush(f"{prefix}biglist", *range(20_000))
    client.hset(f"{prefix}bighash", mapping={f"field{i}": "v" * 20 for i in range(3_000)})
    client.set(f"{prefix}bigstring", b"x" * 300_000)
    client.sadd(f"{prefix}set", *range(50))
    for i in range(300):  # decoys
        client.set(f"{prefix}small:{i}", "tiny")
    source, _ = source_for(_session(test_stack))
    try:
        result = BigKeyScan(source, pattern=prefix + "*", batch=100).run()
    finally:
        source.close()
    assert result.complete and result.scanned == 304
    biggest = {t.type: t.biggest for t in result.types}
    assert biggest["list"] is not None and biggest["list"].key == f"{prefix}biglist"
    assert biggest["list"].elements == 20_000
    assert biggest["hash"] is not None and biggest["hash"].elements == 3_000
    assert biggest["string"] is not None and biggest["string"].key == f"{prefix}bigstring"
    assert biggest["string"].elements == 300_000
    for big in (biggest["list"], biggest["hash"], biggest["string"]):
        assert big is not None
        assert big.memory == int(redis_cli(test_stack, "MEMORY", "USAGE", big.key).strip())
    assert result.by_memory(1)[0].key == f"{prefix}bigstring"
    assert result.by_elements(1)[0].key == f"{prefix}bigstring"  # 300,000 bytes
    prefixes = {p.prefix: p.keys for p in result.prefixes}
    assert prefixes[prefix + "*"] == 304


def test_bigkeys_cli_json_and_progress(test_stack: RunningStack, plant) -> None:
    client, prefix = plant
    client.rpush(f"{prefix}q\x1b]0;t\x07", *range(1_000))
    client.set(f"{prefix}s", "x" * 10)
    done = _cli(test_stack, "redis", "bigkeys", "--json", "--pattern", prefix + "*", "--top", "1")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    (top,) = data["keys"]
    assert top["key"] == f"{prefix}q\\x1b]0;t\\a" and top["elements"] == 1_000
    assert bytes.fromhex(top["key_hex"]) == f"{prefix}q\x1b]0;t\x07".encode()
    assert "scanned 2" in done.stderr
    text = _cli(test_stack, "redis", "bigkeys", "--pattern", prefix + "*")
    assert "\x1b" not in text.stdout and f'"{prefix}q\\x1b]0;t\\a"' in text.stdout


def _cli(stack: RunningStack, *args: str, environ: dict[str, str] | None = None):
    env = {k: v for k, v in compose_env().items() if not k.startswith("REDIS_")}
    env.update(environ or {})
    env["PYTHONPATH"] = REPO
    cmd = [sys.executable, "-m", "arctui", "--project-dir", str(stack.stack_dir)]
    cmd += ["-f", str(stack.compose_file), "-p", stack.project, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, check=False)


def test_headless_overview_and_unreachable_exit_code(test_stack: RunningStack) -> None:
    done = _cli(test_stack, "redis", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["target"] == f"127.0.0.1:{test_stack.redis_port}/0"
    assert data["persistence"]["aof_enabled"] is True
    text = _cli(test_stack, "redis")
    assert text.returncode == 0 and "AOF     on" in text.stdout
    down = _cli(test_stack, "redis", environ={"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert down.returncode == 1 and "cannot connect to Redis at 127.0.0.1:1/0" in down.stderr


def test_slowlog_shows_a_planted_slow_command(test_stack: RunningStack, plant) -> None:
    client, prefix = plant
    marker = f"{prefix}slow"
    # A Lua busy loop of ~30+ ms: over the default 10 ms slowlog threshold.
    script = f"-- {marker}\nlocal i = 0 while i < 3000000 do i = i + 1 end return i"
    client.eval(script, 0)
    source, _ = source_for(_session(test_stack))
    try:
        snap = RedisReader(source).read()
    finally:
        source.close()
    entry = next(e for e in snap.slowlog if marker in e.command)
    assert entry.args[0] == "EVAL" and "\\n" in entry.args[1]  # the newline shown escaped
    threshold = snap.slowlog_threshold_us
    assert threshold is not None and entry.duration_us >= threshold
    raw = client.execute_command("SLOWLOG", "GET", 128)
    (independent,) = [r for r in raw if r[0] == entry.id]
    assert independent[2] == entry.duration_us
    assert entry.client.startswith("127.0.0.1:")


def test_monitor_shows_a_test_command_and_stops_on_its_own(test_stack: RunningStack, plant):
    client, prefix = plant
    source, _ = source_for(_session(test_stack))
    lines: list[bytes] = []
    ended: list[str] = []
    stop = threading.Event()
    worker = threading.Thread(target=lambda: ended.append(source.monitor(lines.append, stop, 2.0)))
    started = time.monotonic()
    worker.start()
    try:
        time.sleep(0.5)
        client.set(f"{prefix}monitor-probe", "seen")
        worker.join(10)
    finally:
        stop.set()
        source.close()
    assert not worker.is_alive() and ended and "time limit" in ended[0]
    assert time.monotonic() - started < 10
    parsed = [parse_monitor(raw) for raw in lines]
    assert any(f'"SET" "{prefix}monitor-probe" "seen"' in m.command for m in parsed)
    # Stopping by the flag ends it too, well before its limit.
    stop2 = threading.Event()
    threading.Timer(0.3, stop2.set).start()
    t0 = time.monotonic()
    assert source.monitor(lambda _l: None, stop2, 60.0) == "stopped"
    assert time.monotonic() - t0 < 5


def test_bgsave_completes_and_the_persistence_view_shows_the_save(
    test_stack: RunningStack, tmp_path
) -> None:
    session = _session(test_stack)
    source, origin = source_for(session)
    audit = AuditLog(tmp_path / "audit.jsonl")
    try:
        before = RedisReader(source, origin).read().persistence
        time.sleep(1.1)  # rdb_last_save_time has one-second resolution
        plan = plan_redis_action(session, source, "bgsave")
        result = perform_redis(session, plan, source, audit)
        assert result.outcome is Outcome.OK, result.message
        after = RedisReader(source, origin).read().persistence
    finally:
        source.close()
    assert after.rdb_last_save_time > before.rdb_last_save_time
    assert after.rdb_last_bgsave_status == "ok" and not after.rdb_bgsave_in_progress
    ref = info_dict(redis_cli(test_stack, "INFO", "persistence"))
    assert after.rdb_last_save_time == int(ref["rdb_last_save_time"])
    (entry,) = audit.read()
    assert entry["action"] == "redis-bgsave" and entry["outcome"] == "ok"
    assert "BGSAVE" in entry["command"]


def test_config_set_delete_and_slowlog_reset_for_real(
    test_stack: RunningStack, plant, tmp_path
) -> None:
    client, prefix = plant
    session = _session(test_stack)
    source, _ = source_for(session)
    audit = AuditLog(tmp_path / "audit.jsonl")
    original = client.config_get("maxmemory")["maxmemory"]
    policy = client.config_get("maxmemory-policy")["maxmemory-policy"]
    try:
        used = int(client.info("memory")["used_memory"])
        plan = plan_redis_action(session, source, "maxmemory", value="900mb", used_memory=used)
        assert perform_redis(session, plan, source, audit).ok
        assert client.config_get("maxmemory")["maxmemory"] == str(900 * 1024**2)
        plan = plan_redis_action(session, source, "maxmemory-policy", value="allkeys-lru")
        assert perform_redis(session, plan, source, audit).ok
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "allkeys-lru"
        raw = f"{prefix}doomed\x00\xff".encode("latin-1")
        client.rpush(raw, *range(100))
        key = BigKey("shown", raw, "list", None, 100)
        plan = plan_redis_action(session, source, "delete-key", key=key)
        assert perform_redis(session, plan, source, audit).ok
        assert client.exists(raw) == 0
        plan = plan_redis_action(session, source, "slowlog-reset")
        assert perform_redis(session, plan, source, audit).ok
        assert client.slowlog_len() <= 1
    finally:
        client.config_set("maxmemory", original)
        client.config_set("maxmemory-policy", policy)
        source.close()
    outcomes = [(e["action"], e["outcome"]) for e in audit.read()]
    assert outcomes == [
        ("redis-maxmemory", "ok"),
        ("redis-maxmemory-policy", "ok"),
        ("redis-delete-key", "ok"),
        ("redis-slowlog-reset", "ok"),
    ]


def test_a_stopped_then_started_redis_recovers(test_stack: RunningStack) -> None:
    source, origin = source_for(_session(test_stack))
    reader = RedisReader(source, origin)
    container = test_stack.client.containers.get(REDIS_CONTAINER)
    try:
        reader.read()
        container.stop(timeout=5)
        started = time.monotonic()
        with pytest.raises(SourceError) as err:
            reader.read()
        assert "cannot connect to Redis" in err.value.reason
        assert time.monotonic() - started < 5  # refused at once, no retry loop
        container.start()
        deadline = time.monotonic() + 60
        while True:
            try:
                snap = reader.read()
                break
            except SourceError:
                assert time.monotonic() < deadline, "Redis did not come back within 60 s"
                time.sleep(0.5)
        assert snap.overview.uptime_s < 60
    finally:
        source.close()
        container.reload()
        if container.status != "running":
            container.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # leave the stack settled for the next test
            container.reload()
            if container.attrs["State"].get("Health", {}).get("Status") == "healthy":
                break
            time.sleep(0.5)
