"""`arctui logs`: the merged, filtered lines of the stack, headless (no Textual).

`make logs | grep ERROR`, done right: every line tagged with its service, escapes made
inert (arctui.text.clean), secrets masked (the session's redactor), the same level
parsing as the tab. Exit 0 when lines were printed, 1 when none matched, 2 on a usage
error, 3 when the engine cannot be read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from arctui.output import error
from arctui.sources.base import SourceError
from arctui.sources.docker_logs import LogWindow
from arctui.tabs.logs.export import format_line
from arctui.tabs.logs.filter import FilterError, LineFilter
from arctui.tabs.logs.models import Level, LogLine

if TYPE_CHECKING:
    from arctui.session import Session

COMMANDS = ("logs",)
# Lines are cleaned and redacted one by one (fast path); messages go through error().
SAFE_OUTPUT = True
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
EPILOG = """\
Lines print as `<time UTC> <service> <|or!> <text>`; `!` marks stderr. A replica after
the first is tagged service#N. --tail N keeps the last N lines that pass the filters
(with a filter, the whole window is scanned to find them). Exit: 0 lines printed,
1 none matched, 2 usage error, 3 engine unreachable."""


def parse_since(value: str, now: float | None = None) -> int:
    """`10m`, `1h30m`, `2d`, `45s`, an ISO time (local unless it has an offset), or
    `HH:MM[:SS]` today -> unix ns. Raises ValueError."""
    now = time.time() if now is None else now
    text = value.strip()
    if re.fullmatch(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+", text):
        seconds = sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(text))
        return int((now - seconds) * 1e9)
    if re.fullmatch(r"\d{1,2}:\d{2}(?::\d{2})?", text):
        today = datetime.fromtimestamp(now).strftime("%Y-%m-%d")
        text = f"{today}T{text}"
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since {value!r}: use a duration (10m, 1h30m, 2d) or a time "
            "(2026-12-01T14:00, 2026-12-01T14:00:00Z, 14:00)"
        ) from None
    return int(stamp.timestamp() * 1e9)


def _since(value: str) -> int:
    try:
        return parse_since(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _tail(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError("--tail takes a whole number of lines")
    return int(value)


def _level(value: str) -> Level:
    try:
        return Level.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `logs` to the CLI."""
    p = sub.add_parser(
        "logs",
        help="print the merged, filtered logs of the stack (headless)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("services", nargs="*", metavar="SERVICE", help="services (default: all)")
    p.add_argument(
        "--since", type=_since, metavar="DURATION|TIME", help="10m, 2h, 2026-12-01T14:00"
    )
    p.add_argument("--tail", type=_tail, metavar="N", help="the last N matching lines")
    p.add_argument("--grep", metavar="REGEX", default="", help="only lines matching REGEX")
    p.add_argument("-F", "--fixed-strings", action="store_true", help="--grep is plain text")
    case = p.add_mutually_exclusive_group()
    case.add_argument("-i", "--ignore-case", action="store_true", help="match case-insensitively")
    case.add_argument("-s", "--case-sensitive", action="store_true", help="match case exactly")
    p.add_argument(
        "--level", type=_level, metavar="LEVEL", help="error, warn, info, debug (minimum)"
    )
    p.add_argument("--follow", action="store_true", help="keep printing new lines (Ctrl-C ends)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--no-timestamps", action="store_true", help="leave the time column out")
    p.add_argument("--logql", metavar="QUERY", help="LogQL over Loki (not built yet)")


class _Printer:
    """Writes lines; notices a closed pipe (`| head`) and stops quietly."""

    def __init__(self, out: TextIO, as_json: bool, width: int, stamps: bool) -> None:
        self.out, self.as_json, self.width, self.stamps = out, as_json, width, stamps
        self.count = 0
        self.closed = False
        # Several engines: the engine a line came from, a JSON key (tabs/logs/fleet_cli.py).
        self.engine_of: Callable[[LogLine], str] | None = None

    def write(self, lines: Iterable[LogLine]) -> None:
        if self.closed:
            return
        try:
            for line in lines:
                if self.as_json:
                    data = line.as_json()
                    if self.engine_of is not None:
                        data = {"engine": self.engine_of(line), **data}
                    self.out.write(json.dumps(data, ensure_ascii=False) + "\n")
                else:
                    self.out.write(format_line(line, self.width, self.stamps) + "\n")
                self.count += 1
            self.out.flush()
        except BrokenPipeError:
            self.closed = True


def check_services(
    session: Session, wanted: list[str], present: set[str], where: str = ""
) -> str | None:
    """None when every named service is known, else the usage error to print.

    A declared service with no container is said on stderr (`where`: " on any engine")."""
    missing = [s for s in wanted if s not in present]
    if not missing:
        return None
    declared: set[str] = set()
    if not session.demo:
        model, _error = session.reader.compose_model()
        declared = {s.name for s in getattr(model, "services", ())}
    unknown = [s for s in missing if s not in declared]
    if unknown:
        known = ", ".join(sorted(present | declared)) or "none"
        return f"unknown service {', '.join(map(repr, unknown))} (services: {known})"
    for s in missing:
        error(f"{s} has no container{where} (not created); no lines from it")
    return None


def run(session: Session, args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the lines; 0 printed, 1 none matched, 2 usage error, 3 engine unreachable."""
    from arctui.tabs.logs.reader import read_lines, session_maker, session_source

    out = out or sys.stdout
    if args.logql:
        print(
            "arctui: LogQL over Loki is not built yet; `arctui logs loki` shows Loki's own "
            "lines (ready, ingestion errors)",
            file=sys.stderr,
        )
        return 2
    case = "insensitive" if args.ignore_case else ("sensitive" if args.case_sensitive else "smart")
    try:
        flt = LineFilter(args.grep, regex=not args.fixed_strings, case=case, level=args.level)
    except FilterError as exc:
        error(f"{exc}")
        return 2
    if session.fleet.multi:  # every engine's lines, merged in time order
        from arctui.tabs.logs.fleet_cli import run_fleet

        return run_fleet(session, args, flt, _Printer(out, args.json, 8, not args.no_timestamps))
    source = session_source(session)
    try:
        targets = source.targets(args.services)
        problem = check_services(session, args.services, {t.service for t in source.targets()})
    except SourceError as exc:
        error(f"{exc.reason}" + (f"\n  fix: {exc.fix}" if exc.fix else ""))
        return 3
    if problem:
        error(f"{problem}")
        return 2
    from arctui.tabs.logs.reader import source_tag

    width = max((len(source_tag(t.service, t.replica)) for t in targets), default=8)
    printer = _Printer(out, args.json, width, not args.no_timestamps)
    # Without a filter the last N lines per container hold the last N merged ones.
    window = LogWindow(args.since, None if flt.active else args.tail)
    maker = session_maker(session)
    if not args.follow:
        try:
            lines = read_lines(source, args.services, window, maker)
        except SourceError as exc:
            error(f"{exc.reason}")
            return 3
        finally:
            source.close()
        printer.write(_last(filter(flt.matches, lines), args.tail))
        return 0 if printer.count else 1
    return _follow(source, args, window, maker, flt, printer)


def _last(lines: Iterable[LogLine], tail: int | None) -> Iterable[LogLine]:
    return lines if tail is None else deque(lines, maxlen=tail)


def _follow(
    source: Any, args: argparse.Namespace, window: LogWindow, maker: Any, flt: LineFilter,
    printer: _Printer,
) -> int:  # fmt: skip
    from arctui.tabs.logs.reader import LogFeed

    ready = threading.Event()
    feed = LogFeed(source, args.services, window, maker, on_ready=ready.set)
    interrupted = _on_sigterm(feed.stop)
    feed.start()
    first = True
    reported = ""
    try:
        while not printer.closed:
            ready.wait(0.5)
            ready.clear()
            batch = feed.take()
            problem = feed.error.reason if feed.error else ""
            if problem != reported:
                error(problem or "reading logs again")
                reported = problem
            lines = [ln for ln in batch.lines if flt.matches(ln)]
            if batch.dropped:
                error(f"{batch.dropped} lines dropped (output too slow)")
            if first and batch.history_loaded:
                lines, first = list(_last(lines, args.tail)), False
            printer.write(lines)
            if interrupted():
                break
    except KeyboardInterrupt:
        pass
    finally:
        feed.stop()
    return 0 if printer.count else 1


def _on_sigterm(stop: Callable[[], None]) -> Callable[[], bool]:
    """SIGTERM ends a follow like Ctrl-C does; returns 'was it received'."""
    got = threading.Event()

    def handler(_sig: int, _frame: object) -> None:
        got.set()
        stop()

    with contextlib.suppress(ValueError):  # not the main thread (tests)
        signal.signal(signal.SIGTERM, handler)
    return got.is_set
