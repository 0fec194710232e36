"""Calendar actions that change nothing on the platform but must be recorded: "marked done"
and the security audit (the doctor's security check). Both pass the gate with
`mutates=False` (they run in read-only mode too) so the audit log is what the calendar
reads back as "last done". No Textual here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arctui.ops.gate import Gate
from arctui.ops.lifecycle import Action
from arctui.ops.maintenance.calendar import DONE_VERB, SECURITY_VERB, task
from arctui.ops.runner import ActionResult, Outcome

if TYPE_CHECKING:
    from arctui.ops.audit import AuditLog
    from arctui.ops.doctor.models import WizardResult
    from arctui.session import Session


def mark_done_action(session: Session, task_id: str) -> Action:
    """Record that a task was done (by a person, or outside arctui). KeyError: no such task."""
    t = task(task_id)
    return Action(
        verb=DONE_VERB,
        scope="maintenance",
        target=t.id,
        project=session.project,
        env=session.env,
        command=(),
        summary=f"Mark done: {t.title}",
        display=f"arctui maintenance --done {t.id}",
    )


def mark_done(session: Session, task_id: str, audit: AuditLog | None) -> ActionResult:
    """Through the gate: one audit entry the calendar reads as "last done"."""
    action = mark_done_action(session, task_id)
    return Gate(session, action, audit, mutates=False).run(
        lambda: ActionResult(Outcome.OK, 0, 0.0, (), "marked done")
    )


def security_action(session: Session) -> Action:
    """The quarterly security audit: the doctor's security check, recorded."""
    return Action(
        verb=SECURITY_VERB,
        scope="maintenance",
        target="security",
        project=session.project,
        env=session.env,
        command=(),
        summary="Security audit: the doctor's security check",
        display="arctui doctor --wizard security",
    )


def security_audit(
    session: Session, audit: AuditLog | None
) -> tuple[ActionResult, WizardResult | None]:
    """Run the security check through the gate; its findings are the result's output."""
    from arctui.ops.doctor import WIZARDS, run_wizard
    from arctui.ops.doctor.context import DoctorContext

    found: list[WizardResult] = []

    def work() -> ActionResult:
        wizard = next(w for w in WIZARDS if w.id == "security")
        ctx = DoctorContext(session)
        try:
            result = run_wizard(wizard, ctx)
        finally:
            ctx.close()
        found.append(result)
        if result.error:
            return ActionResult(Outcome.FAILED, None, 0.0, (), result.error)
        lines = tuple(f"{f.severity}: {f.title}" for f in result.findings)
        message = f"{len(result.findings)} findings" if result.findings else "no findings"
        return ActionResult(Outcome.OK, 0, 0.0, lines, message)

    outcome = Gate(session, security_action(session), audit, mutates=False).run(work)
    return outcome, (found[0] if found else None)
