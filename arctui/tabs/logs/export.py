"""Writing log lines out: the text format `arctui logs` prints, and saving to a file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from arctui.tabs.logs.models import LogLine


def format_line(line: LogLine, width: int = 0, stamps: bool = True) -> str:
    """`<time UTC> <tag> <|or!> <text>` (`!` marks stderr), as `arctui logs` prints it."""
    mark = "!" if line.stream == "stderr" else "|"
    head = f"{line.iso(3)} " if stamps else ""
    return f"{head}{line.source:<{width}} {mark} {line.text}"


def save_lines(lines: Iterable[LogLine], path: Path) -> int:
    """Write the lines to `path` (mode 0600: logs hold what secrets the redactor missed).

    Refuses to follow a symlink at `path`; returns the number of lines written.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
    count = 0
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for line in lines:
            out.write(format_line(line) + "\n")
            count += 1
    return count
