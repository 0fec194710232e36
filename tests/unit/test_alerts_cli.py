"""`arctui alerts test TARGET` through the gate: a real Apprise send to a real http.server
receiver on loopback, the audit record first, the URL's secrets never in audit.jsonl."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from arctui.alerts.cli import perform_alert_test
from arctui.alerts.cli import test_command as alerts_test
from arctui.alerts.cli import test_message as message_of
from arctui.alerts.delivery import Delivery
from arctui.ops.audit import AuditLog
from arctui.ops.runner import Outcome
from tests.unit.test_lifecycle import make_session

URL_PW = "Url-Pw-4491-zz"  # only in the URL: the redactor must learn it from there
PATH_TOKEN = "AbCdEfT0ken9876xyz"


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    got: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            got.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield http.server_address[1], got
    finally:
        http.shutdown()
        http.server_close()


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_a_test_message_is_sent_and_audited_without_the_password(tmp_path, receiver):
    port, got = receiver
    audit = AuditLog(tmp_path / "audit.jsonl")
    url = f"json://arctui:{URL_PW}@127.0.0.1:{port}/hook"
    assert alerts_test(make_session(tmp_path), url, audit) == 0
    assert len(got) == 1 and "arctui test message" in got[0]["title"]
    raw = audit.path.read_text(encoding="utf-8")
    assert URL_PW not in raw
    started, ended = _lines(audit.path)
    assert (started["outcome"], ended["outcome"]) == ("started", "ok")
    assert started["attempt"] == ended["attempt"] and ended["action"] == "alert-test"
    assert f"127.0.0.1:{port}/hook" in ended["target"]  # the privacy form names it


def test_read_only_refuses_and_sends_nothing(tmp_path, receiver, capsys):
    port, got = receiver
    audit = AuditLog(tmp_path / "audit.jsonl")
    url = f"json://arctui:{URL_PW}@127.0.0.1:{port}/hook"
    assert alerts_test(make_session(tmp_path, read_only=True), url, audit) == 2
    assert got == []
    assert "REFUSED: read-only mode: alert-test is disabled" in capsys.readouterr().err
    [entry] = _lines(audit.path)
    assert entry["outcome"] == "refused" and URL_PW not in json.dumps(entry)


def test_no_audit_record_no_send(tmp_path, receiver, capsys):
    port, got = receiver
    blocked = tmp_path / "file"
    blocked.write_text("x")
    url = f"json://127.0.0.1:{port}/hook"
    assert alerts_test(make_session(tmp_path), url, AuditLog(blocked / "audit.jsonl")) == 2
    assert got == []
    assert "nothing ran: the audit log cannot be written" in capsys.readouterr().err


def test_a_failed_send_is_recorded_and_a_path_token_is_masked(tmp_path):
    # No network: a sender that fails the way a webhook service does, echoing the URL.
    url = f"discord://1234567890/{PATH_TOKEN}"

    def send(u: str, title: str, body: str, kind: str) -> tuple[bool, str]:
        return False, f"HTTP 404 from https://discord.com/api/webhooks/1234567890/{PATH_TOKEN}"

    s = make_session(tmp_path)
    audit = AuditLog(tmp_path / "audit.jsonl")
    delivery = Delivery([url], s.redactor, send=send, attempts=1)
    result = perform_alert_test(s, delivery, url, message_of(s), audit)
    assert result.outcome is Outcome.FAILED and PATH_TOKEN not in result.message
    assert PATH_TOKEN not in audit.path.read_text(encoding="utf-8")
    _started, ended = _lines(audit.path)
    assert ended["outcome"] == "failed" and "HTTP 404" in ended["detail"]


def test_production_needs_no_typed_confirmation(tmp_path, receiver):
    # Decided: a test message changes nothing in the platform, so no typed words and no
    # production flag; read-only still refuses it (above).
    port, got = receiver
    s = make_session(tmp_path, env="prod", production=True)
    assert alerts_test(s, f"json://127.0.0.1:{port}/hook", AuditLog(tmp_path / "a.jsonl")) == 0
    assert len(got) == 1
