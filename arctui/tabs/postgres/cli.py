"""`arctui postgres [--json]`: the Postgres tab's overview, activity, tables and slow
queries printed once, for scripts and cron. Exit 1 when Postgres cannot be read (the
reason on stderr). No Textual."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from arctui.sources.base import SourceError

if TYPE_CHECKING:
    from arctui.session import Session

COMMANDS = ("postgres",)


def add_parsers(subparsers: Any) -> None:
    """Register `arctui postgres`."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "postgres", help="print Postgres overview, activity, tables and slow queries (headless)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--limit", type=int, default=20, help="tables shown in text output")


def source_for(session: Session) -> Any:
    """The demo Postgres or the real reader for this session."""
    if session.demo:
        from arctui.tabs.postgres.demo import DemoPostgres

        return DemoPostgres(clock=session.clock)
    from arctui.tabs.postgres.reader import reader_for

    return reader_for(session)


def redactor(session: Session, source: Any) -> Callable[[str], str]:
    """Redacts the session's secrets and the connection's own password."""
    from arctui.config.masking import Redactor
    from arctui.ops.audit import redactor_for

    target = getattr(source, "target", None)
    chain = [redactor_for(session), Redactor(target.secrets() if target else [])]

    def redact(text: str) -> str:
        for r in chain:
            text = r.redact(text)
        return text

    return redact


def run(session: Session, args: argparse.Namespace) -> int:
    """Print one snapshot; 1 when Postgres cannot be reached."""
    from arctui.tabs.postgres.report import text_report, to_json

    source = source_for(session)
    try:
        snap = source.read(force=True)
        redact = redactor(session, source)
    except SourceError as exc:
        redact = redactor(session, source)
        print(f"arctui postgres: {redact(exc.reason)}", file=sys.stderr)
        if exc.fix:
            print(f"  fix: {redact(exc.fix)}", file=sys.stderr)
        return 1
    finally:
        source.close()
    if args.json:
        json.dump(to_json(snap, redact), sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(text_report(snap, redact, limit=max(1, args.limit)))
    return 0
