"""`arctui logs` over several engines (issue 24): every engine's lines, merged in time
order, each tagged `ENGINE/service` (JSON: an `engine` key). Each engine is read on its
own thread within its own time (ops/fleet_read.py): one that does not answer is named
on stderr and the others still print. `--follow` follows every engine, each on its own
feed. A fleet of one never comes here (cli.py prints as before).
"""

from __future__ import annotations

import argparse
import dataclasses
import threading
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from arctui.output import error
from arctui.sources.docker_logs import LogWindow
from arctui.tabs.logs.cli import check_services
from arctui.tabs.logs.models import LogLine

if TYPE_CHECKING:
    from arctui.session import Session
    from arctui.tabs.logs.filter import LineFilter


def engine_of(line: LogLine) -> str:
    """The engine of a tagged line (engine names hold no `/`: config/engines.py)."""
    return line.source.partition("/")[0]


def _tagged(engine: str, lines: Iterable[LogLine]) -> list[LogLine]:
    return [dataclasses.replace(ln, source=f"{engine}/{ln.source}") for ln in lines]


def _last(lines: Iterable[LogLine], tail: int | None) -> Iterable[LogLine]:
    return lines if tail is None else deque(lines, maxlen=tail)


def run_fleet(session: Session, args: argparse.Namespace, flt: LineFilter, printer: Any) -> int:
    """Print every engine's lines; 0 printed, 1 none matched, 2 usage error, 3 no engine
    could be read."""
    from arctui.ops.fleet_read import read_fleet
    from arctui.tabs.logs.reader import read_lines, session_maker, session_source

    window = LogWindow(args.since, None if flt.active else args.tail)
    follow = bool(args.follow)

    def read(member: Session) -> tuple[set[str], list[LogLine]]:
        source = session_source(member)
        try:
            present = {t.service for t in source.targets()}
            wanted = [s for s in args.services if s in present]
            if follow or (args.services and not wanted):
                return present, []
            return present, read_lines(source, wanted, window, session_maker(member))
        finally:
            source.close()

    reads = read_fleet(session.fleet.all, read, notices=False)
    for r in reads:
        if r.error:
            error(f"engine {r.name}: {r.error}" + (f"\n  fix: {r.fix}" if r.fix else ""))
    good = [(r.session, r.value) for r in reads if r.value is not None]
    if not good:
        return 3
    present = set().union(*(value[0] for _s, value in good))
    problem = check_services(session, args.services, present, " on any engine")
    if problem:
        error(problem)
        return 2
    width = max((len(f"{s.engine_name}/{svc}") for s, v in good for svc in v[0]), default=8)
    printer.width = width
    printer.engine_of = engine_of
    if follow:
        return _follow(session, [s for s, _v in good], args, window, flt, printer)
    merged = sorted(
        (ln for s, value in good for ln in _tagged(s.engine_name, value[1])),
        key=lambda ln: (ln.ts_ns, ln.source, ln.seq),
    )
    printer.write(_last(filter(flt.matches, merged), args.tail))
    return 0 if printer.count else 1


def _follow(
    session: Session,
    members: list[Session],
    args: argparse.Namespace,
    window: LogWindow,
    flt: LineFilter,
    printer: Any,
) -> int:
    """One feed per engine that answered; their batches merged as they come."""
    from arctui.tabs.logs.cli import _on_sigterm
    from arctui.tabs.logs.reader import LogFeed, session_maker, session_source

    ready = threading.Event()
    feeds = [
        (
            m.engine_name,
            LogFeed(session_source(m), args.services, window, session_maker(m), on_ready=ready.set),
        )
        for m in members
    ]

    def stop_all() -> None:
        for _n, feed in feeds:
            feed.stop()

    interrupted = _on_sigterm(stop_all)
    for _n, feed in feeds:
        feed.start()
    first = dict.fromkeys((name for name, _f in feeds), True)
    reported = {name: "" for name, _f in feeds}
    try:
        while not printer.closed:
            ready.wait(0.5)
            ready.clear()
            lines: list[LogLine] = []
            for name, feed in feeds:
                batch = feed.take()
                problem = feed.error.reason if feed.error else ""
                if problem != reported[name]:
                    error(f"engine {name}: {problem or 'reading logs again'}")
                    reported[name] = problem
                if batch.dropped:
                    error(f"engine {name}: {batch.dropped} lines dropped (output too slow)")
                got = [ln for ln in _tagged(name, batch.lines) if flt.matches(ln)]
                if first[name] and batch.history_loaded:
                    got, first[name] = list(_last(got, args.tail)), False
                lines += got
            lines.sort(key=lambda ln: (ln.ts_ns, ln.source, ln.seq))
            printer.write(lines)
            if interrupted():
                break
    except KeyboardInterrupt:
        pass
    finally:
        for _n, feed in feeds:
            feed.stop()
    return 0 if printer.count else 1
