"""The engine client's transport for `ssh://` engines: plain HTTP over the unix socket an
`ssh.SshHost` forwards to the remote engine, so every request is a channel of the host's
one SSH connection (never a new connection, never the SDK's paramiko or `ssh` helper).

The master is (re)connected before each call (`SshHost.ensure`: a no-op while it runs,
backoff while the host is down); a read that failed because the master died under it is
tried once more on the new one. A POST is never retried (it may have been done).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from arctui.sources.engine_http import UnixEngine, query_string
from arctui.sources.ssh import SshHost

T = TypeVar("T")


def ssh_host_for(docker_host: str, timeout: float) -> SshHost | None:
    """The SshHost behind a DOCKER_HOST: `ssh://...`, or a socket an SshHost forwards."""
    if docker_host.startswith("ssh://"):
        return SshHost.for_url(docker_host, timeout)
    if docker_host.startswith("unix://"):
        return SshHost.for_socket(docker_host[len("unix://") :])
    return None


class SshTransport:
    """EngineClient's transport over an SshHost's forwarded engine socket."""

    def __init__(self, host: SshHost, timeout: float) -> None:
        self.host = host
        self.engine = UnixEngine(host.socket_path(), timeout)

    def _read(self, call: Callable[[], T]) -> T:
        self.host.ensure()
        try:
            return call()
        except OSError:
            if self.host.alive:
                raise
            self.host.ensure()  # the master died under us: once more on a new one
            return call()

    def get_json(self, path: str, params: Mapping[str, Any] | None, timeout: float) -> Any:
        return self._read(lambda: self.engine.get_json(path + query_string(params or {}), timeout))

    def get_json_many(self, paths: Sequence[str], timeout: float) -> list[Any]:
        return self._read(lambda: self.engine.get_json_many(paths, timeout))

    def stream(
        self, path: str, params: Mapping[str, Any] | None, timeout: float
    ) -> tuple[Iterator[bytes], Any]:
        raw = self._read(lambda: self.engine.stream(path + query_string(params or {}), timeout))
        return raw.chunks(), raw.close

    def post_json(self, path: str, body: Any, timeout: float) -> Any:
        self.host.ensure()
        return self.engine.post_json(path, body, timeout)

    def post_read(self, path: str, body: Any, timeout: float, limit: int) -> bytes:
        self.host.ensure()
        return self.engine.post_read(path, body, timeout, limit)

    def close(self) -> None:
        """Nothing is kept open between calls (the SSH connection is the SshHost's)."""
