"""The one Docker Engine API client of a session: list, inspect, stats, logs, events,
volumes, networks and `docker exec` (create, start, inspect).

Three transports behind one interface, picked once from the environment:
- the plain local unix socket: `engine_http.UnixEngine` (http.client, no SDK import, so
  the first frame never waits for requests/urllib3);
- `ssh://` (or the unix socket an `ssh.SshHost` forwards): the same client over the
  host's one multiplexed SSH connection (`sources/ssh.py`), never the SDK's paramiko or
  `ssh` helper, which open a connection per call; the master is (re)connected first;
- anything else (TCP, TLS, a named context): the docker SDK, imported on first use
  under a lock (`docker_engine.load_sdk`), used only to resolve the endpoint, negotiate
  the API version and carry requests (`APIClient` is a `requests.Session`: its public
  `get` with our own URLs; no private SDK helper).

Every call has a timeout (an exec's start: its whole output within it) except a following
stream's reads (a quiet container is not a failure); `EngineStream.close()` (or
`EngineClient.close()`) shuts a stream's socket down from any thread so its reader
returns at once. Errors: `EngineNotFound` for a 404,
`SourceError` (with a reason and a fix) for everything else.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from arctui.lazylog import get_logger
from arctui.sources.base import SourceError
from arctui.sources.engine_http import (
    EngineHTTPError,
    EngineNotFound,
    UnixEngine,
    local_socket,
    query_string,
)

if TYPE_CHECKING:
    from arctui.sources.engine_sdk import SdkTransport
    from arctui.sources.engine_ssh import SshTransport
    from arctui.sources.ssh import SshHost

log = get_logger(__name__)

__all__ = ["EngineClient", "EngineNotFound", "EngineStream"]

# An exec's output kept (probes and doctor checks print a line or two of it).
EXEC_OUTPUT_LIMIT = 1 << 20
_STREAM_NAMES = {1: "stdout", 2: "stderr"}

# Connections the SDK transport keeps: one per followed container's log stream, the
# stats pool's 64 workers, the event stream and short reads.
POOL_SIZE = 256


class EngineStream:
    """A streaming response (logs, events): chunks or lines; `close()` from any thread."""

    def __init__(self, chunks: Iterator[bytes], shutdown: Any, owner: EngineClient) -> None:
        self._chunks = chunks
        self._shutdown = shutdown
        self._owner = owner
        self.closed = False

    def chunks(self) -> Iterator[bytes]:
        """The body as the engine sends it (a read returns what arrived)."""
        try:
            yield from self._chunks
        except Exception as exc:
            if self.closed:
                return  # closed by us: a normal end
            raise self._owner.explain(exc) from exc
        finally:
            self.close()

    def lines(self) -> Iterator[bytes]:
        """The body split at newlines (the event stream: one JSON object a line)."""
        pending = b""
        for chunk in self.chunks():
            pending += chunk
            *done, pending = pending.split(b"\n")
            for line in done:
                if line.strip():
                    yield line
        if pending.strip():
            yield pending

    def close(self) -> None:
        """End the stream; a thread blocked reading it returns."""
        if self.closed:
            return
        self.closed = True
        self._owner.forget(self)
        try:
            self._shutdown()
        except Exception as exc:  # already closed by the peer: nothing left to unblock
            log.debug("closing an engine stream: %r", exc)


class _UnixTransport:
    def __init__(self, engine: UnixEngine) -> None:
        self.engine = engine

    def get_json(self, path: str, params: Mapping[str, Any] | None, timeout: float) -> Any:
        return self.engine.get_json(path + query_string(params or {}), timeout)

    def get_json_many(self, paths: Sequence[str], timeout: float) -> list[Any]:
        return self.engine.get_json_many(paths, timeout)

    def stream(
        self, path: str, params: Mapping[str, Any] | None, timeout: float
    ) -> tuple[Iterator[bytes], Any]:
        raw = self.engine.stream(path + query_string(params or {}), timeout)
        return raw.chunks(), raw.close

    def post_json(self, path: str, body: Any, timeout: float) -> Any:
        return self.engine.post_json(path, body, timeout)

    def post_read(self, path: str, body: Any, timeout: float, limit: int) -> bytes:
        return self.engine.post_read(path, body, timeout, limit)

    def prefetch(self, path: str, params: Mapping[str, Any] | None) -> None:
        self.engine.prefetch(path + query_string(params or {}))

    def close(self) -> None:
        self.engine.close()


class EngineClient:
    """One engine, reached the same way by every reader of the session (thread-safe)."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        pool_size: int = POOL_SIZE,
    ) -> None:
        self._environ = None if environ is None else dict(environ)
        self.timeout = timeout
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._local: tuple[str | None] | None = None  # (socket path or None,) once known
        self._resolved: tuple[dict[str, Any], str] | None = None
        self._transport: SdkTransport | _UnixTransport | SshTransport | None = None
        self._ssh: tuple[SshHost | None] | None = None
        self._streams: set[EngineStream] = set()
        self._closed = False

    # Where the engine is ----------------------------------------------------------
    def local_socket(self) -> str | None:
        """The unix socket when the engine is the plain local one (no SDK needed)."""
        if self._local is None:
            self._local = (local_socket(self._environ),)
        return self._local[0]

    def ssh_host(self) -> SshHost | None:
        """The shared SSH connection when the engine is remote over `ssh://`, else None.

        A `unix://` DOCKER_HOST counts when it is the socket an SshHost of this process
        forwards (a fleet member's), so cgroups here are never taken for the remote's.
        """
        if self._ssh is None:
            env = os.environ if self._environ is None else self._environ
            host = env.get("DOCKER_HOST", "")
            found: SshHost | None = None
            if host.startswith("ssh://") or (
                host.startswith("unix://") and "arctui.sources.ssh" in sys.modules
            ):  # no SshHost exists before that module is loaded: nothing to import
                from arctui.sources.engine_ssh import ssh_host_for

                found = ssh_host_for(host, self.timeout)
            self._ssh = (found,)
        return self._ssh[0]

    def _resolve(self) -> tuple[dict[str, Any], str]:
        from arctui.sources.docker_engine import resolve_endpoint

        if self._resolved is None:
            self._resolved = resolve_endpoint(self._environ)
        return self._resolved

    @property
    def endpoint(self) -> str:
        """Where the engine is reached (for the header and error texts)."""
        ssh = self.ssh_host()
        if ssh is not None:
            return ssh.url
        path = self.local_socket()
        return f"unix://{path}" if path is not None else self._resolve()[1]

    @property
    def sends_at_once(self) -> bool:
        """Whether `inspect_containers` sends its requests together (a unix socket)."""
        return self.local_socket() is not None or self.ssh_host() is not None

    @property
    def is_unix_socket(self) -> bool:
        """Whether the engine is on this host's unix socket (cgroups may be readable)."""
        if self.ssh_host() is not None:
            return False
        if self.local_socket() is not None:
            return True
        base = str(self._resolve()[0].get("base_url", ""))
        return base.startswith(("unix://", "http+unix://"))

    def explain(self, exc: BaseException) -> SourceError:
        """A failure as a reason and a fix an operator can act on."""
        from arctui.sources.docker_engine import explain

        if isinstance(exc, SourceError):
            return exc
        return explain(exc, self.endpoint)

    # Transport --------------------------------------------------------------------
    def _get_transport(self) -> SdkTransport | _UnixTransport | SshTransport:
        with self._lock:
            if self._transport is not None:
                return self._transport
            ssh = self.ssh_host()
            if ssh is not None:
                from arctui.sources.engine_ssh import SshTransport

                self._transport = SshTransport(ssh, self.timeout)
                return self._transport
            path = self.local_socket()
            if path is not None:
                self._transport = _UnixTransport(UnixEngine(path, self.timeout))
                return self._transport
        from arctui.sources.docker_engine import load_sdk
        from arctui.sources.engine_sdk import SdkTransport

        docker = load_sdk()  # outside our lock: the SDK's own import lock is enough
        params = self._resolve()[0]
        try:
            api = docker.APIClient(
                version="auto", timeout=self.timeout, max_pool_size=self._pool_size, **params
            )
        except Exception as exc:
            raise self.explain(exc) from exc
        with self._lock:
            if self._transport is None:
                self._transport = SdkTransport(api)
            return self._transport

    def _retire(self, exc: BaseException) -> None:
        """After a connection failure: negotiate again with whatever daemon answers next.

        The old SDK client is not closed: streams still reading on it end by themselves.
        """
        from arctui.sources.engine_sdk import SdkTransport

        log.info("engine connection failed, reconnecting on the next call: %r", exc)
        with self._lock:
            if isinstance(self._transport, SdkTransport):
                self._transport = None

    def _call(self, run: Any) -> Any:
        """`run(transport)`, its failures as EngineNotFound or SourceError."""
        try:
            return run(self._get_transport())
        except (EngineNotFound, SourceError):
            raise
        except EngineHTTPError as exc:
            raise SourceError(f"Docker engine error: {exc}"[:300]) from exc
        except Exception as exc:
            self._retire(exc)
            raise self.explain(exc) from exc

    def get_json(
        self, path: str, params: Mapping[str, Any] | None = None, timeout: float | None = None
    ) -> Any:
        """GET a JSON document. Raises EngineNotFound (404) or SourceError."""
        return self._call(lambda t: t.get_json(path, params, timeout or self.timeout))

    def post_json(self, path: str, body: Any, timeout: float | None = None) -> Any:
        """POST a JSON body, the decoded answer. Raises EngineNotFound (404) or SourceError."""
        return self._call(lambda t: t.post_json(path, body, timeout or self.timeout))

    def stream(
        self, path: str, params: Mapping[str, Any] | None = None, timeout: float | None = None
    ) -> EngineStream:
        """Open a streaming GET (logs, events). Raises EngineNotFound or SourceError."""
        if self._closed:
            raise SourceError("the engine client is closed")
        chunks, shutdown = self._call(lambda t: t.stream(path, params, timeout or self.timeout))
        stream = EngineStream(chunks, shutdown, self)
        with self._lock:
            self._streams.add(stream)
        return stream

    def forget(self, stream: EngineStream) -> None:
        """A stream ended: no longer closed by `close()`."""
        with self._lock:
            self._streams.discard(stream)

    def prefetch(self, path: str, params: Mapping[str, Any] | None = None) -> None:
        """Send a GET now on the local socket; the next identical `get_json` reads its
        answer (the engine works meanwhile). Elsewhere (SDK, SSH) nothing is sent."""
        if self._closed or self.local_socket() is None:
            return
        transport = self._get_transport()
        if isinstance(transport, _UnixTransport):
            transport.prefetch(path, params)

    # The reads arctui makes (the SDK's APIClient names, so callers read alike) -------
    def containers(self, all: bool = False, filters: Mapping[str, Any] | None = None) -> Any:
        """GET /containers/json."""
        return self.get_json("/containers/json", _list_params(all, filters))

    def prefetch_containers(
        self, all: bool = False, filters: Mapping[str, Any] | None = None
    ) -> None:
        """`prefetch` of the `containers(all, filters)` call."""
        self.prefetch("/containers/json", _list_params(all, filters))

    def inspect_container(self, container: str) -> Any:
        """GET /containers/{id}/json; EngineNotFound when it is gone."""
        return self.get_json(f"/containers/{quote(container, safe='')}/json")

    def inspect_containers(self, ids: Sequence[str]) -> dict[str, Any]:
        """The inspect of each id (None when it is gone), the requests sent at once.

        Raises SourceError for any other failure (the first, after all were read).
        """
        paths = [f"/containers/{quote(cid, safe='')}/json" for cid in ids]
        answers = self._call(lambda t: t.get_json_many(paths, self.timeout))
        found: dict[str, Any] = {}
        for cid, answer in zip(ids, answers, strict=True):
            if isinstance(answer, EngineNotFound):
                found[cid] = None
            elif isinstance(answer, EngineHTTPError):
                raise SourceError(f"Docker engine error: {answer}"[:300]) from answer
            else:
                found[cid] = answer
        return found

    def version(self) -> Any:
        """GET /version."""
        return self.get_json("/version")

    def info(self) -> Any:
        """GET /info."""
        return self.get_json("/info")

    def df(self, timeout: float | None = None) -> Any:
        """GET /system/df (slow on big hosts)."""
        return self.get_json("/system/df", None, timeout)

    def stats(self, container: str) -> Any:
        """One stats reading (GET /containers/{id}/stats, not streamed, one-shot)."""
        # one-shot (API 1.41+) skips the daemon's wait for a second sample; older
        # daemons ignore the parameter.
        params = {"stream": False, "one-shot": True}
        return self.get_json(f"/containers/{quote(container, safe='')}/stats", params)

    def volumes(self, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """GET /volumes: the volumes (`docker volume ls`), filtered as the API says."""
        answer = self.get_json("/volumes", {"filters": filters})
        return list((answer or {}).get("Volumes") or [])

    def networks(self, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """GET /networks (`docker network ls`)."""
        return list(self.get_json("/networks", {"filters": filters}) or [])

    def exec_create(self, container: str, cmd: list[str], timeout: float | None = None) -> str:
        """POST /containers/{id}/exec (stdout and stderr attached, no TTY): the exec's id."""
        body = {"AttachStdout": True, "AttachStderr": True, "Tty": False, "Cmd": list(cmd)}
        path = f"/containers/{quote(container, safe='')}/exec"
        return str(self.post_json(path, body, timeout)["Id"])

    def exec_start(
        self, exec_id: str, timeout: float | None = None, limit: int = EXEC_OUTPUT_LIMIT
    ) -> list[tuple[str, bytes]]:
        """POST /exec/{id}/start and read its output to the end, all within `timeout`.

        The output as (stream, bytes) frames in the order the engine sent them; past the
        timeout a SourceError (the command may still run in the container).
        """
        path = f"/exec/{quote(exec_id, safe='')}/start"
        body = {"Detach": False, "Tty": False}
        wait = timeout or self.timeout
        raw = self._call(lambda t: t.post_read(path, body, wait, limit + 8 * 1024))
        return demux(raw, limit)

    def exec_inspect(self, exec_id: str, timeout: float | None = None) -> Any:
        """GET /exec/{id}/json (ExitCode, Running)."""
        return self.get_json(f"/exec/{quote(exec_id, safe='')}/json", None, timeout)

    def logs(self, container: str, params: Mapping[str, Any]) -> EngineStream:
        """GET /containers/{id}/logs as a raw (multiplexed) stream."""
        return self.stream(f"/containers/{quote(container, safe='')}/logs", params)

    def events(
        self, filters: Mapping[str, Any], since: float | None = None
    ) -> Iterator[dict[str, Any]]:
        """GET /events: decoded events until the stream ends; close it with `close()`."""
        params: dict[str, Any] = {"filters": filters}
        if since:
            params["since"] = f"{since:.9f}"
        stream = self.stream("/events", params)
        for line in stream.lines():
            try:
                yield json.loads(line)
            except ValueError:
                log.warning("engine event not JSON, skipped: %r", line[:200])

    def close(self) -> None:
        """End every open stream (their readers return) and release the transport."""
        self._closed = True
        with self._lock:
            streams, self._streams = list(self._streams), set()
            transport, self._transport = self._transport, None
        for stream in streams:
            stream.close()
        if transport is not None:
            try:
                transport.close()
            except Exception as exc:
                log.debug("closing the engine client: %r", exc)


def _list_params(all: bool, filters: Mapping[str, Any] | None) -> dict[str, Any]:
    # One builder: a prefetched list must have the very query `containers` sends.
    return {"all": all, "filters": filters}


def demux(raw: bytes, limit: int = EXEC_OUTPUT_LIMIT) -> list[tuple[str, bytes]]:
    """A non-TTY attach stream's frames (8-byte header: stream, size); `limit` bytes kept.

    Bytes that are not a frame (the engine writes a failed start's error as plain text)
    are one stdout frame, so the reason is not lost.
    """
    out: list[tuple[str, bytes]] = []
    pos, kept = 0, 0
    while pos < len(raw) and kept < limit:
        kind = raw[pos]
        if len(raw) - pos < 8 or kind not in (0, 1, 2) or raw[pos + 1 : pos + 4] != b"\0\0\0":
            out.append(("stdout", raw[pos : pos + limit - kept]))
            break
        size = int.from_bytes(raw[pos + 4 : pos + 8], "big")  # no struct import
        payload = raw[pos + 8 : pos + 8 + size][: limit - kept]
        out.append((_STREAM_NAMES.get(kind, "stdout"), payload))
        kept += len(payload)
        pos += 8 + size
    return out
