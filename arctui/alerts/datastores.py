"""Alert rules over the datastores and the recorder: Postgres, Redis, backups, sources down."""

from __future__ import annotations

from collections.abc import Mapping

from arctui.alerts.base import CRITICAL, Condition, HeldRule, Rule, name_of, service_of
from arctui.models import ServiceState, ServiceView
from arctui.record.frame import Frame
from arctui.text import one_line
from arctui.units import duration, size


class PgConnections(Rule):
    id = "pg_connections"

    def check(self, frame: Frame) -> list[Condition]:
        if frame.postgres is None:
            return []
        ov = frame.postgres.overview
        pct = self.num("percent")
        used = ov.connection_ratio * 100
        if not ov.max_connections or used < pct:
            return []
        svc = name_of(service_of(frame.stack, "postgres", "postgres"))
        figure = f"{ov.client_connections} of max_connections {ov.max_connections} ({used:.0f} %)"
        threshold = f"above {pct:.0f} % for {duration(self.for_s)}"
        look = "Postgres tab, backends by state (idle in transaction holds slots)"
        return [self.cond(svc, svc, figure, threshold, look)]


class PgBlocker(Rule):
    id = "pg_blocker"

    def check(self, frame: Frame) -> list[Condition]:
        pg = frame.postgres
        if pg is None:
            return []
        svc = name_of(service_of(frame.stack, "postgres", "postgres"))
        out = []
        for pid in sorted(pg.blocking_pids):
            waiters = [b for b in pg.backends if pid in b.blocked_by]
            waits = [w.state_s or w.query_s or 0.0 for w in waiters]
            longest = max(waits, default=0.0)
            blocker = pg.backend(pid)
            who = f"{blocker.user}@{blocker.database}" if blocker else "?"
            query = one_line(blocker.query, 120) if blocker else ""
            figure = f"pid {pid} ({who}) blocks {len(waiters)} backend(s) for {duration(longest)}"
            out.append(
                self.cond(
                    f"pid{pid}",
                    svc,
                    figure,
                    f"blocking others for {duration(self.for_s)}",
                    "Postgres tab, locks (the blocking tree and the blocker's query)",
                    since=frame.ts - longest,
                    detail=query,
                )
            )
        return out


class PgReplicationLag(Rule):
    id = "pg_replication_lag"

    def check(self, frame: Frame) -> list[Condition]:
        if frame.postgres is None:
            return []
        svc = name_of(service_of(frame.stack, "postgres", "postgres"))
        limit = self.num("max_lag_s")
        return [
            self.cond(
                r.name or r.client,
                svc,
                f"replica {r.name or r.client} lags {duration(r.replay_lag_s)}",
                f"over {duration(limit)} for {duration(self.for_s)}",
                "Postgres tab, overview (replicas: state, lag)",
            )
            for r in frame.postgres.overview.replicas
            if r.replay_lag_s is not None and r.replay_lag_s > limit
        ]


class RedisMemory(Rule):
    id = "redis_memory"

    def check(self, frame: Frame) -> list[Condition]:
        if frame.redis is None:
            return []
        ov = frame.redis.overview
        fraction = ov.memory_fraction
        pct = self.num("percent")
        if fraction is None or fraction * 100 < pct:
            return []
        svc = name_of(service_of(frame.stack, "redis", "redis"))
        figure = (
            f"used_memory {size(ov.used_memory)} of maxmemory {size(ov.maxmemory)} "
            f"({fraction * 100:.0f} %, policy {ov.maxmemory_policy})"
        )
        threshold = f"above {pct:.0f} % for {duration(self.for_s)}"
        look = "Redis tab, overview and the big-key scan"
        return [self.cond(svc, svc, figure, threshold, look)]


class RedisEvictions(HeldRule):
    id = "redis_evictions"

    def __init__(self, params: Mapping[str, float | bool]) -> None:
        super().__init__(params)
        self._last: int | None = None

    def events(self, frame: Frame) -> list[tuple[float, Condition]]:
        if frame.redis is None:
            return []
        evicted = frame.redis.overview.evicted_keys
        before, self._last = self._last, evicted
        if before is None or evicted <= before:
            return []  # the first reading, no new evictions, or a restart reset the count
        svc = name_of(service_of(frame.stack, "redis", "redis"))
        ov = frame.redis.overview
        figure = f"{evicted - before} keys evicted since the last sample ({evicted} in all)"
        threshold = f"any eviction (resolved {duration(self.num('hold_s'))} after the last)"
        look = f"Redis tab, overview (maxmemory {size(ov.maxmemory)}, policy {ov.maxmemory_policy})"
        return [(frame.ts, self.cond(svc, svc, figure, threshold, look))]


class RedisBgsave(Rule):
    id = "redis_bgsave"

    def check(self, frame: Frame) -> list[Condition]:
        if frame.redis is None:
            return []
        p = frame.redis.persistence
        svc = name_of(service_of(frame.stack, "redis", "redis"))
        look = "Redis tab, persistence, then the redis service's logs (disk full? permissions?)"
        out = []
        if p.rdb_last_bgsave_status not in ("ok", ""):
            figure = f"last BGSAVE {p.rdb_last_bgsave_status}"
            out.append(
                self.cond("rdb", svc, figure, "the last BGSAVE failed", look, severity=CRITICAL)
            )
        if p.aof_enabled and p.aof_last_write_status not in ("ok", ""):
            figure = f"last AOF write {p.aof_last_write_status}"
            out.append(
                self.cond("aof", svc, figure, "the last AOF write failed", look, severity=CRITICAL)
            )
        return out


class BackupRpo(Rule):
    id = "backup_rpo"

    def check(self, frame: Frame) -> list[Condition]:
        if frame.backups is None:
            return []
        out = []
        for r in frame.backups.rpo:
            # Never backed up at all is the doctor's finding, not a page at night: an alert
            # is for a backup that *turned* red (got too old, or the last run failed).
            if r.status != "red" or (r.age_s is None and not r.last_run_failed):
                continue
            if r.age_s is None:
                figure = f"last backup run failed: {r.last_run_detail or 'no detail'}"
            else:
                figure = f"newest verified backup {duration(r.age_s)} old"
                if r.last_run_failed:
                    figure += f"; the last run failed: {r.last_run_detail or 'no detail'}"
            service = r.datastore.partition("/")[2] or r.datastore
            out.append(
                self.cond(
                    r.datastore,
                    service,
                    figure,
                    f"RPO {duration(r.rpo_s)}",
                    "Backups tab, or `arctui backups`",
                    severity=CRITICAL,
                )
            )
        return out


class RecorderBehind(HeldRule):
    id = "recorder_behind"

    def __init__(self, params: Mapping[str, float | bool]) -> None:
        super().__init__(params)
        self._prev: float | None = None

    def events(self, frame: Frame) -> list[tuple[float, Condition]]:
        interval = float(self.params.get("interval", 5.0))
        prev, self._prev = self._prev, frame.ts
        if prev is None:
            return []
        gap = frame.ts - prev
        limit = self.num("factor") * interval
        if gap <= limit:
            return []
        figure = f"{duration(gap)} between samples (interval {duration(interval)})"
        threshold = f"a gap over {self.num('factor'):g} x the interval"
        look = "the recorder's own log (journalctl -u arctui-record) and the host's load"
        return [(frame.ts, self.cond("recorder", "", figure, threshold, look, since=prev))]


class DatastoreDown(Rule):
    id = "datastore_down"

    def check(self, frame: Frame) -> list[Condition]:
        out = []
        if "stack" in frame.down:
            out.append(
                self.cond(
                    "docker",
                    "",
                    f"Docker engine unreadable: {frame.down['stack']}",
                    f"unreadable for {duration(self.for_s)}",
                    "`docker info` on the host; every other rule is blind meanwhile",
                    severity=CRITICAL,
                )
            )
        for source in ("postgres", "redis"):
            if source not in frame.down:
                continue
            found = service_of(frame.stack, source, source)
            if isinstance(found, ServiceView) and found.state is not ServiceState.RUNNING:
                continue  # its container is down: service_down tells that incident
            svc = name_of(found)
            figure = f"{source} unreadable: {frame.down[source]}"
            look = "connectivity wizard (`arctui doctor --wizard connectivity`)"
            out.append(
                self.cond(
                    source,
                    svc,
                    figure,
                    f"unreadable for {duration(self.for_s)}",
                    look,
                    severity=CRITICAL,
                )
            )
        return out
