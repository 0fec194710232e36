"""Frozen snapshots of what the Redis tab shows (no Textual, no redis-py).

Keys, arguments and client names are outside data: they are stored here already
escaped (`escape_bytes`) so that every byte is visible and none is interpreted, and the
raw key bytes are kept apart for the one action that needs them (delete).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAMED = {
    0x5C: "\\\\",
    0x22: '\\"',
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
    0x07: "\\a",
    0x08: "\\b",
}


# Printable ASCII but the quote and the backslash, no space at either end: shown as is.
# Most keys and arguments are; the byte loop below cost the recorder ~1 ms a slowlog entry.
_AS_IS = re.compile(rb"[!#-\[\]-~](?:[ !#-\[\]-~]*[!#-\[\]-~])?").fullmatch


def escape_bytes(raw: bytes | str, limit: int | None = None) -> str:
    """Bytes as printable ASCII, as redis-cli quotes them: `\\xNN` for anything else.

    Backslash and quote are escaped too, so the text maps back to exactly one byte
    string; a leading or trailing space becomes `\\x20` so it cannot hide. `limit` caps
    the length of the text (not of the input); the rest is counted as `…(+N bytes)`.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="surrogateescape")
    if (limit is None or len(raw) <= limit) and _AS_IS(raw):
        return raw.decode("ascii")
    out: list[str] = []
    used = 0
    last = len(raw) - 1
    for i, b in enumerate(raw):
        if b in _NAMED:
            piece = _NAMED[b]
        elif b == 0x20 and (i == 0 or i == last):
            piece = "\\x20"
        elif 0x20 <= b < 0x7F:
            piece = chr(b)
        else:
            piece = f"\\x{b:02x}"
        if limit is not None and used + len(piece) > limit:
            out.append(f"…(+{len(raw) - i} bytes)")
            break
        out.append(piece)
        used += len(piece)
    return "".join(out)


@dataclass(frozen=True)
class DbKeyspace:
    """One logical database's line of INFO keyspace."""

    db: int
    keys: int
    expires: int
    avg_ttl_ms: int


@dataclass(frozen=True)
class RedisOverview:
    """The INFO figures an operator looks at first."""

    version: str
    mode: str
    role: str
    uptime_s: int
    used_memory: int
    used_memory_rss: int
    used_memory_peak: int
    maxmemory: int  # 0 = no limit
    maxmemory_policy: str
    fragmentation_ratio: float | None
    ops_per_sec: float
    keyspace_hits: int
    keyspace_misses: int
    connected_clients: int
    blocked_clients: int
    maxclients: int | None
    rejected_connections: int
    evicted_keys: int
    expired_keys: int
    keyspace: tuple[DbKeyspace, ...] = ()
    replicas: int = 0
    master_link_status: str | None = None

    @property
    def hit_rate(self) -> float | None:
        """keyspace_hits / (hits + misses), None before any lookup."""
        total = self.keyspace_hits + self.keyspace_misses
        return self.keyspace_hits / total if total else None

    @property
    def memory_fraction(self) -> float | None:
        """used / max memory, None without a limit."""
        return self.used_memory / self.maxmemory if self.maxmemory else None

    @property
    def total_keys(self) -> int:
        """Keys over every database."""
        return sum(d.keys for d in self.keyspace)


@dataclass(frozen=True)
class Persistence:
    """RDB and AOF state from INFO persistence (plus the save schedule when CONFIG works)."""

    loading: bool
    rdb_changes_since_last_save: int
    rdb_bgsave_in_progress: bool
    rdb_last_save_time: int  # unix seconds
    rdb_last_bgsave_status: str
    rdb_last_bgsave_time_s: int  # -1 before the first one
    aof_enabled: bool
    aof_rewrite_in_progress: bool
    aof_rewrite_scheduled: bool
    aof_last_bgrewrite_status: str
    aof_last_write_status: str
    aof_last_rewrite_time_s: int
    save_schedule: str | None = None  # CONFIG GET save ('' = RDB snapshots off)
    appendfsync: str | None = None


@dataclass(frozen=True)
class SlowlogEntry:
    """One SLOWLOG entry; args escaped and shortened."""

    id: int
    started_at: int  # unix seconds
    duration_us: int
    args: tuple[str, ...]
    client: str = ""  # ip:port
    client_name: str = ""

    @property
    def command(self) -> str:
        """The command line as shown (already escaped)."""
        return " ".join(self.args)


@dataclass(frozen=True)
class RedisSnapshot:
    """Everything the Redis tab's overview shows, read at one moment."""

    target: str  # 127.0.0.1:6379/0
    origin: str  # where the target came from
    taken_at: float
    overview: RedisOverview
    persistence: Persistence
    slowlog: tuple[SlowlogEntry, ...] = ()
    slowlog_threshold_us: int | None = None
    # Parts that could not be read (ACL, renamed CONFIG ...): part -> reason.
    partial: tuple[tuple[str, str], ...] = ()
    findings: tuple[str, ...] = ()
    # (unix time, used_memory, ops/s), oldest first: for the charts.
    history: tuple[tuple[float, int, float], ...] = ()


@dataclass(frozen=True)
class BigKey:
    """One key found by the big-key scan."""

    key: str  # escaped for display
    raw: bytes = field(repr=False)
    type: str
    memory: int | None  # MEMORY USAGE (bytes; aggregates are sampled estimates)
    elements: int | None  # string length in bytes, or items/fields/members/entries

    @property
    def unit(self) -> str:
        """What `elements` counts."""
        return _UNITS.get(self.type, "")


_UNITS = {
    "string": "bytes",
    "list": "items",
    "hash": "fields",
    "set": "members",
    "zset": "members",
    "stream": "entries",
}


@dataclass(frozen=True)
class TypeSummary:
    """Keys of one type: how many, how much memory, and the biggest."""

    type: str
    keys: int
    memory: int
    elements: int
    biggest: BigKey | None


@dataclass(frozen=True)
class PrefixSummary:
    """Keys sharing a prefix (`session:*`)."""

    prefix: str  # escaped, with the trailing '*'
    keys: int
    memory: int


@dataclass(frozen=True)
class ScanProgress:
    """How far a big-key scan is."""

    scanned: int
    total: int  # DBSIZE when the scan started (keys may come and go meanwhile)
    elapsed: float
    done: bool = False

    @property
    def fraction(self) -> float:
        """0..1, by keys seen against DBSIZE (capped: the keyspace can grow)."""
        if self.done:
            return 1.0
        return min(0.99, self.scanned / self.total) if self.total else 0.0


@dataclass(frozen=True)
class BigKeysResult:
    """The outcome of one big-key scan."""

    target: str
    pattern: str | None
    scanned: int
    dbsize: int
    elapsed: float
    complete: bool  # the cursor came back to 0
    stopped: bool  # the operator stopped it
    keys: tuple[BigKey, ...]  # the top keys by memory and by elements (union)
    types: tuple[TypeSummary, ...]
    prefixes: tuple[PrefixSummary, ...]
    other_prefixes: int = 0  # keys whose prefix did not fit the prefix table
    memory_error: str | None = None  # MEMORY USAGE unavailable: why
    error: str | None = None  # the scan ended on this error

    def by_memory(self, top: int | None = None) -> tuple[BigKey, ...]:
        """Keys, largest memory first."""
        ranked = sorted(self.keys, key=lambda k: (k.memory or 0, k.elements or 0), reverse=True)
        return tuple(ranked[:top] if top else ranked)

    def by_elements(self, top: int | None = None) -> tuple[BigKey, ...]:
        """Keys, most elements first."""
        ranked = sorted(self.keys, key=lambda k: (k.elements or 0, k.memory or 0), reverse=True)
        return tuple(ranked[:top] if top else ranked)


@dataclass(frozen=True)
class MonitorLine:
    """One line of MONITOR output, parsed."""

    at: float
    db: int
    client: str
    command: str  # as Redis quoted it (already escaped by the server), sanitized again
