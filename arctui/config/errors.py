"""The one exception the config package raises.

Every message is a single line an operator can act on: which file, what is wrong,
and where possible the line number (`path:line: reason`).
"""

from __future__ import annotations

from pathlib import Path

MAX_REASON = 400


class ConfigError(Exception):
    """A config, settings or env file is missing, unreadable or invalid."""

    def __init__(self, reason: str, path: Path | str | None = None, line: int | None = None):
        reason = " ".join(reason.split())  # one line, whatever the caller passed
        # A backstop: callers quote values through `quoted()`, but a name can be long too.
        self.reason = reason if len(reason) <= MAX_REASON else reason[:MAX_REASON] + "…"
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(self._format())

    def _format(self) -> str:
        if self.path is None:
            return self.reason
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.reason}"


_NO_VALUE = object()


class SettingError(ValueError):
    """One entry inside a setting's mapping is wrong (`backups: {keep_days: -1}`).

    `key` is the entry's name below the setting, `reason` says what is wrong as a
    predicate ("must be a positive number"); the settings loader writes it as
    `key 'backups.keep_days' must be a positive number, got -1`.
    """

    def __init__(self, key: str, reason: str, value: object = _NO_VALUE) -> None:
        super().__init__(f"{key} {reason}")
        self.key = key
        self.reason = reason
        self.value = value

    @property
    def has_value(self) -> bool:
        """Whether the message should quote the value it got."""
        return self.value is not _NO_VALUE
