"""Tab CLIs that print on their own still print nothing raw: the stream is made safe."""

from __future__ import annotations

import io

from arctui.config.masking import Redactor
from arctui.output import SafeStream


def test_writes_are_sanitized_and_redacted() -> None:
    inner = io.StringIO()
    stream = SafeStream(inner, Redactor(["hunter2-secret"]))
    print("key \x1b]0;pwned\x07 \x1b[31mred\x1b[0m pw=hunter2-secret \u202eevil", file=stream)
    out = inner.getvalue()
    assert "\x1b" not in out and "\x07" not in out
    assert "hunter2-secret" not in out
    assert "\u202e" not in out
    assert out.endswith("\n") and "red" in out


def test_it_is_never_a_terminal() -> None:
    """Progress printers then use plain lines, not carriage-return redraws."""
    assert not SafeStream(io.StringIO()).isatty()
