"""Parsing the command line with only the subcommands it names (issue 19: `status` speed).

The full parser has ~45 subcommands; building each one costs argparse a parser (gettext
look-ups included), ~8 ms of every headless `arctui status` on a quiet machine. A command
line that names its command is parsed first by a narrow parser holding the top-level
options and the named commands only. Anything that parser would *print* (an error, help,
the list of commands) is not printed: it gives up, and the full parser parses the same
line again, so what an operator sees never depends on the shortcut.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

_NEVER_PRINTED_WIDTH = 1000


class _GaveUp(Exception):
    """The narrow parser met something only the full parser may answer."""


class _GiveUpOnHelp(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise _GaveUp


class NarrowParser(argparse.ArgumentParser):
    """An ArgumentParser (its subcommands' too) that never prints: it raises `_GaveUp`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action=_GiveUpOnHelp)  # `--he` abbreviates it

    def _get_formatter(self) -> argparse.HelpFormatter:
        # add_argument checks a metavar with a formatter, whose terminal width (HelpFormatter
        # imports shutil for it, with bz2 and lzma) nothing here prints with.
        return self.formatter_class(prog=self.prog, width=_NEVER_PRINTED_WIDTH)  # type: ignore[call-arg]

    def error(self, message: str) -> NoReturn:
        raise _GaveUp

    def print_usage(self, file: Any = None) -> None:
        raise _GaveUp

    def print_help(self, file: Any = None) -> None:
        raise _GaveUp


Build = Callable[..., argparse.ArgumentParser]


def parse(argv: Sequence[str], build: Build, known: Callable[[], set[str]]) -> argparse.Namespace:
    """`build(argv).parse_args(argv)`, through a parser of the named commands when it can.

    `build(argv, only=names, parser_class=cls)` builds the narrow one; `known()` is every
    command name. A line that names none (the TUI) goes to the full parser directly.
    """
    named = set(argv) & known()
    if named:
        try:
            return build(argv, only=named, parser_class=NarrowParser).parse_args(argv)
        except _GaveUp:
            pass
    return build(argv).parse_args(argv)
