"""The unix-socket client reads what the docker SDK reads, on the real engine."""

from __future__ import annotations

import threading
import time
import uuid

from arctui.sources.base import EngineEvent
from arctui.sources.docker_engine import DockerSource
from tests.integration.stack import (
    BUSYBOX_IMAGE,
    PROJECT,
    PROJECT_LABEL,
    SERVICE_LABEL,
    RunningStack,
)


def _stable(source: DockerSource) -> dict[str, tuple]:
    """What does not move between two reads a moment apart (health logs and uptime do)."""
    return {
        c.id: (c.name, c.service, c.state, c.image, c.labels, c.env, c.mounts, c.ports)
        for c in source.containers(PROJECT)
    }


def test_the_socket_client_and_the_sdk_read_the_same_containers(test_stack: RunningStack):
    light = DockerSource()
    assert light.endpoint == "unix:///var/run/docker.sock"
    sdk = DockerSource()
    sdk._local = (None,)  # force the SDK path on the same engine
    ours, theirs = _stable(light), _stable(sdk)
    assert len(ours) >= 4 and ours == theirs
    some = next(iter(ours))
    assert light.container(PROJECT, some) is not None
    assert light.container(PROJECT, "no-such-container") is None
    assert light.container("another-project", some) is None
    assert light.ping() == sdk.ping()
    sdk.close()


def test_the_socket_client_follows_events_and_stops_when_closed(test_stack: RunningStack):
    source = DockerSource()
    seen: list[EngineEvent] = []
    stop = threading.Event()
    follower = threading.Thread(target=source.follow_events, args=(PROJECT, seen.append, stop))
    follower.start()
    time.sleep(0.5)  # subscribed
    name = f"arctui-test-ev-{uuid.uuid4().hex[:6]}"
    container = test_stack.client.containers.run(
        BUSYBOX_IMAGE,
        ["true"],
        name=name,
        detach=True,
        network_mode="host",
        labels={PROJECT_LABEL: PROJECT, SERVICE_LABEL: "ev"},
    )
    try:
        deadline = time.monotonic() + 15
        while not {"start", "die"} <= {e.action for e in seen if e.service == "ev"}:
            assert time.monotonic() < deadline, f"events seen: {seen}"
            time.sleep(0.1)
    finally:
        container.remove(force=True)
    stop.set()
    closed_at = time.monotonic()
    source.close()
    follower.join(5)
    assert not follower.is_alive() and time.monotonic() - closed_at < 5
    # Exec events of the stack's health checks never arrive: filtered by the engine.
    assert not [e for e in seen if e.action.startswith("exec_")]


def test_prefetched_reads_are_what_a_fresh_read_returns(test_stack: RunningStack):
    """`arctui status` asks for the list and /info before it reads them (issue 19): the
    real engine's early answers are the same containers, and each is read once."""
    from arctui.sources.docker_engine import prefetch_reads

    fresh = DockerSource()
    early = DockerSource()
    prefetch_reads(early.engine, PROJECT)
    time.sleep(0.2)  # the engine has answered by now; the answers wait on their sockets
    # Names, not states: the stack's crash loop may restart a container between the reads.
    ours = {c.id: (c.name, c.service, c.image) for c in early.containers(PROJECT)}
    assert len(ours) >= 4
    assert ours == {c.id: (c.name, c.service, c.image) for c in fresh.containers(PROJECT)}
    assert early.engine.info()["ID"] == fresh.engine.info()["ID"]
    transport = early.engine._get_transport()
    assert transport.engine._early == {}  # both early answers were used, none left open
