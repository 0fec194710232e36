"""How a message quotes a value it was given: one line, escapes visible, capped.

A 1,500-character theme colour used to fill 27 notification rows, quoted whole. Every
message that quotes an operator's value (settings, themes, keymaps, YAML errors) goes
through `quoted()`; `repr` shows controls and escapes as `\\x1b`, so the result is inert
on a terminal and always one line. Lowest layer: config and the loaders use it too.
"""

from __future__ import annotations

import reprlib

QUOTE_LIMIT = 40  # enough to recognise a value; a toast is about 50 columns wide

_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxdict = _REPR.maxlist = _REPR.maxtuple = _REPR.maxset = 4
_REPR.maxstring = _REPR.maxother = QUOTE_LIMIT


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """`repr(value)` in at most about `limit` characters; a cut string says its length."""
    if isinstance(value, str):
        text, length = repr(value[: limit + 1]), len(value)
    else:
        text, length = _REPR.repr(value), None
    if len(text) <= limit + 2 and (length is None or length <= limit):
        return text
    return text[:limit] + "…" + (f" ({length:,} characters)" if length is not None else "")
