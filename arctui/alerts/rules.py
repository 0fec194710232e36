"""Alert rules: each reads one recorder `Frame` (plus its own memory of earlier frames) and
says which of its conditions hold now (see base.py). The stack's and the containers' rules
are here, the datastores' in datastores.py; `RULES` lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping

from arctui.alerts.base import CRITICAL, WARNING, Condition, HeldRule, Rule, failing_since
from arctui.alerts.datastores import (
    BackupRpo,
    DatastoreDown,
    PgBlocker,
    PgConnections,
    PgReplicationLag,
    RecorderBehind,
    RedisBgsave,
    RedisEvictions,
    RedisMemory,
)
from arctui.config.alerts import RULE_DEFAULTS, rule_params
from arctui.models import ServiceState
from arctui.ops.health.models import DEGRADED, DOWN, UNHEALTHY
from arctui.ops.health.rootcause import docker_verdict
from arctui.record.frame import Frame
from arctui.units import duration, size

_LOOK_STARTUP = (
    "health view (H) or `arctui health`, then the startup wizard (`arctui doctor --wizard startup`)"
)
_LOOK_MEMORY = "Resources tab, then the memory wizard (`arctui doctor --wizard memory`)"


class ServiceDown(Rule):
    id = "service_down"

    def check(self, frame: Frame) -> list[Condition]:
        snap = frame.stack
        if snap is None:
            return []
        out = []
        threshold = f"down or unhealthy for {duration(self.for_s)}"
        for view in snap.services:
            verdict, reason = docker_verdict(view, snap)
            if verdict not in (DOWN, UNHEALTHY, DEGRADED):
                continue
            if view.state is ServiceState.RESTARTING or reason.startswith("crash loop"):
                continue  # restart_loop tells this one (one message per incident)
            since: float | None = None
            detail = ""
            if verdict == UNHEALTHY:
                since, detail = failing_since(view)
            else:
                ends = [c.finished_at for c in view.containers if c.state != "running"]
                since = max((e for e in ends if e), default=None)
            severity = CRITICAL if verdict == DOWN else WARNING
            figure = f"{verdict}: {reason}"
            out.append(
                self.cond(
                    view.name,
                    view.name,
                    figure,
                    threshold,
                    _LOOK_STARTUP,
                    since=since,
                    severity=severity,
                    detail=detail,
                )
            )
        return out


class RestartLoop(Rule):
    id = "restart_loop"

    def __init__(self, params: Mapping[str, float | bool]) -> None:
        super().__init__(params)
        # service -> (ts, restarts) where the count changed, and the one reading at or
        # before the window's start: a steady count costs one entry, not one per frame.
        self._seen: dict[str, list[tuple[float, int]]] = {}

    def check(self, frame: Frame) -> list[Condition]:
        snap = frame.stack
        if snap is None:
            return []
        window, count = self.num("window_s"), int(self.num("count"))
        out = []
        for view in snap.services:
            seen = self._seen.setdefault(view.name, [])
            restarts = view.restart_count
            if seen and restarts < seen[-1][1]:
                seen.clear()  # recreated: counts start again
            if not seen or restarts != seen[-1][1]:
                seen.append((frame.ts, restarts))
            while len(seen) > 1 and frame.ts - seen[1][0] >= window:
                seen.pop(0)  # keep one reading at or before the window's start
            rose = restarts - seen[0][1]
            if rose >= count:
                since = next(ts for ts, n in seen if n > seen[0][1])
                span = frame.ts - max(seen[0][0], frame.ts - window)
                figure = f"{rose} restarts in {duration(span)} ({restarts} in all)"
                look = "startup wizard (`arctui doctor --wizard startup`), then its logs (Logs tab)"
                out.append(
                    self.cond(
                        view.name,
                        view.name,
                        figure,
                        f"{count} restarts within {duration(window)}",
                        look,
                        since=since,
                        severity=CRITICAL,
                    )
                )
        names = {v.name for v in snap.services}
        self._seen = {k: v for k, v in self._seen.items() if k in names}
        return out


class OomKill(HeldRule):
    id = "oom"

    def events(self, frame: Frame) -> list[tuple[float, Condition]]:
        found: dict[str, tuple[float, str]] = {}  # container name -> (time, service)
        if frame.resources is not None:
            for e in frame.resources.oom_events:
                found[e.name] = (e.time, e.service or e.name)
        if frame.stack is not None:
            for view in frame.stack.services:
                for c in view.containers:
                    if c.oom_killed and c.finished_at and c.name not in found:
                        found[c.name] = (c.finished_at, view.name)
        threshold = f"any OOM kill (resolved {duration(self.num('hold_s'))} after the last)"
        return [
            (
                at,
                self.cond(
                    name,
                    service,
                    f"OOM-killed: {name}",
                    threshold,
                    _LOOK_MEMORY,
                    since=at,
                    severity=CRITICAL,
                ),
            )
            for name, (at, service) in found.items()
        ]


class MemoryHigh(Rule):
    id = "memory"

    def check(self, frame: Frame) -> list[Condition]:
        if frame.resources is None:
            return []
        pct = self.num("percent")
        out = []
        for c in frame.resources.containers:
            used = c.mem_pct
            if used is None or used < pct:
                continue
            figure = f"memory {size(c.mem)} of {size(c.mem_limit)} ({used:.0f} %) in {c.name}"
            threshold = f"above {pct:.0f} % of its limit for {duration(self.for_s)}"
            out.append(self.cond(c.name, c.service or c.name, figure, threshold, _LOOK_MEMORY))
        return out


class DiskLow(Rule):
    id = "disk"

    def check(self, frame: Frame) -> list[Condition]:
        host = frame.resources.host if frame.resources is not None else None
        if host is None or host.disk_free is None or not host.disk_total:
            return []
        pct = host.disk_free / host.disk_total * 100
        min_pct, min_bytes = self.num("min_free_pct"), self.num("min_free_mib") * 1024 * 1024
        if pct >= min_pct and host.disk_free >= min_bytes:
            return []
        root = host.docker_root or "Docker's data root"
        figure = f"free {size(host.disk_free)} of {size(host.disk_total)} ({pct:.0f} %) on {root}"
        threshold = f"below {min_pct:.0f} % or {size(min_bytes)} free"
        look = "Resources tab (host), then `docker system df` (images, build cache, volumes)"
        return [self.cond("docker-root", "", figure, threshold, look, severity=CRITICAL)]


RULES: tuple[type[Rule], ...] = (
    ServiceDown,
    RestartLoop,
    OomKill,
    MemoryHigh,
    DiskLow,
    PgConnections,
    PgBlocker,
    PgReplicationLag,
    RedisMemory,
    RedisEvictions,
    RedisBgsave,
    BackupRpo,
    RecorderBehind,
    DatastoreDown,
)
assert {r.id for r in RULES} == set(RULE_DEFAULTS), "every rule has defaults, and only rules"


def build_rules(alerts: Mapping[str, object], interval: float = 5.0) -> list[Rule]:
    """The enabled rules with their figures from the `alerts:` settings."""
    rules = []
    for cls in RULES:
        params = rule_params(alerts, cls.id)  # type: ignore[arg-type]
        params["interval"] = interval  # the recorder's sample interval (recorder_behind)
        rule = cls(params)
        if rule.enabled:
            rules.append(rule)
    return rules


def evaluate(rules: list[Rule], frame: Frame) -> list[Condition]:
    """Every condition that holds in this frame, over every rule."""
    out: list[Condition] = []
    for rule in rules:
        out.extend(rule.check(frame))
    return out


# What each rule is called in messages and on screen.
TITLES: dict[str, str] = {
    "service_down": "service down or unhealthy",
    "restart_loop": "restart loop",
    "oom": "OOM kill",
    "memory": "memory near its limit",
    "disk": "Docker's disk is filling up",
    "pg_connections": "Postgres connections near max_connections",
    "pg_blocker": "Postgres backend blocking others",
    "pg_replication_lag": "Postgres replication lag",
    "redis_memory": "Redis memory near maxmemory",
    "redis_evictions": "Redis evicting keys",
    "redis_bgsave": "Redis persistence failing",
    "backup_rpo": "backup older than the RPO",
    "recorder_behind": "the recorder fell behind",
    "datastore_down": "datastore unreadable",
}
