"""A module's logger, with `logging` imported at its first use, not at import.

`logging` (with traceback, tokenize and string) costs ~5 ms of every headless `status`,
which logs nothing. Records go to the log file once the TUI installs it
(`sources/diag_log.py`), never to the terminal: the package logger gets a NullHandler
before the first record, so logging's last resort never prints one to stderr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

PACKAGE = "arctui"


def package_logger() -> logging.Logger:
    """The `arctui` logger, with its NullHandler (added once)."""
    import logging

    logger = logging.getLogger(PACKAGE)
    if not any(type(h) is logging.NullHandler for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    return logger


class _LazyLogger:
    """Stands in for `logging.getLogger(name)` until something is logged."""

    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: logging.Logger | None = None

    def __getattr__(self, attr: str) -> Any:  # only for names the slots do not hold
        if self._logger is None:
            import logging

            package_logger()
            self._logger = logging.getLogger(self._name)
        return getattr(self._logger, attr)


def get_logger(name: str) -> logging.Logger:
    """`logging.getLogger(name)`, resolved on first use (a name under `arctui`)."""
    return _LazyLogger(name)  # type: ignore[return-value]
