"""The unix-socket client's own HTTP/1.1 reading, against canned answers on a real socket."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from arctui.sources.base import SourceError
from arctui.sources.engine import EngineClient
from arctui.sources.engine_http import (
    EngineHTTPError,
    EngineNotFound,
    EngineProtocolError,
    IncompleteRead,
    UnixEngine,
)


class Server:
    """Answers each connection with the next canned list of byte pieces (sent apart)."""

    def __init__(self, path: str) -> None:
        self.answers: list[list[bytes]] = []
        self.requests: list[bytes] = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = [ln for ln in head.split(b"\r\n") if ln.startswith(b"Content-Length:")]
                want = int(length[0].split(b":")[1]) if length else 0
                while len(body) < want:
                    body += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + body)
                for piece in self.answers.pop(0):
                    if piece == b"<sleep>":
                        time.sleep(0.5)
                        continue
                    try:
                        conn.sendall(piece)
                    except OSError:  # the client gave up (a timeout test)
                        break
                    time.sleep(0.01)  # separate reads on the client side


@pytest.fixture()
def server() -> Iterator[tuple[Server, str]]:
    with tempfile.TemporaryDirectory() as tmp:  # short path: AF_UNIX names are limited
        path = str(Path(tmp) / "e.sock")
        srv = Server(path)
        yield srv, path
        srv.sock.close()


def test_a_content_length_body_and_the_request_sent(server: tuple[Server, str]) -> None:
    srv, path = server
    body = b'[{"Id": "abc"}]'
    head = [b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n", b"Content-Length: 15\r\n\r\n"]
    srv.answers.append([*head, body[:5], body[5:]])
    assert UnixEngine(path).get_json("/containers/json?all=1") == [{"Id": "abc"}]
    request = srv.requests[0]
    assert request.startswith(b"GET /containers/json?all=1 HTTP/1.1\r\nHost: localhost\r\n")
    assert b"Accept: application/json\r\n" in request


def test_a_chunked_body_split_anywhere_and_a_post(server: tuple[Server, str]) -> None:
    srv, path = server
    head = [b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 201 Created\r\n"]
    head.append(b"Transfer-Encoding: chunked\r\n")
    body = [b'\r\n5\r\n{"Id"', b"\r\n", b'7;ext=1\r\n: "e1"}\r', b"\n0\r\nX-T: 1\r\n\r\n"]
    srv.answers.append([*head, *body])
    assert UnixEngine(path).post_json("/containers/c/exec", {"Cmd": ["true"]}) == {"Id": "e1"}
    request = srv.requests[0]
    assert request.startswith(b"POST /containers/c/exec HTTP/1.1\r\n")
    assert b"Content-Type: application/json\r\n" in request
    assert request.endswith(b'\r\n\r\n{"Cmd": ["true"]}')


def test_errors_carry_the_engines_message(server: tuple[Server, str]) -> None:
    srv, path = server
    msg = b'{"message": "No such container: x"}'
    head = b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n" % len(msg)
    srv.answers.append([head + msg])
    srv.answers.append([b"HTTP/1.1 500 Server Error\r\nContent-Length: 4\r\n\r\noops"])
    with pytest.raises(EngineNotFound, match="404: No such container: x"):
        UnixEngine(path).get_json("/containers/x/json")
    with pytest.raises(EngineHTTPError, match="500: oops"):
        UnixEngine(path).get_json("/info")


def test_answers_cut_short_are_errors_not_truncated_data(server: tuple[Server, str]) -> None:
    srv, path = server
    srv.answers.append([])  # closed without an answer
    srv.answers.append([b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n[1, 2"])
    srv.answers.append([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[1, "])
    srv.answers.append([b"garbage\r\n\r\n"])
    with pytest.raises(EngineProtocolError, match="closed connection without response"):
        UnixEngine(path).get_json("/a")
    with pytest.raises(IncompleteRead):
        UnixEngine(path).get_json("/b")
    with pytest.raises(IncompleteRead):
        UnixEngine(path).get_json("/c")
    with pytest.raises(EngineProtocolError, match="bad status line"):
        UnixEngine(path).get_json("/d")


def test_a_body_until_the_connection_ends_and_a_stream(server: tuple[Server, str]) -> None:
    srv, path = server
    # An exec's output: no length, no chunks, the engine closes when the command ends.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\n"
    srv.answers.append([head, b"\x01\0\0\0", b"\0\0\0\x02hi"])
    raw = UnixEngine(path).post_read("/exec/e/start", {}, timeout=5, limit=100)
    assert raw == b"\x01\0\0\0\0\0\0\x02hi"
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    srv.answers.append([head, b"3\r\nab\n\r\n", b"2\r\nc\n\r\n", b"0\r\n\r\n"])
    stream = UnixEngine(path).stream("/events")
    assert b"".join(stream.chunks()) == b"ab\nc\n"
    stream.close()


def test_a_silent_engine_times_out_and_is_explained(server: tuple[Server, str]) -> None:
    srv, path = server
    srv.answers.append([b"<sleep>", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]"])
    client = EngineClient({"DOCKER_HOST": f"unix://{path}"}, timeout=0.1)
    with pytest.raises(SourceError, match="did not answer in time"):
        client.get_json("/containers/json")
    missing = EngineClient({"DOCKER_HOST": f"unix://{path}.absent"})
    with pytest.raises(SourceError, match="no Docker engine answers"):
        missing.get_json("/containers/json")


def test_a_stream_closed_from_another_thread_ends_its_reader(server: tuple[Server, str]) -> None:
    srv, path = server
    srv.answers.append(
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab\n\r\n"] + [b"<sleep>"] * 6
    )
    client = EngineClient({"DOCKER_HOST": f"unix://{path}"})
    stream = client.stream("/events")
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.extend(stream.lines()))
    reader.start()
    time.sleep(0.2)
    stream.close()
    reader.join(2)
    assert not reader.is_alive() and got == [b"ab"]


def test_inspects_are_sent_at_once_and_read_in_order() -> None:
    """The engine only answers once it holds all three requests: sent one after another
    (each waiting for its answer) they would time out."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "e.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(8)

        def serve() -> None:
            conns = [listener.accept()[0] for _ in range(3)]
            wanted = [c.recv(65536).split(b" ")[1].decode() for c in conns]
            for conn, url in reversed(list(zip(conns, wanted, strict=True))):
                cid = url.split("/")[2]
                if cid == "gone":
                    body, status = b'{"message": "No such container: gone"}', b"404 Not Found"
                else:
                    body, status = b'{"Id": "%s"}' % cid.encode(), b"200 OK"
                head = b"HTTP/1.1 %s\r\nContent-Length: %d\r\n\r\n" % (status, len(body))
                conn.sendall(head + body)
                conn.close()

        threading.Thread(target=serve, daemon=True).start()
        client = EngineClient({"DOCKER_HOST": f"unix://{path}"}, timeout=2)
        assert client.sends_at_once
        found = client.inspect_containers(["a", "gone", "b"])
        assert found == {"a": {"Id": "a"}, "gone": None, "b": {"Id": "b"}}
        listener.close()


def _wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.01)


def _ok(body: bytes) -> list[bytes]:
    return [b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body]


def test_a_prefetched_list_is_read_by_the_same_call_without_asking_again(
    server: tuple[Server, str],
) -> None:
    srv, path = server
    srv.answers += [_ok(b'[{"Id": "early"}]'), _ok(b'[{"Id": "late"}]')]
    client = EngineClient({"DOCKER_HOST": f"unix://{path}"}, timeout=2)
    label = {"label": "com.docker.compose.project=p"}
    client.prefetch_containers(all=True, filters=label)
    _wait_for(lambda: len(srv.requests) == 1)  # sent at once, before any list call
    # The engine answers while the caller does other work; the list call reads that answer.
    assert client.containers(all=True, filters=label) == [{"Id": "early"}]
    assert len(srv.requests) == 1 and srv.requests[0].startswith(
        b"GET /containers/json?all=1&filters=%7B%22label%22%3A+%5B%22com.docker.compose"
    )
    # Used once: the next call asks the engine again.
    assert client.containers(all=True, filters=label) == [{"Id": "late"}]
    assert len(srv.requests) == 2


def test_a_prefetch_is_only_for_the_same_query_and_goes_stale(
    server: tuple[Server, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    srv, path = server
    srv.answers += [_ok(b'{"early": 1}'), _ok(b'{"asked": 2}'), _ok(b'{"asked": 3}')]
    engine = UnixEngine(path, timeout=2)
    engine.prefetch("/info")
    assert engine.get_json("/version") == {"asked": 2}  # another URL: asked for itself
    monkeypatch.setattr("arctui.sources.engine_http.EARLY_MAX_AGE", 0.0)
    time.sleep(0.01)
    assert engine.get_json("/info") == {"asked": 3}  # too old: asked again
    assert len(srv.requests) == 3


def test_a_failed_prefetch_leaves_the_error_to_the_real_call(tmp_path: Path) -> None:
    client = EngineClient({"DOCKER_HOST": f"unix://{tmp_path}/absent.sock"})
    client.prefetch("/info")  # nothing answers: no error here
    with pytest.raises(SourceError, match="no Docker engine answers"):
        client.info()


def test_an_unread_prefetch_is_closed_with_the_client(server: tuple[Server, str]) -> None:
    srv, path = server
    srv.answers += [_ok(b"{}"), _ok(b'{"fresh": true}')]
    engine = UnixEngine(path, timeout=2)
    engine.prefetch("/info")
    _wait_for(lambda: len(srv.requests) == 1)
    engine.close()
    assert engine.get_json("/info") == {"fresh": True}  # its answer was dropped, not kept
    assert len(srv.requests) == 2


def test_prefetch_sends_nothing_off_the_local_socket() -> None:
    client = EngineClient({"DOCKER_HOST": "tcp://127.0.0.1:1"})  # the SDK's case
    client.prefetch("/info")
    assert client._transport is None  # no SDK client was built for it
