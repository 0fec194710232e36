"""Headless lifecycle subcommands (`arctui stop gateway`, `arctui clean --yes` ...) and `audit`.

The same `ops.lifecycle` functions as the TUI: plan, check, confirm, perform, audit.
Exit codes: 0 done, 1 failed or cancelled, 2 refused or declined, 3 engine unreachable.
Everything printed goes through `arctui.output` (sanitized and redacted like the TUI).
Never imports Textual.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from threading import Event
from typing import TYPE_CHECKING

from arctui.output import emit, emit_json, error
from arctui.sources.base import SourceError

if TYPE_CHECKING:  # imported where used: `arctui status` builds this parser too
    from arctui.ops.lifecycle import Action
    from arctui.ops.runner import ActionResult
    from arctui.session import Session

PROD_FLAG = "--i-know-this-is-production"  # arctui.ops.headless.PROD_FLAG (not imported: lazy)
_SERVICE_ONLY = ("start", "stop", "pause", "unpause")
_EITHER = ("kill", "restart")
_STACK_ONLY = ("up", "down", "clean")
VERBS = (*_STACK_ONLY, *_EITHER, *_SERVICE_ONLY, "scale")


def _replicas(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError("replicas must be a whole number")
    return int(value)


def _seconds(value: str) -> int:
    # `-t -5` used to become `-t 0`: an immediate SIGKILL nobody asked for.
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r}: seconds must be a whole number >= 0")
    return int(value)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: must be a whole number >= 1")
    return int(value)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the lifecycle subcommands and `audit` to the CLI."""
    helps = {
        "up": "start the stack (docker compose up -d)",
        "down": "stop and remove the stack's containers (volumes kept)",
        "clean": "remove the stack's containers AND volumes (down -v: data loss)",
        "kill": "kill a service, or the whole stack without SERVICE",
        "restart": "restart a service, or the whole stack without SERVICE",
        "start": "start a stopped service",
        "stop": "stop a service gracefully",
        "pause": "pause a service",
        "unpause": "unpause a service",
        "scale": "run N replicas of a service (up -d --scale)",
    }
    for verb in VERBS:
        p = sub.add_parser(verb, help=helps[verb])
        if verb in _SERVICE_ONLY or verb == "scale":
            p.add_argument("service")
        elif verb in _EITHER:
            p.add_argument("service", nargs="?", help="omit for the whole stack")
        if verb == "scale":
            p.add_argument("replicas", type=_replicas)
        if verb in ("stop", "restart"):
            p.add_argument("-t", "--timeout", type=_seconds, help="seconds before SIGKILL")
        if verb == "up":
            p.add_argument("--wait", action="store_true", help="wait until services are healthy")
        p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
        p.add_argument(
            PROD_FLAG,
            dest="production_ok",
            action="store_true",
            help="required to change a production environment",
        )
        p.add_argument(  # the global --engine NAME=HOST adds engines; this one picks one
            "--engine",
            dest="target_engine",
            metavar="NAME",
            help="the engine to act on (needed when the service runs on several)",
        )
    audit = sub.add_parser("audit", help="print the audit log of actions")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    audit.add_argument("-n", "--lines", type=_positive, default=50, help="how many entries (50)")


def run_action_command(
    session: Session,
    args: argparse.Namespace,
    ask: Callable[[str], str] = input,
    interactive: bool | None = None,
) -> int:
    """`arctui <verb> [SERVICE] ...`: plan, refuse or confirm, run, audit; the exit code."""
    import arctui.ops.backups.unlock  # noqa: F401  (registers the production clean check)
    from arctui.ops.audit import AuditLog
    from arctui.ops.fleet_read import EngineChoiceError, endpoint, pick_engine
    from arctui.ops.headless import run_guarded
    from arctui.ops.lifecycle import ActionError, plan_action
    from arctui.ops.perform import perform

    audit = AuditLog()
    try:  # the action goes through ITS engine's session: env, production, read-only, audit
        session = pick_engine(
            session, getattr(args, "target_engine", None), getattr(args, "service", None)
        )
    except EngineChoiceError as exc:
        error(exc)
        return 2
    if session.fleet.multi:
        emit(f"engine {session.engine_name} ({endpoint(session)})", file=sys.stderr)
    try:
        action = plan_action(
            session,
            args.command,
            getattr(args, "service", None),
            replicas=getattr(args, "replicas", None),
            timeout=getattr(args, "timeout", None),
            wait=getattr(args, "wait", False),
        )
    except ActionError as exc:
        error(exc)
        return 2
    except SourceError as exc:
        error(exc.reason + (f"\n  fix: {exc.fix}" if exc.fix else ""))
        return 3

    def work(planned: Action, line_out: Callable[[str], None], cancel: Event) -> ActionResult:
        return perform(session, planned, line_out, cancel, audit)

    return run_guarded(session, action, args, work, ask=ask, interactive=interactive, audit=audit)


def audit_command(args: argparse.Namespace) -> int:
    """`arctui audit [--json] [-n N]`: the last entries, oldest first."""
    from arctui.ops.audit import AuditLog, format_entry

    log = AuditLog()
    try:
        entries = log.read(max(1, args.lines))
    except OSError as exc:
        error(f"cannot read the audit log {log.path}: {exc.strerror or exc}")
        emit("  fix: XDG_STATE_HOME (or ~/.local/state) must be a directory", file=sys.stderr)
        return 2
    if args.json:
        for entry in entries:
            emit_json(entry, indent=None)
        return 0
    if not entries:
        emit(f"no audit entries in {log.path}", file=sys.stderr)
        return 0
    for entry in entries:
        row, command = format_entry(entry)
        emit(row)
        emit(f"    {command}")
        if entry.get("outcome") not in ("ok", "simulated") and entry.get("detail"):
            detail = str(format_entry({"command": entry["detail"]})[1])
            emit(f"    ↳ {detail[:300]}")
    return 0
