"""A simulated Postgres for `--demo`, screenshots and snapshot tests.

Same interface as `PostgresReader` (`read(force)`, `close()`, `target`). The story: the
raymond API serves traffic; a reporting job has held a transaction open on `orders` for
six minutes and blocks a migration, which in turn blocks two API writes; a worker sits
idle in transaction; one slow query dominates pg_stat_statements; `events` needs a vacuum.
A fixed clock and seed give the same screen every time; a real clock moves the figures.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from arctui.tabs.postgres.models import (
    Backend,
    DatabaseSize,
    LockInfo,
    Overview,
    PostgresSnapshot,
    ProcStats,
    Setting,
    Statement,
    Statements,
    TableInfo,
)

if TYPE_CHECKING:
    from arctui.tabs.postgres.actions import PgPlan

_M, _G = 1024**2, 1024**3
CONNECTION = "arc@127.0.0.1:5432/arc_db password •••••• (.env POSTGRES_PASSWORD) [demo]"

_QUERIES = {
    "report": "SELECT o.customer_id, sum(o.total) FROM orders o JOIN order_items i "
    "ON i.order_id = o.id WHERE o.created_at > now() - interval '90 days' GROUP BY 1",
    "migrate": "ALTER TABLE orders ADD COLUMN discount_code text",
    "insert": "INSERT INTO orders (customer_id, total, created_at) VALUES ($1, $2, now())",
    "update": "UPDATE orders SET status = $1 WHERE id = $2",
    "session": "SELECT * FROM sessions WHERE token = $1",
    "idle_xact": "SELECT id FROM jobs WHERE state = 'queued' FOR UPDATE SKIP LOCKED LIMIT 1",
    "idle": "COMMIT",
    "vacuum": "autovacuum: VACUUM public.events",
}


class DemoPostgres:
    """Believable, deterministic Postgres snapshots."""

    target = None

    def __init__(self, seed: int = 7, clock: Callable[[], float] = time.time) -> None:
        self._seed = seed
        self._clock = clock
        self._t0 = clock()
        self.cancelled: set[int] = set()  # pids the demo "cancelled" or "terminated"

    def close(self) -> None:
        """Nothing to release."""

    def simulate(self, plan: PgPlan) -> list[str]:
        """Pretend to run a Postgres action: signalled backends leave the activity list."""
        verb = plan.action.verb.removeprefix("pg-")
        self.cancelled.update(plan.pids)
        if plan.pids:
            return [f"{verb} {pid}: done (simulated)" for pid in plan.pids]
        return [f"{plan.sql}: done (simulated)"]

    def _wave(self, period: float, phase: float = 0.0) -> float:
        return 0.5 + 0.5 * math.sin((self._clock() - self._t0) / period + phase)

    def read(self, force: bool = False) -> PostgresSnapshot:
        """The simulated server now."""
        now = self._clock()
        age = now - self._t0
        rng = random.Random(self._seed + int(age // 2))
        backends = [b for b in self._backends(age, rng) if b.pid not in self.cancelled]
        blocked = {p for b in backends for p in b.blocked_by}
        clients = [b for b in backends if b.backend_type == "client backend"]
        states: dict[str, int] = {}
        for b in clients:
            states[b.state] = states.get(b.state, 0) + 1
        states["idle"] = states.get("idle", 0) + 31  # the API's pooled idle connections
        overview = Overview(
            version="15.14",
            version_num=150014,
            uptime_s=3 * 86400 + 4 * 3600 + age,
            connections=len(backends) + 31 + 6,
            client_connections=len(clients) + 31 + 1,
            max_connections=100,
            reserved_connections=3,
            states=tuple(sorted(states.items(), key=lambda kv: (-kv[1], kv[0]))),
            cache_hit_ratio=0.9912 + 0.004 * self._wave(40),
            tps=310 + 90 * self._wave(15) + rng.uniform(-8, 8),
            databases=(
                DatabaseSize("arc_db", int(4.6 * _G + 2 * _M * (age / 60))),
                DatabaseSize("unleash", 38 * _M),
                DatabaseSize("kratos", 21 * _M),
                DatabaseSize("postgres", 7 * _M + 400_000),
            ),
            in_recovery=False,
            ssl_enabled=False,
            ssl_in_use=False,
            database="arc_db",
            own_pid=4107,
        )
        locks = self._locks(backends) if blocked else ()
        return PostgresSnapshot(
            taken_at=now,
            connection=CONNECTION,
            overview=overview,
            backends=tuple(backends),
            tables=tuple(_table(now, *t) for t in _TABLE_ROWS),
            statements=_statements(age),
            locks=locks,
            tables_at=now,
            statements_at=now,
            settings=_SETTINGS,
        )

    def _backends(self, age: float, rng: random.Random) -> list[Backend]:
        def proc(cpu: float, rss_m: float, r: float = 0.0, w: float = 0.0) -> ProcStats:
            return ProcStats(
                max(0.0, cpu + rng.uniform(-2, 2)), int(rss_m * _M), r * 1024, w * 1024
            )

        def row(pid: int, kind: str, state: str, q: float | None, x: float | None,
                wait: tuple[str, str] = ("", ""), by: tuple[int, ...] = (),
                user: str = "arc", app: str = "raymond", client: str = "10.0.0.7",
                p: ProcStats | None = None, btype: str = "client backend") -> Backend:  # fmt: skip
            return Backend(
                pid=pid,
                user=user,
                database="arc_db",
                application=app,
                client=f"{client}:{40000 + pid % 20000}" if client else "",
                backend_type=btype,
                state=state,
                wait_event_type=wait[0],
                wait_event=wait[1],
                query_s=q,
                xact_s=x,
                state_s=q,
                query=_QUERIES[kind],
                blocked_by=by,
                proc=p,
            )

        short = 0.002 + 0.05 * rng.random()
        return [
            row(2811, "report", "active", 372 + age, 372 + age, ("IO", "DataFileRead"),
                user="reporting", app="metabase", client="10.0.0.21", p=proc(64, 182, 5400)),
            row(3390, "migrate", "active", 41 + age, 41 + age, ("Lock", "relation"), (2811,),
                app="alembic", client="10.0.0.9", p=proc(0, 14)),
            row(3402, "insert", "active", 12 + age, 12 + age, ("Lock", "relation"), (3390,),
                p=proc(0, 12)),
            row(3407, "update", "active", 9 + age, 9 + age, ("Lock", "relation"), (3390,),
                p=proc(0, 12)),
            row(3125, "idle_xact", "idle in transaction", 95 + age, 96 + age,
                ("Client", "ClientRead"), app="raymond-worker", p=proc(0, 22)),
            row(3501, "session", "active", short, short, p=proc(11, 16, 0, 2)),
            row(3517, "insert", "active", short / 2, short / 2, ("LWLock", "WALWrite"),
                p=proc(7, 15, 0, 48)),
            row(2250, "vacuum", "active", 130 + age, 130 + age, user="", app="",
                client="", p=proc(18, 40, 2900, 1200), btype="autovacuum worker"),
        ]  # fmt: skip

    @staticmethod
    def _locks(backends: list[Backend]) -> tuple[LockInfo, ...]:
        by_pid = {b.pid: b for b in backends}

        def lock(pid: int, mode: str, granted: bool) -> LockInfo:
            b = by_pid[pid]
            return LockInfo(pid, "relation", mode, granted, "public.orders", b.database,
                            b.user, b.query, b.state_s, b.blocked_by)  # fmt: skip

        out = [lock(2811, "AccessShareLock", True)] if 2811 in by_pid else []
        out += [lock(3390, "AccessExclusiveLock", False)] if 3390 in by_pid else []
        out += [lock(p, "RowExclusiveLock", False) for p in (3402, 3407) if p in by_pid]
        return tuple(out)


def _table(now: float, name: str, total_m: float, idx: float, toast: float, rows: int,
           dead: int, vac_h: float | None, an_h: float | None) -> TableInfo:  # fmt: skip
    total = int(total_m * _M)
    indexes, toast_b = int(total * idx), int(total * toast)
    return TableInfo(
        schema="public",
        name=name,
        total=total,
        table=total - indexes - toast_b,
        indexes=indexes,
        toast=toast_b,
        rows_estimate=rows,
        dead_tuples=dead,
        last_vacuum=None if vac_h is None else now - vac_h * 3600,
        last_analyze=None if an_h is None else now - an_h * 3600,
        last_autovacuum=True,
        last_autoanalyze=True,
    )


_TABLE_ROWS = (
    ("events", 1840, 0.31, 0.02, 21_400_000, 3_912_000, 51, 50),
    ("orders", 1210, 0.38, 0.0, 8_350_000, 41_200, 5, 5),
    ("order_items", 890, 0.42, 0.0, 19_800_000, 12_100, 7, 7),
    ("sessions", 312, 0.55, 0.08, 640_000, 208_000, 0.4, 0.4),
    ("audit_log", 288, 0.12, 0.41, 1_200_000, 0, None, 190),
    ("customers", 96, 0.33, 0.04, 410_000, 1_800, 30, 30),
    ("jobs", 14, 0.5, 0.0, 12_000, 9_400, 2, 2),
    ("feature_flags", 0.2, 0.5, 0.0, 140, 3, 300, 300),
)


def _statements(age: float) -> Statements:
    grow = 1 + age / 3600

    def st(
        qid: int, query: str, calls: int, mean: float, rows: int, hit: int, read: int
    ) -> Statement:
        c = int(calls * grow)
        return Statement(qid, query, c, c * mean, mean, int(rows * grow), hit * c, read * c,
                         "arc", "arc_db")  # fmt: skip

    rows = (
        st(-7101, _QUERIES["report"], 420, 8_420.0, 9_800_000, 180_000, 41_000),
        st(5521, _QUERIES["session"], 2_910_000, 0.41, 2_910_000, 4, 0),
        st(5530, _QUERIES["insert"], 812_000, 1.2, 812_000, 9, 1),
        st(5544, _QUERIES["update"], 640_000, 1.6, 640_000, 8, 1),
        st(
            6120,
            "SELECT count(*) FROM events WHERE created_at > $1",
            14_400,
            55.0,
            14_400,
            900,
            310,
        ),
        st(6131, _QUERIES["idle_xact"], 288_000, 0.9, 201_000, 6, 0),
    )
    return Statements(
        True,
        preloaded=True,
        version="1.10",
        columns=(("calls", "calls"), ("mean_ms", "mean_exec_time"),
                 ("total_ms", "total_exec_time")),
        rows=tuple(sorted(rows, key=lambda s: -s.total_ms)),
    )  # fmt: skip


_SETTINGS = (
    Setting("max_connections", "100", "", "postmaster", "configuration file", False,
            "Sets the maximum number of concurrent connections."),
    Setting("shared_buffers", "512MB", "8kB", "postmaster", "configuration file", False,
            "Sets the number of shared memory buffers used by the server."),
    Setting("work_mem", "16MB", "kB", "user", "configuration file", False,
            "Sets the maximum memory to be used for query workspaces."),
    Setting("maintenance_work_mem", "256MB", "kB", "user", "configuration file", False,
            "Sets the maximum memory to be used for maintenance operations."),
    Setting("effective_cache_size", "1536MB", "8kB", "user", "configuration file", False,
            "Sets the planner's assumption about the total size of the data caches."),
    Setting("max_wal_size", "1GB", "MB", "sighup", "default", False,
            "Sets the WAL size that triggers a checkpoint."),
    Setting("ssl", "off", "", "sighup", "default", False, "Enables SSL connections."),
)  # fmt: skip
