"""Headless maintenance: `arctui disk`, `arctui prune`, `arctui run`, `arctui maintenance`.

    arctui disk [--json] [--engine NAME]         docker system df -v, project volumes, free space
                                                 (every engine, or NAME's)
    arctui prune [--dry-run] [--filter label=K[=V]] [--json] [--yes]
                                                 dangling images, stopped containers outside
                                                 the project, build cache
    arctui run TARGET [VAR=value ...] [--yes]    a Makefile target or a custom command
    arctui run --list [--json]                   what can be run
    arctui maintenance [--json] [--done TASK]    the guide's calendar (or mark a task done)

Exit codes: 0 done; 1 failed or cancelled; 2 refused, declined or a usage error; 3 the
engine cannot be read. Same guards as the lifecycle verbs: a confirmation (typed words
where the TUI asks for them) unless --yes, and --i-know-this-is-production in production.
Printed only through `arctui.output`. Never imports Textual.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from arctui.ops.maintenance.disk import days_text, growth_text
from arctui.output import emit, emit_json, emit_table, error, table, width
from arctui.sources.base import SourceError
from arctui.units import size

if TYPE_CHECKING:
    from arctui.ops.lifecycle import Action
    from arctui.ops.maintenance.disk import DiskReport
    from arctui.ops.runner import ActionResult
    from arctui.session import Session
    from arctui.tabs.maintenance.models import EngineDisk

COMMANDS = ("disk", "prune", "run", "maintenance")
SAFE_OUTPUT = True
PROD_FLAG = "--i-know-this-is-production"

Work = Callable[[Callable[[str], None], threading.Event], "ActionResult"]


def _guards(p: argparse.ArgumentParser) -> None:
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        PROD_FLAG,
        dest="production_ok",
        action="store_true",
        help="required to change a production environment",
    )


def _label(value: str) -> str:
    key, _, label = value.partition("=")
    if key != "label" or not label:
        raise argparse.ArgumentTypeError("only label filters: --filter label=KEY[=VALUE]")
    return label


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`disk`, `prune`, `run` and `maintenance`."""
    p = sub.add_parser("disk", help="disk use as docker system df -v shows it, and free space")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(  # the global --engine NAME=HOST adds engines; this one picks one
        "--engine", dest="target_engine", metavar="NAME", help="this engine's only (default: all)"
    )
    p = sub.add_parser(
        "prune", help="remove dangling images, stopped containers outside the project, build cache"
    )
    p.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    p.add_argument(
        "--filter",
        dest="labels",
        action="append",
        type=_label,
        default=[],
        metavar="label=KEY[=VALUE]",
        help="only what carries this label (build cache is then left alone)",
    )
    p.add_argument("--json", action="store_true", help="print the dry run as JSON")
    _guards(p)
    p = sub.add_parser("run", help="run a Makefile target or a custom command (settings)")
    p.add_argument("target", nargs="?", help="the target or command name")
    p.add_argument("variables", nargs="*", metavar="VAR=value", help="make variables, SERVICE=")
    p.add_argument("--list", action="store_true", help="list what can be run")
    p.add_argument("--json", action="store_true", help="with --list: print JSON")
    _guards(p)
    p = sub.add_parser("maintenance", help="the guide's maintenance calendar: what is due")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--done", metavar="TASK", help="record that a task was done (audited)")


def run(session: Session, args: argparse.Namespace) -> int:
    """Dispatch one of the four commands."""
    if args.command == "disk":
        return disk_command(session, args.json, getattr(args, "target_engine", None))
    if args.command == "prune":
        return prune_command(session, args)
    if args.command == "run":
        return run_command(session, args)
    return maintenance_command(session, args)


# disk ----------------------------------------------------------------------------
def disk_command(session: Session, as_json: bool, engine: str | None = None) -> int:
    """`arctui disk [--json] [--engine NAME]`: every engine's (issue 24), or NAME's only.

    Several engines: the tables lead with an ENGINE column, each engine's data root
    follows, `--json` is `{"engines": [...]}` (one engine: the report itself, named).
    Exit 3 when an engine's disk use cannot be read (the others are printed)."""
    from arctui.ops.fleet_read import EngineChoiceError, pick_engine
    from arctui.tabs.maintenance.models import growth_line
    from arctui.tabs.maintenance.reader import disk_sessions, fleet_disks

    try:
        chosen = (pick_engine(session, engine, None),) if engine is not None else None
    except EngineChoiceError as exc:
        error(str(exc))
        return 2
    disks = fleet_disks(chosen or disk_sessions(session))
    failed = any(d.report.error for d in disks)
    if as_json:
        rows = [
            {"engine": d.engine, "env": d.env, "production": d.production, **d.report.to_json()}
            for d in disks
        ]
        emit_json({"engines": rows} if len(disks) > 1 else rows[0])
        return 3 if failed else 0
    named = session.fleet.multi  # several engines: every line says whose disk it is
    for d in disks:
        if d.report.error:
            where = f"engine {d.engine}: " if named else ""
            error(f"{where}cannot read disk use: {d.report.error}")
    shown = [d for d in disks if not d.report.error]
    if not shown:
        return 3
    lead: tuple[str, ...] = ("ENGINE",) if named else ()
    usage: list[tuple[object, ...]] = [(*lead, "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE")]
    volumes: list[tuple[object, ...]] = [(*lead, "VOLUME", "SIZE", "USED BY", "GROWTH")]
    for d in shown:
        name: tuple[str, ...] = (_engine_name(d),) if named else ()
        report = d.report
        usage += [
            (*name, r.kind, r.total, r.active, size(r.size), size(r.reclaimable))
            for r in report.rows
        ]
        for v in report.volumes:
            used = f"{v.containers} container{'s' if v.containers != 1 else ''}"
            volumes.append((*name, v.name, size(v.size), used, growth_text(v)))
    shift = len(lead)
    emit_table(usage, right={shift + 1, shift + 2, shift + 3, shift + 4})
    emit("")
    emit(f"Volumes of {session.project}:")
    if len(volumes) > 1:  # names are outside text: measured after they are made safe
        indented = [(f"  {row[0]}", *row[1:]) for row in volumes]
        caps = (*((32,) if named else ()), 60, None, None, None)
        emit_table(indented, right={shift + 1}, caps=caps)
    else:
        emit("  none")
    emit(f"  {growth_line(tuple(shown))}")  # each note once, with the engines it is true of
    for d in shown:
        _root_lines(d.report, f"Engine {_engine_name(d)} ({d.env}): " if named else "")
    return 3 if failed else 0


def _engine_name(disk: EngineDisk) -> str:
    """The engine's name; a production engine's marked `!` as on screen."""
    return disk.engine + ("!" if disk.production else "")


def _root_lines(report: DiskReport, where: str) -> None:
    """The data root's free space (`where`: the engine's name, several engines)."""
    root = report.root
    label = f"{where}data root" if where else "Data root"
    if root.free is not None and root.total:
        pct = 100 * root.free / root.total
        free = f"{size(root.free)} free of {size(root.total)} ({pct:.0f} %)"
        emit(f"{label} {root.path}: {free}")
        if report.days_left is not None:
            emit(f"  full in {days_text(report.days_left)} at the project volumes' growth")
    else:
        emit(f"{label} {root.path or '?'}: {root.note}")


# guarded runs ----------------------------------------------------------------------
def guarded(
    session: Session, action: Action, args: argparse.Namespace, work: Work, mutates: bool = True
) -> int:
    """Refuse (audited) or confirm, then run `work` with Ctrl-C as cancel; the exit code."""
    from arctui.ops.headless import run_guarded

    def body(_: Action, line_out: Callable[[str], None], cancel: threading.Event) -> ActionResult:
        return work(line_out, cancel)

    return run_guarded(session, action, args, body, mutates=mutates, name="arctui-maintenance")


# prune -----------------------------------------------------------------------------
def prune_command(session: Session, args: argparse.Namespace) -> int:
    """`arctui prune [--dry-run] [--filter label=...]`."""
    from arctui.ops.maintenance.prune import PruneError, perform_prune, plan_prune

    try:
        plan = plan_prune(session, args.labels)
    except PruneError as exc:
        error(exc)
        return 2
    except SourceError as exc:
        error(exc.reason + (f"\n  fix: {exc.fix}" if exc.fix else ""))
        return 3
    found = plan.candidates
    if args.dry_run and args.json:
        emit_json({"commands": [list(c) for c in plan.commands], **found.to_json()})
        return 0
    out = sys.stdout if args.dry_run else sys.stderr
    for title, items in (
        ("stopped containers outside the project", found.containers),
        ("dangling images", found.images),
        ("build cache records", found.build_cache),
    ):
        emit(f"{len(items)} {title}", file=out)
        listed = [(f"  {item.id[:19]}", item.name, size(item.size)) for item in items[:200]]
        emit_table(listed, caps=(None, 60, None), file=out)
    if found.build_cache_note:
        emit(f"build cache: {found.build_cache_note}", file=out)
    emit(f"about {size(found.bytes)} to reclaim", file=out)
    if args.dry_run:
        for cmd in plan.action.shown_command.split(" && "):
            emit(f"would run: {cmd}")
        return 0

    def work(out_line: Callable[[str], None], cancel: threading.Event) -> ActionResult:
        return perform_prune(session, plan, out_line, cancel, None)

    return guarded(session, plan.action, args, work)


# run -------------------------------------------------------------------------------
def run_command(session: Session, args: argparse.Namespace) -> int:
    """`arctui run TARGET [VAR=value ...]` or `arctui run --list`."""
    from arctui.ops.maintenance.runbook import RunError, perform_run, plan_run
    from arctui.tabs.maintenance.reader import runbook_of

    book = runbook_of(session)
    if args.list or not args.target:
        return _list(book, args.json)
    try:
        plan = plan_run(session, book, args.target, args.variables)
    except RunError as exc:
        error(exc)
        return 2
    except SourceError as exc:
        error(exc.reason)
        return 3

    def work(out_line: Callable[[str], None], cancel: threading.Event) -> ActionResult:
        return perform_run(session, plan, out_line, cancel, None)

    return guarded(session, plan.action, args, work, mutates=plan.mutates)


def _list(book: object, as_json: bool) -> int:
    from arctui.config.custom_commands import describe
    from arctui.ops.maintenance.runbook import Runbook

    assert isinstance(book, Runbook)
    if as_json:
        emit_json(
            {
                "makefile": str(book.makefile) if book.makefile else None,
                "note": book.note,
                "targets": [
                    {"name": t.name, "help": t.help, "dangerous": t.dangerous, "recipe": t.recipe}
                    for t in book.targets
                ],
                "commands": [describe(c) for c in book.commands],
            }
        )
        return 0
    if book.note:
        emit(f"# {book.note}", file=sys.stderr)
    rows = [
        ("make", t.name, t.help + ("  (removes data)" if t.dangerous else "")) for t in book.targets
    ]
    rows += [
        ("cmd", c.name, (c.help or " ".join(c.argv)) + ("  (dangerous)" if c.dangerous else ""))
        for c in book.commands
    ]
    emit_table(rows, caps=(None, 40, None), sep=" ")
    if not book.targets and not book.commands:
        emit("nothing to run: no Makefile targets and no commands in the settings")
    return 0


# maintenance -----------------------------------------------------------------------
def _date(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "never"


def maintenance_command(session: Session, args: argparse.Namespace) -> int:
    """`arctui maintenance [--json]` or `--done TASK`."""
    from arctui.ops.maintenance.calendar import TASKS, read_calendar
    from arctui.ops.maintenance.tasks import mark_done

    if args.done:
        if args.done not in {t.id for t in TASKS}:
            error(f"no task {args.done!r}; tasks: {', '.join(t.id for t in TASKS)}")
            return 2
        result = mark_done(session, args.done, None)
        emit(f"{result.outcome.upper()}: {result.message}", file=sys.stderr)
        return 0 if result.ok else 2
    from arctui.tabs.maintenance.reader import disk_report

    disk = disk_report(session)  # its recorded growth can make the disk check due
    states = read_calendar(session, disk=None if disk.error else disk)
    if args.json:
        tasks = [s.to_json() for s in states]
        emit_json({"project": session.project, "env": session.env, "tasks": tasks})
        return 0
    rows = [("TASK", "EVERY", "STATUS", "LAST DONE", "DUE", "WHAT / HOW")]
    for s in states:
        status = s.status if s.task.can_do or s.last_done else "manual"
        due = _date(s.due_at) if s.due_at else "-"
        how = f"{s.task.title} ({s.task.how})"
        rows.append((s.task.id, s.task.period, status, _date(s.last_done), due, how))
    lines = table(rows, sep=" ")
    indent = " " * (max(width(r[0]) for r in rows) + 1)  # under the task, past its id
    emit(lines[0])
    for line, s in zip(lines[1:], states, strict=True):
        emit(line)
        if s.detail:
            emit(indent + s.detail)
    return 0
