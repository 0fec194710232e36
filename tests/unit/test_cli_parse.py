"""The narrow parser (arctui/cli_parse.py): what a named command line parses to, and
what an operator sees on a bad one, are the full parser's; only the building is cut."""

from __future__ import annotations

import argparse

import pytest

from arctui import cli
from arctui.config.errors import ConfigError

LINES = [
    ["status"],
    ["status", "--json"],
    ["-p", "arctui-test", "-f", "a.yml", "-f", "b.yml", "status"],
    ["--env", "prod", "--read-only", "--refresh", "2", "status", "--json"],
    ["-p", "status", "status"],  # an option's value that is a command name
    ["health", "--no-probe"],
    ["health", "--json"],
    ["restart", "-t", "5", "web"],
    ["scale", "web", "3", "-y"],
    ["audit", "-n", "3"],
    ["env", "--json"],
    ["postgres", "--json"],
    ["record", "--help-not-an-option"],  # rejected: the full parser says so
]

BAD = [
    ["stat"],
    ["status", "--bogus"],
    ["status", "-h"],
    ["--he"],  # abbreviates --help
    ["-p", "x", "status", "--json", "--he"],
    ["health", "--no-probe", "extra"],
    ["restart", "-t", "-5", "web"],
    ["--refresh", "0", "status"],
    ["--engine", "bad", "status"],
    ["scale", "web"],
    ["--version", "status"],
]


def _full(argv: list[str]) -> argparse.Namespace:
    return cli.build_parser(argv).parse_args(argv)


def _outcome(parse: object, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple:
    try:
        result: object = vars(parse(argv))  # type: ignore[operator]
    except SystemExit as exc:
        result = ("exit", exc.code)
    out = capsys.readouterr()
    return result, out.out, out.err


@pytest.mark.parametrize("argv", LINES + BAD, ids=" ".join)
def test_a_line_gives_what_the_full_parser_gives(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    def narrow(line: list[str]) -> argparse.Namespace:
        return cli.parse_args(line, cli.build_parser, cli.command_names)

    assert _outcome(narrow, argv, capsys) == _outcome(_full, argv, capsys)


def test_status_builds_no_parser_for_the_other_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every placeholder is an ArgumentParser (~0.2 ms each, ~8 ms of a status in all)."""
    built: list[str] = []
    real = argparse.ArgumentParser.__init__

    def counting(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        built.append(str(kwargs.get("prog", args[0] if args else "")))
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    def no_project(args: argparse.Namespace) -> None:
        raise ConfigError("stop here", None)

    monkeypatch.setattr(argparse.ArgumentParser, "__init__", counting)
    monkeypatch.setattr(cli, "make_session", no_project)
    assert cli.main(["-p", "x", "status", "--json"]) == 2
    assert len(built) == 2, built  # arctui and arctui status


def test_every_command_name_is_known_without_a_parser() -> None:
    sub = next(
        a for a in cli.build_parser(None)._actions if isinstance(a, argparse._SubParsersAction)
    )
    assert set(sub.choices) == cli.command_names()
