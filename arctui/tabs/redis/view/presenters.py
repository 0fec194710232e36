"""Pure formatting of Redis snapshots: shared by the tab and `arctui redis`. No Textual.

Every string taken from Redis is already escaped in the models (`escape_bytes`); the
MONITOR lines, which Redis itself quotes, go through `one_line` again here.
"""

from __future__ import annotations

import re

from arctui.tabs.redis.models import (
    BigKey,
    BigKeysResult,
    MonitorLine,
    RedisSnapshot,
    SlowlogEntry,
)
from arctui.text import one_line
from arctui.units import duration, micros, size


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
