"""Timeline events from what changed: engine events, two frames compared, audit lines.

Pure functions (no I/O but the audit tail): the sampler calls them with the previous
and the current frame. Texts are one line; the store redacts them before writing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from arctui.record.frame import Event, Frame
from arctui.sources.base import EngineEvent
from arctui.text import one_line

TEXT_MAX = 300  # one timeline line, capped (queries and log lines can be long)
QUERY_MAX = 200


def _line(text: str) -> str:
    return one_line(text, TEXT_MAX)


def engine_event(e: EngineEvent) -> Event:
    """A state event as it happened: oom, health, or a state change."""
    action = e.action.strip()
    who = e.name or e.container_id[:12]
    base, _, detail = action.partition(":")
    data: dict[str, Any] = {"container": e.container_id[:12], "action": action}
    if base == "oom":
        return Event(e.time, "oom", e.service, _line(f"{who}: OOM kill"), data)
    if base == "health_status":
        status = detail.strip()
        return Event(e.time, "health", e.service, _line(f"{who}: health {status}"), data)
    verbs = {"die": "died", "start": "started", "stop": "stopped", "kill": "killed"}
    verb = verbs.get(base, base)
    return Event(e.time, "state", e.service, _line(f"{who}: {verb}"), data)


def _containers(frame: Frame | None) -> dict[str, Any]:
    if frame is None or frame.stack is None:
        return {}
    return {c.id: c for s in frame.stack.services for c in s.containers}


def stack_changes(prev: Frame | None, cur: Frame, engine_ooms: set[str]) -> list[Event]:
    """Restarts (the count rose), OOM kills the engine did not report, exit codes."""
    if prev is None or prev.stack is None or cur.stack is None:
        return []
    out: list[Event] = []
    before = _containers(prev)
    for cid, c in _containers(cur).items():
        old = before.get(cid)
        if old is None:
            continue
        who = c.name or cid[:12]
        if c.restart_count > old.restart_count:
            n = c.restart_count - old.restart_count
            exit_note = f" (exit {c.exit_code})" if c.exit_code is not None else ""
            text = f"{who}: restarted{'' if n == 1 else f' {n} times'}{exit_note}"
            data = {"restarts": c.restart_count, "exit_code": c.exit_code}
            out.append(Event(cur.ts, "restart", c.service, _line(text), data))
        if c.oom_killed and not old.oom_killed and cid[:12] not in engine_ooms:
            out.append(Event(cur.ts, "oom", c.service, _line(f"{who}: OOM killed")))
    return out


def postgres_changes(prev: Frame | None, cur: Frame) -> list[Event]:
    """New blockers (with their query) and settings whose value changed."""
    pg, old = cur.postgres, prev.postgres if prev else None
    if pg is None:
        return []
    out: list[Event] = []
    old_blockers = old.blocking_pids if old else frozenset()
    for pid in sorted(pg.blocking_pids - old_blockers):
        blocker = pg.backend(pid)
        waiting = [b.pid for b in pg.backends if pid in b.blocked_by]
        query = one_line(blocker.query, QUERY_MAX) if blocker else "?"
        state = blocker.state if blocker else "?"
        text = f"postgres: pid {pid} ({state}) blocks {len(waiting)}: {query}"
        data = {"pid": pid, "waiting": waiting, "state": state}
        out.append(Event(cur.ts, "blocker", "", _line(text), data))
    if old is not None and old.settings and pg.settings:
        before = {s.name: s.value for s in old.settings}
        for s in pg.settings:
            if s.name in before and before[s.name] != s.value:
                text = f"postgres: {s.name} {before[s.name]} -> {s.value}"
                data = {"name": s.name, "from": before[s.name], "to": s.value}
                out.append(Event(cur.ts, "setting", "", _line(text), data))
    return out


def _redis_settings(frame: Frame) -> dict[str, str]:
    r = frame.redis
    if r is None:
        return {}
    found: dict[str, str] = {
        "maxmemory": str(r.overview.maxmemory),
        "maxmemory-policy": r.overview.maxmemory_policy,
    }
    if r.persistence.save_schedule is not None:
        found["save"] = r.persistence.save_schedule
    if r.persistence.appendfsync is not None:
        found["appendfsync"] = r.persistence.appendfsync
    return found


def redis_changes(prev: Frame | None, cur: Frame, seen_slowlog: int | None) -> list[Event]:
    """Evictions since the last frame, new slowlog entries, changed settings."""
    r = cur.redis
    if r is None:
        return []
    out: list[Event] = []
    old = prev.redis if prev else None
    if old is not None and r.overview.evicted_keys > old.overview.evicted_keys:
        n = r.overview.evicted_keys - old.overview.evicted_keys
        text = f"redis: {n} keys evicted ({r.overview.maxmemory_policy})"
        out.append(Event(cur.ts, "eviction", "", _line(text), {"evicted": n}))
    if seen_slowlog is not None:
        for entry in sorted(r.slowlog, key=lambda s: s.id):
            if entry.id > seen_slowlog:
                text = f"redis slowlog: {entry.duration_us / 1000:.1f} ms {entry.command}"
                data: dict[str, Any] = {"id": entry.id, "duration_us": entry.duration_us}
                out.append(Event(float(entry.started_at), "slowlog", "", _line(text), data))
    if prev is not None and prev.redis is not None:
        before, now = _redis_settings(prev), _redis_settings(cur)
        for name, value in now.items():
            if name in before and before[name] != value:
                text = f"redis: {name} {before[name]} -> {value}"
                data = {"name": name, "from": before[name], "to": value}
                out.append(Event(cur.ts, "setting", "", _line(text), data))
    return out


def backup_changes(prev: Frame | None, cur: Frame) -> list[Event]:
    """Backups that appeared since the last frame, and a new drill."""
    b, old = cur.backups, prev.backups if prev else None
    if b is None or old is None:
        return []
    known = {m.id for m in old.backups}
    out: list[Event] = []
    for m in sorted(b.backups, key=lambda m: m.created_at):
        if m.id not in known:
            ok = "verified" if m.verified else "NOT verified"
            text = f"backup {m.kind}/{m.service}: {m.id} {m.size} bytes, {ok}"
            out.append(Event(m.created_at, "backup", m.service, _line(text), {"id": m.id}))
    drill = b.last_drill
    # A drill newer than the last one by more than the frames' gap (the demo's drill
    # moves with the clock; a real one jumps by the time between drills).
    gap = cur.ts - prev.ts + 1.0 if prev is not None else 0.0
    last = old.last_drill
    if drill is not None and (last is None or drill.at - last.at > gap):
        text = f"DR drill {'passed' if drill.ok else 'FAILED'}: {drill.detail}"
        out.append(Event(drill.at, "backup", "", _line(text), {"drill": drill.ok}))
    return out


class AuditTail:
    """New lines of the audit log since the recorder started (each one an event)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = self._size()

    def _size(self) -> int:
        try:
            return os.stat(self.path).st_size
        except OSError:
            return 0

    def read(self) -> list[Event]:
        """Entries appended since the last call (a shrunk file is read from its start)."""
        size = self._size()
        if size < self._offset:
            self._offset = 0  # rotated or truncated
        if size == self._offset:
            return []
        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                data = f.read(min(size - self._offset, 1 << 20))
        except OSError:
            return []
        end = data.rfind(b"\n") + 1  # a line still being written waits for the next call
        self._offset += end
        out = []
        for raw in data[:end].splitlines():
            try:
                entry = json.loads(raw.decode("utf-8", "replace"))
            except ValueError:
                continue
            if isinstance(entry, dict):
                out.append(audit_event(entry))
        return out


def _entry_time(entry: dict[str, Any]) -> float:
    from datetime import datetime

    value = entry.get("time")
    if isinstance(value, int | float):
        return float(value)
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        import time

        return time.time()


def audit_event(entry: dict[str, Any]) -> Event:
    """One audit line as a timeline event."""
    what = f"{entry.get('action', '?')} {entry.get('target', '')}".strip()
    status = entry.get("status") or entry.get("outcome") or entry.get("result") or ""
    detail = entry.get("detail") or entry.get("error") or ""
    text = f"action: {what} {status}".strip() + (f": {detail}" if detail else "")
    keep = ("action", "target", "outcome", "user", "env", "attempt", "exit_code", "scope")
    data = {k: entry[k] for k in keep if k in entry and isinstance(entry[k], str | int | float)}
    service = entry.get("service") if isinstance(entry.get("service"), str) else ""
    return Event(_entry_time(entry), "action", str(service or ""), _line(text), data)


def doctor_changes(
    before: set[tuple[str, str, str]] | None, now: set[tuple[str, str, str]], ts: float
) -> list[Event]:
    """Findings (wizard, check, service) that appeared or cleared since the last run."""
    if before is None or before == now:
        return []
    out = []
    for wizard, check, service in sorted(now - before):
        text = f"doctor: {check} ({wizard}) found" + (f" in {service}" if service else "")
        out.append(Event(ts, "doctor", service, _line(text), {"check": check, "new": True}))
    for wizard, check, service in sorted(before - now):
        text = f"doctor: {check} ({wizard}) cleared" + (f" in {service}" if service else "")
        out.append(Event(ts, "doctor", service, _line(text), {"check": check, "new": False}))
    return out
