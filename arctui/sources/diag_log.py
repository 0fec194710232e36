"""arctui's own log file: every error a reader swallows is written down with its reason.

`$XDG_STATE_HOME/arctui/arctui.log`, rotated (1 MB, 3 old files kept), through the
stdlib `logging` module: modules log with `arctui.lazylog.get_logger(__name__)` (logging
is imported at the first record) and never print.
Every record passes `SafeRecords` first: the message (arguments and traceback included)
is formatted, redacted with the session's redactor and cleaned with `arctui.text.clean`,
so a log line can hold neither a secret nor a terminal escape from outside text.
Nothing goes to the terminal: the package logger has a NullHandler (so logging's "last
resort" handler never writes to stderr) and, once `install()`ed, does not propagate.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from arctui.lazylog import PACKAGE, package_logger
from arctui.text import clean

LOG_FILE = "arctui.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
RECORD_LIMIT = 8 * 1024  # characters of one record (a traceback included)
FORMAT = "%(asctime)s %(levelname)s %(name)s %(threadName)s: %(message)s"

ROOT = PACKAGE  # the package logger (its NullHandler is set by arctui/lazylog.py)


class SafeRecords(logging.Filter):
    """Formats each record's message and traceback, then redacts and cleans them."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception as exc:  # bad format arguments: keep what can be kept
            text = f"{record.msg!r} (unformattable: {exc!r})"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        elif record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + record.stack_info
        record.msg = clean(self.redact(text), RECORD_LIMIT)
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


class _Handler(RotatingFileHandler):
    """Ours: replaced, not duplicated, by a second `install()`."""


def install(
    redact: Callable[[str], str],
    directory: Path | None = None,
    max_bytes: int = MAX_BYTES,
    backups: int = BACKUPS,
    level: int = logging.INFO,
) -> Path | None:
    """Send arctui's records to the log file; where it is, or None when it cannot be made.

    `redact` is the session's redactor (`Redactor.redact`).
    """
    if directory is None:
        from arctui.config.settings import state_dir

        directory = state_dir()
    path = directory / LOG_FILE
    logger = package_logger()  # its NullHandler too: records never reach the terminal
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        handler = _Handler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    except OSError:
        return None  # no state directory: nowhere to log, and never the terminal
    handler.addFilter(SafeRecords(redact))
    handler.setFormatter(logging.Formatter(FORMAT))
    uninstall()
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # never to a handler on the root (a terminal)
    return path


def uninstall() -> None:
    """Remove (and close) the log file handler, if installed."""
    logger = logging.getLogger(ROOT)
    for handler in list(logger.handlers):
        if isinstance(handler, _Handler):
            logger.removeHandler(handler)
            handler.close()
