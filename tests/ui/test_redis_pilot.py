"""Pilot tests of the Redis tab over the demo Redis (and a failing one)."""

from __future__ import annotations

import dataclasses

from textual.widgets import DataTable, Log

from arctui.config.settings import Settings
from arctui.ops.audit import AuditLog
from arctui.session import demo_session
from arctui.sources.base import SourceError
from arctui.tabs.redis.view import base as base_module
from arctui.tabs.redis.view import monitor_panel
from arctui.tabs.redis.view.modals import RedisConfirmModal
from arctui.tabs.redis.view.tab import RedisTab
from arctui.ui.app import ArcApp
from tests.ui.conftest import frozen_clock, make_demo_app, wait_for


async def show(pilot) -> RedisTab:
    """Open the Redis tab and wait for its first reading."""
    await pilot.press("4")
    tab = pilot.app.query_one(RedisTab)
    await wait_for(pilot, lambda: tab.snapshot is not None)
    await pilot.pause()
    return tab


def cells(table, column: int) -> list[str]:
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


async def test_overview_and_slowlog_from_the_demo_redis() -> None:
    app = make_demo_app()
    async with app.run_test(size=(140, 44)) as pilot:
        tab = await show(pilot)
        overview = str(tab.query_one("#redis-overview").render())
        assert "Redis 7.2.4" in overview and "policy noeviction" in overview
        assert "AOF     on (appendfsync everysec)" in overview
        slowlog = tab.query_one("#redis-slowlog", DataTable)
        assert slowlog.row_count == 5 and app.focused is slowlog
        assert cells(slowlog, 3)[0] == "KEYS session:*"
        # The binary argument is shown escaped: no raw control byte reaches the screen.
        assert "\\x89PNG\\r\\n\\x1a\\n" in cells(slowlog, 3)[-1]


async def test_big_key_scan_sort_and_filter() -> None:
    app = make_demo_app()
    async with app.run_test(size=(140, 44)) as pilot:
        tab = await show(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: tab.scan_result is not None)
        await pilot.pause()
        table = tab.query_one("#redis-bigkeys-table", DataTable)
        assert cells(table, 3)[:2] == ["events:orders", "queue:email:dead"]
        await pilot.press("o")  # by element count
        assert cells(table, 3)[0] == "cache:report:2026-11"
        await pilot.press("slash", *"import", "enter")
        await pilot.pause()
        assert cells(table, 3) == []  # not among the biggest: the filter alone finds none
        await pilot.press("n")  # a scan with the filter as its MATCH pattern
        await wait_for(
            pilot,
            lambda: (
                tab._scan is None
                and tab.scan_result is not None
                and tab.scan_result.pattern == "*import*"
            ),
        )
        await pilot.pause()
        (shown,) = cells(table, 3)
        assert shown.startswith("import:\\x1b]0;pwned\\a[@click=app.quit]")
        assert "\x1b" not in shown and "\x07" not in shown
        await pilot.press("escape")
        assert tab.filter_text == "" and not tab.query_one("#redis-key-filter").display


async def test_monitor_streams_and_stops_when_leaving_the_view() -> None:
    app = make_demo_app()
    async with app.run_test(size=(140, 44)) as pilot:
        tab = await show(pilot)
        await pilot.press("M")
        await wait_for(pilot, lambda: len(tab.monitor_lines) >= 5)
        await wait_for(pilot, lambda: tab.query_one("#redis-monitor-log", Log).line_count >= 5)
        assert "MONITOR streams every command" in str(
            tab.query_one("#redis-monitor-status").render()
        )
        await pilot.press("L")  # another panel: MONITOR stops
        await wait_for(pilot, lambda: tab._monitor_stop is None)
        assert tab.monitor_state.startswith("stopped: you left the monitor view")
        await pilot.press("M")
        await wait_for(pilot, lambda: tab.monitor_state == "running")
        await pilot.press("1")  # another tab: MONITOR stops too
        await wait_for(pilot, lambda: tab._monitor_stop is None)
        assert "you left the Redis tab" in tab.monitor_state


async def test_monitor_stops_by_itself_after_its_limit(monkeypatch) -> None:
    monkeypatch.setattr(monitor_panel, "MONITOR_LIMIT", 0.5)
    app = make_demo_app()
    async with app.run_test(size=(140, 44)) as pilot:
        tab = await show(pilot)
        await pilot.press("M")
        await wait_for(pilot, lambda: tab._monitor_stop is None, 10)
        assert "time limit" in tab.monitor_state


async def test_delete_a_key_needs_its_typed_name_and_is_audited() -> None:
    app = make_demo_app()
    async with app.run_test(size=(140, 44)) as pilot:
        tab = await show(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: tab.scan_result is not None)
        await pilot.press("down")  # queue:email:dead
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, RedisConfirmModal))
        modal = app.screen
        assert isinstance(modal, RedisConfirmModal)
        assert modal.action.confirmations == (("key name", "queue:email:dead"),)
        assert "UNLINK queue:email:dead" in modal.action.shown_command
        await pilot.press(*"queue:email:dead", "enter")
        await wait_for(pilot, lambda: modal.phase == "done")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RedisConfirmModal))
        assert tab.scan_result is not None
        keys = [k.key for k in tab.scan_result.keys]
        assert "queue:email:dead" not in keys
        (entry,) = AuditLog().read()
        assert entry["action"] == "redis-delete-key" and entry["outcome"] == "simulated"


async def test_read_only_hides_and_disables_the_actions() -> None:
    app = make_demo_app(read_only=True)
    async with app.run_test(size=(140, 44)) as pilot:
        await show(pilot)
        await pilot.press("W")
        await pilot.pause()
        assert not isinstance(app.screen, RedisConfirmModal)
        assert AuditLog().read() == []


async def test_an_unreachable_redis_says_why_and_the_app_keeps_working(monkeypatch) -> None:
    def refuse(session):
        raise SourceError(
            "cannot connect to Redis at 127.0.0.1:6379/0 (default): Connection refused",
            "is the redis service running?",
        )

    monkeypatch.setattr(base_module, "reader_for", refuse)
    session = dataclasses.replace(demo_session(Settings(), clock=frozen_clock), demo=False)
    app = ArcApp(session)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("4")
        tab = app.query_one(RedisTab)
        await wait_for(pilot, lambda: bool(tab.failure))
        text = str(tab.query_one("#redis-overview").render())
        assert "Redis not reachable: cannot connect to Redis at 127.0.0.1:6379/0" in text
        assert "retry in" in text
        await pilot.press("1")  # the rest of the app still answers
        assert app.active_tab == "services"
