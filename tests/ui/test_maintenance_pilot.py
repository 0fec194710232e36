"""Pilot tests of the Maintenance tab over the demo platform: panels, runs, guards, palette."""

from __future__ import annotations

from textual.widgets import Button

from arctui.ops.audit import AuditLog
from arctui.ops.maintenance.calendar import TASKS
from arctui.tabs.maintenance.view.modal import MaintenanceModal
from arctui.tabs.maintenance.view.tab import MaintenanceTab
from arctui.ui.widgets.table import ArcTable
from tests.ui.conftest import make_demo_app, wait_for


async def shown(pilot) -> MaintenanceTab:
    await pilot.press("8")
    tab = pilot.app.query_one(MaintenanceTab)
    await wait_for(pilot, lambda: tab.snapshot is not None)
    await pilot.pause()
    return tab


def outcomes() -> list[tuple[str, str]]:
    return [(e["action"], e["outcome"]) for e in AuditLog().read(raw=True)]


def table(tab: MaintenanceTab, table_id: str) -> ArcTable:
    return tab.query_one(f"#{table_id}", ArcTable)


async def test_every_panel_shows_its_part() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await shown(pilot)
        assert table(tab, "calendar-table").row_count == len(TASKS)
        assert "never done" in str(tab.query_one("#calendar-summary").render())
        await pilot.press("k")
        assert tab.panel == "disk" and table(tab, "disk-table").row_count == 4
        assert table(tab, "volumes-table").row_count == 7
        assert "free of" in str(tab.query_one("#disk-summary").render())
        await pilot.press("u")
        assert table(tab, "runbook-table").row_count == 7
        await pilot.press("i", "c")  # the images panel, then back: keys still work there
        assert tab.panel == "calendar"


async def test_a_target_runs_through_the_modal_and_is_audited() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot)
        await pilot.press("u", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MaintenanceModal))
        modal = app.screen
        assert app.focused is modal.query_one("#confirm-cancel", Button)
        assert "make -C . -f Makefile up" in str(modal.query_one("#confirm-command").render())
        await pilot.click("#confirm-run")
        await wait_for(pilot, lambda: modal.phase == "done")
        assert outcomes() == [("run", "started"), ("run", "simulated")]


async def test_a_target_that_removes_data_needs_the_project_name() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await shown(pilot)
        await pilot.press("u")
        runbook = table(tab, "runbook-table")
        runbook.move_cursor(row=runbook.get_row_index("make:clean"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MaintenanceModal))
        await pilot.press(*"wrong", "enter")
        modal = app.screen
        assert isinstance(modal, MaintenanceModal) and modal.result is not None
        assert modal.result.outcome == "refused"
        assert outcomes() == [("run", "refused")]


async def test_read_only_refuses_runs_and_hides_prune() -> None:
    app = make_demo_app(read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await shown(pilot)
        await pilot.press("k", "P")
        await pilot.pause()
        assert not isinstance(app.screen, MaintenanceModal)
        await pilot.press("u", "enter")
        await wait_for(pilot, lambda: outcomes() == [("run", "refused")])
        assert not isinstance(app.screen, MaintenanceModal)
        titles = [t for t, _, _ in tab.palette_commands()]
        assert not any(t.startswith(("Run make", "Prune")) for t in titles)


async def test_mark_done_is_recorded_and_the_calendar_follows() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        tab = await shown(pilot)
        calendar = table(tab, "calendar-table")
        calendar.move_cursor(row=calendar.get_row_index("load-test"))
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: ("maintenance-done", "ok") in outcomes())
        tab.poller.request()  # type: ignore[union-attr]

        def done() -> bool:
            snap = tab.snapshot
            return snap is not None and any(
                s.task.id == "load-test" and s.status == "ok" for s in snap.calendar
            )

        await wait_for(pilot, done)


async def test_prune_shows_the_dry_run_and_the_exact_commands() -> None:
    app = make_demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await shown(pilot)
        await pilot.press("k", "P")
        await wait_for(pilot, lambda: isinstance(app.screen, MaintenanceModal))
        modal = app.screen
        command = str(modal.query_one("#confirm-command").render())
        assert "label!=com.docker.compose.project=arc-platform" in command
        assert "Never the project's containers" in str(
            modal.query_one("#confirm-consequence").render()
        )
        await pilot.press("escape")
        assert outcomes() == [("prune", "declined")]
