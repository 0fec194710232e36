"""Log levels, and the level of a log line as the platform's services write it (pure).

Below the tabs: the Logs tab and the doctor's wizards both read them.

Three shapes, tried in this order:
- JSON objects: `{"level":"error"}`, `"lvl"`, `"severity"`, `"levelname"`, `"log.level"`,
  and pino/bunyan numbers (10 trace ... 60 fatal);
- key=value: `level=error`, `lvl=warn`, `severity="WARNING"` (logfmt, Traefik, Go kit);
- plain text: an upper-case level word early in the line (`ERROR:` from Postgres,
  `[WARN]`, NATS's `[INF]`, logrus's `ERRO`, log4j's `2026-12-01 ... INFO ...`), a
  lower-case one opening the line (`fatal:`, `warning:`) or between tabs (zap), and
  Redis's own marks (`1:M 01 Dec 2026 14:00:00.000 # ...`).
Lines with no level stay without one; a continuation line (indented, `Traceback`,
`Caused by:`) takes the level of the line before it from the same container.
"""

from __future__ import annotations

import enum
import json
import re


class Level(enum.IntEnum):
    """Severity, ordered: a filter at WARN shows WARN and ERROR."""

    DEBUG = 10
    INFO = 20
    WARN = 30
    ERROR = 40

    @classmethod
    def parse(cls, name: str) -> Level:
        """`error`, `ERR`, `warning`, `Info`, `debug` ... -> Level (ValueError if unknown)."""
        level = level_word(name)
        if level is None:
            raise ValueError(f"unknown level {name!r}: use error, warn, info or debug")
        return level


_WORDS: dict[str, Level] = {
    **dict.fromkeys(("fatal", "panic", "critical", "crit", "emerg", "emergency", "alert",
                     "error", "err", "erro", "eror", "severe", "dpanic", "ftl", "fatl"),
                    Level.ERROR),
    **dict.fromkeys(("warn", "warning", "wrn", "warng"), Level.WARN),
    **dict.fromkeys(("info", "information", "notice", "log", "informational", "inf", "note"),
                    Level.INFO),
    **dict.fromkeys(("debug", "debu", "trace", "trac", "verbose", "fine", "finer", "finest",
                     "dbg", "trc"), Level.DEBUG),
}  # fmt: skip
_JSON_KEYS = ("level", "lvl", "severity", "levelname", "log.level", "loglevel", "@l", "l")
_KV = re.compile(r"""(?:^|[\s,{])(?:level|lvl|severity|loglevel|log\.level)=["']?([A-Za-z]+)""")
# Upper-case words: anywhere in the first part of the line (after a timestamp, a logger).
_UPPER = re.compile(
    r"(?<![A-Za-z0-9_])(FATAL|PANIC|CRITICAL|CRIT|EMERG|ALERT|ERROR|ERRO|ERR|SEVERE|WARNING"
    r"|WARN|NOTICE|INFO|DEBUG|DEBU|TRACE|LOG(?=:)|(?<=\[)(?:INF|WRN|DBG|TRC|FTL)(?=\]))"
    r"(?![A-Za-z0-9_])"
)
# zap's console encoder (the OTel collector, Jaeger): `<time>\tinfo\t<caller>\t<msg>`.
_TABBED = re.compile(r"^\S+\t(debug|info|warn|error|dpanic|panic|fatal)\t")
# Any case, at the start of the line (or bracketed first): `fatal: ...`, `[warn] ...`.
_OPENING = re.compile(
    r"^\s*[\[<(]?(fatal|panic|critical|error|err|warning|warn|info|notice|debug|trace)"
    r"(?:[\]>):]|\s+-\s|\s*\|)",
    re.IGNORECASE,
)
_REDIS = re.compile(r"^\d+:[XCSM] \d{1,2} [A-Z][a-z]{2} \d{4} [\d:.]+ ([.\-*#]) ")
_REDIS_MARKS = {".": Level.DEBUG, "-": Level.DEBUG, "*": Level.INFO, "#": Level.WARN}
_CONTINUATION = re.compile(
    r"^(?:\s+\S|Traceback \(most recent call last\)|Caused by:|\.\.\. \d+ more"
    r"|[A-Za-z_][\w$]*(?:\.[\w$]+)+: )"  # the exception line closing a trace
    r"|\] (?:DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION):  "  # Postgres's detail lines
)
_PINO = ((50, Level.ERROR), (40, Level.WARN), (30, Level.INFO), (0, Level.DEBUG))
HEAD = 200  # the level sits near the start; never scan a 16 KiB line for it


def level_word(word: str) -> Level | None:
    """The level a word names (`ERR`, `Warning`, `notice` ...), or None."""
    return _WORDS.get(word.strip().lower())


def _from_json(text: str) -> tuple[bool, Level | None]:
    """(was a JSON object, its level)."""
    try:
        obj = json.loads(text)
    except ValueError:
        return False, None
    if not isinstance(obj, dict):
        return False, None
    for key in _JSON_KEYS:
        value = obj.get(key)
        if value is None and "." in key:
            head, _, tail = key.partition(".")
            inner = obj.get(head)
            value = inner.get(tail) if isinstance(inner, dict) else None
        if isinstance(value, str):
            level = level_word(value)
            if level is not None:
                return True, level
        elif isinstance(value, int) and not isinstance(value, bool) and key in ("level", "lvl"):
            return True, next(lv for floor, lv in _PINO if value >= floor)
    return True, None


def parse_level(text: str) -> Level | None:
    """The level of one (clean) log line, or None when it states none."""
    stripped = text.lstrip()
    if stripped.startswith("{") and stripped.rstrip().endswith("}"):
        is_json, level = _from_json(stripped)
        if is_json:
            return level
    head = text[:HEAD]
    m = _KV.search(head)
    if m:
        level = level_word(m.group(1))
        if level is not None:
            return level
    m = _TABBED.match(head)
    if m:
        return level_word(m.group(1))
    m = _REDIS.match(head)
    if m:
        return _REDIS_MARKS[m.group(1)]
    m = _OPENING.match(head)
    if m:
        return level_word(m.group(1))
    m = _UPPER.search(head)
    if m:
        return level_word(m.group(1))
    return None


def is_continuation(text: str) -> bool:
    """A line that continues the previous one (stack trace, wrapped message)."""
    return bool(_CONTINUATION.search(text[:HEAD]))
