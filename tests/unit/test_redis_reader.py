"""Redis tab data layer: escaping, INFO parsing, findings, slowlog, the demo source."""

from __future__ import annotations

import ast
import re

import pytest

from arctui.sources.base import SourceError
from arctui.tabs.redis.demo import DemoRedis
from arctui.tabs.redis.models import escape_bytes
from arctui.tabs.redis.reader import (
    RedisReader,
    findings,
    overview_from_info,
    persistence_from_info,
    slowlog_from_raw,
)
from arctui.tabs.redis.view.presenters import parse_monitor


def _unescape(text: str) -> bytes:
    """redis-cli's quoting is Python's bytes-literal escaping for these sequences."""
    return ast.literal_eval('b"' + text.replace("\\a", "\\x07") + '"')


@pytest.mark.parametrize(
    "raw",
    [
        b"plain:key",
        b"\x1b]0;title\x07",
        b"\x1b]52;c;ZXZpbA==\x07",
        b"[@click=app.quit]x[/nope]",
        b'back\\slash "quoted"',
        "caf\u00e9 \u202e".encode(),
        b" lead and trail ",
        bytes(range(256)),
    ],
)
def test_escape_makes_every_byte_visible_and_reversible(raw: bytes) -> None:
    text = escape_bytes(raw)
    assert all(0x20 <= ord(c) < 0x7F for c in text)  # printable ASCII only: inert
    assert not text.startswith(" ") and not text.endswith(" ")
    assert _unescape(text) == raw


def test_escape_limit_counts_what_is_left() -> None:
    text = escape_bytes(b"\x00" * 100, 20)
    assert text == "\\x00" * 5 + "…(+95 bytes)"


INFO = {
    "redis_version": "7.0.15",
    "redis_mode": "standalone",
    "role": "master",
    "uptime_in_seconds": 3_700,
    "used_memory": 480 * 2**20,
    "used_memory_rss": 500 * 2**20,
    "used_memory_peak": 490 * 2**20,
    "maxmemory": 512 * 2**20,
    "maxmemory_policy": "noeviction",
    "mem_fragmentation_ratio": 1.04,
    "instantaneous_ops_per_sec": 812,
    "keyspace_hits": 90,
    "keyspace_misses": 10,
    "connected_clients": 5,
    "blocked_clients": 1,
    "maxclients": 10000,
    "rejected_connections": 0,
    "evicted_keys": 0,
    "expired_keys": 7,
    "loading": 0,
    "rdb_changes_since_last_save": 12,
    "rdb_bgsave_in_progress": 0,
    "rdb_last_save_time": 1_000,
    "rdb_last_bgsave_status": "err",
    "rdb_last_bgsave_time_sec": 1,
    "aof_enabled": 1,
    "aof_rewrite_in_progress": 0,
    "aof_rewrite_scheduled": 0,
    "aof_last_bgrewrite_status": "ok",
    "aof_last_write_status": "ok",
    "aof_last_rewrite_time_sec": -1,
    "db0": {"keys": 10, "expires": 2, "avg_ttl": 500},
    "db3": {"keys": 4, "expires": 0, "avg_ttl": 0},
}


def test_overview_and_persistence_from_info() -> None:
    ov = overview_from_info(INFO)
    assert ov.version == "7.0.15" and ov.role == "master" and ov.uptime_s == 3_700
    assert ov.hit_rate == pytest.approx(0.9)
    assert ov.memory_fraction == pytest.approx(480 / 512)
    assert [(d.db, d.keys, d.expires) for d in ov.keyspace] == [(0, 10, 2), (3, 4, 0)]
    assert ov.total_keys == 14
    p = persistence_from_info(INFO, save="", appendfsync="everysec")
    assert p.aof_enabled and not p.rdb_bgsave_in_progress and p.rdb_last_bgsave_status == "err"
    found = findings(ov, p, now=5_000)
    assert any("last RDB save FAILED" in f for f in found)
    assert any("writes will fail with OOM" in f for f in found)
    assert not any("persistence is OFF" in f for f in found)  # AOF is on


def test_findings_for_no_persistence_and_no_limit() -> None:
    info = {**INFO, "maxmemory": 0, "aof_enabled": 0, "rdb_last_bgsave_status": "ok"}
    found = findings(overview_from_info(info), persistence_from_info(info, save=""), 5_000)
    assert any("persistence is OFF" in f for f in found)
    assert any("no maxmemory" in f for f in found)


def test_hit_rate_is_none_before_any_lookup() -> None:
    assert overview_from_info({"keyspace_hits": 0, "keyspace_misses": 0}).hit_rate is None


def test_slowlog_arguments_are_escaped_and_shortened() -> None:
    args = [b"SET", b"\x1b[31mred", b"v" * 500, *[b"x"] * 20]
    raw = [[7, 1_000, 25_000, args, b"127.0.0.1:5000", b"wor\x1bker"]]
    (entry,) = slowlog_from_raw(raw)
    assert entry.id == 7 and entry.duration_us == 25_000
    assert entry.args[1] == "\\x1b[31mred"
    assert len(entry.args[2]) < 100 and "bytes)" in entry.args[2]
    assert entry.args[-1] == "…(+11 args)"
    assert entry.client_name == "wor\\x1bker"
    assert "\x1b" not in entry.command


class _NoConfig(DemoRedis):
    def config_get(self, pattern: str) -> dict[str, str]:
        raise SourceError("Redis at x: CONFIG is disabled or renamed (rename-command)")

    def slowlog(self, count: int = 128) -> list:
        raise SourceError("Redis at x: the ACL denies SLOWLOG GET")


def test_reader_shows_the_rest_when_config_and_slowlog_are_denied() -> None:
    snap = RedisReader(_NoConfig(clock=lambda: 10_000.0), clock=lambda: 10_000.0).read()
    assert dict(snap.partial).keys() == {"config", "slowlog"}
    assert snap.persistence.save_schedule is None and snap.slowlog == ()
    assert snap.overview.version  # INFO still shown


def test_reader_keeps_a_bounded_history() -> None:
    t = [0.0]
    reader = RedisReader(DemoRedis(clock=lambda: t[0]), clock=lambda: t[0])
    for i in range(300):
        t[0] = float(i)
        snap = reader.read()
    assert len(snap.history) == 180 and snap.history[-1][0] == 299.0


def test_demo_reader_is_deterministic_at_a_fixed_clock() -> None:
    a = RedisReader(DemoRedis(clock=lambda: 1e9), clock=lambda: 1e9).read()
    b = RedisReader(DemoRedis(clock=lambda: 1e9), clock=lambda: 1e9).read()
    assert a == b
    assert a.overview.maxmemory == 512 * 2**20 and a.persistence.aof_enabled
    assert len(a.slowlog) == 5


def test_monitor_lines_are_parsed_and_sanitized() -> None:
    line = parse_monitor(b'1700000000.123456 [2 127.0.0.1:5555] "SET" "k\\x1b" "v"\x1b]0;t\x07')
    assert line.db == 2 and line.client == "127.0.0.1:5555"
    assert line.at == pytest.approx(1700000000.123456)
    assert "\x1b" not in line.command and line.command.startswith('"SET"')
    odd = parse_monitor(b"garbage \x1b[2J")
    assert odd.db == -1 and not re.search(r"[\x00-\x1f]", odd.command)


def test_a_replacement_reader_keeps_the_chart_history() -> None:
    old = RedisReader(DemoRedis(clock=lambda: 1.0), clock=lambda: 1.0)
    old.read()
    new = RedisReader(DemoRedis(clock=lambda: 2.0), clock=lambda: 2.0)
    new.adopt_history(old)
    assert [h[0] for h in new.read().history] == [1.0, 2.0]
