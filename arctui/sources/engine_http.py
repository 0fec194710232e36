"""A small Docker Engine API client over a local unix socket: the reads arctui makes most
(list, inspect, the event stream) and the few POSTs of `docker exec`.

The docker SDK (requests, urllib3) costs ~0.12 s to import, which sat on the path to the
first frame with data; on the platform's host the engine is a unix socket and these three
calls are plain HTTP/1.1 with JSON. Anything else (TCP, TLS, SSH, a named context) keeps
using the SDK: `local_socket()` says when this client applies. Its methods mirror the
SDK's `APIClient` names so `DockerSource` uses either alike.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

DEFAULT_SOCKET = "/var/run/docker.sock"
BATCH = 32  # requests `get_json_many` keeps open at once
EARLY_MAX_AGE = 2.0  # seconds a prefetched answer may wait before it is asked for again


class EngineHTTPError(Exception):
    """The engine answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class EngineNotFound(EngineHTTPError):
    """404: the container (or whatever was asked for) does not exist."""


def _current_context(environ: Mapping[str, str]) -> str:
    """The docker CLI's current context name ("default" when none is set)."""
    if environ.get("DOCKER_CONTEXT"):
        return environ["DOCKER_CONTEXT"]
    config_dir = environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    try:
        data = json.loads((Path(config_dir) / "config.json").read_text("utf-8"))
    except (OSError, ValueError):
        return "default"
    name = data.get("currentContext") if isinstance(data, dict) else None
    return str(name) if name else "default"


def local_socket(environ: Mapping[str, str] | None = None) -> str | None:
    """The engine's unix socket path when it is the plain local case, else None.

    Plain: DOCKER_HOST unset or `unix://...`, no TLS settings, and the CLI's context
    is the default one (a named context may point anywhere: the SDK resolves those).
    """
    env = os.environ if environ is None else environ
    if env.get("DOCKER_TLS_VERIFY") or env.get("DOCKER_CERT_PATH"):
        return None
    host = env.get("DOCKER_HOST", "")
    if host:
        return host[len("unix://") :] if host.startswith("unix://") else None
    return DEFAULT_SOCKET if _current_context(env) == "default" else None


class EngineProtocolError(Exception):
    """The engine's answer is not the HTTP/1.1 it should be (cut short, or garbled)."""


class IncompleteRead(EngineProtocolError):
    """The connection ended inside a body (the daemon stopped, say)."""

    def __init__(self, got: int) -> None:
        super().__init__(f"IncompleteRead({got} bytes read)")


_MAX_LINE = 64 * 1024  # http.client's limits: one header line, and how many headers
_MAX_HEADERS = 100


class _Response:
    """One HTTP/1.1 response read off a unix socket: the status line and headers, then
    the body framed by Content-Length, the chunked coding, or the end of the connection.

    This replaces http.client (with email and ssl, ~15 ms of every `arctui status`): the
    engine speaks plain HTTP/1.1 here, and a read needs only `read` and `read1`.
    """

    def __init__(self, sock: socket.socket, method: str) -> None:
        self._sock = sock
        self._buf = bytearray()
        self._got = 0  # body bytes returned so far (for IncompleteRead)
        while True:  # 1xx interim answers (100 Continue) come before the real one
            line = self._line()
            if not line:
                raise EngineProtocolError("Remote end closed connection without response")
            version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
            code, _, reason = rest.partition(" ")
            if not version.startswith("HTTP/") or not (code.isdigit() and len(code) == 3):
                raise EngineProtocolError(f"bad status line: {line[:200]!r}")
            self.status, self.reason = int(code), reason.strip()
            self.headers = self._headers()
            if not 100 <= self.status < 200 or self.status == 101:
                break
        coding = self.headers.get("transfer-encoding", "").lower()
        self._chunked = "chunked" in coding
        self._chunk_left: int | None = None  # bytes left in the current chunk; None: read a size
        self._left: int | None = None  # Content-Length bytes left; None: until the end
        length = self.headers.get("content-length")
        if not self._chunked and length is not None:
            if not length.strip().isdigit():
                raise EngineProtocolError(f"bad Content-Length: {length[:50]!r}")
            self._left = int(length)
        if method == "HEAD" or self.status in (204, 304) or 100 <= self.status < 200:
            self._left, self._chunked = 0, False
        self._done = self._left == 0

    # Reading the socket -----------------------------------------------------------
    def _fill(self) -> bool:
        """One recv into the buffer; False at the end of the connection."""
        data = self._sock.recv(1 << 16)
        if not data:
            return False
        self._buf += data
        return True

    def _line(self) -> bytes:
        """One line with its CRLF (b"" at the end of the connection)."""
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                line = bytes(self._buf[: end + 1])
                del self._buf[: end + 1]
                return line
            if len(self._buf) > _MAX_LINE:
                raise EngineProtocolError("header line too long")
            if not self._fill():
                line = bytes(self._buf)
                self._buf.clear()
                return line

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS + 1):
            line = self._line()
            if line in (b"\r\n", b"\n", b""):
                return headers
            name, _, value = line.decode("latin-1").partition(":")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        raise EngineProtocolError(f"more than {_MAX_HEADERS} headers")

    def _take(self, n: int) -> bytes:
        """Up to `n` bytes: what is buffered, else what one recv brings (b"" at the end)."""
        if not self._buf and not self._fill():
            return b""
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    # The body ---------------------------------------------------------------------
    def _next_chunk(self) -> int:
        """The size of the next chunk (0: the last one, trailers read)."""
        line = self._line()
        size = line.split(b";", 1)[0].strip()
        try:
            n = int(size, 16)
        except ValueError:
            raise IncompleteRead(self._got) from None
        if n == 0:
            while self._line() not in (b"\r\n", b"\n", b""):
                pass  # trailers
        return n

    def read1(self, n: int = 1 << 16) -> bytes:
        """Up to `n` body bytes, waiting only for the first to arrive (b"" at the end)."""
        if self._done or n <= 0:
            return b""
        if self._chunked:
            if not self._chunk_left:
                if self._chunk_left == 0:
                    self._line()  # the CRLF after the chunk before
                self._chunk_left = self._next_chunk()
                if self._chunk_left == 0:
                    self._done = True
                    return b""
            data = self._take(min(n, self._chunk_left))
            if not data:
                raise IncompleteRead(self._got)
            self._chunk_left -= len(data)
        elif self._left is not None:
            data = self._take(min(n, self._left))
            if not data:
                raise IncompleteRead(self._got)
            self._left -= len(data)
            self._done = self._left == 0
        else:
            data = self._take(n)
            self._done = not data
        self._got += len(data)
        return data

    def read(self, n: int | None = None) -> bytes:
        """The body to its end, or its next `n` bytes (fewer only at the end)."""
        out = bytearray()
        while n is None or len(out) < n:
            data = self.read1(1 << 16 if n is None else n - len(out))
            if not data:
                break
            out += data
        return bytes(out)


class _UnixConnection:
    """One request on its own unix-socket connection (the engine's answers are short)."""

    def __init__(self, path: str, timeout: float) -> None:
        self._path = path
        self.timeout = timeout
        self.sock: socket.socket | None = None

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock

    def send(self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]) -> None:
        """Send the request (the headers http.client sent); the answer is read apart."""
        if self.sock is None:
            self.connect()
        assert self.sock is not None
        lines = [f"{method} {url} HTTP/1.1", "Host: localhost", "Accept-Encoding: identity"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        self.sock.sendall("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + (body or b""))
        self._method = method

    def response(self) -> _Response:
        """The answer's status and headers (the body is read from it)."""
        assert self.sock is not None
        return _Response(self.sock, self._method)

    def request(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> _Response:
        """Send the request and read the answer's head."""
        self.send(method, url, body, headers)
        return self.response()

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()


def query_string(params: Mapping[str, Any]) -> str:
    """`?a=b&...` for a request: booleans as 1/0, filters as the API's JSON, None left out."""
    out = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, dict):
            # Filters as the API wants them: {"label": ["a=b"]}, each value a list.
            value = json.dumps({k: v if isinstance(v, list) else [v] for k, v in value.items()})
        out[key] = value
    return "?" + urlencode(out) if out else ""


class UnixEngine:
    """GET requests to the engine's unix socket; one short connection per call."""

    def __init__(self, path: str, timeout: float = 5.0) -> None:
        self.path = path
        self.timeout = timeout
        self._early: dict[str, tuple[float, _UnixConnection]] = {}  # url -> (sent at, conn)
        self._early_lock = threading.Lock()

    def prefetch(self, url: str) -> None:
        """Send a GET now; the next `get_json(url)` reads its answer instead of asking.

        A headless `status` asks for the container list and /info as soon as it knows the
        project: the engine works on them while arctui imports and reads the compose
        model, instead of after. A send that fails is forgotten: the real call reports it.
        """
        conn = _UnixConnection(self.path, self.timeout)
        try:
            conn.send("GET", url, None, {"Accept": "application/json"})
        except OSError:
            conn.close()
            return
        with self._early_lock:
            old = self._early.pop(url, None)
            self._early[url] = (time.monotonic(), conn)
        if old is not None:
            old[1].close()

    def _take_early(self, url: str, timeout: float | None) -> _UnixConnection | None:
        """The prefetched connection for `url` if recent enough (used once), else None."""
        with self._early_lock:
            early = self._early.pop(url, None)
        if early is None:
            return None
        sent, conn = early
        if time.monotonic() - sent > EARLY_MAX_AGE:  # stale: ask again
            conn.close()
            return None
        if timeout is not None and conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _open(
        self, url: str, timeout: float | None, method: str = "GET", body: Any = None
    ) -> tuple[_UnixConnection, _Response]:
        conn = _UnixConnection(self.path, self.timeout if timeout is None else timeout)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.send(method, url, data, headers)
        except BaseException:
            conn.close()
            raise
        return conn, self._answer(conn)

    @staticmethod
    def _answer(conn: _UnixConnection) -> _Response:
        """The response on a connection whose request was sent; EngineHTTPError from 400."""
        try:
            response = conn.response()
        except BaseException:
            conn.close()
            raise
        if response.status >= 400:
            body = response.read(64 * 1024)
            conn.close()
            try:
                message = str(json.loads(body).get("message", ""))
            except (ValueError, AttributeError):
                message = body.decode("utf-8", "replace")
            kind = EngineNotFound if response.status == 404 else EngineHTTPError
            raise kind(response.status, message or response.reason)
        return response

    def get_json(self, url: str, timeout: float | None = None) -> Any:
        """The decoded JSON body of a GET (a prefetched one's answer, if sent)."""
        early = self._take_early(url, timeout)
        if early is not None:
            conn, response = early, self._answer(early)
        else:
            conn, response = self._open(url, timeout)
        try:
            return json.loads(response.read())
        finally:
            conn.close()

    def get_json_many(self, urls: Sequence[str], timeout: float | None = None) -> list[Any]:
        """GETs sent at once on their own connections, then read in order: the decoded
        body of each, or the EngineHTTPError the engine answered it with.

        The engine works on them side by side, with no thread started here (threads cost
        more than the waits on two busy cores). Up to `BATCH` connections are open at once.
        """
        out: list[Any] = []
        for start in range(0, len(urls), BATCH):
            conns: list[_UnixConnection] = []
            try:
                for url in urls[start : start + BATCH]:
                    conn = _UnixConnection(self.path, self.timeout if timeout is None else timeout)
                    conns.append(conn)
                    conn.send("GET", url, None, {"Accept": "application/json"})
                for conn in conns:
                    try:
                        out.append(json.loads(self._answer(conn).read()))
                    except EngineHTTPError as exc:
                        out.append(exc)
            finally:
                for conn in conns:
                    conn.close()
        return out

    def post_json(self, url: str, body: Any, timeout: float | None = None) -> Any:
        """POST a JSON body; the decoded answer (None when the engine sends no body)."""
        conn, response = self._open(url, timeout, "POST", body)
        try:
            raw = response.read()
            return json.loads(raw) if raw.strip() else None
        finally:
            conn.close()

    def post_read(self, url: str, body: Any, timeout: float, limit: int) -> bytes:
        """POST, then the whole body (until the engine closes it), within `timeout` in all.

        Raises TimeoutError past the deadline; keeps the first `limit` bytes.
        """
        deadline = time.monotonic() + timeout
        conn, response = self._open(url, timeout, "POST", body)
        try:
            return read_until(response.read1, deadline, limit, conn.sock)
        finally:
            conn.close()

    def stream(self, url: str, timeout: float | None = None) -> RawStream:
        """A streaming GET: `timeout` bounds the connect and headers, not the reads."""
        conn, response = self._open(url, timeout)
        if conn.sock is not None:
            conn.sock.settimeout(None)  # a quiet stream waits
        return RawStream(conn, response)

    def close(self) -> None:
        """Close the prefetched connections nobody asked for (nothing else is kept open)."""
        with self._early_lock:
            early, self._early = list(self._early.values()), {}
        for _, conn in early:
            conn.close()


def read_until(read: Any, deadline: float, limit: int, sock: Any = None) -> bytes:
    """Read chunks until the end of the body or `deadline` (TimeoutError), `limit` kept."""
    out = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the engine's answer did not end in time")
        if sock is not None:
            sock.settimeout(left)  # one slow read cannot outlast the deadline
        data = read(1 << 16)
        if not data:
            return bytes(out)
        if len(out) < limit:
            out += data[: limit - len(out)]


class RawStream:
    """A streaming body read as it arrives; `close()` from another thread ends the read."""

    def __init__(self, conn: _UnixConnection, response: _Response) -> None:
        self._conn = conn
        self._response = response

    def chunks(self) -> Iterator[bytes]:
        """What each read returns (chunked transfer decoded), until the body ends."""
        while True:
            data = self._response.read1(1 << 16)
            if not data:
                return
            yield data

    def close(self) -> None:
        """Shut the socket down (unblocks a reader), then close it."""
        sock = self._conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._conn.close()
