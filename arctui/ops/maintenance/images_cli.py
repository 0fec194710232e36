"""`arctui images [--json] [--refresh]` and `arctui update SERVICE [--yes]`.

`images`: per service, the image, what runs (id, digest) and whether the registry has
a newer digest for the tag. `update`: the guarded update with health-gated rollback;
exit 0 updated (or nothing to do), 1 failed (rolled back, said), 2 refused or
declined, 3 the engine cannot be read. Printed only through `arctui.output`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from threading import Event
from typing import TYPE_CHECKING

from arctui.ops.runner import Outcome
from arctui.output import emit, emit_json, emit_table, error
from arctui.sources.base import SourceError

if TYPE_CHECKING:
    from arctui.ops.lifecycle import Action
    from arctui.ops.maintenance.images import ImagesReport
    from arctui.ops.runner import ActionResult
    from arctui.session import Session

COMMANDS = ("images", "update")
SAFE_OUTPUT = True
PROD_FLAG = "--i-know-this-is-production"


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`images` and `update`."""
    p = sub.add_parser("images", help="each service's image and whether an update is available")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--refresh", action="store_true", help="ask the registries again (no cache)")
    u = sub.add_parser(
        "update", help="pull and recreate one service; rolled back if it is not healthy"
    )
    u.add_argument("service")
    u.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    u.add_argument(
        PROD_FLAG,
        dest="production_ok",
        action="store_true",
        help="required to change a production environment",
    )
    u.add_argument(
        "--confirm-env",
        metavar="ENV",
        default=None,
        help="the environment name, typed: with --yes, needed in production for a digest"
        " that never ran healthy in another environment",
    )


def run(session: Session, args: argparse.Namespace) -> int:
    """Dispatch `images` or `update`."""
    if args.command == "images":
        return images_command(session, args.json, args.refresh)
    return update_command(session, args)


def _short(value: str, n: int = 19) -> str:
    return value[:n] if value else "-"


def print_report(report: ImagesReport) -> None:
    """The table an operator reads (sanitized: image names come from compose files)."""
    rows = [("SERVICE", "IMAGE", "RUNNING", "DIGEST", "REGISTRY", "STATUS")]
    for r in report.rows:
        status = r.status + (" (cached)" if r.cached else "")
        rows.append(
            (
                r.service,
                r.image,
                _short(r.running_id.removeprefix("sha256:"), 12),
                _short(r.local_digest),
                _short(r.remote_digest),
                status,
            )
        )
    # Cells are redacted before they are measured: a masked tag keeps its columns.
    emit_table(rows, caps=(40, 40, 40, 40, 40, None))
    for r in report.rows:
        if r.reason:
            mark = "!" if r.flagged else "-"
            emit(f"{mark} {r.service}: {r.reason}")
    available = sum(r.update_available for r in report.rows)
    cached = sum(r.cached for r in report.rows)
    emit(
        f"{available} update(s) available · {len(report.rows)} services checked in"
        f" {report.elapsed:.2f} s ({cached} answers from the cache)",
        file=sys.stderr,
    )
    if report.note:
        emit(f"note: {report.note}", file=sys.stderr)


def images_command(session: Session, as_json: bool, refresh: bool = False) -> int:
    """`arctui images`: 0, or 3 when the engine cannot be read."""
    from arctui.ops.maintenance.images import ImagesChecker

    try:
        report = ImagesChecker(session).read(force=refresh)
    except SourceError as exc:
        error(exc.reason + (f"\n  fix: {exc.fix}" if exc.fix else ""))
        return 3
    if as_json:
        emit_json(report.as_json())
    else:
        if report.error:
            error(report.error)
            return 3
        print_report(report)
    return 3 if report.error else 0


def update_command(
    session: Session,
    args: argparse.Namespace,
    ask: Callable[[str], str] = input,
    interactive: bool | None = None,
) -> int:
    """`arctui update SERVICE`: plan, refuse or confirm, run, audit; the exit code."""
    from arctui.ops.audit import AuditLog
    from arctui.ops.headless import Hooks, run_guarded
    from arctui.ops.lifecycle import ActionError
    from arctui.ops.maintenance.images import ImagesChecker
    from arctui.ops.maintenance.update import (
        UpdateAction,
        confirmed,
        perform_update,
        plan_update,
    )

    audit = AuditLog()
    try:
        action = plan_update(session, args.service, ImagesChecker(session), audit, force=True)
    except ActionError as exc:
        error(exc)
        return 2
    except SourceError as exc:
        error(exc.reason + (f"\n  fix: {exc.fix}" if exc.fix else ""))
        return 3

    def untested_ok(planned: Action) -> Action:
        assert isinstance(planned, UpdateAction)
        return dataclasses.replace(planned, untested_ok=True)

    def typed(planned: Action) -> Action:
        assert isinstance(planned, UpdateAction)
        return confirmed(planned)

    def with_yes(planned: Action) -> Action | tuple[Outcome, str]:
        if args.confirm_env is None:
            return planned
        if args.confirm_env.strip() != session.env:
            return (Outcome.REFUSED, "--confirm-env is not this environment's name")
        return untested_ok(planned)

    # Everything but "test in dev first" is refused before asking (that one needs the ask).
    hooks = Hooks(rules_action=untested_ok, confirmed=typed, with_yes=with_yes)

    def work(planned: Action, line_out: Callable[[str], None], cancel: Event) -> ActionResult:
        assert isinstance(planned, UpdateAction)
        return perform_update(session, planned, line_out, cancel, audit)

    return run_guarded(
        session,
        action,
        args,
        work,
        ask=ask,
        interactive=interactive,
        hooks=hooks,
        stopping="cancelling: the update stops and rolls back ...",
        name="arctui-update",
        audit=audit,
    )
