"""The maintenance calendar: statuses, last done from the audit log and from env-file secrets."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from arctui.config.envfiles import EnvLayers
from arctui.models import EnvValue
from arctui.ops.audit import AuditLog, build_entry
from arctui.ops.lifecycle import Action
from arctui.ops.maintenance.calendar import DAY, SecretHistory, read_calendar, status_of
from arctui.ops.maintenance.tasks import mark_done
from tests.unit.test_lifecycle import make_session


def test_status_of() -> None:
    now = 1_000 * DAY
    assert status_of("weekly", None, now) == ("never", None)
    assert status_of("weekly", now - 6 * DAY, now)[0] == "ok"
    assert status_of("weekly", now - 7.5 * DAY, now)[0] == "due"
    assert status_of("weekly", now - 9 * DAY, now)[0] == "overdue"
    assert status_of("quarterly", now - 60 * DAY, now) == ("ok", now + 31 * DAY)


def _record(session, audit: AuditLog, verb: str, target: str, outcome: str = "ok") -> None:
    action = Action(verb, "postgres", target, session.project, session.env, (), verb)
    audit.append(
        build_entry(session, action, outcome=outcome, exit_code=0, duration=1.0, detail="")
    )


def _by_id(states):
    return {s.task.id: s for s in states}


def test_last_done_follows_the_audit_log(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    audit = AuditLog(tmp_path / "audit.jsonl")
    history = SecretHistory(tmp_path / "secrets.json")
    before = _by_id(read_calendar(s, audit, history))
    assert before["vacuum"].status == "never" and before["drill"].last_done is None
    started = time.time() - 1
    _record(s, audit, "pg-vacuum-analyze", "postgres public.orders")  # one table: not it
    _record(s, audit, "pg-vacuum-analyze", "postgres (whole database)", outcome="failed")
    assert _by_id(read_calendar(s, audit, history))["vacuum"].last_done is None
    _record(s, audit, "pg-vacuum-analyze", "postgres (whole database)")
    _record(s, audit, "prune", "arc-platform")
    _record(s, audit, "update", "postgres")
    other = dataclasses.replace(s, env="staging")
    _record(other, audit, "drill", "backups")  # another environment's drill
    after = _by_id(read_calendar(s, audit, history))
    for task_id in ("vacuum", "disk", "images"):
        assert after[task_id].last_done is not None and after[task_id].last_done >= started
        assert after[task_id].status == "ok"
    assert after["drill"].last_done is None


def test_marked_done_is_audited_and_counts(tmp_path: Path) -> None:
    s = make_session(tmp_path, read_only=True)  # a record, not a mutation: allowed
    audit = AuditLog(tmp_path / "audit.jsonl")
    result = mark_done(s, "load-test", audit)
    assert result.ok, result.message
    [_started, ended] = [json.loads(x) for x in audit.path.read_text().splitlines()]
    assert ended["action"] == "maintenance-done" and ended["target"] == "load-test"
    state = _by_id(read_calendar(s, audit, SecretHistory(tmp_path / "h.json")))["load-test"]
    assert state.status == "ok" and state.source == "marked done"


def _layers(tmp_path: Path, password: str) -> EnvLayers:
    src = str(tmp_path / ".env")
    values = {
        "POSTGRES_PASSWORD": EnvValue("POSTGRES_PASSWORD", password, src, secret=True),
        "LOG_LEVEL": EnvValue("LOG_LEVEL", "info", src, secret=False),
    }
    return EnvLayers(files=(tmp_path / ".env",), values=values)


def test_secret_rotation_is_seen_by_value_hash_only(tmp_path: Path) -> None:
    history = SecretHistory(tmp_path / "state" / "secrets.json")
    audit = AuditLog(tmp_path / "audit.jsonl")
    s = dataclasses.replace(make_session(tmp_path), env_layers=_layers(tmp_path, "first-S3cret!"))
    first = _by_id(read_calendar(s, audit, history, now=1000.0))["secrets"]
    assert first.last_done is None and "unchanged since first seen" in first.detail
    raw = history.path.read_text()
    assert "first-S3cret!" not in raw and "info" not in raw  # hashes only, secrets only
    assert history.path.stat().st_mode & 0o777 == 0o600
    same = _by_id(read_calendar(s, audit, history, now=2000.0))["secrets"]
    assert same.last_done is None
    rotated = dataclasses.replace(s, env_layers=_layers(tmp_path, "second-S3cret!"))
    after = _by_id(read_calendar(rotated, audit, history, now=3000.0))["secrets"]
    assert after.last_done == 3000.0 and after.status == "ok"
    assert "second-S3cret!" not in history.path.read_text()


def test_recorded_disk_growth_makes_the_disk_check_due(tmp_path: Path) -> None:
    from arctui.ops.maintenance.disk import DataRoot, DiskReport, VolumeRow, with_growth

    s = make_session(tmp_path)
    audit = AuditLog(tmp_path / "audit.jsonl")
    history = SecretHistory(tmp_path / "secrets.json")
    _record(s, audit, "prune", "arc-platform")  # the disk check was done just now
    now = time.time()

    class Readings:  # what the recorder's store answers (tested live in test_maintenance_live)
        def __init__(self, per_day: int) -> None:
            self.per_day = per_day

        def volume_sizes(self, since: float):
            return [(now - DAY, {"pg": 0}), (now, {"pg": self.per_day})]

    def disk(per_day: int) -> DiskReport:
        report = DiskReport(
            now, volumes=(VolumeRow("pg", per_day, 1, True),), root=DataRoot("/d", 10 << 30)
        )
        return with_growth(report, Readings(per_day), now)

    fast = _by_id(read_calendar(s, audit, history, now=now, disk=disk(2 << 30)))["disk"]
    assert fast.status == "due" and fast.due_at == now
    assert fast.detail == "the data root fills in 5.0 days at the recorded growth"
    slow = _by_id(read_calendar(s, audit, history, now=now, disk=disk(100 << 20)))["disk"]
    assert slow.status == "ok" and "fills in 102 days" in slow.detail
    plain = _by_id(read_calendar(s, audit, history, now=now))["disk"]
    assert plain.status == "ok" and plain.detail == ""
