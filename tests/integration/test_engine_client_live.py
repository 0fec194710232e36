"""The engine client's two transports read the same engine alike.

The SDK transport (TCP, TLS, contexts) is forced here on the local socket, so both run
against one daemon: list, inspect, stats, a logs stream and an event stream that
`close()` ends from another thread.
"""

from __future__ import annotations

import threading
import time

from arctui.sources.engine import EngineClient
from tests.integration.stack import PROJECT_LABEL, RunningStack


def _sdk() -> EngineClient:
    client = EngineClient({})
    client.local_socket = lambda: None  # type: ignore[method-assign]
    client._resolved = ({"base_url": "unix:///var/run/docker.sock"}, "sdk")
    return client


def test_both_transports_read_alike(test_stack: RunningStack) -> None:
    plain, sdk = EngineClient({}), _sdk()
    try:
        filters = {"label": [f"{PROJECT_LABEL}={test_stack.project}"]}
        rows = {r["Id"] for r in plain.containers(all=True, filters=filters)}
        assert rows and rows == {r["Id"] for r in sdk.containers(all=True, filters=filters)}
        running = next(r for r in plain.containers(filters=filters))
        cid = running["Id"]
        assert plain.inspect_container(cid)["Id"] == sdk.inspect_container(cid)["Id"]
        assert "memory_stats" in sdk.stats(cid) and "memory_stats" in plain.stats(cid)
        params = {"stdout": 1, "stderr": 1, "timestamps": 1, "tail": 3}
        assert b"".join(plain.logs(cid, params).chunks()) == b"".join(
            sdk.logs(cid, params).chunks()
        )
    finally:
        plain.close()
        sdk.close()


def test_close_ends_a_quiet_event_stream_on_either_transport(test_stack: RunningStack) -> None:
    for client in (EngineClient({}), _sdk()):
        got: list[object] = []
        ended = threading.Event()

        def read(
            client: EngineClient = client, got: list = got, ended: threading.Event = ended
        ) -> None:
            got.extend(client.events({"type": "container", "label": ["arctui.none=1"]}))
            ended.set()

        t = threading.Thread(target=read, daemon=True)
        t.start()
        time.sleep(0.5)  # subscribed and waiting: nothing matches the filter
        assert not ended.is_set()
        client.close()
        assert ended.wait(5), "close() did not end the stream"
        assert got == []
