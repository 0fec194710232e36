"""Command line: `arctui [options]` starts the TUI; subcommands run headless.

Headless subcommands call `ops/` directly and never import Textual; the TUI is
imported only in the branch that starts it.
"""

from __future__ import annotations

import argparse
import errno
import gc
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arctui import __version__
from arctui.cli_actions import VERBS as ACTION_VERBS
from arctui.cli_actions import add_parsers as add_action_parsers
from arctui.cli_actions import audit_command, run_action_command
from arctui.cli_health import COMMANDS as HEALTH_COMMANDS
from arctui.cli_health import add_parsers as add_health_parsers
from arctui.cli_health import run as run_health_command
from arctui.cli_parse import parse as parse_args
from arctui.commands import EXTRA, module_of, modules_for
from arctui.config.errors import ConfigError
from arctui.output import SafeStream, broken_pipe_exit, emit, emit_json, error
from arctui.session import Session, demo_session, load_user_settings, real_session
from arctui.tabs import TABS, headless_commands


def _refresh(value: str) -> float:
    seconds = float(value)
    if not 0.2 <= seconds <= 3600:
        raise argparse.ArgumentTypeError("refresh must be between 0.2 and 3600 seconds")
    return seconds


def _engine_option(value: str) -> Any:
    from arctui.config.engines import parse_engine_option

    try:
        return parse_engine_option(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser(
    argv: Sequence[str] | None = None,
    only: set[str] | None = None,
    parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    """The argument parser; subcommands are added here as features land.

    Given the `argv` about to be parsed, a tab's command-line module is imported only if
    one of its commands is named (or help is asked for); the others get an empty
    placeholder, so starting the TUI does not import every tab's CLI. `only`: the
    subcommands with these names and no placeholders (`arctui.cli_parse`, which falls
    back to the full parser for anything it would print).
    """

    def wanted(names: Sequence[str]) -> bool:
        return only is None or not only.isdisjoint(names)

    parser = parser_class(
        prog="arctui",
        description="Terminal console for operating the A.R.C. docker-compose platform.",
    )
    parser.add_argument("--version", action="version", version=f"arctui {__version__}")
    parser.add_argument("--env", help="environment tier (dev, staging, prod ...): reads .env.<env>")
    parser.add_argument("--project-dir", type=Path, default=None, help="compose project directory")
    parser.add_argument(
        "-f", "--file", dest="files", action="append", default=[], help="compose file (repeatable)"
    )
    parser.add_argument("-p", "--project-name", help="compose project name")
    parser.add_argument("--read-only", action="store_true", help="disable every mutating action")
    parser.add_argument("--theme", help="theme name (arc-dark, arc-light, arc-mono, or your own)")
    parser.add_argument("--keymap", help="keymap name (default, vim, or your own)")
    parser.add_argument("--refresh", type=_refresh, help="poll interval in seconds")
    parser.add_argument("--demo", action="store_true", help="run against a simulated platform")
    parser.add_argument(
        "--engine",
        dest="engines",
        metavar="NAME=DOCKER_HOST",
        type=_engine_option,
        action="append",
        default=[],
        help="watch another engine too (repeatable; NAME=CONTEXT, or NAME=demo with --demo)",
    )
    parser.add_argument("--settings", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--at",
        metavar="WHEN",
        help="replay the recorded state at WHEN (03:10, '2h ago', an ISO time)",
    )
    parser.add_argument(
        "--store", type=Path, help="flight-recorder store (default: per project, XDG state)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if wanted(["env"]):
        env = sub.add_parser("env", help="print the layered env values and their source files")
        env.add_argument("--json", action="store_true", help="machine-readable output")
    if wanted(["status"]):
        status = sub.add_parser("status", help="print the services and their state (headless)")
        status.add_argument("--json", action="store_true", help="machine-readable output")
    if wanted([*ACTION_VERBS, "audit"]):
        add_action_parsers(sub)
    if wanted(HEALTH_COMMANDS):
        add_health_parsers(sub)  # health, doctor, diagnostics
    if wanted(["serve"]):
        from arctui.web import add_parser as add_serve_parser

        add_serve_parser(sub)  # serve: the TUI in a browser
    named = None if argv is None or {"-h", "--help"} & set(argv) else set(argv)
    loaded = modules_for(named)
    for extra in loaded.values():  # commands that belong to no tab (record, alerts ...)
        extra.add_parsers(sub)
    for name, path in EXTRA.items():
        if path not in loaded and only is None:
            sub.add_parser(name)  # not named on this command line
    for spec in TABS:  # each tab's own headless commands (arctui postgres, arctui logs ...)
        if named is None or named & set(spec.commands):
            module = spec.load_cli()
            if module is not None:
                module.add_parsers(sub)
        elif only is None:
            for name in spec.commands:
                sub.add_parser(name)  # not named on this command line
    return parser


def command_names() -> set[str]:
    """Every subcommand's name (without building a parser)."""
    builtin = {"env", "status", "audit", "serve", *ACTION_VERBS, *HEALTH_COMMANDS}
    return builtin | set(EXTRA) | {name for spec in TABS for name in spec.commands}


def make_session(args: argparse.Namespace) -> Session:
    """Resolve settings, project and sources from the arguments. Raises ConfigError.

    `--at WHEN` turns it into a replay of the recorded moment (record/replay_session.py).
    """
    session = _live_session(args)
    if getattr(args, "at", None) is None:  # a replay is of one engine's recording
        _with_fleet(session, args)
    if getattr(args, "store", None) is not None:  # the header and health view read it too
        # Set once, before anything else sees the session (as `with_tab_sources` does).
        object.__setattr__(session, "store_path", args.store.expanduser())
    if getattr(args, "at", None) is not None:
        from arctui.record.replay_session import replay_session

        return replay_session(session, args.at, args.store)
    if getattr(args, "command", None) in PREFETCHED:
        return session  # `status` and `health` read no disk growth (Maintenance does)
    from arctui.record.volume_history import with_volume_history  # opens nothing yet

    session = with_volume_history(session, getattr(args, "store", None))
    if getattr(args, "command", None) is None:  # the TUI: Resources charts from the recording
        from arctui.record.chart_history import with_store_history

        return with_store_history(session, getattr(args, "store", None))
    return session


# Headless commands whose first engine reads are asked for as soon as the session exists.
PREFETCHED = ("status", "health")


def _prefetch(session: Session) -> None:
    """Every engine's container list and /info, sent now and read by the command: the
    engine answers while the rest is imported (issue 19: `status` within `compose ps`)."""
    from arctui.sources.docker_engine import prefetch_reads

    for member in session.fleet.all:
        if member.engine is not None:
            prefetch_reads(member.engine, member.project)


# Headless commands that read the recorded moment with --at (the replay session's
# readers return the frame; its engine refuses every call).
REPLAY_COMMANDS = ("status",)


def replay_refusal(command: str) -> str:
    """Why a headless command does not run with `--at` (replay is the TUI's, read-only)."""
    return (
        f"--at replays a recorded moment in the TUI: `arctui {command}` acts on or reads "
        "the live stack, so it is refused with --at (nothing was run); run it without --at"
        + ("" if command == "history" else ", or see `arctui history`")
    )


def _with_fleet(session: Session, args: argparse.Namespace) -> None:
    """The settings' `engines:` and `--engine` as the session's fleet (arctui/fleet.py)."""
    from arctui.fleet import build_fleet, merge_specs

    specs = merge_specs(session.settings.engines, getattr(args, "engines", None) or ())
    if specs:
        build_fleet(
            session,
            specs,
            settings=load_user_settings(args.settings),
            files=args.files,
            read_only=args.read_only,
            refresh=args.refresh,
        )


def _live_session(args: argparse.Namespace) -> Session:
    settings = load_user_settings(args.settings)
    if args.demo:
        return demo_session(
            settings, env=args.env or "demo", read_only=args.read_only, refresh=args.refresh
        )
    given = args.project_dir or Path.cwd()
    try:
        project_dir = given.expanduser().resolve()
    except (RuntimeError, OSError) as exc:  # 3.11 raises RuntimeError on a symlink loop
        loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP
        reason = "is a symlink loop" if loop else f"cannot be read: {exc}"
        raise ConfigError(f"--project-dir {reason}", given) from None
    return real_session(
        project_dir,
        args.env,
        args.files,
        args.project_name,
        settings,
        read_only=args.read_only,
        refresh=args.refresh,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `arctui` console script."""
    if argv is None:  # the process's own entry: the console script, `python -m arctui`
        # What is loaded by now (modules, classes, functions) lives as long as the process:
        # the collector need not scan it again at each pass during the command, nor at exit
        # (~5 % of a headless `status`'s CPU). Not for an in-process caller (tests pass argv):
        # its objects of the moment would never be collected.
        gc.freeze()
    try:
        code = _main(argv)
        sys.stdout.flush()  # inside the try: `arctui status | head -1` closes the pipe early
    except BrokenPipeError:
        return broken_pipe_exit()
    return code


def _main(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv, build_parser, command_names)  # arctui/cli_parse.py
    if getattr(args, "at", None) is not None and args.command not in (None, *REPLAY_COMMANDS):
        error(replay_refusal(args.command))  # before any project or store is read
        return 2
    if args.command == "audit":
        return audit_command(args)  # needs no project
    extra_module = module_of(args.command)
    if extra_module is not None:  # a command that needs no project (`agent`) says so
        loaded = importlib.import_module(extra_module)
        if getattr(loaded, "NEEDS_PROJECT", True) is False:
            return int(loaded.run(None, args))
    try:
        session = make_session(args)
    except ConfigError as exc:
        error(exc)
        return 2
    if args.command in PREFETCHED and session.replay_at is None:
        _prefetch(session)
    if args.command not in (None, "env") and session.env_layers is not None:
        from arctui.ops.envinfo import env_warnings  # `--env prdo`: say .env.prdo is missing

        base = session.spec.project_dir if session.spec else None
        for warning in env_warnings(session.env_layers, base):
            emit(f"warning: {warning}", file=sys.stderr)
    if args.command == "env":
        return _env(session, as_json=args.json)
    if args.command == "status":
        return _status(session, as_json=args.json)
    if args.command == "serve":  # each browser session runs its own arctui process
        from arctui.web import run_serve

        session.reader.containers.close()
        return run_serve(args)
    tab_commands = headless_commands()
    extra = module_of(args.command)
    if args.command in tab_commands or extra is not None:
        spec = tab_commands.get(args.command)
        module = spec.load_cli() if spec else importlib.import_module(str(extra))
        assert module is not None  # headless_commands() lists only tabs with a cli
        # A CLI that prints through arctui.output itself says so; any other's output is
        # made safe on its way out (sanitized and redacted like everything else).
        streams = sys.stdout, sys.stderr
        if not getattr(module, "SAFE_OUTPUT", False):
            sys.stdout = SafeStream(streams[0], session.redactor)  # type: ignore[assignment]
            sys.stderr = SafeStream(streams[1], session.redactor)  # type: ignore[assignment]
        try:
            return int(module.run(session, args))
        finally:
            sys.stdout, sys.stderr = streams
            session.reader.containers.close()
    if args.command in HEALTH_COMMANDS:
        return run_health_command(session, args)  # closes the engine connection
    if args.command in ACTION_VERBS:
        try:
            return run_action_command(session, args)
        finally:
            session.reader.containers.close()
    from arctui.ui.app import ArcApp  # only the TUI branch imports Textual

    app = ArcApp(session, theme=args.theme, keymap=args.keymap)
    app.run()
    # Textual restores the terminal and prints the traceback of an unhandled exception,
    # then returns normally: its return code (1 then) is the only sign of the crash.
    return app.return_code or 0


def _env(session: Session, as_json: bool) -> int:
    from arctui.ops.envinfo import compose_reads, env_rows, env_warnings

    if session.env_layers is None:
        print("arctui: the demo platform reads no env files", file=sys.stderr)
        return 0
    base = session.spec.project_dir if session.spec else None
    rows = env_rows(session.env_layers, base)
    warnings = env_warnings(session.env_layers, base)
    reads = compose_reads(session.env_layers, base)
    if as_json:
        out = {
            "env": session.env,
            "warnings": warnings,
            "compose_reads": reads,
            "values": [vars(r) for r in rows],
        }
        emit_json(out)
        return 0
    for warning in warnings:
        emit(f"warning: {warning}", file=sys.stderr)
    _notes(session)
    emit(f"# compose reads: {', '.join(reads) or 'no env file'}")
    # Columns sized to their content (capped, so one long key does not push every value).
    scope_w = min(30, max([5, *(len(r.scope) for r in rows)]))
    key_w = min(40, max([3, *(len(r.key) for r in rows)]))
    value_w = min(40, max([5, *(len(r.value) for r in rows)]))
    emit(f"{'SCOPE':<{scope_w}}  {'KEY':<{key_w}}  {'VALUE':<{value_w}}  FROM")
    for r in rows:
        note = f"  (replaced {r.overridden})" if r.overridden else ""
        note += "" if r.used else "  (unused: no compose env_file names it)"
        note += "  (shell overrides)" if r.shell_overrides else ""
        emit(f"{r.scope:<{scope_w}}  {r.key:<{key_w}}  {r.value:<{value_w}}  {r.source}{note}")
    return 0


def _notes(session: Session) -> None:
    """How the project was found, when not the obvious way (stderr, text output only)."""
    for note in session.spec.notes if session.spec else ():
        emit(f"note: {note}", file=sys.stderr)


def _status(session: Session, as_json: bool) -> int:
    from arctui.cli_status import status_command  # every engine of the fleet

    if session.replay_at is not None:  # --at: say that this is the past, not the stack now
        import time

        when = time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(session.replay_at))
        emit(f"REPLAY: the recorded state at {when} (nothing was read live)", file=sys.stderr)
    return status_command(session, as_json)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
