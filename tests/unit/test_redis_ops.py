"""Redis actions: planning, confirmations, read-only, audit, drift, BGSAVE wait (demo source)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from arctui.config.settings import Settings
from arctui.ops.audit import AuditLog
from arctui.ops.runner import Outcome
from arctui.session import demo_session
from arctui.tabs.redis.actions import RedisActionError, parse_memory, plan_redis_action
from arctui.tabs.redis.demo import DemoRedis
from arctui.tabs.redis.models import BigKey
from arctui.tabs.redis.perform import perform_redis


def _session(**kw):
    return demo_session(Settings(), **kw)


def _entries(audit: AuditLog) -> list[dict]:
    return audit.read(50)


def test_parse_memory_follows_redis_units() -> None:
    assert parse_memory("512mb") == 512 * 1024**2
    assert parse_memory("1GB") == 1024**3
    assert parse_memory("100k") == 100_000
    assert parse_memory("0") == 0
    with pytest.raises(RedisActionError):
        parse_memory("lots")


def test_bgsave_runs_waits_and_is_audited(tmp_path: Path) -> None:
    t = [1_000_000.0]
    redis = DemoRedis(clock=lambda: t[0])
    session = _session()
    audit = AuditLog(tmp_path / "audit.jsonl")
    plan = plan_redis_action(session, redis, "bgsave")
    assert plan.action.shown_command.endswith("BGSAVE") and plan.action.confirmations == ()
    before = redis.info()["rdb_last_save_time"]
    lines: list[str] = []

    def tick(line: str) -> None:
        lines.append(line)

    # The demo's save takes 1.5 s of its clock: advance it while perform polls.
    real_info = redis.info

    def info_advancing():
        t[0] += 0.5
        return real_info()

    redis.info = info_advancing  # type: ignore[method-assign]
    result = perform_redis(session, plan, redis, audit, tick, poll=0.0)
    assert result.outcome is Outcome.SIMULATED, result.message
    assert redis.info()["rdb_last_save_time"] > before
    (entry,) = _entries(audit)
    assert entry["action"] == "redis-bgsave" and entry["outcome"] == "simulated"
    assert entry["scope"] == "redis"


def test_read_only_refuses_and_audits(tmp_path: Path) -> None:
    redis = DemoRedis()
    session = _session(read_only=True)
    audit = AuditLog(tmp_path / "audit.jsonl")
    plan = plan_redis_action(session, redis, "slowlog-reset")
    result = perform_redis(session, plan, redis, audit)
    assert result.outcome is Outcome.REFUSED and "read-only" in result.message
    assert len(redis.slowlog()) == 5  # nothing ran
    assert _entries(audit)[0]["outcome"] == "refused"


def test_no_audit_log_means_nothing_runs(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        blocked = tmp_path / "file"
        blocked.write_text("x")
        audit = AuditLog(blocked / "audit.jsonl")  # a file where a directory must be
    else:  # pragma: no cover
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        audit = AuditLog(ro / "sub" / "audit.jsonl")
    redis = DemoRedis()
    session = _session()
    plan = plan_redis_action(session, redis, "slowlog-reset")
    result = perform_redis(session, plan, redis, audit)
    assert result.outcome is Outcome.REFUSED and "audit log cannot be written" in result.message
    assert len(redis.slowlog()) == 5


def test_delete_key_is_typed_unlinked_and_rechecked(tmp_path: Path) -> None:
    redis = DemoRedis()
    session = _session()
    audit = AuditLog(tmp_path / "audit.jsonl")
    key = BigKey("queue:email:dead", b"queue:email:dead", "list", 11_000_000, 184_220)
    plan = plan_redis_action(session, redis, "delete-key", key=key)
    assert plan.action.destructive
    assert plan.action.confirmations == (("key name", "queue:email:dead"),)
    assert plan.args == ("UNLINK", b"queue:email:dead")
    assert "UNLINK" in plan.action.shown_command
    first = perform_redis(session, plan, redis, audit)
    assert first.outcome is Outcome.SIMULATED
    again = perform_redis(session, plan, redis, audit)  # the key is gone now
    assert again.outcome is Outcome.REFUSED and "no longer exists" in again.message
    changed = dataclasses.replace(key, raw=b"leaderboard:weekly", key="leaderboard:weekly")
    drift = perform_redis(
        session, plan_redis_action(session, redis, "delete-key", key=changed), redis, audit
    )
    assert drift.outcome is Outcome.REFUSED and "now a zset" in drift.message
    assert [e["outcome"] for e in _entries(audit)] == ["simulated", "refused", "refused"]


def test_long_or_binary_keys_are_confirmed_by_a_word_and_shown_escaped() -> None:
    raw = b"\x1b]0;x\x07" + b"k" * 100
    key = BigKey("\\x1b]0;x\\a" + "k" * 100, raw, "string", 10, 100)
    plan = plan_redis_action(_session(), DemoRedis(), "delete-key", key=key)
    assert plan.action.confirmations == (("word", "delete"),)
    assert "\x1b" not in plan.action.shown_command and "\x1b" not in plan.action.summary


def test_production_adds_the_env_name(tmp_path: Path) -> None:
    session = dataclasses.replace(_session(env="prod"), production=True)
    plan = plan_redis_action(session, DemoRedis(), "bgsave")
    assert plan.action.confirmations == (("environment name", "prod"),)


def test_maxmemory_below_use_is_destructive_and_policy_is_validated(tmp_path: Path) -> None:
    redis = DemoRedis()
    session = _session()
    used = redis.info()["used_memory"]
    low = plan_redis_action(session, redis, "maxmemory", value="100mb", used_memory=used)
    assert low.action.destructive and "FAIL with OOM" in low.action.consequence
    assert low.action.confirmations == (("new maxmemory", "100mb"),)
    ok = plan_redis_action(session, redis, "maxmemory", value="1gb", used_memory=used)
    assert not ok.action.destructive and ok.args == ("CONFIG", "SET", "maxmemory", str(1024**3))
    audit = AuditLog(tmp_path / "audit.jsonl")
    assert perform_redis(session, ok, redis, audit).ok
    assert redis.info()["maxmemory"] == 1024**3
    with pytest.raises(RedisActionError):
        plan_redis_action(session, redis, "maxmemory-policy", value="delete-everything")
    policy = plan_redis_action(session, redis, "maxmemory-policy", value="allkeys-lru")
    assert perform_redis(session, policy, redis, audit).ok
    assert redis.info()["maxmemory_policy"] == "allkeys-lru"
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    outcomes = [json.loads(x) for x in lines if json.loads(x)["outcome"] != "started"]
    assert [e["action"] for e in outcomes] == ["redis-maxmemory", "redis-maxmemory-policy"]


def test_bgsave_refused_while_one_runs(tmp_path: Path) -> None:
    redis = DemoRedis(clock=lambda: 5.0)
    redis.execute("BGSAVE")  # its clock never advances: stays in progress
    session = _session()
    plan = plan_redis_action(session, redis, "bgsave")
    result = perform_redis(session, plan, redis, AuditLog(tmp_path / "a.jsonl"))
    assert result.outcome is Outcome.REFUSED and "already running" in result.message
