"""Builds the Redis tab's snapshots from a Redis source (real or demo). No Textual.

`RedisReader.read()` is what the poller calls on a worker thread and what
`arctui redis` prints: INFO (one round trip) for the overview and persistence,
SLOWLOG GET, and CONFIG GET for the save schedule and slowlog threshold. The parts
beyond INFO are optional: an ACL that denies SLOWLOG or a CONFIG renamed away leaves
a note in `partial` while everything else is shown.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from arctui.sources.base import SourceError
from arctui.sources.redis_client import SLOWLOG_COUNT, RedisLike
from arctui.tabs.redis.models import (
    DbKeyspace,
    Persistence,
    RedisOverview,
    RedisSnapshot,
    SlowlogEntry,
    escape_bytes,
)
from arctui.units import size

if TYPE_CHECKING:
    from arctui.models import ServiceView
    from arctui.session import Session

HISTORY = 180  # points kept for the charts (6 min at 2 s)
ARG_LIMIT = 64  # characters of one slowlog argument shown (escaped)
ARGS_SHOWN = 12
_MB = 1024 * 1024


def _i(info: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = info.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _f(info: Mapping[str, Any], key: str) -> float | None:
    value = info.get(key)
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _s(info: Mapping[str, Any], key: str, default: str = "") -> str:
    value = info.get(key, default)
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def keyspace_of(info: Mapping[str, Any]) -> tuple[DbKeyspace, ...]:
    """The `dbN` lines of INFO keyspace."""
    out = []
    for key, value in info.items():
        if key.startswith("db") and key[2:].isdigit() and isinstance(value, Mapping):
            out.append(
                DbKeyspace(
                    int(key[2:]), _i(value, "keys"), _i(value, "expires"), _i(value, "avg_ttl")
                )
            )
    return tuple(sorted(out, key=lambda d: d.db))


def overview_from_info(info: Mapping[str, Any]) -> RedisOverview:
    """The overview figures from a parsed INFO."""
    return RedisOverview(
        version=_s(info, "redis_version", "?"),
        mode=_s(info, "redis_mode", "standalone"),
        role=_s(info, "role", "?"),
        uptime_s=_i(info, "uptime_in_seconds"),
        used_memory=_i(info, "used_memory"),
        used_memory_rss=_i(info, "used_memory_rss"),
        used_memory_peak=_i(info, "used_memory_peak"),
        maxmemory=_i(info, "maxmemory"),
        maxmemory_policy=_s(info, "maxmemory_policy", "?"),
        fragmentation_ratio=_f(info, "mem_fragmentation_ratio"),
        ops_per_sec=float(_f(info, "instantaneous_ops_per_sec") or 0.0),
        keyspace_hits=_i(info, "keyspace_hits"),
        keyspace_misses=_i(info, "keyspace_misses"),
        connected_clients=_i(info, "connected_clients"),
        blocked_clients=_i(info, "blocked_clients"),
        maxclients=_i(info, "maxclients") if "maxclients" in info else None,
        rejected_connections=_i(info, "rejected_connections"),
        evicted_keys=_i(info, "evicted_keys"),
        expired_keys=_i(info, "expired_keys"),
        keyspace=keyspace_of(info),
        replicas=_i(info, "connected_slaves"),
        master_link_status=_s(info, "master_link_status") if "master_link_status" in info else None,
    )


def persistence_from_info(
    info: Mapping[str, Any], save: str | None = None, appendfsync: str | None = None
) -> Persistence:
    """The persistence state from a parsed INFO (and CONFIG GET save/appendfsync)."""
    return Persistence(
        loading=bool(_i(info, "loading")),
        rdb_changes_since_last_save=_i(info, "rdb_changes_since_last_save"),
        rdb_bgsave_in_progress=bool(_i(info, "rdb_bgsave_in_progress")),
        rdb_last_save_time=_i(info, "rdb_last_save_time"),
        rdb_last_bgsave_status=_s(info, "rdb_last_bgsave_status", "?"),
        rdb_last_bgsave_time_s=_i(info, "rdb_last_bgsave_time_sec", -1),
        aof_enabled=bool(_i(info, "aof_enabled")),
        aof_rewrite_in_progress=bool(_i(info, "aof_rewrite_in_progress")),
        aof_rewrite_scheduled=bool(_i(info, "aof_rewrite_scheduled")),
        aof_last_bgrewrite_status=_s(info, "aof_last_bgrewrite_status", "?"),
        aof_last_write_status=_s(info, "aof_last_write_status", "?"),
        aof_last_rewrite_time_s=_i(info, "aof_last_rewrite_time_sec", -1),
        save_schedule=save,
        appendfsync=appendfsync,
    )


def short_args(args: Sequence[Any]) -> tuple[str, ...]:
    """Command arguments escaped, each capped, at most ARGS_SHOWN of them."""
    shown = [escape_bytes(_b(a), ARG_LIMIT) for a in args[:ARGS_SHOWN]]
    if len(args) > ARGS_SHOWN:
        shown.append(f"…(+{len(args) - ARGS_SHOWN} args)")
    return tuple(shown)


def _b(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "replace")


def slowlog_from_raw(raw: Sequence[Any]) -> tuple[SlowlogEntry, ...]:
    """SLOWLOG GET replies (id, time, µs, args[, client, name]) as entries, newest first."""
    out = []
    for item in raw:
        if not isinstance(item, list | tuple) or len(item) < 4:
            continue
        args = item[3] if isinstance(item[3], list | tuple) else [item[3]]
        out.append(
            SlowlogEntry(
                id=int(item[0]),
                started_at=int(item[1]),
                duration_us=int(item[2]),
                args=short_args(args),
                client=escape_bytes(_b(item[4]), 64) if len(item) > 4 else "",
                client_name=escape_bytes(_b(item[5]), 64) if len(item) > 5 else "",
            )
        )
    return tuple(out)


def findings(ov: RedisOverview, p: Persistence, now: float) -> tuple[str, ...]:
    """What an on-call operator should notice, in plain words (most serious first)."""
    out: list[str] = []
    if p.loading:
        out.append("Redis is loading its data set: commands are refused until it finishes")
    if p.rdb_last_bgsave_status not in ("ok", "?"):
        out.append("the last RDB save FAILED: check disk space and the container's log")
    if p.aof_enabled and p.aof_last_write_status not in ("ok", "?"):
        out.append("AOF writes are FAILING: Redis refuses writes until the disk recovers")
    if p.aof_enabled and p.aof_last_bgrewrite_status not in ("ok", "?"):
        out.append("the last AOF rewrite failed")
    if ov.master_link_status not in (None, "up"):
        out.append(f"replica: link to the master is {ov.master_link_status}")
    fraction = ov.memory_fraction
    if fraction is not None and fraction >= 0.9:
        what = (
            "writes will fail with OOM errors (policy noeviction)"
            if ov.maxmemory_policy == "noeviction"
            else f"keys are being evicted ({ov.maxmemory_policy})"
        )
        out.append(f"memory at {fraction:.0%} of maxmemory {size(ov.maxmemory)}: {what}")
    if ov.maxmemory == 0:
        out.append("no maxmemory set: Redis grows until the container's memory limit kills it")
    if p.save_schedule == "" and not p.aof_enabled:
        out.append("persistence is OFF (no RDB schedule, no AOF): a restart loses every key")
    elif not p.aof_enabled and p.rdb_changes_since_last_save and p.rdb_last_save_time:
        age = now - p.rdb_last_save_time
        if age > 3600:
            out.append(
                f"{p.rdb_changes_since_last_save:,} changes not saved for {age / 3600:.1f} h"
                " (RDB only)"
            )
    ratio = ov.fragmentation_ratio
    if ratio is not None and ratio > 1.5 and ov.used_memory_rss - ov.used_memory > 100 * _MB:
        out.append(
            f"memory fragmentation {ratio:.2f}: {size(ov.used_memory_rss - ov.used_memory)}"
            " of RSS is not data (consider activedefrag)"
        )
    if ratio is not None and ratio < 0.9 and ov.used_memory > 64 * _MB:
        out.append(f"fragmentation ratio {ratio:.2f} < 1: part of Redis may be swapped out")
    if ov.rejected_connections:
        out.append(f"{ov.rejected_connections:,} connections rejected (maxclients reached)")
    if ov.evicted_keys:
        out.append(f"{ov.evicted_keys:,} keys evicted since start (maxmemory reached)")
    return tuple(out)


class RedisReader:
    """Reads snapshots from one Redis source; keeps the chart history between reads."""

    def __init__(
        self,
        source: RedisLike,
        origin: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.origin = origin
        self.clock = clock
        self._history: deque[tuple[float, int, float]] = deque(maxlen=HISTORY)

    def read(self) -> RedisSnapshot:
        """A fresh snapshot. Raises SourceError when Redis cannot be read at all."""
        info = self.source.info()
        now = self.clock()
        partial: list[tuple[str, str]] = []
        save = appendfsync = None
        threshold = None
        try:
            config = self._config()
            save = config.get("save")
            appendfsync = config.get("appendfsync")
            if config.get("slowlog-log-slower-than", "").lstrip("-").isdigit():
                threshold = int(config["slowlog-log-slower-than"])
        except SourceError as exc:
            partial.append(("config", exc.reason))
        try:
            slowlog = slowlog_from_raw(self.source.slowlog(SLOWLOG_COUNT))
        except SourceError as exc:
            slowlog = ()
            partial.append(("slowlog", exc.reason))
        overview = overview_from_info(info)
        persistence = persistence_from_info(info, save, appendfsync)
        self._history.append((now, overview.used_memory, overview.ops_per_sec))
        return RedisSnapshot(
            target=self.source.label,
            origin=self.origin,
            taken_at=now,
            overview=overview,
            persistence=persistence,
            slowlog=slowlog,
            slowlog_threshold_us=threshold,
            partial=tuple(partial),
            findings=findings(overview, persistence, now),
            history=tuple(self._history),
        )

    def adopt_history(self, other: RedisReader) -> None:
        """Carry the chart history over from a reader this one replaces."""
        self._history.extend(other._history)

    def _config(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in ("save", "appendfsync", "slowlog-log-slower-than"):
            out.update(self.source.config_get(name))
        return out

    def close(self) -> None:
        """Release the source's connections."""
        self.source.close()


def source_for(
    session: Session, url: str | None = None, url_origin: str = "--url"
) -> tuple[RedisLike, str]:
    """The session's Redis (the demo's simulation, or the discovered server) and its origin.

    Raises SourceError when no server can be located (e.g. the engine is unreachable
    and nothing in the env names one).
    """
    if session.demo:
        from arctui.tabs.redis.demo import DemoRedis

        demo = DemoRedis(clock=session.clock)
        return demo, "demo platform"
    from arctui.sources.redisdb import RedisSource, discover_target

    if not url:
        url, url_origin = session.settings.redis_url, "the settings"
    services: tuple[ServiceView, ...] = ()
    if not url:  # an explicit URL needs no engine (and `docker compose config` takes ~1 s)
        with contextlib.suppress(SourceError):  # the env may still say where Redis is
            services = session.reader.latest().services
    target = discover_target(session.env_layers, session.environ, services, url, url_origin)
    origin = target.origin
    if target.password_origin:
        origin += f"; password from {target.password_origin}"
    return RedisSource(target), origin


def reader_for(session: Session) -> RedisReader:
    """A reader over the session's Redis (raises SourceError if it cannot be located)."""
    source, origin = source_for(session)
    return RedisReader(source, origin, clock=session.clock)
