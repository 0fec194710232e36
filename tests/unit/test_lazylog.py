"""Loggers that import `logging` at their first use: `status` never pays for it, and a
record still never reaches the terminal (the package logger's NullHandler)."""

from __future__ import annotations

import logging
import subprocess
import sys

from arctui.lazylog import get_logger


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )


def test_importing_the_modules_that_log_imports_no_logging() -> None:
    done = _run(
        "import sys, arctui, arctui.fleet, arctui.sources.engine, arctui.sources.event_hub,"
        " arctui.sources.docker_engine, arctui.sources.docker_logs\n"
        "print('logging' in sys.modules)"
    )
    assert done.stdout.strip() == "False"


def test_a_record_before_any_handler_prints_nothing() -> None:
    done = _run(
        "import sys\n"
        "from arctui.lazylog import get_logger\n"
        "log = get_logger('arctui.sources.engine')\n"
        "log.warning('boom %s', 1)\n"
        "log.error('boom 2')\n"
        "print('logging' in sys.modules)"
    )
    assert done.stderr == ""  # logging's last resort would print both to stderr
    assert done.stdout.strip() == "True"


def test_records_reach_the_package_loggers_handlers() -> None:
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(f"{record.name}:{record.getMessage()}")

    package = logging.getLogger("arctui")
    handler = Keep()
    package.addHandler(handler)
    old = package.level
    try:
        # Levels set here: another test (or pytest's log capture) may have lowered them.
        package.setLevel(logging.WARNING)
        log = get_logger("arctui.sources.lazytest")
        log.info("ignored below the level")
        package.setLevel(logging.INFO)
        log.info("read failed: %s", "timeout")
    finally:
        package.setLevel(old)
        package.removeHandler(handler)
    assert seen == ["arctui.sources.lazytest:read failed: timeout"]
    assert get_logger("x").name == "x"


def test_every_logger_in_arctui_is_a_lazy_one() -> None:
    """A module with its own `logging.getLogger` would bring `logging` back into `status`
    and, logging before the package logger has its NullHandler, print to the terminal."""
    from pathlib import Path

    import arctui

    root = Path(arctui.__file__).parent
    allowed = {root / "lazylog.py", root / "sources" / "diag_log.py"}  # they set it up
    offenders = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if path not in allowed and "logging.getLogger(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
