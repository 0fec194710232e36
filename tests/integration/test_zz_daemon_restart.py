"""The daemon stopped and started mid-session: banner, then recovery.

Named to run last: it restarts the engine under the whole stack.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arctui.models import ServiceState
from arctui.ui.widgets.banner import ProblemBanner
from tests.integration.stack import ENSURE_DOCKER, GATEWAY_CONTAINER, RunningStack
from tests.integration.test_services_live import fresh, live_app, services
from tests.ui.conftest import wait_for

DOCKERD_PID = Path("/run/arctui-dockerd.pid")


def _our_dockerd() -> int | None:
    """The pid of the dockerd that ensure-docker.sh started, if it is the one running."""
    try:
        pid = int(DOCKERD_PID.read_text().strip())
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"dockerd" in cmd else None


async def test_daemon_restart_shows_banner_then_recovers(test_stack: RunningStack):
    pid = _our_dockerd()
    if pid is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the daemon started by scripts/ensure-docker.sh")
        pytest.skip("the running dockerd was not started by arctui's tests; not stopping it")
    # dockerd 20.10 with live-restore can wedge a container that is mid-restart while the
    # daemon is down ("task already exists"); keep the crash-looping worker out of it.
    test_stack.compose("stop", "-t", "1", "worker")
    app = live_app(test_stack)
    async with app.run_test(size=(120, 40)) as pilot:
        await fresh(pilot, 0)
        banner = app.query_one(ProblemBanner)
        # Two more subscribers of the session's one event stream (as Resources and Logs).
        hub = app.session.events
        seen: dict[str, list] = {"resources": [], "logs": []}
        for name, got in seen.items():
            hub.subscribe(got.append, name)
        os.kill(pid, 15)
        try:
            await wait_for(pilot, lambda: not Path(f"/proc/{pid}").exists(), timeout=30)
            await pilot.press("r")
            await wait_for(pilot, lambda: banner.display, timeout=15)
            assert "no Docker engine answers" in str(banner.render())
            assert app.is_running
        finally:
            subprocess.run(
                [str(ENSURE_DOCKER)],
                check=True,
                timeout=120,
                env={**os.environ, "PYTHON": sys.executable},
            )
        restarted = time.time()
        await fresh(pilot, restarted, timeout=40)
        await pilot.pause()
        assert not banner.display
        assert services(app).service("postgres").state is ServiceState.RUNNING
        # The event stream was resubscribed: a stop is seen quickly again.
        gateway = test_stack.client.containers.get(GATEWAY_CONTAINER)
        try:
            gateway.stop(timeout=2)
            await wait_for(
                pilot,
                lambda: services(app).service("gateway").state is ServiceState.STOPPED,
                timeout=8,
            )

            # Every subscriber heard the cut (None: read everything) and, after the one
            # resubscription with since=, the gateway's stop.
            def heard_all() -> bool:
                return all(
                    None in got
                    and any(e and e.container_id == gateway.id and e.action == "die" for e in got)
                    for got in seen.values()
                )

            await wait_for(pilot, heard_all, timeout=5)
            assert hub.connections >= 2
        finally:
            gateway.start()
    test_stack.compose("up", "-d", "worker")
