"""`arctui agent`: the Resources figures of THIS host, streamed as JSON lines (issue 24).

    arctui agent -p P [--interval 1] [--count N]     (-p: --project-name, as globally)

Run on a remote engine's host by the console, through its one SSH connection
(`ssh -S <control> host arctui agent -p P --interval 1`): cgroups can be read
only where the containers run, and this reads them there with the same reader the
Resources tab uses (the cgroup files, list and inspect from the local engine's events,
the host strip from /proc), printing one `wire.encode` line per interval. Far cheaper
for that host's engine than one-shot stats calls, let alone `docker stats` (see
benchmarks/fleet_ssh_bench.py). A failed read prints `{"v":1,"error":...}` and the
agent goes on. It ends when its reader goes away (a closed pipe) or after --count lines.
Needs no compose project where it runs. Printed only through `arctui.output`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from typing import TYPE_CHECKING

from arctui.output import safe
from arctui.sources.base import SourceError
from arctui.tabs.resources.wire import WIRE_VERSION, encode

if TYPE_CHECKING:
    from arctui.session import Session

COMMANDS = ("agent",)
SAFE_OUTPUT = True
NEEDS_PROJECT = False  # run without a compose project: cli.py calls run(None, args)


def _interval(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("a number of seconds") from None
    if not 0.2 <= seconds <= 3600:
        raise argparse.ArgumentTypeError("between 0.2 and 3600 seconds")
    return seconds


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`agent`."""
    p = sub.add_parser("agent", help="stream this host's Resources figures as JSON lines")
    # `--project` alone would be an ambiguous abbreviation of the global options.
    p.add_argument(
        "-p", "--project-name", dest="agent_project", required=True, help="compose project"
    )
    p.add_argument("--interval", type=_interval, default=1.0, help="seconds between lines")
    p.add_argument("--count", type=int, default=0, help="stop after N lines (0: never)")


def _write(line: str) -> bool:
    """One line out, flushed; False when the reader has gone."""
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError):
        return False
    return True


def run(session: Session | None, args: argparse.Namespace) -> int:
    """Stream until the pipe closes (or --count lines). 0 then; 2 for a bad project."""
    from arctui.tabs.resources.reader import real_reader

    project = str(args.agent_project)
    if not project or len(project) > 200:
        _write(json.dumps({"v": WIRE_VERSION, "error": "bad --project-name"}))
        return 2
    reader = real_reader(project, dict(os.environ))
    stop = threading.Event()
    # Events keep the container list fresh, so a read is the cgroup files alone.
    follower = threading.Thread(
        target=reader.follow_events, args=(lambda _action: None, stop), daemon=True
    )
    follower.start()
    sent = 0
    try:
        next_at = time.monotonic()
        while not args.count or sent < args.count:
            try:
                line = encode(reader.read())
            except SourceError as exc:
                line = json.dumps({"v": WIRE_VERSION, "error": safe(exc.reason, limit=300)})
            if not _write(line):
                break
            sent += 1
            next_at += args.interval
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at = max(next_at, time.monotonic() - args.interval)  # no burst after a stall
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        reader.close()  # a closed pipe's last flush is cli.main's (broken_pipe_exit)
    return 0
