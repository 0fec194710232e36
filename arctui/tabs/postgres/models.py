"""Immutable values of the Postgres tab: overview, backends, tables, statements, locks.

Built by `reader.py` (or `demo.py`) on a worker thread; never mutated after construction.
Durations are seconds, sizes bytes, times unix seconds. Outside text (query text, role,
table and database names) is stored as read and sanitized where it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LONG_QUERY_S = 60.0  # an active query older than this is "long-running"
IDLE_IN_XACT_WARN_S = 30.0  # idle in transaction this long holds locks and blocks vacuum
LONG_XACT_S = 300.0  # a transaction open this long is listed under long transactions


@dataclass(frozen=True)
class DatabaseSize:
    """One database and its size (None: no CONNECT privilege)."""

    name: str
    size: int | None


@dataclass(frozen=True)
class Replica:
    """One standby streaming from this server (pg_stat_replication)."""

    name: str  # application_name
    client: str
    state: str
    sync_state: str
    replay_lag_s: float | None


@dataclass(frozen=True)
class Overview:
    """The server at a glance."""

    version: str  # "PostgreSQL 15.14 (Debian ...)" first words only
    version_num: int  # 150014
    uptime_s: float
    connections: int  # rows of pg_stat_activity (the guide's count), every backend type
    client_connections: int  # client backends only (what max_connections limits)
    max_connections: int
    reserved_connections: int  # superuser_reserved_connections
    states: tuple[tuple[str, int], ...]  # client backends by state
    cache_hit_ratio: float | None  # 0..1 over all databases since stats reset
    tps: float | None  # commits + rollbacks per second since the previous read
    databases: tuple[DatabaseSize, ...]
    in_recovery: bool
    replicas: tuple[Replica, ...] = ()
    ssl_enabled: bool = False  # the server's `ssl` setting
    ssl_in_use: bool = False  # this connection is encrypted
    database: str = ""  # the database arctui is connected to
    own_pid: int | None = None  # arctui's monitoring backend

    @property
    def connection_ratio(self) -> float:
        """Client connections over max_connections (0..1+)."""
        return self.client_connections / self.max_connections if self.max_connections else 0.0


@dataclass(frozen=True)
class ProcStats:
    """OS figures of one backend process, read from /proc on the Docker host."""

    cpu: float | None  # percent of one core since the previous read
    rss: int | None  # bytes
    read_bps: float | None
    write_bps: float | None
    host_pid: int | None = None  # the same process as the Docker host sees it


@dataclass(frozen=True)
class Backend:
    """One row of pg_stat_activity."""

    pid: int
    user: str
    database: str
    application: str
    client: str  # "127.0.0.1:53022", "local" (unix socket), "" (background)
    backend_type: str
    state: str  # active, idle, idle in transaction, ... ("" for background workers)
    wait_event_type: str
    wait_event: str
    query_s: float | None  # since query_start
    xact_s: float | None  # since xact_start
    state_s: float | None  # since state_change
    query: str
    blocked_by: tuple[int, ...] = ()
    proc: ProcStats | None = None

    @property
    def idle(self) -> bool:
        """Plain idle (not idle in transaction)."""
        return self.state == "idle"

    @property
    def idle_in_transaction(self) -> bool:
        """Idle inside an open transaction (holds locks, blocks vacuum)."""
        return self.state.startswith("idle in transaction")

    @property
    def duration_s(self) -> float | None:
        """What the operator reads as "how long": the query, or the idle transaction."""
        if self.idle_in_transaction:
            return self.state_s
        return self.query_s if self.state == "active" else None

    @property
    def long_running(self) -> bool:
        """An active query past LONG_QUERY_S, or an idle transaction past its limit."""
        d = self.duration_s
        if d is None:
            return False
        limit = IDLE_IN_XACT_WARN_S if self.idle_in_transaction else LONG_QUERY_S
        return d >= limit

    @property
    def replication(self) -> bool:
        """A walsender (a standby or a logical replication client)."""
        return self.backend_type == "walsender"


@dataclass(frozen=True)
class TableInfo:
    """One table's sizes and maintenance state."""

    schema: str
    name: str
    total: int  # pg_total_relation_size
    table: int  # heap, its free space and visibility maps
    indexes: int
    toast: int  # TOAST table and its index
    rows_estimate: int  # reltuples (-1: never analyzed)
    dead_tuples: int | None
    last_vacuum: float | None  # latest of manual and auto
    last_analyze: float | None
    last_autovacuum: bool = False  # the latest vacuum was autovacuum
    last_autoanalyze: bool = False

    @property
    def qualified(self) -> str:
        """`schema.name` (as text, not quoted SQL)."""
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Statement:
    """One row of pg_stat_statements."""

    queryid: int | None
    query: str
    calls: int
    total_ms: float
    mean_ms: float
    rows: int
    shared_hit: int
    shared_read: int
    user: str = ""
    database: str = ""

    @property
    def hit_ratio(self) -> float | None:
        """Shared buffer hits over all shared block accesses."""
        total = self.shared_hit + self.shared_read
        return self.shared_hit / total if total else None


@dataclass(frozen=True)
class Statements:
    """pg_stat_statements: the rows, or why there are none and how to get them."""

    available: bool
    message: str = ""  # why unavailable, and how to enable it
    preloaded: bool = False  # in shared_preload_libraries (CREATE EXTENSION would work)
    version: str = ""  # extension version
    columns: tuple[tuple[str, str], ...] = ()  # our name -> the column used on this server
    rows: tuple[Statement, ...] = ()


@dataclass(frozen=True)
class LockInfo:
    """A lock someone waits for, or a lock held by a session that blocks someone."""

    pid: int
    locktype: str
    mode: str
    granted: bool
    relation: str  # "public.orders" or the oid / "" when not a relation lock
    database: str
    user: str
    query: str
    wait_s: float | None  # how long the session has been waiting (state_change)
    blocked_by: tuple[int, ...] = ()


@dataclass(frozen=True)
class Setting:
    """One server setting the guide tunes (pg_settings)."""

    name: str
    value: str  # as SHOW prints it: 128MB, on, 100
    unit: str
    context: str  # postmaster (restart needed), sighup (reload), user, superuser ...
    source: str  # default, configuration file, command line (ALTER SYSTEM cannot win) ...
    pending_restart: bool
    description: str

    @property
    def needs_restart(self) -> bool:
        """A change only takes effect after a server restart."""
        return self.context == "postmaster"


@dataclass(frozen=True)
class PostgresSnapshot:
    """Everything the Postgres tab shows, read at one moment."""

    taken_at: float
    connection: str  # which connection is in use, password masked
    overview: Overview
    backends: tuple[Backend, ...]
    tables: tuple[TableInfo, ...]
    statements: Statements
    locks: tuple[LockInfo, ...]
    tables_at: float | None = None  # when tables/statements were last read
    statements_at: float | None = None
    proc_note: str = ""  # why the CPU/memory/IO columns are empty, if they are
    settings: tuple[Setting, ...] = ()
    problems: tuple[tuple[str, str], ...] = field(default=())  # section -> why it failed

    def backend(self, pid: int) -> Backend | None:
        """The backend with this pid, if it is in the snapshot."""
        return next((b for b in self.backends if b.pid == pid), None)

    @property
    def blocking_pids(self) -> frozenset[int]:
        """Pids that block at least one other backend."""
        return frozenset(p for b in self.backends for p in b.blocked_by)

    @property
    def long_transactions(self) -> tuple[Backend, ...]:
        """Backends whose transaction is older than LONG_XACT_S, oldest first."""
        rows = [b for b in self.backends if (b.xact_s or 0) >= LONG_XACT_S]
        return tuple(sorted(rows, key=lambda b: -(b.xact_s or 0)))


def blocking_tree(backends: tuple[Backend, ...]) -> list[tuple[int, Backend]]:
    """(depth, backend) in tree order: each root blocker, then who waits on it, recursively.

    A backend blocked by several pids appears under each of them (the operator must see
    every blocker); cycles (deadlock before detection) are cut at the first repeat.
    Only backends involved in blocking appear.
    """
    by_pid = {b.pid: b for b in backends}
    waiters: dict[int, list[Backend]] = {}
    for b in backends:
        for blocker in b.blocked_by:
            waiters.setdefault(blocker, []).append(b)
    blocked = {b.pid for b in backends if b.blocked_by}
    roots = sorted(p for p in waiters if p not in blocked or p not in by_pid)
    if not roots and waiters:  # everything is in a cycle
        roots = [min(waiters)]
    out: list[tuple[int, Backend]] = []

    def walk(pid: int, depth: int, path: frozenset[int]) -> None:
        backend = by_pid.get(pid)
        if backend is None:
            backend = Backend(pid, "?", "?", "", "", "", "", "", "", None, None, None, "")
        out.append((depth, backend))
        for w in sorted(waiters.get(pid, ()), key=lambda b: b.pid):
            if w.pid not in path:
                walk(w.pid, depth + 1, path | {w.pid})

    for root in roots:
        walk(root, 0, frozenset({root}))
    return out
