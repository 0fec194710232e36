"""The Postgres tab in the app against the real test stack: live activity, and failure."""

from __future__ import annotations

import socket

from arctui.config.settings import Settings
from arctui.session import real_session
from arctui.tabs.postgres.view.tab import PostgresTab
from arctui.tabs.services.view.tab import ServicesTab
from arctui.ui.app import ArcApp
from tests.integration.stack import PG_PASSWORD, RunningStack, compose_env
from tests.integration.test_postgres_live import background
from tests.ui.conftest import wait_for


def app_for(stack: RunningStack, **extra_env: str) -> ArcApp:
    environ = {k: v for k, v in compose_env().items() if not k.startswith("PG") or "_" in k}
    session = real_session(
        stack.stack_dir,
        env=None,
        files=[str(stack.compose_file)],
        project_name=stack.project,
        settings=Settings(),
        environ={**environ, **extra_env},
    )
    return ArcApp(session)


async def test_tab_shows_a_live_pg_sleep_backend(test_stack: RunningStack):
    with background("SELECT pg_sleep(30) /* arctui-tab-probe */") as conn:
        pid = conn.info.backend_pid
        app = app_for(test_stack)
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.press("3")
            tab = app.query_one(PostgresTab)
            await wait_for(pilot, lambda: tab.snapshot is not None, 20)
            await wait_for(pilot, lambda: str(pid) in [str(k.value) for k in tab.table.rows], 20)
            row = tab.table.get_row(str(pid))
            assert "arctui-tab-probe" in row[-1].plain and row[5].plain == "active"
            overview = str(tab.query_one("#postgres-overview").render())
            assert "127.0.0.1:15432" in overview and PG_PASSWORD not in overview
            assert tab.snapshot.proc_note == "" and tab.snapshot.backend(pid).proc is not None


async def test_unreachable_postgres_is_a_message_in_the_tab_not_a_crash(test_stack: RunningStack):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = app_for(test_stack, PGPORT=str(port))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        tab = app.query_one(PostgresTab)
        await wait_for(pilot, lambda: bool(tab.failure), 20)
        text = str(tab.query_one("#postgres-overview").render())
        assert "Postgres unavailable" in text and "connection refused" in text
        assert "retrying in" in text
        assert tab.poller is not None and tab.poller.schedule.backoff >= 1  # backing off
        # The other tabs are unaffected: the stack is still read.
        await wait_for(pilot, lambda: app.query_one(ServicesTab).snapshot is not None, 20)
        assert app.is_running
