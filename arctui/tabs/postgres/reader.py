"""Builds `PostgresSnapshot`s from the platform's Postgres (shared by the tab and the CLI).

Load on the server is kept small: every read sends two statements (overview, activity);
`pg_blocking_pids` is only called for backends that wait on a heavyweight lock, and the
lock list is only read when one does. Table sizes, database sizes and
pg_stat_statements are read every `slow_interval` seconds (or when forced), because
sizing every relation is the expensive part. Nothing here imports Textual.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from arctui.sources.base import SourceError
from arctui.sources.postgres import PgConnection, PgTarget, discover
from arctui.tabs.postgres.models import (
    Backend,
    DatabaseSize,
    LockInfo,
    Overview,
    PostgresSnapshot,
    ProcStats,
    Replica,
    Setting,
    Statement,
    Statements,
    TableInfo,
)
from arctui.tabs.postgres.procs import BackendProcs
from arctui.tabs.postgres.queries import (
    ACTIVITY_SQL,
    DATABASES_SQL,
    EXTENSION_SQL,
    LOCKS_SQL,
    OVERVIEW_SQL,
    PRELOAD_SQL,
    SETTINGS_SQL,
    TABLES_SQL,
    TUNED_SETTINGS,
    missing_extension,
    preloaded,
    statement_columns,
    statements_sql,
)

if TYPE_CHECKING:
    from arctui.session import Session

SLOW_INTERVAL = 15.0
# Server processes with no query of their own: counted as connections, not listed.
AUXILIARY = frozenset(
    {
        "checkpointer", "background writer", "walwriter", "autovacuum launcher",
        "logical replication launcher", "archiver", "startup", "io worker",
        "slotsync worker", "walsummarizer",
    }
)  # fmt: skip


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def _latest(a: float | None, b: float | None) -> tuple[float | None, bool]:
    """(the later of manual/auto, True when it was the auto one)."""
    if a is None and b is None:
        return None, False
    if a is None or (b is not None and b >= a):
        return b, True
    return a, False


class PostgresReader:
    """Reads the platform's Postgres into snapshots; one monitoring connection."""

    def __init__(
        self,
        discover: Callable[[], PgTarget],
        *,
        slow_interval: float = SLOW_INTERVAL,
        procs: BackendProcs | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        connection_factory: Callable[[PgTarget], PgConnection] = PgConnection,
        proc_note: str = "",
    ) -> None:
        self.proc_note = proc_note  # why there are no per-backend OS figures (procs is None)
        self._discover = discover
        self._factory = connection_factory
        self.slow_interval = slow_interval
        self.procs = procs
        self._clock = clock
        self._monotonic = monotonic
        self.conn: PgConnection | None = None
        self._xacts: tuple[float, float] | None = None  # (monotonic, total) for tps
        self._slow_at: float | None = None
        self._slow: tuple[Any, ...] | None = None
        self._slow_taken: float | None = None
        self._stmt_cols: tuple[str, dict[str, str], str, str] | None = None
        self._problems: dict[str, str] = {}

    @property
    def target(self) -> PgTarget | None:
        """The connection target in use (after the first read)."""
        return self.conn.target if self.conn else None

    def connection(self) -> PgConnection:
        """The monitoring connection, discovering the target the first time."""
        if self.conn is None:
            self.conn = self._factory(self._discover())
        return self.conn

    def close(self) -> None:
        """Close the connection; the next read discovers the target again."""
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        self._stmt_cols = None

    def read(self, force: bool = False) -> PostgresSnapshot:
        """A fresh snapshot. Raises SourceError when Postgres cannot be read at all."""
        conn = self.connection()
        try:
            overview_row = conn.query(OVERVIEW_SQL)[0]
            activity = conn.query(ACTIVITY_SQL)
        except SourceError:
            # The container may have moved (new port, new password): discover again.
            self.close()
            raise
        now_m = self._monotonic()
        own_pid = int(overview_row[9])
        backends_all = [self._backend(r) for r in activity]
        overview = self._overview(overview_row, backends_all, now_m)
        backends = [b for b in backends_all if b.pid != own_pid and b.backend_type not in AUXILIARY]
        locks: tuple[LockInfo, ...] = ()
        involved = {b.pid for b in backends if b.blocked_by}
        if involved:
            involved |= {p for b in backends for p in b.blocked_by}
            locks = self._section("locks", lambda: self._locks(conn, sorted(involved)), ())
        due = self._slow_at is None or now_m - self._slow_at >= self.slow_interval
        if force or due or self._slow is None:
            self._slow_at = now_m
            self._slow = self._read_slow(conn, overview.database)
            self._slow_taken = self._clock()
        databases, tables, statements, settings = self._slow
        note = self.proc_note
        if self.procs is not None:
            stats, note = self.procs.read(conn.target.container_id, own_pid)
            backends = [self._with_proc(b, stats.get(b.pid)) for b in backends]
        return PostgresSnapshot(
            taken_at=self._clock(),
            connection=conn.target.describe(),
            overview=_replace_databases(overview, databases),
            backends=tuple(backends),
            tables=tables,
            statements=statements,
            locks=locks,
            tables_at=self._slow_taken,
            statements_at=self._slow_taken,
            proc_note=note,
            settings=settings,
            problems=tuple(sorted(self._problems.items())),
        )

    def _section(self, name: str, read: Callable[[], Any], fallback: Any) -> Any:
        """One optional part: its failure is reported, the rest of the snapshot still shown."""
        try:
            value = read()
        except SourceError as exc:
            if self.conn is None or not self.conn.connected:
                raise  # the connection itself is gone
            self._problems[name] = exc.reason
            return fallback
        self._problems.pop(name, None)
        return value

    @staticmethod
    def _with_proc(b: Backend, stats: ProcStats | None) -> Backend:
        if stats is None:
            return b
        from dataclasses import replace

        return replace(b, proc=stats)

    @staticmethod
    def _backend(r: tuple[Any, ...]) -> Backend:
        return Backend(
            pid=int(r[0]),
            user=r[1],
            database=r[2],
            application=r[3],
            client=r[4] or "",
            backend_type=r[5],
            state=r[6],
            wait_event_type=r[7],
            wait_event=r[8],
            query_s=_f(r[9]),
            xact_s=_f(r[10]),
            state_s=_f(r[11]),
            query=r[12],
            blocked_by=tuple(int(p) for p in (r[13] or ())),
        )

    def _overview(self, r: tuple[Any, ...], backends: list[Backend], now_m: float) -> Overview:
        hit, read, xacts = r[10] or 0.0, r[11] or 0.0, r[12]
        tps = None
        if xacts is not None:
            if self._xacts is not None and now_m > self._xacts[0]:
                tps = max(0.0, (xacts - self._xacts[1]) / (now_m - self._xacts[0]))
            self._xacts = (now_m, xacts)
        clients = [b for b in backends if b.backend_type == "client backend"]
        states: dict[str, int] = {}
        for b in clients:
            states[b.state or "unknown"] = states.get(b.state or "unknown", 0) + 1
        replicas = tuple(
            Replica(str(a or ""), str(c or ""), str(s or ""), str(y or ""), _f(lag))
            for a, c, s, y, lag in (r[13] or ())
        )
        return Overview(
            version=" ".join(str(r[0]).split()[:1]),
            version_num=int(r[1]),
            uptime_s=float(r[2]),
            connections=len(backends),
            client_connections=len(clients),
            max_connections=int(r[3]),
            reserved_connections=int(r[4]),
            states=tuple(sorted(states.items(), key=lambda kv: (-kv[1], kv[0]))),
            cache_hit_ratio=hit / (hit + read) if hit + read else None,
            tps=tps,
            databases=(),
            in_recovery=bool(r[7]),
            replicas=replicas,
            ssl_enabled=bool(r[5]),
            ssl_in_use=bool(r[6]),
            database=str(r[8]),
            own_pid=int(r[9]),
        )

    @staticmethod
    def _locks(conn: PgConnection, pids: list[int]) -> tuple[LockInfo, ...]:
        rows = conn.query(LOCKS_SQL, {"pids": pids})
        return tuple(
            LockInfo(
                pid=int(r[0]),
                locktype=r[1],
                mode=r[2],
                granted=bool(r[3]),
                relation=r[4],
                database=r[5],
                user=r[6],
                query=r[7],
                wait_s=_f(r[8]),
            )
            for r in rows
        )

    def _read_slow(self, conn: PgConnection, database: str) -> tuple[Any, ...]:
        old = self._slow or ((), (), Statements(False, "not read yet"), ())
        databases = self._section(
            "databases",
            lambda: tuple(
                DatabaseSize(n, None if s is None else int(s)) for n, s in conn.query(DATABASES_SQL)
            ),
            old[0],
        )
        tables = self._section("tables", lambda: self._tables(conn), old[1])
        statements = self._section("statements", lambda: self.statements(conn, database), old[2])
        settings = self._section("settings", lambda: self._settings(conn), old[3])
        return databases, tables, statements, settings

    @staticmethod
    def _settings(conn: PgConnection) -> tuple[Setting, ...]:
        names = list(TUNED_SETTINGS)
        return tuple(
            Setting(r[0], str(r[1]), r[2], r[3], r[4], bool(r[5]), r[6])
            for r in conn.query(SETTINGS_SQL, (names, names))
        )

    @staticmethod
    def _tables(conn: PgConnection) -> tuple[TableInfo, ...]:
        out = []
        for r in conn.query(TABLES_SQL):
            vacuum, auto_v = _latest(_f(r[8]), _f(r[9]))
            analyze, auto_a = _latest(_f(r[10]), _f(r[11]))
            total, heap, indexes, toast = int(r[2]), int(r[3]), int(r[4]), int(r[5])
            out.append(
                TableInfo(
                    schema=r[0],
                    name=r[1],
                    total=total,
                    # heap + free space map + visibility map: what is neither index nor TOAST
                    table=max(heap, total - indexes - toast),
                    indexes=indexes,
                    toast=toast,
                    rows_estimate=int(r[6]),
                    dead_tuples=None if r[7] is None else int(r[7]),
                    last_vacuum=vacuum,
                    last_analyze=analyze,
                    last_autovacuum=auto_v,
                    last_autoanalyze=auto_a,
                )
            )
        return tuple(out)

    def statements(self, conn: PgConnection, database: str) -> Statements:
        """pg_stat_statements rows with the columns of this server's extension version."""
        if self._stmt_cols is None:
            found = conn.query(EXTENSION_SQL)
            if not found:
                return missing_extension(str(conn.query(PRELOAD_SQL)[0][0]), database)
            version, schema, attnames, preload = found[0]
            if not preloaded(str(preload)):
                return Statements(
                    False,
                    "pg_stat_statements is created in this database but not preloaded: "
                    "add shared_preload_libraries=pg_stat_statements and restart Postgres",
                    version=str(version),
                )
            cols = statement_columns(set(attnames or ()))
            self._stmt_cols = (schema, cols, str(version), statements_sql(schema, cols))
        schema, cols, version, sql = self._stmt_cols
        rows = tuple(
            Statement(
                queryid=None if r[0] is None else int(r[0]),
                query=r[1],
                calls=int(r[2]),
                total_ms=float(r[3]),
                mean_ms=float(r[4]),
                rows=int(r[5]),
                shared_hit=int(r[6]),
                shared_read=int(r[7]),
                user=r[8],
                database=r[9],
            )
            for r in conn.query(sql)
        )
        return Statements(
            True,
            preloaded=True,
            version=version,
            columns=tuple(sorted(cols.items())),
            rows=rows,
        )


def _replace_databases(overview: Overview, databases: tuple[DatabaseSize, ...]) -> Overview:
    from dataclasses import replace

    return replace(overview, databases=databases)


def reader_for(session: Session) -> PostgresReader:
    """The reader for a real session: discovery from the stack, env files and environment."""
    environ = dict(os.environ if session.environ is None else session.environ)
    settings_dsn = session.settings.postgres_dsn

    def discover_target() -> PgTarget:
        try:
            snapshot = session.reader.latest()
        except SourceError:
            snapshot = None  # the engine is down: the env files may still say where
        return discover(snapshot, session.env_layers, environ, settings_dsn)

    endpoint = session.reader.containers.endpoint
    if endpoint.startswith("unix://") or endpoint.startswith("npipe://"):
        return PostgresReader(discover_target, procs=BackendProcs())
    return PostgresReader(
        discover_target,
        proc_note=f"the Docker engine is remote ({endpoint}): per-backend CPU and memory "
        "need arctui on the Docker host",
    )
