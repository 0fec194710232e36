"""The Postgres tab over the demo source: views, tree, filters, actions, read-only, copy."""

from __future__ import annotations

from dataclasses import replace

from arctui.tabs.postgres.demo import DemoPostgres
from arctui.tabs.postgres.view.tab import PgConfirmModal, PostgresTab
from arctui.ui.screens.confirm import ConfirmActionModal
from tests.ui.conftest import frozen_clock, make_demo_app, wait_for


async def open_tab(pilot) -> PostgresTab:
    await pilot.press("3")
    tab = pilot.app.query_one(PostgresTab)
    await wait_for(pilot, lambda: tab.snapshot is not None)
    await pilot.pause()
    return tab


def keys(tab: PostgresTab) -> list[str]:
    return [str(k.value) for k in tab.table.rows]


async def test_activity_shows_the_blocking_tree_first():
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await open_tab(pilot)
        assert keys(tab)[:4] == ["2811", "3390@1", "3402@2", "3407@3"]
        pid_cell = tab.table.get_row_at(2)[0]
        assert "└ 3402" in pid_cell.plain
        assert "Connection" in str(tab.query_one("#postgres-overview").render())


async def test_views_and_filters():
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await open_tab(pilot)
        await pilot.press("b")
        assert keys(tab)[0] == "public.events"
        await pilot.press("Q")
        assert len(keys(tab)) == 6
        await pilot.press("L")
        assert len(keys(tab)) == 4
        await pilot.press("a", "slash")
        await pilot.press(*"user:nobody")
        await pilot.pause()
        # only the blocking tree stays (it is always shown); the rest is filtered out
        assert keys(tab) == ["2811", "3390@1", "3402@2", "3407@3"]
        await pilot.press("escape")
        await pilot.pause()
        assert "3501" in keys(tab)
        await pilot.press("p")
        assert tab.poller is not None and tab.poller.schedule.paused


async def test_cancel_through_the_confirmation_is_audited(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await open_tab(pilot)
        tab.table.move_cursor(row=keys(tab).index("3501"))
        await pilot.pause()
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, PgConfirmModal))
        modal = app.screen
        assert "pg_cancel_backend(3501)" in modal.action.shown_command
        modal._run()
        await wait_for(pilot, lambda: modal.phase == "done")
        assert modal.result is not None and modal.result.outcome == "simulated"
        await pilot.press("escape")
        await wait_for(pilot, lambda: "3501" not in keys(tab))
        entries = app.audit.read()
        assert entries[-1]["action"] == "pg-cancel" and entries[-1]["outcome"] == "simulated"


async def test_read_only_has_no_action_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app = make_demo_app(read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_tab(pilot)
        await pilot.press("K")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmActionModal)


async def test_copy_pid_and_query():
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_tab(pilot)
        await pilot.press("Y")
        assert app.clipboard == "2811"
        await pilot.press("y")
        assert app.clipboard.startswith("SELECT o.customer_id")


async def test_markup_in_query_text_is_shown_literally():
    app = make_demo_app()

    class Evil(DemoPostgres):
        def read(self, force: bool = False):
            snap = super().read(force)
            b = replace(snap.backends[5], query="SELECT '[@click=app.quit]x[/nope]' \x1b]0;t\x07")
            return replace(snap, backends=(*snap.backends[:5], b, *snap.backends[6:]))

    async with app.run_test(size=(160, 48)) as pilot:
        tab = await open_tab(pilot)
        tab.source = Evil(clock=frozen_clock)
        tab.poller.request()
        await wait_for(pilot, lambda: "[/nope]" in tab.table.get_row("3501")[-1].plain)
        assert "\x1b" not in tab.table.get_row("3501")[-1].plain
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running


async def test_settings_change_goes_through_value_then_confirmation(tmp_path, monkeypatch):
    from arctui.tabs.postgres.view.modals import SettingValueModal

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await open_tab(pilot)
        await pilot.press("t")
        assert keys(tab)[:3] == ["max_connections", "shared_buffers", "work_mem"]
        tab.table.move_cursor(row=2)
        await pilot.pause()
        await pilot.press("equals_sign")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingValueModal))
        box = app.screen.query_one("#setting-value")
        box.value = "64MB"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PgConfirmModal))
        assert "ALTER SYSTEM SET work_mem" in app.screen.action.shown_command
        assert "new sessions" in app.screen.action.consequence


async def test_explain_modal_shows_a_plan():
    from arctui.tabs.postgres.view.modals import ExplainModal

    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_tab(pilot)
        await pilot.press("X")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainModal))
        modal = app.screen
        assert "SELECT o.customer_id" in modal.query_one("#explain-query").text
        await pilot.click("#explain-run")
        body = modal.query_one("#explain-body")
        await wait_for(pilot, lambda: "Seq Scan" in str(body.render()))
