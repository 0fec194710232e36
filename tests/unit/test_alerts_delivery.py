"""Delivery at exit and in the timeline: what is queued when the recorder stops is sent
(bounded) or recorded as given up, and every outcome is a `delivery` event that
`arctui history events` shows. A real `arctui record` against a slow http.server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from arctui.alerts.delivery import GAVE_UP, SENT, STOPPED, Delivery, Message
from arctui.config.masking import Redactor

ROOT = Path(__file__).resolve().parents[2]
SLOW_S = 0.5  # the receiver's answer time: messages queue up behind it


def wait_for(cond, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


class Sink:
    """A sender that takes `delay` per message and can fail the first tries."""

    def __init__(self, delay: float = 0.0, fail: int = 0, hang: threading.Event | None = None):
        self.delay, self.fail, self.hang = delay, fail, hang
        self.sent: list[str] = []

    def __call__(self, url: str, title: str, body: str, kind: str) -> tuple[bool, str]:
        if self.hang is not None:
            self.hang.wait(30)
        time.sleep(self.delay)
        self.sent.append(body)
        if self.fail:
            self.fail -= 1
            return False, "refused"
        return True, ""


def test_close_sends_what_is_still_queued() -> None:
    sink = Sink(delay=0.1)
    delivery = Delivery(["json://127.0.0.1:9/x"], Redactor(), send=sink)
    for i in range(6):
        delivery.submit(Message("t", f"m{i}", incident=f"r:{i}"))
    delivery.close(timeout=10)
    assert sorted(sink.sent) == [f"m{i}" for i in range(6)]  # none dropped at exit
    assert [e.data["delivery"] for e in delivery.drain()] == [SENT] * 6


def test_close_sends_a_pending_retry_at_once_instead_of_after_its_backoff() -> None:
    sink = Sink(fail=1)
    delivery = Delivery(["json://127.0.0.1:9/x"], Redactor(), send=sink, backoff=300)
    delivery.submit(Message("t", "b", incident="r:k"))
    assert wait_for(lambda: len(sink.sent) == 1)
    delivery.close(timeout=10)
    assert len(sink.sent) == 2  # the retry went at exit, not 300 s later
    statuses = [e.data["delivery"] for e in delivery.drain()]
    assert statuses == ["retrying", SENT]


def test_close_is_bounded_and_records_the_rest_as_given_up() -> None:
    release = threading.Event()
    sink = Sink(hang=release)
    delivery = Delivery(["json://127.0.0.1:9/x"], Redactor(), send=sink)
    for i in range(3):
        delivery.submit(Message("t", f"m{i}", incident=f"r:{i}"))
    started = time.monotonic()
    delivery.close(timeout=0.5)
    took = time.monotonic() - started
    release.set()
    assert took < 15  # the hang is 30 s: close did not wait for it
    events = delivery.drain()
    gave_up = [e for e in events if e.data["delivery"] == GAVE_UP]
    assert len(gave_up) == 2 and all(STOPPED in e.text for e in gave_up)  # one was in flight
    assert all(e.kind == "delivery" for e in events)


class SlowHook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(SLOW_S)
        SlowHook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def hook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


def arctui(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arctui", "--demo", *argv],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


def test_recorder_exit_delivers_the_queue_and_history_shows_each_outcome(
    hook: str, tmp_path: Path
) -> None:
    from arctui.record.store import Store, StoreError

    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"), ARCTUI_ALERT_URLS=hook)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    store = tmp_path / "rec.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "arctui", "--demo", "--store", str(store), "record",
         "--interval", "1"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def alerts() -> list[Any]:
        if not store.is_file():
            return []
        try:
            s = Store.open(store, readonly=True)
        except StoreError:  # the file exists, its tables not yet (the recorder is creating it)
            return []
        try:
            return s.events(0, time.time() + 60, kinds=("alert",))
        finally:
            s.close()

    try:
        assert wait_for(lambda: len(alerts()) > 0, 40), "no alert recorded"
    finally:
        proc.send_signal(signal.SIGTERM)  # at once: the slow receiver has a queue behind it
        proc.communicate(timeout=60)
    sent = [e for e in alerts() if e.data.get("sent")]
    assert len(sent) >= 2  # the demo fires several at its first sample
    assert len(SlowHook.received) == len(sent)  # every queued message reached the receiver
    shown = arctui("--store", str(store), "history", "events", "--kind", "delivery", env=env)
    assert shown.returncode == 0, shown.stderr
    lines = [line for line in shown.stdout.splitlines() if "alert delivery to" in line]
    assert len(lines) == len(sent) and all(": sent (attempt 1 of" in line for line in lines)
    assert all(" delivery " in line for line in lines)  # the kind column
