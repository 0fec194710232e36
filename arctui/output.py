"""Headless output: everything a subcommand prints goes through here.

`safe()` is the TUI's sanitizer (`arctui.text.clean`: escapes stripped, controls, bidi
overrides and zero-width characters made visible) plus the session's redactor, applied
before and after cleaning: before, so a secret that a length cap would cut is still
whole; after, so one split by escape sequences is masked once they are gone.
`emit()` prints one safe text; `emit_json()` prints a JSON document whose strings are
redacted and whose non-ASCII and control characters are \\u-escaped (inert on a
terminal). Other tabs' CLIs call these too. No Textual here.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Any

from arctui.config.masking import Redactor, active_redactor
from arctui.text import MAX_LINE, clean


def safe(text: object, redactor: Redactor | None = None, limit: int = MAX_LINE) -> str:
    """Outside text made safe to print: redacted, cleaned, redacted again."""
    r = redactor or active_redactor()
    return r.redact(clean(r.redact(str(text)), limit))


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
