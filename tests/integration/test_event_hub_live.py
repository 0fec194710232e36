"""One engine event subscription for the session: the app, Resources and Logs all see a
container restart from one `/events` stream of the real engine.

The restarted container is this test's own (a busybox labelled into the test project),
so no other test's service is touched.
"""

from __future__ import annotations

import threading
import time
import uuid

from arctui.config.settings import Settings
from arctui.session import real_session
from arctui.sources.base import EngineEvent
from arctui.sources.docker_logs import DockerLogSource, LogWindow
from tests.integration.stack import (
    BUSYBOX_IMAGE,
    PROJECT_LABEL,
    SERVICE_LABEL,
    RunningStack,
    compose_env,
)


def _wait(cond, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def test_a_restart_reaches_every_subscriber_from_one_stream(test_stack: RunningStack) -> None:
    name = f"arctui-test-hub-{uuid.uuid4().hex[:6]}"
    probe = test_stack.client.containers.run(
        BUSYBOX_IMAGE,
        ["sh", "-c", "trap 'exit 0' TERM; echo up; while true; do sleep 1 & wait; done"],
        name=name,
        detach=True,
        network_mode="host",
        labels={PROJECT_LABEL: test_stack.project, SERVICE_LABEL: "hubprobe"},
    )
    session = real_session(
        test_stack.stack_dir,
        env=None,
        files=[str(test_stack.compose_file)],
        project_name=test_stack.project,
        settings=Settings(),
        environ=compose_env(),
    )
    hub = session.events
    stop = threading.Event()
    app_seen: list[EngineEvent | None] = []

    def app(event: EngineEvent | None) -> None:  # what ArcApp does with an event
        session.reader.note_event(event)
        app_seen.append(event)

    resources = session.resources
    assert resources is not None
    changes: list[str] = []
    logs = DockerLogSource(
        session.project, engine=session.engine, hub=hub, environ=compose_env(), rescan=60.0
    )
    lines: list = []
    threads = [
        threading.Thread(target=resources.follow_events, args=(changes.append, stop)),
        threading.Thread(
            target=logs.follow, args=(("hubprobe",), LogWindow(tail=5), lines.extend, stop)
        ),
    ]
    try:
        hub.subscribe(app, "app")
        for t in threads:
            t.start()
        assert _wait(lambda: {s.name for s in hub.subscriptions} == {"app", "resources", "logs"})
        assert _wait(hub.alive.is_set)
        logs_sub = next(s for s in hub.subscriptions if s.name == "logs")
        before = logs_sub.delivered
        probe.restart(timeout=1)
        pid = probe.id
        assert _wait(lambda: any(e and e.container_id == pid and e.action == "restart"
                                 for e in app_seen))  # fmt: skip
        assert _wait(lambda: "restart" in changes)
        assert _wait(lambda: logs_sub.delivered > before)
        # The restarted container's new output reaches the Logs follower.
        assert _wait(lambda: sum(1 for r in lines if r.data == b"up") >= 2, timeout=30)
        assert hub.connections == 1  # one stream to the engine for all three
    finally:
        stop.set()
        session.close()
        for t in threads:
            t.join(10)
        probe.remove(force=True)
