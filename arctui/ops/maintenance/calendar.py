"""The guide's maintenance calendar: each task, when it was last done, whether it is due.

The tasks are the guide's "Maintenance Windows" (weekly, monthly, quarterly) and its daily
backups. "Last done" comes from what arctui can see, never from a guess:

- the audit log: a whole-database VACUUM ANALYZE, a prune, an image update, a security
  audit run from here, a drill, a backup; and "marked done" entries an operator records
  for the tasks only a person can do (reviewing logs, load testing);
- the backup directory: the newest verified backup of this environment, the drills' runs;
- the env files: when a secret's value last changed, from a small state file that keeps
  a salted hash of each secret value (never the value) and when it changed;
- the recorder's volume sizes (through the Disk report): the disk check is due, whenever
  it was last done, once the data root fills within `DISK_URGENT_DAYS` at that growth.

A task arctui cannot do itself (load testing, archiving traces) says so, and can only be
marked done. No Textual here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arctui.config.settings import state_dir
from arctui.ops.audit import AuditLog

if TYPE_CHECKING:
    from arctui.ops.maintenance.disk import DiskReport
    from arctui.session import Session

DAY = 86400.0
PERIODS = {"daily": DAY, "weekly": 7 * DAY, "monthly": 30 * DAY, "quarterly": 91 * DAY}
SECRETS_FILE = "secret-history.json"
AUDIT_SCAN = 5000  # attempts read back from the audit log
DONE_VERB = "maintenance-done"
SECURITY_VERB = "security-audit"
UPDATE_VERBS = frozenset({"update", "image-update"})
DISK_URGENT_DAYS = 14.0  # the data root full sooner than this: check disk now


@dataclass(frozen=True)
class TaskDef:
    """One task of the guide's calendar and the action that does it."""

    id: str
    period: str
    title: str
    action: str  # what the Maintenance tab does for it (a key away); "" for none
    how: str  # the same said for a person: a key, or a headless command
    can_do: bool = True  # False: arctui cannot do it (it can only be marked done)


TASKS: tuple[TaskDef, ...] = (
    TaskDef("backup", "daily", "Verified backups", "backup", "arctui backup"),
    TaskDef("disk", "weekly", "Check disk usage", "disk", "Disk panel, arctui disk / prune"),
    TaskDef("error-logs", "weekly", "Review error logs", "logs", "Logs tab, level error"),
    TaskDef("slow-queries", "weekly", "Slowest queries", "queries", "Postgres tab, Q"),
    TaskDef("secrets", "monthly", "Rotate secrets", "env", "edit the env files, then recreate"),
    TaskDef("images", "monthly", "Upgrade images", "images", "arctui update"),
    TaskDef("vacuum", "monthly", "VACUUM ANALYZE", "vacuum", "Postgres tab, V"),
    TaskDef("archive", "monthly", "Archive traces, logs", "", "Loki/Tempo retention", False),
    TaskDef("drill", "quarterly", "DR drill", "drill", "arctui drill"),
    TaskDef("load-test", "quarterly", "Load testing", "", "outside arctui", False),
    TaskDef("security", "quarterly", "Security audit", "security", "the doctor's security check"),
)


@dataclass(frozen=True)
class TaskState:
    """One task as the calendar shows it."""

    task: TaskDef
    last_done: float | None
    source: str  # where "last done" came from
    status: str  # ok | due | overdue | never
    due_at: float | None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        """As plain data (`arctui maintenance --json`)."""
        t = self.task
        return {
            "id": t.id,
            "period": t.period,
            "title": t.title,
            "last_done": self.last_done,
            "source": self.source,
            "status": self.status,
            "due_at": self.due_at,
            "action": t.how,
            "arctui_can_do_it": t.can_do,
            "detail": self.detail,
        }


def status_of(period: str, last: float | None, now: float) -> tuple[str, float | None]:
    """ok, due (the period has passed) or overdue (by a quarter period more); never."""
    if last is None:
        return "never", None
    length = PERIODS[period]
    due = last + length
    if now < due:
        return "ok", due
    return ("overdue" if now >= due + length / 4 else "due"), due


def _when(entry: dict[str, Any]) -> float | None:
    try:
        return datetime.fromisoformat(str(entry.get("time"))).timestamp()
    except (TypeError, ValueError):
        return None


Found = tuple[float, str] | None


def _newest(*found: Found) -> Found:
    real = [f for f in found if f is not None]
    return max(real, key=lambda f: f[0]) if real else None


class Evidence:
    """What the calendar reads once per reading: the audit log, backups, secrets."""

    def __init__(self, entries: Sequence[dict[str, Any]], project: str, env: str) -> None:
        self.entries = [
            e
            for e in entries
            if e.get("project") == project and e.get("env") == env and e.get("outcome") == "ok"
        ]

    def audited(self, what: str, pred: Callable[[dict[str, Any]], bool]) -> Found:
        """The newest successful audit entry matching `pred`."""
        best: Found = None
        for e in self.entries:
            when = _when(e)
            if when is not None and pred(e) and (best is None or when > best[0]):
                best = (when, what)
        return best

    def marked(self, task_id: str) -> Found:
        """The newest "marked done" entry of a task."""
        return self.audited(
            "marked done", lambda e: e.get("action") == DONE_VERB and e.get("target") == task_id
        )

    def verb(self, verbs: Iterable[str], what: str, contains: str = "") -> Found:
        """The newest successful entry of one of these verbs (its target containing text)."""
        names = frozenset(verbs)
        return self.audited(
            what, lambda e: e.get("action") in names and contains in str(e.get("target", ""))
        )


def _backups(session: Session) -> tuple[Found, Found]:
    """(newest verified backup of this env, newest successful drill) from the backup dir."""
    from arctui.ops.backups.settings import backup_settings
    from arctui.ops.backups.store import BackupStore

    try:
        store = BackupStore(backup_settings(session).directory)
        manifests = store.backups()
        runs = store.runs()
    except Exception:  # an unreadable backup directory: the audit log still answers
        return None, None
    ok = [m for m in manifests if m.verified and m.env == session.env]
    backup: Found = None
    if ok:
        newest = max(ok, key=lambda m: m.created_at)
        backup = (newest.created_at, f"backup {newest.id}")
    drills = [r for r in runs if r.get("action") == "drill" and r.get("outcome") == "ok"]
    drill: Found = None
    with contextlib.suppress(TypeError, ValueError):
        if drills:
            drill = (float(max(float(r.get("at") or 0) for r in drills)), "drill run")
    return backup, drill


# Secrets ------------------------------------------------------------------------
def _secret_values(session: Session) -> dict[str, str]:
    """`<file>:<KEY>` -> value for every secret set in an env file (not the process env)."""
    layers = session.env_layers
    if layers is None:
        return {}
    out: dict[str, str] = {}
    values = [*layers.values.values(), *layers.replaced]
    for scoped in layers.per_service.values():
        values += list(scoped.values())
    for v in values:
        if v.secret and v.value and v.source != "process environment":
            out[f"{v.source}:{v.key}"] = v.value
    return out


class SecretHistory:
    """Salted hashes of secret values and when each last changed (0600, state dir)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / SECRETS_FILE

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def observe(self, scope: str, values: dict[str, str], now: float) -> tuple[Found, str]:
        """Record the hashes of `values`; (when a secret last changed, a detail line)."""
        data = self._load()
        salt = data.get("salt")
        if not isinstance(salt, str) or len(salt) < 16:
            salt = secrets.token_hex(16)
            data = {"salt": salt, "scopes": {}}
        scopes = data.setdefault("scopes", {})
        known = scopes.setdefault(scope, {})
        dirty = False
        for name, value in values.items():
            digest = hashlib.sha256((salt + value).encode("utf-8", "surrogatepass")).hexdigest()
            entry = known.get(name)
            if not isinstance(entry, dict):
                known[name] = {"hash": digest, "first_seen": now, "changed_at": None}
                dirty = True
            elif entry.get("hash") != digest:
                entry.update(hash=digest, changed_at=now)
                dirty = True
        if dirty:
            with contextlib.suppress(OSError):  # the calendar still shows what it knows
                self._save(data)
        entries = [known[n] for n in values if isinstance(known.get(n), dict)]
        changed = [float(e["changed_at"]) for e in entries if e.get("changed_at")]
        never = [e for e in entries if not e.get("changed_at")]
        detail = f"{len(values)} secrets in the env files"
        if never:
            since = min(float(e.get("first_seen") or now) for e in never)
            detail += (
                f"; {len(never)} unchanged since first seen"
                f" {datetime.fromtimestamp(since).strftime('%Y-%m-%d')}"
            )
        found: Found = (max(changed), "a secret value changed") if changed else None
        return found, detail


# The calendar -----------------------------------------------------------------
def read_calendar(
    session: Session,
    audit: AuditLog | None = None,
    history: SecretHistory | None = None,
    now: float | None = None,
    disk: DiskReport | None = None,
) -> tuple[TaskState, ...]:
    """Every task with its last done, status and the action that does it (`disk`: the
    Disk report, whose recorded growth can make the disk check due)."""
    now = session.clock() if now is None else now
    audit = audit if audit is not None else AuditLog()
    try:
        entries = audit.read(AUDIT_SCAN)
        audit_note = ""
    except OSError as exc:
        entries, audit_note = [], f"audit log unreadable: {exc.strerror or exc}"
    ev = Evidence(entries, session.project, session.env)
    backup, drill = (None, None) if session.demo else _backups(session)
    secret_found: Found = None
    secret_detail = "no env files read (demo)" if session.demo else ""
    if not session.demo:
        scope = f"{session.project}/{session.env}"
        secret_found, secret_detail = (history or SecretHistory()).observe(
            scope, _secret_values(session), now
        )
    found: dict[str, Found] = {
        "backup": _newest(backup, ev.verb(("backup",), "backup (audit log)")),
        "disk": ev.verb(("prune",), "prune"),
        "secrets": secret_found,
        "images": ev.verb(UPDATE_VERBS, "image update"),
        "vacuum": ev.verb(("pg-vacuum-analyze",), "VACUUM ANALYZE", "(whole database)"),
        "drill": _newest(drill, ev.verb(("drill",), "drill (audit log)")),
        "security": ev.verb((SECURITY_VERB,), "security check"),
    }
    out = []
    for task in TASKS:
        last = _newest(found.get(task.id), ev.marked(task.id))
        status, due = status_of(task.period, last[0] if last else None, now)
        detail = secret_detail if task.id == "secrets" else ""
        if task.id == "disk" and disk is not None and disk.days_left is not None:
            from arctui.ops.maintenance.disk import days_text

            detail = f"the data root fills in {days_text(disk.days_left)} at the recorded growth"
            if disk.days_left < DISK_URGENT_DAYS and status == "ok":
                status, due = "due", now  # done lately, but the disk fills soon
        if not task.can_do:
            detail = "arctui cannot do this: mark it done when it is"
        if audit_note:
            detail = "; ".join(x for x in (detail, audit_note) if x)
        when, source = last if last else (None, "")
        out.append(TaskState(task, when, source, status, due, detail))
    return tuple(out)


def task(task_id: str) -> TaskDef:
    """A task by id (KeyError if unknown)."""
    for t in TASKS:
        if t.id == task_id:
            return t
    raise KeyError(task_id)
