"""One event subscription for the whole session, over a fake engine at the HTTP level.

The fake engine is a real HTTP/1.1 server on a unix socket: it counts the `/events`
requests arctui makes, so "one subscription" is measured where the engine sees it.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from arctui.sources.base import EngineEvent
from arctui.sources.docker_engine import DockerSource
from arctui.sources.engine import EngineClient
from arctui.sources.event_hub import EventHub
from arctui.stack.reader import StackReader
from arctui.tabs.resources.events import EngineEvents

PROJECT = "p"


def _event(action: str, cid: str, t_ns: int) -> dict:
    attrs = {"com.docker.compose.project": PROJECT, "com.docker.compose.service": "api"}
    return {
        "Type": "container",
        "Action": action,
        "Actor": {"ID": cid, "Attributes": {**attrs, "name": f"p-{cid}"}},
        "time": t_ns // 10**9,
        "timeNano": t_ns,
    }


class FakeEngine:
    """`/events` streams from a script: each request gets the next list of events; a
    stream ends after its events when `end` is set for it, else stays open."""

    def __init__(self, path: Path, scripts: list[tuple[list[dict], bool]]) -> None:
        self.path = str(path)
        self.scripts = scripts
        self.requests: list[dict[str, list[str]]] = []
        self.release = threading.Event()  # ends every open stream
        self.go = threading.Event()  # events wait for it (set unless a test holds them)
        self.go.set()
        engine = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != "/events":
                    self.send_error(404)
                    return
                engine.requests.append(parse_qs(url.query))
                events, end = engine.scripts.pop(0) if engine.scripts else ([], False)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.flush()
                engine.go.wait(20)
                for event in events:
                    body = json.dumps(event).encode() + b"\n"
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(body), body))
                    self.wfile.flush()
                if not end:
                    engine.release.wait(20)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                self.close_connection = True

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = Server(self.path, Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def events_requests(self) -> int:
        return len(self.requests)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _wait(cond, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


@pytest.fixture
def sock(tmp_path: Path) -> Path:
    return tmp_path / "docker.sock"


def _hub(sock: Path) -> tuple[EngineClient, DockerSource, EventHub]:
    client = EngineClient({"DOCKER_HOST": f"unix://{sock}"})
    source = DockerSource(client)
    return client, source, EventHub(PROJECT, source, replay=0.0)


def test_one_subscription_feeds_the_app_resources_and_logs(sock: Path) -> None:
    now_ns = time.time_ns()
    engine = FakeEngine(sock, [([_event("restart", "c1", now_ns)], False)])
    # The event waits until all three have subscribed: one sent before a subscriber
    # joined would never reach it (replay=0), and that race is not what this tests.
    engine.go.clear()
    client, source, hub = _hub(sock)
    # The app's path: the stack reader notes the container to re-read.
    reader = StackReader(PROJECT, source, None)
    app_seen: list[EngineEvent | None] = []

    def app(event: EngineEvent | None) -> None:
        reader.note_event(event)
        app_seen.append(event)

    # Resources: its reader's queue, fed while `follow()` runs.
    resources = EngineEvents(hub)
    changes: list[str] = []
    stop = threading.Event()
    follower = threading.Thread(target=resources.follow, args=(changes.append, stop))
    # Logs: a subscriber that is slow (a stalled UI thread, say) must not hold up the rest.
    slow_seen: list[EngineEvent | None] = []
    slow_gate = threading.Event()

    def logs(event: EngineEvent | None) -> None:
        slow_gate.wait(10)
        slow_seen.append(event)

    try:
        hub.subscribe(logs, "logs")
        hub.subscribe(app, "app")
        follower.start()
        assert _wait(lambda: len(hub.subscriptions) == 3)
        engine.go.set()
        assert _wait(lambda: app_seen and changes)
        assert [e.action for e in app_seen if e] == ["restart"]
        assert app_seen[0] is not None and app_seen[0].name == "p-c1"
        assert reader._changed == {"c1"}
        assert changes == ["restart"]
        assert [e.container_id for e in resources.drain() if e] == ["c1"]
        assert slow_seen == []  # still stuck, yet the others have it
        slow_gate.set()
        assert _wait(lambda: slow_seen)
        assert [e.action for e in slow_seen if e] == ["restart"]
        assert engine.events_requests == 1  # one stream for all three
        filters = json.loads(engine.requests[0]["filters"][0])
        assert filters["label"] == [f"com.docker.compose.project={PROJECT}"]
        assert "exec_start" not in filters["event"]
    finally:
        stop.set()
        slow_gate.set()
        hub.close()
        follower.join(5)
        client.close()
        engine.close()


def test_a_cut_stream_is_resubscribed_from_the_last_event_without_repeats(sock: Path) -> None:
    t1 = time.time_ns()
    t2 = t1 + 5 * 10**9
    first = _event("die", "c1", t1)
    engine = FakeEngine(
        sock,
        [
            ([first], True),  # the daemon restarts after one event: the stream ends
            ([first, _event("start", "c1", t2)], False),  # since= repeats the first
        ],
    )
    client, _source, hub = _hub(sock)
    seen: list[EngineEvent | None] = []
    try:
        hub.subscribe(seen.append, "app")
        assert _wait(lambda: len(seen) >= 3, timeout=15)  # die, None (cut), start
        time.sleep(0.2)
        assert [e.action if e else None for e in seen] == ["die", None, "start"]
        assert engine.events_requests == 2
        since = float(engine.requests[1]["since"][0])
        assert abs(since - t1 / 1e9) < 1e-3  # from the last event seen, not from now
    finally:
        hub.close()
        client.close()
        engine.close()


def test_backoff_doubles_to_thirty_seconds_and_engine_back_resets_it(sock: Path) -> None:
    # No engine at all: every subscription fails; the waits between them are the policy.
    waits: list[float] = []

    class Source:
        def follow_events(self, project, on_event, stop, since=None) -> None:
            from arctui.sources.base import SourceError

            raise SourceError("no Docker engine answers")

        def close(self) -> None:
            pass

    hub = EventHub(PROJECT, Source())  # type: ignore[arg-type]

    class Wake(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout or 0.0)
            if len(waits) == 8:
                return True  # engine_back() during the 8th wait
            if len(waits) >= 10:
                hub._stop.set()
            return False

    hub._wake = Wake()
    hub.subscribe(lambda e: None, "app")
    assert hub._thread is not None
    hub._thread.join(5)
    assert waits[:7] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert waits[8] == 1.0  # the engine came back: the backoff starts over
    hub.close()


def test_a_subscriber_that_falls_too_far_behind_is_told_to_read_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from arctui.sources import event_hub

    monkeypatch.setattr(event_hub, "QUEUE_MAX", 20)
    burst = 25
    gate, go = threading.Event(), threading.Event()
    got: list[EngineEvent | None] = []

    def slow(event: EngineEvent | None) -> None:
        gate.wait(10)
        got.append(event)

    class Source:
        def follow_events(self, project, on_event, stop, since=None) -> None:
            go.wait(10)  # both subscribers are in
            for i in range(burst):
                on_event(EngineEvent("start", f"c{i}", "api", time.time()))
                time.sleep(0.005)  # a pace the fast subscriber keeps up with
            stop.wait(10)

        def close(self) -> None:
            pass

    hub = EventHub(PROJECT, Source(), replay=0.0)  # type: ignore[arg-type]
    fast: list[EngineEvent | None] = []
    hub.subscribe(fast.append, "fast")
    sub = hub.subscribe(slow, "slow")
    go.set()
    try:
        assert _wait(lambda: len(fast) == burst)
        assert None not in fast
        gate.set()
        assert _wait(lambda: None in got)
        assert sub.overflows == 1
        assert len(got) < burst  # bounded: the backlog was dropped for one full re-read
    finally:
        hub.close()
