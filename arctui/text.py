"""The one sanitizer for text that comes from outside (containers, logs, env, SQL, keys).

Textual and Rich pass ESC sequences through to the terminal, so a container name or a
log line could retitle the terminal or write the clipboard (OSC 52). Everything shown
goes through `clean()` first, and is then rendered as plain text, never as markup.
"""

from __future__ import annotations

import re

MAX_LINE = 16 * 1024  # a 10 MB line froze RichLog for over a minute; cap it

# ESC sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC (ESC ] ... BEL or ST),
# and two-character escapes. The 8-bit C1 forms (0x9b CSI, 0x9d OSC ...) likewise.
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]                        # CSI
    | (?:\x1b[\]P^_X]|[\x9d\x90\x9e\x9f\x98]).*?(?:\x07|\x1b\\|\x9c|$)  # OSC, DCS, PM, APC, SOS
    | \x1b[@-Z\\-_]                                          # other two-byte escapes
    | \x1b                                                   # a lone ESC
    """,
    re.VERBOSE | re.DOTALL,
)
# Remaining C0 (except tab, newline, CR), DEL and C1 controls.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean(text: str | bytes | None, limit: int = MAX_LINE) -> str:
    """Outside text made safe to show: escapes stripped, controls visible, length capped."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("\ufffd", text).replace("\r", "")
    if len(text) > limit:
        text = text[:limit] + f"… [{len(text) - limit} more chars]"
    return text


def one_line(text: str | bytes | None, limit: int = 512) -> str:
    """`clean()` for a table cell: newlines and tabs become spaces, shorter cap."""
    return clean(text, limit).replace("\n", " ").replace("\t", " ")
