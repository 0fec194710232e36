"""Quiet at rest: health checks cause no stack reads; real state changes show up fast.

A probe container with a 1 s health check joins the test project. Its checks make the
engine emit exec events every second; an independent event subscription counts them
over the same window in which arctui's reader must do no full read.
"""

from __future__ import annotations

import threading
import time
import uuid

import docker

from arctui.config.settings import Settings
from arctui.session import real_session
from arctui.ui.app import ArcApp
from tests.integration.stack import (
    BUSYBOX_IMAGE,
    PROJECT_LABEL,
    SERVICE_LABEL,
    RunningStack,
    compose_env,
)
from tests.ui.conftest import wait_for

PROBE_SERVICE = "probe"
CHECK_INTERVAL = 1.0


def _start_probe(client: docker.DockerClient, project: str):
    name = f"arctui-test-probe-{uuid.uuid4().hex[:6]}"
    return client.containers.run(
        BUSYBOX_IMAGE,
        ["sh", "-c", "touch /tmp/ok; trap 'exit 0' TERM; while true; do sleep 1 & wait; done"],
        name=name,
        detach=True,
        network_mode="host",
        labels={PROJECT_LABEL: project, SERVICE_LABEL: PROBE_SERVICE},
        healthcheck={
            "test": ["CMD", "test", "-f", "/tmp/ok"],
            "interval": int(CHECK_INTERVAL * 1e9),
            "timeout": int(1e9),
            "retries": 1,
        },
    )


class EventCounter:
    """An independent `docker events` subscription over a window."""

    def __init__(self, client: docker.DockerClient, project: str, since: int) -> None:
        self.exec_events = 0
        self.state_events = 0
        self._stream = client.events(
            decode=True,
            since=since,
            filters={"type": "container", "label": f"{PROJECT_LABEL}={project}"},
        )
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for event in self._stream:
                action = str(event.get("Action", ""))
                if action.startswith("exec_"):
                    self.exec_events += 1
                else:
                    self.state_events += 1
        except Exception:
            pass

    def close(self) -> None:
        self._stream.close()


def _service(app: ArcApp, name: str):
    snap = app.snapshot
    return snap.service(name) if snap else None


async def test_health_checks_cause_no_reads_and_changes_show_fast(test_stack: RunningStack):
    probe = _start_probe(test_stack.client, test_stack.project)
    try:
        session = real_session(
            test_stack.stack_dir,
            env=None,
            files=[str(test_stack.compose_file)],
            project_name=test_stack.project,
            settings=Settings(refresh=6.0),  # reconcile every 30 s: outside the window
            environ=compose_env(),
        )
        reader = session.reader
        app = ArcApp(session)
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(
                pilot,
                lambda: (s := _service(app, PROBE_SERVICE)) is not None and s.health == "healthy",
                timeout=20,
            )
            # At rest: health checks run every second, the reader does no full read.
            # Counted from a little before the window: an event the engine sent just
            # before it may be read by arctui just inside it (a crash loop's `die`).
            counter = EventCounter(test_stack.client, test_stack.project, int(time.time()) - 3)
            full_before, partial_before = reader.full_reads, reader.partial_reads
            await pilot.pause(6.0)
            counter.close()
            assert counter.exec_events >= 3, "the probe's health checks did not run"
            assert reader.full_reads == full_before
            # Partial reads only for real state events (the crash-looping worker).
            assert reader.partial_reads - partial_before <= counter.state_events

            # healthy -> unhealthy: shown within about one check interval of the engine.
            probe.exec_run(["rm", "-f", "/tmp/ok"])
            engine_saw = None
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                probe.reload()
                if probe.attrs["State"].get("Health", {}).get("Status") == "unhealthy":
                    engine_saw = time.monotonic()
                    break
                await pilot.pause(0.1)
            assert engine_saw is not None, "the engine never marked the probe unhealthy"
            await wait_for(
                pilot, lambda: _service(app, PROBE_SERVICE).health == "unhealthy", timeout=5
            )
            assert time.monotonic() - engine_saw <= CHECK_INTERVAL + 1.0

            # docker stop: shown within 2 s of the engine's own report.
            full_before = reader.full_reads
            probe.stop(timeout=1)
            stopped_at = time.monotonic()
            await wait_for(
                pilot,
                lambda: _service(app, PROBE_SERVICE).containers[0].state == "exited",
                timeout=5,
            )
            assert time.monotonic() - stopped_at <= 2.0
            assert reader.full_reads == full_before  # the one container was re-read
    finally:
        probe.remove(force=True)
