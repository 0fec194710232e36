"""The one sanitizer for text that comes from outside (containers, logs, env, SQL, keys).

Textual and Rich pass ESC sequences through to the terminal, so a container name or a
log line could retitle the terminal or write the clipboard (OSC 52). Everything shown
goes through `clean()` first, and is then rendered as plain text, never as markup.
`clean()` also masks the secret values the session's redactor knows.
"""

from __future__ import annotations

import re

from arctui.config.masking import redact_known

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
# Invisible characters that change what a reader sees: bidi embeddings, overrides and
# isolates (U+202E makes `gpj.exe` read `exe.jpg`), zero-width spaces and joiners, the
# word joiner and the BOM. They are shown as `<U+202E>` so a name cannot hide one.
_INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


_SURROGATES = re.compile("[\ud800-\udfff]")


def _visible(m: re.Match[str]) -> str:
    return f"<U+{ord(m[0]):04X}>"


def _escaped(m: re.Match[str]) -> str:
    code = ord(m[0])
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def safe_text(value: object) -> str:
    """`value` as text that always encodes to UTF-8.

    argv and environment bytes that are not UTF-8 reach Python as surrogate escapes
    (`$'\\xff'` is U+DCFF); they are shown as `\\xff`, other lone surrogates as `\\udXXX`.
    """
    return _SURROGATES.sub(_escaped, value if isinstance(value, str) else str(value))


def clean(text: str | bytes | None, limit: int = MAX_LINE) -> str:
    """Outside text made safe to show: escapes stripped, controls and bidi visible, capped."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = safe_text(text)  # argv bytes that are not UTF-8 must not crash a printer
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("\ufffd", text).replace("\r", "")
    text = _INVISIBLE.sub(_visible, text)
    # Known secret values (env files, containers' environment) never reach a screen,
    # even through a path that forgot the redactor; patterns are left to the redactor
    # (`user:token:1` is a fine Redis key name).
    text = redact_known(text)
    if len(text) > limit:
        text = text[:limit] + f"… [{len(text) - limit} more chars]"
    return text


def one_line(text: str | bytes | None, limit: int = 512) -> str:
    """`clean()` for a table cell: newlines and tabs become spaces, shorter cap."""
    return clean(text, limit).replace("\n", " ").replace("\t", " ")
