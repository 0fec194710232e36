"""Whether an action may run, whether its target is still as seen, and running it.

`check_allowed` (read-only, production rules) and `precheck` (the target read again
just before running) gate `perform`, which runs the command (or the demo's simulation)
and records exactly one audit line per attempt through `Attempt`. No Textual here.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from arctui.models import ServiceState, ServiceView
from arctui.ops.lifecycle import Action, state_class
from arctui.ops.runner import ActionResult, Outcome, run_action, run_interactive
from arctui.sources.base import SourceError

if TYPE_CHECKING:
    from arctui.ops.audit import AuditLog
    from arctui.session import Session


def check_allowed(session: Session, action: Action) -> str | None:
    """Why this action must not run in this session at all, or None."""
    if session.read_only:
        return f"read-only mode: {action.verb} is disabled (--read-only or the settings)"
    if action.verb == "clean" and session.production:
        from arctui.ops.backups.unlock import clean_refusal  # the backups decide

        return clean_refusal(session)
    return None


def applicable(action: Action, view: ServiceView) -> str | None:
    """Why the verb does not apply to the target's state (start a running one ...), or None."""
    state, name = view.state, action.target
    down = state in (ServiceState.STOPPED, ServiceState.NOT_CREATED)
    if action.verb == "start" and state is ServiceState.NOT_CREATED:
        return f"{name} has no container to start (use up or scale to create it)"
    if action.verb == "start" and state is ServiceState.RUNNING:
        return f"{name} is already running"
    if action.verb in ("stop", "kill", "restart", "pause", "shell") and down:
        hint = " (use start)" if action.verb == "restart" else ""
        return f"{name} is not running ({state.value}){hint}"
    if action.verb == "pause" and state is ServiceState.PAUSED:
        return f"{name} is already paused"
    if action.verb == "unpause" and state is not ServiceState.PAUSED:
        return f"{name} is not paused ({state.value})"
    return None


def precheck(session: Session, action: Action) -> str | None:
    """Read the target again just before running; why it must not run now, or None."""
    try:
        containers = session.reader.containers.containers(action.project)
    except SourceError as exc:
        return f"cannot re-check {action.target} before running: {exc.reason}"
    if action.scope == "stack":
        now = f"{len(containers)} containers"
        if action.verb in ("down", "kill", "restart") and not containers:
            return f"the stack has no containers now; nothing to {action.verb}"
        if action.verb != "up" and action.expected and now != action.expected:
            return (
                f"the stack changed since you looked: it had {action.expected}, now {now}."
                " Look again before deciding."
            )
        return None
    view = ServiceView(
        action.target, "", tuple(c for c in containers if c.service == action.target)
    )
    if action.expected and state_class(view.state) != action.expected:
        return (
            f"{action.target} changed since you looked: it was {action.expected},"
            f" now it is {view.state.value}. Look again before deciding."
        )
    return applicable(action, view)


def _simulate(session: Session, action: Action, on_output: Callable[[str], None]) -> ActionResult:
    simulate = getattr(session.reader.containers, "simulate_action", None)
    started = time.monotonic()
    if simulate is None:
        message = "this source cannot run actions"
        return ActionResult(Outcome.FAILED, None, 0.0, (message,), message)
    lines = simulate(action.verb, action.scope, action.target, action.replicas)
    for line in lines:
        on_output(line)
    message = "demo platform: simulated, nothing ran on a Docker engine"
    return ActionResult(
        Outcome.SIMULATED, 0, time.monotonic() - started, (*lines, message), message
    )


@dataclass
class Attempt:
    """Bookkeeping for one attempt, so every path ends in exactly one audit line."""

    session: Session
    action: Action
    audit: AuditLog | None
    recorded: bool = field(default=False)

    def finish(self, result: ActionResult) -> ActionResult:
        """Record the result once; later calls are ignored."""
        if not self.recorded and self.audit is not None:
            self.recorded = True
            error = self.audit.record(self.session, self.action, result)
            if error:
                return ActionResult(
                    result.outcome,
                    result.exit_code,
                    result.duration,
                    result.output,
                    f"{result.message} (audit log not written: {error})",
                )
        return result

    def refuse(self, reason: str, outcome: Outcome = Outcome.REFUSED) -> ActionResult:
        """End the attempt without running anything."""
        return self.finish(ActionResult(outcome, None, 0.0, (), reason))

    def unauditable(self) -> ActionResult | None:
        """A refusal when the audit record could not be written, else None.

        Checked before anything runs: a mutation without its audit line must not happen.
        """
        error = self.audit.writable() if self.audit is not None else None
        if error is None:
            return None
        self.recorded = True  # there is nowhere to record it
        message = f"the audit log cannot be written ({error}): nothing ran"
        return ActionResult(Outcome.REFUSED, None, 0.0, (), message)


def redacted(result: ActionResult, redact: Callable[[str], str]) -> ActionResult:
    """The result with its message and output redacted."""
    return dataclasses.replace(
        result,
        message=redact(result.message),
        output=tuple(redact(line) for line in result.output),
    )


def perform(
    session: Session,
    action: Action,
    on_output: Callable[[str], None],
    cancel: threading.Event,
    audit: AuditLog | None,
) -> ActionResult:
    """Check, re-read the target, run (or simulate) and audit a confirmed action.

    Every line of output and the result are redacted with the session's redactor
    (compose's own errors can quote a secret). A cancelled command's effect is read
    back from the engine: the result says whether it had done nothing, part or all.
    """
    from arctui.ops.audit import redactor_for
    from arctui.ops.readback import read_back, target_containers

    redact = redactor_for(session).redact
    attempt = Attempt(session, action, audit)
    if refusal := attempt.unauditable():
        return refusal
    reason = check_allowed(session, action) or precheck(session, action)
    if reason:
        return attempt.refuse(redact(reason))
    if cancel.is_set():
        return attempt.refuse("cancelled before it started", Outcome.CANCELLED)

    def output(line: str) -> None:
        on_output(redact(line))

    if action.simulated:
        return attempt.finish(redacted(_simulate(session, action, output), redact))
    if action.interactive:
        return attempt.refuse("an interactive command runs with perform_interactive")
    before = target_containers(session, action)
    result = run_action(action.command, output, cancel, action.cwd, session.environ)
    if result.outcome is Outcome.CANCELLED and before is not None:
        result = read_back(session, action, before, result)
    return attempt.finish(redacted(result, redact))


def perform_interactive(
    session: Session,
    action: Action,
    audit: AuditLog | None,
    runner: Callable[[Action], ActionResult] | None = None,
) -> ActionResult:
    """Check, re-read and run an interactive action (shell) on the terminal; audited.

    `runner` runs the command; the TUI passes one that suspends the app around it.
    """
    attempt = Attempt(session, action, audit)
    if refusal := attempt.unauditable():
        return refusal
    reason = check_allowed(session, action) or precheck(session, action)
    if reason:
        return attempt.refuse(reason)
    if action.simulated:
        return attempt.refuse("the demo platform has no containers to open a shell in")
    if runner is None:
        return attempt.finish(run_interactive(action.command, session.environ))
    return attempt.finish(runner(action))
