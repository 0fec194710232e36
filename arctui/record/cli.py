"""`arctui record` (the flight recorder, foreground) and `arctui history` (read it back).

    arctui record [--interval 5] [--metrics 127.0.0.1:9464] [--print-unit]
    arctui history [--since 2h] [--until T] [--service S ...] [--metric cpu] [--json | --plot]
    arctui history events [--since 2h] [--until T] [--kind K ...] [--service S ...] [--json]

Exit codes: 0 done; 1 the store failed (history: nothing recorded there); 2 bad input or
another recorder holds the store. Printed only through `arctui.output`.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import shlex
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from arctui.output import emit, error
from arctui.record.frame import EVENT_KINDS, Event

if TYPE_CHECKING:
    from arctui.record.recorder import Observer
    from arctui.record.store import Store
    from arctui.session import Session

COMMANDS = ("record", "history")
SAFE_OUTPUT = True
DEFAULT_METRICS_PORT = 9464  # the port range OpenTelemetry's Prometheus exporter uses


def observers(
    session: Session, interval: float | None = None, store: Path | None = None
) -> list[Observer]:
    """Called after each sample with (frame, events); what they return is stored too:
    the alert engine (arctui.alerts: rules, incidents, delivery on its own thread)."""
    from arctui.alerts.engine import engine_for

    return [engine_for(session, interval, store)]


def close_observers(found: list[Observer]) -> list[Event]:
    """The recorder's exit: each observer that has `close` flushes (the alert engine's
    delivery, bounded) and returns its last events, stored before "recorder stopped"."""
    out: list[Event] = []
    for observer in found:
        close = getattr(observer, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):  # an observer's failure never loses the exit
                out += close() or []
    return out


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 1.0 <= value <= 3600.0:
        raise argparse.ArgumentTypeError("the interval must be 1 to 3600 seconds")
    return value


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
        ipaddress.ip_address(host if host != "localhost" else "127.0.0.1")
    except ValueError:
        raise argparse.ArgumentTypeError(f"ADDR:PORT like 127.0.0.1:9464, not {text!r}") from None
    if not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"no such port: {number}")
    return host, number


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """`record` and `history`."""
    r = sub.add_parser("record", help="record the stack, databases and logs (flight recorder)")
    r.add_argument("--interval", type=_interval, help="seconds between samples (default 5)")
    r.add_argument(
        "--metrics",
        type=_address,
        metavar="ADDR:PORT",
        help="also serve the latest figures as OpenMetrics (loopback unless an address is given)",
    )
    r.add_argument("--print-unit", action="store_true", help="print a systemd unit and exit")
    h = sub.add_parser("history", help="recorded figures, or `history events`: the timeline")
    h.add_argument("what", nargs="?", choices=("figures", "events"), default="figures")
    h.add_argument("--since", default="1h", help="from when (2h, 03:10, an ISO time; 1h)")
    h.add_argument("--until", default=None, help="until when (default: now)")
    h.add_argument("--service", action="append", default=[], help="only this service")
    h.add_argument("--metric", help="one figure over time: " + ", ".join(_metric_names()))
    h.add_argument("--kind", action="append", default=[], help="events of this kind only")
    h.add_argument("--points", type=int, default=300, help=argparse.SUPPRESS)
    out = h.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="machine-readable output")
    out.add_argument("--plot", action="store_true", help="draw the --metric as a chart")


def _metric_names() -> list[str]:
    from arctui.record.history import METRICS

    return list(METRICS)


def store_path(session: Session, args: argparse.Namespace) -> Path:
    """--store, else the project's default store."""
    from arctui.record.store import default_path

    given = getattr(args, "store", None)
    return Path(given).expanduser() if given else default_path(session.project)


def run(session: Session, args: argparse.Namespace) -> int:
    """Dispatch `record` or `history`."""
    if args.command == "record":
        return record_command(session, args)
    return history_command(session, args)


# --- record -------------------------------------------------------------------------------


def unit_text(args: argparse.Namespace, session: Session) -> str:
    """A systemd unit running this recorder with the options given."""
    found = shutil.which("arctui")
    argv = [found] if found else [sys.executable, "-m", "arctui"]
    if session.spec is not None:
        argv += ["--project-dir", str(session.spec.project_dir)]
    for f in getattr(args, "files", []) or []:
        argv += ["-f", str(Path(f).resolve())]
    for flag, value in (("--project-name", args.project_name), ("--env", args.env)):
        if value:
            argv += [flag, value]
    if args.store:
        argv += ["--store", str(Path(args.store).expanduser().resolve())]
    argv.append("record")
    if args.interval:
        argv += ["--interval", f"{args.interval:g}"]
    if args.metrics:
        argv += ["--metrics", f"{args.metrics[0]}:{args.metrics[1]}"]
    command = " ".join(shlex.quote(a) for a in argv)
    workdir = str(session.spec.project_dir) if session.spec else os.getcwd()
    return "\n".join(
        [
            "# ~/.config/systemd/user/arctui-record.service  (systemctl --user enable --now ...)",
            "[Unit]",
            f"Description=arctui flight recorder ({session.project})",
            "After=docker.service",
            "",
            "[Service]",
            "Type=simple",
            f"WorkingDirectory={workdir}",
            f"ExecStart={command}",
            "Restart=always",
            "RestartSec=5",
            "KillSignal=SIGTERM",
            "TimeoutStopSec=20",
            "Nice=10",
            "",
            "[Install]",
            "WantedBy=default.target",
        ]
    )


def _open_writer(session: Session, args: argparse.Namespace) -> Store | None:
    from arctui.record.store import Store, StoreError

    path = store_path(session, args)
    try:
        store = Store.open(path, redact=session.redactor.redact)
    except StoreError as exc:
        error(exc)
        return None
    rec = session.settings.recorder
    store.keep_days, store.max_bytes = rec.keep_days, rec.max_bytes
    return store


def record_command(session: Session, args: argparse.Namespace) -> int:
    """The foreground recorder: until Ctrl-C or SIGTERM."""
    if args.print_unit:
        emit(unit_text(args, session))
        return 0
    from arctui.record.recorder import Recorder
    from arctui.record.sampler import Sampler

    interval = args.interval or session.settings.recorder.interval
    store = _open_writer(session, args)
    if store is None:
        return 2
    server = None
    if args.metrics:
        from arctui.record.openmetrics import MetricsServer

        try:
            host, port = args.metrics
            server = MetricsServer(host, port, session.project, session.redactor.redact)
        except OSError as exc:
            error(f"cannot serve metrics on {args.metrics[0]}:{args.metrics[1]}: {exc}")
            store.close()
            return 2
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    sampler = Sampler(session)

    def status(text: str, bad: bool) -> None:
        (error if bad else lambda t: emit(f"arctui: {t}", file=sys.stderr))(text)

    watching = observers(session, interval, store.path)
    recorder = Recorder(
        sampler,
        store,
        interval,
        observers=watching,
        status=status,
        on_frame=server.update if server else None,
    )
    where = f"; metrics on http://{args.metrics[0]}:{args.metrics[1]}/metrics" if server else ""
    emit(f"recording {session.project} every {interval:g} s into {store.path}{where}")
    with contextlib.suppress(Exception):
        store.add_events([Event(session.clock(), "recorder", "", "recorder started")])
    try:
        code = recorder.run(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        last = close_observers(watching)  # queued alert messages: sent (bounded) or given up
        with contextlib.suppress(Exception):
            stopped = Event(session.clock(), "recorder", "", "recorder stopped")
            store.add_events([*last, stopped])
        sampler.close()
        if server is not None:
            server.close()
        store.close()
    emit(f"stopped: {recorder.frames} frames recorded")
    return code


# --- history ------------------------------------------------------------------------------


def _window(args: argparse.Namespace, now: float) -> tuple[float, float] | None:
    from arctui.record.when import WhenError, parse_when

    try:
        since = parse_when(args.since, now)
        until = parse_when(args.until, now) if args.until else now
    except WhenError as exc:
        error(exc)
        return None
    if until < since:
        error("--until is before --since")
        return None
    return since, until


def history_command(session: Session, args: argparse.Namespace) -> int:
    """Figures or the timeline of a window, from the store (read-only)."""
    from arctui.record import history
    from arctui.record.store import Store, StoreError

    window = _window(args, history.now())
    if window is None:
        return 2
    if args.metric and args.metric not in history.METRICS:
        error(f"no metric {args.metric!r}: use one of {', '.join(history.METRICS)}")
        return 2
    bad = [k for k in args.kind if k not in EVENT_KINDS]
    if bad:
        error(f"no event kind {bad[0]!r}: use one of {', '.join(EVENT_KINDS)}")
        return 2
    if args.plot and not args.metric:
        error("--plot draws one --metric (e.g. --metric cpu)")
        return 2
    try:
        store = Store.open(store_path(session, args), readonly=True)
    except StoreError as exc:
        error(exc)
        return 1
    since, until = window
    try:
        if args.what == "events":
            events = store.events(
                since, until, kinds=args.kind or None, services=args.service or None
            )
            history.print_events(events, args.json)
        elif args.metric:
            data = history.series(store, args.metric, since, until, args.service, args.points)
            history.print_series(args.metric, data, args.json, args.plot)
        else:
            data = history.summary(store, since, until, args.service)
            if args.json:
                from arctui.output import emit_json

                emit_json(data)
            else:
                history.print_summary(data)
    except StoreError as exc:
        error(exc)
        return 1
    finally:
        store.close()
    return 0
