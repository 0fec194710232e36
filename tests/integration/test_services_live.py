"""The Services tab and `arctui status` against the real Docker test stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arctui.config.settings import Settings
from arctui.models import ServiceState
from arctui.session import real_session
from arctui.ui.app import ArcApp
from arctui.ui.tabs.services import ServicesTab
from arctui.ui.widgets.banner import ProblemBanner
from tests.integration.stack import (
    ENSURE_DOCKER,
    GATEWAY_CONTAINER,
    RunningStack,
    compose_env,
)
from tests.ui.conftest import wait_for

DOCKERD_PID = Path("/run/arctui-dockerd.pid")


def live_app(stack: RunningStack, environ: dict[str, str] | None = None) -> ArcApp:
    session = real_session(
        stack.stack_dir,
        env=None,
        files=[str(stack.compose_file)],
        project_name=stack.project,
        settings=Settings(),
        environ=environ if environ is not None else compose_env(),
    )
    return ArcApp(session)


def services(app: ArcApp):
    return app.query_one(ServicesTab).snapshot


async def fresh(pilot, after: float, timeout: float = 15.0) -> None:
    """Wait for a snapshot read after `after` (unix time)."""
    await wait_for(
        pilot,
        lambda: services(pilot.app) is not None and services(pilot.app).taken_at > after,
        timeout,
    )


async def test_every_service_shows_its_true_state_and_health(test_stack: RunningStack):
    app = live_app(test_stack)
    async with app.run_test(size=(160, 48)) as pilot:
        await fresh(pilot, 0)
        snap = services(app)
        assert snap.compose_error is None
        by = {s.name: s for s in snap.services}
        assert set(by) == {"postgres", "redis", "gateway", "flags", "worker", "raymond", "extra"}
        assert by["postgres"].role == "postgres" and by["postgres"].health == "healthy"
        assert by["postgres"].containers[0].name == "arctui-test-oracle-sql"
        assert by["redis"].role == "redis" and by["redis"].health == "healthy"
        assert by["gateway"].role == "traefik" and by["gateway"].state is ServiceState.RUNNING
        assert by["flags"].health == "unhealthy"
        assert by["flags"].depends_on == ("postgres",)
        assert by["raymond"].state is ServiceState.RUNNING and len(by["raymond"].containers) == 2
        assert by["extra"].state is ServiceState.NOT_CREATED
        assert by["extra"].declared is not None and by["extra"].declared.profiles == ("extra",)
        # The crash-looping worker: its restarts are counted and shown in the table.
        assert by["worker"].restart_count >= 1
        table = app.query_one(ServicesTab).table
        row = table.get_row("worker")
        assert int(row[5].plain) == by["worker"].restart_count
        # Secrets from the real container env are masked in the detail pane.
        await pilot.press("slash", *"postgres", "enter", "enter")
        await pilot.pause()
        body = str(app.query_one("#services-detail-body").render())
        assert "POSTGRES_PASSWORD" in body and test_stack.pg_password not in body


async def test_a_stopped_container_shows_as_stopped_within_seconds(test_stack: RunningStack):
    app = live_app(test_stack)
    gateway = test_stack.client.containers.get(GATEWAY_CONTAINER)
    async with app.run_test(size=(120, 40)) as pilot:
        await fresh(pilot, 0)
        assert services(app).service("gateway").state is ServiceState.RUNNING
        try:
            gateway.stop(timeout=2)
            stopped_at = time.time()
            # The event stream triggers the refresh; the slow poll alone would take 10 s.
            await wait_for(
                pilot,
                lambda: services(app).service("gateway").state is ServiceState.STOPPED,
                timeout=5,
            )
            assert services(app).taken_at - stopped_at < 5
            row = app.query_one(ServicesTab).table.get_row("gateway")
            assert row[2].plain == "stopped"
        finally:
            gateway.start()
        await wait_for(
            pilot,
            lambda: services(app).service("gateway").state is ServiceState.RUNNING,
            timeout=10,
        )


async def test_compose_config_that_does_not_render_is_explained(test_stack: RunningStack):
    environ = {k: v for k, v in compose_env().items() if k != "PG_UID"}
    app = live_app(test_stack, environ=environ)
    async with app.run_test(size=(120, 40)) as pilot:
        await fresh(pilot, 0)
        snap = services(app)
        assert snap.compose_error and "PG_UID" in snap.compose_error
        banner = app.query_one(ProblemBanner)
        assert banner.display and "PG_UID" in str(banner.render())
        # The engine's containers are still shown.
        assert snap.service("postgres").state is ServiceState.RUNNING


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
    app = live_app(test_stack)
    async with app.run_test(size=(120, 40)) as pilot:
        await fresh(pilot, 0)
        banner = app.query_one(ProblemBanner)
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
        finally:
            gateway.start()


def test_headless_status_reports_the_stack(test_stack: RunningStack):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "arctui",
            "--project-dir",
            str(test_stack.stack_dir),
            "-p",
            test_stack.project,
            "-f",
            str(test_stack.compose_file),
            "status",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=compose_env(),
    )
    data = json.loads(proc.stdout)
    rows = {r["service"]: r for r in data["services"]}
    assert rows["flags"]["health"] == "unhealthy"
    assert rows["extra"]["state"] == "not created"
    assert rows["raymond"]["replicas"] == 2
    assert proc.returncode == 1  # something needs attention: flags unhealthy, worker looping
    assert "textual" not in proc.stderr
