"""Search and filter over log lines: plain text or regex, case modes, level (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from arctui.tabs.logs.models import Level, LogLine

CASE_MODES = ("smart", "sensitive", "insensitive")


class FilterError(ValueError):
    """The pattern is not a valid regular expression (message says where)."""


@dataclass(frozen=True)
class LineFilter:
    """What to match: `pattern` (plain or regex, by `case`) and a minimum `level`.

    `smart` case (as in ripgrep and less): insensitive unless the pattern holds an
    upper-case letter. An empty pattern matches every line.
    """

    pattern: str = ""
    regex: bool = False
    case: str = "smart"
    level: Level | None = None

    def __post_init__(self) -> None:
        if self.case not in CASE_MODES:
            raise FilterError(f"case must be one of {', '.join(CASE_MODES)}")
        object.__setattr__(self, "_compiled", self._compile())

    def _compile(self) -> re.Pattern[str] | None:
        if not self.pattern:
            return None
        source = self.pattern if self.regex else re.escape(self.pattern)
        insensitive = self.case == "insensitive" or (
            self.case == "smart" and self.pattern == self.pattern.lower()
        )
        try:
            return re.compile(source, re.IGNORECASE if insensitive else 0)
        except re.error as exc:
            raise FilterError(f"bad regular expression {self.pattern!r}: {exc}") from exc

    @property
    def compiled(self) -> re.Pattern[str] | None:
        """The compiled pattern, or None when there is none."""
        return getattr(self, "_compiled")  # noqa: B009 - set in __post_init__

    @property
    def active(self) -> bool:
        """True when the filter hides anything."""
        return bool(self.pattern) or self.level is not None

    def matches(self, line: LogLine) -> bool:
        """True when the line passes the level and the pattern."""
        if self.level is not None and (line.level is None or line.level < self.level):
            return False
        compiled = self.compiled
        return compiled is None or compiled.search(line.text) is not None

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Where the pattern matches in `text` (for highlighting); empty matches skipped."""
        compiled = self.compiled
        if compiled is None:
            return
        for m in compiled.finditer(text):
            if m.end() > m.start():
                yield m.start(), m.end()

    def describe(self) -> str:
        """One line for the status bar: `/err.*timeout/ regex, smart case, level >= WARN`."""
        parts = []
        if self.pattern:
            kind = "regex" if self.regex else "text"
            parts.append(f"{self.pattern!r} {kind}, {self.case} case")
        if self.level is not None:
            parts.append(f"level >= {self.level.name}")
        return "; ".join(parts) or "no filter"
