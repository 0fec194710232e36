"""The Redis overview as plain lines: what `arctui redis` prints and the tab's overview
panel shows (pure, no Textual; the view's other presenters are in view/presenters.py).
"""

from __future__ import annotations

import time

from arctui.tabs.redis.models import RedisSnapshot
from arctui.text import one_line
from arctui.units import duration, size


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
