"""Lifecycle actions: whether the verb applies, whether the target is as seen, running it.

`perform` passes the one gate (`ops/gate.py`: read-only and production rules, the audit
record first, the outcome after) with `precheck` (the target read again just before
running) and runs the command (or the demo's simulation). Scale, blue-green steps and
doctor fixes are lifecycle `Action`s and take this path. No Textual here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from arctui.models import ServiceState, ServiceView
from arctui.ops.gate import Gate
from arctui.ops.lifecycle import Action, state_class
from arctui.ops.runner import ActionResult, Outcome, run_action, run_interactive
from arctui.sources.base import SourceError

if TYPE_CHECKING:
    from arctui.ops.audit import AuditLog
    from arctui.session import Session


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


def perform(
    session: Session,
    action: Action,
    on_output: Callable[[str], None],
    cancel: threading.Event,
    audit: AuditLog | None,
) -> ActionResult:
    """Check, re-read the target, run (or simulate) and audit a confirmed action.

    Through the gate: rules, the target read again, the "started" record, the command,
    the outcome record. Every line of output and the result are redacted with the
    session's redactor (compose's own errors can quote a secret). A cancelled command's
    effect is read back from the engine: the result says whether it had done nothing,
    part or all.
    """
    from arctui.ops.audit import redactor_for
    from arctui.ops.readback import read_back, target_containers

    redact = redactor_for(session).redact
    gate = Gate(session, action, audit)
    if action.interactive:
        return gate.refuse("an interactive command runs with perform_interactive")

    def output(line: str) -> None:
        on_output(redact(line))

    def work() -> ActionResult:
        if action.simulated:
            return _simulate(session, action, output)
        before = target_containers(session, action)
        result = run_action(action.command, output, cancel, action.cwd, session.environ)
        if result.outcome is Outcome.CANCELLED and before is not None:
            result = read_back(session, action, before, result)
        return result

    return gate.run(work, precheck=lambda: precheck(session, action), cancel=cancel)


def perform_interactive(
    session: Session,
    action: Action,
    audit: AuditLog | None,
    runner: Callable[[Action], ActionResult] | None = None,
) -> ActionResult:
    """Check, re-read and run an interactive action (shell) on the terminal; audited.

    `runner` runs the command; the TUI passes one that suspends the app around it.
    """
    gate = Gate(session, action, audit)
    if action.simulated:
        return gate.refuse("the demo platform has no containers to open a shell in")

    def work() -> ActionResult:
        if runner is None:
            return run_interactive(action.command, session.environ)
        return runner(action)

    return gate.run(work, precheck=lambda: precheck(session, action))
