"""Headless output: everything a subcommand prints goes through here.

`safe()` is the TUI's sanitizer (`arctui.text.clean`: escapes stripped, controls, bidi
overrides and zero-width characters made visible) plus the session's redactor, applied
before and after cleaning: before, so a secret that a length cap would cut is still
whole; after, so one split by escape sequences is masked once they are gone.
`emit()` prints one safe text; `emit_json()` prints a JSON document whose strings are
redacted and whose non-ASCII and control characters are \\u-escaped (inert on a
terminal). Other tabs' CLIs call these too.

Tables: `cell()` and `table()` make every cell safe (redacted, cleaned, one line) before
measuring and padding it. Padding first and redacting the line after shifts every
column behind a masked cell (a secret and its mask differ in length), and an escape
stripped after padding does the same. Widths are display columns (a CJK character is
two). No Textual here.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Collection, Sequence
from typing import IO, Any

from arctui.config.masking import Redactor, active_redactor
from arctui.text import MAX_LINE, clean, one_line

CELL_MAX = 512  # a cell is capped like a TUI table cell


def safe(text: object, redactor: Redactor | None = None, limit: int = MAX_LINE) -> str:
    """Outside text made safe to print: redacted, cleaned, redacted again."""
    r = redactor or active_redactor()
    return r.redact(clean(r.redact(str(text)), limit))


def width(text: str) -> int:
    """Display columns of `text` (wide East Asian characters take two, combining none)."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return total


def _cut(text: str, columns: int) -> str:
    if width(text) <= columns:
        return text
    out, used = [], 0
    for ch in text:
        w = width(ch)
        if used + w > columns - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def safe_cell(text: object, redactor: Redactor | None = None) -> str:
    """One table cell's text: redacted, cleaned, on one line (then it can be measured)."""
    r = redactor or active_redactor()
    return r.redact(one_line(r.redact(str(text)), CELL_MAX))


def cell(
    text: object,
    columns: int,
    *,
    right: bool = False,
    cut: bool = False,
    redactor: Redactor | None = None,
) -> str:
    """`text` made safe, then padded to `columns` (cut to them with … when `cut`)."""
    shown = safe_cell(text, redactor)
    if cut:
        shown = _cut(shown, columns)
    pad = " " * max(0, columns - width(shown))
    return pad + shown if right else shown + pad


def table(
    rows: Sequence[Sequence[object]],
    *,
    right: Collection[int] = (),
    caps: Sequence[int | None] | None = None,
    sep: str = "  ",
    redactor: Redactor | None = None,
) -> list[str]:
    """Rows as aligned lines: every cell made safe, then measured (capped at `caps[i]`,
    longer cells cut with …) and padded; the last column is not padded."""
    cells = [[safe_cell(c, redactor) for c in row] for row in rows]
    count = max((len(r) for r in cells), default=0)
    widths = [max((width(r[i]) for r in cells if i < len(r)), default=0) for i in range(count)]
    for i, cap in enumerate(caps or ()):
        if cap is not None and i < count:
            widths[i] = min(widths[i], cap)
    lines = []
    for row in cells:
        parts = []
        for i, text in enumerate(row):
            shown = _cut(text, widths[i])
            pad = " " * (widths[i] - width(shown))
            parts.append(pad + shown if i in right else shown + pad)
        lines.append(sep.join(parts).rstrip())
    return lines


def emit_table(
    rows: Sequence[Sequence[object]],
    *,
    right: Collection[int] = (),
    caps: Sequence[int | None] | None = None,
    sep: str = "  ",
    file: IO[str] | None = None,
    redactor: Redactor | None = None,
) -> None:
    """Print `table(rows)` (each line passes `emit`, which changes nothing in it now)."""
    for line in table(rows, right=right, caps=caps, sep=sep, redactor=redactor):
        emit(line, file=file, redactor=redactor)


def emit(
    text: object = "",
    *,
    file: IO[str] | None = None,
    redactor: Redactor | None = None,
    limit: int = MAX_LINE,
) -> None:
    """Print one safe text (newlines and tabs kept) to stdout, or `file`."""
    print(safe(text, redactor, limit), file=file or sys.stdout)


print_safe = emit


def error(text: object, *, redactor: Redactor | None = None) -> None:
    """`arctui: <text>` on stderr, safe."""
    emit(f"arctui: {text}", file=sys.stderr, redactor=redactor)


def redact_data(value: Any, redactor: Redactor | None = None) -> Any:
    """A JSON-like value with every string (keys too) redacted."""
    r = redactor or active_redactor()
    if isinstance(value, str):
        return r.redact(value)
    if isinstance(value, dict):
        return {redact_data(k, r): redact_data(v, r) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, r) for v in value]
    return value


def emit_json(
    value: Any,
    *,
    file: IO[str] | None = None,
    redactor: Redactor | None = None,
    indent: int | None = 2,
) -> None:
    """Print a JSON document: strings redacted, everything outside ASCII escaped."""
    out = file or sys.stdout
    out.write(json.dumps(redact_data(value, redactor), indent=indent, ensure_ascii=True) + "\n")


class SafeStream:
    """A text stream that passes every write through `safe()`: for printers that were
    written before `emit()` (a tab's CLI), so that nothing reaches the terminal raw.

    It reports itself as no terminal, so progress printers choose plain lines over
    carriage-return redraws (their control sequences would be stripped anyway).
    """

    def __init__(self, inner: IO[str], redactor: Redactor | None = None) -> None:
        self.inner = inner
        self.redactor = redactor

    def write(self, text: str) -> int:
        """Write `text` made safe; returns the length given (as file objects do)."""
        if text:
            self.inner.write(safe(text, self.redactor))
        return len(text)

    def flush(self) -> None:
        """Flush the stream underneath."""
        self.inner.flush()

    def isatty(self) -> bool:
        """Never a terminal: see the class docstring."""
        return False

    def fileno(self) -> int:
        """The stream underneath's descriptor (for broken_pipe_exit)."""
        return self.inner.fileno()


def broken_pipe_exit() -> int:
    """After stdout's reader went away (`arctui status | head -1`): exit quietly.

    stdout is pointed at /dev/null so the interpreter's final flush cannot fail again;
    128 + SIGPIPE is what a shell reports for a process killed by a closed pipe.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return 141
