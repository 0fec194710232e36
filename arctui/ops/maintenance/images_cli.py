"""`arctui images [--json] [--refresh]` and `arctui update SERVICE [--yes]`.

`images`: per service, the image, what runs (id, digest) and whether the registry has
a newer digest for the tag. `update`: the guarded update with health-gated rollback;
exit 0 updated (or nothing to do), 1 failed (rolled back, said), 2 refused or
declined, 3 the engine cannot be read. Printed only through `arctui.output`.

Several engines (issue 24): `images` checks every engine (an ENGINE column, `--json` is
`{"engines": [...]}`, exit 3 when one cannot be read; `--engine NAME` for one);
`update` goes to one engine, under that engine's rules: `--engine NAME`, or the only
engine that runs the service (refused, naming the engines, when several run it).
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
    p.add_argument(  # the global --engine NAME=HOST adds engines; this one picks one
        "--engine", dest="target_engine", metavar="NAME", help="this engine's only (default: all)"
    )
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
    u.add_argument(
        "--engine",
        dest="target_engine",
        metavar="NAME",
        help="the engine to update on (needed when the service runs on several)",
    )


def run(session: Session, args: argparse.Namespace) -> int:
    """Dispatch `images` or `update`."""
    if args.command == "images":
        return images_command(session, args.json, args.refresh, args.target_engine)
    return update_command(session, args)


def _short(value: str, n: int = 19) -> str:
    return value[:n] if value else "-"


def print_report(report: ImagesReport, engine: str = "") -> None:
    """The table an operator reads (sanitized: image names come from compose files).
    `engine`: several engines, the ENGINE column and every line name it."""
    first: tuple[str, ...] = ("ENGINE",) if engine else ()
    rows = [(*first, "SERVICE", "IMAGE", "RUNNING", "DIGEST", "REGISTRY", "STATUS")]
    mine = (engine,) if engine else ()
    where = f"{engine}/" if engine else ""
    for r in report.rows:
        status = r.status + (" (cached)" if r.cached else "")
        rows.append(
            (
                *mine,
                r.service,
                r.image,
                _short(r.running_id.removeprefix("sha256:"), 12),
                _short(r.local_digest),
                _short(r.remote_digest),
                status,
            )
        )
    # Cells are redacted before they are measured: a masked tag keeps its columns.
    emit_table(rows, caps=(*((40,) if engine else ()), 40, 40, 40, 40, 40, None))
    for r in report.rows:
        if r.reason:
            mark = "!" if r.flagged else "-"
            emit(f"{mark} {where}{r.service}: {r.reason}")
    available = sum(r.update_available for r in report.rows)
    cached = sum(r.cached for r in report.rows)
    on = f"engine {engine}: " if engine else ""
    emit(
        f"{on}{available} update(s) available · {len(report.rows)} services checked in"
        f" {report.elapsed:.2f} s ({cached} answers from the cache)",
        file=sys.stderr,
    )
    if report.note:
        emit(f"note: {report.note}", file=sys.stderr)


def images_command(
    session: Session, as_json: bool, refresh: bool = False, engine: str | None = None
) -> int:
    """`arctui images`: 0, or 3 when the engine cannot be read; every engine's, or
    `engine`'s only (2: no such engine)."""
    from arctui.ops.fleet_read import EngineChoiceError, pick_engine
    from arctui.ops.maintenance.images import ImagesChecker

    if engine is not None or session.fleet.multi:
        try:
            chosen = (pick_engine(session, engine, None),) if engine else session.fleet.all
        except EngineChoiceError as exc:
            error(exc)
            return 2
        if len(chosen) > 1:
            return _fleet_images(chosen, as_json, refresh)
        session = chosen[0]
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


def _fleet_images(sessions: tuple[Session, ...], as_json: bool, refresh: bool) -> int:
    """Every engine's images at once: a table each (ENGINE column), or one JSON."""
    from arctui.ops.maintenance.images_fleet import checkers_for, fleet_images

    engines = fleet_images(list(checkers_for(sessions).values()), force=refresh)
    if as_json:
        emit_json({"engines": [e.as_json() for e in engines]})
    for e in engines if not as_json else ():
        name = e.engine + ("!" if e.production else "")
        if e.report.error:
            error(f"engine {name}: {e.report.error}")
            continue
        print_report(e.report, name)
    return 3 if any(e.report.error for e in engines) else 0


def update_command(
    session: Session,
    args: argparse.Namespace,
    ask: Callable[[str], str] = input,
    interactive: bool | None = None,
) -> int:
    """`arctui update SERVICE`: plan, refuse or confirm, run, audit; the exit code."""
    from arctui.ops.audit import AuditLog
    from arctui.ops.fleet_read import EngineChoiceError, endpoint, pick_engine
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
    try:  # the update goes through ITS engine's session: env, production, read-only
        session = pick_engine(session, getattr(args, "target_engine", None), args.service)
    except EngineChoiceError as exc:
        error(exc)
        return 2
    if session.fleet.multi:
        emit(f"engine {session.engine_name} ({endpoint(session)})", file=sys.stderr)
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
