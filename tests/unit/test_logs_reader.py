"""Records become safe, redacted, levelled lines; the feed counts what it drops."""

from __future__ import annotations

import threading
import time

from arctui.config.masking import MASK, Redactor
from arctui.demo.logs import DemoLogSource
from arctui.sources.docker_logs import LogRecord, LogTarget, LogWindow
from arctui.tabs.logs.buffer import LogBuffer
from arctui.tabs.logs.models import Level
from arctui.tabs.logs.reader import LineMaker, LogFeed, read_lines, source_tag

API = LogTarget("c1", "p-api-1", "api", 1)
API2 = LogTarget("c2", "p-api-2", "api", 2)


def rec(data: bytes, ts: int = 1, target: LogTarget = API, cut: int = 0) -> LogRecord:
    return LogRecord(target, "stdout", ts, data, cut)


def test_escapes_are_stripped_and_markup_kept_as_plain_text() -> None:
    raw = b"\x1b]0;pwned\x07title \x1b]52;c;ZXZpbA==\x07clip \x1b[31mred\x1b[0m [b]x[/nope]"
    line = LineMaker().make(rec(raw))
    assert "\x1b" not in line.text and "pwned" not in line.text and "ZXZpbA" not in line.text
    assert line.text == "title clip red [b]x[/nope]"


def test_invalid_utf8_and_controls_are_made_visible() -> None:
    line = LineMaker().make(rec(b"caf\xe9 \x00bell\x07"))
    assert line.text == "caf\ufffd \ufffdbell\ufffd"


def test_a_cut_line_carries_a_marker_with_the_dropped_size() -> None:
    line = LineMaker().make(rec(b"x" * 100, cut=1_048_476))
    assert line.text.endswith("… [line cut: 1048476 more bytes]")


def test_secrets_are_redacted_before_search_or_display() -> None:
    maker = LineMaker(Redactor(["hunter22"]).redact)
    line = maker.make(rec(b"login with hunter22 to postgresql://arc:pw123@db:5432/x"))
    assert "hunter22" not in line.text and "pw123" not in line.text and MASK in line.text


def test_continuation_lines_take_the_level_of_their_container_previous_line() -> None:
    maker = LineMaker()
    lines = [
        maker.make(rec(b"ERROR boom", 1)),
        maker.make(rec(b"INFO other container", 2, API2)),
        maker.make(rec(b"Traceback (most recent call last):", 3)),
        maker.make(rec(b'  File "x.py", line 1', 4)),
        maker.make(rec(b"plain again", 5)),
    ]
    assert [ln.level for ln in lines] == [Level.ERROR, Level.INFO, Level.ERROR, Level.ERROR, None]


def test_tags_and_json() -> None:
    assert source_tag("api", 1) == "api" and source_tag("api", 2) == "api#2"
    line = LineMaker().make(LogRecord(API2, "stderr", 1_796_134_157_123_456_789, b"level=warn x"))
    assert line.as_json() == {
        "ts": "2026-12-01T14:09:17.123456789Z",
        "service": "api",
        "source": "api#2",
        "container": "p-api-2",
        "stream": "stderr",
        "level": "WARN",
        "text": "level=warn x",
    }
    assert line.iso(3) == "2026-12-01T14:09:17.123Z"


class Flood:
    """A source that delivers `n` lines at once, then waits to be stopped."""

    def __init__(self, n: int) -> None:
        self.n = n

    def follow(self, services, window, sink, stop, on_error=None) -> None:
        for i in range(self.n):
            sink([rec(b"line %d" % i, i)])
        stop.wait(10)

    def close(self) -> None:
        pass


def test_feed_drops_the_oldest_when_the_consumer_lags_and_counts_exactly() -> None:
    ready = threading.Event()
    feed = LogFeed(Flood(1000), (), LogWindow(), LineMaker(), capacity=100, on_ready=ready.set)
    feed.start()
    deadline = time.monotonic() + 5
    buf = LogBuffer(capacity=100)
    while buf.received < 1000 and time.monotonic() < deadline:
        ready.wait(0.1)
        lines, dropped, _ = feed.take()
        buf.discard_incoming(dropped)
        buf.add(lines)
    feed.stop()
    assert buf.received == 1000 and len(buf) + buf.dropped == 1000
    assert [ln.text for ln in buf][-1] == "line 999" and len(buf) == 100


def test_feed_steps_back_while_the_ui_answers_a_key(monkeypatch) -> None:
    from arctui.tabs.logs import reader

    monkeypatch.setattr(reader, "HOLD_MAX", 30.0)
    held = threading.Event()
    held.set()
    feed = LogFeed(Flood(50), (), LogWindow(), LineMaker(), hold=held.is_set)
    feed.start()
    time.sleep(0.3)
    assert feed.take().lines == []  # records came in, no line was made while held
    held.clear()
    deadline = time.monotonic() + 10
    got: list = []
    while len(got) < 50 and time.monotonic() < deadline:
        got += feed.take().lines
        time.sleep(0.02)
    feed.stop()
    assert [ln.text for ln in got] == [f"line {i}" for i in range(50)]


def test_demo_history_is_fixed_by_the_clock_and_mixes_formats() -> None:
    clock = lambda: 1_795_000_000.0  # noqa: E731
    a = read_lines(DemoLogSource(clock=clock), (), LogWindow(), LineMaker())
    b = read_lines(DemoLogSource(clock=clock), (), LogWindow(), LineMaker())
    assert [x.text for x in a] == [x.text for x in b] and len(a) > 500
    assert [x.ts_ns for x in a] == sorted(x.ts_ns for x in a)
    levels = {x.level for x in a}
    assert {Level.ERROR, Level.WARN, Level.INFO, Level.DEBUG} <= levels
    assert any(x.text.startswith("{") for x in a) and any("level=" in x.text for x in a)
    assert all("\x1b" not in x.text for x in a)
    tail = read_lines(DemoLogSource(clock=clock), ("postgres",), LogWindow(tail=5), LineMaker())
    assert len(tail) == 5 and {x.service for x in tail} == {"postgres"}


def test_fast_redaction_equals_the_full_redactor_on_every_line() -> None:
    """Skipping the pattern pass on lines without a hint changes nothing they show."""
    from arctui.tabs.logs.reader import fast_redact

    redactor = Redactor(["hunter22", "s3cr3t-pw"])
    fast = fast_redact(redactor)
    corpus = [
        x.text
        for x in read_lines(
            DemoLogSource(clock=lambda: 1_795_000_000.0), (), LogWindow(), LineMaker()
        )
    ]
    corpus += [
        "plain hunter22 in prose",
        "DB_PASSWORD=abc123 next",
        "apiKey: 'zzz-yyy'",
        "X-Api-Key=abcd1234",
        "Authorization: Bearer abcdefgh12345678",
        "dial postgresql://arc:pw@db:5432/x",
        "REDIS_AUTH=foo",
        "session_COOKIE=abc",
        "user=bob level=info msg=ok",
        "MYSECRET=value",
        "token=abc",
        "PASS1=x",
    ]
    assert sum(1 for t in corpus if redactor.redact(t) != t) >= 10  # the corpus has secrets
    for text in corpus:
        assert fast(text) == redactor.redact(text), text
