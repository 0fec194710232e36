"""Headless backups, for cron: `arctui backup ...`, `arctui restore ID`, `arctui drill`.

    arctui backup [postgres|redis|all] [--prune]   take verified backups (default: all)
        [--format custom|sql]                      Postgres: pg_dump -Fc, or plain SQL gzipped
    arctui backup list [--json]                    every backup and the RPO status
    arctui backup verify ID                        checksum and archive checks again
    arctui backup prune [--dry-run]                apply retention
    arctui backup delete ID [--yes]                delete one backup
    arctui restore ID [--yes] [--i-know-this-is-production]
    arctui drill                                   restore into scratch, check, clean up

Exit codes: 0 done; 1 anything failed or was cancelled; 2 refused or declined (read-only,
production without the flag, no confirmation, prune after a failed run). Same guards as
the TUI: restore and delete need the typed project name (or --yes) and, in production,
the production flag; prune asks y/N (or --yes). Taking backups and the drill change no
live data, so cron can run them without flags; read-only refuses them all (verify and
list only read). Never imports Textual.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arctui.config.backups import POSTGRES_FORMATS
from arctui.ops.runner import Outcome
from arctui.units import duration, size

if TYPE_CHECKING:
    from arctui.ops.backups.run import Context, RunResult
    from arctui.session import Session

COMMANDS = ("backup", "restore", "drill")
PROD_FLAG = "--i-know-this-is-production"
_TAKE = ("postgres", "redis", "all")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", type=Path, help="backup directory (default: settings, ./backups)")


def _guarded(p: argparse.ArgumentParser) -> None:
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        PROD_FLAG,
        dest="production_ok",
        action="store_true",
        help="required to change a production environment",
    )


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`backup` (with its subcommands), `restore` and `drill`."""
    backup = sub.add_parser("backup", help="take, list, verify and prune verified backups")
    _common(backup)
    bsub = backup.add_subparsers(dest="backup_command", metavar="WHAT")
    for kind in _TAKE:
        p = bsub.add_parser(kind, help=f"back up {'everything' if kind == 'all' else kind}")
        _common(p)
        _guarded(p)
        p.add_argument(
            "--prune",
            action="store_true",
            help="apply retention afterwards, only if every backup succeeded",
        )
        if kind != "redis":
            p.add_argument(
                "--format",
                dest="pg_format",
                choices=POSTGRES_FORMATS,
                help="Postgres format: custom (pg_dump -Fc) or sql (plain SQL, gzip);"
                " default: the setting backups.postgres_format, else custom",
            )
    p = bsub.add_parser("list", help="every backup, verified or not, and the RPO status")
    _common(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = bsub.add_parser("verify", help="check a backup again (sha256 and archive)")
    _common(p)
    p.add_argument("id")
    p = bsub.add_parser("prune", help="delete backups past retention (never the newest good one)")
    _common(p)
    _guarded(p)
    p.add_argument("--dry-run", action="store_true", help="only show what would be deleted")
    p = bsub.add_parser("delete", help="delete one backup")
    _common(p)
    _guarded(p)
    p.add_argument("id")
    restore = sub.add_parser("restore", help="restore a verified backup into the stack")
    _common(restore)
    _guarded(restore)
    restore.add_argument("id")
    drill = sub.add_parser("drill", help="DR drill: restore the newest backups into scratch")
    _common(drill)
    drill.add_argument("--json", action="store_true", help="machine-readable result")


def _context(session: Session, args: argparse.Namespace) -> Context:
    from arctui.ops.backups.run import Context
    from arctui.ops.backups.settings import backup_settings

    settings = backup_settings(session, getattr(args, "dir", None))
    return Context.of(
        session, progress=lambda line: print(f"  {line}", file=sys.stderr), settings=settings
    )


def _exit(result: RunResult) -> int:
    if result.ok:
        return 0
    return 2 if result.outcome in (Outcome.REFUSED, Outcome.DECLINED) else 1


def _report(result: RunResult) -> int:
    for line in result.details:
        print(f"  {line}", file=sys.stderr)
    print(
        f"{result.outcome.upper()}: {result.action} {result.target}: {result.message}",
        file=sys.stderr,
    )
    return _exit(result)


def _confirm(
    ctx: Context,
    args: argparse.Namespace,
    action: str,
    what: str,
    ask: Callable[[str], str],
    interactive: bool | None,
) -> RunResult | None:
    """Production flag, then typed confirmation (or --yes); a refusal result, or None."""
    from arctui.ops.backups.run import confirmations, refuse
    from arctui.ops.headless import ask_unless_yes

    session = ctx.session
    refusal: tuple[Outcome, str] | None = None
    guarded = action in ("restore", "backup-delete")
    if guarded and session.production and not getattr(args, "production_ok", False):
        refusal = (Outcome.REFUSED, f"{session.env} is production: add {PROD_FLAG} to proceed")
    elif not getattr(args, "yes", False) and not session.read_only:
        print(f"{what}\n  env {session.env} · project {session.project}", file=sys.stderr)
        refusal = ask_unless_yes(confirmations(session, action), args, ask, interactive)
    if refusal is None:
        return None
    target = getattr(args, "id", "") or action
    return refuse(ctx, action, target, f"arctui {action}", refusal[1], refusal[0])


def run(
    session: Session,
    args: argparse.Namespace,
    ask: Callable[[str], str] = input,
    interactive: bool | None = None,
) -> int:
    """Run `arctui backup|restore|drill ...`; the exit code."""
    from arctui.ops.backups import run as ops

    ctx = _context(session, args)
    cancel = ctx.cancel
    command = args.command
    sub = getattr(args, "backup_command", None) or "all"
    if command == "backup" and sub == "list":
        return _list(session, ctx, getattr(args, "json", False))
    if command == "backup" and sub == "verify":
        return _report(_interruptible(cancel, lambda: ops.verify(ctx, args.id)))
    if command == "backup" and sub == "prune":
        if not args.dry_run and (
            refused := _confirm(
                ctx, args, "backup-prune", "Prune backups past retention", ask, interactive
            )
        ):
            return _report(refused)
        return _report(ops.prune(ctx, dry_run=args.dry_run))
    if command == "backup" and sub == "delete":
        if refused := _confirm(
            ctx, args, "backup-delete", f"Delete backup {args.id}", ask, interactive
        ):
            return _report(refused)
        return _report(ops.delete(ctx, args.id))
    if command == "backup":
        from arctui.ops.backups.datastore import KINDS

        kinds = KINDS if sub == "all" else (sub,)
        fmt = getattr(args, "pg_format", None)
        results = [_interruptible(cancel, lambda k=k: ops.backup(ctx, k, fmt)) for k in kinds]  # type: ignore[misc]
        codes = [_report(r) for r in results]
        if getattr(args, "prune", False):
            if all(r.ok for r in results):
                codes.append(_report(ops.prune(ctx)))
            else:
                print("not pruning: a backup of this run failed", file=sys.stderr)
        return max(codes)
    if command == "restore":
        if refused := _confirm(
            ctx,
            args,
            "restore",
            f"Restore backup {args.id} into the stack (its current data is replaced)",
            ask,
            interactive,
        ):
            return _report(refused)
        return _report(_interruptible(cancel, lambda: ops.restore(ctx, args.id)))
    if command == "drill":
        result = _interruptible(cancel, lambda: ops.drill(ctx))
        if getattr(args, "json", False):
            print(
                json.dumps(
                    {
                        "outcome": str(result.outcome),
                        "message": result.message,
                        "details": list(result.details),
                        **result.data,
                    }
                )
            )
        return _report(result)
    print(f"arctui: unknown backup command {sub}", file=sys.stderr)
    return 2


def _interruptible(cancel: threading.Event, work: Callable[[], RunResult]) -> RunResult:
    """Run `work` on a thread; Ctrl+C sets `cancel` (the command's process group stops)."""
    from arctui.interrupt import run_interruptible

    def interrupted() -> None:
        print("cancelling ...", file=sys.stderr)
        cancel.set()

    return run_interruptible(work, interrupted, name="arctui-backup")


def _manifest_json(m: Any) -> dict[str, Any]:
    data = dataclasses.asdict(m)
    data["datastore"] = m.datastore
    return data


def _list(session: Session, ctx: Context, as_json: bool) -> int:
    from arctui.tabs.backups.reader import BackupsReader, snapshot_of

    if session.demo:
        snap = BackupsReader(session).read()
    else:
        snap = snapshot_of(ctx.store, ctx.settings, session.clock())
    if as_json:
        out = {
            "directory": snap.directory,
            "keep_days": snap.keep_days,
            "rpo": [{**dataclasses.asdict(r), "status": r.status} for r in snap.rpo],
            "backups": [_manifest_json(m) for m in snap.backups],
            "last_drill": dataclasses.asdict(snap.last_drill) if snap.last_drill else None,
        }
        json.dump(out, sys.stdout, indent=2)
        print()
    else:
        from arctui.text import one_line

        for r in snap.rpo:
            age = "none verified" if r.age_s is None else f"newest verified {duration(r.age_s)} ago"
            failed = "  (last run FAILED)" if r.last_run_failed else ""
            print(f"{r.status.upper():<6} {r.datastore:<28} {age}{failed}")
        print()
        print(f"{'ID':<44} {'AGE':>12} {'SIZE':>9}  VERIFIED")
        now = session.clock()
        for m in snap.backups:
            state = "yes" if m.verified else "NO: " + one_line(m.verify_detail, 80)
            print(
                f"{one_line(m.id, 44):<44} {duration(now - m.created_at):>12} "
                f"{size(m.size):>9}  {state}"
            )
        if not snap.backups:
            print(f"(no backups in {snap.directory})")
    return 0
