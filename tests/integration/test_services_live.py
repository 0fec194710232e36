"""The Services tab and `arctui status` against the real Docker test stack."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from arctui.config.settings import Settings
from arctui.models import ServiceState
from arctui.session import real_session
from arctui.tabs.services.view.tab import ServicesTab
from arctui.ui.app import ArcApp
from arctui.ui.widgets.banner import ProblemBanner
from tests.integration.stack import (
    GATEWAY_CONTAINER,
    RunningStack,
    compose_env,
)
from tests.ui.conftest import wait_for


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
        lambda: (
            services(pilot.app) is not None
            and services(pilot.app).taken_at > after
            # the compose model follows the engine's list: wait for what it declares
            and any(x.declared is not None for x in services(pilot.app).services)
        ),
        timeout,
    )


async def test_every_service_shows_its_true_state_and_health(test_stack: RunningStack):
    app = live_app(test_stack)
    async with app.run_test(size=(160, 48)) as pilot:
        await fresh(pilot, 0)
        snap = services(app)
        assert snap.compose_error is None
        by = {s.name: s for s in snap.services}
        assert set(by) == {"postgres", "redis", "gateway", "flags", "worker", "raymond",
                           "hostile", "extra"}  # fmt: skip
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
        row = table.row("worker")
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
            row = app.query_one(ServicesTab).table.row("gateway")
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
        # The first frame shows what runs; compose's verdict follows (after its fallbacks).
        await wait_for(pilot, lambda: services(app).compose_error is not None)
        snap = services(app)
        assert snap.compose_error and "PG_UID" in snap.compose_error
        banner = app.query_one(ProblemBanner)
        assert banner.display and "PG_UID" in str(banner.render())
        # The engine's containers are still shown.
        assert snap.service("postgres").state is ServiceState.RUNNING


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
