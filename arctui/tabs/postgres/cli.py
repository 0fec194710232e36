"""`arctui postgres [--json]`: the Postgres tab's overview, activity, tables and slow
queries printed once, for scripts and cron. Exit 1 when Postgres cannot be read (the
reason on stderr, secrets masked). No Textual.

JSON shape (`"version": 1`; times are unix seconds, durations seconds, sizes bytes;
every string cleaned of control sequences, query texts with secrets masked)::

    {"version": 1, "taken_at": 1764590000.1,
     "connection": "arc@127.0.0.1:5432/arc_db password •••••• (.env POSTGRES_PASSWORD)",
     "overview": {"version": "15.14", "version_num": 150014, "uptime_s": 273600.0,
                  "connections": 45, "client_connections": 39, "max_connections": 100,
                  "reserved_connections": 3, "states": [["idle", 31], ["active", 6]],
                  "cache_hit_ratio": 0.993, "tps": null, "in_recovery": false,
                  "replicas": [{"name", "client", "state", "sync_state", "replay_lag_s"}],
                  "databases": [{"name": "arc_db", "size": 4939212390}],
                  "ssl_enabled": false, "ssl_in_use": false, "database": "arc_db",
                  "own_pid": 4107},
     "backends": [{"pid", "user", "database", "application", "client", "backend_type",
                   "state", "wait_event_type", "wait_event", "query_s", "xact_s",
                   "state_s", "query", "blocked_by": [2811], "blocking": false,
                   "long_running": true,
                   "proc": {"cpu", "rss", "read_bps", "write_bps", "host_pid"} | null}],
     "blocking_tree": [{"depth": 0, "pid": 2811}, {"depth": 1, "pid": 3390}],
     "long_transactions": [2811],
     "tables": [{"schema", "name", "total", "table", "indexes", "toast", "rows_estimate",
                 "dead_tuples", "last_vacuum", "last_analyze", "last_autovacuum",
                 "last_autoanalyze"}],
     "statements": {"available": true, "message": "", "preloaded": true, "version": "1.10",
                    "columns": {"total_ms": "total_exec_time", ...},
                    "rows": [{"queryid", "query", "calls", "total_ms", "mean_ms", "rows",
                              "shared_hit", "shared_read", "user", "database"}]},
     "locks": [{"pid", "locktype", "mode", "granted", "relation", "database", "user",
                "query", "wait_s", "blocked_by"}],
     "tables_at": 1764590000.1, "statements_at": 1764590000.1,
     "proc_note": "", "problems": {"tables": "why that part could not be read"}}

`tps` needs two reads, so a one-shot run prints null. arctui's own monitoring backend is
counted in `connections` but not listed in `backends`.
"""

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
