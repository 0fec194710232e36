"""The docker SDK transport of `EngineClient` (sources/engine.py): TCP, TLS and named
contexts, where the plain unix-socket client does not apply.

Requests go through the SDK's negotiated `APIClient` to URLs built here, so both
transports ask the engine the same questions. Imported only when that path is taken.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from arctui.sources.engine_http import EngineHTTPError, EngineNotFound, query_string, read_until


class SdkTransport:
    """Requests through the SDK's negotiated client, to URLs built here."""

    def __init__(self, api: Any) -> None:
        self.api = api

    def _url(self, path: str, params: Mapping[str, Any] | None) -> str:
        base = f"{self.api.base_url}/v{self.api.api_version}"
        return base + path + query_string(params or {})

    @staticmethod
    def _check(res: Any) -> None:
        if res.status_code < 400:
            return
        try:
            message = str(res.json().get("message", ""))
        except (ValueError, AttributeError):
            message = res.text[:2000]
        res.close()
        kind = EngineNotFound if res.status_code == 404 else EngineHTTPError
        raise kind(res.status_code, message or str(res.reason))

    def get_json(self, path: str, params: Mapping[str, Any] | None, timeout: float) -> Any:
        res = self.api.get(self._url(path, params), timeout=timeout)
        self._check(res)
        return res.json()

    def get_json_many(self, paths: Sequence[str], timeout: float) -> list[Any]:
        out: list[Any] = []
        for path in paths:  # one after another: the SDK path is not the hot one
            try:
                out.append(self.get_json(path, None, timeout))
            except EngineHTTPError as exc:
                out.append(exc)
        return out

    def post_json(self, path: str, body: Any, timeout: float) -> Any:
        res = self.api.post(self._url(path, None), json=body, timeout=timeout)
        self._check(res)
        return res.json() if res.content.strip() else None

    def post_read(self, path: str, body: Any, timeout: float, limit: int) -> bytes:
        deadline = time.monotonic() + timeout
        res = self.api.post(self._url(path, None), json=body, stream=True, timeout=timeout)
        self._check(res)
        try:
            conn = res.raw.connection  # urllib3's public handle on the live connection
            sock = getattr(conn, "sock", None) if conn is not None else None
            return read_until(res.raw.read1, deadline, limit, sock)
        finally:
            res.close()

    def stream(
        self, path: str, params: Mapping[str, Any] | None, timeout: float
    ) -> tuple[Iterator[bytes], Any]:
        # (connect timeout, no read timeout): a quiet stream waits.
        res = self.api.get(self._url(path, params), stream=True, timeout=(timeout, None))
        self._check(res)

        def shutdown() -> None:
            conn = res.raw.connection  # urllib3's public handle on the live connection
            sock = getattr(conn, "sock", None) if conn is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            res.close()

        return res.iter_content(chunk_size=None), shutdown

    def close(self) -> None:
        self.api.close()
