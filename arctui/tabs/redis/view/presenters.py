"""Pure formatting of Redis snapshots: shared by the tab and `arctui redis`. No Textual.

Every string taken from Redis is already escaped in the models (`escape_bytes`); the
MONITOR lines, which Redis itself quotes, go through `one_line` again here.
"""

from __future__ import annotations

import re
import time

from arctui.tabs.redis.models import (
    BigKey,
    BigKeysResult,
    MonitorLine,
    RedisSnapshot,
    SlowlogEntry,
)
from arctui.text import one_line
from arctui.units import duration, micros, size


def percent(fraction: float | None) -> str:
    """`0.925` -> `92.5%`; None -> `-`."""
    return "-" if fraction is None else f"{fraction * 100:.1f}%"


def clock_time(unix: float) -> str:
    """Local `YYYY-mm-dd HH:MM:SS`."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(unix)) if unix else "never"


def memory_line(s: RedisSnapshot) -> str:
    """used / peak / max memory, policy and fragmentation."""
    o = s.overview
    limit = f"{size(o.maxmemory)} ({percent(o.memory_fraction)} used)" if o.maxmemory else "none"
    frag = f"{o.fragmentation_ratio:.2f}" if o.fragmentation_ratio is not None else "-"
    return (
        f"used {size(o.used_memory)} · peak {size(o.used_memory_peak)} · max {limit}"
        f" · policy {o.maxmemory_policy} · rss {size(o.used_memory_rss)} · frag {frag}"
    )


def server_line(s: RedisSnapshot) -> str:
    """Version, role, uptime, clients and throughput."""
    o = s.overview
    clients = f"{o.connected_clients:,}"
    if o.maxclients:
        clients += f"/{o.maxclients:,}"
    role = o.role + (f" ({o.replicas} replicas)" if o.replicas else "")
    if o.master_link_status:
        role += f" (link {o.master_link_status})"
    return (
        f"Redis {o.version} {o.mode} · {role} · up {duration(o.uptime_s)} · clients {clients}"
        f" ({o.blocked_clients} blocked) · {o.ops_per_sec:,.0f} ops/s · hit rate"
        f" {percent(o.hit_rate)}"
    )


def keys_line(s: RedisSnapshot) -> str:
    """Keyspace per database plus evicted/expired counters."""
    o = s.overview
    dbs = ", ".join(f"db{d.db} {d.keys:,} ({d.expires:,} TTL)" for d in o.keyspace) or "empty"
    return f"{dbs} · evicted {o.evicted_keys:,} · expired {o.expired_keys:,}"


def rdb_line(s: RedisSnapshot) -> str:
    """RDB state."""
    p = s.persistence
    when = "never"
    if p.rdb_last_save_time:
        saved = duration(s.taken_at - p.rdb_last_save_time)
        when = f"{clock_time(p.rdb_last_save_time)} ({saved} ago)"
    running = "BGSAVE RUNNING" if p.rdb_bgsave_in_progress else "idle"
    schedule = ""
    if p.save_schedule is not None:
        schedule = f" · schedule {p.save_schedule!r}" if p.save_schedule else " · schedule off"
    return (
        f"last save {when} {p.rdb_last_bgsave_status} · {p.rdb_changes_since_last_save:,}"
        f" changes since · {running}{schedule}"
    )


def aof_line(s: RedisSnapshot) -> str:
    """AOF state."""
    p = s.persistence
    if not p.aof_enabled:
        return "off"
    fsync = f" (appendfsync {p.appendfsync})" if p.appendfsync else ""
    rewrite = (
        "REWRITE RUNNING"
        if p.aof_rewrite_in_progress
        else "rewrite scheduled"
        if p.aof_rewrite_scheduled
        else f"rewrite idle (last {p.aof_last_bgrewrite_status})"
    )
    return f"on{fsync} · last write {p.aof_last_write_status} · {rewrite}"


def overview_lines(s: RedisSnapshot) -> list[str]:
    """The overview and persistence as plain lines (what `arctui redis` prints)."""
    lines = [
        f"Redis at {s.target}  ({one_line(s.origin, 200)})",
        server_line(s),
        f"memory  {memory_line(s)}",
        f"keys    {keys_line(s)}",
        f"RDB     {rdb_line(s)}",
        f"AOF     {aof_line(s)}",
    ]
    if s.persistence.loading:
        lines.append("LOADING the data set")
    for part, reason in s.partial:
        lines.append(f"note: {part} not shown: {one_line(reason, 300)}")
    lines.extend(f"! {f}" for f in s.findings)
    return lines


def slowlog_row(entry: SlowlogEntry, now: float) -> tuple[str, str, str, str]:
    """(duration, age, client, command) for the slowlog table."""
    client = entry.client + (f" {entry.client_name}" if entry.client_name else "")
    return (
        micros(entry.duration_us),
        duration(now - entry.started_at) + " ago",
        client,
        entry.command,
    )


def bigkey_row(key: BigKey) -> tuple[str, str, str, str]:
    """(memory, type, size, key) for the big-keys table."""
    count = f"{key.elements:,} {key.unit}" if key.elements is not None else "-"
    return (size(key.memory), key.type, count, key.key)


_MONITOR = re.compile(rb"^(?P<at>\d+\.\d+) \[(?P<db>\d+) (?P<client>[^\]]*)\] (?P<cmd>.*)$", re.S)


def parse_monitor(raw: bytes) -> MonitorLine:
    """`1700000000.123456 [0 127.0.0.1:5555] "SET" "k" "v"` as a MonitorLine."""
    m = _MONITOR.match(raw)
    if m is None:
        return MonitorLine(0.0, -1, "", one_line(raw, 2000))
    return MonitorLine(
        float(m.group("at")),
        int(m.group("db")),
        one_line(m.group("client"), 80),
        one_line(m.group("cmd"), 2000),
    )


MAX_PALETTE_KEYS = 5


def palette_entries(
    s: RedisSnapshot, scan: BigKeysResult | None
) -> list[tuple[str, str, BigKey | None, str]]:
    """(title, verb, key, help) palette entries named after what the tab sees now: the
    biggest keys of the last scan, and a memory limit or policy that needs a look."""
    out: list[tuple[str, str, BigKey | None, str]] = []
    o = s.overview
    if not o.maxmemory:
        out.append(
            (
                f"Set maxmemory (no limit now, {size(o.used_memory)} used)",
                "maxmemory",
                None,
                "CONFIG SET maxmemory: without a limit Redis grows until the host runs out",
            )
        )
    elif o.maxmemory_policy == "noeviction":
        out.append(
            (
                f"Change maxmemory-policy (noeviction: writes fail at {size(o.maxmemory)})",
                "maxmemory-policy",
                None,
                "CONFIG SET maxmemory-policy, e.g. allkeys-lru for a cache",
            )
        )
    for key in (scan.by_memory() if scan else ())[:MAX_PALETTE_KEYS]:
        memory, kind, count, name = bigkey_row(key)
        out.append(
            (
                f"Delete big key {one_line(name, 80)} ({memory}, {kind} {count})",
                "delete-key",
                key,
                "UNLINK from the last big-key scan",
            )
        )
    return out
