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
import http.client
import json
import os
import socket
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

DEFAULT_SOCKET = "/var/run/docker.sock"


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


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


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

    def _open(
        self, url: str, timeout: float | None, method: str = "GET", body: Any = None
    ) -> tuple[_UnixConnection, Any]:
        conn = _UnixConnection(self.path, self.timeout if timeout is None else timeout)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, url, body=data, headers=headers)
            response = conn.getresponse()
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
        return conn, response

    def get_json(self, url: str, timeout: float | None = None) -> Any:
        """The decoded JSON body of a GET."""
        conn, response = self._open(url, timeout)
        try:
            return json.loads(response.read())
        finally:
            conn.close()

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
        """Nothing is kept open between calls."""


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

    def __init__(self, conn: _UnixConnection, response: Any) -> None:
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
