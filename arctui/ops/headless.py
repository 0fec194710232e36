"""The headless commands' one guarded path: show the plan, ask, run it through the gate.

`arctui stop web`, `arctui update web`, `arctui prune`, `arctui run TARGET` all end here:

1. the plan is printed (summary, env and project, consequence, the exact command);
2. an audit log that cannot be written refuses before anything is asked (exit 2);
3. the gate's rules (read-only, production rules), then the production flag, then the
   confirmation: `--yes`, else the typed words (or y/N) on a terminal, else refused;
   a refusal or a decline is recorded by the gate (exit 2);
4. the work runs on a thread, Ctrl-C sets its cancel flag (the work passes the gate
   itself: the record first, then the outcome);
5. `OUTCOME: message` is printed (redacted); exit 0 done, 1 failed or cancelled.

Printed only through `arctui.output`; no Textual.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from arctui.interrupt import run_interruptible
from arctui.ops.runner import ActionResult, Outcome
from arctui.output import emit

if TYPE_CHECKING:
    from arctui.ops.audit import AuditLog
    from arctui.ops.lifecycle import Action
    from arctui.session import Session

PROD_FLAG = "--i-know-this-is-production"
STOPPING = "cancelling: stopping the command's process group ..."

LineOut = Callable[[str], None]
Work = Callable[["Action", LineOut, threading.Event], ActionResult]
Refusal = tuple[Outcome, str]


@dataclass(frozen=True)
class Hooks:
    """Where one command's guarded path differs (an image update's "test in dev first").

    - `rules_action`: the action whose rules are checked before asking (None: the action);
    - `confirmed`: the action once the operator confirmed it on the terminal;
    - `with_yes`: with `--yes`, the action to run, or a refusal.
    """

    rules_action: Callable[[Action], Action] | None = None
    confirmed: Callable[[Action], Action] | None = None
    with_yes: Callable[[Action], Action | Refusal] | None = None


def exit_code(result: ActionResult) -> int:
    """0 done (or simulated), 2 refused or declined, 1 failed or cancelled."""
    if result.ok:
        return 0
    return 2 if result.outcome in (Outcome.REFUSED, Outcome.DECLINED) else 1


def describe(action: Action) -> None:
    """The plan as the operator reads it before confirming (stderr)."""
    err = sys.stderr
    emit(action.summary, file=err)
    emit(f"  env {action.env} · project {action.project}", file=err)
    if action.consequence:
        emit(f"  {action.consequence}", file=err)
    emit(f"  command: {action.shown_command}", file=err)


def ask_unless_yes(
    confirmations: Sequence[tuple[str, str]],
    args: argparse.Namespace,
    ask: Callable[[str], str] = input,
    interactive: bool | None = None,
) -> Refusal | None:
    """`--yes`, else the typed words (or y/N) on a terminal, else refused; None: confirmed."""
    from arctui.ops.gate import ask_confirmation

    if getattr(args, "yes", False):
        return None
    interactive = sys.stdin.isatty() if interactive is None else interactive
    return ask_confirmation(confirmations, ask, interactive)


def decide(
    session: Session,
    action: Action,
    args: argparse.Namespace,
    *,
    mutates: bool = True,
    ask: Callable[[str], str] = input,
    interactive: bool | None = None,
    hooks: Hooks = Hooks(),
    audit: AuditLog | None = None,
) -> tuple[Action, Refusal | None]:
    """Rules, the production flag, then `--yes` or the terminal: the action, or a refusal."""
    from arctui.ops.gate import Gate

    checked = hooks.rules_action(action) if hooks.rules_action else action
    if reason := Gate(session, checked, audit, mutates=mutates).rules():
        return action, (Outcome.REFUSED, reason)
    if mutates and session.production and not getattr(args, "production_ok", False):
        return action, (Outcome.REFUSED, f"{session.env} is production: add {PROD_FLAG} to proceed")
    if not getattr(args, "yes", False):
        refusal = ask_unless_yes(action.confirmations, args, ask, interactive)
        if refusal is None and hooks.confirmed is not None:
            action = hooks.confirmed(action)
        return action, refusal
    if hooks.with_yes is not None:
        chosen = hooks.with_yes(action)
        return (action, chosen) if isinstance(chosen, tuple) else (chosen, None)
    return action, None


def run_guarded(
    session: Session,
    action: Action,
    args: argparse.Namespace,
    work: Work,
    *,
    mutates: bool = True,
    ask: Callable[[str], str] = input,
    interactive: bool | None = None,
    hooks: Hooks = Hooks(),
    stopping: str = STOPPING,
    name: str = "arctui-action",
    audit: AuditLog | None = None,
) -> int:
    """Show, refuse or confirm, run `work(action, line_out, cancel)`, say the outcome; exit code."""
    from arctui.ops.audit import AuditLog, redactor_for
    from arctui.ops.gate import Gate

    audit = audit if audit is not None else AuditLog()
    err = sys.stderr
    describe(action)
    if unwritable := audit.writable():  # before asking: nothing may run anyway
        emit(f"REFUSED: the audit log cannot be written ({unwritable}): nothing ran", file=err)
        emit("  fix: make the state directory writable (XDG_STATE_HOME)", file=err)
        return 2
    action, refusal = decide(
        session,
        action,
        args,
        mutates=mutates,
        ask=ask,
        interactive=interactive,
        hooks=hooks,
        audit=audit,
    )
    if refusal is not None:
        result = Gate(session, action, audit, mutates=mutates).refuse(refusal[1], refusal[0])
    else:
        result = _run(action, work, stopping, name)
    emit(f"{result.outcome.upper()}: {result.message}", file=err, redactor=redactor_for(session))
    if result.outcome is Outcome.REFUSED and "audit log cannot be written" in result.message:
        emit("  fix: free space or make the state directory writable", file=err)
    return exit_code(result)


def _run(action: Action, work: Work, stopping: str, name: str) -> ActionResult:
    cancel = threading.Event()

    def line_out(line: str) -> None:
        emit(line)
        sys.stdout.flush()

    def body() -> ActionResult:
        try:
            return work(action, line_out, cancel)
        except Exception as exc:  # recorded by the gate; said here, never a traceback
            return ActionResult(Outcome.FAILED, None, 0.0, (), f"unexpected error: {exc!r}")

    def interrupted() -> None:
        emit(stopping, file=sys.stderr)
        cancel.set()

    return run_interruptible(body, interrupted, name=name)
