"""A simulated Redis for `--demo`, screenshots and snapshots: same interface as RedisSource.

The story matches the demo platform's `redis` service (redis:7 with `--appendonly yes
--maxmemory 512mb --maxmemory-policy noeviction`): a session store, a user cache, job
queues, a leaderboard and an event stream; one runaway list (`queue:email:dead`) and one
oversized cached blob that the big-key scan should surface; a few slow commands in the
slowlog (a `KEYS *` someone ran, a big `HGETALL`); and one key holding terminal escapes
and markup, shown inert. Numbers are smooth functions of the clock plus a fixed seed, so a
frozen clock gives the same screen every time. No Textual, no redis-py.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from arctui.sources.base import SourceError

_K, _M = 1024, 1024 * 1024
MAXMEMORY = 512 * _M
STARTED_AGO = 9 * 86400 + 4 * 3600  # uptime at the demo epoch


@dataclass
class _Key:
    type: str
    elements: int
    memory: int


def _keyspace(seed: int) -> dict[bytes, _Key]:
    rng = random.Random(seed)
    keys: dict[bytes, _Key] = {}
    for _ in range(2400):
        n = rng.randint(180, 900)
        keys[f"session:{rng.getrandbits(64):016x}".encode()] = _Key("string", n, n + 72)
    for i in range(1500):
        fields = rng.randint(6, 40)
        keys[f"cache:user:{10_000 + i}".encode()] = _Key("hash", fields, 120 + fields * 58)
    for _ in range(600):
        keys[f"rate:api:{rng.getrandbits(32):08x}".encode()] = _Key("string", 2, 64)
    for name, n in (("email", 42), ("sms", 7), ("webhook", 310), ("email:dead", 184_220)):
        keys[f"queue:{name}".encode()] = _Key("list", n, 180 + n * 61)
    keys[b"leaderboard:weekly"] = _Key("zset", 52_310, 5_460_000)
    keys[b"events:orders"] = _Key("stream", 98_000, 11_800_000)
    keys[b"feature:flags"] = _Key("set", 64, 3_900)
    keys[b"cache:report:2026-11"] = _Key("string", 7_340_032, 7_340_120)
    keys[b"lock:billing-run"] = _Key("string", 36, 104)
    keys["import:\x1b]0;pwned\x07[@click=app.quit]:caf\u00e9".encode()] = _Key("string", 12, 80)
    return keys


_SLOWLOG: tuple[tuple[int, int, tuple[bytes, ...], bytes, bytes], ...] = (
    # (seconds before now, µs, args, client, client name)
    (95, 48_210, (b"KEYS", b"session:*"), b"127.0.0.1:52114", b""),
    (1_310, 31_877, (b"HGETALL", b"cache:user:10042"), b"172.20.0.14:40218", b"raymond"),
    (
        3_940,
        22_406,
        (b"LRANGE", b"queue:email:dead", b"0", b"-1"),
        b"172.20.0.14:40230",
        b"raymond",
    ),
    (
        7_200,
        15_002,
        (b"ZRANGE", b"leaderboard:weekly", b"0", b"-1", b"WITHSCORES"),
        b"172.20.0.9:33012",
        b"api",
    ),
    (
        11_400,
        12_880,
        (b"SET", b"cache:report:2026-11", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200),
        b"172.20.0.14:40218",
        b"raymond",
    ),
)


class DemoRedis:
    """RedisLike over a simulated server (thread-safe enough for one poller + one scan)."""

    def __init__(self, seed: int = 11, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.seed = seed
        self._keys = _keyspace(seed)
        self._order = sorted(self._keys)
        random.Random(seed).shuffle(self._order)
        self._lock = threading.Lock()
        self._epoch = clock()
        self.maxmemory = MAXMEMORY
        self.policy = "noeviction"
        self._last_save = int(self._epoch) - 1_740
        self._bgsave_until: float | None = None
        self._slowlog_reset_at: float | None = None

    @property
    def label(self) -> str:
        """Where the simulated server is."""
        return "arc-sonic-cache:6379/0 (demo)"

    # Reads ----------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """A believable INFO, moving smoothly with the clock."""
        now = self.clock()
        t = now - self._epoch
        used = int(182 * _M + 6 * _M * math.sin(t / 90))
        ops = round(1_840 + 420 * math.sin(t / 37) + 90 * math.sin(t / 7), 0)
        up = int(STARTED_AGO + t)
        bgsave = self._bgsave_until is not None and now < self._bgsave_until
        if self._bgsave_until is not None and not bgsave:
            self._last_save, self._bgsave_until = int(self._bgsave_until), None
        info: dict[str, Any] = {
            "redis_version": "7.2.4",
            "redis_mode": "standalone",
            "role": "master",
            "uptime_in_seconds": up,
            "used_memory": used,
            "used_memory_rss": int(used * 1.18),
            "used_memory_peak": 231 * _M,
            "maxmemory": self.maxmemory,
            "maxmemory_policy": self.policy,
            "mem_fragmentation_ratio": 1.18,
            "instantaneous_ops_per_sec": ops,
            "keyspace_hits": 48_211_930 + int(t * 1_500),
            "keyspace_misses": 3_902_114 + int(t * 110),
            "connected_clients": 37,
            "blocked_clients": 4,
            "maxclients": 10_000,
            "rejected_connections": 0,
            "evicted_keys": 0,
            "expired_keys": 1_204_388 + int(t * 3),
            "connected_slaves": 0,
            "loading": 0,
            "rdb_changes_since_last_save": 0 if bgsave else 18_320 + int(t * 40),
            "rdb_bgsave_in_progress": int(bgsave),
            "rdb_last_save_time": self._last_save,
            "rdb_last_bgsave_status": "ok",
            "rdb_last_bgsave_time_sec": 2,
            "aof_enabled": 1,
            "aof_rewrite_in_progress": 0,
            "aof_rewrite_scheduled": 0,
            "aof_last_bgrewrite_status": "ok",
            "aof_last_write_status": "ok",
            "aof_last_rewrite_time_sec": 3,
            "db0": {"keys": len(self._keys), "expires": 3_000, "avg_ttl": 1_742_000},
        }
        return info

    def config_get(self, pattern: str) -> dict[str, str]:
        """The few settings the reader asks for."""
        values = {
            "save": "3600 1 300 100 60 10000",
            "appendfsync": "everysec",
            "slowlog-log-slower-than": "10000",
            "maxmemory": str(self.maxmemory),
            "maxmemory-policy": self.policy,
        }
        return {pattern: values[pattern]} if pattern in values else {}

    def slowlog(self, count: int = 128) -> list[Any]:
        """SLOWLOG GET in Redis' reply shape."""
        now = int(self.clock())
        out: list[Any] = []
        for i, (ago, micros, args, client, name) in enumerate(_SLOWLOG):
            at = now - ago
            if self._slowlog_reset_at is not None and at < self._slowlog_reset_at:
                continue
            out.append([len(_SLOWLOG) - i, at, micros, list(args), client, name])
        return out[:count]

    def dbsize(self) -> int:
        """Keys in db 0."""
        return len(self._keys)

    def scan(self, cursor: int, match: str | None, count: int) -> tuple[int, list[bytes]]:
        """SCAN over a fixed order; MATCH supports glob patterns."""
        import fnmatch

        with self._lock:
            chunk = self._order[cursor : cursor + count]
            nxt = cursor + count if cursor + count < len(self._order) else 0
        if match:
            chunk = [k for k in chunk if fnmatch.fnmatchcase(k.decode("latin-1"), match)]
        return nxt, [k for k in chunk if k in self._keys]

    def pipeline(
        self,
        commands: Sequence[Sequence[Any]],
        what: str,
        while_waiting: Callable[[], None] | None = None,
    ) -> list[Any]:
        """SCAN, TYPE, MEMORY USAGE and the length commands."""
        if while_waiting is not None:
            while_waiting()
        out: list[Any] = []
        for cmd in commands:
            name = str(cmd[0]).upper()
            if name == "SCAN":
                match = str(cmd[3]) if len(cmd) > 4 and str(cmd[2]).upper() == "MATCH" else None
                cursor, keys = self.scan(int(cmd[1]), match, int(cmd[-1]))
                out.append([str(cursor).encode(), keys])
                continue
            key = self._keys.get(cmd[-1])
            if name == "TYPE":
                out.append(key.type.encode() if key else b"none")
            elif name == "MEMORY":
                out.append(key.memory if key else None)
            else:
                out.append(key.elements if key else 0)
        return out

    def execute(self, *args: Any) -> Any:
        """The commands the actions send."""
        words = [a.upper() if isinstance(a, str) else a for a in args]
        if words[0] == "BGSAVE":
            if self._bgsave_until is not None and self.clock() < self._bgsave_until:
                raise SourceError("Redis: Background save already in progress")
            self._bgsave_until = self.clock() + 1.5
            return b"Background saving started"
        if words[:2] == ["CONFIG", "SET"]:
            if str(args[2]).lower() == "maxmemory":
                self.maxmemory = _bytes(str(args[3]))
            else:
                self.policy = str(args[3])
            return b"OK"
        if words[0] in ("UNLINK", "DEL"):
            with self._lock:
                return int(self._keys.pop(args[1], None) is not None)
        if words[:2] == ["SLOWLOG", "RESET"]:
            self._slowlog_reset_at = self.clock() + 1
            return b"OK"
        if words[0] == "EXISTS":
            return int(args[1] in self._keys)
        if words[0] == "TYPE":
            key = self._keys.get(args[1])
            return key.type.encode() if key else b"none"
        raise SourceError(f"demo Redis does not simulate {words[0]!r}")

    def monitor(self, on_line: Callable[[bytes], None], stop: threading.Event, limit: float) -> str:
        """A plausible MONITOR stream, ~20 commands a second."""
        rng = random.Random(self.seed)
        started = time.monotonic()
        samples = (
            b'"GET" "session:9f2c41d07a3be611"',
            b'"HGETALL" "cache:user:10042"',
            b'"INCR" "rate:api:0a1b2c3d"',
            b'"EXPIRE" "rate:api:0a1b2c3d" "60"',
            b'"LPUSH" "queue:email" "{\\"to\\":\\"ops@example.org\\"}"',
            b'"BRPOP" "queue:webhook" "5"',
            b'"ZINCRBY" "leaderboard:weekly" "3" "player:881"',
            b'"XADD" "events:orders" "*" "id" "778120"',
        )
        while not stop.wait(0.05):
            if time.monotonic() - started >= limit:
                return f"time limit of {limit:g} s reached"
            client = f"172.20.0.{rng.choice((9, 14, 21))}:{rng.randint(33000, 60000)}"
            line = f"{time.time():.6f} [0 {client}] ".encode() + rng.choice(samples)
            on_line(line)
        return "stopped"

    def close(self) -> None:
        """Nothing to release."""


def _bytes(value: str) -> int:
    from arctui.tabs.redis.actions import parse_memory

    return parse_memory(value)
