"""The one exception the config package raises.

Every message is a single line an operator can act on: which file, what is wrong,
and where possible the line number (`path:line: reason`).
"""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """A config, settings or env file is missing, unreadable or invalid."""

    def __init__(self, reason: str, path: Path | str | None = None, line: int | None = None):
        self.reason = " ".join(reason.split())  # one line, whatever the caller passed
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(self._format())

    def _format(self) -> str:
        if self.path is None:
            return self.reason
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.reason}"
