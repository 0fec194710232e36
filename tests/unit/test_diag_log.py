"""The log file: a swallowed error is written with its reason, redacted, clean, rotated."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from arctui.config.masking import Redactor
from arctui.sources import diag_log
from arctui.sources.base import SourceError
from arctui.sources.event_hub import EventHub

SECRET = "s3cr3t-Pa55word-9f2"


@pytest.fixture
def installed(tmp_path: Path):
    redactor = Redactor()
    redactor.learn([SECRET])
    path = diag_log.install(redactor.redact, tmp_path / "state", max_bytes=4000, backups=3)
    yield path
    diag_log.uninstall()


def test_a_swallowed_engine_error_is_logged_redacted_and_clean(installed: Path, capsys) -> None:
    class Failing:
        """An engine that answers with a hostile error, then stops."""

        def __init__(self) -> None:
            self.calls = 0

        def follow_events(self, project, on_event, stop, since=None) -> None:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError(f"boom password={SECRET} \x1b]0;pwned\x07 \x9b31m")
            raise SourceError(f"no Docker engine answers ({SECRET})")

        def close(self) -> None:
            pass

    source = Failing()
    hub = EventHub("p", source, replay=0.0)  # type: ignore[arg-type]
    hub.subscribe(lambda e: None, "app")
    deadline = time.monotonic() + 10
    while source.calls < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the second try comes after the 1 s backoff
    hub.close()
    for handler in logging.getLogger("arctui").handlers:
        handler.flush()
    text = installed.read_text("utf-8")
    assert "engine event follower failed" in text  # the bug: its traceback
    assert "RuntimeError: boom" in text
    assert "engine event stream failed: no Docker engine answers" in text  # the reason
    assert SECRET not in text
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""  # never the terminal


def test_the_log_file_rotates_and_keeps_three(installed: Path) -> None:
    log = logging.getLogger("arctui.sources.test")
    for i in range(400):
        log.warning("record %d %s", i, "x" * 60)
    files = sorted(p.name for p in installed.parent.iterdir())
    assert files == ["arctui.log", "arctui.log.1", "arctui.log.2", "arctui.log.3"]
    assert all(p.stat().st_size <= 4000 + 200 for p in installed.parent.iterdir())
    assert "record 399" in installed.read_text("utf-8")


def test_unwritable_state_dir_logs_nowhere(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert diag_log.install(lambda s: s, blocker / "state") is None
    logging.getLogger("arctui.x").error("goes nowhere")  # and does not raise


def test_threads_log_without_the_terminal(installed: Path, capsys) -> None:
    t = threading.Thread(target=lambda: logging.getLogger("arctui.t").error("from a thread"))
    t.start()
    t.join()
    assert "from a thread" in installed.read_text("utf-8")
    assert capsys.readouterr().err == ""
