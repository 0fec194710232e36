"""Alerts against the real stack and real receivers on loopback: the recorder's own sampler
builds the frames, Apprise delivers to a plain http.server (json://) and to aiosmtpd
(mailto://). Stopping the stack's Postgres gives exactly one alert within the rule's
window and one resolved message after it is started again (and healthy)."""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from arctui.alerts.delivery import Delivery
from arctui.alerts.engine import AlertEngine
from arctui.config.settings import Settings
from arctui.record.sampler import Sampler
from arctui.session import real_session
from tests.integration.stack import PG_CONTAINER, RunningStack, compose_env

HOSTILE_SECRET = "Hst1le-Pw-7c1d"
FOR_S = 4.0


class Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Hook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def receivers() -> Iterator[tuple[str, str, list[dict[str, Any]], list[str]]]:
    from aiosmtpd.controller import Controller

    http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    mails: list[str] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
            mails.append(envelope.content.decode("utf-8", "replace"))
            return "250 OK"

    smtp = Controller(Handler(), hostname="127.0.0.1", port=18025)
    smtp.start()
    json_url = f"json://127.0.0.1:{http.server_address[1]}/hook"
    mail_url = (
        "mailto://127.0.0.1:18025?from=arctui@example.test&to=oncall@example.test&mode=insecure"
    )
    try:
        yield json_url, mail_url, Hook.received, mails
    finally:
        http.shutdown()
        smtp.stop()


def _wait_healthy(cid: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Health.Status}}", cid],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if out == "healthy":
            return
        time.sleep(0.5)
    raise AssertionError("postgres did not come back healthy")


def test_postgres_stop_one_alert_then_resolved(
    test_stack: RunningStack, receivers: tuple[str, str, list[dict[str, Any]], list[str]]
) -> None:
    json_url, mail_url, hooks, mails = receivers
    alerts = {"targets": (json_url, mail_url), "rules": {"service_down": {"for_s": FOR_S}}}
    session = real_session(
        test_stack.stack_dir,
        env=None,
        files=[str(test_stack.compose_file)],
        project_name=test_stack.project,
        settings=Settings(alerts=alerts),
        environ=compose_env(),
    )
    delivery = Delivery(alerts["targets"], session.redactor, backoff=0.5)
    engine = AlertEngine(alerts, session.redactor, delivery, interval=1.0)
    sampler = Sampler(session)
    cid = subprocess.run(
        ["docker", "inspect", "-f", "{{.Id}}", PG_CONTAINER],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    pg_events: list[Any] = []

    def sample() -> None:
        frame, events = sampler.sample()
        out = engine(frame, events)
        pg_events.extend(e for e in out if e.service == "postgres" and e.kind != "delivery")
        time.sleep(1.0)

    try:
        for _ in range(2):
            sample()
        assert pg_events == []
        subprocess.run(["docker", "stop", cid], check=True, capture_output=True)
        stopped = time.time()
        try:
            deadline = time.monotonic() + 60
            while not pg_events and time.monotonic() < deadline:
                sample()
            assert [e.kind for e in pg_events] == ["alert"]
            assert pg_events[0].ts - stopped >= FOR_S - 1.5  # not before the rule's window
            for _ in range(3):  # still down: no second message for the same incident
                sample()
            assert [e.kind for e in pg_events] == ["alert"]
        finally:
            subprocess.run(["docker", "start", cid], check=True, capture_output=True)
        _wait_healthy(cid)
        deadline = time.monotonic() + 30
        while len(pg_events) < 2 and time.monotonic() < deadline:
            sample()
        assert [e.kind for e in pg_events] == ["alert", "alert-resolved"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            about = [h for h in hooks if "postgres" in h.get("title", "")]
            if len(about) >= 2 and sum("postgres" in m for m in mails) >= 2:
                break
            time.sleep(0.2)
        about = [h for h in hooks if "postgres" in h.get("title", "")]
        assert [h["type"] for h in about] == ["failure", "success"]
        assert "threshold:" in about[0]["message"] and "look at:" in about[0]["message"]
        assert "RESOLVED" in about[1]["title"]
        assert sum("postgres" in m for m in mails) == 2
        everything = json.dumps(hooks) + "".join(mails)
        assert HOSTILE_SECRET not in everything and "arctui-test-secret" not in everything
        outcomes = [e for e in delivery.drain()]  # the rest; earlier ones went with samples
        assert all(e.data["delivery"] != "gave-up" for e in outcomes)
    finally:
        _wait_healthy(cid)
        sampler.close()
        engine.close()
        session.close()


def test_refusing_or_hanging_receiver_does_not_slow_sampling(test_stack: RunningStack) -> None:
    import socket

    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(8)  # accepts (the kernel's backlog), never answers
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    refused_port = refused.getsockname()[1]
    refused.close()  # nothing listens there: connection refused
    targets = (
        f"json://127.0.0.1:{hang.getsockname()[1]}/hook",
        f"json://127.0.0.1:{refused_port}/hook",
    )
    # flags settles on unhealthy in the test stack: with for_s 0 it fires on the first sample
    alerts = {"targets": targets, "rules": {"service_down": {"for_s": 0}}}
    session = real_session(
        test_stack.stack_dir,
        env=None,
        files=[str(test_stack.compose_file)],
        project_name=test_stack.project,
        settings=Settings(alerts=alerts),
        environ=compose_env(),
    )
    sampler = Sampler(session)

    def run(engine: AlertEngine, n: int = 4) -> tuple[list[float], list[float]]:
        stamps, calls = [], []
        for _ in range(n):
            frame, events = sampler.sample()
            started = time.monotonic()
            engine(frame, events)
            calls.append(time.monotonic() - started)
            stamps.append(frame.ts)
        return stamps, calls

    try:
        quiet = AlertEngine(alerts, session.redactor, None, interval=1.0)
        base_stamps, _base_calls = run(quiet)
        delivery = Delivery(targets, session.redactor, backoff=0.2)
        noisy = AlertEngine(alerts, session.redactor, delivery, interval=1.0)
        sent_at = time.monotonic()
        stamps, calls = run(noisy)
        # The hanging receiver holds a send for Apprise's read timeout (seconds), and the
        # refused one is retried with backoff; neither reaches the sampling loop:
        assert wait_for_outcome(delivery, "retrying")
        blocked_for = time.monotonic() - sent_at
        assert max(calls) < blocked_for / 2
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        base_gaps = [b - a for a, b in itertools.pairwise(base_stamps)]
        assert max(gaps) < max(base_gaps) * 2 + 1.0  # sampling kept its own pace
        noisy.close()
    finally:
        hang.close()
        sampler.close()
        session.close()


def wait_for_outcome(delivery: Delivery, status: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    seen: list[Any] = []
    while time.monotonic() < deadline:
        seen += delivery.drain()
        if any(e.data["delivery"] == status for e in seen):
            return True
        time.sleep(0.1)
    return False


LEAKY_DIR = Path(__file__).resolve().parents[1] / "stack" / "alerts"
LEAKY_PROJECT, LEAKY_SECRET = "arctui-alerts", "Lky-Secr3t-9f2a"


@pytest.fixture(scope="module")
def leaky() -> Iterator[Path]:
    """The arctui-alerts project: one service whose failing health check prints a secret."""
    compose = [
        "docker",
        "compose",
        "-p",
        LEAKY_PROJECT,
        "-f",
        str(LEAKY_DIR / "docker-compose.yml"),
    ]
    subprocess.run([*compose, "up", "-d"], check=True, capture_output=True, timeout=120)
    try:
        yield LEAKY_DIR
    finally:  # this project only, by its name
        subprocess.run([*compose, "down", "-t", "2"], check=False, capture_output=True, timeout=120)


def test_a_secret_in_a_failing_health_check_never_reaches_a_receiver(
    leaky: Path, receivers: tuple[str, str, list[dict[str, Any]], list[str]]
) -> None:
    json_url, mail_url, hooks, mails = receivers
    alerts = {"targets": (json_url, mail_url), "rules": {"service_down": {"for_s": 0}}}
    session = real_session(
        leaky,
        env=None,
        files=[str(leaky / "docker-compose.yml")],
        project_name=LEAKY_PROJECT,
        settings=Settings(alerts=alerts),
        environ=compose_env(),
    )
    delivery = Delivery(alerts["targets"], session.redactor, backoff=0.5)
    engine = AlertEngine(alerts, session.redactor, delivery, interval=1.0)
    sampler = Sampler(session)

    def about() -> tuple[list[dict[str, Any]], list[str]]:
        return [h for h in hooks if "leaky" in h.get("title", "")], [
            m for m in mails if "leaky" in m
        ]

    try:
        deadline = time.monotonic() + 60
        fired: list[Any] = []
        while not fired and time.monotonic() < deadline:  # unhealthy after its first check
            frame, events = sampler.sample()
            fired = [e for e in engine(frame, events) if e.kind == "alert" and e.service == "leaky"]
            time.sleep(0.5)
        assert fired, "the leaky service's alert did not fire"
        deadline = time.monotonic() + 30
        while not all(about()) and time.monotonic() < deadline:
            time.sleep(0.2)
        hook_msgs, mail_msgs = about()
        assert hook_msgs and mail_msgs
        # The evidence (the check's output) is in the message, its secret is not.
        assert "evidence:" in hook_msgs[0]["message"] and "cannot auth" in hook_msgs[0]["message"]
        everything = json.dumps(hook_msgs) + "".join(mail_msgs) + repr(fired)
        assert LEAKY_SECRET not in everything
    finally:
        sampler.close()
        engine.close()
        session.close()
