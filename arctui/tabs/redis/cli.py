"""Headless Redis commands: `arctui redis [--json]` and `arctui redis bigkeys ...`.

Same discovery, timeouts and masking as the tab. Exit codes: 0 done, 1 Redis could
not be reached or read (the reason on stderr), 130 a big-key scan stopped by Ctrl+C
(the partial result is still printed). Keys are printed escaped, as redis-cli quotes
them, so every byte is visible and none reaches the terminal raw. Never imports Textual.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from arctui.sources.base import SourceError
from arctui.tabs.redis.models import BigKeysResult, RedisSnapshot, ScanProgress
from arctui.tabs.redis.report import overview_lines
from arctui.units import duration, micros, size

if TYPE_CHECKING:
    from arctui.session import Session

COMMANDS = ("redis",)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError("must be a whole number >= 1")
    return int(value)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`arctui redis [--json]` and `arctui redis bigkeys [--json] [--top N] [--pattern P]`."""
    redis = sub.add_parser("redis", help="print Redis overview and persistence state (headless)")
    redis.add_argument("--json", action="store_true", help="machine-readable output")
    redis.add_argument("--url", help="redis://[user:password@]host:port/db (overrides discovery)")
    rsub = redis.add_subparsers(dest="redis_command", metavar="SUBCOMMAND")
    big = rsub.add_parser("bigkeys", help="find the biggest keys (incremental SCAN, never KEYS)")
    # SUPPRESS: `arctui redis --json bigkeys` keeps the --json given before the subcommand.
    big.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    big.add_argument("--top", type=_positive, default=20, help="how many keys to list (20)")
    big.add_argument("--pattern", help="only keys matching this glob (SCAN MATCH)")
    big.add_argument(
        "--sort", choices=("memory", "elements"), default="memory", help="rank by (memory)"
    )
    big.add_argument("--count", type=_positive, default=250, help="SCAN COUNT per step (250)")
    big.add_argument(
        "--url",
        default=argparse.SUPPRESS,
        help="redis://[user:password@]host:port/db (overrides discovery)",
    )


def _fail(session: Session, exc: SourceError) -> int:
    from arctui.ops.audit import redactor_for

    redact = redactor_for(session).redact
    print(f"arctui: {redact(exc.reason)}", file=sys.stderr)
    if exc.fix:
        print(f"  fix: {redact(exc.fix)}", file=sys.stderr)
    return 1


def run(session: Session, args: argparse.Namespace) -> int:
    """Run `arctui redis ...`; the exit code."""
    from arctui.tabs.redis.reader import RedisReader, source_for

    try:
        source, origin = source_for(session, getattr(args, "url", None))
    except SourceError as exc:
        return _fail(session, exc)
    try:
        if getattr(args, "redis_command", None) == "bigkeys":
            return _bigkeys(session, source, args)
        try:
            snapshot = RedisReader(source, origin, clock=session.clock).read()
        except SourceError as exc:
            return _fail(session, exc)
        if args.json:
            json.dump(snapshot_json(snapshot), sys.stdout, indent=2)
            print()
        else:
            print_overview(snapshot, sys.stdout)
        return 0
    finally:
        source.close()


def snapshot_json(snapshot: RedisSnapshot) -> dict[str, Any]:
    """The snapshot as JSON-ready data (plus the derived hit rate and memory fraction)."""
    data = dataclasses.asdict(snapshot)
    data.pop("history", None)
    data["overview"]["hit_rate"] = snapshot.overview.hit_rate
    data["overview"]["memory_fraction"] = snapshot.overview.memory_fraction
    data["partial"] = dict(snapshot.partial)
    return data


def print_overview(snapshot: RedisSnapshot, out: TextIO) -> None:
    """The text form of `arctui redis`."""
    for line in overview_lines(snapshot):
        print(line, file=out)
    p = snapshot.slowlog
    print(file=out)
    threshold = snapshot.slowlog_threshold_us
    limit = f" (threshold {micros(threshold)})" if threshold is not None else ""
    print(f"slowlog{limit}: {len(p)} entries", file=out)
    for entry in p[:10]:
        when = duration(snapshot.taken_at - entry.started_at)
        print(
            f"  {micros(entry.duration_us):>9}  {when:>8} ago  {entry.client:<21}  {entry.command}",
            file=out,
        )


class _Progress:
    """Progress on stderr: one rewritten line on a terminal, a line every 5 s otherwise."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.tty = err.isatty()
        self.last = 0.0

    def __call__(self, p: ScanProgress) -> None:
        now = time.monotonic()
        if not p.done and now - self.last < (0.5 if self.tty else 5.0):
            return
        self.last = now
        total = f" of ~{p.total:,}" if p.total else ""
        text = f"scanned {p.scanned:,}{total} keys ({p.fraction:.0%}) in {p.elapsed:.1f} s"
        if self.tty:
            print(f"\r{text}\033[K", end="\n" if p.done else "", file=self.err, flush=True)
        else:
            print(text, file=self.err, flush=True)


def _bigkeys(session: Session, source: Any, args: argparse.Namespace) -> int:
    from arctui.interrupt import run_interruptible
    from arctui.tabs.redis.scan import BigKeyScan

    scan = BigKeyScan(source, pattern=args.pattern, top=args.top, batch=args.count)

    def interrupted() -> None:
        print("\nstopping the scan …", file=sys.stderr)
        scan.stop.set()

    try:
        result = run_interruptible(
            lambda: scan.run(_Progress(sys.stderr)), interrupted, name="arctui-bigkeys"
        )
    except SourceError as exc:
        return _fail(session, exc)
    if args.json:
        json.dump(bigkeys_json(result, args.top, args.sort), sys.stdout, indent=2)
        print()
    else:
        print_bigkeys(result, args.top, args.sort, sys.stdout)
    if result.error:
        print(f"arctui: the scan ended early: {result.error}", file=sys.stderr)
        return 1
    return 130 if result.stopped else 0


def _key_json(k: Any) -> dict[str, Any]:
    return {
        "key": k.key,
        "key_hex": k.raw.hex(),
        "type": k.type,
        "memory": k.memory,
        "elements": k.elements,
        "unit": k.unit,
    }


def bigkeys_json(result: BigKeysResult, top: int, sort: str) -> dict[str, Any]:
    """The scan result as JSON-ready data (keys escaped, plus their bytes in hex)."""
    ranked = result.by_elements(top) if sort == "elements" else result.by_memory(top)
    return {
        "target": result.target,
        "pattern": result.pattern,
        "scanned": result.scanned,
        "dbsize": result.dbsize,
        "elapsed_s": round(result.elapsed, 3),
        "complete": result.complete,
        "stopped": result.stopped,
        "error": result.error,
        "memory_error": result.memory_error,
        "sort": sort,
        "keys": [_key_json(k) for k in ranked],
        "types": [
            {
                "type": t.type,
                "keys": t.keys,
                "memory": t.memory,
                "elements": t.elements,
                "biggest": _key_json(t.biggest) if t.biggest else None,
            }
            for t in result.types
        ],
        "prefixes": [
            {"prefix": p.prefix, "keys": p.keys, "memory": p.memory} for p in result.prefixes
        ],
        "other_prefixes": result.other_prefixes,
    }


def print_bigkeys(result: BigKeysResult, top: int, sort: str, out: TextIO) -> None:
    """The text form of `arctui redis bigkeys`."""
    state = "complete" if result.complete else "STOPPED" if result.stopped else "INCOMPLETE"
    pattern = f" matching {result.pattern}" if result.pattern else ""
    print(
        f"Redis at {result.target}: scanned {result.scanned:,} keys{pattern}"
        f" (DBSIZE {result.dbsize:,}) in {result.elapsed:.1f} s, {state}",
        file=out,
    )
    if result.memory_error:
        print(f"note: {result.memory_error}; memory not shown", file=out)
    ranked = result.by_elements(top) if sort == "elements" else result.by_memory(top)
    print(f"\nTOP {len(ranked)} BY {sort.upper()}", file=out)
    print(f"{'MEMORY':>11}  {'TYPE':<7} {'SIZE':>20}  KEY", file=out)
    for k in ranked:
        count = f"{k.elements:,} {k.unit}" if k.elements is not None else "-"
        mem = size(k.memory) if k.memory is not None else "-"
        print(f'{mem:>11}  {k.type:<7} {count:>20}  "{k.key}"', file=out)
    print("\nBY TYPE", file=out)
    for t in result.types:
        big = f'biggest "{t.biggest.key}"' if t.biggest else ""
        print(f"{t.type:<8} {t.keys:>10,} keys {size(t.memory):>11}  {big}", file=out)
    print("\nBY PREFIX (memory)", file=out)
    for p in result.prefixes[:20]:
        print(f"{size(p.memory):>11} {p.keys:>10,} keys  {p.prefix}", file=out)
    if result.other_prefixes:
        print(f"{'':>11} {result.other_prefixes:>10,} keys  (other prefixes)", file=out)
