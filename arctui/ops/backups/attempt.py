"""The gated frame of every backup operation: its result, its context, the gate.

Every operation (take.py: backup, verify, delete, prune; restore.py; drill.py) runs its
work through `gated`:
- the one gate (`ops/gate.py`): refused in read-only mode (verify still runs: it only
  reads the backup and the archive, and records the verdict in the manifest); a
  "started" record is written (fsynced) BEFORE anything runs, and if it cannot be
  written nothing runs; the outcome is a second line;
- the backup directory's lock, so two runs never interleave;
- a `RunResult`, never an exception for an expected failure.
Confirmation (typed project name, env name in production) is the caller's job, as for
the lifecycle actions; `confirmations()` says what to ask.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from arctui.config.backups import BackupSettings
from arctui.ops.audit import AuditLog
from arctui.ops.backups.common import BackupError, Cancelled, Progress, no_progress
from arctui.ops.backups.settings import backup_settings
from arctui.ops.backups.store import BackupStore, Manifest
from arctui.ops.gate import Gate
from arctui.ops.lifecycle import Action
from arctui.ops.runner import ActionResult, Outcome

if TYPE_CHECKING:
    from arctui.session import Session


@dataclass(frozen=True)
class RunResult:
    """How one backup operation ended."""

    action: str
    target: str
    outcome: Outcome
    message: str
    duration: float = 0.0
    manifest: Manifest | None = None
    details: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when it did what was asked (or the demo simulated it)."""
        return self.outcome in (Outcome.OK, Outcome.SIMULATED)

    def action_result(self) -> ActionResult:
        """As every other mutation's result (the gate's record, the shared modal)."""
        code = 0 if self.ok else 1
        return ActionResult(self.outcome, code, self.duration, self.details, self.message)


@dataclass
class Context:
    """What every operation needs: session, settings, store, audit, progress, cancel."""

    session: Session
    settings: BackupSettings
    store: BackupStore
    audit: AuditLog
    progress: Progress = no_progress
    cancel: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def of(
        cls,
        session: Session,
        audit: AuditLog | None = None,
        progress: Progress = no_progress,
        cancel: threading.Event | None = None,
        settings: BackupSettings | None = None,
    ) -> Context:
        """A context with the session's settings and the default audit log."""
        settings = settings or backup_settings(session)
        return cls(
            session,
            settings,
            BackupStore(settings.directory),
            audit or AuditLog(),
            progress,
            cancel or threading.Event(),
        )


def confirmations(session: Session, action: str) -> tuple[tuple[str, str], ...]:
    """What the operator must type: the project for restore/delete, the env in production."""
    out: list[tuple[str, str]] = []
    if action in ("restore", "backup-delete"):
        out.append(("project name", session.project))
    if session.production:
        out.append(("environment name", session.env))
    return tuple(out)


def mutation(session: Session, action: str, scope: str, target: str, command: str) -> Action:
    """A backup operation as the `Action` the gate checks and records."""
    return Action(
        verb=action,
        scope=scope,
        target=target,
        project=session.project,
        env=session.env,
        command=(command,),
        summary=command,
        production=session.production,
        confirmations=confirmations(session, action),
        simulated=session.demo,
        display=command,
    )


def _as_run_result(action: str, target: str, result: ActionResult) -> RunResult:
    return RunResult(action, target, result.outcome, result.message, result.duration)


def refuse(
    ctx: Context,
    action: str,
    target: str,
    command: str,
    reason: str,
    outcome: Outcome = Outcome.REFUSED,
) -> RunResult:
    """Record a refusal or a decline at the confirmation (nothing ran) and return it."""
    gate = Gate(ctx.session, mutation(ctx.session, action, "backups", target, command), ctx.audit)
    return _as_run_result(action, target, gate.refuse(reason, outcome))


def gated(
    ctx: Context,
    action: str,
    scope: str,
    target: str,
    command: str,
    work: Callable[[], RunResult],
    *,
    mutates: bool = True,
) -> RunResult:
    """Through the gate: rules, the record first (no record, no run), lock, `work`, outcome."""
    gate = Gate(
        ctx.session, mutation(ctx.session, action, scope, target, command), ctx.audit,
        mutates=mutates,
    )  # fmt: skip
    box: list[RunResult] = []

    def run() -> ActionResult:
        try:
            if ctx.session.demo:
                result = RunResult(
                    action,
                    target,
                    Outcome.SIMULATED,
                    "demo platform: simulated, nothing ran on a Docker engine",
                )
            else:
                with ctx.store.locked():
                    result = work()
        except Cancelled as exc:
            result = RunResult(action, target, Outcome.CANCELLED, exc.reason)
        except BackupError as exc:
            message = exc.reason + (f" (fix: {exc.fix})" if exc.fix else "")
            result = RunResult(action, target, Outcome.FAILED, message)
        box.append(result)
        return result.action_result()

    ended = gate.run(run)
    if not box:  # refused by the gate: nothing ran
        return _as_run_result(action, target, ended)
    return replace(box[0], message=ended.message, duration=box[0].duration or ended.duration)
